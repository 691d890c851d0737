//! [`solve`]: heuristic, bound, optional exact search, ranking and irreplaceability.

use rayon::prelude::*;

use super::bound::{Lagrangian, Role, STOP_GAP, cheap_bound};
use super::equity::Quota;
use super::equity::{QuotaReport, Quotas};
use super::exact::branch_and_bound;
use super::fill::fill;
use super::greedy::{greedy, greedy_capped, greedy_from, rank};
use super::instance::{Instance, Left, NONE, State};
use super::swap::{improve, improve_capped, improve_from};
use super::{Limit, Options, Problem, QuotaSolution, SitingError, Solution};
use careblock_core::rng::SplitMix64;

/// Relative gap under which a solution counts as proven optimal.
const OPTIMAL_GAP: f64 = 1e-12;
/// Relative shortfall of a bound below the objective put down to rounding (then the bound is
/// raised to the objective).
const BOUND_NOISE: f64 = 1e-9;
/// Subgradient iterations per branch-and-bound node (at most `bound_iterations`).
const NODE_ITERATIONS: usize = 30;

/// Chooses the new sites. See the [module documentation](super) for the algorithms.
///
/// `Limit::Count(0)` returns the locked-in sites alone (not an error). Under a budget, candidates
/// costing more than the whole budget are never chosen, and if none is affordable the solution
/// is again the locked-in sites alone.
///
/// # Errors
/// [`SitingError::Length`] when `demand`, `cost`, `locked_in` or `locked_out` do not match the
/// coverage table; [`SitingError::Demand`] for a negative or non-finite demand;
/// [`SitingError::LockedBoth`]; [`SitingError::Budget`] / [`SitingError::MissingCost`] for a bad
/// budget; [`SitingError::Cost`] for a cost of an eligible candidate that is not finite and
/// `> 0`; [`SitingError::NoEligible`] when new sites are asked for and every candidate is
/// locked; [`SitingError::TooFewCandidates`] when `Count(p)` exceeds the eligible candidates.
pub fn solve(problem: &Problem<'_>, options: &Options) -> Result<Solution, SitingError> {
    let inst = Instance::new(problem)?;
    Ok(run(problem, inst, None, options))
}

/// [`solve`] under per-district bounds ([`Quotas`]), and the same problem without them.
///
/// Minimums that the eligible candidates, `p` or the budget cannot meet are lowered, and `p`
/// is lowered to what the maxima allow, as [`QuotaReport`] says: the constrained problem solved
/// is always feasible. The bound of the constrained solution is the smaller of its own bounds
/// and the unconstrained solution's bound, both computed without the quotas: constraints only
/// shrink the feasible set, so each is an upper bound of the constrained optimum.
///
/// # Errors
/// Those of [`solve`]; [`SitingError::Length`] when `district` does not have one entry per
/// candidate or `max`/`priority` one per district; [`SitingError::District`],
/// [`SitingError::Priority`], [`SitingError::MinAboveMax`].
pub fn solve_with_quotas(
    problem: &Problem<'_>,
    quotas: &Quotas<'_>,
    options: &Options,
) -> Result<QuotaSolution, SitingError> {
    let (mut solution, quota, report) = solve_constrained(problem, quotas, options)?;
    let unconstrained = solve(problem, options)?;
    if unconstrained.bound < solution.bound {
        tighten(&mut solution, unconstrained.bound);
    }
    let equity = placed_by_rule(&quota, &report, &solution.selected, &unconstrained.selected);
    Ok(QuotaSolution {
        solution,
        equity,
        unconstrained,
        report,
    })
}

/// The solution under the quotas alone (no unconstrained solve): its bound is that of the
/// problem without the quotas (valid: they only shrink the feasible set), with the quotas as
/// the solver takes them and what they became.
pub(crate) fn solve_constrained(
    problem: &Problem<'_>,
    quotas: &Quotas<'_>,
    options: &Options,
) -> Result<(Solution, Quota, QuotaReport), SitingError> {
    let (quota, report, limit) = Quota::new(problem, quotas)?;
    let constrained = Problem { limit, ..*problem };
    let inst = Instance::new(&constrained)?;
    let solution = run(&constrained, inst, Some(&quota), options);
    Ok((solution, quota, report))
}

