//! Capacitated maximal coverage: each site serves at most `C_j` persons of demand.
//!
//! Units `i` have demand `d_i`, candidate `j` reaches unit `i` with fraction `f_ij` (the
//! [`Coverage`](crate::Coverage) table) and serves at most `C_j` (`+∞` for "uncapacitated").
//! With the locked-in sites and `p` new ones open, demand is assigned, `z_ij ≥ 0`,
//! `z_ij ≤ d_i·f_ij`, `Σ_j z_ij ≤ d_i`, `Σ_i z_ij ≤ C_j`, to maximise `Σ z_ij`; a unit may be
//! split across sites. [`solve_capacitated`] returns the sites, the assignment and a certified
//! gap:
//!
//! - **Exact**: the assignment for a given set of open sites, a maximum flow
//!   ([`flow`]: Dinic on source → units → sites → sink, at most `k + 1` phases for `k` open
//!   sites; the network holds only the units the open sites reach, so a flow costs about
//!   `O(k · pairs of the open sites)` and far less in practice). Every objective reported is such
//!   a flow.
//! - **Heuristic**: which sites to open ([`heuristic`]). The uncapacitated solution
//!   ([`crate::solve`]) evaluated by the flow and improved by interchange; greedy on exact gains of candidates
//!   screened by a lower-bound estimate (`min(C_j, reachable unassigned demand)`), then
//!   interchange the same way; then the site sets the Lagrangian subproblems pick are each
//!   evaluated by the flow (the Lagrangian heuristic), and the best of them, improved by
//!   interchange, replaces the greedy solution when it is better. One greedy or interchange
//!   step costs one pass over the (candidate, unit) pairs plus
//!   [`checks`](CapacityOptions::checks) + 1 flows.
//! - **Bound** ([`bound`]): the uncapacitated solution's bound when every coverage fraction
//!   is 1 (capacities only take away), and the Lagrangian relaxation of the unit constraints
//!   `Σ_j z_ij ≤ d_i`, minimised by subgradient (one pass over the pairs per iteration), and
//!   the trivial bounds (all reachable demand; the locked-in and `p` largest capacities, each
//!   capped by the demand the site reaches). At the optimal multipliers the Lagrangian bound is
//!   the LP relaxation's value, so the reported gap is against (at best) the LP bound, which
//!   may stay above the integer optimum even when the solution is optimal.
//!
//! - **Beyond the LP bound** ([`branch`]): while the gap is open after the subgradient, the best
//!   sites are improved by exact swaps ([`Search::exact_swaps`]: each site against every
//!   candidate, by flows in decreasing order of an upper bound of the gain) and an iterated
//!   local search ([`Search::perturbed`]: [`KICK_ROUNDS`] rounds closing [`KICK`] sites drawn
//!   from a fixed seed), then a best-first branch and bound on the sites, each node bounded by
//!   the Lagrangian of its restricted problem, lowers the bound below the LP relaxation's.
//!   Both are bounded by work (flows, subgradient iterations), never by time.
//!
//! The trivial bounds come first, then (when [`bound_iterations`](CapacityOptions::bound_iterations)
//! is not 0) the Lagrangian at the multipliers of the greedy sites' minimum cut (`μ_i = 1` for
//! the units on the sink side of their flow's minimum cut, 0 elsewhere: there the Lagrangian of
//! these sites equals their flow, so the bound exceeds the objective only by what other sites
//! could add; often it proves the greedy solution optimal at once), and again at the best
//! sites' cut before the subgradient when the interchange or the uncapacitated solution changed
//! them. Every step after the greedy (interchange, the uncapacitated solution, the Lagrangian
//! from `μ = 0` and its heuristic) runs only while the certified gap is above
//! [`CapacityOptions::stop_gap`], so a gap asked for (1 %, say) ends the search as soon as the
//! bound proves it.
//!
//! Under a budget ([`Limit::Budget`](crate::Limit::Budget), the candidates' costs in
//! `problem.cost`) the greedy opens the best exact gain per unit cost among the affordable
//! sites (and is compared with the same greedy started from the best single affordable site),
//! the interchange keeps within the budget and alternates with filling what is left, and the
//! bound's site choice becomes a fractional knapsack (its LP relaxation, so still an upper
//! bound; see [`bound`]); the trivial bound's `p` largest capacities become the fractional
//! knapsack of the capacities.
//! Results are deterministic: the same input gives the same bits whatever the rayon thread
//! count (parallel work is per candidate or in fixed chunks added in order, ties go to the
//! lowest index, and a set's flow does not depend on the order of its sites).

