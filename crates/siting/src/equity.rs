//! Territorial equity: a minimum and a maximum number of open sites per district.
//!
//! Each candidate belongs to at most one district (a candidate in none is unconstrained).
//! Locked-in sites count towards their district's minimum and maximum. The feasible sets are
//! the sets of new sites that satisfy the limit (`p` sites, or the budget) and keep every
//! district within `[min, max]`. What cannot be met is not an error: [`Quota::new`] lowers a
//! minimum to what the eligible candidates of the district, and then `p` or the budget, allow
//! (districts served in priority order), lowers `p` to what the maxima allow, and reports each
//! change ([`Shortfall`]), so that the constrained problem solved is always feasible.
//!
//! The solver honours the constraints throughout: [`fill`](super::fill::fill) first gives each district its
//! missing sites (the candidate with the largest marginal gain among the districts still short,
//! one at a time; under a budget only candidates that leave the other minimums affordable), then
//! fills the rest of the limit by coverage skipping districts at their maximum; the interchange
//! and the local search only make swaps that keep every district within its bounds; the
//! branch and bound discards nodes that cannot be completed within them. Constraints only shrink
//! the feasible set, so the bounds of the unconstrained problem (over the same candidates and
//! limit) remain upper bounds of the constrained optimum.

use super::instance::{Instance, Left, NONE, State, check_len};
use super::{Limit, Problem, SitingError};

/// Per-district bounds on the number of open sites (locked-in sites included).
#[derive(Debug, Clone, Copy)]
pub struct Quotas<'a> {
    /// The district of each candidate (`None`: in no district, unconstrained).
    pub district: &'a [Option<u32>],
    /// Minimum number of open sites per district (locked-in included).
    pub min: &'a [usize],
    /// Maximum number of open sites per district (locked-in included); `usize::MAX` for none.
    /// Must be `≥ min`.
    pub max: &'a [usize],
    /// The districts in the order they receive their minimum when `p` or the budget cannot
    /// cover every minimum (most needy first). Empty: district index order.
    pub priority: &'a [usize],
}

/// Why a district's minimum was lowered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShortReason {
    /// Fewer eligible candidates in the district than sites missing.
    Candidates,
    /// `p` (or the budget) does not reach this district in priority order.
    Limit,
}

/// A district that cannot reach its minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortfall {
    /// The district.
    pub district: usize,
    /// Its minimum as asked.
    pub min: usize,
    /// The open sites it gets at least (locked-in + required new sites).
    pub reachable: usize,
    /// Why.
    pub reason: ShortReason,
}

/// What the constraints became once confronted with the candidates and the limit.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaReport {
    /// Locked-in sites per district.
    pub locked_in: Vec<usize>,
    /// New sites each district must receive (its minimum less its locked-in sites, lowered as
    /// reported in [`short`](Self::short)).
    pub required: Vec<usize>,
    /// New sites each district may receive (its maximum less its locked-in sites).
    pub cap: Vec<usize>,
    /// Eligible candidates per district.
    pub eligible: Vec<usize>,
    /// Districts whose minimum cannot be met, in district order.
    pub short: Vec<Shortfall>,
    /// Districts whose locked-in sites already exceed the maximum (they get no new site).
    pub over: Vec<usize>,
    /// Eligible candidates in no district (unconstrained).
    pub outside: usize,
    /// `p` lowered to this when the maxima leave fewer places than `p`.
    pub count: Option<usize>,
}

/// The constraints in the solver's terms.
#[derive(Debug, Clone)]
pub(super) struct Quota {
    /// District of each candidate, [`NONE`] for none.
    pub(super) district: Vec<u32>,
    /// Required new sites per district.
    pub(super) need: Vec<usize>,
    /// Allowed new sites per district.
    pub(super) cap: Vec<usize>,
}

/// Sum of the `r` smallest values of `costs` (sorted ascending).
pub(super) fn cheapest(costs: &[f64], r: usize) -> f64 {
    costs[..r.min(costs.len())].iter().sum()
}

