//! From the index to proposed care blocks: candidate sites (layers, filters, the anchor rule,
//! or a hexagonal grid), existing blocks locked in, coverage sets within the walking radius,
//! the MCLP solution with its bound ([`crate`]), per-site explanations, the unit →
//! site assignment, high-priority units left uncovered, the care-bus tier and home care, and
//! coverage KPIs per district before and after.
//!
//! Layers must be validated and projected to the CRS of the assessment (metres).

use careblock_core::join::interpolate::check_join_inputs;
use careblock_core::network::{NetworkCost, PreparedNetwork};
use careblock_index::assess::Assessment;
use careblock_method::{DistanceRule, Method, SitingSpec};
use geo::Point;

use crate::Options;

mod blocks;
mod buses;
mod candidates;
mod compare;
mod coverage;
mod equity;
mod kpis;
mod robust;
mod sites;
mod spread;
mod types;
mod units;

pub use coverage::circle;
pub use types::{
    Assignment, CapacityOutcome, DistrictKpi, EquityDistrict, EquityOutcome, NetworkComparison, Optimum,
    PhaseOutcome, PhasesOutcome, PlacedBy, Plan, PlanError, PlanInputs, RobustCandidate, RobustDistrict,
    RobustOutcome, Site, SiteStatus, TargetOutcome, Tier, Uncovered,
};

use blocks::Blocks;
use coverage::{Near, coverage};
use units::Units;