mod bound;
mod branch;
mod flow;
mod heuristic;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use super::instance::{Instance, Left, check_len};
use super::{Limit, Problem, SitingError, Solution};
use flow::Network;
use heuristic::Search;

/// Relative shortfall of a bound below the objective put down to rounding (then the bound is
/// raised to the objective).
const BOUND_NOISE: f64 = 1e-9;
/// Relative gap under which a solution counts as proven optimal.
const OPTIMAL_GAP: f64 = 1e-9;
/// Most flows the exact swaps and the iterated local search compute in all
/// ([`Search::exact_swaps`], [`Search::perturbed`]).
const SWAP_WORK: usize = 80_000;
/// Rounds of the iterated local search, sites each round closes, and the seed of its draws.
const KICK_ROUNDS: usize = 60;
const KICK: usize = 2;
const KICK_SEED: u64 = 7;
/// Pairs the branch and bound's subgradient iterations may pass over in all
/// ([`branch::branch_and_bound`]); the iterations are this over the instance's pairs, within
/// [`BRANCH_MIN`] and [`BRANCH_MAX`].
const BRANCH_WORK: usize = 2_000_000_000;
/// Fewest subgradient iterations of the branch and bound.
const BRANCH_MIN: usize = 200;
/// Most subgradient iterations of the branch and bound.
const BRANCH_MAX: usize = 20_000;

/// What [`solve_capacitated`] does beyond the greedy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CapacityOptions {
    /// Improve the greedy solution (and the Lagrangian heuristic's) by interchange (default
    /// `true`).
    pub interchange: bool,
    /// Subgradient iterations of the Lagrangian bound (default 300; 0 keeps only the trivial
    /// bounds and skips the Lagrangian heuristic).
    pub bound_iterations: usize,
    /// Candidates per greedy or interchange step whose exact gain is computed by a flow, the
    /// best by estimate (default 8, at least 1).
    pub checks: usize,
    /// The search stops once the certified gap (bound − best objective found) / bound is at
    /// most this: the interchange, the check of the uncapacitated solution and the subgradient
    /// each run only while it is above (default 1e-9: as tight as it gets; 1e-2 stops at a
    /// gap of 1 %).
    pub stop_gap: f64,
    /// Search beyond the LP bound while the gap is open after the subgradient: exact swaps,
    /// the iterated local search and the branch and bound (default `true`). Solvers that solve
    /// many capacitated problems for one plan (phases, targets, `[siting.equity]`) turn it off
    /// ([`CapacityOptions::for_one_of_many`]): each of their solves would pay for it (seconds
    /// at 2,000 candidates).
    pub beyond_lp: bool,
}

impl Default for CapacityOptions {
    fn default() -> Self {
        CapacityOptions {
            interchange: true,
            bound_iterations: 300,
            checks: 8,
            stop_gap: bound::STOP_GAP,
            beyond_lp: true,
        }
    }
}

impl CapacityOptions {
    /// The default options, stopping at the gap `gap` when one is given
    /// ([`stop_gap`](Self::stop_gap)).
    pub fn stopping_at(gap: Option<f64>) -> CapacityOptions {
        let default = CapacityOptions::default();
        CapacityOptions {
            stop_gap: gap.unwrap_or(default.stop_gap),
            ..default
        }
    }

    /// These options for one of the many solves of a phased plan, a target or
    /// `[siting.equity]`: without the search beyond the LP bound.
    pub fn for_one_of_many(self) -> CapacityOptions {
        CapacityOptions {
            beyond_lp: false,
            ..self
        }
    }
}

