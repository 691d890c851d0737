//! A least-cost coverage target under the equity quotas ([`solve_cost_target_with_quotas`],
//! uncapacitated; [`solve_capacitated_cost_target_with_quotas`], capacitated): the least total
//! cost of new sites whose coverage (or assigned demand) reaches the share while every
//! district gets its minimum (lowered only where a district lacks eligible candidates) and
//! none exceeds its maximum.
//!
//! - **Lower bound**: `max(Q, L)`, `Q` the cost of the minimums at their cheapest (the sum,
//!   over the districts, of the cheapest eligible candidates the minimum needs: every set
//!   meeting the minimums costs at least that) and `L` the proven lower bound of the
//!   least-cost target without the quotas (no set costing less reaches the share, with or
//!   without them).
//! - **Search**, the count target's under the quotas ([`fewest_under_quotas`]) over budgets:
//!   the quota solver under the budget `max(Q, c₀)` (`c₀` the cost found without the quotas),
//!   up by a quarter at a time until its plan reaches the share while meeting the minimums,
//!   then full solves bisecting between the largest budget that failed (at least the lower
//!   bound) and the cheapest cost found (at most [`MAX_FULL_STEPS`], to 0.1 %). Every set that
//!   reaches the share is trimmed: its sites, most expensive first, dropped while the rest
//!   still reaches it and meets the minimums. The plan without the quotas is also offered
//!   when it meets them.
//! - **Cost of equity**: the plan against the same budget (its cost) solved without the quotas.
//!
//! [`fewest_under_quotas`]: super::combos::fewest_under_quotas

use super::super::solve::{placed_by_rule, solve_constrained};
use super::capacitated::{capacitated_sites, ranked};
use super::combos::QuotaTarget;
use super::{Quota, QuotaReport, Quotas, cheapest};
use crate::{
    CapacitatedSolution, CapacitatedTarget, CapacityOptions, Limit, Options, Problem, QuotaSolution,
    SitingError, Solution, TargetCost, TargetSolution, assigned_with, coverage_of, solve, solve_capacitated,
    solve_target_or_best, solve_target_or_best_with,
};

/// Relative width at which the bisection over budgets stops.
const COST_TOLERANCE: f64 = 1e-3;
/// Most full solves of the bisection, after the first plan reaching the share.
const MAX_FULL_STEPS: usize = 6;
/// Most evaluations (coverage, or a maximum flow) of the swaps to cheaper candidates.
const SWAP_EVALS: usize = 4000;

/// What the search found: the target (its `solution` left `None`; `cost` filled), the plan's
/// new sites (in the order of the solve that found them), whether they reach the share, and
/// the quotas over every eligible candidate with their report.
struct CostFound {
    target: TargetSolution,
    sites: Vec<usize>,
    reached: bool,
    quota: Quota,
    report: QuotaReport,
    quota_total: usize,
}

