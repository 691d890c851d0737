//! The `[siting.equity]` rule: districts, their minimum and maximum counts and need order as the
//! solver takes them, and the outcome reported per district with the cost of the rule.

use super::candidates::label_of;
use super::spread::{normalised_rows, spread};
use super::types::{EquityDistrict, EquityOutcome, Optimum, PlanError, PlanInputs};
use crate::{Limit, QuotaReport, Quotas, ShortReason};
use careblock_core::join::interpolate::{AreaTable, check_join};
use careblock_core::join::points::points_in_polygons;
use careblock_core::layer::Layer;
use careblock_index::assess::Assessment;
use careblock_method::{EquitySpec, Method};
use careblock_text::{fixed, msg};
use std::borrow::Cow;

use geo::{Point, Polygon};

/// The `[siting.equity]` districts as the solver needs them.
pub(super) struct EquitySetup<'l> {
    pub(super) layer: &'l Layer,
    pub(super) labels: Vec<Option<String>>,
    /// District of each candidate.
    pub(super) of_candidate: Vec<Option<u32>>,
    /// Unit → district weights (area shares, each unit's summing to 1).
    pub(super) weights: Vec<Vec<(u32, f64)>>,
    /// Population-weighted mean unit index per district.
    pub(super) need: Vec<Option<f64>>,
    pub(super) min: Vec<usize>,
    pub(super) max: Vec<usize>,
    /// Districts by decreasing need (no index last), ties by layer order.
    pub(super) priority: Vec<usize>,
    /// Candidates in two districts or more (assigned to the first).
    pub(super) ambiguous: usize,
}

impl EquitySetup<'_> {
    /// The quotas as the solver takes them.
    pub(super) fn quotas(&self) -> Quotas<'_> {
        Quotas {
            district: &self.of_candidate,
            min: &self.min,
            max: &self.max,
            priority: &self.priority,
        }
    }
}

pub(super) fn equity_setup<'l>(
    method: &Method,
    e: &EquitySpec,
    inputs: &PlanInputs<'l>,
    unit_polys: &[Cow<'_, [Polygon<f64>]>],
    assessment: &Assessment,
    points: &[Point<f64>],
    population: &[f64],
) -> Result<EquitySetup<'l>, PlanError> {
    let key = "siting.equity.layer";
    let span = e
        .layer
        .as_ref()
        .map(|l| l.span())
        .or(e.path.as_ref().map(|p| p.span()))
        .unwrap_or(0..0);
    let is_districts = e.layer_name() == Some("districts");
    let layer = if is_districts {
        inputs.districts.ok_or_else(|| {
            method.data_error(
                span.clone(),
                key,
                "the districts layer was not given to the siting".to_string(),
            )
        })?
    } else {
        inputs.equity.ok_or_else(|| {
            method.data_error(
                span.clone(),
                key,
                "the equity layer was not given to the siting".to_string(),
            )
        })?
    };
    check_join(inputs.units, layer, (inputs.validated, inputs.validated))?;
    let polys = layer.polygons()?;
    let label = e.label.clone().or_else(|| {
        is_districts
            .then(|| method.spec.districts.as_ref().and_then(|d| d.label.clone()))
            .flatten()
    });
    let labels = label_of(layer, label.as_deref())?;
    let owner = points_in_polygons(&points.iter().map(|p| Some(*p)).collect::<Vec<_>>(), &polys);
    let built;
    let table = match (&assessment.district_table, is_districts) {
        (Some(t), true) => t,
        _ => {
            built = AreaTable::build_from_parts(unit_polys, &polys);
            &built
        }
    };
    let n = unit_polys.len();
    let weights = normalised_rows(table, n);
    let m = layer.len();
    let index = &assessment.units.scores.index;
    let num = spread(&weights, m, |u| index[u].map_or(0.0, |i| i * population[u]));
    let den = spread(
        &weights,
        m,
        |u| if index[u].is_some() { population[u] } else { 0.0 },
    );
    let need: Vec<Option<f64>> = (0..m).map(|d| (den[d] > 0.0).then(|| num[d] / den[d])).collect();
    let lo = *e.min.get_ref();
    let min: Vec<usize> = match &e.min_if_need_above {
        None => vec![lo; m],
        Some(t) => need
            .iter()
            .map(|v| {
                if v.is_some_and(|v| v > *t.get_ref()) {
                    lo
                } else {
                    0
                }
            })
            .collect(),
    };
    let max = vec![e.max.as_ref().map_or(usize::MAX, |x| *x.get_ref()); m];
    let mut priority: Vec<usize> = (0..m).collect();
    priority.sort_by(|&a, &b| match (need[a], need[b]) {
        (Some(x), Some(y)) => y.total_cmp(&x).then(a.cmp(&b)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(&b),
    });
    Ok(EquitySetup {
        layer,
        labels,
        of_candidate: owner.polygon,
        weights,
        need,
        min,
        max,
        priority,
        ambiguous: owner.ambiguous.len(),
    })
}

