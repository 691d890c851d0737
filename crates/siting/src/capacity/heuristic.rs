//! The heuristic search for the new sites: greedy, interchange, and the ranking of the final
//! set, every move confirmed by the exact flow.
//!
//! The exact gain of opening `j` next to the open set `S` is `flow(S ∪ {j}) − flow(S)`, one
//! max-flow. To avoid one per candidate, candidates are screened by the estimate
//! `e_j = min(C_j, Σ_i min(r_i, d_i·f_ij))`, with `r_i` the demand of unit `i` left unassigned by
//! the flow of `S`: `e_j` is what `j` serves without rerouting anyone, so a lower bound of the
//! exact gain. The [`checks`](super::CapacityOptions::checks) best estimates (ties to the lowest
//! index) get their exact gain, in parallel, and the best exact gain wins (ties to the lowest
//! index). The estimates are one pass over the (candidate, unit) pairs.
//!
//! - **Greedy**: `p` times, open the winner. Under a budget, the winner is the best exact gain
//!   per unit cost among the affordable candidates screened by estimate per unit cost, until
//!   no affordable candidate adds anything; and the better of that and the same greedy started
//!   from the best single affordable site (the cost-benefit greedy alone can be far off when a
//!   large site is worth its price).
//! - **Interchange**: for each new site `s` in turn, the flow of the open set without `s`, then
//!   the best replacement among the screened candidates (`s` itself included); a swap is made
//!   when it raises the objective by more than [`IMPROVEMENT`] relative. Passes until one makes
//!   no swap, at most [`MAX_PASSES`]. Under a budget a replacement must fit the budget left by
//!   the other sites, and after the passes the budget left is filled by the greedy; both again
//!   until neither changes the set.
//! - **Ranking**: greedy within the final set, on exact gains; the curve is made of fresh
//!   flows, so its last value is bit for bit the final set's flow.
//!
//! Each confirming flow starts from the flow of the set it extends ([`Network::solve_from`]),
//! so only the augmenting paths through the added site remain to be found; with many locked-in
//! sites this is most of the saving.

use rayon::prelude::*;

use super::super::instance::{CANDIDATES_PER_TASK, Instance, Left};
use super::flow::{Network, Start};

/// Relative improvement a swap must bring.
pub(super) const IMPROVEMENT: f64 = 1e-12;
/// Most interchange passes.
const MAX_PASSES: usize = 20;
/// Candidates whose swap flows [`Search::exact_swaps`] computes at a time (in parallel),
/// between two checks of the bound.
const SWAP_BATCH: usize = 8;

/// The search state shared by the greedy, the interchange and the ranking.
pub(super) struct Search<'a> {
    pub(super) inst: &'a Instance,
    pub(super) capacity: &'a [f64],
    checks: usize,
}

