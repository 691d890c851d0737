//! Errors of the siting solver.

use thiserror::Error;

/// Errors of the coverage table and of the siting problem. Each carries the offending value and
/// where it is.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum SitingError {
    /// A coverage row that refers to a unit that does not exist.
    #[error("candidate {candidate} covers unit {unit}, but there are only {units} units")]
    UnitIndex {
        /// The candidate (row) holding the reference.
        candidate: usize,
        /// The unit index found.
        unit: u32,
        /// Number of units.
        units: usize,
    },
    /// A coverage fraction outside `(0, 1]` (or not a number).
    #[error(
        "candidate {candidate} covers unit {unit} with fraction {value:?}, which is not a number in (0, 1]"
    )]
    Fraction {
        /// The candidate (row).
        candidate: usize,
        /// The unit.
        unit: u32,
        /// The fraction as given.
        value: f64,
    },
    /// An input whose length does not match the coverage table.
    #[error("{what} has {found} values but the coverage table has {expected} {of}")]
    Length {
        /// Which input (`"demand"`, `"cost"`, `"locked_in"`, `"locked_out"`).
        what: &'static str,
        /// The length found.
        found: usize,
        /// The length expected.
        expected: usize,
        /// What the expected length counts (`"units"` or `"candidates"`).
        of: &'static str,
    },
    /// A unit demand that is negative or not finite.
    #[error("unit {unit}: demand {value:?} is not a finite non-negative number")]
    Demand {
        /// The unit index.
        unit: usize,
        /// The demand as given.
        value: f64,
    },
    /// A candidate cost that is not a finite number > 0.
    #[error("candidate {candidate}: cost {value:?} is not a finite number > 0")]
    Cost {
        /// The candidate index.
        candidate: usize,
        /// The cost as given.
        value: f64,
    },
    /// A budget that is not a finite number > 0.
    #[error("budget {0:?} is not a finite number > 0")]
    Budget(f64),
    /// A budget limit without a cost per candidate.
    #[error("a budget limit needs a cost per candidate, and none was given")]
    MissingCost,
    /// A candidate that is both locked in and locked out.
    #[error("candidate {candidate} is both locked in and locked out")]
    LockedBoth {
        /// The candidate index.
        candidate: usize,
    },
    /// New sites are asked for but every candidate is locked in or locked out.
    #[error(
        "no eligible candidate: of {candidates} candidates, {locked_in} are locked in and {locked_out} locked out"
    )]
    NoEligible {
        /// Number of candidates.
        candidates: usize,
        /// How many are locked in.
        locked_in: usize,
        /// How many are locked out.
        locked_out: usize,
    },
    /// More new sites asked for than there are eligible candidates.
    #[error(
        "{requested} new sites requested but only {eligible} candidates are eligible (not locked in or out)"
    )]
    TooFewCandidates {
        /// The number of new sites asked for.
        requested: usize,
        /// The number of eligible candidates.
        eligible: usize,
    },
    /// Opening phases that are empty, or mix counts and budgets.
    #[error("opening phases: {0}")]
    Phases(&'static str),
    /// A bad row of a cost table (a cost that is not a number ≥ 0, a pair given twice).
    #[error("{file}: data row {}: {message}", row + 1)]
    CostRow {
        /// The table's file.
        file: String,
        /// The row (0-based, header excluded; shown 1-based as "data row").
        row: usize,
        /// What is wrong, with the ids and value.
        message: String,
    },
    /// A coverage target outside (0, 1].
    #[error("coverage target {0:?} is not a share in (0, 1]")]
    TargetShare(f64),
    /// A candidate assigned to a district that does not exist.
    #[error("candidate {candidate} is in district {district}, but there are only {districts} districts")]
    District {
        /// The candidate.
        candidate: usize,
        /// The district index found.
        district: u32,
        /// Number of districts.
        districts: usize,
    },
    /// A priority list that is not a permutation of the districts.
    #[error("the district priority lists {district} out of range or twice (there are {districts} districts)")]
    Priority {
        /// The offending entry.
        district: usize,
        /// Number of districts.
        districts: usize,
    },
    /// A district whose minimum exceeds its maximum.
    #[error("district {district}: minimum {min} is above the maximum {max}")]
    MinAboveMax {
        /// The district.
        district: usize,
        /// Its minimum.
        min: usize,
        /// Its maximum.
        max: usize,
    },
    /// A candidate that can open (not locked out) with a capacity that is not a number > 0
    /// (`+∞` is allowed: uncapacitated).
    #[error("candidate {candidate}: capacity {value:?} is not a number > 0")]
    Capacity {
        /// The candidate index.
        candidate: usize,
        /// The capacity as given.
        value: f64,
    },
}
