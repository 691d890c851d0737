//! The blocks' MCLP instance (demand, coverage, the limit, costs, locked-in and locked-out
//! candidates) and its solution: with the equity quotas when `[siting.equity]` asks for them,
//! phase by phase with `[siting.phases]` (capacitated or not), or the fewest blocks reaching
//! `target_share`.

use careblock_method::{PhasesSpec, SitingSpec};

use super::candidates::Candidate;
use super::equity::EquitySetup;
use super::types::{Optimum, PhaseOutcome, PhasesOutcome, PlanError, TargetOutcome};
use super::units::Units;
use crate::{
    CapacitatedSolution, CapacitatedTarget, CapacityOptions, Coverage, Limit, Options, PhasedSolution,
    Problem, QuotaSolution, SitingError, Solution, TargetSolution, capacitated_irreplaceability, coverage_of,
    solve, solve_capacitated, solve_phased, solve_phased_capacitated, solve_target_or_best,
    solve_target_or_best_with, solve_with_quotas,
};

/// The solved blocks.
pub(super) struct Blocks {
    pub(super) sol: Solution,
    /// The solution under the equity quotas, with the unconstrained one.
    pub(super) quota: Option<QuotaSolution>,
    pub(super) limit: Limit,
    /// Candidates locked in (existing blocks).
    pub(super) locked_in: Vec<bool>,
    /// With phases: the phase name of each selected site (ranking order), and the outcome.
    pub(super) phase_of: Vec<String>,
    pub(super) phases: Option<PhasesOutcome>,
    /// With a coverage target.
    pub(super) target: Option<TargetOutcome>,
    /// With a coverage target under `[siting.equity]`: the fewest new blocks found reaching the
    /// share without the rule (`None` when out of reach).
    pub(super) target_without: Option<usize>,
    /// Capacitated siting.
    pub(super) capacitated: Option<Capacitated>,
}

/// The capacitated solution and what the plan reports of it.
pub(super) struct Capacitated {
    pub(super) solution: CapacitatedSolution,
    /// Capacity of each candidate.
    pub(super) capacity: Vec<f64>,
    /// Demand within reach of the open sites, capacities ignored.
    pub(super) within_reach: f64,
    /// Share of each unit's demand the existing blocks alone can serve.
    pub(super) before: Vec<f64>,
    /// `[siting] capacity_gap`, if given.
    pub(super) gap_asked: Option<f64>,
}

/// The plan's summary of one solution.
pub(super) fn optimum(s: &Solution, total_demand: f64) -> Optimum {
    Optimum {
        objective: s.objective,
        bound: s.bound,
        gap: s.gap,
        optimal: s.optimal,
        locked_in: s.locked_in_coverage,
        total_demand,
    }
}

/// A phased solve's error, worded for the method: too few candidates for the phases' blocks is
/// the key's fault.
fn phases_error(e: SitingError) -> PlanError {
    match e {
        SitingError::TooFewCandidates { requested, eligible } => PlanError::Key {
            key: "siting.phases.blocks",
            message: format!(
                "the phases open {requested} new blocks in all, but only {eligible} candidates are eligible"
            ),
        },
        e => e.into(),
    }
}

/// The phases' outcome, each site's phase and the plan's total limit, from a phased solve.
fn record_phases(
    blocks: &mut Blocks,
    ph: &PhasesSpec,
    limits: &[Limit],
    r: &PhasedSolution,
    cost: &[f64],
    total_demand: f64,
) {
    blocks.phase_of = r.phase_of.iter().map(|&k| ph.name(k)).collect();
    blocks.phases = Some(PhasesOutcome {
        phases: r
            .phases
            .iter()
            .enumerate()
            .map(|(k, s)| PhaseOutcome {
                name: ph.name(k),
                blocks: s.selected.len(),
                budget: match limits[k] {
                    Limit::Budget(b) => Some((b, s.selected.iter().map(|&j| cost[j]).sum())),
                    Limit::Count(_) => None,
                },
                optimum: optimum(s, total_demand),
            })
            .collect(),
        unphased: optimum(&r.unphased, total_demand),
    });
    blocks.limit = match limits[0] {
        Limit::Count(_) => Limit::Count(r.combined.selected.len()),
        Limit::Budget(_) => Limit::Budget(
            limits
                .iter()
                .map(|l| if let Limit::Budget(b) = l { *b } else { 0.0 })
                .sum(),
        ),
    };
}

