//! Differential test against the peers: on the committed 2,000-unit synthetic city
//! (`tests/fixtures/city2k`, made by `benches/peers/gen_city.py`), careblock's interpolated
//! district values equal tobler's `area_interpolate` within 1e-6 relative (tobler keeps its
//! area table in float32), DuckDB spatial's float64 SQL version within 1e-9, and its coverage
//! counts equal geopandas' (see the fixture's README for how the expected files were made).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use careblock_core::Crs;
use careblock_core::join::{InterpolateOptions, area_interpolate, centroids, points_within_distance};
use careblock_core::project::project;
use careblock_io::{ReadOptions, read_layer};

const EXTENSIVE: [&str; 6] = ["pop_total", "pop_0_5", "pop_60_plus", "women", "men", "dwellings"];

fn fixture(f: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/city2k")
        .join(f)
}

fn load(f: &str, id: &str) -> careblock_core::Layer {
    let opts = ReadOptions {
        id_field: Some(id.into()),
        ..Default::default()
    };
    let (layer, _) = read_layer(&fixture(f), &opts).unwrap();
    project(&layer, Crs::from_epsg(9377).unwrap()).unwrap()
}

/// Rows of a CSV keyed by its first column.
fn csv(f: &str) -> (Vec<String>, HashMap<String, Vec<String>>) {
    let text = std::fs::read_to_string(fixture(f)).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| {
            let mut cells = l.split(',').map(String::from);
            (cells.next().unwrap(), cells.collect())
        })
        .collect();
    (header, rows)
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-12)
}

/// Checks every district and column of `expected` against careblock's result.
fn check_against(expected_file: &str, rel: f64) {
    let units = load("units.geojson", "unit_id");
    let districts = load("districts.geojson", "district_id");
    let r = area_interpolate(
        &units,
        &districts,
        &EXTENSIVE,
        &["ipm"],
        InterpolateOptions::default(),
    )
    .unwrap();
    let (header, expected) = csv(expected_file);
    assert_eq!(expected.len(), r.target_ids.len());
    let columns = r
        .extensive
        .iter()
        .map(|(n, v)| (n, v.iter().map(|x| Some(*x)).collect::<Vec<_>>()));
    let columns: Vec<_> = columns
        .chain(r.intensive.iter().map(|(n, v)| (n, v.clone())))
        .collect();
    let mut checked = 0;
    for (j, id) in r.target_ids.iter().enumerate() {
        let row = &expected[id];
        for (name, values) in &columns {
            let col = header.iter().position(|h| h == *name).unwrap() - 1;
            let want: f64 = row[col].parse().unwrap();
            let got = values[j].unwrap();
            assert!(
                close(got, want, rel),
                "{id} {name}: careblock {got} vs {expected_file} {want}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, (EXTENSIVE.len() + 1) * r.target_ids.len());
    // The fixture's districts leave edge units outside on purpose: they must be reported.
    assert!(!r.report.outside.is_empty());
    for (_, b) in &r.report.variables {
        assert!(b.relative_error() < 1e-9);
    }
}

#[test]
fn interpolated_values_equal_toblers() {
    check_against("tobler_districts.csv", 1e-6);
}

#[test]
fn interpolated_values_equal_duckdbs_float64_sql() {
    check_against("duckdb_districts.csv", 1e-9);
}

#[test]
fn coverage_counts_equal_geopandas() {
    let units = load("units.geojson", "unit_id");
    let facilities = load("facilities.geojson", "facility_id");
    let pop = units.count_column("pop_total").unwrap();
    let reach = points_within_distance(&facilities.points().unwrap(), &centroids(&units), 800.0).unwrap();
    let (_, expected) = csv("geopandas_coverage.csv");
    assert_eq!(expected.len(), facilities.len());
    for (f, id) in facilities.ids.iter().enumerate() {
        let row = &expected[id];
        let n: usize = row[0].parse().unwrap();
        let p: f64 = row[1].parse().unwrap();
        assert_eq!(reach.row(f).len(), n, "{id}: units within 800 m");
        let got: f64 = reach.row(f).iter().map(|&(u, _)| pop[u as usize].unwrap()).sum();
        assert!(close(got, p, 1e-9), "{id}: {got} vs {p}");
    }
}
