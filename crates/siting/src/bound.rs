//! Upper bounds on the best objective.
//!
//! **Submodular bound** (Nemhauser, Wolsey & Fisher 1978). For any set `S` and any feasible set
//! of new sites `T`, monotonicity and submodularity give
//! `F(T) ≤ F(S ∪ T) ≤ F(S) + Σ_{j∈T∖S} Δ_j(S)`, where `Δ_j(S)` is the marginal gain of `j`
//! given `S`. So the optimum is at most `F(S)` plus the largest total gain any feasible `T` can
//! collect: the `p` largest gains, or under a budget the fractional-knapsack optimum of the gains
//! with their costs (an LP relaxation, so larger still).
//!
//! **Lagrangian bound.** Write the problem as the integer program
//! `max Σ_i d_i·y_i` s.t. `y_i ≤ Σ_j f_ij·x_j`, `0 ≤ y_i ≤ 1`, `x ∈ X`, where `X` is the set of
//! feasible sites (locked-in at 1, barred at 0, `p` others or within the budget). Any chosen set
//! with `y_i = c_i(S) = max_{j∈S} f_ij` is feasible for it (the max is at most the sum and at
//! most 1), so its optimum is at least the true optimum. Relaxing the coverage constraints with
//! multipliers `λ_i ≥ 0`: for every feasible `(x, y)`,
//! `Σ d_i·y_i ≤ Σ d_i·y_i + Σ λ_i·(Σ_j f_ij·x_j − y_i) = Σ (d_i − λ_i)·y_i + Σ_j x_j·s_j(λ)`
//! with `s_j(λ) = Σ_i f_ij·λ_i`, because each added term is `≥ 0`. Maximising the two parts
//! separately (`y_i = 1` where `d_i > λ_i`; the best `x` over `X`, or over its LP relaxation
//! under a budget) only increases the right-hand side, hence
//! `L(λ) = Σ_i max(0, d_i − λ_i) + max_{x∈X} Σ_j x_j·s_j(λ) ≥ optimum` for every `λ ≥ 0`.
//! Multipliers above `d_i` never help, so `λ_i ∈ [0, d_i]`. `L` is convex and piecewise linear;
//! it is minimised by projected subgradient with Polyak steps
//! `t = θ·(L(λ) − target)/‖g‖²`, the target being the best objective found, and `θ` halved after
//! [`PATIENCE`] iterations without a new minimum. The subgradient is
//! `g_i = Σ_j f_ij·x*_j − y*_i`, with components that would push `λ_i` outside `[0, d_i]` set
//! to 0. The minimum of `L` over the iterations is reported. It stops early when within
//! [`STOP_GAP`] of the best objective known, when the subgradient vanishes (then `λ` is optimal),
//! or when `θ` falls below [`MIN_THETA`].
//!
//! All parallel sums use fixed chunks added in order, so the bounds do not depend on the thread
//! count.

use rayon::prelude::*;

use super::instance::{CANDIDATES_PER_TASK, Instance, Left};

/// Iterations without a new minimum before the step multiplier is halved.
const PATIENCE: usize = 15;
/// Initial step multiplier.
const THETA: f64 = 2.0;
/// Smallest step multiplier worth trying.
const MIN_THETA: f64 = 1e-6;
/// Relative gap at which the subgradient stops.
pub(super) const STOP_GAP: f64 = 1e-9;
/// Units per parallel chunk (fixed, for thread-count independent sums).
const CHUNK: usize = 4096;

/// A candidate's role in the Lagrangian subproblem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// Open whatever happens (locked in, or fixed open by the branch and bound).
    In,
    /// May be chosen.
    Free,
    /// Cannot be chosen.
    Out,
}