/// The least-cost search under the quotas, whatever the solver (see the
/// [module documentation](self)): `free` is the least-cost target without the quotas and
/// `free_sites` its plan's new sites; `at(b)` the new sites of the quota solve under the budget
/// `b`; `value_with(set)` the coverage (or assigned demand) with the new sites `set`.
fn least_cost_under_quotas(
    problem: &Problem<'_>,
    quotas: &Quotas<'_>,
    free: &TargetSolution,
    free_sites: &[usize],
    mut at: impl FnMut(f64) -> Result<Vec<usize>, SitingError>,
    mut value_with: impl FnMut(&[usize]) -> Result<f64, SitingError>,
) -> Result<CostFound, SitingError> {
    let cost = problem.cost.expect("a least-cost target has costs");
    let flag = |f: &[bool], j: usize| f.get(j).copied().unwrap_or(false);
    let m = problem.coverage.n_candidates();
    let eligible: Vec<usize> = (0..m)
        .filter(|&j| !flag(problem.locked_in, j) && !flag(problem.locked_out, j))
        .collect();
    let total: f64 = eligible.iter().map(|&j| cost[j]).sum();
    // With every eligible candidate as the limit, the minimums are lowered only where a
    // district lacks candidates.
    let (quota, report, _) = Quota::new(
        &Problem {
            limit: Limit::Count(eligible.len()),
            ..*problem
        },
        quotas,
    )?;
    let nd = quota.need.len();
    let quota_total: usize = report.required.iter().sum();
    let mut by_district: Vec<Vec<f64>> = vec![Vec::new(); nd];
    for &j in &eligible {
        let d = quota.district[j];
        if d != super::NONE {
            by_district[d as usize].push(cost[j]);
        }
    }
    for c in &mut by_district {
        c.sort_unstable_by(f64::total_cmp);
    }
    let quota_cost: f64 = (0..nd).map(|d| cheapest(&by_district[d], quota.need[d])).sum();
    let spent = |set: &[usize]| set.iter().map(|&j| cost[j]).sum::<f64>();
    let meets = |set: &[usize]| {
        let c = quota.counts(set);
        (0..nd).all(|d| c[d] >= quota.need[d] && c[d] <= quota.cap[d])
    };
    let reaches = |v: f64| v >= free.goal * (1.0 - 1e-12);
    type Value<'v> = dyn FnMut(&[usize]) -> Result<f64, SitingError> + 'v;
    let ok = |set: &[usize], value_with: &mut Value<'_>| -> Result<bool, SitingError> {
        Ok(meets(set) && reaches(value_with(set)?))
    };
    let free_cost = free.cost.expect("a least-cost target has a cost outcome");
    let mut target = free.clone();
    target.solution = None;
    let found = |target: TargetSolution, sites: Vec<usize>, reached: bool| CostFound {
        target,
        sites,
        reached,
        quota: quota.clone(),
        report: report.clone(),
        quota_total,
    };
    if !free.reached() {
        // Out of reach with or without the quotas: the quota plan under the budget of the
        // plan without them (at least the minimums' cost).
        let b = quota_cost.max(free_cost.spent);
        let sites = if b > 0.0 { at(b)? } else { Vec::new() };
        target.solves.0 += usize::from(b > 0.0);
        target.lower = target.lower.max(quota_total);
        if let Some(c) = &mut target.cost {
            c.spent = spent(&sites);
        }
        return Ok(found(target, sites, false));
    }
    // The sites of `set`, most expensive first (ties to the highest index), dropped while the
    // rest still reaches the share and meets the minimums.
    let trim = |set: &[usize], value_with: &mut Value<'_>| {
        let mut keep = set.to_vec();
        let mut order = set.to_vec();
        order.sort_unstable_by(|&a, &b| cost[b].total_cmp(&cost[a]).then(b.cmp(&a)));
        for j in order {
            let rest: Vec<usize> = keep.iter().copied().filter(|&x| x != j).collect();
            if ok(&rest, value_with)? {
                keep = rest;
            }
        }
        Ok::<_, SitingError>(keep)
    };
    let lower = quota_cost.max(free_cost.lower);
    let mut best: Option<Vec<usize>> = None;
    let offer = |set: Vec<usize>, best: &mut Option<Vec<usize>>| {
        if best.as_ref().is_none_or(|b| spent(&set) < spent(b)) {
            *best = Some(set);
        }
    };
    if ok(&[], &mut value_with)? {
        offer(Vec::new(), &mut best);
    } else if ok(free_sites, &mut value_with)? {
        let set = trim(free_sites, &mut value_with)?;
        offer(set, &mut best);
    }
    // Up by a quarter at a time until a quota plan reaches the share.
    let mut fail = lower;
    let mut last = Vec::new();
    if best.is_none() {
        // A hair above the minimums' cost, so that rounding does not lower a minimum.
        let mut b = (quota_cost * (1.0 + 1e-9)).max(free_cost.spent).min(total);
        loop {
            target.solves.0 += 1;
            let set = at(b)?;
            if ok(&set, &mut value_with)? {
                let set = trim(&set, &mut value_with)?;
                offer(set, &mut best);
                break;
            }
            last = set;
            fail = fail.max(b);
            if b >= total {
                break;
            }
            b = (b * 1.25).min(total);
        }
    }
    let Some(mut best) = best else {
        // Only maxima can make a reachable share unreachable under the quotas: the best found
        // with every candidate they allow.
        target.best_possible = value_with(&last)?;
        target.eligible = report.count.unwrap_or(eligible.len());
        target.lower = target.lower.max(quota_total);
        if let Some(c) = &mut target.cost {
            c.spent = spent(&last);
            c.lower = f64::INFINITY;
        }
        return Ok(found(target, last, false));
    };
    // Full solves bisecting between the largest budget that failed and the cheapest cost found.
    let mut upper = spent(&best);
    let mut steps = 0;
    while upper - fail > COST_TOLERANCE * upper && steps < MAX_FULL_STEPS {
        steps += 1;
        let mid = 0.5 * (fail + upper);
        target.solves.0 += 1;
        let set = at(mid)?;
        if ok(&set, &mut value_with)? {
            let set = trim(&set, &mut value_with)?;
            let mut b = Some(best);
            offer(set, &mut b);
            best = b.expect("a set was offered");
            upper = spent(&best);
        } else {
            fail = mid;
        }
    }
    // Swaps: a site replaced by a cheaper closed candidate while the set still reaches the
    // share and meets the minimums (most expensive site first, cheapest replacement first),
    // then trimmed again; within [`SWAP_EVALS`] evaluations.
    let mut by_cost = eligible.clone();
    by_cost.sort_unstable_by(|&a, &b| cost[a].total_cmp(&cost[b]).then(a.cmp(&b)));
    let mut evals = 0;
    'improve: while evals < SWAP_EVALS {
        let mut order = best.clone();
        order.sort_unstable_by(|&a, &b| cost[b].total_cmp(&cost[a]).then(b.cmp(&a)));
        for j in order {
            for &k in by_cost.iter().take_while(|&&k| cost[k] < cost[j]) {
                if best.contains(&k) {
                    continue;
                }
                if evals >= SWAP_EVALS {
                    break 'improve;
                }
                evals += 1;
                let set: Vec<usize> = best.iter().map(|&x| if x == j { k } else { x }).collect();
                if ok(&set, &mut value_with)? {
                    best = trim(&set, &mut value_with)?;
                    continue 'improve;
                }
            }
        }
        break;
    }
    let upper = spent(&best);
    target.lower = quota_total.max(free.lower).min(best.len());
    target.cost = Some(TargetCost {
        spent: upper,
        lower: lower.min(upper),
        eligible_cost: free_cost.eligible_cost,
    });
    Ok(found(target, best, true))
}

