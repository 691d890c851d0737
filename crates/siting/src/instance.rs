//! The validated, compacted problem the algorithms work on, and the incremental coverage state
//! shared by the greedy, the interchange and the branch and bound.
//!
//! Only units with positive demand that some usable site (locked in, or eligible and affordable)
//! covers can change the objective, so the instance keeps just those ("active" units, in their
//! original order) and drops the rows of sites that can never open. Candidates keep their
//! indices. Summing `d_i·c_i` over active units in order gives bit for bit the same total as
//! over all units, since the dropped terms are exact zeros.

use rayon::prelude::*;

use super::{Coverage, Limit, Problem, SitingError};

/// No owner.
pub(super) const NONE: u32 = u32::MAX;

/// Candidates per rayon task when a pass runs over all candidates.
pub(super) const CANDIDATES_PER_TASK: usize = 64;

/// What is left to spend: new sites, or budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Left {
    /// This many more sites, exactly.
    Count(usize),
    /// Sites whose costs add up to at most this.
    Budget(f64),
}

/// The compacted problem.
#[derive(Debug, Clone)]
pub(super) struct Instance {
    /// Demand of each active unit.
    pub(super) demand: Vec<f64>,
    /// Candidate → active units (empty rows for sites that can never open).
    pub(super) rows: Coverage,
    /// Active unit → candidates, sorted by candidate.
    pub(super) cols: Coverage,
    /// Locked-in sites, ascending.
    pub(super) fixed: Vec<usize>,
    /// Sites that may be chosen: eligible (not locked) and, under a budget, affordable.
    pub(super) allowed: Vec<bool>,
    /// Cost of each candidate (1 when no costs were given).
    pub(super) cost: Vec<f64>,
    /// The limit as given.
    pub(super) limit: Limit,
}

pub(super) fn check_len(
    what: &'static str,
    found: usize,
    expected: usize,
    of: &'static str,
) -> Result<(), SitingError> {
    if found == expected {
        Ok(())
    } else {
        Err(SitingError::Length {
            what,
            found,
            expected,
            of,
        })
    }
}

/// One flag per candidate; an empty slice means none set.
fn flags(what: &'static str, given: &[bool], m: usize) -> Result<Vec<bool>, SitingError> {
    if given.is_empty() {
        return Ok(vec![false; m]);
    }
    check_len(what, given.len(), m, "candidates")?;
    Ok(given.to_vec())
}

impl Instance {
    /// Validates the problem and compacts it.
    pub(super) fn new(problem: &Problem<'_>) -> Result<Instance, SitingError> {
        let coverage = problem.coverage;
        let (n, m) = (coverage.n_units(), coverage.n_candidates());
        check_len("demand", problem.demand.len(), n, "units")?;
        if let Some(cost) = problem.cost {
            check_len("cost", cost.len(), m, "candidates")?;
        }
        let locked_in = flags("locked_in", problem.locked_in, m)?;
        let locked_out = flags("locked_out", problem.locked_out, m)?;
        if let Some((unit, &value)) = problem
            .demand
            .iter()
            .enumerate()
            .find(|(_, d)| !(d.is_finite() && **d >= 0.0))
        {
            return Err(SitingError::Demand { unit, value });
        }
        if let Some(candidate) = (0..m).find(|&j| locked_in[j] && locked_out[j]) {
            return Err(SitingError::LockedBoth { candidate });
        }
        if let Limit::Budget(b) = problem.limit {
            if !(b.is_finite() && b > 0.0) {
                return Err(SitingError::Budget(b));
            }
            if problem.cost.is_none() {
                return Err(SitingError::MissingCost);
            }
        }
        let eligible: Vec<bool> = (0..m).map(|j| !locked_in[j] && !locked_out[j]).collect();
        let cost = match problem.cost {
            Some(cost) => {
                if let Some(candidate) =
                    (0..m).find(|&j| eligible[j] && !(cost[j].is_finite() && cost[j] > 0.0))
                {
                    return Err(SitingError::Cost {
                        candidate,
                        value: cost[candidate],
                    });
                }
                cost.to_vec()
            }
            None => vec![1.0; m],
        };
        let n_eligible = eligible.iter().filter(|&&e| e).count();
        let wants_sites = !matches!(problem.limit, Limit::Count(0));
        if wants_sites && n_eligible == 0 {
            return Err(SitingError::NoEligible {
                candidates: m,
                locked_in: locked_in.iter().filter(|&&l| l).count(),
                locked_out: locked_out.iter().filter(|&&l| l).count(),
            });
        }
        if let Limit::Count(p) = problem.limit
            && p > n_eligible
        {
            return Err(SitingError::TooFewCandidates {
                requested: p,
                eligible: n_eligible,
            });
        }
        let allowed: Vec<bool> = (0..m)
            .map(|j| {
                eligible[j]
                    && match problem.limit {
                        Limit::Count(p) => p > 0,
                        Limit::Budget(b) => cost[j] <= b,
                    }
            })
            .collect();
        let usable = |j: usize| allowed[j] || locked_in[j];

        // Active units, numbered in their original order.
        let mut index = vec![NONE; n];
        for j in (0..m).filter(|&j| usable(j)) {
            for &(u, _) in coverage.row(j) {
                index[u as usize] = 0;
            }
        }
        let mut demand = Vec::new();
        for (u, slot) in index.iter_mut().enumerate() {
            if *slot == 0 && problem.demand[u] > 0.0 {
                *slot = demand.len() as u32;
                demand.push(problem.demand[u]);
            } else {
                *slot = NONE;
            }
        }
        let mut offsets = Vec::with_capacity(m + 1);
        offsets.push(0);
        let mut entries = Vec::new();
        for j in 0..m {
            if usable(j) {
                entries.extend(coverage.row(j).iter().filter_map(|&(u, f)| {
                    let a = index[u as usize];
                    (a != NONE).then_some((a, f))
                }));
            }
            offsets.push(entries.len());
        }
        let rows = Coverage::from_parts(demand.len(), offsets, entries);
        let cols = rows.transpose();
        Ok(Instance {
            demand,
            rows,
            cols,
            fixed: (0..m).filter(|&j| locked_in[j]).collect(),
            allowed,
            cost,
            limit: problem.limit,
        })
    }

