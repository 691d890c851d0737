//! The certified upper bound of the capacitated problem: Lagrangian relaxation of the unit
//! constraints, minimised by subgradient.
//!
//! The problem, with `x` the open sites (locked-in at 1, locked-out at 0, `p` others):
//! `max Σ_ij z_ij` s.t. `0 ≤ z_ij ≤ d_i·f_ij·x_j`, `Σ_j z_ij ≤ d_i`, `Σ_i z_ij ≤ C_j·x_j`.
//! For multipliers `μ_i ≥ 0` on `Σ_j z_ij ≤ d_i`, every feasible `(x, z)` has
//! `Σ z_ij ≤ Σ z_ij + Σ_i μ_i·(d_i − Σ_j z_ij) = Σ_i μ_i·d_i + Σ_j Σ_i (1 − μ_i)·z_ij`,
//! and the right-hand side separates by site: with `V_j(μ) = max Σ_i (1 − μ_i)·z_ij` s.t.
//! `0 ≤ z_ij ≤ d_i·f_ij`, `Σ_i z_ij ≤ C_j` (a fractional knapsack: units by decreasing
//! `1 − μ_i` while it is positive, until `C_j` is full; `V_j ≥ 0`),
//! `L(μ) = Σ_i μ_i·d_i + Σ_{j locked in} V_j(μ) + (the p largest V_j(μ) over the candidates
//! that may be chosen)` is an upper bound of the optimum for every `μ ≥ 0`. The choice of `x`
//! in the subproblem is over an integral polytope (a cardinality constraint), so
//! `min_μ L(μ)` equals the bound of the LP relaxation (Geoffrion 1974). Multipliers above 1
//! only add `μ_i·d_i`, so `μ_i ∈ [0, 1]`.
//!
//! `L` is convex and piecewise linear; it is minimised from `μ = 0` (where `L` is the
//! capacity bound `Σ min(C_j, Σ_i d_i·f_ij)` over the locked-in and the `p` best sites) or
//! from the multipliers the caller gives (one iteration at a flow's minimum cut, see
//! `capacity/mod.rs`) by projected subgradient, `g_i = d_i − Σ_j z*_ij` over the sites the subproblem opens, with
//! Polyak steps `t = θ·(L(μ) − target)/‖g‖²` toward the best objective known, `θ` halved after
//! [`PATIENCE`] iterations without a new minimum. The minimum of `L` over the iterations is
//! reported. Each iteration costs one pass over the (candidate, unit) pairs: the knapsacks are
//! solved by three-way quickselect on the weights (expected linear time), and only the sites
//! the subproblem opens are sorted to get their `z*` (ties to the lowest unit). Allowed sites
//! are valued in decreasing order of `V_j(0) ≥ V_j(μ)` and the rest skipped once they cannot
//! enter the `p` best, which changes nothing in `L` (it saves work when capacities are loose).
//!
//! **Under a budget** `b` (costs `c_j`) the subproblem's site choice is `max Σ_j x_j·V_j(μ)`
//! s.t. `Σ_j c_j·x_j ≤ b` over the allowed sites; its LP relaxation (`x_j ∈ [0, 1]`, a
//! fractional knapsack: sites by decreasing `V_j/c_j`, the last one in part) is at least the
//! integer choice, so `L(μ)` stays an upper bound (now of the LP relaxation with the budget
//! row kept, at best). The subgradient counts each site's `z*` times its fraction, and the
//! Lagrangian heuristic evaluates the sites taken whole (they fit the budget). All allowed
//! sites are valued exactly (the pruning by `V_j(0)` is for counts).
//!
//! Deterministic: each knapsack is solved sequentially, per-unit sums run in fixed chunks
//! added in order.

use rayon::prelude::*;

use super::super::instance::{CANDIDATES_PER_TASK, Instance, Left};

/// Iterations without a new minimum before the step multiplier is halved.
const PATIENCE: usize = 15;
/// Initial step multiplier.
pub(super) const THETA: f64 = 2.0;
/// Smallest step multiplier worth trying.
const MIN_THETA: f64 = 1e-6;
/// Relative gap at which the subgradient stops.
pub(super) const STOP_GAP: f64 = 1e-9;
/// Units per chunk of the per-unit sums (fixed, for thread-count independent sums).
const CHUNK: usize = 4096;

