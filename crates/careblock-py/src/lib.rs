//! `careblock._careblock`: the Rust side of the `careblock` Python package (PyO3).
//!
//! Data crosses the boundary as polars DataFrames (Arrow, through pyo3-polars) with geometries
//! as WKB in a Binary column; the method, when given as a dict, as JSON turned into TOML. Every
//! long stage runs with the GIL released (`Python::detach`); Ctrl-C is checked between stages
//! (a stage that has started runs to its end). The Python wrappers in `python/careblock/`
//! reproject with pyproj and build GeoDataFrames.

#![forbid(unsafe_code)]
#![allow(
    clippy::result_large_err,
    reason = "the core's errors carry the file, feature id, field and value they concern; they are built once per failed call"
)]

/// mimalloc for every allocation of the extension, as the CLI has (crates/cli/memory.rs): a
/// robust siting allocates its columns afresh for every index draw, and under glibc's
/// allocator with the `MALLOC_TRIM_THRESHOLD_=65536` that Dask's nanny gives its workers,
/// each draw's pages were handed back and faulted in again: 200 draws on the 500k-unit city
/// took 20.6 s in one thread against 14.7 s without the variable (benches/peers/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod errors;
mod frames;
mod regions;
mod robust;
mod sweep;

use std::path::{Path, PathBuf};

use careblock_core::checks::{Finding, Use};
use careblock_core::crs::Reprojection;
use careblock_core::findings::interpolation_findings;
use careblock_core::join::points::Reach;
use careblock_core::join::{InterpolateOptions, area_interpolate as core_interpolate};
use careblock_core::polars::prelude::{Column, DataFrame};
use careblock_core::project::{check_axis_order, project_into, working_crs};
use careblock_core::{Crs, Layer, WGS84};
use careblock_index::{Inputs, assess};
use careblock_io::{IoError, method_inputs, read_method};
use careblock_method::CrsSpec;
use careblock_method::Method;
use careblock_pipeline::results::{
    assignments_table, conservation_json, equity_table, level_table, robust_districts_table, robust_table,
    run_report, sites_table, uncovered_table,
};
use careblock_pipeline::{self as pipeline, LoadOptions, PipelineError};
use careblock_siting::CostTable;
use careblock_siting::points::{PointCapacity, PointLimit, PointLimitOutcome, PointSiting, site_points};
use geo::{Geometry, Point};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_polars::{PyDataFrame, PySeries};
use serde_json::json;

use errors::{Failure, Kind};
use frames::{check_layer, layer_from_frame, wgs84_wkb, wkb_series};

type Frame = (PyDataFrame, PySeries);

/// The pipeline's stages from Python: each runs with the GIL released, and Ctrl-C is checked
/// when it ends (a stage that has started runs to its end).
struct PyStages<'py> {
    py: Python<'py>,
    /// The `KeyboardInterrupt` (or other signal error) that stopped the run.
    interrupted: Option<PyErr>,
}

impl careblock_pipeline::Stages for PyStages<'_> {
    fn stage<T: Send>(
        &mut self,
        _name: &'static str,
        _label: &str,
        work: impl FnOnce() -> Result<T, PipelineError> + Send,
    ) -> Result<T, PipelineError> {
        let out = self.py.detach(work)?;
        if let Err(e) = self.py.check_signals() {
            self.interrupted = Some(e);
            return Err(PipelineError::Interrupted);
        }
        Ok(out)
    }
}

fn frame(df: DataFrame, geometry: careblock_core::polars::prelude::Series) -> Frame {
    (PyDataFrame(df), PySeries(geometry))
}

fn polars_error(what: &str, e: impl std::fmt::Display) -> Failure {
    Failure::new(Kind::Input, format!("{what}: {e}"))
}

/// A method from its TOML text, or from a dict sent as JSON (turned into TOML: the method only,
/// never data).
fn method_from_json(name: &str, json_text: &str) -> Result<Method, Failure> {
    let value: serde_json::Value = serde_json::from_str(json_text)
        .map_err(|e| Failure::new(Kind::Method, format!("{name}: not a method: {e}")))?;
    let text = toml::to_string(&value).map_err(|e| {
        Failure::new(
            Kind::Method,
            format!(
                "{name}: cannot be written as a method file (TOML has no null: drop keys set to None): {e}"
            ),
        )
    })?;
    Ok(Method::from_toml(name, &text)?)
}