impl Quota {
    /// Checks `quotas` against `problem` and lowers what cannot be met; returns the quota, the
    /// report and the limit to solve with.
    pub(super) fn new(
        problem: &Problem<'_>,
        quotas: &Quotas<'_>,
    ) -> Result<(Quota, QuotaReport, Limit), SitingError> {
        let m = problem.coverage.n_candidates();
        let nd = quotas.min.len();
        check_len("district", quotas.district.len(), m, "candidates")?;
        check_len("max", quotas.max.len(), nd, "districts")?;
        if !quotas.priority.is_empty() {
            check_len("priority", quotas.priority.len(), nd, "districts")?;
        }
        let mut seen = vec![false; nd];
        for &d in quotas.priority {
            if d >= nd || seen[d] {
                return Err(SitingError::Priority {
                    district: d,
                    districts: nd,
                });
            }
            seen[d] = true;
        }
        if let Some((j, d)) = quotas
            .district
            .iter()
            .enumerate()
            .find_map(|(j, d)| d.filter(|&d| d as usize >= nd).map(|d| (j, d)))
        {
            return Err(SitingError::District {
                candidate: j,
                district: d,
                districts: nd,
            });
        }
        if let Some(d) = (0..nd).find(|&d| quotas.min[d] > quotas.max[d]) {
            return Err(SitingError::MinAboveMax {
                district: d,
                min: quotas.min[d],
                max: quotas.max[d],
            });
        }
        // The unconstrained instance tells which candidates may be chosen.
        let inst = Instance::new(problem)?;
        let flag = |v: &[bool], j: usize| v.get(j).copied().unwrap_or(false);
        let district: Vec<u32> = quotas.district.iter().map(|d| d.unwrap_or(NONE)).collect();
        let mut locked_in = vec![0usize; nd];
        let mut eligible = vec![0usize; nd];
        let mut costs: Vec<Vec<f64>> = vec![Vec::new(); nd];
        let mut outside = 0;
        for (j, &d) in district.iter().enumerate() {
            if flag(problem.locked_in, j) {
                if d != NONE {
                    locked_in[d as usize] += 1;
                }
            } else if inst.allowed[j] {
                if d == NONE {
                    outside += 1;
                } else {
                    eligible[d as usize] += 1;
                    costs[d as usize].push(inst.cost[j]);
                }
            }
        }
        for c in &mut costs {
            c.sort_unstable_by(f64::total_cmp);
        }
        let cap: Vec<usize> = (0..nd)
            .map(|d| quotas.max[d].saturating_sub(locked_in[d]))
            .collect();
        let over: Vec<usize> = (0..nd).filter(|&d| locked_in[d] > quotas.max[d]).collect();
        let mut need: Vec<usize> = (0..nd)
            .map(|d| quotas.min[d].saturating_sub(locked_in[d]).min(eligible[d]))
            .collect();
        let mut reason: Vec<Option<ShortReason>> = (0..nd)
            .map(|d| (locked_in[d] + need[d] < quotas.min[d]).then_some(ShortReason::Candidates))
            .collect();
        // The limit serves the districts in priority order.
        let order: Vec<usize> = if quotas.priority.is_empty() {
            (0..nd).collect()
        } else {
            quotas.priority.to_vec()
        };
        match problem.limit {
            Limit::Count(p) => {
                let mut left = p;
                for &d in &order {
                    let take = need[d].min(left);
                    if take < need[d] {
                        need[d] = take;
                        reason[d] = Some(ShortReason::Limit);
                    }
                    left -= take;
                }
            }
            Limit::Budget(b) => {
                let mut left = b;
                for &d in &order {
                    let mut take = need[d];
                    while take > 0 && cheapest(&costs[d], take) > left {
                        take -= 1;
                    }
                    if take < need[d] {
                        need[d] = take;
                        reason[d] = Some(ShortReason::Limit);
                    }
                    left -= cheapest(&costs[d], take);
                }
            }
        }
        let mut limit = problem.limit;
        let mut count = None;
        if let Limit::Count(p) = problem.limit {
            let room: usize = outside + (0..nd).map(|d| cap[d].min(eligible[d])).sum::<usize>();
            if room < p {
                limit = Limit::Count(room);
                count = Some(room);
            }
        }
        let short = (0..nd)
            .filter_map(|d| {
                reason[d].map(|r| Shortfall {
                    district: d,
                    min: quotas.min[d],
                    reachable: locked_in[d] + need[d],
                    reason: r,
                })
            })
            .collect();
        let report = QuotaReport {
            locked_in,
            required: need.clone(),
            cap: cap.clone(),
            eligible,
            short,
            over,
            outside,
            count,
        };
        Ok((Quota { district, need, cap }, report, limit))
    }