/// The target's outcome and the plan's count, from a target search.
fn record_target(blocks: &mut Blocks, t: &TargetSolution, sol: &Solution) {
    blocks.target = Some(TargetOutcome {
        share: t.share,
        goal: t.goal,
        reached: t.reached(),
        blocks: sol.selected.len(),
        lower: t.lower,
        best_possible: t.best_possible,
        eligible: t.eligible,
        solves: t.solves,
        cost: t.cost,
        without_rule: None,
    });
    blocks.limit = Limit::Count(sol.selected.len());
}

/// Solves the blocks' problem over `cands` covering `units` by `cov`.
pub(super) fn solve_blocks(
    st: &SitingSpec,
    units: &Units<'_>,
    cands: &[Candidate],
    cov: &Coverage,
    setup: Option<&EquitySetup<'_>>,
    options: &Options,
) -> Result<Blocks, PlanError> {
    let locked_in: Vec<bool> = cands.iter().map(|c| c.locked_in).collect();
    let locked_out: Vec<bool> = cands.iter().map(|c| c.locked_out).collect();
    let cost: Vec<f64> = cands
        .iter()
        .map(|c| if c.locked_in { 0.0 } else { c.cost })
        .collect();
    let limit = match (&st.p, &st.budget) {
        (Some(p), _) => Limit::Count(*p.get_ref()),
        (None, Some(b)) => Limit::Budget(*b.get_ref()),
        // Phases and targets set their own limits.
        (None, None) => Limit::Count(0),
    };
    let budgeted = st.budget.is_some()
        || st.phases.as_ref().is_some_and(|p| p.budget.is_some())
        || st.least_cost_target();
    let problem = Problem {
        demand: &units.demand,
        coverage: cov,
        limit,
        cost: budgeted.then_some(cost.as_slice()),
        locked_in: &locked_in,
        locked_out: &locked_out,
    };
    let mut blocks = Blocks {
        sol: placeholder(),
        quota: None,
        limit,
        locked_in: locked_in.clone(),
        phase_of: Vec::new(),
        phases: None,
        target: None,
        target_without: None,
        capacitated: None,
    };
    if st.capacitated() {
        let capacity: Vec<f64> = cands
            .iter()
            .map(|c| c.capacity.expect("the method check gives every site a capacity"))
            .collect();
        let gap_asked = st.capacity_gap.as_ref().map(|g| *g.get_ref());
        let options = CapacityOptions::stopping_at(gap_asked);
        // One solve searches beyond the LP bound; phases, targets and the equity rule solve
        // many problems and do not.
        let options = if st.target_share.is_some() || st.phases.is_some() || setup.is_some() {
            options.for_one_of_many()
        } else {
            options
        };
        // The plan, and the capacitated solve whose assignment and loads are the plan's.
        let (sol, c) = if let Some(share) = &st.target_share {
            match setup {
                None => {
                    let mut solves = CapacitatedTarget::new(&capacity, options);
                    let (t, sol) = solve_target_or_best_with(&problem, *share.get_ref(), &mut solves)?;
                    record_target(&mut blocks, &t, &sol);
                    let c = solves.plan_solution(&problem, &sol.selected)?;
                    (sol, c)
                }
                // The fewest (or cheapest) capacitated blocks meeting the minimums; lower bound
                // max(Q, L) on the count (or the cost).
                Some(q) => {
                    let solve_under_quotas = if st.least_cost_target() {
                        crate::equity::solve_capacitated_cost_target_with_quotas
                    } else {
                        crate::equity::solve_capacitated_target_with_quotas
                    };
                    let (r, c) =
                        solve_under_quotas(&problem, *share.get_ref(), &capacity, &q.quotas(), &options)?;
                    let sol = r.plan.solution.clone();
                    record_target(&mut blocks, &r.target, &sol);
                    blocks.target_without = r.without.map(|(k, _)| k);
                    blocks.quota = Some(r.plan);
                    (sol, c)
                }
            }
        } else if let Some(ph) = &st.phases {
            let limits: Vec<Limit> = match (&ph.blocks, &ph.budget) {
                (Some(b), _) => b.get_ref().iter().map(|&k| Limit::Count(k)).collect(),
                (None, Some(b)) => b.get_ref().iter().map(|&x| Limit::Budget(x)).collect(),
                (None, None) => unreachable!("checked when the method was parsed"),
            };
            let (r, c) = match setup {
                None => {
                    solve_phased_capacitated(&problem, &limits, &capacity, &options).map_err(phases_error)?
                }
                // The quotas are the whole plan's, each phase capacitated under them.
                Some(q) => {
                    let (r, c, plan) = crate::equity::solve_phased_capacitated_with_quotas(
                        &problem,
                        &limits,
                        &capacity,
                        &q.quotas(),
                        &options,
                    )
                    .map_err(phases_error)?;
                    blocks.quota = Some(plan);
                    (r, c)
                }
            };
            record_phases(&mut blocks, ph, &limits, &r, &cost, units.total_demand);
            (r.combined, c)
        } else if let Some(q) = setup {
            // The quotas met first; the bound is the capacitated one without them.
            let (c, plan) =
                crate::equity::solve_capacitated_with_quotas(&problem, &capacity, &q.quotas(), &options)?;
            blocks.quota = Some(plan);
            (c.to_solution(), c)
        } else {
            let c = solve_capacitated(&problem, &capacity, &options)?;
            let mut sol = c.to_solution();
            sol.irreplaceability =
                capacitated_irreplaceability(&problem, &capacity, &sol.selected, &options)?;
            (sol, c)
        };
        blocks.sol = sol;
        let before = solve_capacitated(
            &Problem {
                limit: Limit::Count(0),
                ..problem
            },
            &capacity,
            &CapacityOptions {
                bound_iterations: 0,
                ..options
            },
        )?
        .unit_assigned;
        blocks.capacitated = Some(Capacitated {
            within_reach: coverage_of(&problem, &blocks.sol.selected),
            solution: c,
            capacity,
            before,
            gap_asked,
        });
        return Ok(blocks);
    }
    if let Some(ph) = &st.phases {
        let limits: Vec<Limit> = match (&ph.blocks, &ph.budget) {
            (Some(b), _) => b.get_ref().iter().map(|&k| Limit::Count(k)).collect(),
            (None, Some(b)) => b.get_ref().iter().map(|&x| Limit::Budget(x)).collect(),
            (None, None) => unreachable!("checked when the method was parsed"),
        };
        let r = match setup {
            None => solve_phased(&problem, &limits, options).map_err(phases_error)?,
            // The quotas are the whole plan's: each phase serves the districts still short.
            Some(q) => {
                let (r, plan) =
                    crate::equity::solve_phased_with_quotas(&problem, &limits, &q.quotas(), options)
                        .map_err(phases_error)?;
                blocks.quota = Some(plan);
                r
            }
        };
        record_phases(&mut blocks, ph, &limits, &r, &cost, units.total_demand);
        blocks.sol = r.combined;
        return Ok(blocks);
    }
    if let Some(share) = &st.target_share {
        // Out of reach, the plan is the fewest blocks reaching the best possible share.
        let (t, sol) = match setup {
            None => solve_target_or_best(&problem, *share.get_ref(), options)?,
            Some(q) => {
                let solve_under_quotas = if st.least_cost_target() {
                    crate::equity::solve_cost_target_with_quotas
                } else {
                    crate::equity::solve_target_with_quotas
                };
                let r = solve_under_quotas(&problem, *share.get_ref(), &q.quotas(), options)?;
                let sol = r.plan.solution.clone();
                blocks.quota = Some(r.plan);
                blocks.target_without = r.without.map(|(k, _)| k);
                (r.target, sol)
            }
        };
        record_target(&mut blocks, &t, &sol);
        blocks.sol = sol;
        return Ok(blocks);
    }
    match setup {
        None => blocks.sol = solve(&problem, options)?,
        Some(q) => {
            let r = solve_with_quotas(&problem, &q.quotas(), options)?;
            blocks.sol = r.solution.clone();
            blocks.quota = Some(r);
        }
    }
    Ok(blocks)
}

/// A solution to be replaced by the solve below.
fn placeholder() -> Solution {
    Solution {
        selected: Vec::new(),
        marginal_gain: Vec::new(),
        cumulative: Vec::new(),
        locked_in_coverage: 0.0,
        objective: 0.0,
        bound: 0.0,
        gap: 0.0,
        optimal: false,
        irreplaceability: Vec::new(),
        unit_coverage: Vec::new(),
        unit_site: Vec::new(),
    }
}
