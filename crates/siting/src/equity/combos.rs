//! The equity quotas combined with the other ways of opening sites: opening phases
//! ([`solve_phased_with_quotas`]) and coverage targets ([`solve_target_with_quotas`]).
//!
//! - **Phases**: the quotas are the whole plan's. Each phase is solved by the quota solver
//!   with the earlier phases' sites locked in, and locked-in sites count towards their
//!   district's minimum and maximum, so each phase gives the districts still short their
//!   missing sites first (in need order, as far as the phase's count or budget allows), then
//!   maximises its coverage. The neediest districts without a site are served in the first
//!   phase, and by the last phase every minimum the whole plan can meet is met: with counts,
//!   the districts served are those the unphased plan serves (both serve the need order until
//!   the total is spent). The cost of phasing is against the unphased plan under the quotas;
//!   the cost of equity against the same phases without the quotas.
//! - **Targets**: the fewest new sites reaching the share while meeting the minimums. No
//!   count below the new sites the minimums need (their total, `Q`) meets them, and no count
//!   below the lower bound of the target without the quotas (`L`: the certified bound of the
//!   best `L − 1` sites falls short) reaches the share with or without them: `max(Q, L)` is a
//!   certified lower bound. The search starts at `max(Q, k₀)` (`k₀` the count found without
//!   the quotas), goes up by a quarter at a time until a quota solution reaches the share, then
//!   down one at a time while one still does. The least-cost target under the quotas is
//!   [`super::cost_target`]'s.

use super::super::solve::{placed_by_rule, solve_constrained};
use super::super::{
    Limit, Options, PhasedSolution, Problem, QuotaSolution, SitingError, Solution, TargetSolution, solve,
    solve_phased, solve_phased_with, solve_target_or_best,
};
use super::{Quota, Quotas};

/// The sum of the phases' limits (counts or budgets; `solve_phased_with` has checked they do
/// not mix).
pub(super) fn total_limit(phases: &[Limit]) -> Limit {
    match phases.first() {
        Some(Limit::Budget(_)) => Limit::Budget(
            phases
                .iter()
                .map(|l| if let Limit::Budget(b) = l { *b } else { 0.0 })
                .sum(),
        ),
        _ => Limit::Count(
            phases
                .iter()
                .map(|l| if let Limit::Count(p) = l { *p } else { 0 })
                .sum(),
        ),
    }
}

/// The phased plan under the quotas ([`PhasedSolution::unphased`] is the unphased plan under
/// the quotas) and the plan as a [`QuotaSolution`]: its solution the phases joined, its
/// `unconstrained` the same phases solved without the quotas, its report the quotas over the
/// whole plan (the total limit, the original locked-in sites). Costs `2·(phases + 1)` solves.
///
/// # Errors
/// Those of [`solve_phased_with`] and [`solve_with_quotas`](crate::solve_with_quotas).
pub(crate) fn solve_phased_with_quotas(
    problem: &Problem<'_>,
    phases: &[Limit],
    quotas: &Quotas<'_>,
    options: &Options,
) -> Result<(PhasedSolution, QuotaSolution), SitingError> {
    let phased = solve_phased_with(problem, phases, |p| Ok(solve_constrained(p, quotas, options)?.0))?;
    let without = solve_phased(
        problem,
        phases,
        &Options {
            irreplaceability: false,
            ..*options
        },
    )?;
    let plan = phased_plan(problem, phases, quotas, &phased.combined, without.combined)?;
    Ok((phased, plan))
}

/// A phased plan under the quotas as a [`QuotaSolution`]: `combined` the phases joined,
/// `without` the same phases solved without the quotas, the report the quotas over the whole
/// plan (the total limit, the original locked-in sites) — for the uncapacitated and the
/// capacitated phases alike.
///
/// # Errors
/// Those of [`Quota::new`].
pub(crate) fn phased_plan(
    problem: &Problem<'_>,
    phases: &[Limit],
    quotas: &Quotas<'_>,
    combined: &Solution,
    without: Solution,
) -> Result<QuotaSolution, SitingError> {
    let (quota, report, _) = Quota::new(
        &Problem {
            limit: total_limit(phases),
            ..*problem
        },
        quotas,
    )?;
    let equity = placed_by_rule(&quota, &report, &combined.selected, &without.selected);
    Ok(QuotaSolution {
        solution: combined.clone(),
        equity,
        unconstrained: without,
        report,
    })
}

/// The result of [`solve_target_with_quotas`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QuotaTarget {
    /// The target under the quotas: its solution the plan when reached; `lower` is
    /// `max(Q, L)`; without maxima its reach is the target's without the quotas.
    pub(crate) target: TargetSolution,
    /// The plan (the fewest sites found reaching the share under the quotas or, when it is out
    /// of reach, the plan of the fewest reaching the best share) with the same count solved
    /// without the quotas.
    pub(crate) plan: QuotaSolution,
    /// New sites the minimums need in all (`Q`).
    pub(crate) quota_total: usize,
    /// The fewest new sites found reaching the share without the quotas, and its proven lower
    /// bound (`None` when out of reach).
    pub(crate) without: Option<(usize, usize)>,
}

