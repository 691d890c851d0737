//! From the index to proposed care blocks: candidate sites (layers, filters, the anchor rule,
//! or a hexagonal grid), existing blocks locked in, coverage sets within the walking radius,
//! the MCLP solution with its bound ([`crate`]), per-site explanations, the unit →
//! site assignment, high-priority units left uncovered, the care-bus tier and home care, and
//! coverage KPIs per district before and after.
//!
//! Layers must be validated and projected to the CRS of the assessment (metres).

use careblock_core::join::interpolate::check_join;
use careblock_core::network::{NetworkCost, PreparedNetwork};
use careblock_index::assess::Assessment;
use careblock_method::{DistanceRule, Method, SitingSpec};
use careblock_text::{Arg, fixed, msg};
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
pub use robust::RobustSetup;
pub use types::{
    Assignment, CapacityOutcome, DistrictKpi, EquityDistrict, EquityOutcome, NetworkComparison, Optimum,
    PhaseOutcome, PhasesOutcome, PlacedBy, Plan, PlanError, PlanInputs, RobustCandidate, RobustDistrict,
    RobustOutcome, Site, SiteStatus, TargetOutcome, Tier, Uncovered, kind_key,
};
pub use units::UnitShapes;

use blocks::Blocks;
use coverage::{Near, coverage};
use units::Units;

/// Runs the siting the method's `[siting]` declares, on an assessment of the same inputs:
/// candidates, coverage, the solution (with the equity rule), the sites, the bus tier, the
/// district KPIs and, walking, the comparison with circles and the catchments.
pub fn plan(method: &Method, inputs: PlanInputs<'_>, assessment: &Assessment) -> Result<Plan, PlanError> {
    let (mut plan, setup) = plan_deferring_robust(method, inputs, assessment)?;
    if let Some(setup) = setup {
        let chosen = setup.choose(method, assessment, 0..setup.draws())?;
        let outcome = setup.merge(&chosen)?;
        setup.apply(&mut plan, outcome);
    }
    Ok(plan)
}