/// The submodular bound `value + (best total gain within what is left)`, where `gains` holds
/// `Δ_j(S)` for the candidates that may still be chosen and 0 for the others.
pub(super) fn greedy_bound(value: f64, gains: &[f64], cost: &[f64], left: Left) -> f64 {
    let mut positive: Vec<usize> = (0..gains.len()).filter(|&j| gains[j] > 0.0).collect();
    value
        + match left {
            Left::Count(k) => {
                positive.sort_unstable_by(|&a, &b| gains[b].total_cmp(&gains[a]).then(a.cmp(&b)));
                positive.iter().take(k).map(|&j| gains[j]).sum()
            }
            Left::Budget(b) => fractional_knapsack(&mut positive, gains, cost, b, |_, _| {}),
        }
}

/// The LP optimum of `max Σ v_j·x_j` s.t. `Σ c_j·x_j ≤ room`, `x ∈ [0, 1]`, over `items`:
/// items by decreasing `v/c` (ties to the lowest index), the last one taken in part. Calls
/// `take(j, x_j)` for each item taken. Reorders `items`.
fn fractional_knapsack(
    items: &mut [usize],
    value: &[f64],
    cost: &[f64],
    room: f64,
    mut take: impl FnMut(usize, f64),
) -> f64 {
    items.sort_unstable_by(|&a, &b| {
        (value[b] / cost[b])
            .total_cmp(&(value[a] / cost[a]))
            .then(a.cmp(&b))
    });
    let (mut room, mut total) = (room, 0.0);
    for &j in items.iter() {
        if room <= 0.0 || value[j] <= 0.0 {
            break;
        }
        if cost[j] <= room {
            total += value[j];
            room -= cost[j];
            take(j, 1.0);
        } else {
            let x = room / cost[j];
            total += x * value[j];
            take(j, x);
            break;
        }
    }
    total
}

/// Sums `f(i)` over `0..n` in fixed chunks, added in order.
fn chunked_sum(n: usize, f: impl Fn(usize) -> f64 + Sync) -> f64 {
    let parts: Vec<f64> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| (c * CHUNK..((c + 1) * CHUNK).min(n)).map(&f).sum::<f64>())
        .collect();
    parts.into_iter().sum()
}

/// What a Lagrangian run found.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Relaxed {
    /// The smallest `L(λ)` met: an upper bound on the optimum (`−∞` if no feasible choice
    /// exists, `+∞` after no iteration).
    pub(super) bound: f64,
    /// The best objective of the subproblems' site choices, as sets of sites (`−∞` if none).
    pub(super) value: f64,
    /// That choice: the free sites it opens (with the `In` sites, a feasible set).
    pub(super) sites: Vec<usize>,
}

/// Work buffers of the Lagrangian bound, reused across runs (the branch and bound calls it at
/// every node).
///
/// Each iteration also evaluates the subproblem's choice of sites as a real solution (the
/// Lagrangian heuristic): under `Count` the top-`k` sites are feasible as they stand, under a
/// budget the sites the fractional knapsack takes whole. Its objective comes out of the same
/// pass over the units, and raises the Polyak target when it beats it.
pub(super) struct Lagrangian<'a> {
    inst: &'a Instance,
    scores: Vec<f64>,
    /// `Σ f_ij·x_j` per unit over the sites with role `In`.
    fixed_cover: Vec<f64>,
    /// `max f_ij` per unit over the sites with role `In`.
    fixed_max: Vec<f64>,
    /// `Σ f_ij·x_j` per unit over the sites chosen in the current iteration.
    chosen_cover: Vec<f64>,
    /// `max f_ij` per unit over the sites chosen whole in the current iteration.
    chosen_max: Vec<f64>,
    free: Vec<usize>,
    chosen: Vec<(usize, f64)>,
}

