//! Coverage targets, the set-covering side ([`solve_target`]): the fewest new sites whose
//! coverage reaches a share of the demand, with a certified lower bound on that number.
//!
//! 1. **Reachable?** The coverage with every usable candidate open (locked-in and eligible) is
//!    the most any plan reaches; below the goal the target is unreachable and that share is
//!    reported.
//! 2. **Upper**: the greedy ranking over all eligible candidates gives the first count `k`
//!    whose prefix reaches the goal; [`solve`] at `Count(k)` improves that set, and when a
//!    shorter prefix of its ranking already reaches the goal the count drops and is solved again.
//! 3. **Lower**: at least `m` new sites are needed when the certified bound of the best
//!    `m − 1` sites is below the goal (the optimum grows with the count, so no smaller count
//!    can reach it either). Binary search over `m` with bound-only runs (greedy + Lagrangian,
//!    no local search). When the lower count is below the upper one, one more full solve at
//!    the lower count tries to close the difference.

use super::capacity::assigned_with;
use super::{
    CapacitatedSolution, CapacityOptions, Limit, Options, Problem, SitingError, Solution, coverage_of, solve,
    solve_capacitated,
};

/// The result of [`solve_target`].
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSolution {
    /// The share asked for, of the total demand.
    pub share: f64,
    /// The goal in demand (`share` × total demand).
    pub goal: f64,
    /// Total demand.
    pub total_demand: f64,
    /// The fewest new sites found that reach the goal (`None` when unreachable), its ranking
    /// and bound as [`solve`] gives them.
    pub solution: Option<Solution>,
    /// Proven: no fewer new sites can reach the goal. Equal to the solution's count when that
    /// count is optimal.
    pub lower: usize,
    /// Covered demand with every usable candidate open: the most any plan reaches.
    pub best_possible: f64,
    /// How many new sites that takes (every eligible candidate adding coverage).
    pub eligible: usize,
    /// Full and bound-only solves run.
    pub solves: (usize, usize),
    /// With costs (`problem.cost` given): the least total cost, not the fewest sites.
    pub cost: Option<TargetCost>,
}

/// The cost side of a least-cost target ([`solve_target`] with `problem.cost`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetCost {
    /// Total cost of the new sites of the solution (0 when the locked-in sites reach the goal).
    /// When the goal is out of reach: 0 from [`solve_target`], the cost of the plan (the
    /// cheapest found reaching the best possible share) from [`solve_target_or_best`].
    pub spent: f64,
    /// Proven: no set of new sites costing less reaches the goal (`+∞` when it is out of
    /// reach). Every budget below it has a certified coverage bound below the goal.
    pub lower: f64,
    /// Total cost of every eligible candidate adding coverage.
    pub eligible_cost: f64,
}

impl TargetCost {
    /// `(spent − lower) / spent`, 0 when nothing is spent; `None` when out of reach.
    pub fn gap(&self) -> Option<f64> {
        if !self.lower.is_finite() {
            None
        } else if self.spent > 0.0 {
            Some(((self.spent - self.lower) / self.spent).max(0.0))
        } else {
            Some(0.0)
        }
    }
}

impl TargetSolution {
    /// Whether the goal can be reached with the candidates given.
    pub fn reached(&self) -> bool {
        self.solution.is_some()
    }
}

