//! `careblock run` without the writing: load → assess → plan, each a stage the front end
//! follows.

use std::path::Path;

use careblock_index::{Assessment, IndexError, assess};
use careblock_io::IoError;
use careblock_method::Method;
use careblock_siting::plan::{Plan, PlanError, plan};
use polars::prelude::DataFrame;
use thiserror::Error;

use crate::load::{LoadOptions, LoadedInputs, load_inputs};
use crate::results::level_tables;

/// Why a run stopped.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// Reading, validating or projecting an input (or building a table).
    #[error(transparent)]
    Io(#[from] IoError),
    /// The index.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The siting.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The front end stopped the run between two stages (e.g. Ctrl-C in Python).
    #[error("the run was interrupted")]
    Interrupted,
}

impl PipelineError {
    /// What the user can do about this error, if careblock knows.
    pub fn hint(&self) -> Option<careblock_core::Hint> {
        match self {
            PipelineError::Io(e) => e.hint(),
            PipelineError::Index(e) => e.hint(),
            PipelineError::Plan(e) => e.hint(),
            _ => None,
        }
    }
}

/// How a front end follows the stages of a run: the command-line tool times them and shows
/// spinners, the Python bindings release the GIL and check for Ctrl-C between them.
pub trait Stages {
    /// Runs one stage: `name` is its key (`read_validate_project`, `index`, `siting`),
    /// `label` says what it does.
    fn stage<T: Send>(
        &mut self,
        name: &'static str,
        label: &str,
        work: impl FnOnce() -> Result<T, PipelineError> + Send,
    ) -> Result<T, PipelineError>;
}

/// A run's outcome: the method, its inputs as loaded (validated, projected), the assessment and
/// the plan (when the method has a `[siting]`).
pub struct Run {
    /// The method run.
    pub method: Method,
    /// Its inputs, in the working CRS. The units' input attributes are kept only as far as
    /// the outputs read them: after the index, the label column alone
    /// ([`LoadedInputs::release_unit_attributes`]).
    pub inputs: LoadedInputs,
    /// The index over the units and districts.
    pub assessment: Assessment,
    /// The siting.
    pub plan: Option<Plan>,
    /// The tables [`Run::release_level_columns`] built before releasing what they copied.
    pub(crate) tables: Option<(DataFrame, Option<DataFrame>)>,
}

impl Run {
    /// The units and districts tables (`units.csv`, `districts.csv`, the layers' attributes).
    pub fn level_tables(&self) -> Result<(DataFrame, Option<DataFrame>), IoError> {
        match &self.tables {
            // Cloning a DataFrame shares its columns.
            Some((units, districts)) => Ok((units.clone(), districts.clone())),
            None => level_tables(&self.assessment, &self.method, &self.inputs, self.plan.as_ref()),
        }
    }

    /// Builds the units' and districts' tables now, keeps them for [`Run::level_tables`], and
    /// releases the units' level columns that only those tables read: the raw, treated and
    /// normalised indicators, the dimension scores, the contributions, the imbalance penalty,
    /// the need mass and the extra columns (left empty). What stays is what `run.json`, the
    /// report and the terminal read of the units: ids, population, eligibility, clipping,
    /// index, rank, class, class bins and the Monte Carlo outcome.
    ///
    /// For a run that is written and then ends (`careblock run`): at 500,000 units the released
    /// columns are some 130 MB, which the tables hold again while the files are written. A run
    /// that draws the units on the report's map (which reads their columns) must not call it.
    pub fn release_level_columns(&mut self) -> Result<(), IoError> {
        if self.tables.is_none() {
            self.tables = Some(self.level_tables()?);
        }
        let units = &mut self.assessment.units;
        units.raw = Vec::new();
        units.treated = Vec::new();
        units.need_mass = Vec::new();
        units.extra = Vec::new();
        let s = &mut units.scores;
        s.normalised = Vec::new();
        s.dimensions = Vec::new();
        s.contributions = Vec::new();
        s.penalty = Vec::new();
        Ok(())
    }
}

/// Runs `method` (its paths relative to `base`): reads, validates and projects its inputs,
/// assesses the index and, with a `[siting]`, plans the blocks.
pub fn run(
    method: Method,
    base: &Path,
    options: &LoadOptions,
    stages: &mut impl Stages,
) -> Result<Run, PipelineError> {
    let inputs = stages.stage(
        "read_validate_project",
        "reading, validating and projecting the inputs",
        || Ok(load_inputs(&method, base, options)?),
    )?;
    let assessment = stages.stage(
        "index",
        "computing the index and its Monte Carlo uncertainty",
        || Ok(assess(&method, inputs.inputs())?),
    )?;
    let mut inputs = inputs;
    inputs.release_unit_attributes(method.spec.units.label.as_deref());
    let plan = match &method.spec.siting {
        None => None,
        Some(_) => Some(stages.stage("siting", "siting care blocks", || {
            Ok(plan(&method, inputs.plan_inputs(), &assessment)?)
        })?),
    };
    Ok(Run {
        method,
        inputs,
        assessment,
        plan,
        tables: None,
    })
}