fn crs_of(spec: &Option<CrsSpec>, what: &str) -> Result<Option<Crs>, Failure> {
    let r = match spec {
        None => return Ok(None),
        Some(CrsSpec::Code(c)) => Crs::from_epsg(*c),
        Some(CrsSpec::Text(t)) => Crs::parse(t),
    };
    r.map(Some).map_err(|e| {
        Failure::from(IoError::Crs {
            path: what.to_string(),
            error: Box::new(e),
        })
    })
}

/// `careblock run`'s pipeline without writing: read → validate → project → index → siting →
/// the CLI's tables. `method_path` is a method file; or `method_json` a method dict as JSON with
/// paths relative to `base`.
#[pyfunction]
#[pyo3(signature = (method_path=None, method_json=None, base=None, fix_invalid=false, lang=None))]
fn run<'py>(
    py: Python<'py>,
    method_path: Option<PathBuf>,
    method_json: Option<String>,
    base: Option<PathBuf>,
    fix_invalid: bool,
    lang: Option<String>,
) -> PyResult<Bound<'py, PyDict>> {
    // Checked before anything is read, as the CLI's --lang.
    let lang = lang
        .map(|l| careblock_text::Lang::parse(&l))
        .transpose()
        .map_err(|e| Failure::new(Kind::Method, e.to_string()))?;
    let (mut method, base, files) = match (&method_path, &method_json) {
        (Some(path), None) => {
            let method = py.detach(|| read_method(path)).map_err(Failure::from)?;
            let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
            let files = py
                .detach(|| method_inputs(&method, path, &base))
                .map_err(Failure::from)?;
            (method, base, files)
        }
        (None, Some(text)) => {
            let method = method_from_json("method (dict)", text)?;
            (method, base.unwrap_or_default(), Vec::new())
        }
        _ => {
            return Err(
                Failure::new(Kind::Method, "give a method file path or a method dict, not both").into(),
            );
        }
    };
    if let Some(lang) = lang {
        method.spec.lang = lang;
    }
    py.check_signals()?;
    let mut stages = PyStages {
        py,
        interrupted: None,
    };
    let run = match pipeline::run(method, &base, &LoadOptions { fix_invalid }, &mut stages) {
        Ok(run) => run,
        Err(PipelineError::Interrupted) => {
            return Err(stages
                .interrupted
                .take()
                .unwrap_or_else(|| Failure::new(Kind::Input, "the run was interrupted").into()));
        }
        Err(e) => return Err(Failure::from(e).into()),
    };
    let (method, inputs, result, siting) = (&run.method, &run.inputs, &run.assessment, &run.plan);

    let out = PyDict::new(py);
    let tables = py.detach(|| -> Result<_, Failure> {
        let (units, districts) = run.level_tables()?;
        let units = frame(units, wgs84_wkb(&inputs.units)?);
        let districts = match (districts, &inputs.districts) {
            (Some(df), Some(layer)) => Some(frame(df, wgs84_wkb(layer)?)),
            _ => None,
        };
        let mut siting_tables = None;
        if let Some(p) = &siting {
            let to_wgs = Reprojection::new(inputs.crs, WGS84);
            let points = p
                .sites
                .iter()
                .map(|s| {
                    to_wgs
                        .apply(s.point.0)
                        .map(|c| Some(Geometry::Point(Point(c))))
                        .map_err(|e| {
                            Failure::new(
                                Kind::Crs,
                                format!("site {:?}: cannot convert to lon/lat: {e}", s.id),
                            )
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let sites = frame(sites_table(p, inputs.crs)?, wkb_series(&points));
            let assignments = PyDataFrame(assignments_table(p, &inputs.units)?);
            let uncovered_geoms: Vec<Option<Geometry<f64>>> = p
                .uncovered
                .iter()
                .map(|u| inputs.units.geometries[u.unit].clone())
                .collect();
            let uncovered_layer = Layer {
                name: "uncovered".into(),
                ids: p
                    .uncovered
                    .iter()
                    .map(|u| inputs.units.ids[u.unit].clone())
                    .collect(),
                geometries: uncovered_geoms,
                attributes: DataFrame::empty_with_height(p.uncovered.len()),
                crs: inputs.crs,
            };
            let uncovered = frame(uncovered_table(p, &inputs.units)?, wgs84_wkb(&uncovered_layer)?);
            let equity = p.equity.as_ref().map(equity_table).transpose()?.map(PyDataFrame);
            let robust = p
                .robust
                .as_ref()
                .map(|r| robust_table(r, inputs.crs))
                .transpose()?
                .map(PyDataFrame);
            let robust_districts = p
                .robust
                .as_ref()
                .filter(|r| !r.districts.is_empty())
                .map(robust_districts_table)
                .transpose()?
                .map(PyDataFrame);
            siting_tables = Some((sites, assignments, uncovered, equity, robust, robust_districts));
        }
        let report = run_report(
            method,
            result,
            &inputs.notes,
            inputs.crs.to_string(),
            &files,
            siting.as_ref().map(|p| (p, &inputs.units)),
        );
        Ok((units, districts, siting_tables, report.to_string()))
    })?;
    let (units, districts, siting_tables, report) = tables;
    out.set_item("crs", inputs.crs.to_string())?;
    out.set_item("units", units)?;
    out.set_item("districts", districts)?;
    match siting_tables {
        Some((sites, assignments, uncovered, equity, robust, robust_districts)) => {
            out.set_item("sites", sites)?;
            out.set_item("assignments", assignments)?;
            out.set_item("uncovered", uncovered)?;
            out.set_item("equity", equity)?;
            out.set_item("robust", robust)?;
            out.set_item("robust_districts", robust_districts)?;
        }
        None => {
            for k in [
                "sites",
                "assignments",
                "uncovered",
                "equity",
                "robust",
                "robust_districts",
            ] {
                out.set_item(k, py.None())?;
            }
        }
    }
    out.set_item("report", report)?;
    Ok(out)
}

/// One layer file read by careblock's readers (chosen by the extension: GeoJSON, shapefile,
/// GeoParquet, FlatGeobuf, else GDAL), with the coordinate plausibility check every command
/// makes. Returns the attribute table (with an `id` column of careblock's ids first unless `id`
/// names one of its columns), the geometries as WKB in the file's CRS, and that CRS as
/// `EPSG:<code>`. `crs` is the CRS to assume when the file declares none (an EPSG code or text
/// such as `EPSG:9377`); `geometry` the geometry column of a Parquet file (another GeoParquet
/// column, or the WKB column of a Parquet file without `geo` metadata).
#[pyfunction]
#[pyo3(signature = (path, id=None, crs=None, geometry=None))]
fn read(
    py: Python<'_>,
    path: PathBuf,
    id: Option<String>,
    crs: Option<String>,
    geometry: Option<String>,
) -> PyResult<(PyDataFrame, PySeries, String)> {
    let out = py.detach(move || -> Result<_, Failure> {
        let name = path.display().to_string();
        let crs = crs_of(&crs.map(CrsSpec::Text), &name)?;
        let opts = careblock_io::ReadOptions {
            id_field: id.clone(),
            crs,
            close_rings: false,
            geometry_column: geometry,
        };
        let (layer, _) = careblock_io::read_layer(&path, &opts)?;
        let layer = check_layer(layer, false, false, &mut Vec::new())?;
        let geometry = wkb_series(&layer.geometries);
        let mut df = layer.attributes;
        if id.is_none() && df.column("id").is_err() {
            df.insert_column(0, Column::new("id".into(), &layer.ids))
                .map_err(|e| polars_error(&name, e))?;
        }
        Ok((df, geometry, layer.crs.to_string()))
    })?;
    Ok((PyDataFrame(out.0), PySeries(out.1), out.2))
}

/// Areal interpolation of two layers already in one projected CRS (metres), with tobler's
/// semantics; returns the target ids and columns, and the conservation report as JSON.
#[pyfunction]
#[pyo3(signature = (source, target, epsg, extensive, intensive, allocate_total=true, fix_invalid=false, source_id=None, target_id=None))]
#[allow(clippy::too_many_arguments)]
fn area_interpolate(
    py: Python<'_>,
    source: PyDataFrame,
    target: PyDataFrame,
    epsg: u32,
    extensive: Vec<String>,
    intensive: Vec<String>,
    allocate_total: bool,
    fix_invalid: bool,
    source_id: Option<String>,
    target_id: Option<String>,
) -> PyResult<(PyDataFrame, String)> {
    let (source, target) = (source.0, target.0);
    let (df, report) = py.detach(move || -> Result<_, Failure> {
        let crs = Crs::Projected { epsg };
        let mut notes = Vec::new();
        let source = layer_from_frame("source", source, source_id.as_deref(), crs)?;
        let target = layer_from_frame("target", target, target_id.as_deref(), crs)?;
        // The interpolation validates every polygon itself (and refuses invalid ones): check
        // them here only to repair them.
        let source = check_layer(source, fix_invalid, fix_invalid, &mut notes)?;
        let target = check_layer(target, fix_invalid, fix_invalid, &mut notes)?;
        let ext: Vec<&str> = extensive.iter().map(String::as_str).collect();
        let int: Vec<&str> = intensive.iter().map(String::as_str).collect();
        let r = core_interpolate(
            &source,
            &target,
            &ext,
            &int,
            InterpolateOptions {
                allocate_total,
                ..Default::default()
            },
        )?;
        // The missing values the balance counts, named as the CLI names them.
        notes.extend(
            interpolation_findings(&source, &ext, &int)?
                .iter()
                .map(Finding::note),
        );
        let mut cols = vec![Column::new("id".into(), &r.target_ids)];
        for (name, v) in &r.extensive {
            cols.push(Column::new(name.as_str().into(), v));
        }
        for (name, v) in &r.intensive {
            cols.push(Column::new(name.as_str().into(), v));
        }
        let df = DataFrame::new(r.target_ids.len(), cols).map_err(|e| polars_error("target", e))?;
        let mut report = conservation_json(&r.report, crs);
        if let Some(obj) = report.as_object_mut() {
            obj.insert("notes".into(), json!(english(&notes)));
        }
        Ok((df, report.to_string()))
    })?;
    Ok((PyDataFrame(df), report))
}

/// The index of units (and districts) given as frames in EPSG:4326, with a method dict (as
/// JSON) whose `[units]`/`[districts]` name the id, population and label columns; returns the
/// CLI's unit and district tables.
#[pyfunction]
#[pyo3(signature = (method_json, units, districts=None, fix_invalid=false))]
fn index<'py>(
    py: Python<'py>,
    method_json: String,
    units: PyDataFrame,
    districts: Option<PyDataFrame>,
    fix_invalid: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let method = method_from_json("method (dict)", &method_json)?;
    let spec = &method.spec;
    let unsupported: Vec<&str> = [
        (!spec.coarse.is_empty(), "[[coarse]]"),
        (!spec.coarse_rates.is_empty(), "[[coarse_rates]]"),
        (!spec.supply.is_empty(), "[[supply]]"),
        (spec.siting.is_some(), "[siting]"),
        (spec.network.is_some(), "[network]"),
        (spec.units.table.is_some(), "units.table"),
        (
            spec.districts.as_ref().is_some_and(|d| d.table.is_some()),
            "districts.table",
        ),
    ]
    .into_iter()
    .filter_map(|(on, what)| on.then_some(what))
    .collect();
    if !unsupported.is_empty() {
        return Err(Failure::new(
            Kind::Method,
            format!(
                "method (dict): careblock.index() reads only the units and districts given; {} need careblock.run() with a method file (join tables in pandas/polars first)",
                unsupported.join(", ")
            ),
        )
        .into());
    }
    if districts.is_some() != spec.districts.is_some() {
        return Err(Failure::new(
            Kind::Method,
            "method (dict): give districts= exactly when the method has a \"districts\" section",
        )
        .into());
    }
    let (units, districts) = (units.0, districts.map(|d| d.0));
    let out = py.detach(|| -> Result<_, Failure> {
        let mut notes = Vec::new();
        let units = layer_from_frame("units", units, spec.units.id.as_deref(), WGS84)?;
        let units = check_layer(units, true, fix_invalid, &mut notes)?;
        let districts = match (districts, &spec.districts) {
            (Some(df), Some(d)) => {
                let l = layer_from_frame("districts", df, d.id.as_deref(), WGS84)?;
                Some(check_layer(l, true, fix_invalid, &mut notes)?)
            }
            _ => None,
        };
        if let Some(d) = &districts {
            check_axis_order(&units, d).map_err(|e| IoError::Crs {
                path: units.name.clone(),
                error: Box::new(e),
            })?;
        }
        let given = crs_of(&spec.crs, &method.file)?;
        let mut layers = vec![&units];
        layers.extend(districts.iter());
        let crs = working_crs(given, &layers)?;
        let units = project_into(units, crs)?;
        let districts = districts.map(|d| project_into(d, crs)).transpose()?;
        let result = assess(
            &method,
            Inputs {
                units: &units,
                districts: districts.as_ref(),
                coarse: &[],
                supply: &[],
                network: None,
                network_gap: None,
                prepared_network: None,
                validated: false,
            },
        )?;
        let u = level_table(&result, &result.units, &units, spec.units.label.as_deref())?;
        let u = frame(u, wgs84_wkb(&units)?);
        let d = match (&result.districts, &districts) {
            (Some(level), Some(layer)) => {
                let df = level_table(
                    &result,
                    level,
                    layer,
                    spec.districts.as_ref().and_then(|d| d.label.as_deref()),
                )?;
                Some(frame(df, wgs84_wkb(layer)?))
            }
            _ => None,
        };
        let report = run_report(&method, &result, &notes, crs.to_string(), &[], None);
        Ok((u, d, crs.to_string(), report.to_string()))
    })?;
    let d = PyDict::new(py);
    d.set_item("units", out.0)?;
    d.set_item("districts", out.1)?;
    d.set_item("crs", out.2)?;
    d.set_item("report", out.3)?;
    Ok(d)
}

/// The sites table of `site()`: status, rank, id, gain, cumulative (and its share of the total
/// demand), irreplaceability and units in reach of each row.
fn sites_frame(s: &PointSiting) -> Result<DataFrame, Failure> {
    let total = s.total_demand;
    let share = |v: Option<f64>| v.map(|v| if total > 0.0 { v / total } else { 0.0 });
    let rows = &s.sites;
    DataFrame::new(
        rows.len(),
        vec![
            Column::new(
                "status".into(),
                rows.iter().map(|r| r.status.as_str()).collect::<Vec<_>>(),
            ),
            Column::new("rank".into(), rows.iter().map(|r| r.rank).collect::<Vec<_>>()),
            Column::new(
                "id".into(),
                rows.iter().map(|r| s.ids[r.point].clone()).collect::<Vec<_>>(),
            ),
            Column::new("gain".into(), rows.iter().map(|r| r.gain).collect::<Vec<_>>()),
            Column::new(
                "cumulative".into(),
                rows.iter().map(|r| r.cumulative).collect::<Vec<_>>(),
            ),
            Column::new(
                "cum_share".into(),
                rows.iter().map(|r| share(r.cumulative)).collect::<Vec<_>>(),
            ),
            Column::new(
                "irreplace".into(),
                rows.iter().map(|r| r.irreplace).collect::<Vec<_>>(),
            ),
            Column::new(
                "n_units".into(),
                rows.iter().map(|r| s.units_reached(r) as u32).collect::<Vec<_>>(),
            ),
            Column::new("phase".into(), rows.iter().map(|r| r.phase).collect::<Vec<_>>()),
            Column::new(
                "capacity".into(),
                rows.iter().map(|r| r.capacity.map(|c| c.0)).collect::<Vec<_>>(),
            ),
            Column::new(
                "load".into(),
                rows.iter().map(|r| r.capacity.map(|c| c.1)).collect::<Vec<_>>(),
            ),
        ],
    )
    .map_err(|e| polars_error("sites", e))
}

/// The maximal covering location problem over units (their centroids, with a demand column)
/// and candidate points, all in EPSG:4326: `p` new sites within `radius` metres, `existing`
/// points locked in; careblock's solver (greedy, interchange, local search, Lagrangian bound).
#[pyfunction]
#[pyo3(signature = (units, candidates, demand, radius=800.0, p=None, existing=None, epsg=None, coverage="centroid", units_id=None, candidates_id=None, phases=None, target_share=None, costs=None, capacity=None, capacity_gap=None, cost=None, budget=None, budget_phases=None, target_minimise="count"))]
#[allow(clippy::too_many_arguments)]
fn site<'py>(
    py: Python<'py>,
    units: PyDataFrame,
    candidates: PyDataFrame,
    demand: String,
    radius: f64,
    p: Option<usize>,
    existing: Option<PyDataFrame>,
    epsg: Option<u32>,
    coverage: &str,
    units_id: Option<String>,
    candidates_id: Option<String>,
    phases: Option<Vec<usize>>,
    target_share: Option<f64>,
    costs: Option<(Vec<String>, Vec<String>, Vec<f64>)>,
    capacity: Option<Vec<f64>>,
    capacity_gap: Option<f64>,
    cost: Option<Vec<f64>>,
    budget: Option<f64>,
    budget_phases: Option<Vec<f64>>,
    target_minimise: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let method = |m: String| -> PyErr { Failure::new(Kind::Method, m).into() };
    let least_cost = match target_minimise {
        "count" => false,
        "cost" => true,
        other => {
            return Err(method(format!(
                "target_minimise must be \"count\" or \"cost\", got {other:?}"
            )));
        }
    };
    if least_cost && target_share.is_none() {
        return Err(method(
            "target_minimise applies to a coverage target_share only: give one, or remove target_minimise"
                .into(),
        ));
    }
    if least_cost && cost.is_none() {
        return Err(method(
            "a least-cost target needs the candidates' costs: give cost=\"<column>\" or one cost per candidate".into(),
        ));
    }
    if let Some(x) = budget
        .into_iter()
        .chain(budget_phases.iter().flatten().copied())
        .find(|x| !(x.is_finite() && *x > 0.0))
    {
        return Err(method(format!("budget must be a number > 0, found {x}")));
    }
    let given = [
        p.is_some(),
        phases.is_some(),
        budget.is_some(),
        budget_phases.is_some(),
        target_share.is_some(),
    ];
    if given.iter().filter(|&&g| g).count() > 1 {
        return Err(method(
            "give one of p, phases, budget and target_share, not several".into(),
        ));
    }
    let limit = match (p, phases, target_share) {
        _ if budget.is_some() => PointLimit::Budget(budget.expect("a budget")),
        _ if budget_phases.as_ref().is_some_and(|b| !b.is_empty()) => {
            PointLimit::BudgetPhases(budget_phases.expect("budget phases"))
        }
        _ if budget_phases.is_some() => {
            return Err(method(
                "budget: give at least one phase, e.g. budget=[100, 100]".into(),
            ));
        }
        (p, None, None) => PointLimit::Count(p.unwrap_or(20)),
        (None, Some(ph), None) if !ph.is_empty() => PointLimit::Phases(ph),
        (None, Some(_), None) => {
            return Err(Failure::new(
                Kind::Method,
                "phases: give at least one phase, e.g. phases=[5, 5]",
            )
            .into());
        }
        (None, None, Some(t)) if t > 0.0 && t <= 1.0 => PointLimit::Target(t),
        (None, None, Some(t)) => {
            return Err(Failure::new(
                Kind::Method,
                format!("target_share must be a share in (0, 1] (e.g. 0.61), got {t}"),
            )
            .into());
        }
        _ => {
            return Err(Failure::new(
                Kind::Method,
                "give one of p, phases and target_share, not several",
            )
            .into());
        }
    };
    let costs = costs.map(|(unit, site, cost)| CostTable {
        source: "costs".into(),
        unit,
        site,
        cost,
    });
    let reach = match coverage {
        "centroid" => Reach::Centroid,
        "area" => Reach::Area,
        other => {
            return Err(Failure::new(
                Kind::Method,
                format!("coverage must be \"centroid\" or \"area\", got {other:?}"),
            )
            .into());
        }
    };
    let (units, candidates, existing) = (units.0, candidates.0, existing.map(|e| e.0));
    let out = py.detach(move || -> Result<_, Failure> {
        let mut notes = Vec::new();
        let units = layer_from_frame("units", units, units_id.as_deref(), WGS84)?;
        // `within_distance` validates the polygons itself and refuses invalid ones.
        let units = check_layer(units, false, false, &mut notes)?;
        let candidates = layer_from_frame("candidates", candidates, candidates_id.as_deref(), WGS84)?;
        let candidates = check_layer(candidates, false, false, &mut notes)?;
        let existing = existing
            .map(|df| {
                let l = layer_from_frame("existing", df, candidates_id.as_deref(), WGS84)?;
                check_layer(l, false, false, &mut notes)
            })
            .transpose()?;
        let given = epsg.map(Crs::from_epsg).transpose()?;
        let crs = working_crs(given, &[&units])?;
        let units = project_into(units, crs)?;
        let candidates = project_into(candidates, crs)?;
        let existing = existing.map(|e| project_into(e, crs)).transpose()?;
        // The demand is a count, checked as every entry point checks one: a negative or
        // non-finite value is an error, a missing one counts 0 and is named.
        let (values, check) = units.checked_column(&demand, Use::Count)?;
        if let Some(e) = check.error(&units.ids) {
            return Err(e.into());
        }
        notes.extend(check.findings(&units.ids, "demand").iter().map(Finding::note));
        let d: Vec<f64> = values.into_iter().map(|v| v.unwrap_or(0.0)).collect();
        if let Some(c) = &capacity {
            let n = candidates.len() + existing.as_ref().map_or(0, |e| e.len());
            if c.len() != n {
                return Err(Failure::new(
                    Kind::Method,
                    format!(
                        "capacity has {} values for {n} sites (candidates, then existing)",
                        c.len()
                    ),
                ));
            }
            let id = |j: usize| match j.checked_sub(candidates.len()) {
                None => format!("candidate {:?}", candidates.ids[j]),
                Some(k) => format!(
                    "existing {:?}",
                    existing.as_ref().expect("an existing block").ids[k]
                ),
            };
            if let Some(j) = c.iter().position(|x| !(x.is_finite() && *x > 0.0)) {
                return Err(Failure::new(
                    Kind::Input,
                    format!("capacity of {}: {} is not a number of persons > 0", id(j), c[j]),
                ));
            }
        }
        if let Some(c) = &cost {
            if c.len() != candidates.len() {
                return Err(Failure::new(
                    Kind::Method,
                    format!("cost has {} values for {} candidates", c.len(), candidates.len()),
                ));
            }
            // As the method file words it.
            if let Some(j) = c.iter().position(|x| !(x.is_finite() && *x > 0.0)) {
                return Err(Failure::new(
                    Kind::Input,
                    format!(
                        "candidates: site {:?} has cost {}, expected a number > 0",
                        candidates.ids[j], c[j]
                    ),
                ));
            }
        }
        if let Some(g) = capacity_gap {
            if capacity.is_none() {
                return Err(Failure::new(
                    Kind::Method,
                    "capacity_gap applies to capacitated siting only: give a capacity",
                ));
            }
            if !(g.is_finite() && (0.0..1.0).contains(&g)) {
                return Err(Failure::new(
                    Kind::Method,
                    format!("capacity_gap must be a share in [0, 1) (0.01 for 1 %), found {g}"),
                ));
            }
        }
        let s = site_points(
            &units,
            &d,
            &candidates,
            existing.as_ref(),
            radius,
            &limit,
            reach,
            costs.as_ref(),
            capacity.as_deref().map(|per_site| PointCapacity {
                per_site,
                gap: capacity_gap,
            }),
            // The costs are used by a budget and a least-cost target only.
            cost.as_deref().filter(|_| !matches!(limit, PointLimit::Target(_)) || least_cost),
        )?;
        notes.extend(s.notes.iter().cloned());
        let mut sites = sites_frame(&s)?;
        if cost.is_some() {
            let c: Vec<Option<f64>> = s.sites.iter().map(|x| x.cost).collect();
            sites
                .with_column(Column::new("cost".into(), c))
                .map_err(|e| polars_error("sites", e))?;
        }
        let to_wgs = Reprojection::new(crs, WGS84);
        let point_of = |j: usize| match j.checked_sub(s.candidates) {
            None => &candidates.geometries[j],
            Some(k) => &existing.as_ref().expect("an existing block").geometries[k],
        };
        let site_points = s
            .sites
            .iter()
            .map(|r| match point_of(r.point) {
                Some(Geometry::Point(pt)) => to_wgs
                    .apply(pt.0)
                    .map(|c| Some(Geometry::Point(Point(c))))
                    .map_err(|e| {
                        Failure::new(
                            Kind::Crs,
                            format!("site {:?}: cannot convert to lon/lat: {e}", s.ids[r.point]),
                        )
                    }),
                _ => Ok(None),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let unit_table = DataFrame::new(
            units.len(),
            vec![
                Column::new("id".into(), &units.ids),
                Column::new("demand".into(), &d),
                Column::new("coverage".into(), &s.solution.unit_coverage),
                Column::new("site".into(), s.unit_site_ids()),
            ],
        )
        .map_err(|e| polars_error("units", e))?;
        let proposed = s.sites.iter().filter(|x| x.rank.is_some()).count();
        let limit_json = match &s.outcome {
            PointLimitOutcome::Count => serde_json::Value::Null,
            PointLimitOutcome::Phases {
                objectives, unphased, phase_of,
            } => {
                let mut ph = json!({
                    "covered_after": objectives,
                    "unphased_objective": unphased.objective,
                    "unphased_bound": unphased.bound,
                    "cost_of_phasing": unphased.objective - s.solution.objective,
                });
                if let (PointLimit::BudgetPhases(b), Some(o)) = (&limit, ph.as_object_mut()) {
                    // What each phase spends of its budget.
                    let mut spent = vec![0.0; b.len()];
                    for (&j, &k) in s.solution.selected.iter().zip(phase_of) {
                        spent[k] += cost.as_ref().map_or(1.0, |c| c[j]);
                    }
                    o.insert("budget".into(), json!(b));
                    o.insert("spent".into(), json!(spent));
                }
                json!({"phases": ph})
            }
            PointLimitOutcome::Target(t) => {
                let mut target = json!({
                    "share": t.share, "goal": t.goal, "reached": s.solution.objective >= t.goal * (1.0 - 1e-12),
                    "blocks": proposed, "lower_bound_blocks": t.lower,
                    "best_possible": t.best_possible, "eligible_candidates": t.eligible,
                    "minimise": target_minimise,
                });
                if let (Some(c), Some(o)) = (&t.cost, target.as_object_mut()) {
                    o.insert("cost".into(), json!(c.spent));
                    // +∞ (out of reach) is written null.
                    o.insert("lower_bound_cost".into(), json!(c.lower.is_finite().then_some(c.lower)));
                    o.insert("eligible_cost".into(), json!(c.eligible_cost));
                }
                json!({"target": target})
            }
        };
        // The cost of the proposed sites (1 each under a budget without costs).
        let spent: Option<f64> = (cost.is_some()
            || matches!(limit, PointLimit::Budget(_) | PointLimit::BudgetPhases(_)))
        .then(|| {
            s.solution
                .selected
                .iter()
                .map(|&j| cost.as_ref().map_or(1.0, |c| c[j]))
                .sum()
        });
        let mut summary = json!({
            "crs": crs.to_string(),
            "radius_m": radius,
            "costs": costs.is_some(),
            "p": proposed,
            "objective": s.solution.objective,
            "bound": s.solution.bound,
            "gap": s.solution.gap,
            "optimal": s.solution.optimal,
            "locked_in": s.solution.locked_in_coverage,
            "total_demand": s.total_demand,
            "candidates": s.candidates,
            "existing": s.ids.len() - s.candidates,
            "notes": english(&notes),
        });
        if let Some(o) = summary.as_object_mut() {
            if let Some(x) = spent {
                o.insert("spent".into(), json!(x));
            }
            if let PointLimit::Budget(b) = &limit {
                o.insert("budget".into(), json!(b));
            }
        }
        if let (Some(obj), serde_json::Value::Object(extra)) = (summary.as_object_mut(), limit_json) {
            obj.extend(extra);
        }
        if let (Some(obj), Some((_, within))) = (summary.as_object_mut(), &s.capacitated) {
            let caps: Vec<(f64, f64)> = s.sites.iter().filter_map(|x| x.capacity).collect();
            obj.insert(
                "capacity".into(),
                json!({
                    "capacity_of_open_sites": caps.iter().map(|c| c.0).sum::<f64>(),
                    "assigned": s.solution.objective,
                    "within_reach_of_open_sites": within,
                    "gap_asked": capacity_gap,
                }),
            );
        }
        let assignments = match &s.capacitated {
            None => None,
            Some((a, _)) => Some(
                DataFrame::new(
                    a.len(),
                    vec![
                        Column::new(
                            "unit".into(),
                            a.iter().map(|x| units.ids[x.0].clone()).collect::<Vec<_>>(),
                        ),
                        Column::new(
                            "site".into(),
                            a.iter().map(|x| s.ids[x.1].clone()).collect::<Vec<_>>(),
                        ),
                        Column::new("assigned".into(), a.iter().map(|x| x.2).collect::<Vec<_>>()),
                        Column::new(
                            "share".into(),
                            a.iter()
                                .map(|x| {
                                    if d[x.0] > 0.0 {
                                        (x.2 / d[x.0]).min(1.0)
                                    } else {
                                        0.0
                                    }
                                })
                                .collect::<Vec<_>>(),
                        ),
                    ],
                )
                .map_err(|e| polars_error("assignments", e))?,
            ),
        };
        Ok((
            frame(sites, wkb_series(&site_points)),
            frame(unit_table, wgs84_wkb(&units)?),
            summary.to_string(),
            assignments,
        ))
    })?;
    let d = PyDict::new(py);
    d.set_item("sites", out.0)?;
    d.set_item("units", out.1)?;
    d.set_item("report", out.2)?;
    d.set_item("assignments", out.3.map(PyDataFrame))?;
    Ok(d)
}

/// The Rust extension of the `careblock` package.
#[pymodule]
fn _careblock(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(read, m)?)?;
    m.add_function(wrap_pyfunction!(area_interpolate, m)?)?;
    m.add_function(wrap_pyfunction!(index, m)?)?;
    m.add_function(wrap_pyfunction!(site, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep_plan, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep_tables, m)?)?;
    m.add_class::<sweep::SweepSession>()?;
    m.add_class::<regions::RegionSession>()?;
    m.add_function(wrap_pyfunction!(regions::regions_table, m)?)?;
    m.add_function(wrap_pyfunction!(regions::write_regions, m)?)?;
    m.add_function(wrap_pyfunction!(robust::robust_plan, m)?)?;
    m.add_class::<robust::RobustSession>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

/// Notes of the functions without a method (`interpolate`, `site`), in English.
fn english(notes: &[careblock_text::Msg]) -> Vec<String> {
    notes.iter().map(|n| n.to_string()).collect()
}
