//! The care prioritization index: indicator treatment, normalisation, aggregation,
//! classification, access to existing supply (E2SFCA), and the Monte Carlo uncertainty
//! analysis. The formulas are plain functions over columns of `Option<f64>` (`None` =
//! missing), so each can be checked against a hand computation or a reference package.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![allow(
    clippy::result_large_err,
    reason = "errors carry the file, feature id, field and value they concern; they are built once per failed run, never in a hot loop"
)]

use careblock_method::DirectionSpec;

pub mod access;
pub mod aggregate;
pub mod assess;
pub mod classify;
pub mod compute;
pub mod normalise;
pub mod treat;
pub mod uncertainty;

pub use assess::{
    Assessment, IndexError, Inputs, Level, assess, assess_with_unit_attributes, draw_need_mass,
};

/// Whether larger raw values of an indicator mean more need (`Positive`) or less (`Negative`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Direction {
    /// More of it, more need (e.g. share of children under 10).
    #[default]
    Positive,
    /// More of it, less need (e.g. access to existing care services).
    Negative,
}

impl From<DirectionSpec> for Direction {
    fn from(d: DirectionSpec) -> Direction {
        match d {
            DirectionSpec::Positive => Direction::Positive,
            DirectionSpec::Negative => Direction::Negative,
        }
    }
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