/// The problem restricted to the new sites `sites` (every other candidate not locked in is
/// locked out), for ranking them.
fn only(problem: &Problem<'_>, sites: &[usize]) -> Vec<bool> {
    let m = problem.coverage.n_candidates();
    let mut out: Vec<bool> = (0..m)
        .map(|j| !problem.locked_in.get(j).copied().unwrap_or(false))
        .collect();
    for &j in sites {
        out[j] = false;
    }
    out
}

/// The limit of the plan without the quotas: the plan's cost as a budget (no new site when it
/// costs nothing).
fn same_budget(spent: f64) -> Limit {
    if spent > 0.0 {
        Limit::Budget(spent)
    } else {
        Limit::Count(0)
    }
}

/// The least total cost of new sites whose coverage reaches `share` while every district gets
/// its minimum (see the [module documentation](self)). `problem.cost` must be given;
/// `problem.limit` is ignored. The plan's `unconstrained` is the same budget solved without the
/// quotas; `without` the least-cost target without them (its count and count bound).
///
/// # Errors
/// Those of [`solve_target`](crate::solve_target) and
/// [`solve_with_quotas`](crate::solve_with_quotas).
pub(crate) fn solve_cost_target_with_quotas(
    problem: &Problem<'_>,
    share: f64,
    quotas: &Quotas<'_>,
    options: &Options,
) -> Result<QuotaTarget, SitingError> {
    let problem = Problem {
        limit: Limit::Count(0),
        ..*problem
    };
    let (free, free_plan) = solve_target_or_best(&problem, share, options)?;
    let quiet = Options {
        irreplaceability: false,
        ..*options
    };
    let found = least_cost_under_quotas(
        &problem,
        quotas,
        &free,
        &free_plan.selected,
        |b| {
            Ok(solve_constrained(
                &Problem {
                    limit: Limit::Budget(b),
                    ..problem
                },
                quotas,
                &quiet,
            )?
            .0
            .selected)
        },
        |set| Ok(coverage_of(&problem, set)),
    )?;
    let spent = found.target.cost.map_or(0.0, |c| c.spent);
    // The plan ranked by a solve over its sites alone under the quotas (the rule's first).
    let locked_out = only(&problem, &found.sites);
    let mut solution = solve_constrained(
        &Problem {
            limit: Limit::Count(found.sites.len()),
            cost: None,
            locked_out: &locked_out,
            ..problem
        },
        quotas,
        options,
    )?
    .0;
    let unconstrained = solve(
        &Problem {
            limit: same_budget(spent),
            ..problem
        },
        options,
    )?;
    set_bound(&mut solution, unconstrained.bound);
    Ok(finish(found, solution, unconstrained, &free))
}