/// The solves a coverage target needs, so that the same search serves the uncapacitated solver
/// ([`UncapacitatedTarget`]) and the capacitated one ([`CapacitatedTarget`]). Every `problem` given has a
/// `Limit::Count`, or for a least-cost target (costs given) a `Limit::Budget` or a `Limit::Count`
/// over a restricted problem.
pub trait TargetSolves {
    /// A full solve (the plan's quality).
    ///
    /// # Errors
    /// The solver's.
    fn full(&mut self, problem: &Problem<'_>) -> Result<Solution, SitingError>;
    /// A quick solve whose bound is certified (its objective may be poor).
    ///
    /// # Errors
    /// The solver's.
    fn bound_only(&mut self, problem: &Problem<'_>) -> Result<Solution, SitingError>;
    /// The objective with the locked-in sites and every site of `open` open.
    ///
    /// # Errors
    /// The solver's.
    fn value_with(&mut self, problem: &Problem<'_>, open: &[usize]) -> Result<f64, SitingError>;
    /// A first count to try: one whose quick solution reaches the goal (`reaches`), at most
    /// `eligible`.
    ///
    /// # Errors
    /// The solver's.
    fn first_count(
        &mut self,
        problem: &Problem<'_>,
        eligible: usize,
        reaches: &dyn Fn(f64) -> bool,
    ) -> Result<usize, SitingError>;
    /// A first budget to try for a least-cost target: one whose quick solution reaches the goal
    /// (`reaches`), at most `total` (the cost of every eligible candidate). Returns the budget
    /// and the new sites of that quick solution.
    ///
    /// # Errors
    /// The solver's.
    fn first_budget(
        &mut self,
        problem: &Problem<'_>,
        total: f64,
        reaches: &dyn Fn(f64) -> bool,
    ) -> Result<(f64, Vec<usize>), SitingError>;
}

/// The uncapacitated solves of [`solve_target`]: [`solve`] with the options given (full), the
/// greedy and the Lagrangian (bound only), the greedy ranking of every eligible candidate for
/// the first count.
pub struct UncapacitatedTarget<'o>(pub &'o Options);

impl TargetSolves for UncapacitatedTarget<'_> {
    fn full(&mut self, problem: &Problem<'_>) -> Result<Solution, SitingError> {
        solve(problem, self.0)
    }

    fn bound_only(&mut self, problem: &Problem<'_>) -> Result<Solution, SitingError> {
        solve(problem, &bound_only(self.0))
    }

    fn value_with(&mut self, problem: &Problem<'_>, open: &[usize]) -> Result<f64, SitingError> {
        Ok(coverage_of(problem, open))
    }

    fn first_count(
        &mut self,
        problem: &Problem<'_>,
        eligible: usize,
        reaches: &dyn Fn(f64) -> bool,
    ) -> Result<usize, SitingError> {
        let all = solve(
            &Problem {
                limit: Limit::Count(eligible),
                ..*problem
            },
            &Options {
                bound_iterations: 0,
                ..bound_only(self.0)
            },
        )?;
        Ok(first_reaching(&all, reaches).unwrap_or(all.selected.len()))
    }

    fn first_budget(
        &mut self,
        problem: &Problem<'_>,
        total: f64,
        reaches: &dyn Fn(f64) -> bool,
    ) -> Result<(f64, Vec<usize>), SitingError> {
        // The cost-benefit greedy over every eligible candidate, cut where it reaches the goal.
        let all = solve(
            &Problem {
                limit: Limit::Budget(total),
                ..*problem
            },
            &Options {
                bound_iterations: 0,
                ..bound_only(self.0)
            },
        )?;
        let k = first_reaching(&all, reaches).unwrap_or(all.selected.len());
        let sites = all.selected[..k].to_vec();
        Ok((spent(problem, &sites), sites))
    }
}

/// The capacitated solves of [`solve_target_with`]: [`solve_capacitated`] with `options`
/// (full), without interchange (bound only), the maximum flow with every site open, and a
/// search upward from the uncapacitated greedy's count (capacities only take away) for the
/// first count. Each full solve is kept, so the plan's assignment is at hand
/// ([`CapacitatedTarget::full_solution`]).
pub struct CapacitatedTarget<'c> {
    /// The capacity of each candidate.
    pub capacity: &'c [f64],
    /// The capacitated solver's options.
    pub options: CapacityOptions,
    full: Vec<CapacitatedSolution>,
}

impl<'c> CapacitatedTarget<'c> {
    /// The solves with these capacities and options.
    pub fn new(capacity: &'c [f64], options: CapacityOptions) -> CapacitatedTarget<'c> {
        CapacitatedTarget {
            capacity,
            options,
            full: Vec::new(),
        }
    }

    /// The full capacitated solve whose new sites are `selected` (the plan's), if one was run.
    pub fn full_solution(&self, selected: &[usize]) -> Option<&CapacitatedSolution> {
        self.full.iter().rev().find(|c| c.selected == selected)
    }

    /// The capacitated solution of the plan a target search returned (new sites `selected`):
    /// its full solve, kept; with no new site (the locked-in sites reach the goal, and the plan
    /// came from a bound-only solve) the solve of the locked-in sites alone.
    ///
    /// # Errors
    /// Those of [`solve_capacitated`].
    pub fn plan_solution(
        &self,
        problem: &Problem<'_>,
        selected: &[usize],
    ) -> Result<CapacitatedSolution, SitingError> {
        match self.full_solution(selected) {
            Some(c) => Ok(c.clone()),
            None => solve_capacitated(
                &Problem {
                    limit: Limit::Count(selected.len()),
                    ..*problem
                },
                self.capacity,
                &self.options,
            ),
        }
    }

    fn quick(&self) -> CapacityOptions {
        CapacityOptions {
            interchange: false,
            ..self.options
        }
    }
}

impl TargetSolves for CapacitatedTarget<'_> {
    fn full(&mut self, problem: &Problem<'_>) -> Result<Solution, SitingError> {
        let c = solve_capacitated(problem, self.capacity, &self.options)?;
        let s = c.to_solution();
        self.full.push(c);
        Ok(s)
    }