/// The chosen sites, their ranking, the certified gap and the assignment of demand.
#[derive(Debug, Clone, PartialEq)]
pub struct CapacitatedSolution {
    /// The new sites (candidate indices) in ranking order: the order in which a greedy on exact
    /// gains within the final set adds them, ties to the lowest index. Locked-in sites are never
    /// listed.
    pub selected: Vec<usize>,
    /// Marginal gain in assigned demand of each selected site, in that order.
    pub marginal_gain: Vec<f64>,
    /// Assigned demand with the locked-in sites and the first `k` selected sites,
    /// `k = 1..=selected.len()`; the last value is [`objective`](Self::objective).
    pub cumulative: Vec<f64>,
    /// Demand assigned with the locked-in sites alone.
    pub locked_in_assigned: f64,
    /// Total assigned demand, locked-in sites included (a maximum flow for these sites).
    pub objective: f64,
    /// An upper bound of the best possible objective, `≥ objective` (raised to the objective
    /// when rounding puts it a hair below).
    pub bound: f64,
    /// `(bound − objective) / bound`, 0 when the bound is 0.
    pub gap: f64,
    /// Whether the gap is at most 1e-9 (then the solution is optimal to that precision).
    pub optimal: bool,
    /// `(unit, candidate, assigned demand)` for every positive assignment, sorted by unit then
    /// candidate.
    pub assignments: Vec<(usize, usize, f64)>,
    /// The open sites: the locked-in sites in ascending index order, then the selected sites in
    /// ranking order.
    pub open: Vec<usize>,
    /// Demand assigned to each site of [`open`](Self::open), in that order.
    pub load: Vec<f64>,
    /// Share of each unit's demand that is assigned (`Σ_j z_ij / d_i`, 0 when `d_i = 0`).
    pub unit_assigned: Vec<f64>,
}

impl CapacitatedSolution {
    /// The solution as the uncapacitated solver gives it, for what reads a [`Solution`]: the
    /// unit coverage is the assigned share, each unit's site the one serving most of it (ties to
    /// the lowest index), and irreplaceability is empty (not computed: each would need `p` more
    /// solves).
    pub fn to_solution(&self) -> Solution {
        let mut unit_site: Vec<Option<(usize, f64)>> = vec![None; self.unit_assigned.len()];
        for &(u, j, z) in &self.assignments {
            if unit_site[u].is_none_or(|(_, best)| z > best) {
                unit_site[u] = Some((j, z));
            }
        }
        Solution {
            selected: self.selected.clone(),
            marginal_gain: self.marginal_gain.clone(),
            cumulative: self.cumulative.clone(),
            // `+ 0.0` turns a -0 from the flow into 0.
            locked_in_coverage: self.locked_in_assigned + 0.0,
            objective: self.objective,
            bound: self.bound,
            gap: self.gap,
            optimal: self.optimal,
            irreplaceability: Vec::new(),
            unit_coverage: self.unit_assigned.clone(),
            unit_site: unit_site.into_iter().map(|s| s.map(|x| x.0)).collect(),
        }
    }
}

/// The irreplaceability of each site of `selected` (the new sites of a capacitated solution of
/// `problem`, in ranking order): the assigned demand lost when that site is closed, the others
/// kept and completed by the screened greedy within the same limit (one replacement under a
/// count; under a budget, sites per unit cost while they fit). Not a full re-solve, so it may
/// overstate the loss a re-solve would find; `p` greedy steps of `checks` flows each.
///
/// # Errors
/// Those of [`solve_capacitated`] for the problem and the capacities.
pub fn capacitated_irreplaceability(
    problem: &Problem<'_>,
    capacity: &[f64],
    selected: &[usize],
    options: &CapacityOptions,
) -> Result<Vec<f64>, SitingError> {
    let inst = Instance::new(problem)?;
    check_len("capacity", capacity.len(), inst.m(), "candidates")?;
    let search = Search::new(&inst, capacity, options.checks);
    let left = match inst.limit {
        Limit::Count(_) => Left::Count(selected.len()),
        Limit::Budget(b) => Left::Budget(b),
    };
    let full = search.value(&mut Network::new(inst.n()), selected);
    Ok(selected
        .iter()
        .map(|&s| (full - search.without(selected, s, left)).max(0.0))
        .collect())
}

