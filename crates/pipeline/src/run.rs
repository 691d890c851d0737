//! `careblock run` without the writing: load → assess → plan, each a stage the front end
//! follows.

use std::path::Path;

use careblock_index::{Assessment, IndexError, assess, assess_with_unit_attributes};
use careblock_io::IoError;
use careblock_method::Method;
use careblock_siting::plan::{Plan, PlanError, plan};
use polars::prelude::DataFrame;
use thiserror::Error;

use crate::load::{LoadOptions, LoadedInputs, load_inputs};
use crate::results::{index_tables, index_tables_releasing, with_plan_columns};

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
    /// the outputs read them: the label column alone, the index having taken the others
    /// ([`LoadedInputs::take_unit_attributes`]).
    pub inputs: LoadedInputs,
    /// The index over the units and districts.
    pub assessment: Assessment,
    /// The siting.
    pub plan: Option<Plan>,
    /// The index's part of the tables ([`index_tables`]), built before the units' level
    /// columns they copy were released ([`Run::release_level_columns`]).
    pub(crate) tables: Option<(DataFrame, Option<DataFrame>)>,
}

impl Run {
    /// The units and districts tables (`units.csv`, `districts.csv`, the layers' attributes).
    pub fn level_tables(&self) -> Result<(DataFrame, Option<DataFrame>), IoError> {
        let tables = match &self.tables {
            // Cloning a DataFrame shares its columns.
            Some((units, districts)) => (units.clone(), districts.clone()),
            None => index_tables(&self.assessment, &self.method, &self.inputs)?,
        };
        match &self.plan {
            Some(p) => with_plan_columns(tables, &self.inputs, p),
            None => Ok(tables),
        }
    }

    /// Builds the index's part of the units' and districts' tables now, keeps it for
    /// [`Run::level_tables`], and releases the units' level columns that only those tables
    /// read, each as soon as its table column is built
    /// ([`crate::results::index_tables_releasing`]). [`run`] does this after the index when
    /// nothing later reads those columns ([`level_columns_read_later`]).
    ///
    /// For a run that is written and then ends (`careblock run`): at 500,000 units the released
    /// columns are some 130 MB, which the tables hold again, at half the size. A run that draws
    /// the units on the report's map (which reads their columns) must not call it.
    pub fn release_level_columns(&mut self) -> Result<(), IoError> {
        if self.tables.is_none() {
            self.tables = Some(index_tables_releasing(
                &mut self.assessment,
                &self.method,
                &self.inputs,
            )?);
        }
        Ok(())
    }
}

/// The most units the report's interactive map draws beside the districts; with more, it
/// shows the districts alone and reads no unit column [`Run::release_level_columns`] empties.
pub const MAX_UNITS_ON_MAP: usize = 10_000;

/// Whether the report's map draws the units: it has no districts to show instead, or the
/// units are few enough.
pub fn units_on_map(a: &Assessment) -> bool {
    a.districts.is_none() || a.units.len() <= MAX_UNITS_ON_MAP
}

/// Whether anything after the index reads the units' columns that
/// [`Run::release_level_columns`] empties besides the tables: the report's map when it draws the units, and the robust
/// siting, which draws the index again from the treated indicators.
fn level_columns_read_later(method: &Method, a: &Assessment) -> bool {
    units_on_map(a) || method.spec.siting.as_ref().is_some_and(|s| s.robust.is_some())
}

/// Runs `method` (its paths relative to `base`): reads, validates and projects its inputs,
/// assesses the index and, with a `[siting]`, plans the blocks. It releases what nothing after
/// reads: the units' input attributes but the label in the index, once it has evaluated the
/// unit expressions; after the index, unless the report's map draws the units or a robust
/// siting redraws their index, the units' level columns only the tables read (the tables'
/// index part is built then).
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
    let mut inputs = inputs;
    let (assessment, tables) = stages.stage(
        "index",
        "computing the index and its Monte Carlo uncertainty",
        || {
            let mut a = match inputs.take_unit_attributes(method.spec.units.label.as_deref()) {
                Some(attributes) => assess_with_unit_attributes(&method, inputs.inputs(), attributes)?,
                None => assess(&method, inputs.inputs())?,
            };
            // The siting is where the peak of a national run is: the tables hold the units'
            // indicator columns at half the size of the level's.
            let tables = if level_columns_read_later(&method, &a) {
                None
            } else {
                Some(index_tables_releasing(&mut a, &method, &inputs)?)
            };
            Ok((a, tables))
        },
    )?;
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
        tables,
    })
}