    fn bound_only(&mut self, problem: &Problem<'_>) -> Result<Solution, SitingError> {
        Ok(solve_capacitated(problem, self.capacity, &self.quick())?.to_solution())
    }

    fn value_with(&mut self, problem: &Problem<'_>, open: &[usize]) -> Result<f64, SitingError> {
        assigned_with(problem, self.capacity, open)
    }

    fn first_count(
        &mut self,
        problem: &Problem<'_>,
        eligible: usize,
        reaches: &dyn Fn(f64) -> bool,
    ) -> Result<usize, SitingError> {
        let mut k = UncapacitatedTarget(&Options::default()).first_count(problem, eligible, reaches)?;
        let quick = CapacityOptions {
            bound_iterations: 0,
            ..self.quick()
        };
        let value = |k: usize| -> Result<f64, SitingError> {
            Ok(solve_capacitated(
                &Problem {
                    limit: Limit::Count(k),
                    ..*problem
                },
                self.capacity,
                &quick,
            )?
            .objective)
        };
        // Upward by a quarter at a time (at least one) until the quick solution reaches it.
        while k < eligible && !reaches(value(k)?) {
            k = (k + k.div_ceil(4)).min(eligible);
        }
        Ok(k)
    }

    fn first_budget(
        &mut self,
        problem: &Problem<'_>,
        total: f64,
        reaches: &dyn Fn(f64) -> bool,
    ) -> Result<(f64, Vec<usize>), SitingError> {
        // From the uncapacitated greedy's budget, upward by a quarter at a time until the quick
        // capacitated solution reaches the goal (capacities only take away).
        let (mut b, _) = UncapacitatedTarget(&Options::default()).first_budget(problem, total, reaches)?;
        let quick = CapacityOptions {
            bound_iterations: 0,
            ..self.quick()
        };
        loop {
            let c = solve_capacitated(
                &Problem {
                    limit: Limit::Budget(b),
                    ..*problem
                },
                self.capacity,
                &quick,
            )?;
            if reaches(c.objective) || b >= total {
                return Ok((b, c.selected));
            }
            b = (b * 1.25).min(total);
        }
    }
}

/// [`solve_target`], and the plan to carry out: its solution when the goal is reachable, else
/// the fewest sites reaching the best possible share (one more [`solve_target`]). The target's
/// own `solution` is left in place, so [`TargetSolution::reached`] still tells the two apart.
///
/// # Errors
/// Those of [`solve_target`].
pub fn solve_target_or_best(
    problem: &Problem<'_>,
    share: f64,
    options: &Options,
) -> Result<(TargetSolution, Solution), SitingError> {
    solve_target_or_best_with(problem, share, &mut UncapacitatedTarget(options))
}

/// [`solve_target_or_best`] with the solves of `solves`.
///
/// # Errors
/// Those of [`solve_target_with`].
pub fn solve_target_or_best_with<S: TargetSolves>(
    problem: &Problem<'_>,
    share: f64,
    solves: &mut S,
) -> Result<(TargetSolution, Solution), SitingError> {
    let mut t = solve_target_with(problem, share, solves)?;
    let plan = match &t.solution {
        Some(s) => s.clone(),
        None => {
            let best = solve_target_with(problem, (t.best_possible / t.total_demand).min(1.0), solves)?;
            if let (Some(c), Some(b)) = (&mut t.cost, &best.cost) {
                c.spent = b.spent;
            }
            best.solution.expect("the best possible share is reachable")
        }
    };
    Ok((t, plan))
}