/// Per-district counts, the cost of the rule, and the notes on what could not be met.
#[allow(clippy::too_many_arguments)]
pub(super) fn equity_outcome(
    e: &EquitySpec,
    q: &EquitySetup<'_>,
    r: &crate::QuotaSolution,
    limit: Limit,
    demand: &[f64],
    total_demand: f64,
    locked_in: &[bool],
    ids: &[&str],
    district_covered: Vec<(f64, f64)>,
    notes: &mut Vec<careblock_text::Msg>,
) -> EquityOutcome {
    let m = q.layer.len();
    let rep: &QuotaReport = &r.report;
    let name = |d: usize| match &q.labels[d] {
        Some(l) => format!("{} ({l})", q.layer.ids[d]),
        None => q.layer.ids[d].clone(),
    };
    let count = |sites: &[usize]| {
        let mut c = vec![0usize; m];
        for &j in sites {
            if let Some(d) = q.of_candidate[j] {
                c[d as usize] += 1;
            }
        }
        c
    };
    let with = count(&r.solution.selected);
    let without = count(&r.unconstrained.selected);
    let mut by_equity = vec![0usize; m];
    for (k, &j) in r.solution.selected.iter().enumerate() {
        if let (true, Some(d)) = (r.equity[k], q.of_candidate[j]) {
            by_equity[d as usize] += 1;
        }
    }
    let dem = spread(&q.weights, m, |u| demand[u]);
    let cov_with = spread(&q.weights, m, |u| {
        demand[u] * r.solution.unit_coverage[u].min(1.0)
    });
    let cov_without = spread(&q.weights, m, |u| {
        demand[u] * r.unconstrained.unit_coverage[u].min(1.0)
    });
    let mut short = vec![None; m];
    for s in &rep.short {
        short[s.district] = Some(match s.reason {
            ShortReason::Candidates => "candidates",
            ShortReason::Limit => "limit",
        });
    }
    let layer = &q.layer.name;
    // Notes: what could not be met, by district id; never silent.
    for s in rep.short.iter().filter(|s| s.reason == ShortReason::Candidates) {
        notes.push(msg!(
            "siting.equity_short_candidates",
            district = name(s.district),
            layer = layer,
            min = s.min,
            existing = rep.locked_in[s.district],
            eligible = rep.eligible[s.district],
            gets = s.reachable
        ));
    }
    let by_limit: Vec<String> = rep
        .short
        .iter()
        .filter(|s| s.reason == ShortReason::Limit)
        .map(|s| name(s.district))
        .collect();
    if !by_limit.is_empty() {
        let missing: usize = (0..m)
            .map(|d| q.min[d].saturating_sub(rep.locked_in[d]).min(rep.eligible[d]))
            .sum();
        notes.push(msg!(
            "siting.equity_short_limit",
            limit = match limit {
                Limit::Count(p) => msg!("siting.equity_limit_count", p = p),
                Limit::Budget(b) => msg!("siting.equity_limit_budget", budget = b),
            },
            layer = layer,
            missing = missing,
            districts = by_limit.join(", ")
        ));
    }
    for &d in &rep.over {
        notes.push(msg!(
            "siting.equity_over",
            district = name(d),
            layer = layer,
            existing = rep.locked_in[d],
            max = q.max[d]
        ));
    }
    if let (Some(c), Limit::Count(p)) = (rep.count, limit) {
        notes.push(msg!("siting.equity_count", layer = layer, count = c, p = p));
    }
    let outside: Vec<usize> = (0..locked_in.len())
        .filter(|&j| locked_in[j] && q.of_candidate[j].is_none())
        .collect();
    let outside_existing = outside.len();
    if rep.outside > 0 || outside_existing > 0 {
        notes.push(msg!(
            "siting.equity_outside",
            eligible = rep.outside,
            existing = outside_existing,
            ids = if outside.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    outside
                        .iter()
                        .map(|&j| format!("{:?}", ids[j]))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            layer = layer
        ));
    }
    if q.ambiguous > 0 {
        notes.push(msg!("siting.equity_ambiguous", n = q.ambiguous, layer = layer));
    }
    let (a, b) = (r.solution.objective, r.unconstrained.objective);
    notes.push(msg!(
        "siting.equity_cost",
        n = r.equity.iter().filter(|&&x| x).count(),
        with = fixed(100.0 * a / total_demand, 1),
        without = fixed(100.0 * b / total_demand, 1)
    ));
    let u = &r.unconstrained;
    EquityOutcome {
        layer: layer.clone(),
        min: *e.min.get_ref(),
        min_if_need_above: e.min_if_need_above.as_ref().map(|t| *t.get_ref()),
        max: e.max.as_ref().map(|x| *x.get_ref()),
        districts: (0..m)
            .map(|d| EquityDistrict {
                id: q.layer.ids[d].clone(),
                label: q.labels[d].clone(),
                need: q.need[d],
                min: q.min[d],
                max: (q.max[d] != usize::MAX).then_some(q.max[d]),
                existing: rep.locked_in[d],
                eligible: rep.eligible[d],
                proposed: (with[d], without[d]),
                by_equity: by_equity[d],
                demand: dem[d],
                covered: (cov_with[d], cov_without[d]),
                short: short[d],
            })
            .collect(),
        without: Optimum {
            objective: u.objective,
            bound: u.bound,
            gap: u.gap,
            optimal: u.optimal,
            locked_in: u.locked_in_coverage,
            total_demand,
        },
        count: rep.count,
        outside: (rep.outside, outside_existing),
        district_covered,
    }
}
