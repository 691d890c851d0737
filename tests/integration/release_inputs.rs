//! A run's index takes the units' input attributes but the label, and drops them
//! (`LoadedInputs::take_unit_attributes`). A national-size run (more units than the report's
//! map draws) takes the units' indicator columns into its tables before the siting (the same
//! tables as built after it), unless a robust siting reads them; read in lon/lat, the units in
//! FlatGeobuf and GeoParquet only, it releases its working-CRS unit geometries before writing
//! (`careblock_report::release_for_writing`), and writes the same bytes as without the release;
//! a run whose units the GeoPackage draws keeps its geometries, and one whose units the map
//! draws keeps everything.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use careblock_core::WGS84;
use careblock_io::read_method;
use careblock_pipeline::{LoadOptions, Run, Stages};
use careblock_report::{FormatRequest, release_for_writing, write_outputs};

use crate::common::fresh_dir;

/// A grid of `cols` × `rows` lon/lat squares in Bogotá (about 110 m a side), with integer
/// populations and carers, four districts (the grid's quadrants) beside it, and a method
/// whose unit-level layers go to FlatGeobuf and GeoParquet (`large = 1000`).
fn city(dir: &Path, cols: usize, rows: usize) {
    let (x0, y0, side) = (-74.15, 4.55, 0.001);
    let mut units = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for r in 0..rows {
        for c in 0..cols {
            let k = r * cols + c;
            let (x, y) = (x0 + c as f64 * side, y0 + r as f64 * side);
            let (pop, care) = (20 + (k * 37) % 180, (k * 13) % 20);
            let sep = if k + 1 == cols * rows { "" } else { "," };
            writeln!(
                units,
                "{{\"type\":\"Feature\",\"properties\":{{\"unit_id\":\"U{k:06}\",\"pop\":{pop},\"care\":{care},\"extra\":{k}}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[[{x},{y}],[{},{y}],[{},{}],[{x},{}],[{x},{y}]]]}}}}{sep}",
                x + side,
                x + side,
                y + side,
                y + side
            )
            .unwrap();
        }
    }
    units.push_str("]}\n");
    std::fs::write(dir.join("units.geojson"), units).unwrap();
    let (w, h) = (cols as f64 * side / 2.0, rows as f64 * side / 2.0);
    let mut districts = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for (k, (i, j)) in [(0, 0), (1, 0), (0, 1), (1, 1)].into_iter().enumerate() {
        let (x, y) = (x0 + i as f64 * w, y0 + j as f64 * h);
        writeln!(
            districts,
            "{{\"type\":\"Feature\",\"properties\":{{\"district_id\":\"D{k}\"}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[[{x},{y}],[{},{y}],[{},{}],[{x},{}],[{x},{y}]]]}}}}{}",
            x + w,
            x + w,
            y + h,
            y + h,
            if k == 3 { "" } else { "," }
        )
        .unwrap();
    }
    districts.push_str("]}\n");
    std::fs::write(dir.join("districts.geojson"), districts).unwrap();
    std::fs::write(
        dir.join("method.toml"),
        r#"name = "a national-size grid"
crs = 9377

[units]
path = "units.geojson"
id = "unit_id"
population = "pop"
label = "unit_id"

[districts]
path = "districts.geojson"
id = "district_id"

[dimensions.need]
label = "Need"

[[indicators]]
name = "care_share"
dimension = "need"
kind = "share"
numerator = "care"
denominator = "pop"

[uncertainty]
draws = 20

[siting]
radius = 400
p = 3

[siting.grid]
spacing = 600

[output]
large = 1000
"#,
    )
    .unwrap();
}

struct Quiet;

impl Stages for Quiet {
    fn stage<T: Send>(
        &mut self,
        _name: &'static str,
        _label: &str,
        work: impl FnOnce() -> Result<T, careblock_pipeline::PipelineError> + Send,
    ) -> Result<T, careblock_pipeline::PipelineError> {
        work()
    }
}

fn run_in(dir: &Path) -> Run {
    let method = read_method(&dir.join("method.toml")).unwrap();
    let run = careblock_pipeline::run(method, dir, &LoadOptions::default(), &mut Quiet).unwrap();
    // Of the units' input attributes, the label column alone is left after the index.
    assert_eq!(attribute_names(&run), ["unit_id"]);
    run
}

fn attribute_names(run: &Run) -> Vec<String> {
    run.inputs
        .units
        .attributes
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect()
}

