//! `careblock.run_regions()` and `careblock.dask.run_regions()`: a [`RegionSession`] reads the
//! method and its inputs once and runs any territory on demand (a Dask worker keeps one per
//! method and attribute and runs the territories it is given), writing its folder as
//! `careblock regions` does when asked; [`regions_table`] and [`write_regions`] assemble
//! `regions.csv` and `regions.json` from the territories' summaries, in sorted order.

use std::path::{Path, PathBuf};

use careblock_io::{InputFile, method_inputs, read_method, write_csv, write_text};
use careblock_method::Method;
use careblock_pipeline::region::{
    RegionError, RegionSummary, Regions, failure_reason, folder_name, regions_report, run_region,
};
use careblock_pipeline::results::sites_table;
use careblock_pipeline::{LoadOptions, LoadedInputs, PipelineError, load_inputs};
use careblock_report::{FormatRequest, write_outputs};
use pyo3::prelude::*;
use pyo3_polars::{PyDataFrame, PySeries};

use crate::errors::{Failure, Kind};
use crate::frames::wgs84_wkb;

impl From<RegionError> for Failure {
    fn from(e: RegionError) -> Failure {
        match e {
            RegionError::Io(e) => e.into(),
            RegionError::NoDistricts { .. } | RegionError::BadSpec { .. } => {
                Failure::new(Kind::Method, e.to_string())
            }
            other => Failure::new(Kind::Input, other.to_string()),
        }
    }
}

/// The method with `lang`'s override (checked before anything is read).
fn method_of(path: &Path, lang: Option<&str>) -> Result<Method, Failure> {
    let mut method = read_method(path)?;
    if let Some(l) = lang {
        method.spec.lang =
            careblock_text::Lang::parse(l).map_err(|e| Failure::new(Kind::Method, e.to_string()))?;
    }
    if method.spec.districts.is_none() {
        return Err(RegionError::NoDistricts {
            method: method.file.clone(),
        }
        .into());
    }
    Ok(method)
}

/// One territory's tables: (table, WKB geometries in lon/lat).
type Level = (PyDataFrame, PySeries);

/// What [`RegionSession::run`] gives: the summary (JSON), the units and districts (with their
/// geometries) and the sites, or `None`s when the territory failed.
type Outcome = (String, Option<Level>, Option<Level>, Option<PyDataFrame>);

/// A method's inputs, read once, and its territories by one attribute.
#[pyclass(module = "careblock._careblock")]
pub struct RegionSession {
    method: Method,
    files: Vec<InputFile>,
    inputs: LoadedInputs,
    regions: Regions,
}

#[pymethods]
impl RegionSession {
    /// Reads the method and its inputs (paths relative to the method file) and groups the
    /// districts by `by`: a missing attribute raises here.
    #[new]
    #[pyo3(signature = (method_path, by, lang=None, fix_invalid=false))]
    fn new(
        py: Python<'_>,
        method_path: PathBuf,
        by: String,
        lang: Option<String>,
        fix_invalid: bool,
    ) -> PyResult<RegionSession> {
        let method = method_of(&method_path, lang.as_deref())?;
        let base = method_path.parent().unwrap_or(Path::new("")).to_path_buf();
        let (files, inputs, regions) = py.detach(|| -> Result<_, Failure> {
            let files = method_inputs(&method, &method_path, &base)?;
            let inputs = load_inputs(&method, &base, &LoadOptions { fix_invalid })?;
            let regions = Regions::new(&method, &inputs, &by)?;
            Ok((files, inputs, regions))
        })?;
        Ok(RegionSession {
            method,
            files,
            inputs,
            regions,
        })
    }

    /// The territories to run: `only`'s values (sorted, each checked) or every value of the
    /// attribute, sorted as text.
    #[pyo3(signature = (only=None))]
    fn values(&self, only: Option<Vec<String>>) -> PyResult<Vec<String>> {
        match only {
            None => Ok(self.regions.values().to_vec()),
            Some(mut v) => {
                v.sort();
                v.dedup();
                for value in &v {
                    self.regions.check(value).map_err(Failure::from)?;
                }
                Ok(v)
            }
        }
    }

    /// Units in no district (they belong to no territory).
    fn unassigned(&self) -> usize {
        self.regions.unassigned()
    }

