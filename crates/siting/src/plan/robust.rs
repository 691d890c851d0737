//! `[siting.robust]`: the blocks' siting repeated once per Monte Carlo draw of the index, each
//! draw's need mass as the demand (the coverage, the candidates, the existing blocks and `p`
//! unchanged), to report how often each candidate is chosen. Draws run in parallel and are
//! gathered in draw order, so the outcome does not depend on the thread count.

use careblock_core::Layer;
use careblock_core::join::points::points_in_polygons;
use careblock_index::assess::Assessment;
use careblock_method::Method;
use rayon::prelude::*;

use super::candidates::Candidate;
use super::types::{PlanError, RobustCandidate, RobustDistrict, RobustOutcome};
use crate::{Coverage, Limit, Options, Problem};

/// Runs `draws` sitings, one per index draw `0..draws`, each as the plan's (`options` without
/// irreplaceability), and counts how often and in which order each candidate is chosen; with
/// `districts`, how many new blocks each district gets per draw. `plan_selected` are the
/// plan's new sites, to compare with.
#[allow(
    clippy::too_many_arguments,
    reason = "one stage of the plan, called once, with the plan's own pieces"
)]
pub(super) fn robust_siting(
    method: &Method,
    draws: usize,
    assessment: &Assessment,
    cands: &[Candidate],
    cov: &Coverage,
    limit: Limit,
    options: &Options,
    plan_selected: &[usize],
    districts: Option<(&Layer, Option<&str>)>,
) -> Result<RobustOutcome, PlanError> {
    let locked_in: Vec<bool> = cands.iter().map(|c| c.locked_in).collect();
    let locked_out: Vec<bool> = cands.iter().map(|c| c.locked_out).collect();
    let options = Options {
        irreplaceability: false,
        ..*options
    };
    let chosen: Vec<Vec<usize>> = (0..draws)
        .into_par_iter()
        .map(|d| -> Result<Vec<usize>, PlanError> {
            let demand: Vec<f64> = careblock_index::draw_need_mass(method, &assessment.units, d)
                .into_iter()
                .map(|v| v.unwrap_or(0.0))
                .collect();
            let problem = Problem {
                demand: &demand,
                coverage: cov,
                limit,
                cost: None,
                locked_in: &locked_in,
                locked_out: &locked_out,
            };
            Ok(crate::solve(&problem, &options)?.selected)
        })
        .collect::<Result<_, _>>()?;

    let m = cands.len();
    let mut count = vec![0usize; m];
    let mut rank_sum = vec![0usize; m];
    for sel in &chosen {
        for (r, &j) in sel.iter().enumerate() {
            count[j] += 1;
            rank_sum[j] += r + 1;
        }
    }
    let in_plan: Vec<bool> = {
        let mut v = vec![false; m];
        for &j in plan_selected {
            v[j] = true;
        }
        v
    };
    let mut candidates: Vec<RobustCandidate> = (0..m)
        .filter(|&j| count[j] > 0 || in_plan[j])
        .map(|j| RobustCandidate {
            candidate: j,
            id: cands[j].id.clone(),
            kind: cands[j].kind.clone(),
            label: cands[j].label.clone(),
            point: cands[j].point,
            frequency: count[j] as f64 / draws as f64,
            mean_rank: (count[j] > 0).then(|| rank_sum[j] as f64 / count[j] as f64),
            in_plan: in_plan[j],
        })
        .collect();
    candidates.sort_by(|a, b| {
        b.frequency
            .total_cmp(&a.frequency)
            .then(
                a.mean_rank
                    .unwrap_or(f64::INFINITY)
                    .total_cmp(&b.mean_rank.unwrap_or(f64::INFINITY)),
            )
            .then(a.candidate.cmp(&b.candidate))
    });

    let districts = match districts {
        None => Vec::new(),
        Some((layer, label)) => {
            let polys = layer.polygons()?;
            let points: Vec<_> = cands.iter().map(|c| Some(c.point)).collect();
            let owner = points_in_polygons(&points, &polys).polygon;
            let labels = label.and_then(|l| layer.text_column(l).ok());
            let per_draw = |sel: &[usize]| {
                let mut n = vec![0usize; layer.len()];
                for &j in sel {
                    if let Some(k) = owner[j] {
                        n[k as usize] += 1;
                    }
                }
                n
            };
            let plan_counts = per_draw(plan_selected);
            let counts: Vec<Vec<usize>> = chosen.iter().map(|s| per_draw(s)).collect();
            (0..layer.len())
                .filter(|&k| plan_counts[k] > 0 || counts.iter().any(|c| c[k] > 0))
                .map(|k| {
                    let mut v: Vec<usize> = counts.iter().map(|c| c[k]).collect();
                    v.sort_unstable();
                    let q = |p: f64| v[((p * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)];
                    RobustDistrict {
                        id: layer.ids[k].clone(),
                        label: labels.as_ref().and_then(|l| l[k].clone()),
                        in_plan: plan_counts[k],
                        mean: v.iter().sum::<usize>() as f64 / v.len() as f64,
                        min: v[0],
                        p05: q(0.05),
                        p95: q(0.95),
                        max: v[v.len() - 1],
                    }
                })
                .collect()
        }
    };
    Ok(RobustOutcome {
        draws,
        seed: method.spec.uncertainty.seed,
        candidates,
        districts,
    })
}
