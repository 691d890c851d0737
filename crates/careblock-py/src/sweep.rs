//! `careblock.sweep()` and `careblock.dask.sweep()`: a [`SweepSession`] reads the method, the
//! sweep file and the inputs once and runs any of the scenarios on demand (a Dask worker keeps
//! one per sweep and runs the scenarios it is given); [`sweep_tables`] assembles the summary
//! tables from the scenarios' summaries, in the sweep's order, as `careblock sweep` writes them.

use std::path::{Path, PathBuf};

use careblock_io::read_method;
use careblock_method::Method;
use careblock_method::sweep::Sweep;
use careblock_pipeline::results::sites_table;
use careblock_pipeline::sweep::{
    ScenarioSummary, SweepState, Sweeper, districts_table, key_values, summary_table,
};
use careblock_pipeline::{LoadOptions, LoadedInputs, load_inputs};
use pyo3::prelude::*;
use pyo3_polars::PyDataFrame;

use crate::errors::{Failure, Kind};

/// The base method with `--lang`'s override, the sweep, and every scenario's method (built and
/// checked: an unknown key or an invalid value fails here, before any input is read).
fn prepare(
    method_path: &Path,
    sweep_path: &Path,
    lang: Option<&str>,
) -> Result<(Method, Sweep, Vec<Method>), Failure> {
    let mut method = read_method(method_path)?;
    if let Some(l) = lang {
        method.spec.lang =
            careblock_text::Lang::parse(l).map_err(|e| Failure::new(Kind::Method, e.to_string()))?;
    }
    let name = sweep_path.display().to_string();
    let text = std::fs::read_to_string(sweep_path)
        .map_err(|e| Failure::new(Kind::Input, format!("cannot read {name}: {e}")))?;
    let sweep = Sweep::from_toml(&name, &text).map_err(|e| Failure::new(Kind::Method, e.to_string()))?;
    let methods = sweep
        .scenarios
        .iter()
        .map(|s| {
            s.apply(&method)
                .map_err(|e| Failure::new(Kind::Method, e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((method, sweep, methods))
}

/// The sweep's keys and its scenarios' names, every scenario's method checked (nothing read).
#[pyfunction]
#[pyo3(signature = (method_path, sweep_path, lang=None))]
pub fn sweep_plan(
    method_path: PathBuf,
    sweep_path: PathBuf,
    lang: Option<String>,
) -> PyResult<(Vec<String>, Vec<String>)> {
    let (_, sweep, _) = prepare(&method_path, &sweep_path, lang.as_deref())?;
    Ok((
        sweep.keys(),
        sweep.scenarios.iter().map(|s| s.name.clone()).collect(),
    ))
}

/// A sweep's inputs, read once, and the scenarios it can run.
#[pyclass(module = "careblock._careblock")]
pub struct SweepSession {
    method: Method,
    sweep: Sweep,
    methods: Vec<Method>,
    inputs: LoadedInputs,
    state: Option<SweepState>,
}

#[pymethods]
impl SweepSession {
    /// Reads the method, the sweep and the method's inputs (paths relative to the method file).
    #[new]
    #[pyo3(signature = (method_path, sweep_path, lang=None, fix_invalid=false))]
    fn new(
        py: Python<'_>,
        method_path: PathBuf,
        sweep_path: PathBuf,
        lang: Option<String>,
        fix_invalid: bool,
    ) -> PyResult<SweepSession> {
        let (method, sweep, methods) = prepare(&method_path, &sweep_path, lang.as_deref())?;
        let base = method_path.parent().unwrap_or(Path::new("")).to_path_buf();
        let inputs = py
            .detach(|| load_inputs(&method, &base, &LoadOptions { fix_invalid }))
            .map_err(Failure::from)?;
        let state = Sweeper::new(&method, &inputs)
            .map_err(Failure::from)?
            .into_state();
        Ok(SweepSession {
            method,
            sweep,
            methods,
            inputs,
            state: Some(state),
        })
    }

    /// Number of scenarios.
    fn __len__(&self) -> usize {
        self.methods.len()
    }

    /// Runs scenario `i` (0-based): its summary as JSON (what `sweep_tables` takes) and its
    /// sites table (`None` when it failed).
    fn run(&mut self, py: Python<'_>, i: usize) -> PyResult<(String, Option<PyDataFrame>)> {
        let (Some(scenario), Some(method)) = (self.sweep.scenarios.get(i), self.methods.get(i)) else {
            return Err(Failure::new(
                Kind::Method,
                format!("no scenario {i}: the sweep has {}", self.methods.len()),
            )
            .into());
        };
        let keys: Vec<String> = scenario.overrides.iter().map(|(k, _)| k.clone()).collect();
        let state = self.state.take().unwrap_or_default();
        let (base, inputs) = (&self.method, &self.inputs);
        let (state, outcome, sites) = py.detach(|| {
            let mut sweeper = Sweeper::resume(base, inputs, state);
            let outcome = sweeper.run(method, &keys);
            let sites = match &outcome {
                Ok(r) => r.plan.as_ref().map(|p| sites_table(p, inputs.crs)).transpose(),
                Err(_) => Ok(None),
            };
            (sweeper.into_state(), outcome, sites)
        });
        self.state = Some(state);
        let summary = ScenarioSummary::of(
            &scenario.name,
            key_values(&self.sweep.keys(), &scenario.overrides),
            &outcome,
        );
        let sites = if summary.outcome.is_ok() {
            sites.map_err(Failure::from)?
        } else {
            None
        };
        let json = serde_json::to_string(&summary)
            .map_err(|e| Failure::new(Kind::Input, format!("scenario summary: {e}")))?;
        Ok((json, sites.map(PyDataFrame)))
    }
}

/// `sweep.csv` and `sweep_districts.csv` from the scenarios' summaries (JSON, in order).
#[pyfunction]
pub fn sweep_tables(keys: Vec<String>, summaries: Vec<String>) -> PyResult<(PyDataFrame, PyDataFrame)> {
    let rows = summaries
        .iter()
        .map(|s| serde_json::from_str::<ScenarioSummary>(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::new(Kind::Input, format!("scenario summary: {e}")))?;
    let summary = summary_table(&keys, &rows).map_err(Failure::from)?;
    let districts = districts_table(&rows).map_err(Failure::from)?;
    Ok((PyDataFrame(summary), PyDataFrame(districts)))
}