/// [`plan`] without the robust siting's draws: the plan (its [`Plan::robust`] `None`, its
/// sites without frequencies) and, with `[siting.robust]`, what the draws share, for a front
/// end that spreads the draws over processes or machines. Its
/// [`choose`](RobustSetup::choose) over every draw, [`merge`](RobustSetup::merge)d and
/// [`apply`](RobustSetup::apply)ed to the plan, is [`plan`]'s plan.
pub fn plan_deferring_robust(
    method: &Method,
    inputs: PlanInputs<'_>,
    assessment: &Assessment,
) -> Result<(Plan, Option<RobustSetup>), PlanError> {
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
        check_join(inputs.units, l, (inputs.validated, false))?;
    }
    let mut notes = Vec::new();
    let radius = st.effective_radius(method.spec.network.as_ref());
    let mut built = None;
    let net = walking_network(method, st, &inputs, radius, &mut built, &mut notes)?;
    let units = Units::new(inputs.units, inputs.unit_shapes, assessment, st)?;
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
        mut target,
        target_without,
        capacitated,
    } = blocks::solve_blocks(st, &units, cands, &cov, setup.as_ref(), &options)?;
    if let Some(t) = target.as_mut() {
        t.without_rule = target_without;
    }
    notes.extend(limit_notes(phases.as_ref(), target.as_ref(), units.total_demand));
    // A target under [siting.equity]: what the share takes without the rule.
    if let (Some(t), Some(without)) = (target.as_ref().filter(|t| t.reached), target_without) {
        notes.push(msg!(
            "siting.equity_target_without",
            without = without,
            share = fixed(100.0 * t.share, 1),
            blocks = t.blocks
        ));
    }
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
    // The robust siting runs on the finished plan; its note goes here among the notes.
    let robust_note_at = notes.len();
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
            notes.push(msg!(
                "siting.capacity",
                open = c.solution.open.len(),
                capacity = fixed(outcome.capacity, 0),
                reach = fixed(outcome.within_reach, 0),
                assigned = fixed(outcome.assigned, 0),
                share = fixed(100.0 * outcome.assigned / units.total_demand, 1)
            ));
            if let Some(g) = c.gap_asked {
                notes.push(msg!(
                    "siting.capacity_gap",
                    asked = fixed(100.0 * g, 2),
                    // As the method file writes it (a TOML value, decimal point in every language).
                    capacity_gap = g.to_string(),
                    gap = fixed(100.0 * c.solution.gap, 3)
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
        notes.push(msg!(
            "siting.existing",
            n = found.existing,
            share = fixed(100.0 * sol.locked_in_coverage / units.total_demand, 1)
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
    let plan = Plan {
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
        robust: None,
    };
    let setup = match &st.robust {
        None => None,
        Some(r) => {
            let label = method.spec.districts.as_ref().and_then(|d| d.label.as_deref());
            Some(RobustSetup::new(
                method,
                *r.draws.get_ref(),
                cands,
                cov,
                limit,
                &options,
                sol.selected.clone(),
                site_of_candidate,
                inputs.districts.map(|d| (d, label)),
                robust_note_at,
            )?)
        }
    };
    Ok((plan, setup))
}

/// What the phases and the coverage target came to, in words.
fn limit_notes(
    phases: Option<&PhasesOutcome>,
    target: Option<&TargetOutcome>,
    total: f64,
) -> Vec<careblock_text::Msg> {
    let pct = |v: f64| if total > 0.0 { 100.0 * v / total } else { 0.0 };
    let mut notes = Vec::new();
    if let Some(p) = phases {
        for ph in &p.phases {
            let budget: Arg = match ph.budget {
                Some((b, c)) => msg!("siting.phase_budget", cost = c, budget = b).into(),
                None => Arg::from(""),
            };
            notes.push(msg!(
                "siting.phase",
                name = &ph.name,
                blocks = ph.blocks,
                budget = budget,
                before = fixed(pct(ph.optimum.locked_in), 1),
                after = fixed(pct(ph.optimum.objective), 1),
                bound = fixed(pct(ph.optimum.bound), 1)
            ));
        }
        if let Some(last) = p.phases.last() {
            notes.push(msg!(
                "siting.phasing_cost",
                unphased = fixed(pct(p.unphased.objective), 1),
                phased = fixed(pct(last.optimum.objective), 1),
                difference = fixed(pct(p.unphased.objective - last.optimum.objective), 2)
            ));
        }
    }
    if let Some(t) = target {
        let share = fixed(100.0 * t.share, 1);
        notes.push(if !t.reached {
            msg!(
                "siting.target_out_of_reach",
                share = share,
                eligible = t.eligible,
                best = fixed(pct(t.best_possible), 1),
                blocks = t.blocks
            )
        } else if let Some(c) = t.cost.as_ref().filter(|c| c.gap() == Some(0.0)) {
            msg!(
                "siting.target_cost_least",
                share = share,
                blocks = t.blocks,
                cost = c.spent
            )
        } else if let Some(c) = &t.cost {
            msg!(
                "siting.target_cost",
                share = share,
                blocks = t.blocks,
                cost = c.spent,
                lower = c.lower,
                gap = fixed(100.0 * c.gap().unwrap_or(0.0), 1)
            )
        } else if t.lower >= t.blocks {
            msg!("siting.target_fewest", share = share, blocks = t.blocks)
        } else {
            msg!(
                "siting.target_at_least",
                share = share,
                blocks = t.blocks,
                lower = t.lower
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
    notes: &mut Vec<careblock_text::Msg>,
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
            notes.push(msg!("siting.walking", graph = cost.graph_note()));
            if ns.minutes.is_some() {
                notes.push(msg!(
                    "siting.radius_minutes",
                    radius = fixed(radius, 0),
                    minutes = ns.minutes.as_ref().map_or(0.0, |m| *m.get_ref()),
                    speed = ns.walking_speed()
                ));
            }
            Some(cost)
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use careblock_text::Lang;

    fn optimum(locked_in: f64, objective: f64, bound: f64) -> Optimum {
        Optimum {
            objective,
            bound,
            gap: 0.0,
            optimal: true,
            locked_in,
            total_demand: 200.0,
        }
    }

    fn target(reached: bool, blocks: usize, lower: usize) -> TargetOutcome {
        TargetOutcome {
            share: 0.25,
            goal: 50.0,
            reached,
            blocks,
            lower,
            best_possible: 45.0,
            eligible: 12,
            solves: (1, 1),
            cost: None,
            without_rule: None,
        }
    }

    #[test]
    fn limit_notes_in_english_and_spanish() {
        let phases = PhasesOutcome {
            phases: vec![PhaseOutcome {
                name: "2026".into(),
                blocks: 3,
                budget: Some((10.0, 7.5)),
                optimum: optimum(20.0, 61.0, 64.2),
            }],
            unphased: optimum(20.0, 63.0, 64.0),
        };
        let notes = limit_notes(Some(&phases), Some(&target(true, 4, 4)), 200.0);
        let en: Vec<String> = notes.iter().map(|n| n.to_string()).collect();
        assert_eq!(
            en,
            [
                "phase 2026: 3 new block(s) costing 7.5 of 10, covered demand 10.0 % → 30.5 % (bound 32.1 %)",
                "cost of phasing: the same total sited at once covers 31.5 % (phased 30.5 %, difference 1.00 % of the demand)",
                "target 25.0 % of the demand: 4 new block(s) reach it (proven the fewest)",
            ]
        );
        let es: Vec<String> = notes.iter().map(|n| Lang::Es.render(n)).collect();
        assert_eq!(
            es,
            [
                "fase 2026: 3 manzana(s) nueva(s) con un costo de 7,5 de 10, demanda cubierta 10,0 % → 30,5 % (cota 32,1 %)",
                "costo de la ejecución por fases: el mismo total localizado de una sola vez cubre 31,5 % (por fases 30,5 %, diferencia de 1,00 % de la demanda)",
                "meta de 25,0 % de la demanda: 4 manzana(s) nueva(s) la alcanzan (número mínimo demostrado)",
            ]
        );
        // Without a budget the phase has no cost clause; a target short of proof or out of reach.
        let phases = PhasesOutcome {
            phases: vec![PhaseOutcome {
                name: "I".into(),
                blocks: 2,
                budget: None,
                optimum: optimum(0.0, 40.0, 40.0),
            }],
            unphased: optimum(0.0, 40.0, 40.0),
        };
        let notes = limit_notes(Some(&phases), Some(&target(true, 5, 3)), 200.0);
        assert_eq!(
            notes[0].to_string(),
            "phase I: 2 new block(s), covered demand 0.0 % → 20.0 % (bound 20.0 %)"
        );
        assert_eq!(
            Lang::Es.render(&notes[0]),
            "fase I: 2 manzana(s) nueva(s), demanda cubierta 0,0 % → 20,0 % (cota 20,0 %)"
        );
        assert_eq!(
            notes[2].to_string(),
            "target 25.0 % of the demand: 5 new block(s) reach it; at least 3 are needed (proven)"
        );
        assert_eq!(
            Lang::Es.render(&notes[2]),
            "meta de 25,0 % de la demanda: 5 manzana(s) nueva(s) la alcanzan; se necesitan al menos 3 (demostrado)"
        );
        let cost = TargetOutcome {
            cost: Some(crate::TargetCost {
                spent: 7.5,
                lower: 6.0,
                eligible_cost: 40.0,
            }),
            ..target(true, 3, 1)
        };
        let notes = limit_notes(None, Some(&cost), 200.0);
        assert_eq!(
            notes[0].to_string(),
            "target 25.0 % of the demand: 3 new block(s) costing 7.5 reach it; no set costing less than 6 can (proven; gap 20.0 %)"
        );
        assert_eq!(
            Lang::Es.render(&notes[0]),
            "meta de 25,0 % de la demanda: 3 manzana(s) nueva(s) con un costo de 7,5 la alcanzan; ningún conjunto de costo menor que 6 puede alcanzarla (demostrado; brecha de 20,0 %)"
        );
        let least = TargetOutcome {
            cost: Some(crate::TargetCost {
                spent: 7.0,
                lower: 7.0,
                eligible_cost: 40.0,
            }),
            ..target(true, 3, 1)
        };
        let notes = limit_notes(None, Some(&least), 200.0);
        assert_eq!(
            notes[0].to_string(),
            "target 25.0 % of the demand: 3 new block(s) costing 7 reach it (proven the least cost)"
        );
        assert_eq!(
            Lang::Es.render(&notes[0]),
            "meta de 25,0 % de la demanda: 3 manzana(s) nueva(s) con un costo de 7 la alcanzan (costo mínimo demostrado)"
        );
        let notes = limit_notes(None, Some(&target(false, 7, 7)), 200.0);
        assert_eq!(
            notes[0].to_string(),
            "target 25.0 % of the demand is out of reach: with all 12 eligible candidates the most is 22.5 %; 7 new block(s) reach that"
        );
        assert_eq!(
            Lang::Es.render(&notes[0]),
            "la meta de 25,0 % de la demanda no es alcanzable: con los 12 candidatos elegibles el máximo es 22,5 %; 7 manzana(s) nueva(s) lo alcanzan"
        );
    }

    #[test]
    fn siting_notes_in_spanish() {
        let capacity = msg!(
            "siting.capacity_gap",
            asked = fixed(100.0 * 0.005, 2),
            capacity_gap = 0.005.to_string(),
            gap = fixed(100.0 * 0.00123, 3)
        );
        assert_eq!(
            capacity.to_string(),
            "capacity: the bound was tightened only until the gap was at most 0.50 % (capacity_gap = 0.005); the gap reached is 0.123 %"
        );
        assert_eq!(
            Lang::Es.render(&capacity),
            "capacidad: la cota se ajustó solo hasta que la brecha de optimalidad fue como máximo 0,50 % (capacity_gap = 0.005); la brecha alcanzada es 0,123 %"
        );
        let limit = msg!(
            "siting.equity_short_limit",
            limit = msg!("siting.equity_limit_budget", budget = 2.5),
            layer = "localidades.gpkg",
            missing = 4usize,
            districts = "08 (Kennedy), 19"
        );
        assert_eq!(
            limit.to_string(),
            "equity: the budget 2.5 cannot give every district of localidades.gpkg its minimum (4 new block(s) needed); districts were served in order of need (mean index), and 08 (Kennedy), 19 get fewer than the minimum"
        );
        assert_eq!(
            Lang::Es.render(&limit),
            "equidad: el presupuesto 2,5 no alcanza para dar a cada distrito de localidades.gpkg su mínimo (se necesitan 4 manzana(s) nueva(s)); los distritos se atendieron por orden de necesidad (índice medio), y 08 (Kennedy), 19 reciben menos que el mínimo"
        );
        let bus = msg!("siting.bus_none");
        assert_eq!(
            Lang::Es.render(&bus),
            "buses del cuidado: ninguna unidad de alta prioridad sin cobertura está por debajo del umbral de densidad"
        );
        let radius = msg!(
            "siting.radius_minutes",
            radius = fixed(999.6, 0),
            minutes = 15.0,
            speed = 4.5
        );
        assert_eq!(radius.to_string(), "siting: radius 1000 m = 15 min at 4.5 km/h");
        assert_eq!(
            Lang::Es.render(&radius),
            "localización: radio de 1000 m = 15 min a 4,5 km/h"
        );
    }
}
