//! Siting care blocks: the maximal covering location problem (MCLP, Church & ReVelle 1974) with
//! partial coverage, existing sites, forbidden sites and a budget.
//!
//! Units `i` carry a demand `d_i ≥ 0`; candidate sites `j` cover units with a fraction
//! `f_ij ∈ (0, 1]` (a [`Coverage`] table). A set `S` of open sites covers unit `i` to the extent
//! `c_i(S) = max_{j∈S} f_ij` (no double counting), and the objective is `Σ_i d_i·c_i(S)`, a
//! monotone submodular function. Locked-in sites (existing care blocks) are always open and
//! free; locked-out sites are never opened. [`solve`] picks the new sites:
//!
//! 1. **Lazy greedy** (Minoux) on marginal gains, ties to the lowest candidate index; under a
//!    budget, the cost-benefit greedy (gain/cost) compared with the best single affordable site
//!    extended the same way (Khuller, Moss & Naor 1999).
//! 2. **Interchange** (Teitz & Bart 1968): best swap per selected site, passes until no swap
//!    gains more than 1e-12 of the objective; with per-unit best and second-best coverage, a
//!    pass costs O(Σ row lengths), not O(units) per evaluation.
//! 3. **Upper bound**: the minimum of the trivial bound, two submodular bounds and the
//!    Lagrangian relaxation of `y_i ≤ Σ_j f_ij x_j` minimised by subgradient, so every solution
//!    comes with a certified gap. The sites each Lagrangian subproblem picks are also evaluated
//!    as a solution (the Lagrangian heuristic); the best, improved by interchange, replaces the
//!    greedy one when it is better.
//! 4. **Exact mode** (optional): depth-first branch and bound on the same bounds.
//! 5. **Territorial equity** (optional, [`solve_with_quotas`]): a minimum and a maximum number
//!    of open sites per district, locked-in sites included. The minimums are met first (best
//!    marginal gain among the districts still short), the rest by coverage within the maxima;
//!    interchange, local search and branch and bound keep every district within its bounds.
//!    The bounds stay those of the problem without the quotas, which are upper bounds of the
//!    constrained optimum since constraints only shrink the feasible set.
//! 6. **Irreplaceability**: the objective lost when a selected site is forbidden and the rest
//!    re-optimised.
//!
//! The solver sees only the coverage table, so a walking-network travel-cost matrix can replace
//! the Euclidean radius by building the table with [`Coverage::from_rows`].
//!
//! ```
//! use careblock_siting::{Coverage, Limit, Options, Problem, solve};
//!
//! // Three candidates over four units; candidate 1 is an existing care block.
//! let coverage = Coverage::from_rows(
//!     4,
//!     vec![vec![(0, 1.0), (1, 1.0)], vec![(1, 1.0), (2, 0.5)], vec![(2, 1.0), (3, 1.0)]],
//! )
//! .unwrap();
//! let demand = [10.0, 5.0, 8.0, 2.0];
//! let problem = Problem {
//!     demand: &demand,
//!     coverage: &coverage,
//!     limit: Limit::Count(1),
//!     cost: None,
//!     locked_in: &[false, true, false],
//!     locked_out: &[],
//! };
//! let s = solve(&problem, &Options::default()).unwrap();
//! assert_eq!(s.selected, vec![0]); // 10 more covered, against 6 for candidate 2
//! assert_eq!(s.locked_in_coverage, 9.0);
//! assert_eq!(s.objective, 19.0);
//! assert!(s.optimal && s.bound >= s.objective);
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![allow(
    clippy::result_large_err,
    reason = "errors carry the file, feature id, field and value they concern; they are built once per failed run, never in a hot loop"
)]

mod bound;
mod capacity;
mod costs;
mod coverage;
mod equity;
mod error;
mod exact;
mod fill;
mod greedy;
mod instance;
mod phases;
pub mod plan;
pub mod points;
mod solve;
mod swap;
mod target;
#[cfg(test)]
mod tests;

pub use capacity::{
    CapacitatedSolution, CapacityOptions, assigned_with, capacitated_irreplaceability, solve_capacitated,
};
pub use costs::{CostCoverage, CostTable, coverage_from_costs};
pub use coverage::{Coverage, CoverageClasses};
pub use equity::{QuotaReport, Quotas, ShortReason, Shortfall};
pub use error::SitingError;
pub use phases::{PhasedSolution, solve_phased, solve_phased_capacitated, solve_phased_with};
pub use solve::{coverage_of, solve, solve_with_quotas};
pub use target::{
    CapacitatedTarget, TargetCost, TargetSolution, TargetSolves, UncapacitatedTarget, solve_target,
    solve_target_or_best, solve_target_or_best_with, solve_target_with,
};