impl<'a> Lagrangian<'a> {
    pub(super) fn new(inst: &'a Instance) -> Lagrangian<'a> {
        let n = inst.n();
        Lagrangian {
            inst,
            scores: vec![0.0; inst.m()],
            fixed_cover: vec![0.0; n],
            fixed_max: vec![0.0; n],
            chosen_cover: vec![0.0; n],
            chosen_max: vec![0.0; n],
            free: Vec::new(),
            chosen: Vec::new(),
        }
    }

    /// Runs up to `iterations` subgradient steps from `lambda` (updated in place). `target` is
    /// the objective of a known feasible set (a lower bound on the optimum). Stops early when
    /// the bound is within [`STOP_GAP`] of the best objective known.
    pub(super) fn run(
        &mut self,
        roles: &[Role],
        left: Left,
        lambda: &mut [f64],
        target: f64,
        iterations: usize,
    ) -> Relaxed {
        let Lagrangian {
            inst,
            scores,
            fixed_cover,
            fixed_max,
            chosen_cover,
            chosen_max,
            free,
            chosen,
        } = self;
        let (inst, m) = (*inst, inst.m());
        let demand = &inst.demand;
        let mut found = Relaxed {
            bound: f64::INFINITY,
            value: f64::NEG_INFINITY,
            sites: Vec::new(),
        };
        free.clear();
        free.extend((0..m).filter(|&j| roles[j] == Role::Free));
        if let Left::Count(k) = left
            && free.len() < k
        {
            found.bound = f64::NEG_INFINITY;
            return found;
        }
        let fixed: Vec<usize> = (0..m).filter(|&j| roles[j] == Role::In).collect();
        fixed_cover.fill(0.0);
        fixed_max.fill(0.0);
        for &j in &fixed {
            for &(i, f) in inst.rows.row(j) {
                fixed_cover[i as usize] += f;
                fixed_max[i as usize] = fixed_max[i as usize].max(f);
            }
        }
        let (mut target, mut theta, mut stall) = (target, THETA, 0);
        for _ in 0..iterations {
            let lam: &[f64] = lambda;
            scores
                .par_iter_mut()
                .enumerate()
                .with_min_len(CANDIDATES_PER_TASK)
                .for_each(|(j, s)| {
                    *s = match roles[j] {
                        Role::Out => 0.0,
                        _ => inst.rows.row(j).iter().map(|&(i, f)| f * lam[i as usize]).sum(),
                    }
                });
            let fixed_score: f64 = fixed.iter().map(|&j| scores[j]).sum();
            let inner = choose(left, free, scores, &inst.cost, chosen);
            for &(j, x) in chosen.iter() {
                for &(i, f) in inst.rows.row(j) {
                    let i = i as usize;
                    chosen_cover[i] += x * f;
                    if x == 1.0 {
                        chosen_max[i] = chosen_max[i].max(f);
                    }
                }
            }
            let covers = Covers {
                fixed_cover,
                fixed_max,
                chosen_cover,
                chosen_max,
                has_fixed: !fixed.is_empty(),
            };
            let [first, norm, primal] = covers.measure(demand, lambda);
            if primal > found.value {
                found.value = primal;
                found.sites.clear();
                found
                    .sites
                    .extend(chosen.iter().filter(|c| c.1 == 1.0).map(|c| c.0));
                target = target.max(primal);
            }
            let value = first + fixed_score + inner;
            if value < found.bound {
                found.bound = value;
                stall = 0;
            } else {
                stall += 1;
                if stall >= PATIENCE {
                    theta *= 0.5;
                    stall = 0;
                }
            }
            let best = found.bound;
            let stop = best - target <= STOP_GAP * best.abs() || norm == 0.0 || theta < MIN_THETA;
            if !stop {
                covers.step(demand, lambda, theta * (value - target) / norm);
            }
            for &(j, _) in chosen.iter() {
                for &(i, _) in inst.rows.row(j) {
                    chosen_cover[i as usize] = 0.0;
                    chosen_max[i as usize] = 0.0;
                }
            }
            if stop {
                break;
            }
        }
        found
    }
}

/// The Lagrangian subproblem: the free sites of the largest scores (`Count`), or the
/// fractional knapsack (`Budget`), into `chosen` with their fractions; returns their score.
fn choose(
    left: Left,
    free: &mut [usize],
    scores: &[f64],
    cost: &[f64],
    chosen: &mut Vec<(usize, f64)>,
) -> f64 {
    chosen.clear();
    match left {
        Left::Count(0) => 0.0,
        Left::Count(k) => {
            let order = |a: &usize, b: &usize| scores[*b].total_cmp(&scores[*a]).then(a.cmp(b));
            if k < free.len() {
                free.select_nth_unstable_by(k - 1, order);
            }
            free[..k].sort_unstable();
            chosen.extend(free[..k].iter().map(|&j| (j, 1.0)));
            free[..k].iter().map(|&j| scores[j]).sum()
        }
        Left::Budget(b) => fractional_knapsack(free, scores, cost, b, |j, x| chosen.push((j, x))),
    }
}

/// Per unit, the coverage of the fixed (`In`) sites and of the chosen ones: summed (for the
/// subgradient) and best (for the objective of the chosen set).
struct Covers<'a> {
    fixed_cover: &'a [f64],
    fixed_max: &'a [f64],
    chosen_cover: &'a [f64],
    chosen_max: &'a [f64],
    /// Without `In` sites the fixed parts are zeros and are not read (`0 + c` and `max(0, c)`
    /// are `c` exactly).
    has_fixed: bool,
}