/// Lowers `solution`'s bound to `bound` (another valid upper bound), never below its objective.
pub(crate) fn tighten(solution: &mut Solution, bound: f64) {
    solution.bound = bound.min(solution.bound).max(solution.objective);
    solution.gap = if solution.bound > 0.0 {
        ((solution.bound - solution.objective) / solution.bound).max(0.0)
    } else {
        0.0
    };
    solution.optimal = solution.optimal || solution.gap <= OPTIMAL_GAP;
}

/// Per site of `with` (ranking order): whether the rule placed it. In each district, the
/// sites beyond what `without` (the sites chosen without the rule) puts there, up to the sites
/// the minimum required, latest in the ranking first.
pub(crate) fn placed_by_rule(
    quota: &Quota,
    report: &QuotaReport,
    with: &[usize],
    without: &[usize],
) -> Vec<bool> {
    let nd = report.required.len();
    let (c_with, c_without) = (quota.counts(with), quota.counts(without));
    let mut flag: Vec<usize> = (0..nd)
        .map(|d| c_with[d].min(report.required[d]).saturating_sub(c_without[d]))
        .collect();
    let mut equity = vec![false; with.len()];
    for (k, &j) in with.iter().enumerate().rev() {
        let d = quota.district[j];
        if d != NONE && flag[d as usize] > 0 {
            flag[d as usize] -= 1;
            equity[k] = true;
        }
    }
    equity
}

/// The solver on a validated instance, with or without quotas.
fn run(problem: &Problem<'_>, inst: Instance, quota: Option<&Quota>, options: &Options) -> Solution {
    let (mut sites, mut value) = heuristic(&inst, &inst.allowed, inst.full(), options.swap, quota);

    // Certified bound; the Lagrangian subproblems also propose solutions.
    let mut bound = cheap_bound(&inst, &sites);
    let mut lambda = inst.demand.clone();
    if options.bound_iterations > 0 && bound - value > STOP_GAP * bound.abs() {
        let roles = root_roles(&inst);
        let relaxed =
            Lagrangian::new(&inst).run(&roles, inst.full(), &mut lambda, value, options.bound_iterations);
        bound = bound.min(relaxed.bound);
        if relaxed.value > value && quota.is_none_or(|q| q.satisfied(&relaxed.sites)) {
            let mut other = relaxed.sites;
            let mut state = State::with_sites(&inst, &other);
            polish(&mut state, &inst.allowed, &mut other, options.swap, quota);
            let v = state.value();
            if v > value {
                (sites, value) = (other, v);
            }
        }
    }
    if options.search_rounds > 0
        && options.swap
        && matches!(inst.limit, Limit::Count(_))
        && bound - value > STOP_GAP * bound.abs()
    {
        (sites, value) = local_search(&inst, sites, value, bound, options.search_rounds, quota);
    }
    let mut proven = false;
    if options.exact_max_nodes > 0 && bound - value > OPTIMAL_GAP * bound.abs() {
        let exact = branch_and_bound(
            &inst,
            (sites.clone(), value),
            bound,
            &mut lambda,
            options.exact_max_nodes,
            options.bound_iterations.min(NODE_ITERATIONS),
            quota,
        );
        if exact.value > value {
            sites = exact.sites;
            let mut state = State::with_sites(&inst, &sites);
            if !exact.finished {
                polish(&mut state, &inst.allowed, &mut sites, options.swap, quota);
            }
            value = state.value();
        }
        bound = bound.min(exact.bound);
        proven = exact.finished;
    }

    // Ranking.
    let ranking = rank(&inst, &sites);
    let objective = ranking.cumulative.last().copied().unwrap_or(ranking.base);
    // Every bound above is valid in exact arithmetic; a bound a hair under the objective can
    // only be rounding in the sums, so it is raised to the objective.
    let floor = objective.max(value);
    debug_assert!(
        bound >= floor - BOUND_NOISE * floor.abs(),
        "bound {bound} below the objective {floor}"
    );
    let bound = bound.max(objective);
    let gap = if bound > 0.0 {
        ((bound - objective) / bound).max(0.0)
    } else {
        0.0
    };

    let irreplaceability = if options.irreplaceability {
        let full = State::with_sites(&inst, &sites).value();
        // Under a count without quotas, each re-solve's fresh greedy replays this one's picks,
        // and both re-solves start from gains patched rather than recomputed.
        let replay =
            (quota.is_none() && matches!(inst.limit, Limit::Count(_))).then(|| Replay::new(&inst, &sites));
        ranking
            .order
            .par_iter()
            .map(|&s| {
                let rest = without(&inst, &ranking.order, s, options.swap, quota, replay.as_ref());
                (full - rest).max(0.0)
            })
            .collect()
    } else {
        Vec::new()
    };

    // Per-unit coverage on the original table.
    let coverage = problem.coverage;
    let mut open: Vec<usize> = inst.fixed.iter().chain(&ranking.order).copied().collect();
    open.sort_unstable();
    let mut unit_coverage = vec![0.0; coverage.n_units()];
    let mut unit_site = vec![None; coverage.n_units()];
    for j in open {
        for &(u, f) in coverage.row(j) {
            let u = u as usize;
            if f > unit_coverage[u] {
                unit_coverage[u] = f;
                unit_site[u] = Some(j);
            }
        }
    }
    Solution {
        selected: ranking.order,
        marginal_gain: ranking.gains,
        cumulative: ranking.cumulative,
        locked_in_coverage: ranking.base,
        objective,
        bound,
        gap,
        optimal: proven || gap <= OPTIMAL_GAP,
        irreplaceability,
        unit_coverage,
        unit_site,
    }
}

