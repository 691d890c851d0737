//! Reading one `careblock run` output folder back: `run.json`, the units' and districts' tables
//! (`units.csv` or `units.parquet`, `districts.csv`), `sites.csv`, and the districts' (else the
//! units') polygons for the map.

use std::path::{Path, PathBuf};

use careblock_core::Layer;
use careblock_core::polars::prelude::{DataFrame, DataType};
use careblock_io::{IoError, ReadOptions, read_layer, read_table_with_key};
use careblock_pipeline::results::column;
use careblock_text::Lang;
use serde_json::Value;

use super::CompareError;

/// One level's table (units or districts): a row per feature, in the file's order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LevelTable {
    /// The file read.
    pub file: String,
    /// Feature ids.
    pub ids: Vec<String>,
    /// Labels (names), when the table has them.
    pub labels: Vec<Option<String>>,
    /// The index (0–100).
    pub index: Vec<Option<f64>>,
    /// The rank (1 = highest need); missing for an unranked feature.
    pub rank: Vec<Option<f64>>,
    /// The priority class (the highest = highest need).
    pub class: Vec<Option<f64>>,
    /// Share of the feature's need within reach of a block after the siting, when sited.
    pub covered_after: Vec<Option<f64>>,
}

/// One row of `sites.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteRow {
    /// `existing`, `proposed` or `bus`.
    pub status: String,
    /// The site's id (unique within its status).
    pub id: String,
    /// The kind of facility (school, library, ...).
    pub kind: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// Longitude and latitude (WGS 84).
    pub lon: Option<f64>,
    /// Latitude.
    pub lat: Option<f64>,
    /// Order of selection among the proposed (or bus) sites.
    pub rank: Option<f64>,
    /// Demand the site adds to the coverage.
    pub gain: Option<f64>,
}

/// What one `careblock run` wrote, as far as a comparison needs it.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The folder.
    pub dir: PathBuf,
    /// `run.json`.
    pub run: Value,
    /// The units' table.
    pub units: LevelTable,
    /// The districts' table, when the method has districts.
    pub districts: Option<LevelTable>,
    /// `sites.csv`, when the method sites blocks.
    pub sites: Option<Vec<SiteRow>>,
    /// The polygons the comparison's map draws (the districts', else the units', in lon/lat),
    /// when a GeoJSON, GeoParquet or FlatGeobuf file of them is in the folder.
    pub shapes: Option<Layer>,
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

impl RunOutput {
    /// The run's language: `run.json`'s `lang`, else its resolved method's; `None` for an
    /// output of a version that wrote neither (or a code careblock does not speak).
    pub fn lang(&self) -> Option<Lang> {
        [&self.run["lang"], &self.run["resolved_method"]["lang"]]
            .into_iter()
            .find_map(|v| v.as_str().and_then(|c| Lang::parse(c).ok()))
    }

    /// Reads the folder `dir`. A folder without `run.json` (written by careblock) or without a
    /// units table is not a careblock output: [`CompareError::NotAnOutput`].
    pub fn read(dir: &Path) -> Result<RunOutput, CompareError> {
        let not_output = |missing: String| CompareError::NotAnOutput {
            dir: shown(dir),
            missing,
        };
        if !dir.is_dir() {
            return Err(not_output("the folder itself".into()));
        }
        let run_path = dir.join("run.json");
        if !run_path.is_file() {
            return Err(not_output("run.json".into()));
        }
        let text = std::fs::read_to_string(&run_path).map_err(|e| IoError::io(shown(&run_path), e))?;
        let run: Value = serde_json::from_str(&text).map_err(|e| CompareError::Json {
            file: shown(&run_path),
            message: e.to_string(),
        })?;
        if run.get("careblock").and_then(Value::as_str).is_none() || !run["resolved_method"].is_object() {
            return Err(not_output(
                "run.json written by careblock (no \"careblock\" version or \"resolved_method\")".into(),
            ));
        }
        let units_file = ["units.csv", "units.parquet"]
            .iter()
            .map(|f| dir.join(f))
            .find(|p| p.is_file())
            .ok_or_else(|| not_output("units.csv or units.parquet".into()))?;
        let units = level_table(&units_file)?;
        let districts_file = dir.join("districts.csv");
        let districts = districts_file
            .is_file()
            .then(|| level_table(&districts_file))
            .transpose()?;
        let sites_file = dir.join("sites.csv");
        let sites = sites_file.is_file().then(|| site_rows(&sites_file)).transpose()?;
        let level = if districts.is_some() { "districts" } else { "units" };
        let shapes = ["geojson", "parquet", "fgb"]
            .iter()
            .map(|ext| dir.join(format!("{level}.{ext}")))
            .find(|p| p.is_file())
            .map(|p| {
                let opts = ReadOptions {
                    id_field: Some(column::ID.into()),
                    ..ReadOptions::default()
                };
                read_layer(&p, &opts).map(|(layer, _)| layer)
            })
            .transpose()?;
        Ok(RunOutput {
            dir: dir.to_path_buf(),
            run,
            units,
            districts,
            sites,
            shapes,
        })
    }
}