impl<'a> Search<'a> {
    pub(super) fn new(inst: &'a Instance, capacity: &'a [f64], checks: usize) -> Search<'a> {
        Search {
            inst,
            capacity,
            checks: checks.max(1),
        }
    }

    /// The locked-in sites and `sites`.
    fn with_fixed(&self, sites: &[usize]) -> Vec<usize> {
        let mut open = self.inst.fixed.clone();
        open.extend_from_slice(sites);
        open
    }

    /// Assigned demand with the locked-in sites and `sites` open.
    pub(super) fn value(&self, net: &mut Network, sites: &[usize]) -> f64 {
        net.solve(self.inst, self.capacity, &self.with_fixed(sites))
    }

    /// Exact objectives of `base ∪ {j}` for each `j` of `candidates`, in parallel, in order,
    /// each flow started from `start` (the flow of `base`).
    fn values_with(&self, base: &[usize], candidates: &[usize], start: &Start) -> Vec<f64> {
        let n = self.inst.n();
        candidates
            .par_iter()
            .with_max_len(1)
            .map_init(
                || (Network::new(n), Vec::new()),
                |(net, sites), &j| {
                    sites.clear();
                    sites.extend_from_slice(base);
                    sites.push(j);
                    net.solve_from(self.inst, self.capacity, &self.with_fixed(sites), Some(start))
                },
            )
            .collect()
    }

    /// The best site to add to `base` (new sites) among the candidates `eligible` accepts:
    /// screened by estimate, confirmed by the flow (both per unit cost when `per_cost`). `None`
    /// when no candidate is eligible.
    fn best_addition(
        &self,
        net: &mut Network,
        residual: &mut Vec<f64>,
        base: &[usize],
        eligible: impl Fn(usize) -> bool + Sync,
        per_cost: bool,
    ) -> Option<(usize, f64)> {
        let inst = self.inst;
        let here = self.value(net, base);
        let per = |j: usize, v: f64| if per_cost { v / inst.cost[j] } else { v };
        let start = net.start();
        net.residual(&inst.demand, residual);
        let r: &[f64] = residual;
        let estimates: Vec<f64> = (0..inst.m())
            .into_par_iter()
            .with_min_len(CANDIDATES_PER_TASK)
            .map(|j| {
                if !eligible(j) {
                    return f64::NEG_INFINITY;
                }
                let reach: f64 = inst
                    .rows
                    .row(j)
                    .iter()
                    .map(|&(i, f)| r[i as usize].min(inst.demand[i as usize] * f))
                    .sum();
                per(j, reach.min(self.capacity[j]))
            })
            .collect();
        let mut screened: Vec<usize> = (0..inst.m()).filter(|&j| eligible(j)).collect();
        let order = |a: &usize, b: &usize| estimates[*b].total_cmp(&estimates[*a]).then(a.cmp(b));
        if self.checks < screened.len() {
            screened.select_nth_unstable_by(self.checks - 1, order);
            screened.truncate(self.checks);
        }
        screened.sort_unstable();
        let values = self.values_with(base, &screened, &start);
        let mut best: Option<(usize, f64)> = None;
        let mut score = f64::NEG_INFINITY;
        for (&j, &v) in screened.iter().zip(&values) {
            // Without costs the objectives themselves, as before: bit for bit the same choice.
            let gain = if per_cost { (v - here) / inst.cost[j] } else { v };
            if best.is_none() || gain > score {
                (best, score) = (Some((j, v)), gain);
            }
        }
        best
    }

    /// New sites within `left` by the screened greedy, and their objective.
    pub(super) fn greedy(&self, left: Left) -> (Vec<usize>, f64) {
        let inst = self.inst;
        let mut net = Network::new(inst.n());
        let mut residual = Vec::new();
        let p = match left {
            Left::Count(p) => p,
            Left::Budget(b) => {
                let (sites, value) = self.fill(Vec::new(), b);
                let single = self.best_addition(
                    &mut net,
                    &mut residual,
                    &[],
                    |j| inst.allowed[j] && inst.cost[j] <= b,
                    false,
                );
                if let Some((j, _)) = single
                    && sites.first() != Some(&j)
                {
                    let (other, v) = self.fill(vec![j], b);
                    if v > value + IMPROVEMENT * value.abs() {
                        return (other, v);
                    }
                }
                return (sites, value);
            }
        };
        let mut open = vec![false; inst.m()];
        let mut sites = Vec::with_capacity(p);
        for _ in 0..p {
            let Some((j, _)) = self.best_addition(
                &mut net,
                &mut residual,
                &sites,
                |j| inst.allowed[j] && !open[j],
                false,
            ) else {
                break;
            };
            open[j] = true;
            sites.push(j);
        }
        let value = self.value(&mut net, &sites);
        (sites, value)
    }

    /// `sites` completed within the budget `budget` by the greedy on exact gains per unit cost,
    /// while a site adds something; with their objective.
    pub(super) fn fill(&self, mut sites: Vec<usize>, budget: f64) -> (Vec<usize>, f64) {
        let inst = self.inst;
        let mut net = Network::new(inst.n());
        let mut residual = Vec::new();
        let mut open = vec![false; inst.m()];
        for &j in &sites {
            open[j] = true;
        }
        let mut value = self.value(&mut net, &sites);
        loop {
            let room = budget - sites.iter().map(|&j| inst.cost[j]).sum::<f64>();
            let found = self.best_addition(
                &mut net,
                &mut residual,
                &sites,
                |j| inst.allowed[j] && !open[j] && inst.cost[j] <= room,
                true,
            );
            match found {
                Some((j, v)) if v > value + IMPROVEMENT * value.abs() => {
                    open[j] = true;
                    sites.push(j);
                    value = v;
                }
                _ => break,
            }
        }
        (sites, value)
    }

    /// Improves `sites` by interchange within `left` (under a budget, alternately with
    /// [`fill`](Self::fill)); returns them with their objective.
    pub(super) fn interchange(&self, sites: Vec<usize>, value: f64, left: Left) -> (Vec<usize>, f64) {
        let Left::Budget(b) = left else {
            return self.swaps(sites, value, None);
        };
        let (mut sites, mut value) = (sites, value);
        for _ in 0..MAX_PASSES {
            let (s, _) = self.swaps(sites, value, Some(b));
            let (s, v) = self.fill(s, b);
            let better = v > value + IMPROVEMENT * value.abs();
            (sites, value) = (s, v);
            if !better {
                break;
            }
        }
        (sites, value)
    }

    /// The interchange passes; under a budget `b`, a replacement must fit what the other sites
    /// leave.
    fn swaps(&self, sites: Vec<usize>, value: f64, budget: Option<f64>) -> (Vec<usize>, f64) {
        let inst = self.inst;
        let mut net = Network::new(inst.n());
        let mut residual = Vec::new();
        self.swap_passes(sites, value, budget, |s, rest, room, open, _| {
            self.best_addition(
                &mut net,
                &mut residual,
                rest,
                |j| inst.allowed[j] && (j == s || !open[j]) && inst.cost[j] <= room,
                false,
            )
        })
    }

    /// Passes over the new sites `sites` (objective `value`) until one makes no swap, at most
    /// [`MAX_PASSES`]: for each site `s` in turn, `replacement(s, rest, room, open, value)` (the
    /// other sites, the budget they leave, which candidates are open, the objective now) names
    /// a candidate and the objective with it instead of `s`; the swap is made when that raises
    /// the objective by more than [`IMPROVEMENT`] relative.
    fn swap_passes(
        &self,
        mut sites: Vec<usize>,
        mut value: f64,
        budget: Option<f64>,
        mut replacement: impl FnMut(usize, &[usize], f64, &[bool], f64) -> Option<(usize, f64)>,
    ) -> (Vec<usize>, f64) {
        let inst = self.inst;
        let mut open = vec![false; inst.m()];
        for &j in &sites {
            open[j] = true;
        }
        for _ in 0..MAX_PASSES {
            let mut swapped = false;
            for k in 0..sites.len() {
                let s = sites[k];
                let rest: Vec<usize> = sites.iter().copied().filter(|&j| j != s).collect();
                let room = budget.map_or(f64::INFINITY, |b| {
                    b - rest.iter().map(|&j| inst.cost[j]).sum::<f64>()
                });
                if let Some((j, v)) = replacement(s, &rest, room, &open, value)
                    && j != s
                    && v > value + IMPROVEMENT * value.abs()
                {
                    open[s] = false;
                    open[j] = true;
                    sites[k] = j;
                    value = v;
                    swapped = true;
                }
            }
            if !swapped {
                break;
            }
        }
        (sites, value)
    }

    /// Improves the new sites `sites` (objective `value`) by exact swaps: for each site `s` in
    /// turn, the best replacement among all the allowed candidates not open (fitting the budget
    /// the others leave, under a budget), found by flows taken in decreasing order of an upper
    /// bound of their gain and stopped when the bound cannot beat the best found (so the best
    /// swap of `s` is exact); the swap is made when it raises the objective by more than
    /// [`IMPROVEMENT`] relative. Passes until one makes no swap or `work` flows are spent (each
    /// candidate's flow counts one, whatever the thread count, so the result does not depend
    /// on it).
    ///
    /// The bound: with the flow of the other sites and its minimum cut (the units not reachable
    /// from the source in the residual network form the sink side), opening `j` adds at most
    /// the capacity of the arcs the cut gains, `min(C_j, Σ d_i·f_ij)` over the units of `j`'s
    /// row on the source side.
    pub(super) fn exact_swaps(
        &self,
        sites: Vec<usize>,
        value: f64,
        budget: Option<f64>,
        work: &mut usize,
    ) -> (Vec<usize>, f64) {
        let inst = self.inst;
        let (n, m) = (inst.n(), inst.m());
        let mut net = Network::new(n);
        let mut sink = vec![0.0; n];
        self.swap_passes(sites, value, budget, |_, rest, room, open, value| {
            if *work == 0 {
                return None;
            }
            let base = self.value(&mut net, rest);
            let start = net.start();
            sink.fill(0.0);
            net.sink_side(&mut sink);
            let sink: &[f64] = &sink;
            let upper: Vec<f64> = (0..m)
                .into_par_iter()
                .with_min_len(CANDIDATES_PER_TASK)
                .map(|j| {
                    if !inst.allowed[j] || open[j] || inst.cost[j] > room {
                        return f64::NEG_INFINITY;
                    }
                    let reach: f64 = inst
                        .rows
                        .row(j)
                        .iter()
                        .filter(|&&(i, _)| sink[i as usize] == 0.0)
                        .map(|&(i, f)| inst.demand[i as usize] * f)
                        .sum();
                    reach.min(self.capacity[j])
                })
                .collect();
            let mut order: Vec<usize> = (0..m).filter(|&j| upper[j] > f64::NEG_INFINITY).collect();
            order.sort_unstable_by(|&a, &b| upper[b].total_cmp(&upper[a]).then(a.cmp(&b)));
            let mut best: Option<(usize, f64)> = None;
            let mut score = value;
            for batch in order.chunks(SWAP_BATCH) {
                if *work == 0 || base + upper[batch[0]] <= score + IMPROVEMENT * score.abs() {
                    break;
                }
                let batch = &batch[..batch.len().min(*work)];
                *work -= batch.len();
                let values = self.values_with(rest, batch, &start);
                for (&j, &v) in batch.iter().zip(&values) {
                    if v > score + IMPROVEMENT * score.abs() {
                        (best, score) = (Some((j, v)), v);
                    }
                }
            }
            best
        })
    }

    /// Iterated local search from `sites` (objective `value`, a local optimum of the exact
    /// swaps): `rounds` times, close `kick` sites of the best set drawn at random (a
    /// [`SplitMix64`](careblock_core::rng::SplitMix64) stream of `seed`), complete the rest by
    /// the screened greedy among the sites not in the best set, descend by exact swaps, and
    /// keep the result when it is better. Stops once the objective reaches `enough` or the
    /// `work` flows are spent (each greedy step counts [`checks`](Self::checks)). Counts only:
    /// under a budget `sites` is returned as it is.
    pub(super) fn perturbed(
        &self,
        (sites, value): (Vec<usize>, f64),
        (rounds, kick, seed, enough): (usize, usize, u64, f64),
        work: &mut usize,
    ) -> (Vec<usize>, f64) {
        let inst = self.inst;
        let (mut best, mut best_value) = (sites, value);
        if !matches!(inst.limit, super::super::Limit::Count(_)) || best.len() <= kick {
            return (best, best_value);
        }
        let mut rng = careblock_core::rng::SplitMix64(seed);
        let mut net = Network::new(inst.n());
        let mut residual = Vec::new();
        for _ in 0..rounds {
            if *work == 0 || best_value >= enough {
                break;
            }
            let mut kept = best.clone();
            for _ in 0..kick {
                kept.remove(rng.below(kept.len()));
            }
            let mut open = vec![false; inst.m()];
            for &j in best.iter() {
                open[j] = true;
            }
            while kept.len() < best.len() {
                let Some((j, _)) = self.best_addition(
                    &mut net,
                    &mut residual,
                    &kept,
                    |j| inst.allowed[j] && !open[j],
                    false,
                ) else {
                    break;
                };
                open[j] = true;
                kept.push(j);
                *work = work.saturating_sub(self.checks);
            }
            let v = self.value(&mut net, &kept);
            let (s, v) = self.exact_swaps(kept, v, None, work);
            if v > best_value + IMPROVEMENT * best_value.abs() {
                (best, best_value) = (s, v);
            }
        }
        (best, best_value)
    }

    /// Orders `sites` greedily on exact gains (ties to the lowest index); returns the order and
    /// the objective after each, the locked-in objective first.
    pub(super) fn rank(&self, sites: &[usize]) -> (Vec<usize>, Vec<f64>) {
        let mut net = Network::new(self.inst.n());
        let mut left = sites.to_vec();
        left.sort_unstable();
        let mut order = Vec::with_capacity(sites.len());
        let mut curve = vec![self.value(&mut net, &[])];
        while !left.is_empty() {
            let start = net.start();
            let values = self.values_with(&order, &left, &start);
            let mut k = 0;
            for (q, &v) in values.iter().enumerate() {
                if v > values[k] {
                    k = q;
                }
            }
            order.push(left.remove(k));
            // The curve from fresh flows: a set's value then does not depend on the search.
            curve.push(self.value(&mut net, &order));
        }
        (order, curve)
    }

    /// The objective without the new site `s`: the other new sites of `sites` kept, and
    /// completed within `left` by the screened greedy (exact gains by the flow, per unit cost
    /// under a budget) among the sites not in `sites`. A lower estimate of the best objective
    /// without `s` (no full re-solve), so `objective − this` is at least the true loss.
    pub(super) fn without(&self, sites: &[usize], s: usize, left: Left) -> f64 {
        let inst = self.inst;
        let mut net = Network::new(inst.n());
        let mut residual = Vec::new();
        let mut open = vec![false; inst.m()];
        for &j in sites {
            open[j] = true;
        }
        let mut rest: Vec<usize> = sites.iter().copied().filter(|&j| j != s).collect();
        let mut value = self.value(&mut net, &rest);
        loop {
            let (room, per_cost) = match left {
                Left::Count(p) if rest.len() < p => (f64::INFINITY, false),
                Left::Count(_) => break,
                Left::Budget(b) => (b - rest.iter().map(|&j| inst.cost[j]).sum::<f64>(), true),
            };
            let found = self.best_addition(
                &mut net,
                &mut residual,
                &rest,
                |j| inst.allowed[j] && !open[j] && inst.cost[j] <= room,
                per_cost,
            );
            match found {
                Some((j, v)) if v > value + IMPROVEMENT * value.abs() => {
                    open[j] = true;
                    rest.push(j);
                    value = v;
                }
                _ => break,
            }
        }
        value
    }
}