    /// Runs territory `value`: its summary (JSON, what `regions_table` takes), its units and
    /// districts tables with their geometries, and its sites; with `out`, writes its folder
    /// `out/ATTRIBUTE=VALUE/` as `careblock regions` does (the method's `[output]` formats).
    /// A territory without units or that cannot be sited is a summary with its reason.
    #[pyo3(signature = (value, out=None))]
    fn run(&self, py: Python<'_>, value: String, out: Option<PathBuf>) -> PyResult<Outcome> {
        let (method, inputs, regions, files) = (&self.method, &self.inputs, &self.regions, &self.files);
        let by = regions.by().to_string();
        let result = py.detach(|| -> Result<Outcome, Failure> {
            let region = match regions.select(inputs, &value) {
                Ok(r) => r,
                Err(e @ RegionError::NoUnits { .. }) => {
                    let summary = RegionSummary::failed(&value, regions, &failure_reason(&e));
                    return Ok((to_json(&summary)?, None, None, None));
                }
                Err(e) => return Err(e.into()),
            };
            let run = match run_region(method.clone(), region, &mut Quiet) {
                Ok(run) => run,
                Err(e) => {
                    let summary = RegionSummary::failed(&value, regions, &e.to_string());
                    return Ok((to_json(&summary)?, None, None, None));
                }
            };
            if let Some(out) = &out {
                let dir = out.join(folder_name(&by, &value));
                write_outputs(&run, &dir, files, &FormatRequest::default())?;
            }
            let summary = RegionSummary::of_run(&by, &value, &run);
            let (units, districts) = run.level_tables()?;
            let units = (PyDataFrame(units), PySeries(wgs84_wkb(&run.inputs.units)?));
            let districts = match (districts, &run.inputs.districts) {
                (Some(df), Some(layer)) => Some((PyDataFrame(df), PySeries(wgs84_wkb(layer)?))),
                _ => None,
            };
            let sites = run
                .plan
                .as_ref()
                .map(|p| sites_table(p, run.inputs.crs))
                .transpose()?
                .map(PyDataFrame);
            Ok((to_json(&summary)?, Some(units), districts, sites))
        })?;
        Ok(result)
    }
}

/// The pipeline's stages inside a session (the GIL is already released).
struct Quiet;

impl careblock_pipeline::Stages for Quiet {
    fn stage<T: Send>(
        &mut self,
        _name: &'static str,
        _label: &str,
        work: impl FnOnce() -> Result<T, PipelineError> + Send,
    ) -> Result<T, PipelineError> {
        work()
    }
}

fn to_json(summary: &RegionSummary) -> Result<String, Failure> {
    serde_json::to_string(summary).map_err(|e| Failure::new(Kind::Input, format!("region summary: {e}")))
}

fn summaries(json: &[String]) -> Result<Vec<RegionSummary>, Failure> {
    json.iter()
        .map(|s| serde_json::from_str::<RegionSummary>(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::new(Kind::Input, format!("region summary: {e}")))
}

/// `regions.csv` from the territories' summaries (JSON, in order).
#[pyfunction]
pub fn regions_table(summaries_json: Vec<String>) -> PyResult<PyDataFrame> {
    let rows = summaries(&summaries_json)?;
    Ok(PyDataFrame(
        careblock_pipeline::region::regions_table(&rows).map_err(Failure::from)?,
    ))
}

/// Writes `out/regions.csv` and `out/regions.json` as `careblock regions` does, from the
/// territories' summaries (JSON, in order); `unassigned` is the units in no district.
#[pyfunction]
#[pyo3(signature = (out, method_path, by, unassigned, summaries_json, lang=None))]
pub fn write_regions(
    out: PathBuf,
    method_path: PathBuf,
    by: String,
    unassigned: usize,
    summaries_json: Vec<String>,
    lang: Option<String>,
) -> PyResult<()> {
    let rows = summaries(&summaries_json)?;
    let method = method_of(&method_path, lang.as_deref())?;
    let base = method_path.parent().unwrap_or(Path::new(""));
    let files = method_inputs(&method, &method_path, base).map_err(Failure::from)?;
    let mut table = careblock_pipeline::region::regions_table(&rows).map_err(Failure::from)?;
    let report = regions_report(&method, &by, &files, unassigned, &rows);
    std::fs::create_dir_all(&out)
        .map_err(|e| Failure::new(Kind::Input, format!("cannot create {}: {e}", out.display())))?;
    write_csv(&out.join("regions.csv"), &mut table).map_err(Failure::from)?;
    write_text(&out.join("regions.json"), &report).map_err(Failure::from)?;
    Ok(())
}
