//! `careblock compare`: what changed between two runs of the method — the districts and units
//! whose rank or class changed and by how much, the sites added, removed and kept, the coverage
//! before and after in both, and the method's differences (every setting of each
//! `resolved_method`, and every input file's checksum) — as CSV tables, a summary JSON and a
//! short HTML page with a map of the rank changes.
//!
//! [`RunOutput::read`] reads an output folder back; [`compare`] builds a [`Comparison`] from two
//! (no I/O); [`Comparison::files`] renders every file before [`write_comparison`] writes any,
//! so a failed comparison writes nothing. The page and the terminal summary are worded in a
//! [`Lang`] (`--lang`, else the second run's, [`RunOutput::lang`]); the errors are in English.

use std::path::Path;

use careblock_core::project::project;
use careblock_core::{Crs, CrsError, Reprojection, WGS84};
use careblock_io::{IoError, write_csv, write_text};
use careblock_text::Lang;
use geo::Coord;

mod diff;
mod page;
mod read;
mod tables;
#[cfg(test)]
mod tests;

pub use diff::{
    AreaChange, Comparison, Coverage, LevelComparison, MethodDifference, SiteChange, SiteComparison, compare,
};
pub use read::{LevelTable, RunOutput, SiteRow};

/// Why two folders cannot be compared.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// A folder that is not what `careblock run` writes.
    #[error("{dir}: not a careblock run output folder: no {missing}")]
    NotAnOutput {
        /// The folder.
        dir: String,
        /// What it lacks.
        missing: String,
    },
    /// The two runs' units (or districts) are not the same features.
    #[error(
        "{a} and {b} are runs on different {level}: {only_a} id(s) only in the first{}, {only_b} only in the second{}",
        first(.first_a), first(.first_b)
    )]
    DifferentIds {
        /// `units` or `districts`.
        level: &'static str,
        /// The first run's table.
        a: String,
        /// The second run's table.
        b: String,
        /// How many ids only the first has.
        only_a: usize,
        /// How many ids only the second has.
        only_b: usize,
        /// The first of them.
        first_a: Option<String>,
        /// The first of those only the second has.
        first_b: Option<String>,
    },
    /// One run has districts and the other has none.
    #[error("{with} has districts and {without} has none: they are runs of different methods' layers")]
    DistrictsInOne {
        /// The folder with districts.
        with: String,
        /// The folder without.
        without: String,
    },
    /// `run.json` is not JSON.
    #[error("{file}: not valid JSON ({message})")]
    Json {
        /// The file.
        file: String,
        /// What the parser said.
        message: String,
    },
    /// A column of an output table is missing or not what careblock writes.
    #[error("{file}: column {column:?}: {problem}")]
    Column {
        /// The table.
        file: String,
        /// The column.
        column: String,
        /// What is wrong.
        problem: String,
    },
    /// The CRS `run.json` names cannot be used to draw the map.
    #[error("{file}: crs {crs:?}: {source}")]
    Crs {
        /// `run.json`.
        file: String,
        /// The CRS named.
        crs: String,
        /// Why it cannot be used.
        source: CrsError,
    },
    /// Reading or writing a file failed.
    #[error(transparent)]
    Io(#[from] IoError),
}

fn first(id: &Option<String>) -> String {
    match id {
        Some(id) => format!(" (first: {id:?})"),
        None => String::new(),
    }
}

/// One file of a comparison, rendered.
pub enum ComparisonFile {
    /// A CSV table.
    Csv(&'static str, careblock_core::polars::prelude::DataFrame),
    /// A text file (HTML, JSON).
    Text(&'static str, String),
}

impl ComparisonFile {
    /// The file's name.
    pub fn name(&self) -> &'static str {
        match self {
            ComparisonFile::Csv(n, _) | ComparisonFile::Text(n, _) => n,
        }
    }
}

impl Comparison {
    /// Every file of the comparison, rendered: `districts_changes.csv` (with districts),
    /// `units_changes.csv`, `sites_changes.csv` (when either run sites blocks),
    /// `method_changes.csv`, `compare.json` and `compare.html`. The page is worded in `lang`;
    /// the tables and the JSON are the same in every language (English column names, keys and
    /// codes).
    pub fn files(&self, lang: Lang) -> Result<Vec<ComparisonFile>, CompareError> {
        let mut files = Vec::new();
        if let Some(d) = &self.districts {
            files.push(ComparisonFile::Csv(
                "districts_changes.csv",
                tables::level_table(d)?,
            ));
        }
        files.push(ComparisonFile::Csv(
            "units_changes.csv",
            tables::level_table(&self.units)?,
        ));
        if let Some(s) = &self.sites {
            files.push(ComparisonFile::Csv("sites_changes.csv", tables::site_table(s)?));
        }
        files.push(ComparisonFile::Csv(
            "method_changes.csv",
            tables::method_table(&self.method)?,
        ));
        let json =
            serde_json::to_string_pretty(&tables::summary_json(self)).expect("a JSON value serialises");
        files.push(ComparisonFile::Text("compare.json", json + "\n"));
        files.push(ComparisonFile::Text("compare.html", page::render(self, lang)));
        Ok(files)
    }
}

/// Writes `files` into `dir` (created if missing), each atomically.
pub fn write_comparison(dir: &Path, files: Vec<ComparisonFile>) -> Result<(), CompareError> {
    std::fs::create_dir_all(dir).map_err(|e| IoError::io(dir.display().to_string(), e))?;
    for f in files {
        match f {
            ComparisonFile::Csv(name, mut df) => write_csv(&dir.join(name), &mut df)?,
            ComparisonFile::Text(name, text) => write_text(&dir.join(name), &text)?,
        }
    }
    Ok(())
}

/// The map of run `a`: its polygons and its sites' points, in its working CRS (`run.json`'s
/// `crs`). `None` without polygons or with a geographic working CRS.
fn projected_map(a: &RunOutput, sites: Option<&[SiteComparison]>) -> Result<Option<MapLayers>, CompareError> {
    let Some(shapes) = &a.shapes else {
        return Ok(None);
    };
    let file = a.dir.join("run.json").display().to_string();
    let Some(name) = a.run["crs"].as_str() else {
        return Ok(None);
    };
    let crs_error = |source| CompareError::Crs {
        file: file.clone(),
        crs: name.to_string(),
        source,
    };
    let crs = Crs::parse(name).map_err(crs_error)?;
    if crs.is_geographic() {
        return Ok(None);
    }
    let polygons = project(shapes, crs).map_err(crs_error)?;
    let to = Reprojection::new(WGS84, crs);
    let points = sites
        .unwrap_or(&[])
        .iter()
        .map(|s| {
            let r = s.row();
            let (lon, lat) = (r.lon?, r.lat?);
            to.apply(Coord { x: lon, y: lat }).ok()
        })
        .collect();
    Ok(Some(MapLayers { polygons, points }))
}

/// What the comparison's map draws, in the first run's working CRS (metres).
#[derive(Debug, Clone)]
pub struct MapLayers {
    /// The districts' (else the units') polygons.
    pub polygons: careblock_core::Layer,
    /// Each site of [`Comparison::sites`], in order (`None` without coordinates).
    pub points: Vec<Option<Coord<f64>>>,
}
