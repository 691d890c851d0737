//! The sites of a plan with what each covers (demand, population, groups, mean index), the
//! unit → site assignment, and the coverage of the existing blocks alone.

use careblock_index::assess::Assessment;

use super::candidates::Candidate;
use super::coverage::Near;
use super::equity::EquitySetup;
use super::types::{Assignment, PlacedBy, Site, SiteStatus};
use super::units::Units;
use crate::{Coverage, QuotaSolution, Solution};

/// What candidate `j` covers: demand, population, each group, the population-weighted mean
/// index of its units, and how many units.
fn explain(
    units: &Units<'_>,
    assessment: &Assessment,
    cov: &Coverage,
    j: usize,
) -> (f64, f64, Vec<f64>, Option<f64>, usize) {
    let row = cov.row(j);
    let mut d = 0.0;
    let mut pop = 0.0;
    let mut g = vec![0.0; units.groups.len()];
    let (mut wi, mut w) = (0.0, 0.0);
    for &(u, f) in row {
        let u = u as usize;
        d += f * units.demand[u];
        pop += f * units.population[u];
        for (k, gv) in units.group_values.iter().enumerate() {
            g[k] += f * gv[u];
        }
        if let Some(ix) = assessment.units.scores.index[u] {
            wi += f * units.population[u] * ix;
            w += f * units.population[u];
        }
    }
    (d, pop, g, (w > 0.0).then(|| wi / w), row.len())
}

/// The sites of the blocks: existing, then proposed in rank order; and the site of each
/// candidate (`usize::MAX` for none).
pub(super) fn block_sites(
    units: &Units<'_>,
    assessment: &Assessment,
    cands: &[Candidate],
    cov: &Coverage,
    sol: &Solution,
    quota: Option<&QuotaSolution>,
    setup: Option<&EquitySetup<'_>>,
) -> (Vec<Site>, Vec<usize>) {
    let district_of = |j: usize| -> Option<String> {
        let q = setup?;
        q.of_candidate[j].map(|d| q.layer.ids[d as usize].clone())
    };
    let mut sites = Vec::new();
    let mut site_of_candidate = vec![usize::MAX; cands.len()];
    for (j, c) in cands.iter().enumerate().filter(|(_, c)| c.locked_in) {
        let (d, pop, g, mi, nu) = explain(units, assessment, cov, j);
        site_of_candidate[j] = sites.len();
        sites.push(Site {
            status: SiteStatus::Existing,
            rank: None,
            id: c.id.clone(),
            kind: c.kind.clone(),
            label: c.label.clone(),
            point: c.point,
            marginal_gain: 0.0,
            cumulative: sol.locked_in_coverage,
            irreplaceability: None,
            demand: d,
            population: pop,
            groups: g,
            mean_index: mi,
            units: nu,
            placed_by: None,
            district: district_of(j),
            phase: None,
            capacity: None,
            robust: None,
        });
    }
    for (r, &j) in sol.selected.iter().enumerate() {
        let c = &cands[j];
        let (d, pop, g, mi, nu) = explain(units, assessment, cov, j);
        site_of_candidate[j] = sites.len();
        sites.push(Site {
            status: SiteStatus::Proposed,
            rank: Some(r + 1),
            id: c.id.clone(),
            kind: c.kind.clone(),
            label: c.label.clone(),
            point: c.point,
            marginal_gain: sol.marginal_gain[r],
            cumulative: sol.cumulative[r],
            irreplaceability: sol.irreplaceability.get(r).copied(),
            demand: d,
            population: pop,
            groups: g,
            mean_index: mi,
            units: nu,
            placed_by: Some(match quota {
                Some(q) if q.equity[r] => PlacedBy::Equity,
                _ => PlacedBy::Coverage,
            }),
            district: district_of(j),
            phase: None,
            capacity: None,
            robust: None,
        });
    }
    (sites, site_of_candidate)
}

/// Each covered unit's best block, with the distance to it (walking or straight-line).
pub(super) fn assignments(
    units: &Units<'_>,
    cands: &[Candidate],
    sol: &Solution,
    near: &Near,
    site_of_candidate: &[usize],
) -> Vec<Assignment> {
    let mut assignments = Vec::new();
    for (u, s) in sol.unit_site.iter().enumerate() {
        let Some(j) = *s else { continue };
        assignments.push(Assignment {
            unit: u,
            site: site_of_candidate[j],
            fraction: sol.unit_coverage[u],
            distance: distance(units, cands, near, u, j),
            assigned: None,
        });
    }
    assignments
}

/// Capacitated siting: every positive (unit, site, assigned demand), with the distance.
pub(super) fn capacitated_assignments(
    units: &Units<'_>,
    cands: &[Candidate],
    assigned: &[(usize, usize, f64)],
    near: &Near,
    site_of_candidate: &[usize],
) -> Vec<Assignment> {
    assigned
        .iter()
        .map(|&(u, j, z)| Assignment {
            unit: u,
            site: site_of_candidate[j],
            fraction: if units.demand[u] > 0.0 {
                (z / units.demand[u]).min(1.0)
            } else {
                0.0
            },
            distance: distance(units, cands, near, u, j),
            assigned: Some(z),
        })
        .collect()
}

/// Distance from candidate `j` to unit `u`: from the coverage's rows (walking, a cost table or
/// straight-line), else straight-line between the points.
fn distance(units: &Units<'_>, cands: &[Candidate], near: &Near, u: usize, j: usize) -> f64 {
    near.row(j)
        .iter()
        .find(|(v, _)| *v as usize == u)
        .map(|(_, d)| *d)
        .or_else(|| units.centroids[u].map(|c| geo::Distance::distance(&geo::Euclidean, c, cands[j].point)))
        .unwrap_or(f64::NAN)
}

/// Coverage of every unit by the locked-in blocks alone.
pub(super) fn coverage_before(cov: &Coverage, locked_in: &[bool], n: usize) -> Vec<f64> {
    let mut before = vec![0.0f64; n];
    for j in (0..locked_in.len()).filter(|&j| locked_in[j]) {
        for &(u, f) in cov.row(j) {
            before[u as usize] = before[u as usize].max(f);
        }
    }
    before
}
