//! The care prioritization index: indicator treatment, normalisation, aggregation,
//! classification, access to existing supply (E2SFCA), and the Monte Carlo uncertainty
//! analysis. The formulas are plain functions over columns of `Option<f64>` (`None` =
//! missing), so each can be checked against a hand computation or a reference package.

pub mod access;
pub mod aggregate;
pub mod assess;
pub mod classify;
pub mod compute;
pub mod expr;
pub mod method;
pub mod normalise;
pub mod treat;
pub mod uncertainty;

pub use assess::{Assessment, IndexError, Inputs, Level, assess};
pub use method::{Method, MethodError};

/// Whether larger raw values of an indicator mean more need (`Positive`) or less (`Negative`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Direction {
    /// More of it, more need (e.g. share of children under 10).
    #[default]
    Positive,
    /// More of it, less need (e.g. access to existing care services).
    Negative,
}

impl Direction {
    /// `+1.0` or `-1.0`.
    pub fn sign(self) -> f64 {
        match self {
            Direction::Positive => 1.0,
            Direction::Negative => -1.0,
        }
    }
}