/// Multipliers of the unit constraints from the minimum cut of the flow of the locked-in sites
/// and `sites`: 1 for the units on the sink side, 0 for the others. At them the Lagrangian
/// restricted to these sites equals the flow's value (LP duality of the flow), so `L(μ)`
/// exceeds the objective only by what other sites could add: a start for the subgradient.
fn cut_multipliers(search: &Search<'_>, sites: &[usize]) -> Vec<f64> {
    let mut net = Network::new(search.inst.n());
    search.value(&mut net, sites);
    let mut mu = vec![0.0; search.inst.n()];
    net.sink_side(&mut mu);
    mu
}

/// Solves the capacitated maximal covering problem: `problem` as for [`solve`](crate::solve)
/// (demand, coverage fractions, locked-in and locked-out sites, `Limit::Count(p)`), with
/// `capacity[j]` the demand candidate `j` can serve (`+∞` allowed). The assignment for the
/// chosen sites is a maximum flow (exact); the sites come from a greedy with interchange and the
/// Lagrangian heuristic; the bound is the Lagrangian (LP) bound on the unit constraints, or a
/// trivial bound when smaller (see `capacity/mod.rs`).
///
/// # Errors
/// Those of [`solve`](crate::solve) for the problem itself; [`SitingError::Length`] when
/// `capacity` does not have one value per candidate; [`SitingError::Capacity`] for the first candidate that is not locked out and
/// whose capacity is not a number `> 0`.
pub fn solve_capacitated(
    problem: &Problem<'_>,
    capacity: &[f64],
    options: &CapacityOptions,
) -> Result<CapacitatedSolution, SitingError> {
    let inst = Instance::new(problem)?;
    let m = inst.m();
    check_len("capacity", capacity.len(), m, "candidates")?;
    let left = inst.full();
    let locked_out = |j: usize| problem.locked_out.get(j).copied().unwrap_or(false);
    if let Some(candidate) = (0..m).find(|&j| !locked_out(j) && (capacity[j].is_nan() || capacity[j] <= 0.0))
    {
        return Err(SitingError::Capacity {
            candidate,
            value: capacity[candidate],
        });
    }

    // Each step below runs only while the certified gap is above `stop_gap`.
    let mut bound = bound::trivial_bound(&inst, capacity, left);
    let open_gap =
        |bound: f64, value: f64| bound - value > options.stop_gap.max(bound::STOP_GAP) * bound.abs();
    let search = Search::new(&inst, capacity, options.checks);
    let (mut sites, mut value) = search.greedy(left);
    // The Lagrangian bound at the multipliers of the minimum cut of the flow of `sites`: one
    // subgradient iteration, often tight already (then the steps below are skipped).
    let relaxation = std::cell::OnceCell::new();
    let relaxation = || relaxation.get_or_init(|| bound::Relaxation::new(&inst, capacity));
    let cut_bound = |sites: &[usize], value: f64| {
        let start = cut_multipliers(&search, sites);
        relaxation()
            .run(
                bound::Open::of(&inst),
                left,
                value,
                (1, options.stop_gap),
                &start,
                bound::THETA,
                |_| f64::NEG_INFINITY,
            )
            .bound
    };
    if options.bound_iterations > 0 && open_gap(bound, value) {
        bound = bound.min(cut_bound(&sites, value));
    }
    let greedy_sites = sites.clone();
    if options.interchange && open_gap(bound, value) {
        (sites, value) = search.interchange(sites, value, left);
    }

    // The uncapacitated solution: its sites are a strong start when capacities bind little,
    // and with whole coverage (every fraction 1) its bound also bounds the capacitated optimum
    // (capacities only shrink what can be assigned). With partial fractions it does not: a
    // unit half inside two circles can be served in full here, but counts one half there.
    if open_gap(bound, value) {
        let uncapacitated = crate::solve(
            problem,
            &crate::Options {
                irreplaceability: false,
                ..crate::Options::default()
            },
        )?;
        {
            let mut net = Network::new(inst.n());
            let v = search.value(&mut net, &uncapacitated.selected);
            if v > value + heuristic::IMPROVEMENT * value.abs() {
                (sites, value) = if options.interchange {
                    search.interchange(uncapacitated.selected.clone(), v, left)
                } else {
                    (uncapacitated.selected.clone(), v)
                };
            }
        }
        let whole = (0..m).all(|j| problem.coverage.row(j).iter().all(|&(_, f)| f == 1.0));
        if whole {
            bound = bound.min(uncapacitated.bound);
        }
    }
    if options.bound_iterations > 0 && open_gap(bound, value) && sites != greedy_sites {
        bound = bound.min(cut_bound(&sites, value));
    }
    let mut root_mu = Vec::new();
    if options.bound_iterations > 0 && open_gap(bound, value) {
        // The Lagrangian heuristic: each distinct set the subproblems open, evaluated once.
        let mut seen: HashMap<Vec<usize>, f64> = HashMap::new();
        let mut net = Network::new(inst.n());
        let mut proposed = (f64::NEG_INFINITY, Vec::new());
        let relaxed = relaxation().run(
            bound::Open::of(&inst),
            left,
            value,
            (options.bound_iterations, options.stop_gap),
            &[],
            bound::THETA,
            |set| {
                if let Some(&v) = seen.get(set) {
                    return v;
                }
                let v = search.value(&mut net, set);
                seen.insert(set.to_vec(), v);
                if v > proposed.0 {
                    proposed = (v, set.to_vec());
                }
                v
            },
        );
        bound = bound.min(relaxed.bound);
        root_mu = relaxed.mu;
        let (v, set) = proposed;
        let mut sorted = sites.clone();
        sorted.sort_unstable();
        let full = match left {
            Left::Count(p) => set.len() == p,
            Left::Budget(_) => !set.is_empty(),
        };
        if full && set != sorted && open_gap(bound, value) {
            let (set, v) = if options.interchange {
                search.interchange(set, v, left)
            } else {
                (set, v)
            };
            if v > value + heuristic::IMPROVEMENT * value.abs() {
                (sites, value) = (set, v);
            }
        }
    }

    // Exact swaps to a local optimum, the iterated local search from it, then the branch and
    // bound from the best multipliers (each only while the gap is open).
    let budget = match left {
        Left::Count(_) => None,
        Left::Budget(b) => Some(b),
    };
    let mut swap_work = SWAP_WORK;
    if options.beyond_lp && options.interchange && open_gap(bound, value) {
        let (s, v) = search.exact_swaps(sites.clone(), value, budget, &mut swap_work);
        if v > value + heuristic::IMPROVEMENT * value.abs() {
            (sites, value) = (s, v);
        }
    }
    if options.beyond_lp && options.interchange && open_gap(bound, value) {
        let enough = bound * (1.0 - options.stop_gap.max(bound::STOP_GAP));
        let kick = (KICK_ROUNDS, KICK, KICK_SEED, enough);
        let (s, v) = search.perturbed((sites.clone(), value), kick, &mut swap_work);
        if v > value + heuristic::IMPROVEMENT * value.abs() {
            (sites, value) = (s, v);
        }
    }
    if options.beyond_lp && !root_mu.is_empty() && open_gap(bound, value) {
        let iterations = (BRANCH_WORK / relaxation().pairs().max(1)).clamp(BRANCH_MIN, BRANCH_MAX);
        let out = branch::branch_and_bound(
            (&search, relaxation()),
            left,
            (sites.clone(), value),
            (bound, std::mem::take(&mut root_mu)),
            options.stop_gap.max(bound::STOP_GAP),
            iterations,
        );
        bound = bound.min(out.bound);
        if out.value > value + heuristic::IMPROVEMENT * value.abs() {
            (sites, value) = (out.sites, out.value);
            if options.interchange && open_gap(bound, value) {
                let (s, v) = search.exact_swaps(sites.clone(), value, budget, &mut swap_work);
                if v > value + heuristic::IMPROVEMENT * value.abs() {
                    (sites, value) = (s, v);
                }
            }
        }
    }

    let (selected, curve) = search.rank(&sites);
    let objective = *curve.last().unwrap_or(&0.0);
    let locked_in_assigned = curve[0];
    debug_assert!(
        bound >= objective.max(value) * (1.0 - BOUND_NOISE),
        "bound {bound} below the objective {objective}"
    );
    let bound = bound.max(objective);
    let gap = if bound > 0.0 {
        ((bound - objective) / bound).max(0.0)
    } else {
        0.0
    };

    // The final flow, for the assignment.
    let mut net = Network::new(inst.n());
    let check = search.value(&mut net, &selected);
    debug_assert_eq!(check.to_bits(), objective.to_bits());
    let original = active_units(problem, &inst);
    let mut assignments: Vec<(usize, usize, f64)> = net
        .assignments(&inst)
        .into_iter()
        .map(|(i, j, z)| (original[i as usize], j, z))
        .collect();
    assignments.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let loads: HashMap<usize, f64> = net.loads().into_iter().collect();
    let open: Vec<usize> = inst.fixed.iter().chain(&selected).copied().collect();
    let load = open
        .iter()
        .map(|j| loads.get(j).copied().unwrap_or(0.0))
        .collect();
    let mut unit_assigned = vec![0.0; problem.coverage.n_units()];
    for (a, &u) in net.unit_assigned(inst.n()).into_iter().zip(&original) {
        unit_assigned[u] = (a / problem.demand[u]).min(1.0);
    }
    let marginal_gain = curve.windows(2).map(|w| w[1] - w[0]).collect();
    Ok(CapacitatedSolution {
        selected,
        marginal_gain,
        cumulative: curve[1..].to_vec(),
        locked_in_assigned,
        objective,
        bound,
        gap,
        optimal: gap <= OPTIMAL_GAP,
        assignments,
        open,
        load,
        unit_assigned,
    })
}