/// The first prefix of `s`'s ranking (a count) whose cumulative objective reaches the goal.
fn first_reaching(s: &Solution, reaches: &dyn Fn(f64) -> bool) -> Option<usize> {
    s.cumulative.iter().position(|&c| reaches(c)).map(|i| i + 1)
}

/// Total cost of the new sites `sites` (1 each without costs), summed in their order.
fn spent(problem: &Problem<'_>, sites: &[usize]) -> f64 {
    sites.iter().map(|&j| problem.cost.map_or(1.0, |c| c[j])).sum()
}

/// Relative width at which the bisections over budgets stop.
const COST_TOLERANCE: f64 = 1e-3;
/// Most bound-only solves of the bisection for the lower bound on the cost.
const MAX_BOUND_STEPS: usize = 40;
/// Most full solves of the bisection for a cheaper plan, after the first.
const MAX_FULL_STEPS: usize = 4;

/// The options of a bound-only run: the greedy and the Lagrangian bound.
fn bound_only(options: &Options) -> Options {
    Options {
        swap: false,
        search_rounds: 0,
        irreplaceability: false,
        exact_max_nodes: 0,
        ..*options
    }
}

/// The fewest new sites whose coverage, locked-in sites included, reaches `share` of the total
/// demand (`problem.limit` is ignored). With costs (`problem.cost`), the least total cost of
/// new sites instead, with a certified lower bound on that cost ([`TargetCost`]):
///
/// 1. **Upper**: the cost-benefit greedy over every eligible candidate, cut where it reaches the
///    goal, gives a first budget; [`solve`] under that budget improves the set, and every set
///    found that reaches the goal is trimmed (its sites, most expensive first, dropped while the
///    rest still reach it).
/// 2. **Lower**: no set costing at most `b` reaches the goal when the certified coverage bound
///    under the budget `b` is below it. Bisection over budgets with bound-only runs (greedy and
///    Lagrangian; the Lagrangian's site choice is a fractional knapsack) between 0 and the
///    cheapest set found, until the interval is 0.1 % of that cost; each budget whose bound is
///    below the goal raises the lower bound, each whose greedy reaches it may lower the cost.
///    The lower bound is also at least the cheapest eligible candidate and, when every cost is a
///    whole number, the next whole number above the largest budget proven too small.
/// 3. **Closer**: full solves under budgets between the smallest budget whose bound reaches the
///    goal and the cheapest cost found (at most five), each lowering the cost when it reaches
///    the goal and raising the lower bound when its bound does not.
///
/// The solution is then the cheapest set ranked (a solve over its sites alone), with the
/// coverage bound under its cost as its bound.
///
/// # Errors
/// [`SitingError::TargetShare`] for a share outside (0, 1]; those of [`solve`].
pub fn solve_target(
    problem: &Problem<'_>,
    share: f64,
    options: &Options,
) -> Result<TargetSolution, SitingError> {
    solve_target_with(problem, share, &mut UncapacitatedTarget(options))
}