/// Sums `f(i)` over `0..n` in fixed chunks, added in order.
fn chunked_sum(n: usize, f: impl Fn(usize) -> f64 + Sync) -> f64 {
    let parts: Vec<f64> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| (c * CHUNK..((c + 1) * CHUNK).min(n)).map(&f).sum::<f64>())
        .collect();
    parts.into_iter().sum()
}

/// `max Σ w·z` s.t. `0 ≤ z ≤ a`, `Σ z ≤ room` over `items = (w, a)`, all `w > 0`, `a ≥ 0`, and
/// `Σ a > room`: three-way quickselect on `w` (pivot: the middle element), taking whole the
/// part above the pivot when it fits. Reorders `items`.
fn knapsack_select(items: &mut [(f64, f64)], room: f64) -> f64 {
    let (mut lo, mut hi, mut room, mut value) = (0, items.len(), room, 0.0);
    while lo < hi {
        let pivot = items[lo + (hi - lo) / 2].0;
        let (mut lt, mut k, mut gt) = (lo, lo, hi);
        while k < gt {
            let w = items[k].0;
            if w > pivot {
                items.swap(lt, k);
                lt += 1;
                k += 1;
            } else if w < pivot {
                gt -= 1;
                items.swap(k, gt);
            } else {
                k += 1;
            }
        }
        let above: f64 = items[lo..lt].iter().map(|e| e.1).sum();
        if above >= room {
            hi = lt;
            continue;
        }
        value += items[lo..lt].iter().map(|e| e.0 * e.1).sum::<f64>();
        room -= above;
        let equal: f64 = items[lt..gt].iter().map(|e| e.1).sum();
        if equal >= room {
            return value + pivot * room;
        }
        value += pivot * equal;
        room -= equal;
        lo = gt;
    }
    value
}

/// The (candidate, unit) pairs as the subgradient reads them, built once: per candidate, its
/// units and their amounts `a_ij = d_i·f_ij`, in row order, in flat arrays (one pass reads a
/// unit number and an amount per pair, not the demand of a unit met at random).
struct Pairs {
    offsets: Vec<usize>,
    units: Vec<u32>,
    amounts: Vec<f64>,
}

impl Pairs {
    fn new(inst: &Instance) -> Pairs {
        let mut offsets = Vec::with_capacity(inst.m() + 1);
        offsets.push(0);
        let (mut units, mut amounts) = (Vec::new(), Vec::new());
        for j in 0..inst.m() {
            for &(i, f) in inst.rows.row(j) {
                units.push(i);
                amounts.push(inst.demand[i as usize] * f);
            }
            offsets.push(units.len());
        }
        Pairs {
            offsets,
            units,
            amounts,
        }
    }

    /// The units of candidate `j` and their amounts.
    fn row(&self, j: usize) -> (&[u32], &[f64]) {
        let r = self.offsets[j]..self.offsets[j + 1];
        (&self.units[r.clone()], &self.amounts[r])
    }
}

/// `V_j(μ)` for site `j` with weights `w = 1 − μ`: one pass over the row gathers the units of
/// positive weight into `buffer`, the quickselect runs only when they do not all fit.
fn site_value(pairs: &Pairs, j: usize, capacity: f64, w: &[f64], buffer: &mut Vec<(f64, f64)>) -> f64 {
    let (mut total, mut value) = (0.0, 0.0);
    buffer.clear();
    let (units, amounts) = pairs.row(j);
    for (&i, &a) in units.iter().zip(amounts) {
        let wi = w[i as usize];
        if wi > 0.0 {
            total += a;
            value += wi * a;
            buffer.push((wi, a));
        }
    }
    if total <= capacity {
        return value;
    }
    knapsack_select(buffer, capacity)
}

/// Candidates whose exact `V_j` is computed at a time, in parallel (2 in tests, so that the
/// small brute-force instances go through the pruning).
const BATCH: usize = if cfg!(test) { 2 } else { 32 };