/// Covered demand of the locked-in sites of `problem` plus `sites` (without checking the
/// problem: a missing `locked_in` flag counts as not locked in, a missing demand as 0).
///
/// # Panics
/// If a site index is not a candidate of the coverage table.
pub fn coverage_of(problem: &Problem<'_>, sites: &[usize]) -> f64 {
    let coverage = problem.coverage;
    let mut best = vec![0.0_f64; coverage.n_units()];
    let locked = (0..coverage.n_candidates()).filter(|&j| problem.locked_in.get(j).copied().unwrap_or(false));
    for j in locked.chain(sites.iter().copied()) {
        for &(u, f) in coverage.row(j) {
            let b = &mut best[u as usize];
            *b = b.max(f);
        }
    }
    best.iter().zip(problem.demand).map(|(b, d)| d * b).sum()
}

/// Rounds without improvement after which the local search stops.
const PATIENCE: usize = 150;

/// Iterated local search (Count limits): each round closes a fifth of the new sites (at least
/// one), chosen by a SplitMix64 stream seeded with the round number, reopens as many greedily
/// among the other allowed sites, then interchanges over every allowed site; the result
/// replaces the incumbent when it covers more. Deterministic: no thread-dependent state.
fn local_search(
    inst: &Instance,
    mut best: Vec<usize>,
    mut value: f64,
    bound: f64,
    rounds: usize,
    quota: Option<&Quota>,
) -> (Vec<usize>, f64) {
    let k = best.len();
    if k == 0 {
        return (best, value);
    }
    let drop = (k / 5).max(1);
    let mut stale = 0;
    for round in 0..rounds {
        if stale >= PATIENCE || bound - value <= STOP_GAP * bound.abs() {
            break;
        }
        let mut rng = SplitMix64((round as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        // Perturbations of 1 to 2·drop sites, cycling, so both small and large moves are tried.
        let size = (1 + round % (2 * drop)).min(k);
        let mut kept = best.clone();
        let mut removed = Vec::with_capacity(size);
        for _ in 0..size {
            let i = (rng.next_u64() % kept.len() as u64) as usize;
            removed.push(kept.swap_remove(i));
        }
        let mut allowed = inst.allowed.clone();
        for &j in &removed {
            allowed[j] = false;
        }
        let mut state = State::with_sites(inst, &kept);
        match quota {
            None => {
                kept.extend(greedy(&mut state, &allowed, Left::Count(size)));
                if kept.len() < k {
                    continue;
                }
                improve(&mut state, &inst.allowed, &mut kept, None);
            }
            Some(q) => {
                let mut counts = q.counts(&kept);
                kept.extend(fill(&mut state, &allowed, q, &mut counts, Left::Count(size)).0);
                if kept.len() < k {
                    continue;
                }
                improve_capped(&mut state, &inst.allowed, &mut kept, None, Some((q, &mut counts)));
                if !q.satisfied(&kept) {
                    continue; // the removed sites were a district's only ones
                }
            }
        }
        let v = state.value();
        if v > value * (1.0 + 1e-12) {
            (best, value) = (kept, v);
            stale = 0;
        } else {
            stale += 1;
        }
    }
    (best, value)
}

fn root_roles(inst: &Instance) -> Vec<Role> {
    let mut roles: Vec<Role> = inst
        .allowed
        .iter()
        .map(|&a| if a { Role::Free } else { Role::Out })
        .collect();
    for &j in &inst.fixed {
        roles[j] = Role::In;
    }
    roles
}

/// What the irreplaceability re-solves share under a count without quotas: the greedy's picks
/// over all allowed sites (`root`), the gains after each of its first picks (`prefix[p]` with
/// `root[..p]` open) and the gains with the chosen sites open (`full`), all as
/// [`State::gains`] over the instance's allowed sites, built by [`State::patch_gains`].
struct Replay {
    root: Vec<usize>,
    prefix: Vec<Vec<f64>>,
    full: Vec<f64>,
}

impl Replay {
    fn new(inst: &Instance, sites: &[usize]) -> Replay {
        let root = greedy(&mut State::new(inst), &inst.allowed, inst.full());
        let mut state = State::new(inst);
        let mut gains = state.gains(&inst.allowed);
        let mut prefix = Vec::with_capacity(root.len() + 1);
        prefix.push(gains.clone());
        for &j in &root {
            state.open(j);
            state.patch_gains(&inst.allowed, &mut gains, &[j]);
            prefix.push(gains.clone());
        }
        let full = State::with_sites(inst, sites).gains(&inst.allowed);
        Replay { root, prefix, full }
    }
}

/// The objective of [`heuristic`] under `Left::Count(k)` without quotas, for `allowed` = the
/// instance's allowed sites but `s`, given the greedy's picks over all of them.
///
/// The greedy opens the argmax of the gains (ties to the lowest index) at each step, and
/// forbidding `s` changes no argmax but `s` itself: so without `s` the greedy opens what it
/// opened with it, in the same order, up to the step where it opened `s` (all of the picks if
/// it never did). Those sites are opened in that order, the same state as the fresh run's, its
/// gains taken from `replay` (with `s`'s set to 0, as `allowed` bars it), and only the rest is
/// searched; then the same interchange, from gains patched for the sites the greedy added.
fn replayed(inst: &Instance, allowed: &[bool], replay: &Replay, s: usize, k: usize, swap: bool) -> f64 {
    let root = &replay.root;
    let prefix = root.iter().position(|&j| j == s).unwrap_or(root.len()).min(k);
    let mut state = State::new(inst);
    let mut sites = root[..prefix].to_vec();
    for &j in &sites {
        state.open(j);
    }
    let mut gains = replay.prefix[prefix].clone();
    gains[s] = 0.0;
    let more = greedy_from(&mut state, allowed, Left::Count(k - prefix), None, Some(&gains));
    if swap {
        state.patch_gains(allowed, &mut gains, &more);
        sites.extend(more);
        improve_from(&mut state, allowed, &mut sites, None, None, gains);
    }
    state.value()
}

/// Greedy (cost-benefit greedy against the best single site under a budget) then, if `swap`,
/// interchange. Returns the new sites and their objective.
fn heuristic(
    inst: &Instance,
    allowed: &[bool],
    left: Left,
    swap: bool,
    quota: Option<&Quota>,
) -> (Vec<usize>, f64) {
    if let Some(q) = quota {
        // The minimums first, then coverage within the caps; improved within the bounds.
        let mut state = State::new(inst);
        let mut counts = vec![0; q.need.len()];
        let (mut sites, _) = fill(&mut state, allowed, q, &mut counts, left);
        polish(&mut state, allowed, &mut sites, swap, quota);
        return (sites, state.value());
    }
    match left {
        Left::Count(k) => {
            let mut state = State::new(inst);
            let mut sites = greedy(&mut state, allowed, Left::Count(k));
            polish(&mut state, allowed, &mut sites, swap, None);
            (sites, state.value())
        }
        Left::Budget(b) => {
            let mut a = State::new(inst);
            let mut sites = greedy(&mut a, allowed, left);
            let base = State::new(inst);
            let gains = base.gains(allowed);
            let single = (0..inst.m()).filter(|&j| allowed[j] && inst.cost[j] <= b).fold(
                None,
                |acc: Option<usize>, j| match acc {
                    Some(x) if gains[x] >= gains[j] => Some(x),
                    _ => Some(j),
                },
            );
            let mut state = a;
            if let Some(j) = single {
                let mut s = base;
                s.open(j);
                let mut other = vec![j];
                other.extend(greedy(&mut s, allowed, Left::Budget(b - inst.cost[j])));
                if s.value() > state.value() {
                    (state, sites) = (s, other);
                }
            }
            polish(&mut state, allowed, &mut sites, swap, None);
            let value = state.value();
            (sites, value)
        }
    }
}

/// Improves the new sites `sites` (open in `state`): interchange if `swap`; under a budget,
/// alternately with greedy filling of the budget left, until neither changes the set (without
/// `swap`, one filling).
fn polish(
    state: &mut State<'_>,
    allowed: &[bool],
    sites: &mut Vec<usize>,
    swap: bool,
    quota: Option<&Quota>,
) {
    let inst = state.instance();
    let mut counts = quota.map(|q| q.counts(sites)).unwrap_or_default();
    match inst.limit {
        Limit::Count(_) => {
            if swap {
                improve_capped(state, allowed, sites, None, with(quota, &mut counts));
            }
        }
        Limit::Budget(b) => {
            for _ in 0..100 {
                if swap {
                    improve_capped(state, allowed, sites, Some(b), with(quota, &mut counts));
                }
                let more = greedy_capped(
                    state,
                    allowed,
                    Left::Budget(b - inst.spent(sites)),
                    with(quota, &mut counts),
                );
                if more.is_empty() || !swap {
                    sites.extend(more);
                    break;
                }
                sites.extend(more);
            }
        }
    }
}

/// The quota and the counts, for the capped greedy and interchange.
fn with<'a>(quota: Option<&'a Quota>, counts: &'a mut [usize]) -> Option<(&'a Quota, &'a mut [usize])> {
    quota.map(|q| (q, counts))
}

/// The best objective found without site `s`, by the same heuristic: the better of a fresh run
/// with `s` forbidden and of the other selected sites completed greedily then improved.
///
/// `replay`, under a count without quotas, holds the greedy's picks over all allowed sites and
/// the gains along them: the fresh run then starts from them (see [`replayed`]) instead of
/// searching from nothing, and both runs from patched gains, with the same result.
fn without(
    inst: &Instance,
    sites: &[usize],
    s: usize,
    swap: bool,
    quota: Option<&Quota>,
    replay: Option<&Replay>,
) -> f64 {
    let mut allowed = inst.allowed.clone();
    allowed[s] = false;
    let count = match inst.limit {
        Limit::Count(p) => p.min(allowed.iter().filter(|&&a| a).count()),
        Limit::Budget(_) => 0,
    };
    let left = match inst.limit {
        Limit::Count(_) => Left::Count(count),
        Limit::Budget(b) => Left::Budget(b),
    };
    let mut rest: Vec<usize> = sites.iter().copied().filter(|&j| j != s).collect();
    if let (Some(replay), Left::Count(k), None) = (replay, left, quota) {
        let fresh = replayed(inst, &allowed, replay, s, k, swap);
        let mut state = State::with_sites(inst, &rest);
        let mut gains = replay.full.clone();
        state.patch_gains(&allowed, &mut gains, &[s]);
        let more = greedy_from(
            &mut state,
            &allowed,
            inst.left_after(&rest, count),
            None,
            Some(&gains),
        );
        if swap {
            state.patch_gains(&allowed, &mut gains, &more);
            rest.extend(more);
            improve_from(&mut state, &allowed, &mut rest, None, None, gains);
        }
        return fresh.max(state.value());
    }
    let fresh = heuristic(inst, &allowed, left, swap, quota).1;
    let mut state = State::with_sites(inst, &rest);
    let more = match quota {
        None => greedy(&mut state, &allowed, inst.left_after(&rest, count)),
        Some(q) => {
            let mut counts = q.counts(&rest);
            fill(
                &mut state,
                &allowed,
                q,
                &mut counts,
                inst.left_after(&rest, count),
            )
            .0
        }
    };
    rest.extend(more);
    polish(&mut state, &allowed, &mut rest, swap, quota);
    fresh.max(state.value())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::random;
    use crate::{Coverage, Problem};
    use careblock_core::rng::SplitMix64;

    /// Patched gains equal recomputed ones bit for bit after sites open and close, with and
    /// without a site barred, including locked-in sites and sites covering no active unit.
    #[test]
    fn patched_gains_equal_recomputed_gains() {
        let mut rng = SplitMix64(11);
        for case in 0..40 {
            let (n, m) = (15 + case % 20, 5 + case % 10);
            let (coverage, demand): (Coverage, Vec<f64>) = random(&mut rng, n, m, [0.05, 0.2, 0.5][case % 3]);
            let locked_in: Vec<bool> = (0..m).map(|j| case % 3 == 0 && j % 4 == 0).collect();
            let problem = Problem {
                demand: &demand,
                coverage: &coverage,
                limit: Limit::Count(1),
                cost: None,
                locked_in: &locked_in,
                locked_out: &[],
            };
            let inst = Instance::new(&problem).unwrap();
            let mut state = State::new(&inst);
            let mut allowed = inst.allowed.clone();
            let mut gains = state.gains(&allowed);
            for _ in 0..12 {
                let j = rng.below(m);
                if inst.fixed.contains(&j) {
                    continue;
                }
                if state.is_open(j) {
                    state.close(j);
                } else if rng.uniform() < 0.3 {
                    allowed[j] = !allowed[j];
                } else {
                    state.open(j);
                }
                state.patch_gains(&allowed, &mut gains, &[j]);
                let fresh = state.gains(&allowed);
                let bits = |g: &[f64]| g.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&gains), bits(&fresh), "case {case}, site {j}");
            }
        }
    }

    /// Replaying the root greedy gives exactly the fresh run's objective, for every site,
    /// including instances full of ties (half the coverage fractions are 1), locked-in sites and
    /// `p` equal to the eligible candidates.
    #[test]
    fn replayed_greedy_equals_the_fresh_run() {
        let mut rng = SplitMix64(7);
        let mut compared = 0;
        for case in 0..60 {
            let (n, m) = (20 + case % 30, 6 + case % 9);
            let density = [0.1, 0.3, 0.6][case % 3];
            let (coverage, demand): (Coverage, Vec<f64>) = random(&mut rng, n, m, density);
            let locked_in: Vec<bool> = (0..m).map(|j| case % 4 == 0 && j % 5 == 0).collect();
            let eligible = locked_in.iter().filter(|&&l| !l).count();
            let p = if case % 7 == 0 { eligible } else { 1 + case % 4 };
            let problem = Problem {
                demand: &demand,
                coverage: &coverage,
                limit: Limit::Count(p),
                cost: None,
                locked_in: &locked_in,
                locked_out: &[],
            };
            let inst = Instance::new(&problem).unwrap();
            for swap in [true, false] {
                let (sites, _) = heuristic(&inst, &inst.allowed, inst.full(), swap, None);
                let shared = Replay::new(&inst, &sites);
                for &s in &sites {
                    let fresh = without(&inst, &sites, s, swap, None, None);
                    let replay = without(&inst, &sites, s, swap, None, Some(&shared));
                    assert_eq!(
                        fresh.to_bits(),
                        replay.to_bits(),
                        "case {case}, site {s}, swap {swap}"
                    );
                    compared += 1;
                }
            }
        }
        assert!(compared > 200, "{compared}");
    }
}
