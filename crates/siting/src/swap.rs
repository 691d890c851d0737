//! Interchange improvement (Teitz & Bart 1968).
//!
//! A pass visits the selected sites in order; for each site `s` it finds the best closed allowed
//! site `j` to put in its place (largest change of the objective, ties to the lowest index;
//! under a budget only swaps that keep within it) and applies the swap at once if it gains more
//! than 1e-12 of the objective. Passes repeat until one changes nothing. The change of a swap is
//! `gain(j) − loss(s) + extra_s(j)` (see [`State::swap_extra`]): the gains of all candidates are
//! kept up to date, the loss costs one row, and the correction only touches the candidates that
//! share a unit owned by `s`. After a swap only the gains of candidates sharing a unit with `s`
//! or `j` are recomputed. The scan over candidates runs in parallel with an order-independent
//! reduction (largest change, then lowest index), so the result does not depend on the thread
//! count.

use rayon::prelude::*;

use super::equity::Quota;
use super::instance::{CANDIDATES_PER_TASK, State};

/// Relative improvement a swap must bring.
pub(super) const SWAP_TOLERANCE: f64 = 1e-12;

/// Safety cap on the passes (each applied swap strictly improves, so this is never reached in
/// practice).
const MAX_PASSES: usize = 1000;

/// Improves `selected` (the new sites, all open in `state`) by swaps; `budget` restricts them to
/// sets whose cost stays within it. Returns the number of swaps made.
pub(super) fn improve(
    state: &mut State<'_>,
    allowed: &[bool],
    selected: &mut [usize],
    budget: Option<f64>,
) -> usize {
    improve_capped(state, allowed, selected, budget, None)
}

/// [`improve`] restricted, given a quota and the new sites open per district (updated), to
/// swaps that keep every district within its bounds ([`Quota::can_swap`]).
pub(super) fn improve_capped(
    state: &mut State<'_>,
    allowed: &[bool],
    selected: &mut [usize],
    budget: Option<f64>,
    quota: Option<(&Quota, &mut [usize])>,
) -> usize {
    let gains = state.gains(allowed);
    improve_from(state, allowed, selected, budget, quota, gains)
}

/// [`improve_capped`] given the current gains (`state.gains(allowed)`), when the caller has
/// them.
pub(super) fn improve_from(
    state: &mut State<'_>,
    allowed: &[bool],
    selected: &mut [usize],
    budget: Option<f64>,
    mut quota: Option<(&Quota, &mut [usize])>,
    mut gains: Vec<f64>,
) -> usize {
    let inst = state.instance();
    let m = inst.m();
    let mut extra = vec![0.0; m];
    let mut touched = Vec::new();
    let mut mark = vec![false; m];
    let mut value = state.value();
    let mut swaps = 0;
    for _ in 0..MAX_PASSES {
        let mut improved = false;
        for k in 0..selected.len() {
            let s = selected[k];
            let loss = state.loss(s);
            state.swap_extra(s, allowed, &mut extra, &mut touched);
            let others: f64 = selected
                .iter()
                .enumerate()
                .filter(|&(kk, _)| kk != k)
                .map(|(_, &t)| inst.cost[t])
                .sum();
            let open = |j: usize| state.is_open(j);
            let q = quota.as_ref().map(|(q, c)| (*q, &**c));
            let best = (0..m)
                .into_par_iter()
                .with_min_len(4 * CANDIDATES_PER_TASK)
                .filter(|&j| allowed[j] && !open(j) && budget.is_none_or(|b| others + inst.cost[j] <= b))
                .filter(|&j| q.is_none_or(|(q, c)| q.can_swap(c, s, j)))
                .map(|j| (j, gains[j] + extra[j] - loss))
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
            for &j in &touched {
                extra[j] = 0.0;
            }
            touched.clear();
            let Some((j, delta)) = best else { continue };
            if !(delta > 0.0 && delta > SWAP_TOLERANCE * value) {
                continue;
            }
            state.close(s);
            state.open(j);
            selected[k] = j;
            if let Some((q, counts)) = quota.as_mut() {
                q.swapped(counts, s, j);
            }
            value += delta;
            swaps += 1;
            improved = true;
            // Only candidates sharing a unit with s or j see their gain change.
            let mut affected = Vec::new();
            for &(i, _) in inst.rows.row(s).iter().chain(inst.rows.row(j)) {
                for &(c, _) in inst.cols.row(i as usize) {
                    let c = c as usize;
                    if !mark[c] {
                        mark[c] = true;
                        affected.push(c);
                    }
                }
            }
            for c in affected {
                mark[c] = false;
                gains[c] = if allowed[c] && !state.is_open(c) {
                    state.gain(c)
                } else {
                    0.0
                };
            }
        }
        if !improved {
            break;
        }
    }
    swaps
}