    /// New sites of `sites` per district.
    pub(super) fn counts(&self, sites: &[usize]) -> Vec<usize> {
        let mut c = vec![0; self.need.len()];
        for &j in sites {
            let d = self.district[j];
            if d != NONE {
                c[d as usize] += 1;
            }
        }
        c
    }

    /// Whether `sites` keeps every district within `[need, cap]`.
    pub(super) fn satisfied(&self, sites: &[usize]) -> bool {
        let c = self.counts(sites);
        (0..c.len()).all(|d| c[d] >= self.need[d] && c[d] <= self.cap[d])
    }

    /// Whether `j` may still open given the counts (its district below its cap).
    pub(super) fn room(&self, counts: &[usize], j: usize) -> bool {
        let d = self.district[j];
        d == NONE || counts[d as usize] < self.cap[d as usize]
    }

    /// Whether closing `s` and opening `j` keeps both districts within their bounds.
    pub(super) fn can_swap(&self, counts: &[usize], s: usize, j: usize) -> bool {
        let (ds, dj) = (self.district[s], self.district[j]);
        if ds == dj {
            return true;
        }
        (ds == NONE || counts[ds as usize] > self.need[ds as usize])
            && (dj == NONE || counts[dj as usize] < self.cap[dj as usize])
    }

    /// Records a swap in the counts.
    pub(super) fn swapped(&self, counts: &mut [usize], s: usize, j: usize) {
        let (ds, dj) = (self.district[s], self.district[j]);
        if ds != NONE {
            counts[ds as usize] -= 1;
        }
        if dj != NONE {
            counts[dj as usize] += 1;
        }
    }

    /// Per district, the costs of the `allowed` closed candidates, ascending.
    pub(super) fn costs(&self, state: &State<'_>, allowed: &[bool]) -> Vec<Vec<f64>> {
        let inst = state.instance();
        let mut costs = vec![Vec::new(); self.need.len()];
        for j in (0..inst.m()).filter(|&j| allowed[j] && !state.is_open(j)) {
            let d = self.district[j];
            if d != NONE {
                costs[d as usize].push(inst.cost[j]);
            }
        }
        for c in &mut costs {
            c.sort_unstable_by(f64::total_cmp);
        }
        costs
    }

    /// Whether the sites open in `state` beyond the locked-in ones (`counts` per district) can be
    /// completed into a feasible set from the `allowed` closed candidates within `left`.
    pub(super) fn completable(
        &self,
        state: &State<'_>,
        allowed: &[bool],
        counts: &[usize],
        left: Left,
    ) -> bool {
        let nd = self.need.len();
        if (0..nd).any(|d| counts[d] > self.cap[d]) {
            return false;
        }
        let inst = state.instance();
        let mut free = vec![0usize; nd];
        let mut outside = 0;
        for j in (0..inst.m()).filter(|&j| allowed[j] && !state.is_open(j)) {
            match self.district[j] {
                NONE => outside += 1,
                d => free[d as usize] += 1,
            }
        }
        let missing: Vec<usize> = (0..nd).map(|d| self.need[d].saturating_sub(counts[d])).collect();
        if (0..nd).any(|d| free[d] < missing[d]) {
            return false;
        }
        match left {
            Left::Count(k) => {
                let room: usize = outside
                    + (0..nd)
                        .map(|d| (self.cap[d] - counts[d]).min(free[d]))
                        .sum::<usize>();
                missing.iter().sum::<usize>() <= k && room >= k
            }
            Left::Budget(b) => {
                let costs = self.costs(state, allowed);
                (0..nd).map(|d| cheapest(&costs[d], missing[d])).sum::<f64>() <= b
            }
        }
    }
}

mod combos;
pub(crate) use combos::{solve_phased_with_quotas, solve_target_with_quotas};
mod cost_target;
pub(crate) use cost_target::{solve_capacitated_cost_target_with_quotas, solve_cost_target_with_quotas};
mod capacitated;
pub(crate) use capacitated::{
    solve_capacitated_target_with_quotas, solve_capacitated_with_quotas, solve_phased_capacitated_with_quotas,
};
