//! Capacitated siting under the equity quotas ([`solve_capacitated_with_quotas`]).
//!
//! The quotas are met first, as the uncapacitated solver does: one site at a time, the
//! candidate of a district still short whose exact gain in assigned demand (a maximum flow) is
//! the largest, ties to the lowest index. The rest of `p` is then chosen by
//! [`solve_capacitated`] with those sites locked in and the candidates of districts at their
//! maximum locked out (a district the solve takes past its maximum keeps its best new sites
//! up to the maximum, the rest of its candidates locked out, and the rest is solved again).
//! The uncapacitated solution under the quotas, evaluated by the flow, replaces that plan when
//! it assigns more. The bound is that of the capacitated problem without the quotas: the
//! quotas only shrink the feasible set, so it is an upper bound of the constrained optimum
//! (and the gap then includes the cost of the rule); that solve is also the plan without the
//! rule, for the cost of equity.

use super::super::instance::{Instance, NONE};
use super::super::solve::{placed_by_rule, solve_constrained};
use super::super::{
    CapacitatedSolution, CapacityOptions, Limit, Options, Problem, QuotaSolution, SitingError, assigned_with,
    solve_capacitated,
};
use super::{Quota, Quotas};

/// The capacitated plan under the quotas and, as a [`QuotaSolution`], with the same problem
/// solved without them.
///
/// # Errors
/// Those of [`solve_capacitated`] and [`solve_with_quotas`](crate::solve_with_quotas).
pub(crate) fn solve_capacitated_with_quotas(
    problem: &Problem<'_>,
    capacity: &[f64],
    quotas: &Quotas<'_>,
    options: &CapacityOptions,
) -> Result<(CapacitatedSolution, QuotaSolution), SitingError> {
    // Without the quotas: the bound, and the plan without the rule.
    let free = solve_capacitated(problem, capacity, options)?;
    let (quota, report, limit) = Quota::new(problem, quotas)?;
    let Limit::Count(p) = limit else {
        return Err(SitingError::CapacityBudget(match limit {
            Limit::Budget(b) => b,
            Limit::Count(_) => unreachable!(),
        }));
    };
    let m = problem.coverage.n_candidates();
    let inst = Instance::new(&Problem { limit, ..*problem })?;
    let mut locked_in: Vec<bool> = (0..m)
        .map(|j| problem.locked_in.get(j).copied().unwrap_or(false))
        .collect();
    let mut locked_out: Vec<bool> = (0..m)
        .map(|j| problem.locked_out.get(j).copied().unwrap_or(false))
        .collect();

    // The minimums first, on exact gains.
    let mut fill: Vec<usize> = Vec::new();
    let mut counts = vec![0usize; quota.need.len()];
    loop {
        let short = |j: usize| {
            let d = quota.district[j];
            d != NONE && counts[d as usize] < quota.need[d as usize]
        };
        let open: Vec<usize> = fill.clone();
        let mut best: Option<(usize, f64)> = None;
        for j in (0..m).filter(|&j| inst.allowed[j] && !fill.contains(&j) && short(j)) {
            let mut with = open.clone();
            with.push(j);
            let v = assigned_with(problem, capacity, &with)?;
            if best.is_none_or(|(_, b)| v > b) {
                best = Some((j, v));
            }
        }
        let Some((j, _)) = best else { break };
        fill.push(j);
        counts[quota.district[j] as usize] += 1;
    }
    for &j in &fill {
        locked_in[j] = true;
    }

    // The rest by the capacitated solver, within the maxima.
    let mut kept = fill.clone();
    let rest = loop {
        for j in 0..m {
            let d = quota.district[j];
            if d != NONE && !locked_in[j] && counts[d as usize] >= quota.cap[d as usize] {
                locked_out[j] = true;
            }
        }
        let left = p - kept.len();
        let r = solve_capacitated(
            &Problem {
                limit: Limit::Count(left),
                locked_in: &locked_in,
                locked_out: &locked_out,
                ..*problem
            },
            capacity,
            options,
        )?;
        let mut after = counts.clone();
        let mut over = false;
        for &j in &r.selected {
            let d = quota.district[j];
            if d != NONE {
                after[d as usize] += 1;
                over |= after[d as usize] > quota.cap[d as usize];
            }
        }
        if !over {
            break r.selected;
        }
        // Each district past its maximum keeps its first sites in the ranking up to it.
        for &j in &r.selected {
            let d = quota.district[j];
            if d != NONE
                && after[d as usize] > quota.cap[d as usize]
                && counts[d as usize] < quota.cap[d as usize]
            {
                counts[d as usize] += 1;
                locked_in[j] = true;
                kept.push(j);
            }
        }
    };
    let mut sites = kept;
    sites.extend(rest);

    // The uncapacitated plan under the quotas, evaluated by the flow.
    let (uncapacitated, _, _) = solve_constrained(
        problem,
        quotas,
        &Options {
            irreplaceability: false,
            ..Options::default()
        },
    )?;
    let (v_ours, v_theirs) = (
        assigned_with(problem, capacity, &sites)?,
        assigned_with(problem, capacity, &uncapacitated.selected)?,
    );
    if v_theirs > v_ours * (1.0 + 1e-12) {
        sites = uncapacitated.selected;
    }
    let solution = ranked(problem, capacity, &sites, free.bound)?;
    let equity = placed_by_rule(&quota, &report, &solution.selected, &free.selected);
    let plan = QuotaSolution {
        solution: solution.to_solution(),
        equity,
        unconstrained: free.to_solution(),
        report,
    };
    Ok((solution, plan))
}

