//! High-priority units the blocks leave uncovered, and the care-bus tier: stops sited among the
//! candidates not chosen, for the uncovered units below the density threshold; the rest home
//! care.

use careblock_core::join::parts_area;
use careblock_core::network::{NetworkCost, OffNetwork, Snap};
use careblock_index::assess::Assessment;
use careblock_method::{BusSpec, CoverageRule, Method, SitingSpec};
use geo::Point;

use super::candidates::Candidates;
use super::coverage::{Near, coverage};
use super::types::{Optimum, PlanError, Site, SiteStatus, Tier, Uncovered};
use super::units::Units;
use crate::{Limit, Options, Problem, Solution, solve};

/// The units of the priority classes covered below the rule's threshold (all `Unserved`),
/// and that threshold.
pub(super) fn uncovered_units(
    method: &Method,
    st: &SitingSpec,
    units: &Units<'_>,
    assessment: &Assessment,
    sol: &Solution,
) -> (Vec<Uncovered>, f64) {
    let n = units.len();
    let k = *method.spec.classification.classes.get_ref() as u32;
    let priority: Vec<u32> = st
        .priority_classes
        .clone()
        .unwrap_or_else(|| vec![k.saturating_sub(1).max(1), k]);
    let threshold = match st.coverage {
        CoverageRule::Centroid => 1.0,
        CoverageRule::Area => 0.5,
    };
    let unit_area_ha: Vec<f64> = units.polys.iter().map(|p| parts_area(p) / 1e4).collect();
    let mut uncovered: Vec<Uncovered> = (0..n)
        .filter_map(|u| {
            let class = assessment.units.scores.class[u]?;
            if !priority.contains(&class) || sol.unit_coverage[u] >= threshold - 1e-12 {
                return None;
            }
            let density = if unit_area_ha[u] > 0.0 {
                units.population[u] / unit_area_ha[u]
            } else {
                f64::INFINITY
            };
            Some(Uncovered {
                unit: u,
                class,
                density,
                demand: units.demand[u],
                tier: Tier::Unserved,
                households: units.households.map_or(Some(units.population[u]), |h| h[u]),
            })
        })
        .collect();
    // Kept until the outputs are written: without the slack of its growth (at 500,000 units,
    // a few hundred thousand rows of 48 bytes).
    uncovered.shrink_to_fit();
    (uncovered, threshold)
}

/// What the bus tier adds to a plan.
pub(super) struct Buses {
    pub(super) optimum: Option<Optimum>,
    /// The network snaps of the stops, in rank order (walking only).
    pub(super) snaps: Vec<Result<Snap, OffNetwork>>,
}

/// Sites the `[siting.bus]` stops (appended to `sites`) and gives each uncovered unit its
/// tier.
#[allow(clippy::too_many_arguments)]
pub(super) fn bus_tier(
    st: &SitingSpec,
    b: &BusSpec,
    units: &Units<'_>,
    cands: &Candidates,
    site_of_candidate: &[usize],
    uncovered: &mut [Uncovered],
    threshold: f64,
    net: Option<&NetworkCost>,
    options: &Options,
    sites: &mut Vec<Site>,
    notes: &mut Vec<careblock_text::Msg>,
) -> Result<Buses, PlanError> {
    let n = units.len();
    let mut bus = None;
    let mut bus_snaps = Vec::new();
    let bus_demand: Vec<f64> = {
        let mut v = vec![0.0; n];
        for x in uncovered.iter() {
            if x.density < b.max_density {
                v[x.unit] = x.demand.max(0.0);
            }
        }
        v
    };
    let bus_total: f64 = bus_demand.iter().sum();
    if bus_total > 0.0 {
        // Stops: every candidate location not chosen as a block (no anchor rule for a bus).
        let stops: Vec<usize> = (0..cands.layer_sites)
            .filter(|j| site_of_candidate[*j] == usize::MAX)
            .collect();
        let stop_points: Vec<Point<f64>> = stops.iter().map(|&j| cands.list[j].point).collect();
        let br = *b.radius.get_ref();
        let (bcov, bnear) = coverage(st.coverage, &stop_points, &units.polys, &units.centroids, br, net)?;
        let no = vec![false; stops.len()];
        let p = (*b.p.get_ref()).min(stops.len());
        let bsol = solve(
            &Problem {
                demand: &bus_demand,
                coverage: &bcov,
                limit: Limit::Count(p),
                cost: None,
                locked_in: &no,
                locked_out: &no,
            },
            options,
        )?;
        let mut stop_site = vec![usize::MAX; stops.len()];
        for (r, &s) in bsol.selected.iter().enumerate() {
            let c = &cands.list[stops[s]];
            stop_site[s] = sites.len();
            let row = bcov.row(s);
            sites.push(Site {
                status: SiteStatus::Bus,
                rank: Some(r + 1),
                id: c.id.clone(),
                kind: c.kind.clone(),
                label: c.label.clone(),
                point: c.point,
                marginal_gain: bsol.marginal_gain[r],
                cumulative: bsol.cumulative[r],
                irreplaceability: bsol.irreplaceability.get(r).copied(),
                demand: row.iter().map(|&(u, f)| f * bus_demand[u as usize]).sum(),
                population: row.iter().map(|&(u, f)| f * units.population[u as usize]).sum(),
                groups: units
                    .group_values
                    .iter()
                    .map(|g| row.iter().map(|&(u, f)| f * g[u as usize]).sum())
                    .collect(),
                mean_index: None,
                units: row.len(),
                placed_by: None,
                district: None,
                phase: None,
                capacity: None,
                robust: None,
            });
        }
        if let Near::Network(d) = &bnear {
            for &s in &bsol.selected {
                bus_snaps.push(d.sources.snaps[s]);
            }
        }
        for x in uncovered.iter_mut() {
            if bus_demand[x.unit] <= 0.0 && x.density >= b.max_density {
                continue;
            }
            x.tier = match bsol.unit_site[x.unit] {
                Some(s) if bsol.unit_coverage[x.unit] >= threshold - 1e-12 => Tier::Bus(stop_site[s]),
                _ => Tier::HomeCare,
            };
        }
        bus = Some(Optimum {
            objective: bsol.objective,
            bound: bsol.bound,
            gap: bsol.gap,
            optimal: bsol.optimal,
            locked_in: 0.0,
            total_demand: bus_total,
        });
    } else {
        notes.push(careblock_text::msg!("siting.bus_none"));
    }
    Ok(Buses {
        optimum: bus,
        snaps: bus_snaps,
    })
}