/// [`solve_target`] with the solves of `solves` (e.g. [`CapacitatedTarget`]: the fewest capacitated
/// sites whose assigned demand reaches the share).
///
/// # Errors
/// [`SitingError::TargetShare`] for a share outside (0, 1]; those of the solves.
pub fn solve_target_with<S: TargetSolves>(
    problem: &Problem<'_>,
    share: f64,
    solves: &mut S,
) -> Result<TargetSolution, SitingError> {
    if !(share > 0.0 && share <= 1.0) {
        return Err(SitingError::TargetShare(share));
    }
    let problem = Problem {
        limit: Limit::Count(0),
        ..*problem
    };
    // Validates the problem and gives the locked-in coverage.
    let base = solves.bound_only(&problem)?;
    let total: f64 = problem.demand.iter().sum();
    let goal = share * total;
    let m = problem.coverage.n_candidates();
    let flag = |f: &[bool], j: usize| f.get(j).copied().unwrap_or(false);
    let eligible: Vec<usize> = (0..m)
        .filter(|&j| {
            !flag(problem.locked_in, j) && !flag(problem.locked_out, j) && !problem.coverage.row(j).is_empty()
        })
        .collect();
    let best_possible = solves.value_with(&problem, &eligible)?;
    // The goal within rounding of the sums.
    let reaches = |v: f64| v >= goal * (1.0 - 1e-12);
    let mut result = TargetSolution {
        share,
        goal,
        total_demand: total,
        solution: None,
        lower: 0,
        best_possible,
        eligible: eligible.len(),
        solves: (0, 1),
        cost: problem.cost.map(|_| TargetCost {
            spent: 0.0,
            lower: 0.0,
            eligible_cost: spent(&problem, &eligible),
        }),
    };
    if reaches(base.objective) {
        result.solution = Some(base);
        return Ok(result);
    }
    if !reaches(best_possible) {
        // No plan reaches it: at least one more site than the candidates can give.
        result.lower = eligible.len() + 1;
        if let Some(c) = &mut result.cost {
            c.lower = f64::INFINITY;
        }
        return Ok(result);
    }
    if problem.cost.is_some() {
        return least_cost(&problem, &eligible, &reaches, solves, result);
    }
    // A first count: the greedy ranking over every eligible candidate.
    let mut k = solves.first_count(&problem, eligible.len(), &reaches)?;
    result.solves.1 += 1;
    let solve_at = |solves: &mut S, k: usize, result: &mut TargetSolution| {
        result.solves.0 += 1;
        solves.full(&Problem {
            limit: Limit::Count(k),
            ..problem
        })
    };
    let mut best = solve_at(solves, k, &mut result)?;
    while let Some(shorter) = first_reaching(&best, &reaches).filter(|&s| s < k) {
        k = shorter;
        best = solve_at(solves, k, &mut result)?;
    }
    // Lower bound: the largest m ≤ k with bound(m − 1) < goal found by binary search
    // (bound(0) is the locked-in coverage, below the goal).
    let (mut lo, mut hi) = (1, k);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let b = solves.bound_only(&Problem {
            limit: Limit::Count(mid - 1),
            ..problem
        })?;
        result.solves.1 += 1;
        if reaches(b.bound) {
            hi = mid - 1;
        } else {
            lo = mid;
        }
    }
    result.lower = lo;
    if lo < k {
        let s = solve_at(solves, lo, &mut result)?;
        if reaches(s.objective) {
            k = lo;
            best = s;
        } else if !reaches(s.bound) {
            // Its bound proves `lo` too few: one more is needed.
            result.lower = lo + 1;
        }
    }
    debug_assert!(result.lower <= k);
    result.solution = Some(best);
    Ok(result)
}