fn level_table(path: &Path) -> Result<LevelTable, CompareError> {
    let file = shown(path);
    let df = read_table_with_key(path, column::ID)?;
    let ids = texts(&df, column::ID, &file)?
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();
    let labels = if df.column(column::LABEL).is_ok() {
        texts(&df, column::LABEL, &file)?
    } else {
        vec![None; df.height()]
    };
    Ok(LevelTable {
        ids,
        labels,
        index: numbers(&df, column::INDEX, &file, true)?,
        rank: numbers(&df, column::RANK, &file, true)?,
        class: numbers(&df, column::CLASS, &file, true)?,
        covered_after: numbers(&df, "need_cov_after", &file, false)?,
        file,
    })
}

fn site_rows(path: &Path) -> Result<Vec<SiteRow>, CompareError> {
    let file = shown(path);
    let df = read_table_with_key(path, column::ID)?;
    let optional_text = |c: &str| -> Result<Vec<Option<String>>, CompareError> {
        if df.column(c).is_ok() {
            texts(&df, c, &file)
        } else {
            Ok(vec![None; df.height()])
        }
    };
    let status = texts(&df, column::STATUS, &file)?;
    let id = texts(&df, column::ID, &file)?;
    let kind = optional_text(column::KIND)?;
    let name = optional_text(column::NAME)?;
    let lon = numbers(&df, column::LON, &file, false)?;
    let lat = numbers(&df, column::LAT, &file, false)?;
    let rank = numbers(&df, column::RANK, &file, false)?;
    let gain = numbers(&df, column::GAIN, &file, false)?;
    Ok((0..df.height())
        .map(|i| SiteRow {
            status: status[i].clone().unwrap_or_default(),
            id: id[i].clone().unwrap_or_default(),
            kind: kind[i].clone(),
            name: name[i].clone(),
            lon: lon[i],
            lat: lat[i],
            rank: rank[i],
            gain: gain[i],
        })
        .collect())
}

fn texts(df: &DataFrame, name: &str, file: &str) -> Result<Vec<Option<String>>, CompareError> {
    let missing = || CompareError::Column {
        file: file.to_string(),
        column: name.to_string(),
        problem: "missing".into(),
    };
    let c = df.column(name).map_err(|_| missing())?;
    let s = c
        .as_materialized_series()
        .cast(&DataType::String)
        .map_err(|e| CompareError::Column {
            file: file.to_string(),
            column: name.to_string(),
            problem: e.to_string(),
        })?;
    let ca = s.str().map_err(|_| missing())?;
    Ok(ca.iter().map(|v| v.map(str::to_string)).collect())
}

/// A column as numbers (non-finite values missing); a column that is `required` must exist,
/// another reads as all missing when absent.
fn numbers(df: &DataFrame, name: &str, file: &str, required: bool) -> Result<Vec<Option<f64>>, CompareError> {
    let Ok(c) = df.column(name) else {
        if required {
            return Err(CompareError::Column {
                file: file.to_string(),
                column: name.to_string(),
                problem: "missing".into(),
            });
        }
        return Ok(vec![None; df.height()]);
    };
    let s = c
        .as_materialized_series()
        .cast(&DataType::Float64)
        .map_err(|e| CompareError::Column {
            file: file.to_string(),
            column: name.to_string(),
            problem: format!("not numeric ({e})"),
        })?;
    let ca = s.f64().map_err(|e| CompareError::Column {
        file: file.to_string(),
        column: name.to_string(),
        problem: format!("not numeric ({e})"),
    })?;
    Ok(ca.iter().map(|v| v.filter(|x| x.is_finite())).collect())
}
