//! `careblock interpolate` on broken sources: invalid polygons are refused naming the feature
//! unless `--fix-invalid` is given, which repairs them and says which; a feature without
//! geometry is kept and its count reported unallocated, never dropped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("repair");
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A square of side `d` degrees as GeoJSON polygon coordinates, from corner (x, y).
fn square(x: f64, y: f64, d: f64) -> String {
    format!(
        "[[[{x},{y}],[{},{y}],[{},{}],[{x},{}],[{x},{y}]]]",
        x + d,
        x + d,
        y + d,
        y + d
    )
}

fn write_inputs(d: &Path) -> (PathBuf, PathBuf) {
    let (x, y) = (-74.10, 4.60);
    let bowtie = format!(
        "[[[{x},{y}],[{x},{}],[{},{y}],[{},{}],[{x},{y}]]]",
        y + 0.01,
        x + 0.01,
        x + 0.01,
        y + 0.01
    );
    let open = format!(
        "[[[{x},{y}],[{},{y}],[{},{}],[{x},{}]]]",
        x + 0.01,
        x + 0.01,
        y + 0.01,
        y + 0.01
    );
    let source = format!(
        r#"{{"type":"FeatureCollection","features":[
        {{"type":"Feature","id":"ok","properties":{{"pop":100}},"geometry":{{"type":"Polygon","coordinates":{}}}}},
        {{"type":"Feature","id":"bowtie","properties":{{"pop":10}},"geometry":{{"type":"Polygon","coordinates":{bowtie}}}}},
        {{"type":"Feature","id":"open","properties":{{"pop":5}},"geometry":{{"type":"Polygon","coordinates":{open}}}}},
        {{"type":"Feature","id":"nogeom","properties":{{"pop":7}},"geometry":null}}]}}"#,
        square(x, y, 0.01)
    );
    let target = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","id":"D1","properties":{{}},"geometry":{{"type":"Polygon","coordinates":{}}}}}]}}"#,
        square(x - 0.05, y - 0.05, 0.2)
    );
    let (s, t) = (d.join("units.geojson"), d.join("districts.geojson"));
    std::fs::write(&s, source).unwrap();
    std::fs::write(&t, target).unwrap();
    (s, t)
}

fn run(source: &Path, target: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_careblock"))
        .args(["interpolate", "--extensive", "pop", "--crs", "9377", "--source"])
        .arg(source)
        .arg("--target")
        .arg(target)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn invalid_polygons_are_refused_by_name_then_repaired_on_request() {
    let d = dir();
    let (s, t) = write_inputs(&d);
    let out = d.join("out.csv");

    let o = run(&s, &t, &out, &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("units.geojson") && err.contains("\"open\"") && err.contains("not closed"),
        "{err}"
    );
    assert!(!out.exists());

    let report = d.join("report.json");
    let o = run(
        &s,
        &t,
        &out,
        &["--fix-invalid", "--report", report.to_str().unwrap()],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("closed the open rings of these features (1 in all): open"),
        "{err}"
    );
    assert!(
        err.contains("repaired the invalid polygons of these features (1 in all): bowtie"),
        "{err}"
    );
    assert!(
        err.contains("features without geometry, kept with area 0 (1 in all): nogeom"),
        "{err}"
    );

    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let v = &r["variables"][0];
    assert_eq!(v["source_total"], 122.0);
    // Every unit lies inside D1; only the one without geometry cannot be placed.
    assert!((v["allocated"].as_f64().unwrap() - 115.0).abs() < 1e-9, "{v}");
    assert!((v["unallocated"].as_f64().unwrap() - 7.0).abs() < 1e-9, "{v}");
    let outside: Vec<&str> = r["outside"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(outside, ["nogeom"]);
}