/// How many new sites may be opened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// Exactly this many new sites (locked-in sites not counted). `Count(0)` is allowed and
    /// returns the locked-in sites alone.
    Count(usize),
    /// New sites whose costs add up to at most this budget (locked-in sites are free). As many
    /// sites as the budget allows are opened, except sites that would add no covered demand.
    Budget(f64),
}

/// A siting problem. `locked_in` and `locked_out` have one flag per candidate, or are empty for
/// "none".
#[derive(Debug, Clone, Copy)]
pub struct Problem<'a> {
    /// Demand weight of each unit (finite, `≥ 0`).
    pub demand: &'a [f64],
    /// Which units each candidate covers, and how much.
    pub coverage: &'a Coverage,
    /// How many new sites.
    pub limit: Limit,
    /// Cost of each candidate (finite, `> 0`); needed for [`Limit::Budget`]. The costs of
    /// locked-in and locked-out candidates are not used and not checked (an existing care block
    /// may cost 0).
    pub cost: Option<&'a [f64]>,
    /// Candidates that are open whatever happens (existing care blocks).
    pub locked_in: &'a [bool],
    /// Candidates that must not be opened.
    pub locked_out: &'a [bool],
}

/// What [`solve`] does beyond the greedy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Improve the greedy solution by interchange (default `true`).
    pub swap: bool,
    /// Subgradient iterations of the Lagrangian bound (default 300; 0 keeps only the cheap
    /// bounds).
    pub bound_iterations: usize,
    /// Node limit of the exact branch and bound; 0 (the default) skips it.
    pub exact_max_nodes: usize,
    /// Compute the irreplaceability of each selected site (default `true`).
    pub irreplaceability: bool,
    /// Rounds of iterated local search after the interchange (default 600; stops after 150
    /// rounds without improvement, or as soon as the gap is proven below 1e-9): each round
    /// closes 1 to 2/5 of the new sites (seeded, cycling sizes), reopens as many greedily among
    /// the others, and interchanges; the result is kept when it covers more.
    pub search_rounds: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            swap: true,
            bound_iterations: 300,
            exact_max_nodes: 0,
            irreplaceability: true,
            search_rounds: 600,
        }
    }
}

/// The chosen sites, their ranking, the certified gap and per-unit coverage.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// The new sites (candidate indices), in ranking order: each is the one with the largest
    /// marginal gain given the locked-in sites and the ones before it (ties to the lowest index).
    /// Locked-in sites are never listed.
    pub selected: Vec<usize>,
    /// Marginal gain of each selected site, in that order.
    pub marginal_gain: Vec<f64>,
    /// Ranking curve: covered demand with the locked-in sites and the first `k` selected sites,
    /// `k = 1..=selected.len()`; the last value is [`objective`](Self::objective).
    pub cumulative: Vec<f64>,
    /// Demand covered by the locked-in sites alone.
    pub locked_in_coverage: f64,
    /// Total covered demand, locked-in sites included.
    pub objective: f64,
    /// An upper bound on the best possible objective (locked-in sites included), `≥ objective`.
    pub bound: f64,
    /// `(bound − objective) / bound`, 0 when the bound is 0.
    pub gap: f64,
    /// Whether the solution is proven optimal: gap ≤ 1e-12, or the exact search finished (then
    /// optimal to within 1e-12 relative).
    pub optimal: bool,
    /// Per selected site (same order): the objective lost if that site is forbidden and the
    /// sites re-optimised by the heuristic (greedy + interchange, no bound), taking the better
    /// of a fresh run and of the other selected sites completed greedily and improved. Under
    /// `Count(p)` with exactly `p` eligible candidates the re-optimised set has `p − 1` sites.
    /// Heuristic re-optimisation can find a slightly better set than the solution itself; such
    /// negative losses are reported as 0. Empty when not asked for.
    pub irreplaceability: Vec<f64>,
    /// `c_i(S)` of each unit (locked-in sites included).
    pub unit_coverage: Vec<f64>,
    /// The open site (locked-in included) that covers each unit best, ties to the lowest index;
    /// `None` for uncovered units.
    pub unit_site: Vec<Option<usize>>,
}

/// The result of [`solve_with_quotas`]: the constrained solution, which of its sites the rule
/// placed, the same problem solved without the quotas (the cost of equity), and what the
/// constraints became.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaSolution {
    /// The solution under the quotas (its bound: see [`solve_with_quotas`]).
    pub solution: Solution,
    /// Per selected site (ranking order): whether the equity rule placed it. In each district,
    /// the number flagged is the new sites the minimum required, kept by the solution, less the
    /// new sites the unconstrained solution puts there (never below 0); the flagged ones are
    /// the district's sites ranked last. Every other site is placed by coverage.
    pub equity: Vec<bool>,
    /// The same problem without the quotas.
    pub unconstrained: Solution,
    /// Minimums lowered, maxima already exceeded, `p` lowered.
    pub report: QuotaReport,
}