/// The capacitated solution of the new sites `sites` in this order (ranking: the rule's
/// sites in the order they were placed, then the rest in the capacitated solver's ranking),
/// with the bound `bound`.
fn ranked(
    problem: &Problem<'_>,
    capacity: &[f64],
    sites: &[usize],
    bound: f64,
) -> Result<CapacitatedSolution, SitingError> {
    let m = problem.coverage.n_candidates();
    let mut locked_in: Vec<bool> = (0..m)
        .map(|j| problem.locked_in.get(j).copied().unwrap_or(false))
        .collect();
    let fixed: Vec<usize> = (0..m).filter(|&j| locked_in[j]).collect();
    for &j in sites {
        locked_in[j] = true;
    }
    // The assignment with every site open.
    let all = solve_capacitated(
        &Problem {
            limit: Limit::Count(0),
            locked_in: &locked_in,
            ..*problem
        },
        capacity,
        &CapacityOptions {
            bound_iterations: 0,
            interchange: false,
            ..CapacityOptions::default()
        },
    )?;
    let base = assigned_with(problem, capacity, &[])?;
    let mut cumulative = Vec::with_capacity(sites.len());
    for k in 1..sites.len() {
        cumulative.push(assigned_with(problem, capacity, &sites[..k])?);
    }
    let objective = all.objective;
    if !sites.is_empty() {
        cumulative.push(objective);
    }
    let marginal_gain = std::iter::once(base)
        .chain(cumulative.iter().copied())
        .collect::<Vec<_>>()
        .windows(2)
        .map(|w| w[1] - w[0])
        .collect();
    let load_of = |j: usize| all.open.iter().position(|&o| o == j).map_or(0.0, |k| all.load[k]);
    let open: Vec<usize> = fixed.iter().chain(sites).copied().collect();
    let load = open.iter().map(|&j| load_of(j)).collect();
    let bound = bound.max(objective);
    let gap = if bound > 0.0 {
        ((bound - objective) / bound).max(0.0)
    } else {
        0.0
    };
    Ok(CapacitatedSolution {
        selected: sites.to_vec(),
        marginal_gain,
        cumulative,
        locked_in_assigned: base,
        objective,
        bound,
        gap,
        optimal: gap <= 1e-9,
        assignments: all.assignments,
        open,
        load,
        unit_assigned: all.unit_assigned,
    })
}

mod combos;
pub(crate) use combos::{solve_capacitated_target_with_quotas, solve_phased_capacitated_with_quotas};

#[cfg(test)]
mod tests;