impl Covers<'_> {
    /// Component `i` of the projected subgradient at multiplier `l` (demand `d`).
    fn component(&self, i: usize, d: f64, l: f64) -> f64 {
        let y = if l < d { 1.0 } else { 0.0 };
        let cover = if self.has_fixed {
            self.fixed_cover[i] + self.chosen_cover[i]
        } else {
            self.chosen_cover[i]
        };
        let v = cover - y;
        if (l <= 0.0 && v > 0.0) || (l >= d && v < 0.0) {
            0.0
        } else {
            v
        }
    }

    /// The first part of L, the squared norm of the subgradient and the objective of the
    /// chosen sites, in fixed chunks. The subgradient itself is not stored: [`Covers::step`]
    /// recomputes each component, the same expression on the same values.
    fn measure(&self, demand: &[f64], lam: &[f64]) -> [f64; 3] {
        let n = demand.len();
        let parts: Vec<[f64; 3]> = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let (mut first, mut norm, mut primal) = (0.0, 0.0, 0.0);
                for i in c * CHUNK..((c + 1) * CHUNK).min(n) {
                    let (d, l) = (demand[i], lam[i]);
                    let best = if self.has_fixed {
                        self.fixed_max[i].max(self.chosen_max[i])
                    } else {
                        self.chosen_max[i]
                    };
                    primal += d * best;
                    if l < d {
                        first += d - l;
                    }
                    let v = self.component(i, d, l);
                    norm += v * v;
                }
                [first, norm, primal]
            })
            .collect();
        parts
            .iter()
            .fold([0.0; 3], |a, p| [a[0] + p[0], a[1] + p[1], a[2] + p[2]])
    }

    /// One subgradient step of length `step`, each multiplier kept within `[0, d_i]`.
    fn step(&self, demand: &[f64], lambda: &mut [f64], step: f64) {
        lambda.par_chunks_mut(CHUNK).enumerate().for_each(|(c, lc)| {
            for (k, l) in lc.iter_mut().enumerate() {
                let i = c * CHUNK + k;
                let d = demand[i];
                *l = (*l - step * self.component(i, d, *l)).clamp(0.0, d);
            }
        });
    }
}

/// The best of the cheap bounds: every unit at its best coverage, and the submodular bound at
/// the locked-in sites and at `sites`.
pub(super) fn cheap_bound(inst: &Instance, sites: &[usize]) -> f64 {
    use super::instance::State;
    let full = inst.full();
    let base = State::new(inst);
    let at_base = greedy_bound(base.value(), &base.gains(&inst.allowed), &inst.cost, full);
    let here = State::with_sites(inst, sites);
    let at_sites = greedy_bound(here.value(), &here.gains(&inst.allowed), &inst.cost, full);
    let trivial = chunked_sum(inst.n(), |i| {
        let best = inst.cols.row(i).iter().fold(0.0_f64, |a, &(_, f)| a.max(f));
        inst.demand[i] * best
    });
    trivial.min(at_base).min(at_sites)
}
