//! Capacitated siting under the equity quotas ([`solve_capacitated_with_quotas`]).
//!
//! The quotas are met first, as the uncapacitated solver does: one site at a time, the
//! candidate of a district still short whose exact gain in assigned demand (a maximum flow) is
//! the largest, ties to the lowest index; under a budget only among the candidates that leave
//! the missing sites of every district still short affordable at their cheapest (the minimums
//! [`Quota::new`] keeps for the budget, in need order, are then all met). The rest of `p` or of
//! the budget is then chosen by [`solve_capacitated`] with those sites locked in and the candidates of districts at their
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
use super::{Quota, QuotaReport, Quotas, cheapest};

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
    let (sites, quota, report) = capacitated_sites(problem, capacity, quotas, options)?;
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

/// The new sites of the capacitated plan under the quotas (the rule's first, in the order they
/// were placed, then the capacitated solver's), with the quotas as the solver takes them and
/// what they became; no solve without the quotas.
///
/// # Errors
/// Those of [`solve_capacitated`] and [`solve_with_quotas`](crate::solve_with_quotas).
pub(super) fn capacitated_sites(
    problem: &Problem<'_>,
    capacity: &[f64],
    quotas: &Quotas<'_>,
    options: &CapacityOptions,
) -> Result<(Vec<usize>, Quota, QuotaReport), SitingError> {
    let (quota, report, limit) = Quota::new(problem, quotas)?;
    let m = problem.coverage.n_candidates();
    let inst = Instance::new(&Problem { limit, ..*problem })?;
    let cost = &inst.cost;
    let mut locked_in: Vec<bool> = (0..m)
        .map(|j| problem.locked_in.get(j).copied().unwrap_or(false))
        .collect();
    let mut locked_out: Vec<bool> = (0..m)
        .map(|j| problem.locked_out.get(j).copied().unwrap_or(false))
        .collect();
    // What is left of the limit once `sites` are open.
    let left_after = |sites: &[usize]| match limit {
        Limit::Count(p) => Limit::Count(p - sites.len()),
        Limit::Budget(b) => Limit::Budget(b - sites.iter().map(|&j| cost[j]).sum::<f64>()),
    };

    // The minimums first, on exact gains; under a budget only candidates that leave the other
    // missing sites affordable at their cheapest.
    let mut fill: Vec<usize> = Vec::new();
    let mut counts = vec![0usize; quota.need.len()];
    loop {
        let short = |j: usize| {
            let d = quota.district[j];
            d != NONE && counts[d as usize] < quota.need[d as usize]
        };
        let wanted: Vec<usize> = (0..m)
            .filter(|&j| inst.allowed[j] && !fill.contains(&j) && short(j))
            .collect();
        let room = match left_after(&fill) {
            Limit::Budget(room) => Some(room),
            Limit::Count(_) => None,
        };
        let minimums = room.map(|_| MissingAtCheapest::new(&quota, &counts, &wanted, cost));
        let affordable = |j: usize| match (&minimums, room) {
            (Some(mins), Some(room)) => mins.affordable_with(j, room),
            _ => true,
        };
        let mut best: Option<(usize, f64)> = None;
        for &j in wanted.iter().filter(|&&j| affordable(j)) {
            let mut with = fill.clone();
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
        let left = left_after(&kept);
        if let Limit::Budget(b) = left
            && !(0..m).any(|j| inst.allowed[j] && !locked_in[j] && !locked_out[j] && cost[j] <= b)
        {
            break Vec::new();
        }
        let r = solve_capacitated(
            &Problem {
                limit: left,
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
    Ok((sites, quota, report))
}

/// The missing sites of every district short of its minimum at their cheapest, for one step
/// of the fill: the costs of `wanted` (the closed candidates of the districts still short) per
/// district, sorted, and what the missing sites cost in all.
struct MissingAtCheapest<'a> {
    quota: &'a Quota,
    cost: &'a [f64],
    costs: Vec<Vec<f64>>,
    missing: Vec<usize>,
    total: f64,
}

impl<'a> MissingAtCheapest<'a> {
    fn new(quota: &'a Quota, counts: &[usize], wanted: &[usize], cost: &'a [f64]) -> Self {
        let nd = quota.need.len();
        let mut costs: Vec<Vec<f64>> = vec![Vec::new(); nd];
        for &k in wanted {
            costs[quota.district[k] as usize].push(cost[k]);
        }
        for c in &mut costs {
            c.sort_unstable_by(f64::total_cmp);
        }
        let missing: Vec<usize> = (0..nd).map(|d| quota.need[d].saturating_sub(counts[d])).collect();
        let total = (0..nd).map(|d| cheapest(&costs[d], missing[d])).sum();
        MissingAtCheapest {
            quota,
            cost,
            costs,
            missing,
            total,
        }
    }

    /// Whether opening `j` (a candidate of `wanted`) leaves the missing sites of every district
    /// affordable at their cheapest within `room`, as the uncapacitated fill asks.
    fn affordable_with(&self, j: usize, room: f64) -> bool {
        let cost = self.cost;
        let d = self.quota.district[j] as usize;
        let (r, c) = (self.missing[d], &self.costs[d]);
        let here = cheapest(c, r);
        // The cheapest r − 1 others of the district once j is open.
        let pos = c.partition_point(|&x| x < cost[j]);
        let rest = if pos < r {
            here - cost[j]
        } else {
            cheapest(c, r - 1)
        };
        cost[j] <= room && cost[j] + rest + (self.total - here) <= room * (1.0 + 1e-12)
    }
}

/// The capacitated solution of the new sites `sites` in this order (ranking: the rule's
/// sites in the order they were placed, then the rest in the capacitated solver's ranking),
/// with the bound `bound`.
pub(super) fn ranked(
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