/// Runs the siting the method's `[siting]` declares, on an assessment of the same inputs:
/// candidates, coverage, the solution (with the equity rule), the sites, the bus tier, the
/// district KPIs and, walking, the comparison with circles and the catchments.
pub fn plan(method: &Method, inputs: PlanInputs<'_>, assessment: &Assessment) -> Result<Plan, PlanError> {
    let st: &SitingSpec = method
        .spec
        .siting
        .as_ref()
        .ok_or_else(|| PlanError::Infeasible("the method has no [siting] section".into()))?;
    for l in inputs
        .candidates
        .iter()
        .chain(inputs.existing)
        .chain(inputs.supply)
    {
        check_join_inputs(inputs.units, l)?;
    }
    let mut notes = Vec::new();
    let radius = st.effective_radius(method.spec.network.as_ref());
    let mut built = None;
    let net = walking_network(method, st, &inputs, radius, &mut built, &mut notes)?;
    let units = Units::new(inputs.units, assessment, st)?;
    let found = candidates::gather(method, st, &inputs, &units, radius, &mut notes)?;
    let cands = &found.list;
    let points: Vec<Point<f64>> = cands.iter().map(|c| c.point).collect();
    let (cov, near) = match (&st.costs, inputs.costs) {
        (Some(_), Some(table)) => coverage::from_table(table, inputs.units, cands, radius, &mut notes)?,
        (Some(c), None) => {
            return Err(PlanError::Key {
                key: "siting.costs",
                message: format!(
                    "the cost table {:?} was not loaded with the layers",
                    c.path.get_ref()
                ),
            });
        }
        (None, _) => coverage(st.coverage, &points, &units.polys, &units.centroids, radius, net)?,
    };
    let fallback = match (net, &near) {
        (Some(c), Near::Network(d)) => coverage::fallback(c, d, inputs.units, cands, &mut notes),
        _ => (0, 0),
    };
    let options = Options {
        exact_max_nodes: st.exact_max_nodes,
        ..Options::default()
    };
    let setup = match &st.equity {
        None => None,
        Some(e) => Some(equity::equity_setup(
            method,
            e,
            &inputs,
            &units.polys,
            assessment,
            &points,
            &units.population,
        )?),
    };
    let Blocks {
        sol,
        quota,
        limit,
        locked_in,
        phase_of,
        phases,
        target,
        capacitated,
    } = blocks::solve_blocks(st, &units, cands, &cov, setup.as_ref(), &options)?;
    notes.extend(limit_notes(phases.as_ref(), target.as_ref(), units.total_demand));
    let (mut sites, site_of_candidate) = sites::block_sites(
        &units,
        assessment,
        cands,
        &cov,
        &sol,
        quota.as_ref(),
        setup.as_ref(),
    );
    for site in sites.iter_mut().filter(|s| s.status == SiteStatus::Proposed) {
        site.phase = site.rank.and_then(|r| phase_of.get(r - 1).cloned());
    }
    let robust = match &st.robust {
        None => None,
        Some(r) => {
            let label = method.spec.districts.as_ref().and_then(|d| d.label.as_deref());
            let outcome = robust::robust_siting(
                method,
                *r.draws.get_ref(),
                assessment,
                cands,
                &cov,
                limit,
                &options,
                &sol.selected,
                inputs.districts.map(|d| (d, label)),
            )?;
            for c in outcome.candidates.iter().filter(|c| c.in_plan) {
                let k = site_of_candidate[c.candidate];
                sites[k].robust = Some((c.frequency, c.mean_rank));
            }
            let steady = outcome
                .candidates
                .iter()
                .filter(|c| c.in_plan && c.frequency >= 0.9)
                .count();
            notes.push(format!(
                "robust siting: over {} index draws, {steady} of the {} proposed block(s) are chosen in at least 90 % of the draws; {} candidate(s) are chosen at least once",
                outcome.draws,
                sol.selected.len(),
                outcome.candidates.iter().filter(|c| c.frequency > 0.0).count()
            ));
            Some(outcome)
        }
    };
    let (assignments, before, capacity) = match &capacitated {
        None => (
            sites::assignments(&units, cands, &sol, &near, &site_of_candidate),
            sites::coverage_before(&cov, &locked_in, units.len()),
            None,
        ),
        Some(c) => {
            for (&j, &load) in c.solution.open.iter().zip(&c.solution.load) {
                let k = site_of_candidate[j];
                sites[k].capacity = Some((c.capacity[j], load));
            }
            let outcome = CapacityOutcome {
                capacity: c.solution.open.iter().map(|&j| c.capacity[j]).sum(),
                assigned: c.solution.objective,
                within_reach: c.within_reach,
                assigned_before: c.before.iter().zip(&units.demand).map(|(a, d)| a * d).sum(),
                gap_asked: c.gap_asked,
            };
            notes.push(format!(
                "capacity: the {} open block(s) can serve {:.0} persons of demand; {:.0} are within their reach and {:.0} ({:.1} % of the demand) are assigned",
                c.solution.open.len(),
                outcome.capacity,
                outcome.within_reach,
                outcome.assigned,
                100.0 * outcome.assigned / units.total_demand
            ));
            if let Some(g) = c.gap_asked {
                notes.push(format!(
                    "capacity: the bound was tightened only until the gap was at most {:.2} % (capacity_gap = {g}); the gap reached is {:.3} %",
                    100.0 * g,
                    100.0 * c.solution.gap
                ));
            }
            (
                sites::capacitated_assignments(
                    &units,
                    cands,
                    &c.solution.assignments,
                    &near,
                    &site_of_candidate,
                ),
                c.before.clone(),
                Some(outcome),
            )
        }
    };
    let (mut uncovered, threshold) = buses::uncovered_units(method, st, &units, assessment, &sol);
    let buses = match &st.bus {
        Some(b) => buses::bus_tier(
            st,
            b,
            &units,
            &found,
            &site_of_candidate,
            &mut uncovered,
            threshold,
            net,
            &options,
            &mut sites,
            &mut notes,
        )?,
        None => buses::Buses {
            optimum: None,
            snaps: Vec::new(),
        },
    };
    let (kpis, district_covered) = kpis::district_kpis(
        inputs.districts,
        assessment,
        &units,
        &before,
        &sol,
        quota.as_ref(),
    )?;
    if found.existing > 0 {
        notes.push(format!(
            "{} existing care block(s) locked in; they cover {:.1} % of the demand",
            found.existing,
            100.0 * sol.locked_in_coverage / units.total_demand
        ));
    }
    let equity = match (&setup, &quota, &st.equity) {
        (Some(q), Some(r), Some(e)) => Some(equity::equity_outcome(
            e,
            q,
            r,
            limit,
            &units.demand,
            units.total_demand,
            &locked_in,
            &cands.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            district_covered,
            &mut notes,
        )),
        _ => None,
    };
    let (network, catchments) = match (net, &near) {
        (Some(c), Near::Network(d)) => {
            let (comparison, catchments) = compare::walking_outcome(
                c,
                d,
                st,
                &units,
                cands,
                &points,
                &locked_in,
                &sol,
                &sites,
                &buses.snaps,
                radius,
                fallback,
                inputs.districts,
                assessment.district_table.as_ref(),
                &mut notes,
            )?;
            (Some(comparison), catchments)
        }
        (_, Near::Table(_)) => {
            // Each block's catchment is the hull of the units it covers; bus stops keep circles.
            let mut catchments = vec![None; sites.len()];
            for (j, &k) in site_of_candidate.iter().enumerate() {
                if k != usize::MAX && sites[k].status != SiteStatus::Bus {
                    catchments[k] = Some(coverage::table_catchment(&cov, j, &units.polys));
                }
            }
            (None, catchments)
        }
        _ => (None, vec![None; sites.len()]),
    };
    Ok(Plan {
        network,
        catchments,
        radius,
        bus_radius: st.bus.as_ref().map(|b| *b.radius.get_ref()),
        costs: inputs
            .costs
            .filter(|_| st.costs.is_some())
            .map(|t| t.source.clone()),
        sites,
        blocks: blocks::optimum(&sol, units.total_demand),
        bus: buses.optimum,
        assignments,
        unit_coverage: sol.unit_coverage.clone(),
        unit_coverage_before: before,
        uncovered,
        groups: units.groups,
        kpis,
        candidates: (found.read, found.kept, found.eligible),
        notes,
        equity,
        phases,
        target,
        capacity,
        robust,
    })
}