    /// Number of candidates.
    pub(super) fn m(&self) -> usize {
        self.rows.n_candidates()
    }

    /// Number of active units.
    pub(super) fn n(&self) -> usize {
        self.demand.len()
    }

    /// The whole limit, as what is left before any new site is opened.
    pub(super) fn full(&self) -> Left {
        match self.limit {
            Limit::Count(p) => Left::Count(p),
            Limit::Budget(b) => Left::Budget(b),
        }
    }

    /// Sum of the costs of `sites`, in order.
    pub(super) fn spent(&self, sites: &[usize]) -> f64 {
        sites.iter().map(|&j| self.cost[j]).sum()
    }

    /// What is left once `sites` (new sites) are open, for a limit that allows `count` new sites
    /// in all.
    pub(super) fn left_after(&self, sites: &[usize], count: usize) -> Left {
        match self.limit {
            Limit::Count(_) => Left::Count(count.saturating_sub(sites.len())),
            Limit::Budget(b) => Left::Budget(b - self.spent(sites)),
        }
    }
}

/// Which sites are open, with each active unit's best coverage, a site giving it and its
/// second-best coverage (from another open site; equal to the best on ties, so which of the
/// tied sites owns the unit does not matter), so that both the gain of opening a site and the
/// loss of closing one cost O(row length).
#[derive(Debug, Clone)]
pub(super) struct State<'a> {
    inst: &'a Instance,
    best: Vec<f64>,
    second: Vec<f64>,
    owner: Vec<u32>,
    open: Vec<bool>,
}

