//! # careblock-pipeline
//!
//! The one way a method is run, shared by the `careblock` command and the Python bindings:
//! [`load_inputs`] reads every input the method declares (with its attribute tables),
//! validates it (repairs it on request) and projects it to the working CRS;
//! [`run`] then assesses the index and plans the blocks, reporting each stage to the caller's
//! [`Stages`]; [`results`] turns the outcome into the tables every front end shows (units,
//! districts, sites, assignments, uncovered, equity) and `run.json`. [`check_method`] is
//! `careblock validate`: the same reading with every problem collected instead of the first
//! returned.
//!
//! Nothing here writes a file: the outputs are `careblock-report`'s.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![allow(
    clippy::result_large_err,
    reason = "errors carry the file, feature id, field and value they concern; they are built once per failed run, never in a hot loop"
)]

mod check;
mod load;
pub mod region;
pub mod results;
pub mod robust;
mod run;
pub mod sweep;

pub use check::{CheckReport, ColumnSummary, InputSummary, Problem, Severity, check_method};
pub use load::{LoadOptions, LoadedInputs, check_geometries, load_inputs};
pub use run::{MAX_UNITS_ON_MAP, PipelineError, Run, Stages, run, units_on_map};