/// What the phases and the coverage target came to, in words.
fn limit_notes(phases: Option<&PhasesOutcome>, target: Option<&TargetOutcome>, total: f64) -> Vec<String> {
    let pct = |v: f64| if total > 0.0 { 100.0 * v / total } else { 0.0 };
    let mut notes = Vec::new();
    if let Some(p) = phases {
        for ph in &p.phases {
            notes.push(format!(
                "phase {}: {} new block(s){}, covered demand {:.1} % → {:.1} % (bound {:.1} %)",
                ph.name,
                ph.blocks,
                ph.budget
                    .map(|(b, c)| format!(" costing {c} of {b}"))
                    .unwrap_or_default(),
                pct(ph.optimum.locked_in),
                pct(ph.optimum.objective),
                pct(ph.optimum.bound)
            ));
        }
        if let Some(last) = p.phases.last() {
            notes.push(format!(
                "cost of phasing: the same total sited at once covers {:.1} % (phased {:.1} %, difference {:.2} % of the demand)",
                pct(p.unphased.objective),
                pct(last.optimum.objective),
                pct(p.unphased.objective - last.optimum.objective)
            ));
        }
    }
    if let Some(t) = target {
        notes.push(if t.reached {
            format!(
                "target {:.1} % of the demand: {} new block(s) reach it{}",
                100.0 * t.share,
                t.blocks,
                if t.lower >= t.blocks { " (proven the fewest)".to_string() } else { format!("; at least {} are needed (proven)", t.lower) }
            )
        } else {
            format!(
                "target {:.1} % of the demand is out of reach: with all {} eligible candidates the most is {:.1} %; {} new block(s) reach that",
                100.0 * t.share,
                t.eligible,
                pct(t.best_possible),
                t.blocks
            )
        });
    }
    notes
}

/// The street network when `[siting]` walks on it (built once per run: from `inputs` when it
/// holds one), with the notes that say so.
fn walking_network<'n>(
    method: &Method,
    st: &SitingSpec,
    inputs: &PlanInputs<'n>,
    radius: f64,
    built: &'n mut Option<NetworkCost>,
    notes: &mut Vec<String>,
) -> Result<Option<&'n NetworkCost>, PlanError> {
    Ok(match (st.distance(), &method.spec.network) {
        (DistanceRule::Network, Some(ns)) => {
            let cost = PreparedNetwork::or_build(
                inputs.prepared_network,
                built,
                &ns.walk_options(),
                inputs.network,
                inputs.network_gap,
            )?;
            notes.push(format!(
                "siting: walking distances on the street network; {}",
                cost.graph_note()
            ));
            if ns.minutes.is_some() {
                notes.push(format!(
                    "siting: radius {radius:.0} m = {} min at {} km/h",
                    ns.minutes.as_ref().map_or(0.0, |m| *m.get_ref()),
                    ns.walking_speed()
                ));
            }
            Some(cost)
        }
        _ => None,
    })
}