/// Every file of a folder, by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_national_size_run_releases_its_working_unit_geometries_and_writes_the_same_files() {
    let dir = fresh_dir("release_inputs", "national");
    // 10,506 units: more than the report's map draws (10,000), so the map leaves them out.
    city(&dir, 103, 102);
    let mut run = run_in(&dir);
    assert_ne!(run.inputs.units.crs, WGS84);
    let formats = FormatRequest::default();
    let kept = dir.join("kept");
    write_outputs(&run, &kept, &[], &formats).unwrap();
    assert!(release_for_writing(&mut run, &formats).unwrap());
    assert_eq!(run.inputs.units.crs, WGS84);
    // The units' indicator columns went too; the tables were built before.
    assert!(run.assessment.units.raw.is_empty() && run.assessment.units.scores.normalised.is_empty());
    assert_eq!(run.assessment.units.scores.index.len(), run.inputs.units.len());
    assert!(run.inputs.units_lonlat.is_none());
    assert_eq!(run.inputs.units.geometries.len(), run.inputs.units.ids.len());
    assert_eq!(attribute_names(&run), ["unit_id"]);
    let released = dir.join("released");
    write_outputs(&run, &released, &[], &formats).unwrap();
    let (a, b) = (files(&kept), files(&released));
    assert!(
        a.contains_key("units.fgb") && a.contains_key("units.parquet"),
        "{:?}",
        a.keys()
    );
    assert!(!a.contains_key("units.geojson"));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(*bytes == b[name], "{name} differs after the release");
    }
}

#[test]
fn the_tables_built_before_the_siting_are_the_tables_built_after_it() {
    let dir = fresh_dir("release_inputs", "early");
    city(&dir, 103, 102);
    // `run` took the units' indicator columns into the tables before the siting.
    let run = run_in(&dir);
    assert!(run.assessment.units.raw.is_empty() && run.assessment.units.treated.is_empty());
    let (units, districts) = run.level_tables().unwrap();
    // The same stages by hand, nothing released.
    let method = read_method(&dir.join("method.toml")).unwrap();
    let inputs = careblock_pipeline::load_inputs(&method, &dir, &LoadOptions::default()).unwrap();
    let assessment = careblock_index::assess(&method, inputs.inputs()).unwrap();
    assert!(!assessment.units.raw.is_empty());
    let plan = careblock_siting::plan::plan(&method, inputs.plan_inputs(), &assessment).unwrap();
    let (all_units, all_districts) =
        careblock_pipeline::results::level_tables(&assessment, &method, &inputs, Some(&plan)).unwrap();
    assert!(units.width() > 10, "{:?}", units.get_column_names());
    assert!(units.equals_missing(&all_units));
    assert!(districts.unwrap().equals_missing(&all_districts.unwrap()));
    // A robust siting draws the index again from the units' treated indicators: they stay.
    let toml = std::fs::read_to_string(dir.join("method.toml")).unwrap();
    std::fs::write(
        dir.join("method.toml"),
        toml.replace("[siting.grid]", "[siting.robust]\ndraws = 2\n\n[siting.grid]"),
    )
    .unwrap();
    let method = read_method(&dir.join("method.toml")).unwrap();
    assert!(method.spec.siting.as_ref().unwrap().robust.is_some());
    let run = careblock_pipeline::run(method, &dir, &LoadOptions::default(), &mut Quiet).unwrap();
    assert!(!run.assessment.units.treated.is_empty() && !run.assessment.units.raw.is_empty());
}

#[test]
fn a_run_whose_units_the_geopackage_or_the_map_draws_keeps_its_inputs() {
    let dir = fresh_dir("release_inputs", "kept");
    // The map draws up to 10,000 units.
    city(&dir, 100, 100);
    let mut run = run_in(&dir);
    let crs = run.inputs.units.crs;
    assert!(!run.assessment.units.raw.is_empty());
    assert!(!release_for_writing(&mut run, &FormatRequest::default()).unwrap());
    assert_eq!(run.inputs.units.crs, crs);
    assert!(run.inputs.units_lonlat.is_some());
    assert!(!run.assessment.units.raw.is_empty());
    // More units than the map draws, but the units asked for in the GeoPackage.
    let dir = fresh_dir("release_inputs", "gpkg");
    city(&dir, 103, 102);
    let mut run = run_in(&dir);
    let gpkg = FormatRequest::parse(&["gpkg".to_string()]).unwrap();
    let kept = dir.join("kept");
    write_outputs(&run, &kept, &[], &gpkg).unwrap();
    assert!(!release_for_writing(&mut run, &gpkg).unwrap());
    assert!(run.inputs.units_lonlat.is_some());
    assert_eq!(attribute_names(&run), ["unit_id"]);
    // The map leaves the units out: their indicator columns are released all the same, and
    // the files are the same bytes.
    assert!(run.assessment.units.raw.is_empty());
    let released = dir.join("released");
    write_outputs(&run, &released, &[], &gpkg).unwrap();
    let (a, b) = (files(&kept), files(&released));
    assert!(a.contains_key("careblock.gpkg"), "{:?}", a.keys());
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(*bytes == b[name], "{name} differs after the release");
    }
}