/// The least-cost search of [`solve_target`] (steps 1 to 3), from the result so far (the goal
/// reachable, the locked-in sites alone short of it).
fn least_cost<S: TargetSolves>(
    problem: &Problem<'_>,
    eligible: &[usize],
    reaches: &dyn Fn(f64) -> bool,
    solves: &mut S,
    mut result: TargetSolution,
) -> Result<TargetSolution, SitingError> {
    let cost = problem.cost.expect("a least-cost target has costs");
    let total = spent(problem, eligible);
    let at = |b: f64| Problem {
        limit: Limit::Budget(b),
        ..*problem
    };
    // The sites of `set`, most expensive first (ties to the highest index), dropped while the
    // rest still reach the goal. Coverage only shrinks as sites close, so one pass leaves no
    // site that could be dropped alone.
    let trim = |solves: &mut S, set: &[usize]| -> Result<Vec<usize>, SitingError> {
        let mut keep = set.to_vec();
        let mut order = set.to_vec();
        order.sort_unstable_by(|&a, &b| cost[b].total_cmp(&cost[a]).then(b.cmp(&a)));
        for j in order {
            let rest: Vec<usize> = keep.iter().copied().filter(|&x| x != j).collect();
            if reaches(solves.value_with(problem, &rest)?) {
                keep = rest;
            }
        }
        Ok(keep)
    };
    // The cheapest set found reaching the goal, and its cost.
    let (b0, first) = solves.first_budget(problem, total, reaches)?;
    result.solves.1 += 1;
    let mut best = if reaches(solves.value_with(problem, &first)?) {
        trim(solves, &first)?
    } else {
        trim(solves, eligible)?
    };
    let mut upper = spent(problem, &best);
    let offer = |set: Vec<usize>, best: &mut Vec<usize>, upper: &mut f64| {
        let c = spent(problem, &set);
        if c < *upper {
            (*best, *upper) = (set, c);
        }
    };
    result.solves.0 += 1;
    let s = solves.full(&at(b0.max(upper)))?;
    if reaches(s.objective) {
        let set = trim(solves, &s.selected)?;
        offer(set, &mut best, &mut upper);
    }
    // Certified: no set costing at most `lo` reaches the goal (the locked-in sites alone do not,
    // and every new site costs at least the cheapest).
    let cheapest = eligible.iter().map(|&j| cost[j]).fold(f64::INFINITY, f64::min);
    let mut lo = 0.0_f64;
    // The smallest budget seen whose bound reaches the goal.
    let mut hi = upper;
    let mut steps = 0;
    while hi - lo > COST_TOLERANCE * upper && steps < MAX_BOUND_STEPS {
        steps += 1;
        let mid = 0.5 * (lo + hi);
        let s = solves.bound_only(&at(mid))?;
        result.solves.1 += 1;
        if reaches(s.objective) {
            let set = trim(solves, &s.selected)?;
            hi = spent(problem, &set).min(mid);
            offer(set, &mut best, &mut upper);
        } else if reaches(s.bound) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    // Full solves between `hi` (the first) and the cheapest cost found.
    let mut fail = hi;
    let mut full = 0;
    while upper - fail > COST_TOLERANCE * upper && full <= MAX_FULL_STEPS {
        let b = if full == 0 { hi } else { 0.5 * (fail + upper) };
        full += 1;
        let s = solves.full(&at(b))?;
        result.solves.0 += 1;
        if reaches(s.objective) {
            let set = trim(solves, &s.selected)?;
            offer(set, &mut best, &mut upper);
        } else {
            fail = b;
            if !reaches(s.bound) {
                lo = lo.max(b);
            }
        }
    }
    // With whole costs the least cost is a whole number above `lo`.
    let whole = eligible.iter().all(|&j| cost[j].fract() == 0.0 && cost[j] < 1e15);
    let lo = if whole { lo.floor() + 1.0 } else { lo };
    let lower = lo.max(cheapest).min(upper);
    // The plan: the cheapest set, ranked by a solve over its sites alone, with the coverage
    // bound under its cost.
    let m = problem.coverage.n_candidates();
    let flag = |f: &[bool], j: usize| f.get(j).copied().unwrap_or(false);
    let mut only = vec![true; m];
    for &j in &best {
        only[j] = false;
    }
    for (j, o) in only.iter_mut().enumerate() {
        if flag(problem.locked_in, j) {
            *o = false;
        }
    }
    result.solves.0 += 1;
    let mut sol = solves.full(&Problem {
        limit: Limit::Count(best.len()),
        cost: None,
        locked_out: &only,
        ..*problem
    })?;
    let b = solves.bound_only(&at(upper))?;
    result.solves.1 += 1;
    sol.bound = b.bound.max(sol.objective);
    sol.gap = if sol.bound > 0.0 {
        ((sol.bound - sol.objective) / sol.bound).max(0.0)
    } else {
        0.0
    };
    sol.optimal = sol.gap <= 1e-12;
    result.lower = best.len().min(result.lower.max(1));
    result.cost = Some(TargetCost {
        spent: upper,
        lower,
        eligible_cost: total,
    });
    result.solution = Some(sol);
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::random;
    use crate::{Coverage, coverage_of};
    use careblock_core::rng::SplitMix64 as Rng;

    /// The fewest new sites reaching `goal`, by enumeration.
    fn fewest(p: &Problem<'_>, goal: f64) -> Option<usize> {
        let m = p.coverage.n_candidates();
        let flag = |v: &[bool], j: usize| v.get(j).copied().unwrap_or(false);
        let eligible: Vec<usize> = (0..m)
            .filter(|&j| !flag(p.locked_in, j) && !flag(p.locked_out, j))
            .collect();
        (0u32..(1 << eligible.len()))
            .filter(|mask| {
                let set: Vec<usize> = (0..eligible.len())
                    .filter(|&k| mask >> k & 1 == 1)
                    .map(|k| eligible[k])
                    .collect();
                coverage_of(p, &set) >= goal * (1.0 - 1e-12)
            })
            .map(|mask| mask.count_ones() as usize)
            .min()
    }

    #[test]
    fn fewest_sites_match_enumeration_and_the_lower_bound_is_valid() {
        let mut exact = 0;
        let mut cases = 0;
        for seed in 0..60 {
            let mut rng = Rng(100 + seed);
            let (cov, demand) = random(&mut rng, 16, 10, 0.2);
            let locked_in: Vec<bool> = (0..10).map(|j| j == 0 && seed % 2 == 0).collect();
            let locked_out: Vec<bool> = (0..10).map(|j| j == 9).collect();
            let p = Problem {
                demand: &demand,
                coverage: &cov,
                limit: Limit::Count(0),
                cost: None,
                locked_in: &locked_in,
                locked_out: &locked_out,
            };
            for share in [0.3, 0.6, 0.8, 0.95] {
                let t = solve_target(&p, share, &Options::default()).unwrap();
                let truth = fewest(&p, t.goal);
                match (truth, &t.solution) {
                    (None, None) => {
                        assert!(t.best_possible < t.goal);
                        assert!(t.lower > t.eligible);
                    }
                    (Some(k), Some(s)) => {
                        cases += 1;
                        assert!(s.objective >= t.goal * (1.0 - 1e-12));
                        assert!(
                            t.lower <= k,
                            "seed {seed} share {share}: lower {} > fewest {k}",
                            t.lower
                        );
                        assert!(s.selected.len() >= k);
                        if s.selected.len() == k {
                            exact += 1;
                        }
                    }
                    (a, b) => panic!(
                        "seed {seed} share {share}: enumeration {a:?}, solver {:?}",
                        b.as_ref().map(|s| s.selected.len())
                    ),
                }
            }
        }
        // The local search is exact on instances this small in practice.
        assert!(exact * 100 >= cases * 98, "{exact} of {cases}");
    }

    /// The least total cost of new sites reaching `goal`, by enumeration.
    fn cheapest(p: &Problem<'_>, goal: f64, value: &dyn Fn(&[usize]) -> f64) -> Option<f64> {
        let m = p.coverage.n_candidates();
        let cost = p.cost.unwrap();
        let flag = |v: &[bool], j: usize| v.get(j).copied().unwrap_or(false);
        let eligible: Vec<usize> = (0..m)
            .filter(|&j| !flag(p.locked_in, j) && !flag(p.locked_out, j))
            .collect();
        (0u32..(1 << eligible.len()))
            .filter_map(|mask| {
                let set: Vec<usize> = (0..eligible.len())
                    .filter(|&k| mask >> k & 1 == 1)
                    .map(|k| eligible[k])
                    .collect();
                (value(&set) >= goal * (1.0 - 1e-12)).then(|| set.iter().map(|&j| cost[j]).sum::<f64>())
            })
            .min_by(f64::total_cmp)
    }

    /// Checks a least-cost target against enumeration; returns whether the cost found is the
    /// least.
    pub(crate) fn check_least_cost(
        t: &TargetSolution,
        p: &Problem<'_>,
        value: &dyn Fn(&[usize]) -> f64,
        what: &str,
    ) -> Option<bool> {
        let c = t.cost.expect("a cost outcome");
        let cost = p.cost.unwrap();
        match (cheapest(p, t.goal, value), &t.solution) {
            (None, None) => {
                assert!(t.best_possible < t.goal, "{what}");
                assert!(c.lower.is_infinite(), "{what}");
                None
            }
            (Some(truth), Some(s)) => {
                assert!(
                    value(&s.selected) >= t.goal * (1.0 - 1e-12),
                    "{what}: short of the goal"
                );
                assert!(s.objective >= t.goal * (1.0 - 1e-12), "{what}");
                let spent: f64 = s.selected.iter().map(|&j| cost[j]).sum();
                assert!(
                    (spent - c.spent).abs() <= 1e-9 * spent.max(1.0),
                    "{what}: {spent} vs {}",
                    c.spent
                );
                assert!(
                    spent >= truth * (1.0 - 1e-12),
                    "{what}: found {spent} below the least {truth}"
                );
                assert!(
                    c.lower <= truth * (1.0 + 1e-12),
                    "{what}: lower bound {} above the least cost {truth}",
                    c.lower
                );
                assert!(s.bound >= s.objective);
                Some(spent <= truth * (1.0 + 1e-9))
            }
            (a, b) => panic!(
                "{what}: enumeration {a:?}, solver {:?}",
                b.as_ref().map(|s| s.selected.clone())
            ),
        }
    }

    #[test]
    fn least_cost_matches_enumeration_and_the_lower_bound_is_valid() {
        let (mut exact, mut cases, mut lower_sum, mut truth_sum) = (0, 0, 0.0, 0.0);
        for seed in 0..60 {
            let mut rng = Rng(300 + seed);
            let (cov, demand) = random(&mut rng, 16, 10, 0.2);
            let cost: Vec<f64> = (0..10)
                .map(|_| {
                    if seed % 2 == 0 {
                        (1 + rng.below(5)) as f64
                    } else {
                        0.5 + 3.0 * rng.uniform()
                    }
                })
                .collect();
            let locked_in: Vec<bool> = (0..10).map(|j| j == 0 && seed % 3 == 0).collect();
            let locked_out: Vec<bool> = (0..10).map(|j| j == 9).collect();
            let p = Problem {
                demand: &demand,
                coverage: &cov,
                limit: Limit::Count(0),
                cost: Some(&cost),
                locked_in: &locked_in,
                locked_out: &locked_out,
            };
            for share in [0.3, 0.6, 0.8, 0.95] {
                let t = solve_target(&p, share, &Options::default()).unwrap();
                let what = format!("seed {seed} share {share}");
                if let Some(least) = check_least_cost(&t, &p, &|s| coverage_of(&p, s), &what) {
                    cases += 1;
                    exact += usize::from(least);
                    let c = t.cost.unwrap();
                    lower_sum += c.lower;
                    truth_sum += c.spent;
                }
            }
        }
        assert!(cases > 100, "{cases}");
        assert!(exact * 100 >= cases * 95, "{exact} of {cases}");
        // The bound is not trivial: on average within a third of the cost.
        assert!(lower_sum >= 0.66 * truth_sum, "{lower_sum} vs {truth_sum}");
    }

    #[test]
    fn least_cost_prefers_cheap_sites_and_reports_out_of_reach() {
        // Candidate 0 covers units 0 and 1 (cost 10); candidates 1 and 2 one each (cost 1);
        // unit 3 is out of reach.
        let cov =
            Coverage::from_rows(4, vec![vec![(0, 1.0), (1, 1.0)], vec![(0, 1.0)], vec![(1, 1.0)]]).unwrap();
        let demand = [4.0, 4.0, 1.0, 1.0];
        let cost = [10.0, 1.0, 1.0];
        let p = Problem {
            demand: &demand,
            coverage: &cov,
            limit: Limit::Count(0),
            cost: Some(&cost),
            locked_in: &[],
            locked_out: &[],
        };
        let t = solve_target(&p, 0.8, &Options::default()).unwrap();
        let mut sel = t.solution.as_ref().unwrap().selected.clone();
        sel.sort_unstable();
        assert_eq!(sel, vec![1, 2]);
        let c = t.cost.unwrap();
        assert_eq!(c.spent, 2.0);
        assert!(c.lower > 1.0 && c.lower <= 2.0, "{}", c.lower);
        assert_eq!(c.eligible_cost, 12.0);
        let t = solve_target(&p, 0.95, &Options::default()).unwrap();
        assert!(!t.reached());
        assert!(t.cost.unwrap().lower.is_infinite());
        assert_eq!(t.cost.unwrap().gap(), None);
    }

    #[test]
    fn already_met_unreachable_and_bad_shares() {
        // Candidate 0 (locked in) covers units 0 and 1; candidate 1 covers unit 2; unit 3 is
        // out of reach.
        let cov = Coverage::from_rows(4, vec![vec![(0, 1.0), (1, 1.0)], vec![(2, 1.0)]]).unwrap();
        let demand = [4.0, 4.0, 1.0, 1.0];
        let p = Problem {
            demand: &demand,
            coverage: &cov,
            limit: Limit::Count(0),
            cost: None,
            locked_in: &[true, false],
            locked_out: &[],
        };
        let t = solve_target(&p, 0.8, &Options::default()).unwrap();
        assert_eq!(t.solution.as_ref().map(|s| s.selected.len()), Some(0));
        let t = solve_target(&p, 0.9, &Options::default()).unwrap();
        assert_eq!(t.solution.as_ref().map(|s| s.selected.clone()), Some(vec![1]));
        assert_eq!(t.lower, 1);
        let t = solve_target(&p, 1.0, &Options::default()).unwrap();
        assert!(!t.reached());
        assert_eq!(t.best_possible, 9.0);
        for bad in [0.0, -0.1, 1.5, f64::NAN] {
            assert!(matches!(
                solve_target(&p, bad, &Options::default()),
                Err(SitingError::TargetShare(_))
            ));
        }
    }
}