/// Fills `values` so that [`capacity_part`] picks what it would pick from the exact `V_j`: the
/// locked-in sites exactly; the allowed ones exactly in the order of `ranked` (decreasing
/// `V_j(0) = min(C_j, Σ_i d_i·f_ij) ≥ V_j(μ)`, ties to the lowest index) until the `p`-th
/// largest exact value is above `V_j(0)` of every candidate left, which keep that value (too
/// small to be picked). 0 for the others. The instance comes with its pairs, as one argument.
fn site_values(
    (open, pairs): (Open<'_>, &Pairs),
    capacity: &[f64],
    left: Left,
    w: &[f64],
    at_zero: &[f64],
    ranked: &[usize],
    values: &mut [f64],
) {
    let exact = |sites: &[usize]| -> Vec<f64> {
        sites
            .par_iter()
            .with_min_len(4)
            .map_init(Vec::new, |buffer, &j| {
                site_value(pairs, j, capacity[j], w, buffer)
            })
            .collect()
    };
    values.copy_from_slice(at_zero);
    for (&j, v) in open.fixed.iter().zip(exact(open.fixed)) {
        values[j] = v;
    }
    let p = match left {
        Left::Count(0) => return,
        Left::Count(p) => p,
        Left::Budget(_) => {
            for (&j, v) in ranked.iter().zip(exact(ranked)) {
                values[j] = v;
            }
            return;
        }
    };
    let mut best: Vec<f64> = Vec::new();
    let mut done = 0;
    while done < ranked.len() {
        if best.len() >= p {
            best.sort_unstable_by(|a, b| b.total_cmp(a));
            best.truncate(p);
            if best[p - 1] > at_zero[ranked[done]] {
                break;
            }
        }
        let batch = &ranked[done..(done + BATCH).min(ranked.len())];
        for (&j, v) in batch.iter().zip(exact(batch)) {
            values[j] = v;
            best.push(v);
        }
        done += batch.len();
    }
}

/// The knapsack solution `z*` of site `j` into `flow` as `(unit, z)`: units by decreasing
/// weight, ties to the lowest unit, while the weight is positive and there is room.
fn site_flow(
    pairs: &Pairs,
    j: usize,
    capacity: f64,
    w: &[f64],
    order: &mut Vec<(f64, u32, f64)>,
    flow: &mut Vec<(u32, f64)>,
) {
    let (units, amounts) = pairs.row(j);
    order.clear();
    order.extend(units.iter().zip(amounts).filter_map(|(&i, &a)| {
        let wi = w[i as usize];
        (wi > 0.0).then_some((wi, i, a))
    }));
    order.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    flow.clear();
    let mut room = capacity;
    for &(_, i, a) in order.iter() {
        if room <= 0.0 {
            break;
        }
        let z = a.min(room);
        flow.push((i, z));
        room -= z;
    }
}

/// The bounds that need no multipliers: every reachable unit fully served
/// (`Σ_i d_i·min(1, Σ_j f_ij)` over the usable sites), and `L(0)`, the locked-in sites and the
/// `p` best others each serving `min(C_j, Σ_i d_i·f_ij)`. The smaller one.
pub(super) fn trivial_bound(inst: &Instance, capacity: &[f64], left: Left) -> f64 {
    let reach = chunked_sum(inst.n(), |i| {
        let f: f64 = inst.cols.row(i).iter().map(|e| e.1).sum();
        inst.demand[i] * f.min(1.0)
    });
    let ones = vec![1.0; inst.n()];
    let pairs = Pairs::new(inst);
    let mut buffer = Vec::new();
    let values: Vec<f64> = (0..inst.m())
        .map(|j| site_value(&pairs, j, capacity[j], &ones, &mut buffer))
        .collect();
    reach.min(capacity_part(
        (inst, Open::of(inst)),
        &values,
        left,
        &mut Vec::new(),
        &mut Vec::new(),
    ))
}

/// `Σ_{j locked in} V_j` plus the `p` largest `V_j` over the allowed sites (ties to the lowest
/// index), or under a budget the fractional knapsack of the allowed sites' `V_j` and costs
/// (by decreasing `V_j/c_j`, ties to the lowest index, the last site in part). The chosen
/// sites, ascending, into `chosen`, their fractions (1, but the knapsack's last) into
/// `fractions`.
fn capacity_part(
    (inst, open): (&Instance, Open<'_>),
    values: &[f64],
    left: Left,
    chosen: &mut Vec<usize>,
    fractions: &mut Vec<f64>,
) -> f64 {
    chosen.clear();
    fractions.clear();
    chosen.extend((0..inst.m()).filter(|&j| open.allowed[j]));
    let fixed = open.fixed.iter().map(|&j| values[j]).sum::<f64>();
    match left {
        Left::Count(p) => {
            if p == 0 {
                chosen.clear();
            } else if p < chosen.len() {
                chosen
                    .select_nth_unstable_by(p - 1, |&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
                chosen.truncate(p);
            }
            chosen.sort_unstable();
            fractions.resize(chosen.len(), 1.0);
            fixed + chosen.iter().map(|&j| values[j]).sum::<f64>()
        }
        Left::Budget(b) => {
            let cost = &inst.cost;
            chosen.retain(|&j| values[j] > 0.0);
            chosen.sort_unstable_by(|&x, &y| {
                (values[y] / cost[y])
                    .total_cmp(&(values[x] / cost[x]))
                    .then(x.cmp(&y))
            });
            let (mut room, mut total, mut k) = (b, 0.0, 0);
            while k < chosen.len() && room > 0.0 {
                let j = chosen[k];
                let x = if cost[j] <= room { 1.0 } else { room / cost[j] };
                total += x * values[j];
                room -= x * cost[j];
                fractions.push(x);
                k += 1;
                if x < 1.0 {
                    break;
                }
            }
            chosen.truncate(k);
            // Ascending, fractions alongside.
            let mut pairs: Vec<(usize, f64)> =
                chosen.iter().copied().zip(fractions.iter().copied()).collect();
            pairs.sort_unstable_by_key(|e| e.0);
            chosen.clear();
            fractions.clear();
            for (j, x) in pairs {
                chosen.push(j);
                fractions.push(x);
            }
            fixed + total
        }
    }
}

/// The sites a Lagrangian subproblem works with: those open whatever the choice (ascending)
/// and those it may choose (one flag per candidate, none of the former).
#[derive(Debug, Clone, Copy)]
pub(super) struct Open<'a> {
    pub(super) fixed: &'a [usize],
    pub(super) allowed: &'a [bool],
}

impl Open<'_> {
    /// The instance's own: its locked-in sites, and its allowed ones.
    pub(super) fn of(inst: &Instance) -> Open<'_> {
        Open {
            fixed: &inst.fixed,
            allowed: &inst.allowed,
        }
    }
}