/// The least total cost of new sites whose assigned demand reaches `share` while every
/// district gets its minimum, with the plan's capacitated solution (see the
/// [module documentation](self); each budget solved by the capacitated quota solve). The plan's
/// `unconstrained` is the same budget solved capacitated without the quotas, whose bound is the
/// plan's.
///
/// # Errors
/// Those of [`solve_target_with`](crate::solve_target_with) with [`CapacitatedTarget`] and of
/// [`solve_capacitated`].
pub(crate) fn solve_capacitated_cost_target_with_quotas(
    problem: &Problem<'_>,
    share: f64,
    capacity: &[f64],
    quotas: &Quotas<'_>,
    options: &CapacityOptions,
) -> Result<(QuotaTarget, CapacitatedSolution), SitingError> {
    let problem = Problem {
        limit: Limit::Count(0),
        ..*problem
    };
    let mut solves = CapacitatedTarget::new(capacity, *options);
    let (free, free_plan) = solve_target_or_best_with(&problem, share, &mut solves)?;
    let found = least_cost_under_quotas(
        &problem,
        quotas,
        &free,
        &free_plan.selected,
        |b| {
            Ok(capacitated_sites(
                &Problem {
                    limit: Limit::Budget(b),
                    ..problem
                },
                capacity,
                quotas,
                options,
            )?
            .0)
        },
        |set| assigned_with(&problem, capacity, set),
    )?;
    let spent = found.target.cost.map_or(0.0, |c| c.spent);
    let unconstrained = solve_capacitated(
        &Problem {
            limit: same_budget(spent),
            ..problem
        },
        capacity,
        options,
    )?;
    let c = ranked(&problem, capacity, &found.sites, unconstrained.bound)?;
    let plan = finish(found, c.to_solution(), unconstrained.to_solution(), &free);
    Ok((plan, c))
}

/// `solution`'s bound replaced by `bound` (that of the same budget without the quotas), never
/// below its objective.
fn set_bound(solution: &mut Solution, bound: f64) {
    solution.bound = bound.max(solution.objective);
    solution.gap = if solution.bound > 0.0 {
        ((solution.bound - solution.objective) / solution.bound).max(0.0)
    } else {
        0.0
    };
    solution.optimal = solution.gap <= 1e-9;
}

/// The target and its plan from the search's result.
fn finish(
    found: CostFound,
    solution: Solution,
    unconstrained: Solution,
    free: &TargetSolution,
) -> QuotaTarget {
    let equity = placed_by_rule(
        &found.quota,
        &found.report,
        &solution.selected,
        &unconstrained.selected,
    );
    let mut target = found.target;
    if found.reached {
        target.solution = Some(solution.clone());
    }
    QuotaTarget {
        target,
        plan: QuotaSolution {
            solution,
            equity,
            unconstrained,
            report: found.report,
        },
        quota_total: found.quota_total,
        without: free.solution.as_ref().map(|s| (s.selected.len(), free.lower)),
    }
}

#[cfg(test)]
mod tests;