impl<'a> State<'a> {
    /// Only the locked-in sites open.
    pub(super) fn new(inst: &'a Instance) -> State<'a> {
        let n = inst.n();
        let mut state = State {
            inst,
            best: vec![0.0; n],
            second: vec![0.0; n],
            owner: vec![NONE; n],
            open: vec![false; inst.m()],
        };
        for &j in &inst.fixed {
            state.open(j);
        }
        state
    }

    /// The locked-in sites and `sites` open.
    pub(super) fn with_sites(inst: &'a Instance, sites: &[usize]) -> State<'a> {
        let mut state = State::new(inst);
        for &j in sites {
            state.open(j);
        }
        state
    }

    pub(super) fn instance(&self) -> &'a Instance {
        self.inst
    }

    pub(super) fn is_open(&self, j: usize) -> bool {
        self.open[j]
    }

    /// Covered demand `Σ d_i·c_i`, summed in unit order.
    pub(super) fn value(&self) -> f64 {
        self.best.iter().zip(&self.inst.demand).map(|(b, d)| d * b).sum()
    }

    /// Increase of the covered demand if `j` opens (0 if it is open).
    pub(super) fn gain(&self, j: usize) -> f64 {
        let d = &self.inst.demand;
        let mut g = 0.0;
        for &(i, f) in self.inst.rows.row(j) {
            let b = self.best[i as usize];
            if f > b {
                g += d[i as usize] * (f - b);
            }
        }
        g
    }

    /// The gains of all candidates `allowed` and not open (0 for the others), in parallel.
    pub(super) fn gains(&self, allowed: &[bool]) -> Vec<f64> {
        (0..self.inst.m())
            .into_par_iter()
            .with_min_len(CANDIDATES_PER_TASK)
            .map(|j| {
                if allowed[j] && !self.open[j] {
                    self.gain(j)
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// Brings `gains` (this state's [`State::gains`] before the sites `changed` were opened or
    /// closed) up to date: only candidates sharing a unit with a changed site can have a
    /// different gain, and each is recomputed the same way, so the result is bit for bit
    /// `self.gains(allowed)` (when `allowed` is the one the old gains were taken with, or
    /// differs from it only on changed sites).
    pub(super) fn patch_gains(&self, allowed: &[bool], gains: &mut [f64], changed: &[usize]) {
        let mut seen = vec![false; self.inst.m()];
        for &s in changed {
            for &(i, _) in self.inst.rows.row(s) {
                for &(c, _) in self.inst.cols.row(i as usize) {
                    let c = c as usize;
                    if !seen[c] {
                        seen[c] = true;
                        gains[c] = if allowed[c] && !self.open[c] {
                            self.gain(c)
                        } else {
                            0.0
                        };
                    }
                }
            }
            // A changed site that covers no active unit still follows its own flags.
            if !seen[s] {
                seen[s] = true;
                gains[s] = if allowed[s] && !self.open[s] {
                    self.gain(s)
                } else {
                    0.0
                };
            }
        }
    }

    /// Decrease of the covered demand if the open site `s` closes.
    pub(super) fn loss(&self, s: usize) -> f64 {
        let d = &self.inst.demand;
        let mut l = 0.0;
        for &(i, _) in self.inst.rows.row(s) {
            let i = i as usize;
            if self.owner[i] == s as u32 {
                l += d[i] * (self.best[i] - self.second[i]);
            }
        }
        l
    }

    /// For swapping the open site `s` out, adds to `extra[j]` (for `j` allowed and closed) the
    /// correction `Σ d_i·(min(f_ij, b1_i) − b2_i)⁺` over the units `s` covers best, and lists the
    /// `j` touched. Then the change of the objective when `s` closes and `j` opens is exactly
    /// `gain(j) − loss(s) + extra[j]`: on a unit owned by `s` and covered by `j`, closing `s`
    /// drops it to `b2` and opening `j` lifts it to `max(b2, f_ij)`, which `gain − loss` counts
    /// as `(f_ij − b1)⁺ − (b1 − b2)`.
    pub(super) fn swap_extra(&self, s: usize, allowed: &[bool], extra: &mut [f64], touched: &mut Vec<usize>) {
        let d = &self.inst.demand;
        for &(i, _) in self.inst.rows.row(s) {
            let i = i as usize;
            if self.owner[i] != s as u32 {
                continue;
            }
            let (b1, b2) = (self.best[i], self.second[i]);
            for &(j, f) in self.inst.cols.row(i) {
                let j = j as usize;
                if f > b2 && allowed[j] && !self.open[j] {
                    if extra[j] == 0.0 {
                        touched.push(j);
                    }
                    extra[j] += d[i] * (f.min(b1) - b2);
                }
            }
        }
    }

    /// Opens `j`.
    pub(super) fn open(&mut self, j: usize) {
        debug_assert!(!self.open[j]);
        self.open[j] = true;
        for &(i, f) in self.inst.rows.row(j) {
            let i = i as usize;
            if f > self.best[i] {
                self.second[i] = self.best[i];
                self.best[i] = f;
                self.owner[i] = j as u32;
            } else if f > self.second[i] {
                self.second[i] = f;
            }
        }
    }

    /// Closes `s`, recomputing the units it covers from their open sites.
    pub(super) fn close(&mut self, s: usize) {
        debug_assert!(self.open[s]);
        self.open[s] = false;
        for &(i, _) in self.inst.rows.row(s) {
            let i = i as usize;
            let (mut b1, mut b2, mut owner) = (0.0, 0.0, NONE);
            for &(j, f) in self.inst.cols.row(i) {
                if !self.open[j as usize] {
                    continue;
                }
                if f > b1 {
                    b2 = b1;
                    b1 = f;
                    owner = j;
                } else if f > b2 {
                    b2 = f;
                }
            }
            self.best[i] = b1;
            self.second[i] = b2;
            self.owner[i] = owner;
        }
    }
}