/// The demand assigned (a maximum flow) with the locked-in sites of `problem` and the new sites
/// `open` (candidate indices, no repeats) open, each serving at most `capacity[j]`.
///
/// # Errors
/// Those of [`solve_capacitated`] for the problem and the capacities.
pub fn assigned_with(problem: &Problem<'_>, capacity: &[f64], open: &[usize]) -> Result<f64, SitingError> {
    // A count of `open.len()` keeps every eligible site's units in the instance (a count of 0
    // would keep only the locked-in sites').
    let inst = Instance::new(&Problem {
        limit: Limit::Count(open.len()),
        ..*problem
    })?;
    check_len("capacity", capacity.len(), inst.m(), "candidates")?;
    let search = Search::new(&inst, capacity, 1);
    let mut net = Network::new(inst.n());
    Ok(search.value(&mut net, open))
}

/// The original index of each active unit of `inst`: the units with positive demand that a
/// usable site (locked in, or allowed) covers, in their original order, as
/// [`Instance::new`] numbers them.
fn active_units(problem: &Problem<'_>, inst: &Instance) -> Vec<usize> {
    let coverage = problem.coverage;
    let mut reached = vec![false; coverage.n_units()];
    for j in (0..inst.m())
        .filter(|&j| inst.allowed[j])
        .chain(inst.fixed.iter().copied())
    {
        for &(u, _) in coverage.row(j) {
            reached[u as usize] = true;
        }
    }
    let original: Vec<usize> = (0..coverage.n_units())
        .filter(|&u| reached[u] && problem.demand[u] > 0.0)
        .collect();
    debug_assert_eq!(original.len(), inst.n());
    original
}