/// What one run of the subgradient found.
#[derive(Debug, Clone)]
pub(super) struct Relaxed {
    /// The smallest `L(μ)` met (`+∞` after no iteration).
    pub(super) bound: f64,
    /// The multipliers at which it was met (the start when no iteration ran).
    pub(super) mu: Vec<f64>,
    /// For each candidate, the share of the iterations in which the subproblem chose it (times
    /// its fraction under a budget): an estimate of the LP relaxation's `x_j`.
    pub(super) frequency: Vec<f64>,
    /// Iterations run.
    pub(super) iterations: usize,
}

/// The Lagrangian relaxation of an instance, with what every run shares: the pairs in flat
/// arrays and each candidate's `V_j(0)`, an upper bound of every `V_j(μ)` (weights are at most
/// 1).
pub(super) struct Relaxation<'a> {
    inst: &'a Instance,
    capacity: &'a [f64],
    pairs: Pairs,
    at_zero: Vec<f64>,
}

impl<'a> Relaxation<'a> {
    pub(super) fn new(inst: &'a Instance, capacity: &'a [f64]) -> Relaxation<'a> {
        let pairs = Pairs::new(inst);
        let ones = vec![1.0; inst.n()];
        let at_zero: Vec<f64> = (0..inst.m())
            .into_par_iter()
            .with_min_len(CANDIDATES_PER_TASK / 4)
            .map_init(Vec::new, |buffer, j| {
                site_value(&pairs, j, capacity[j], &ones, buffer)
            })
            .collect();
        Relaxation {
            inst,
            capacity,
            pairs,
            at_zero,
        }
    }

    /// Passes over the (candidate, unit) pairs one iteration makes, at most: the work unit of
    /// a budget of iterations.
    pub(super) fn pairs(&self) -> usize {
        self.pairs.units.len()
    }

    /// Runs up to `iterations` subgradient steps (given with `stop_gap`, as one argument) over
    /// the sites `open` with `left` to choose, from `μ = start` (clamped to `[0, 1]`; `μ = 0`
    /// when `start` is not one value per unit) with the step multiplier `theta` at first.
    /// `target` is the objective of a known feasible set; `evaluate` is called with the new
    /// sites (ascending) each subproblem chooses and returns their objective, which raises the
    /// target when higher (the Lagrangian heuristic). Stops early when the bound is within
    /// `stop_gap` (at least [`STOP_GAP`]) of the target, when the projected subgradient
    /// vanishes, or when `θ` falls below [`MIN_THETA`].
    #[allow(clippy::too_many_arguments)]
    pub(super) fn run(
        &self,
        open: Open<'_>,
        left: Left,
        target: f64,
        (iterations, stop_gap): (usize, f64),
        start: &[f64],
        theta: f64,
        mut evaluate: impl FnMut(&[usize]) -> f64,
    ) -> Relaxed {
        let (inst, capacity, pairs, at_zero) = (self.inst, self.capacity, &self.pairs, &self.at_zero[..]);
        let (n, m) = (inst.n(), inst.m());
        let demand = &inst.demand;
        let mut mu = if start.len() == n {
            start.iter().map(|m| m.clamp(0.0, 1.0)).collect()
        } else {
            vec![0.0_f64; n]
        };
        let mut best_mu = mu.clone();
        let mut w: Vec<f64> = mu.iter().map(|m| 1.0 - m).collect();
        let mut assigned = vec![0.0_f64; n];
        let mut values = vec![0.0_f64; m];
        let mut frequency = vec![0.0_f64; m];
        let (mut chosen, mut fractions, mut whole) = (Vec::new(), Vec::new(), Vec::new());
        // The allowed sites in decreasing order of V_j(0).
        let mut ranked: Vec<usize> = (0..m).filter(|&j| open.allowed[j]).collect();
        ranked.sort_unstable_by(|&a, &b| at_zero[b].total_cmp(&at_zero[a]).then(a.cmp(&b)));
        let (mut best, mut target, mut theta, mut stall) = (f64::INFINITY, target, theta, 0);
        let mut flows: Vec<Vec<(u32, f64)>> = Vec::new();
        let mut done = 0;
        for _ in 0..iterations {
            done += 1;
            site_values((open, pairs), capacity, left, &w, at_zero, &ranked, &mut values);
            let sites = capacity_part((inst, open), &values, left, &mut chosen, &mut fractions);
            let value = chunked_sum(n, |i| mu[i] * demand[i]) + sites;
            for (&j, &x) in chosen.iter().zip(&fractions) {
                frequency[j] += x;
            }
            // The open sites' knapsacks in parallel, added to `assigned` in site order (each
            // times its fraction).
            let opened: Vec<usize> = open.fixed.iter().chain(chosen.iter()).copied().collect();
            let share: Vec<f64> = open
                .fixed
                .iter()
                .map(|_| 1.0)
                .chain(fractions.iter().copied())
                .collect();
            if flows.len() < opened.len() {
                flows.resize(opened.len(), Vec::new());
            }
            opened
                .par_iter()
                .zip(flows.par_iter_mut())
                .for_each_init(Vec::new, |order, (&j, flow)| {
                    site_flow(pairs, j, capacity[j], &w, order, flow)
                });
            assigned.fill(0.0);
            for (flow, &x) in flows[..opened.len()].iter().zip(&share) {
                for &(i, z) in flow {
                    assigned[i as usize] += if x == 1.0 { z } else { x * z };
                }
            }
            whole.clear();
            whole.extend(
                chosen
                    .iter()
                    .zip(&fractions)
                    .filter(|e| *e.1 == 1.0)
                    .map(|e| *e.0),
            );
            let component = |i: usize| {
                let g = demand[i] - assigned[i];
                if (mu[i] <= 0.0 && g > 0.0) || (mu[i] >= 1.0 && g < 0.0) {
                    0.0
                } else {
                    g
                }
            };
            let norm = chunked_sum(n, |i| {
                let g = component(i);
                g * g
            });
            target = target.max(evaluate(&whole));
            if value < best {
                best = value;
                best_mu.copy_from_slice(&mu);
                stall = 0;
            } else {
                stall += 1;
                if stall >= PATIENCE {
                    theta *= 0.5;
                    stall = 0;
                }
            }
            if best - target <= stop_gap.max(STOP_GAP) * best.abs() || norm == 0.0 || theta < MIN_THETA {
                break;
            }
            let step = theta * (value - target) / norm;
            mu.par_iter_mut()
                .zip(w.par_iter_mut())
                .zip(assigned.par_iter())
                .zip(demand.par_iter())
                .with_min_len(CHUNK)
                .for_each(|(((mi, wi), &a), &d)| {
                    let g = d - a;
                    if !((*mi <= 0.0 && g > 0.0) || (*mi >= 1.0 && g < 0.0)) {
                        *mi = (*mi - step * g).clamp(0.0, 1.0);
                        *wi = 1.0 - *mi;
                    }
                });
        }
        if done > 0 {
            for f in &mut frequency {
                *f /= done as f64;
            }
        }
        Relaxed {
            bound: best,
            mu: best_mu,
            frequency,
            iterations: done,
        }
    }
}