/// The fewest new sites whose coverage reaches `share` of the demand while every district
/// gets its minimum (see the [module documentation](self)). `problem.limit` and `problem.cost`
/// are ignored (counts, not costs).
///
/// # Errors
/// Those of [`solve_target`](crate::solve_target) and
/// [`solve_with_quotas`](crate::solve_with_quotas).
pub(crate) fn solve_target_with_quotas(
    problem: &Problem<'_>,
    share: f64,
    quotas: &Quotas<'_>,
    options: &Options,
) -> Result<QuotaTarget, SitingError> {
    let problem = Problem {
        cost: None,
        limit: Limit::Count(0),
        ..*problem
    };
    let (free, free_plan) = solve_target_or_best(&problem, share, options)?;
    let (mut target, best, quota_total, reached) = fewest_under_quotas(
        &problem,
        quotas,
        &free,
        free_plan.selected.len(),
        |k| {
            solve_constrained(
                &Problem {
                    limit: Limit::Count(k),
                    ..problem
                },
                quotas,
                options,
            )
        },
        |s| s.0.objective,
    )?;
    let (solution, quota, report) = best;
    let unconstrained = solve(
        &Problem {
            limit: Limit::Count(solution.selected.len()),
            ..problem
        },
        options,
    )?;
    let equity = placed_by_rule(&quota, &report, &solution.selected, &unconstrained.selected);
    if reached {
        target.solution = Some(solution.clone());
    }
    Ok(QuotaTarget {
        target,
        plan: QuotaSolution {
            solution,
            equity,
            unconstrained,
            report,
        },
        quota_total,
        without: free.solution.as_ref().map(|s| (s.selected.len(), free.lower)),
    })
}

/// The count search of a target under the quotas, whatever the solver: `free` is the target
/// solved without the quotas and `found` the count of its plan (the fewest found reaching the
/// share, or the best possible share when it is out of reach); `at(k)` solves `k` new sites
/// under the quotas, `value` its objective. Returns the target (its `solution` left `None`
/// for the caller to fill; `lower` is `max(Q, L)`; `solves.0` counts the calls of `at`), the
/// plan's solve, `Q`, and whether the plan reaches the share.
pub(super) fn fewest_under_quotas<T>(
    problem: &Problem<'_>,
    quotas: &Quotas<'_>,
    free: &TargetSolution,
    found: usize,
    mut at: impl FnMut(usize) -> Result<T, SitingError>,
    value: impl Fn(&T) -> f64,
) -> Result<(TargetSolution, T, usize, bool), SitingError> {
    let flag = |f: &[bool], j: usize| f.get(j).copied().unwrap_or(false);
    let m = problem.coverage.n_candidates();
    let n_eligible = (0..m)
        .filter(|&j| !flag(problem.locked_in, j) && !flag(problem.locked_out, j))
        .count();
    // With every eligible candidate as the limit, the minimums are lowered only where a
    // district lacks candidates: `Q`; and `room`, the most new sites the maxima allow.
    let (_, all, _) = Quota::new(
        &Problem {
            limit: Limit::Count(n_eligible),
            ..*problem
        },
        quotas,
    )?;
    let quota_total: usize = all.required.iter().sum();
    let room = all.count.unwrap_or(n_eligible);
    let mut target = free.clone();
    target.solution = None;
    target.lower = free.lower.max(quota_total);
    let reaches = |v: f64| v >= free.goal * (1.0 - 1e-12);
    let mut k = quota_total.max(found).min(room);
    target.solves.0 += 1;
    let mut best = at(k)?;
    if free.reached() {
        // Up by a quarter at a time (at least one) until a quota solution reaches the share.
        while !reaches(value(&best)) && k < room {
            k = (k + k.div_ceil(4).max(1)).min(room);
            target.solves.0 += 1;
            best = at(k)?;
        }
        if reaches(value(&best)) {
            // Down one at a time while one still reaches it.
            while k > target.lower {
                target.solves.0 += 1;
                let fewer = at(k - 1)?;
                if !reaches(value(&fewer)) {
                    break;
                }
                (k, best) = (k - 1, fewer);
            }
            return Ok((target, best, quota_total, true));
        }
        // Only maxima can make a reachable share unreachable under the quotas: the best found
        // with the most sites they allow.
        target.best_possible = value(&best);
        target.eligible = room;
    }
    Ok((target, best, quota_total, false))
}

#[cfg(test)]
mod tests;
