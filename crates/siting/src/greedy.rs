//! Lazy greedy (Minoux 1978) and the ranking of a chosen set.
//!
//! The objective is submodular: a site's marginal gain can only shrink as other sites open. So
//! a gain computed earlier is an upper bound on the current one, and the heap only needs the
//! top entry re-evaluated: when a freshly evaluated entry is on top, no other site can beat it.
//! Keys are ordered by value then by lowest index, so the pick is exactly that of the plain
//! greedy (argmax, ties to the lowest index). The bound property also holds in floating point:
//! every term `d·(f − b)⁺` is non-increasing in `b` under rounding, and the sum is taken in the
//! same order each time.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::equity::Quota;
use super::instance::{Instance, Left, NONE, State};

/// A heap entry: the key (gain, or gain per unit cost) of a site when last evaluated.
#[derive(Debug, Clone, Copy)]
struct Entry {
    key: f64,
    site: usize,
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.total_cmp(&other.key).then(other.site.cmp(&self.site))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

/// Opens greedily among the `allowed` closed sites and returns them in the order opened.
///
/// `Left::Count(k)`: exactly `k` sites by marginal gain (fewer only if fewer are allowed), zero
/// gains included. `Left::Budget(b)`: by gain per unit cost, skipping sites that no longer fit
/// the budget, until no affordable site adds anything.
pub(super) fn greedy(state: &mut State<'_>, allowed: &[bool], left: Left) -> Vec<usize> {
    greedy_capped(state, allowed, left, None)
}

/// [`greedy`] that, given a quota and the new sites open per district (updated), never opens a
/// site of a district at its cap (such sites are dropped for good: counts only grow).
pub(super) fn greedy_capped(
    state: &mut State<'_>,
    allowed: &[bool],
    left: Left,
    quota: Option<(&Quota, &mut [usize])>,
) -> Vec<usize> {
    greedy_from(state, allowed, left, quota, None)
}

/// [`greedy_capped`] given the current gains (`state.gains(allowed)`), when the caller has
/// them.
pub(super) fn greedy_from(
    state: &mut State<'_>,
    allowed: &[bool],
    left: Left,
    mut quota: Option<(&Quota, &mut [usize])>,
    gains: Option<&[f64]>,
) -> Vec<usize> {
    let inst = state.instance();
    let (want, room) = match left {
        Left::Count(k) => (k, f64::INFINITY),
        Left::Budget(b) => (usize::MAX, b),
    };
    let by_cost = matches!(left, Left::Budget(_));
    let mut picked = Vec::new();
    if want == 0 || room <= 0.0 {
        return picked;
    }
    let key = |g: f64, j: usize| if by_cost { g / inst.cost[j] } else { g };
    let computed;
    let gains = match gains {
        Some(g) => g,
        None => {
            computed = state.gains(allowed);
            &computed
        }
    };
    let mut heap: BinaryHeap<Entry> = (0..inst.m())
        .filter(|&j| allowed[j] && !state.is_open(j) && inst.cost[j] <= room)
        .map(|j| Entry {
            key: key(gains[j], j),
            site: j,
        })
        .collect();
    // The round (number of sites opened so far) at which each entry was evaluated.
    let mut stamp = vec![0usize; inst.m()];
    let mut spent = 0.0;
    while picked.len() < want {
        let Some(top) = heap.pop() else { break };
        let j = top.site;
        if by_cost && spent + inst.cost[j] > room {
            continue; // the budget only shrinks: dropped for good
        }
        if let Some((q, counts)) = &quota
            && !q.room(counts, j)
        {
            continue; // the district is full: dropped for good
        }
        if stamp[j] == picked.len() {
            if by_cost && top.key <= 0.0 {
                break;
            }
            state.open(j);
            picked.push(j);
            spent += inst.cost[j];
            if let Some((q, counts)) = quota.as_mut() {
                let d = q.district[j];
                if d != NONE {
                    counts[d as usize] += 1;
                }
            }
        } else {
            stamp[j] = picked.len();
            heap.push(Entry {
                key: key(state.gain(j), j),
                site: j,
            });
        }
    }
    picked
}

/// A set put in ranking order.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Ranking {
    /// The sites, each the one with the largest gain given the locked-in sites and the ones
    /// before it (ties to the lowest index).
    pub(super) order: Vec<usize>,
    /// The gain of each.
    pub(super) gains: Vec<f64>,
    /// Covered demand after each.
    pub(super) cumulative: Vec<f64>,
    /// Covered demand of the locked-in sites alone.
    pub(super) base: f64,
}

/// Ranks `sites` (new sites) by plain greedy over the set.
pub(super) fn rank(inst: &Instance, sites: &[usize]) -> Ranking {
    let mut state = State::new(inst);
    let base = state.value();
    let mut rest = sites.to_vec();
    rest.sort_unstable();
    let (mut order, mut gains, mut cumulative) = (Vec::new(), Vec::new(), Vec::new());
    let mut total = base;
    while !rest.is_empty() {
        let (mut k, mut g) = (0, state.gain(rest[0]));
        for (kk, &j) in rest.iter().enumerate().skip(1) {
            let gj = state.gain(j);
            if gj > g {
                (k, g) = (kk, gj);
            }
        }
        let j = rest.remove(k);
        state.open(j);
        total += g;
        order.push(j);
        gains.push(g);
        cumulative.push(total);
    }
    Ranking {
        order,
        gains,
        cumulative,
        base,
    }
}