/// Runs up to `iterations` subgradient steps (given with `stop_gap`, as one argument) from `μ = start` (clamped to `[0, 1]`; `μ = 0`
/// when `start` is not one value per unit) and returns the smallest `L(μ)`
/// met (`+∞` after no iteration): [`Relaxation::run`] over the instance's own sites from the
/// step multiplier [`THETA`].
#[cfg(test)]
pub(super) fn lagrangian(
    inst: &Instance,
    capacity: &[f64],
    left: Left,
    target: f64,
    (iterations, stop_gap): (usize, f64),
    start: &[f64],
    evaluate: impl FnMut(&[usize]) -> f64,
) -> f64 {
    Relaxation::new(inst, capacity)
        .run(
            Open::of(inst),
            left,
            target,
            (iterations, stop_gap),
            start,
            THETA,
            evaluate,
        )
        .bound
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fractional knapsack by sorting, for comparison.
    fn by_sorting(items: &[(f64, f64)], room: f64) -> f64 {
        let mut items = items.to_vec();
        items.sort_by(|a, b| b.0.total_cmp(&a.0));
        let (mut room, mut value) = (room, 0.0);
        for (w, a) in items {
            let z = a.min(room);
            value += w * z;
            room -= z;
        }
        value
    }

    #[test]
    fn quickselect_knapsack_matches_sorting() {
        let mut rng = careblock_core::rng::SplitMix64(11);
        for round in 0..500 {
            let len = 1 + rng.below(40);
            let items: Vec<(f64, f64)> = (0..len)
                .map(|_| {
                    // Few distinct weights, so ties are common.
                    let w = if round % 2 == 0 {
                        (1 + rng.below(4)) as f64 / 4.0
                    } else {
                        rng.uniform() + 1e-3
                    };
                    (w, rng.uniform() * 10.0)
                })
                .collect();
            let total: f64 = items.iter().map(|e| e.1).sum();
            let room = total * rng.uniform() * 0.999;
            let expected = by_sorting(&items, room);
            let got = knapsack_select(&mut items.clone(), room);
            assert!(
                (got - expected).abs() <= 1e-9 * expected.max(1.0),
                "{got} vs {expected}"
            );
        }
    }
}
