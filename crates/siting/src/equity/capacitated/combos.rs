//! Capacitated siting under the equity quotas with opening phases
//! ([`solve_phased_capacitated_with_quotas`]) and with a coverage target
//! ([`solve_capacitated_target_with_quotas`]).
//!
//! - **Phases** (counts or budgets): each phase is [`solve_capacitated_with_quotas`] with the
//!   earlier phases' sites locked in; the quotas are the whole plan's (locked-in sites count
//!   towards their district's minimum and maximum), so each phase first gives the districts
//!   still short their missing sites, in need order as far as its count or budget allows, as the
//!   uncapacitated phased plan does. Each phase's bound is the capacitated bound of that phase
//!   without the quotas given the earlier phases. The cost of phasing is against the unphased
//!   capacitated plan under the quotas; the cost of equity against the same phases solved
//!   capacitated without them.
//! - **Targets**: the fewest new sites whose assigned demand reaches the share while meeting
//!   the minimums. The lower bound is `max(Q, L)`: `Q` the new sites the minimums need, `L` the
//!   certified lower bound of the capacitated target without the quotas (the quotas only
//!   shrink the feasible sets). The count search is the uncapacitated one's
//!   ([`fewest_under_quotas`]) with [`solve_capacitated_with_quotas`] at each count.

use super::super::Quotas;
use super::super::combos::{QuotaTarget, fewest_under_quotas, phased_plan};
use super::solve_capacitated_with_quotas;
use crate::{
    CapacitatedSolution, CapacitatedTarget, CapacityOptions, Limit, PhasedSolution, Problem, QuotaSolution,
    SitingError, solve_phased_capacitated, solve_phased_with, solve_target_or_best_with,
};

/// The capacitated phased plan under the quotas: the phased solution
/// ([`PhasedSolution::unphased`] the unphased capacitated plan under the quotas), the last
/// phase's capacitated solution (its assignment and loads the whole plan's) and the plan as a
/// [`QuotaSolution`] (its `unconstrained` the same phases solved capacitated without the
/// quotas, its report the quotas over the whole plan). The phases are counts or budgets.
///
/// # Errors
/// Those of [`solve_phased_with`],
/// [`solve_phased_capacitated`] and [`solve_capacitated_with_quotas`].
pub(crate) fn solve_phased_capacitated_with_quotas(
    problem: &Problem<'_>,
    phases: &[Limit],
    capacity: &[f64],
    quotas: &Quotas<'_>,
    options: &CapacityOptions,
) -> Result<(PhasedSolution, CapacitatedSolution, QuotaSolution), SitingError> {
    let mut last = None;
    let phased = solve_phased_with(problem, phases, |p| {
        let (c, _) = solve_capacitated_with_quotas(p, capacity, quotas, options)?;
        let s = c.to_solution();
        last = Some(c);
        Ok(s)
    })?;
    let last = last.expect("at least one capacitated solve");
    let (without, _) = solve_phased_capacitated(problem, phases, capacity, options)?;
    let plan = phased_plan(problem, phases, quotas, &phased.combined, without.combined)?;
    Ok((phased, last, plan))
}

/// The fewest new sites whose assigned demand reaches `share` of the demand while every
/// district gets its minimum (see the [module documentation](self)), and the plan's capacitated
/// solution. `problem.limit` and `problem.cost` are ignored (counts, not costs). The plan's
/// `unconstrained` is the capacitated plan of the same count without the quotas; `without` the
/// capacitated target without them.
///
/// # Errors
/// Those of [`solve_target_with`](crate::solve_target_with) with [`CapacitatedTarget`] and of
/// [`solve_capacitated_with_quotas`].
pub(crate) fn solve_capacitated_target_with_quotas(
    problem: &Problem<'_>,
    share: f64,
    capacity: &[f64],
    quotas: &Quotas<'_>,
    options: &CapacityOptions,
) -> Result<(QuotaTarget, CapacitatedSolution), SitingError> {
    let problem = Problem {
        cost: None,
        limit: Limit::Count(0),
        ..*problem
    };
    let mut solves = CapacitatedTarget::new(capacity, *options);
    let (free, free_plan) = solve_target_or_best_with(&problem, share, &mut solves)?;
    let (mut target, (c, plan), quota_total, reached) = fewest_under_quotas(
        &problem,
        quotas,
        &free,
        free_plan.selected.len(),
        |k| {
            solve_capacitated_with_quotas(
                &Problem {
                    limit: Limit::Count(k),
                    ..problem
                },
                capacity,
                quotas,
                options,
            )
        },
        |(c, _)| c.objective,
    )?;
    if reached {
        target.solution = Some(plan.solution.clone());
    }
    Ok((
        QuotaTarget {
            target,
            plan,
            quota_total,
            without: free.solution.as_ref().map(|s| (s.selected.len(), free.lower)),
        },
        c,
    ))
}

#[cfg(test)]
mod tests;
