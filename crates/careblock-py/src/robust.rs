//! `careblock.robust_siting()` and `careblock.dask.robust_siting()`: a [`RobustSession`] reads
//! the method and its inputs, assesses the index and plans the blocks once, then solves any
//! block of the robust siting's draws on demand (a Dask worker keeps one per method and solves
//! the blocks it is given) and turns every draw's choice, in draw order, into the tables
//! `careblock run` writes (`robust.csv`, `robust_districts.csv`, `sites.csv`).

use std::path::{Path, PathBuf};

use careblock_io::read_method;
use careblock_method::Method;
use careblock_pipeline::robust::{RobustSession as Session, with_draws};
use careblock_pipeline::{LoadOptions, PipelineError};
use pyo3::prelude::*;
use pyo3_polars::PyDataFrame;

use crate::PyStages;
use crate::errors::{Failure, Kind};

/// The method file with `draws` (when given) as its `[siting.robust] draws` and `lang` as its
/// language, checked; nothing else is read.
fn prepare(method_path: &Path, draws: Option<i64>, lang: Option<&str>) -> Result<Method, Failure> {
    // Checked before anything is read, as the CLI's --lang.
    let lang = lang
        .map(careblock_text::Lang::parse)
        .transpose()
        .map_err(|e| Failure::new(Kind::Method, e.to_string()))?;
    let method = read_method(method_path)?;
    let draws = match draws {
        Some(d) if d < 0 => {
            return Err(method
                .invalid(
                    0..0,
                    "siting.robust.draws",
                    format!(
                        "must be at least 1 (the number of index draws, each followed by a siting), got {d}"
                    ),
                )
                .into());
        }
        d => d.map(|d| usize::try_from(d).unwrap_or(usize::MAX)),
    };
    let mut method = with_draws(method, draws)?;
    if let Some(l) = lang {
        method.spec.lang = l;
    }
    Ok(method)
}

/// The number of draws `robust_siting` would solve for this method file and `draws`, every
/// check made (the method, `[siting.robust]`, the draws, the language) and nothing read.
#[pyfunction]
#[pyo3(signature = (method_path, draws=None, lang=None))]
pub fn robust_plan(
    py: Python<'_>,
    method_path: PathBuf,
    draws: Option<i64>,
    lang: Option<String>,
) -> PyResult<usize> {
    let method = py.detach(|| prepare(&method_path, draws, lang.as_deref()))?;
    Ok(method
        .spec
        .siting
        .as_ref()
        .and_then(|s| s.robust.as_ref())
        .map_or(0, |r| *r.draws.get_ref()))
}

/// A method's inputs, index and plan, read and computed once, and the robust siting's draws it
/// can solve.
#[pyclass(module = "careblock._careblock", frozen)]
pub struct RobustSession {
    session: Session,
}

#[pymethods]
impl RobustSession {
    /// Reads the method (paths relative to its file) with `draws` overriding its
    /// `[siting.robust] draws`, its inputs, and computes the index and the plan.
    #[new]
    #[pyo3(signature = (method_path, draws=None, lang=None, fix_invalid=false))]
    fn new(
        py: Python<'_>,
        method_path: PathBuf,
        draws: Option<i64>,
        lang: Option<String>,
        fix_invalid: bool,
    ) -> PyResult<RobustSession> {
        let method = py.detach(|| prepare(&method_path, draws, lang.as_deref()))?;
        let base = method_path.parent().unwrap_or(Path::new("")).to_path_buf();
        py.check_signals()?;
        let mut stages = PyStages {
            py,
            interrupted: None,
        };
        match Session::new(method, &base, &LoadOptions { fix_invalid }, &mut stages) {
            Ok(session) => Ok(RobustSession { session }),
            Err(PipelineError::Interrupted) => Err(stages
                .interrupted
                .take()
                .unwrap_or_else(|| Failure::new(Kind::Input, "the run was interrupted").into())),
            Err(e) => Err(Failure::from(e).into()),
        }
    }

    /// The number of draws.
    #[getter]
    fn draws(&self) -> usize {
        self.session.draws()
    }

    /// The number of candidates (the choices are indices below it).
    #[getter]
    fn candidates(&self) -> usize {
        self.session.candidates()
    }

    /// The new sites (candidate indices, in the solver's order) each draw `start..stop`
    /// chooses, in draw order.
    fn choose(&self, py: Python<'_>, start: usize, stop: usize) -> PyResult<Vec<Vec<usize>>> {
        let session = &self.session;
        Ok(py.detach(|| session.choose(start..stop)).map_err(Failure::from)?)
    }

    /// `robust.csv`, `robust_districts.csv` (`None` without districts) and `sites.csv` of the
    /// draws' choices `chosen` (one per draw, in draw order).
    fn finish(
        &self,
        py: Python<'_>,
        chosen: Vec<Vec<usize>>,
    ) -> PyResult<(PyDataFrame, Option<PyDataFrame>, PyDataFrame)> {
        let session = &self.session;
        let t = py.detach(|| session.finish(&chosen)).map_err(Failure::from)?;
        Ok((
            PyDataFrame(t.candidates),
            t.districts.map(PyDataFrame),
            PyDataFrame(t.sites),
        ))
    }
}
