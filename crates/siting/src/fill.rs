//! Greedy filling under per-district quotas: the minimums first, then coverage within the
//! maxima ([`fill`]).

use super::equity::{Quota, cheapest};
use super::greedy::greedy_capped;
use super::instance::{Left, NONE, State};

/// Opens new sites among the `allowed` closed ones within `left`, given the new sites already
/// open (`counts` per district, updated): first the missing sites of each district below its
/// requirement (largest marginal gain among those districts' candidates, ties to the lowest
/// index; under a budget only candidates that leave the other missing sites affordable at
/// their cheapest), then by coverage like [`super::greedy::greedy`] without exceeding any cap.
/// Returns the sites opened and how many of them (the first ones) were placed for the minimums.
/// A district without candidates left stays short (only reachable for re-optimisations with a
/// site forbidden: the main problem is made feasible by [`Quota::new`]).
pub(super) fn fill(
    state: &mut State<'_>,
    allowed: &[bool],
    quota: &Quota,
    counts: &mut [usize],
    left: Left,
) -> (Vec<usize>, usize) {
    let inst = state.instance();
    let nd = quota.need.len();
    let mut picked = Vec::new();
    let (mut want, mut room) = match left {
        Left::Count(k) => (k, f64::INFINITY),
        Left::Budget(b) => (usize::MAX, b),
    };
    // Phase 1: the minimums.
    loop {
        if want == 0 {
            break;
        }
        let short: Vec<bool> = (0..nd).map(|d| counts[d] < quota.need[d]).collect();
        if !short.iter().any(|&s| s) {
            break;
        }
        let wanted: Vec<bool> = (0..inst.m())
            .map(|j| allowed[j] && quota.district[j] != NONE && short[quota.district[j] as usize])
            .collect();
        let gains = state.gains(&wanted);
        // Under a budget: what the other missing sites cost at their cheapest.
        let (costs, total) = if room.is_finite() {
            let costs = quota.costs(state, &wanted);
            let total: f64 = (0..nd)
                .map(|d| cheapest(&costs[d], quota.need[d].saturating_sub(counts[d])))
                .sum();
            (costs, total)
        } else {
            (Vec::new(), 0.0)
        };
        let affordable = |j: usize| -> bool {
            if !room.is_finite() {
                return true;
            }
            let d = quota.district[j] as usize;
            let r = quota.need[d] - counts[d];
            let c = &costs[d];
            let here = cheapest(c, r);
            // The cheapest r − 1 others of the district once j is open.
            let pos = c.partition_point(|&x| x < inst.cost[j]);
            let rest = if pos < r {
                here - inst.cost[j]
            } else {
                cheapest(c, r - 1)
            };
            inst.cost[j] + rest + (total - here) <= room * (1.0 + 1e-12)
        };
        let best = (0..inst.m())
            .filter(|&j| wanted[j] && !state.is_open(j) && inst.cost[j] <= room && affordable(j))
            .fold(None, |acc: Option<usize>, j| match acc {
                Some(a) if gains[a] >= gains[j] => Some(a),
                _ => Some(j),
            });
        let Some(j) = best else { break };
        state.open(j);
        picked.push(j);
        counts[quota.district[j] as usize] += 1;
        want = want.saturating_sub(1);
        if room.is_finite() {
            room -= inst.cost[j];
        }
    }
    let placed = picked.len();
    // Phase 2: coverage within the caps.
    let rest_left = match left {
        Left::Count(_) => Left::Count(want),
        Left::Budget(_) => Left::Budget(room),
    };
    let more = greedy_capped(state, allowed, rest_left, Some((quota, counts)));
    picked.extend(more);
    (picked, placed)
}
