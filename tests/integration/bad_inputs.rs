//! The bad-input suite: every messy or hostile input of issue 8 through the `careblock` binary
//! (`interpolate`, `run` and `validate`), each with its documented outcome:
//!
//! - **error**: exit code 2, ONE line on stderr naming the file, the feature id and the field
//!   (or the column / coordinate at fault), and nothing left in the output directory, not even a
//!   temporary file;
//! - **warning**: exit code 0, the ids named on stderr (or in `run.json`'s notes), and proof
//!   that no feature was dropped (the conservation report balances, every unit has its row).
//!
//! Cases already covered elsewhere are referenced, not repeated: bow-tie / unclosed rings and
//! `--fix-invalid` with `interpolate` (tests/repair.rs), bad method files
//! (tests/method_errors.rs), `validate` on a broken layer (tests/cli_commands.rs), random
//! tilings (crates/core/tests/conservation.rs).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::careblock;
use serde_json::Value;

// ---------------------------------------------------------------- helpers

/// A fresh empty directory for one case.
fn case_dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("bad_inputs")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Every file under `dir` (relative path → content), to prove a failed command left nothing.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, d: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The documented error outcome: exit 2, one line containing every needle, and the directory
/// exactly as it was before the command (no output, no temporary file, nothing overwritten).
fn assert_error(o: &Output, dir: &Path, before: &BTreeMap<PathBuf, Vec<u8>>, needles: &[&str]) -> String {
    let err = stderr(o);
    eprintln!("[error] {}", err.trim_end());
    assert_eq!(o.status.code(), Some(2), "exit code 2 expected: {err}");
    // The error is ONE line, the last; warnings printed before it (each naming its ids) are
    // the only other lines.
    let lines: Vec<&str> = err.trim_end().lines().collect();
    assert!(
        lines.last().is_some_and(|l| l.starts_with("careblock: error: ")),
        "the last line is the error: {err}"
    );
    assert!(
        lines[..lines.len() - 1].iter().all(|l| l.contains(": warning: ")),
        "one error line, only warnings before it: {err}"
    );
    for n in needles {
        assert!(err.contains(n), "{n:?} missing from: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    let after = snapshot(dir);
    let names: Vec<&PathBuf> = after.keys().collect();
    assert!(
        &after == before,
        "the failed command changed the directory: {names:?}"
    );
    err
}

/// The documented warning outcome: exit 0 and every needle on stderr.
fn assert_warning(o: &Output, needles: &[&str]) -> String {
    let err = stderr(o);
    eprintln!("[ok] {}", err.trim_end());
    assert_eq!(o.status.code(), Some(0), "success expected: {err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} missing from: {err}");
    }
    err
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// A square of side `d` degrees as GeoJSON polygon coordinates, from corner (x, y).
fn square(x: f64, y: f64, d: f64) -> String {
    let (x1, y1) = (x + d, y + d);
    format!("[[[{x},{y}],[{x1},{y}],[{x1},{y1}],[{x},{y1}],[{x},{y}]]]")
}

fn polygon(coords: &str) -> String {
    format!(r#"{{"type":"Polygon","coordinates":{coords}}}"#)
}

/// One feature with the `code` property as id, and `props` (JSON members) besides.
fn feature(code: &str, props: &str, geometry: &str) -> String {
    let sep = if props.is_empty() { "" } else { "," };
    format!(r#"{{"type":"Feature","properties":{{"code":"{code}"{sep}{props}}},"geometry":{geometry}}}"#)
}

fn collection(features: &[String]) -> String {
    format!(
        "{{\"type\":\"FeatureCollection\",\"features\":[\n{}\n]}}\n",
        features.join(",\n")
    )
}

/// The four good units u1..u4: a 2×2 grid of 0.01° squares in Bogotá, `pop` 100..400 and
/// `women` half of it.
fn unit_features() -> Vec<String> {
    (0..4)
        .map(|i| {
            let (x, y) = (-74.10 + 0.01 * (i % 2) as f64, 4.60 + 0.01 * (i / 2) as f64);
            let pop = 100 * (i + 1);
            feature(
                &format!("u{}", i + 1),
                &format!(r#""pop":{pop},"women":{}"#, pop / 2),
                &polygon(&square(x, y, 0.01)),
            )
        })
        .collect()
}

/// Replaces the properties of unit `i` (0-based) of `unit_features()`.
fn with_props(i: usize, props: &str) -> Vec<String> {
    let mut f = unit_features();
    let (x, y) = (-74.10 + 0.01 * (i % 2) as f64, 4.60 + 0.01 * (i / 2) as f64);
    f[i] = feature(&format!("u{}", i + 1), props, &polygon(&square(x, y, 0.01)));
    f
}

/// Replaces the geometry of unit `i` (0-based) of `unit_features()`.
fn with_geometry(i: usize, geometry: &str) -> Vec<String> {
    let mut f = unit_features();
    let pop = 100 * (i + 1);
    f[i] = feature(
        &format!("u{}", i + 1),
        &format!(r#""pop":{pop},"women":{}"#, pop / 2),
        geometry,
    );
    f
}

/// One district D1 covering the four units with a margin.
fn one_district() -> String {
    collection(&[format!(
        r#"{{"type":"Feature","properties":{{"d":"D1"}},"geometry":{}}}"#,
        polygon(&square(-74.11, 4.59, 0.04))
    )])
}

/// Two districts: the west column (u1, u3) and the east column (u2, u4).
fn two_districts() -> String {
    collection(&[
        format!(
            r#"{{"type":"Feature","properties":{{"d":"W"}},"geometry":{}}}"#,
            polygon("[[[-74.105,4.595],[-74.09,4.595],[-74.09,4.625],[-74.105,4.625],[-74.105,4.595]]]")
        ),
        format!(
            r#"{{"type":"Feature","properties":{{"d":"E"}},"geometry":{}}}"#,
            polygon("[[[-74.09,4.595],[-74.075,4.595],[-74.075,4.625],[-74.09,4.625],[-74.09,4.595]]]")
        ),
    ])
}

/// `careblock interpolate` of `pop` from `units` (text) to `districts` (text) in `dir`, with
/// `--source-id code --target-id d --crs 9377`, output `out/out.csv` and `out/report.json`.
fn interpolate(dir: &Path, units: &str, districts: &str, extra: &[&str]) -> Output {
    let (u, d) = (dir.join("units.geojson"), dir.join("districts.geojson"));
    std::fs::write(&u, units).unwrap();
    std::fs::write(&d, districts).unwrap();
    interpolate_files(dir, &u, &d, extra)
}

fn interpolate_files(dir: &Path, u: &Path, d: &Path, extra: &[&str]) -> Output {
    let out = dir.join("out");
    let mut args: Vec<&OsStr> = vec![
        "interpolate".as_ref(),
        "--source".as_ref(),
        u.as_os_str(),
        "--target".as_ref(),
        d.as_os_str(),
        "--target-id".as_ref(),
        "d".as_ref(),
        "--crs".as_ref(),
        "9377".as_ref(),
    ];
    let o = out.join("out.csv");
    let r = out.join("report.json");
    if !extra.contains(&"--source-id") {
        args.extend(["--source-id".as_ref(), "code".as_ref()] as [&OsStr; 2]);
    }
    if !extra.contains(&"--extensive") {
        args.extend(["--extensive".as_ref(), "pop".as_ref()] as [&OsStr; 2]);
    }
    if !extra.contains(&"--out") {
        args.extend([
            "--out".as_ref(),
            o.as_os_str(),
            "--report".as_ref(),
            r.as_os_str(),
        ]);
    }
    args.extend(extra.iter().map(|s| s.as_ref() as &OsStr));
    careblock(args)
}

/// Writes the inputs, runs `interpolate` and checks the documented error outcome.
fn interpolate_error(name: &str, units: &str, districts: &str, extra: &[&str], needles: &[&str]) -> String {
    let dir = case_dir(name);
    std::fs::write(dir.join("units.geojson"), units).unwrap();
    std::fs::write(dir.join("districts.geojson"), districts).unwrap();
    let before = snapshot(&dir);
    let o = interpolate(&dir, units, districts, extra);
    assert_error(&o, &dir, &before, needles)
}

/// The conservation report of `out/report.json`: (source total, allocated, unallocated,
/// missing values) of the first variable.
fn balance(dir: &Path) -> (f64, f64, f64, u64) {
    let r = read_json(&dir.join("out/report.json"));
    let v = &r["variables"][0];
    (
        v["source_total"].as_f64().unwrap(),
        v["allocated"].as_f64().unwrap(),
        v["unallocated"].as_f64().unwrap(),
        v["missing"].as_u64().unwrap_or(0),
    )
}

/// A method over `units.geojson` / `districts.geojson` in the same directory: one share
/// indicator (women / pop), 10 Monte Carlo draws.
fn method(extra: &str) -> String {
    format!(
        r#"name = "bad inputs"
crs = 9377

[units]
path = "units.geojson"
id = "code"
population = "pop"
{extra}

[districts]
path = "districts.geojson"
id = "d"

[treatment]
min_population = 1

[uncertainty]
draws = 10

[[indicators]]
name = "women_share"
dimension = "women_caregivers"
kind = "share"
numerator = "women"
denominator = "pop"
"#
    )
}

/// Writes the method and its layers into `dir` and runs `careblock run` into `dir/out`.
fn run_in(dir: &Path, units: &str, districts: &str, method_text: &str) -> Output {
    std::fs::write(dir.join("units.geojson"), units).unwrap();
    std::fs::write(dir.join("districts.geojson"), districts).unwrap();
    std::fs::write(dir.join("method.toml"), method_text).unwrap();
    careblock([
        "run".as_ref(),
        dir.join("method.toml").as_os_str(),
        "--out".as_ref(),
        dir.join("out").as_os_str(),
    ])
}

fn run_error(name: &str, units: &str, districts: &str, method_text: &str, needles: &[&str]) -> String {
    run_error_with(name, &[], units, districts, method_text, needles)
}

/// As [`run_error`], with extra files (name, content) written beside the method.
fn run_error_with(
    name: &str,
    files: &[(&str, &[u8])],
    units: &str,
    districts: &str,
    method_text: &str,
    needles: &[&str],
) -> String {
    let dir = case_dir(name);
    for (f, content) in files {
        std::fs::write(dir.join(f), content).unwrap();
    }
    std::fs::write(dir.join("units.geojson"), units).unwrap();
    std::fs::write(dir.join("districts.geojson"), districts).unwrap();
    std::fs::write(dir.join("method.toml"), method_text).unwrap();
    let before = snapshot(&dir);
    let o = run_in(&dir, units, districts, method_text);
    assert_error(&o, &dir, &before, needles)
}

/// The `id` column (else the first column) of a CSV output, in order.
fn csv_ids(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let k = header.iter().position(|h| *h == "id").unwrap_or(0);
    lines.map(|l| l.split(',').nth(k).unwrap().to_string()).collect()
}

/// One column of a CSV output by id (simple CSV: no quoted commas in these outputs).
fn csv_column(path: &Path, column: &str) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let k = header.iter().position(|h| *h == "id").unwrap();
    let c = header
        .iter()
        .position(|h| *h == column)
        .unwrap_or_else(|| panic!("no column {column} in {header:?}"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[k].to_string(), f[c].to_string())
        })
        .collect()
}

/// The ids of `out/run.json`'s `units_outside_districts`.
fn outside_ids(dir: &Path) -> Vec<String> {
    read_json(&dir.join("out/run.json"))["units_outside_districts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect()
}

/// The notes of `out/run.json`, as one text.
fn run_notes(dir: &Path) -> String {
    let r = read_json(&dir.join("out/run.json"));
    r["notes"].to_string()
}

/// `careblock validate` on `dir/method.toml` with `--json`; returns the exit code and the
/// problems as (severity, message, ids).
/// A problem of a validate report: (severity, message, ids).
type Problem = (String, String, Vec<String>);

fn validate(dir: &Path) -> (Option<i32>, Vec<Problem>) {
    let json = dir.join("validate.json");
    let o = careblock([
        "validate".as_ref(),
        dir.join("method.toml").as_os_str(),
        "--json".as_ref(),
        json.as_os_str(),
    ]);
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    let r = read_json(&json);
    let ps = r["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["severity"].as_str().unwrap_or_default().to_string(),
                p["message"].as_str().unwrap_or_default().to_string(),
                p["ids"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|v| v.as_str().unwrap_or_default().to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
            )
        })
        .collect();
    (o.status.code(), ps)
}

fn problem<'a>(ps: &'a [Problem], severity: &str, needle: &str) -> &'a Problem {
    ps.iter()
        .find(|(s, m, _)| s == severity && m.contains(needle))
        .unwrap_or_else(|| panic!("no {severity} with {needle:?} in {ps:#?}"))
}

// ---------------------------------------------------------------- the good baseline

#[test]
fn baseline_inputs_run_and_balance() {
    let dir = case_dir("baseline");
    let o = interpolate(&dir, &collection(&unit_features()), &one_district(), &[]);
    assert_warning(&o, &[]);
    let (total, allocated, unallocated, _) = balance(&dir);
    assert_eq!(total, 1000.0);
    assert!((allocated - 1000.0).abs() < 1e-9 && unallocated.abs() < 1e-9);

    let dir = case_dir("baseline_run");
    let o = run_in(&dir, &collection(&unit_features()), &two_districts(), &method(""));
    assert_warning(&o, &[]);
    assert_eq!(csv_ids(&dir.join("out/units.csv")), ["u1", "u2", "u3", "u4"]);
    assert_eq!(csv_ids(&dir.join("out/districts.csv")), ["W", "E"]);
}

// ---------------------------------------------------------------- unreadable files

#[test]
fn truncated_and_non_json_files_are_refused_with_their_position() {
    let good = collection(&unit_features());
    let cut = &good[..good.len() / 2];
    let e = interpolate_error("truncated", cut, &one_district(), &[], &["units.geojson", "line"]);
    assert!(
        e.contains("truncated") || e.contains("EOF") || e.contains("end"),
        "{e}"
    );
    interpolate_error(
        "non_json",
        "SETU_CCNCT;pop\n1;2\n",
        &one_district(),
        &[],
        &["units.geojson", "line 1"],
    );
    interpolate_error("empty_file", "", &one_district(), &[], &["units.geojson"]);
    // The target is read with the same reader.
    interpolate_error(
        "truncated_target",
        &good,
        &one_district()[..40],
        &[],
        &["districts.geojson"],
    );
}

#[test]
fn a_bare_geometry_is_not_a_feature_collection() {
    let bare = polygon(&square(-74.10, 4.60, 0.02));
    interpolate_error(
        "bare_geometry",
        &bare,
        &one_district(),
        &[],
        &["units.geojson", "FeatureCollection", "Polygon"],
    );
    let single = unit_features()[0].clone();
    interpolate_error(
        "bare_feature",
        &single,
        &one_district(),
        &[],
        &["units.geojson", "FeatureCollection", "Feature"],
    );
}

// ---------------------------------------------------------------- geometries

#[test]
fn null_and_empty_geometries_are_kept_and_their_counts_reported_unallocated() {
    // (The null case with interpolate is in tests/repair.rs; here: empty, and both with run.)
    let dir = case_dir("empty_geometry");
    let units = collection(&with_geometry(2, r#"{"type":"Polygon","coordinates":[]}"#));
    let o = interpolate(&dir, &units, &one_district(), &[]);
    assert_warning(&o, &["units.geojson", "without geometry", "u3"]);
    let (total, allocated, unallocated, _) = balance(&dir);
    assert_eq!(total, 1000.0);
    assert!(
        (allocated - 700.0).abs() < 1e-9 && (unallocated - 300.0).abs() < 1e-9,
        "{allocated} {unallocated}"
    );
    assert_eq!(csv_ids(&dir.join("out/out.csv")), ["D1"]);

    let dir = case_dir("null_geometry_run");
    let units = collection(&with_geometry(2, "null"));
    let o = run_in(&dir, &units, &two_districts(), &method(""));
    assert_warning(&o, &[]);
    assert_eq!(
        csv_ids(&dir.join("out/units.csv")),
        ["u1", "u2", "u3", "u4"],
        "the unit without geometry keeps its row"
    );
    let notes = run_notes(&dir);
    assert!(notes.contains("u3"), "{notes}");
}

#[test]
fn self_intersecting_polygons_are_refused_by_id() {
    let bowtie = polygon("[[[-74.09,4.61],[-74.08,4.62],[-74.08,4.61],[-74.09,4.62],[-74.09,4.61]]]");
    let units = collection(&with_geometry(3, &bowtie));
    // interpolate (with --fix-invalid in tests/repair.rs) and run.
    interpolate_error(
        "bowtie",
        &units,
        &one_district(),
        &[],
        &["units.geojson", "\"u4\"", "--fix-invalid"],
    );
    run_error(
        "bowtie_run",
        &units,
        &two_districts(),
        &method(""),
        &["units.geojson", "u4"],
    );
    let dir = case_dir("bowtie_run_fixed");
    let o = careblock_run_fixed(&dir, &units);
    assert_warning(&o, &[]);
    assert_eq!(csv_ids(&dir.join("out/units.csv")), ["u1", "u2", "u3", "u4"]);
}

fn careblock_run_fixed(dir: &Path, units: &str) -> Output {
    std::fs::write(dir.join("units.geojson"), units).unwrap();
    std::fs::write(dir.join("districts.geojson"), two_districts()).unwrap();
    std::fs::write(dir.join("method.toml"), method("")).unwrap();
    careblock([
        "run".as_ref(),
        dir.join("method.toml").as_os_str(),
        "--fix-invalid".as_ref(),
        "--out".as_ref(),
        dir.join("out").as_os_str(),
    ])
}

#[test]
fn too_short_and_unclosed_rings_are_refused_by_id() {
    let short = polygon("[[[-74.09,4.61],[-74.08,4.62],[-74.09,4.61]]]");
    interpolate_error(
        "short_ring",
        &collection(&with_geometry(3, &short)),
        &one_district(),
        &[],
        &["units.geojson", "u4"],
    );
    let two = polygon("[[[-74.09,4.61],[-74.08,4.62]]]");
    interpolate_error(
        "two_point_ring",
        &collection(&with_geometry(3, &two)),
        &one_district(),
        &[],
        &["units.geojson", "u4"],
    );
    let open = polygon("[[[-74.09,4.61],[-74.08,4.61],[-74.08,4.62],[-74.09,4.62]]]");
    run_error(
        "unclosed_run",
        &collection(&with_geometry(3, &open)),
        &two_districts(),
        &method(""),
        &["units.geojson", "u4", "not closed"],
    );
    let empty_ring = polygon("[[]]");
    interpolate_error(
        "empty_ring",
        &collection(&with_geometry(3, &empty_ring)),
        &one_district(),
        &[],
        &["units.geojson", "u4"],
    );
}

#[test]
fn non_finite_and_huge_coordinates_are_refused_by_id() {
    for (name, v, needle) in [
        ("nan", "NaN", "NaN and Infinity are not JSON numbers"),
        ("infinity", "Infinity", "feature at index 3"),
        ("overflow", "1e999", "does not fit a 64-bit float"),
        ("plus_1e308", "1e308", "u4"),
        ("minus_1e308", "-1e308", "u4"),
    ] {
        let g = polygon(&format!(
            "[[[-74.09,4.61],[{v},4.61],[-74.08,4.62],[-74.09,4.62],[-74.09,4.61]]]"
        ));
        interpolate_error(
            name,
            &collection(&with_geometry(3, &g)),
            &one_district(),
            &[],
            &["units.geojson", needle],
        );
    }
    let g = polygon("[[[-74.09,4.61],[-1e308,4.61],[-74.08,4.62],[-74.09,4.62],[-74.09,4.61]]]");
    run_error(
        "minus_1e308_run",
        &collection(&with_geometry(3, &g)),
        &two_districts(),
        &method(""),
        &["units.geojson", "u4"],
    );
}

#[test]
fn projected_metres_in_a_lon_lat_file_are_refused() {
    // Origen-Nacional metres in a file without `crs` member (RFC 7946 = lon/lat).
    let units: Vec<String> = (0..4)
        .map(|i| {
            let (x, y) = (4_880_000.0 + 500.0 * i as f64, 2_070_000.0);
            let ring = format!(
                "[[[{x},{y}],[{},{y}],[{},{}],[{x},{}],[{x},{y}]]]",
                x + 500.0,
                x + 500.0,
                y + 500.0,
                y + 500.0
            );
            feature(&format!("u{}", i + 1), r#""pop":100,"women":50"#, &polygon(&ring))
        })
        .collect();
    interpolate_error(
        "metres_as_degrees",
        &collection(&units),
        &one_district(),
        &[],
        &["units.geojson", "u1", "4880000"],
    );
}

#[test]
fn swapped_lat_lon_is_refused_against_the_other_layer() {
    let units: Vec<String> = (0..4)
        .map(|i| {
            let (y, x) = (-74.10 + 0.01 * (i % 2) as f64, 4.60 + 0.01 * (i / 2) as f64);
            feature(
                &format!("u{}", i + 1),
                r#""pop":100,"women":50"#,
                &polygon(&square(x, y, 0.01)),
            )
        })
        .collect();
    interpolate_error(
        "swapped",
        &collection(&units),
        &one_district(),
        &[],
        &["units.geojson", "(lat, lon)"],
    );
    // `careblock run` refuses it too, before writing anything, and `validate` lists it as an
    // error.
    run_error(
        "swapped_run",
        &collection(&units),
        &two_districts(),
        &method(""),
        &["units.geojson", "(lat, lon)"],
    );
    let dir = case_dir("swapped_validate");
    std::fs::write(dir.join("units.geojson"), collection(&units)).unwrap();
    std::fs::write(dir.join("districts.geojson"), two_districts()).unwrap();
    std::fs::write(dir.join("method.toml"), method("")).unwrap();
    let (code, ps) = validate(&dir);
    assert_eq!(code, Some(2));
    problem(&ps, "error", "(lat, lon)");
}

#[test]
fn points_where_polygons_are_expected_are_refused_by_id() {
    let units = collection(&with_geometry(
        1,
        r#"{"type":"Point","coordinates":[-74.085,4.605]}"#,
    ));
    interpolate_error(
        "point_unit",
        &units,
        &one_district(),
        &[],
        &["units.geojson", "u2", "Point"],
    );
    run_error(
        "point_unit_run",
        &units,
        &two_districts(),
        &method(""),
        &["units.geojson", "u2", "Point"],
    );
}

// ---------------------------------------------------------------- ids and attributes

#[test]
fn duplicate_ids_are_refused_as_a_property_and_as_the_geojson_id_member() {
    let mut f = unit_features();
    f[3] = f[3].replace("\"u4\"", "\"u2\"");
    interpolate_error(
        "duplicate_property_id",
        &collection(&f),
        &one_district(),
        &[],
        &["units.geojson", "\"u2\"", "field \"code\"", "features 1 and 3"],
    );
    run_error(
        "duplicate_property_id_run",
        &collection(&f),
        &two_districts(),
        &method(""),
        &["units.geojson", "\"u2\""],
    );
    // The GeoJSON `id` member (no --source-id): the same id twice.
    let f: Vec<String> = unit_features()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            s.replacen(
                "{\"type\":\"Feature\",",
                &format!("{{\"type\":\"Feature\",\"id\":{},", [1, 2, 3, 2][i]),
                1,
            )
        })
        .collect();
    let dir = case_dir("duplicate_id_member");
    std::fs::write(dir.join("units.geojson"), collection(&f)).unwrap();
    std::fs::write(dir.join("districts.geojson"), one_district()).unwrap();
    let before = snapshot(&dir);
    let o = careblock([
        "interpolate".as_ref(),
        "--source".as_ref(),
        dir.join("units.geojson").as_os_str(),
        "--target".as_ref(),
        dir.join("districts.geojson").as_os_str(),
        "--extensive".as_ref(),
        "pop".as_ref(),
        "--crs".as_ref(),
        "9377".as_ref(),
        "--out".as_ref(),
        dir.join("out/out.csv").as_os_str(),
    ] as [&OsStr; 11]);
    assert_error(
        &o,
        &dir,
        &before,
        &["units.geojson", "\"2\"", "GeoJSON \"id\" member"],
    );
}

#[test]
fn missing_columns_are_named_with_the_columns_that_exist() {
    let units = collection(&unit_features());
    interpolate_error(
        "missing_column",
        &units,
        &one_district(),
        &["--extensive", "persons"],
        &["\"persons\"", "pop"],
    );
    let m = method("").replace("population = \"pop\"", "population = \"persons\"");
    run_error(
        "missing_population_run",
        &units,
        &two_districts(),
        &m,
        &["method.toml", "persons", "pop"],
    );
    let m = method("").replace("id = \"code\"", "id = \"SETU_CCNCT\"");
    run_error(
        "missing_id_field_run",
        &units,
        &two_districts(),
        &m,
        &["units.geojson", "SETU_CCNCT"],
    );
}

#[test]
fn non_numeric_and_negative_counts_are_refused_by_feature_and_field() {
    let units = collection(&with_props(2, r#""pop":"trescientos","women":150"#));
    interpolate_error(
        "non_numeric",
        &units,
        &one_district(),
        &[],
        &["units.geojson", "\"u3\"", "pop", "trescientos"],
    );
    run_error(
        "non_numeric_run",
        &units,
        &two_districts(),
        &method(""),
        &["u3", "pop", "trescientos"],
    );
    let units = collection(&with_props(2, r#""pop":-300,"women":150"#));
    interpolate_error(
        "negative",
        &units,
        &one_district(),
        &[],
        &["units.geojson", "\"u3\"", "pop", "-300"],
    );
    run_error(
        "negative_run",
        &units,
        &two_districts(),
        &method(""),
        &["u3", "pop", "-300"],
    );
}

#[test]
fn masked_values_are_missing_counted_and_never_allocated() {
    let units = collection(&with_props(2, r#""pop":"*","women":"*""#));
    let dir = case_dir("masked");
    let o = interpolate(&dir, &units, &one_district(), &[]);
    assert_warning(&o, &[]);
    let (total, allocated, unallocated, missing) = balance(&dir);
    assert_eq!(
        (total, missing),
        (700.0, 1),
        "the masked value is counted as missing"
    );
    assert!((allocated - 700.0).abs() < 1e-9 && unallocated.abs() < 1e-9);

    let dir = case_dir("masked_run");
    let o = run_in(&dir, &units, &two_districts(), &method(""));
    assert_warning(&o, &[]);
    assert_eq!(csv_ids(&dir.join("out/units.csv")), ["u1", "u2", "u3", "u4"]);
    let rank = csv_column(&dir.join("out/units.csv"), "rank");
    assert_eq!(rank["u3"], "", "a unit without population is not ranked");
    assert!(run_notes(&dir).contains("u3"), "{}", run_notes(&dir));
}

#[test]
fn zero_population_units_keep_their_row_without_a_rank() {
    let units = collection(&with_props(0, r#""pop":0,"women":0"#));
    let dir = case_dir("zero_population_run");
    let o = run_in(&dir, &units, &two_districts(), &method(""));
    assert_warning(&o, &[]);
    assert_eq!(csv_ids(&dir.join("out/units.csv")), ["u1", "u2", "u3", "u4"]);
    let rank = csv_column(&dir.join("out/units.csv"), "rank");
    assert_eq!(rank["u1"], "");
    assert!(run_notes(&dir).contains("u1"), "{}", run_notes(&dir));
    std::fs::write(dir.join("method.toml"), method("")).unwrap();
    let (code, ps) = validate(&dir);
    assert_eq!(code, Some(0), "{ps:#?}");
    assert_eq!(problem(&ps, "warning", "population 0").2, ["u1"]);
}

#[test]
fn sub_groups_larger_than_the_total_keep_their_value_and_the_run_continues() {
    // u2 has more women than persons.
    let units = collection(&with_props(1, r#""pop":200,"women":260"#));
    let dir = case_dir("women_above_persons_run");
    let o = run_in(&dir, &units, &two_districts(), &method(""));
    assert_warning(&o, &[]);
    assert_eq!(csv_ids(&dir.join("out/units.csv")), ["u1", "u2", "u3", "u4"]);
    // The share is kept as computed (1.3), not clipped, and the unit is ranked; a note names it.
    let share = csv_column(&dir.join("out/units.csv"), "women_share");
    assert_eq!(share["u2"].parse::<f64>().unwrap(), 1.3);
    assert_ne!(csv_column(&dir.join("out/units.csv"), "rank")["u2"], "");
    let notes = read_json(&dir.join("out/run.json"))["notes"].clone();
    let note = notes
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str())
        .find(|n| n.contains("sub-group larger than its total"));
    assert!(
        note.is_some_and(|n| n.contains("women_share") && n.contains("(first: \"u2\")")),
        "{notes}"
    );
}

// ---------------------------------------------------------------- every count column, one check

/// The four units with a column `x` besides `pop` and `women` (10, 20, 30, 40), unit u3's `x`
/// being `u3_x` (raw JSON).
fn units_with_x(u3_x: &str) -> String {
    let f: Vec<String> = (0..4)
        .map(|i| {
            let (x, y) = (-74.10 + 0.01 * (i % 2) as f64, 4.60 + 0.01 * (i / 2) as f64);
            let pop = 100 * (i + 1);
            let v = if i == 2 {
                u3_x.to_string()
            } else {
                (10 * (i + 1)).to_string()
            };
            feature(
                &format!("u{}", i + 1),
                &format!(r#""pop":{pop},"women":{},"x":{v}"#, pop / 2),
                &polygon(&square(x, y, 0.01)),
            )
        })
        .collect();
    collection(&f)
}

/// The two districts with a `rate` column (in %), to serve as a `[[coarse]]` layer too.
fn districts_with_rate() -> String {
    two_districts()
        .replace(r#""d":"W""#, r#""d":"W","rate":10"#)
        .replace(r#""d":"E""#, r#""d":"E","rate":20"#)
}

/// One method per kind of count column, each reading the column `x` of the units as that kind
/// (the population reads `pop`): (kind, the method key that reads it, the column, the method).
fn count_kinds() -> Vec<(&'static str, &'static str, &'static str, String)> {
    let siting =
        |line: &str| format!("\n[siting]\np = 1\nradius = 800\n{line}\n[siting.grid]\nspacing = 500\n");
    vec![
        ("population", "units.population", "pop", method("")),
        (
            "numerator",
            "indicators[0].numerator",
            "x",
            method("").replace("numerator = \"women\"", "numerator = \"x\""),
        ),
        (
            "denominator",
            "indicators[1].denominator",
            "x",
            method("")
                + r#"
[[indicators]]
name = "women_per_x"
dimension = "women_caregivers"
kind = "ratio"
numerator = "women"
denominator = "x"
"#,
        ),
        (
            "density count",
            "indicators[1].count",
            "x",
            method("")
                + r#"
[[indicators]]
name = "x_density"
dimension = "care_demand"
kind = "density"
count = "x"
"#,
        ),
        (
            "coarse-rate base",
            "coarse_rates[0].base",
            "x",
            method("")
                + r#"
[[coarse]]
name = "districts"
path = "districts.geojson"
id = "d"

[[coarse_rates]]
name = "x_estimate"
layer = "districts"
rate = "rate"
scale = 0.01
base = "x"

[[indicators]]
name = "x_estimate_density"
dimension = "care_demand"
kind = "density"
count = "x_estimate"
"#,
        ),
        (
            "siting demand",
            "siting.demand",
            "x",
            method("") + &siting("demand = \"x\""),
        ),
        (
            "siting group",
            "siting.groups.kids",
            "x",
            method("") + &siting("[siting.groups]\nkids = \"x\""),
        ),
    ]
}

/// The units of [`units_with_x`] with `raw` as u3's value of `column` (`pop` or `x`).
fn units_with(column: &str, raw: &str) -> String {
    if column == "pop" {
        units_with_x("30").replace(r#""pop":300"#, &format!(r#""pop":{raw}"#))
    } else {
        units_with_x(raw)
    }
}

#[test]
fn a_negative_value_in_any_count_column_is_refused_by_run_and_validate_by_file_id_field_and_value() {
    for (kind, key, column, m) in count_kinds() {
        let units = units_with(column, "-5");
        let name = format!("negative_{}", kind.replace(' ', "_"));
        // `run`: exit 2, one line naming the file, the unit, the field, the value and the method
        // key, and no output directory.
        let err = run_error(
            &name,
            &units,
            &districts_with_rate(),
            &m,
            &[
                "units.geojson",
                "feature \"u3\"",
                &format!("field \"{column}\""),
                "found -5",
                "method.toml:",
                key,
            ],
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{kind}: {err}");
        // `validate`: the same error, every refused value listed with its id.
        let dir = case_dir(&format!("{name}_validate"));
        std::fs::write(dir.join("units.geojson"), &units).unwrap();
        std::fs::write(dir.join("districts.geojson"), districts_with_rate()).unwrap();
        std::fs::write(dir.join("method.toml"), &m).unwrap();
        let (code, ps) = validate(&dir);
        assert_eq!(code, Some(2), "{kind}: {ps:#?}");
        let (_, message, ids) = problem(&ps, "error", "expected a finite count >= 0, found -5");
        assert!(
            message.contains(&format!("field \"{column}\"")),
            "{kind}: {message}"
        );
        assert_eq!(ids, &["u3 (-5)"], "{kind}: {message}");
    }
}

#[test]
fn a_negative_extensive_variable_is_refused_by_interpolate_whichever_column_it_is() {
    let units = units_with_x("-5");
    interpolate_error(
        "negative_extensive_x",
        &units,
        &one_district(),
        &["--extensive", "pop", "--extensive", "x"],
        &["units.geojson", "feature \"u3\"", "field \"x\"", "found -5"],
    );
    // As an intensive variable (a rate), the same value is kept.
    let dir = case_dir("negative_intensive_x");
    let o = interpolate(&dir, &units, &one_district(), &["--intensive", "x"]);
    assert_warning(&o, &[]);
}

#[test]
fn a_masked_value_in_any_count_column_is_named_by_run_its_report_and_validate() {
    for (kind, key, column, m) in count_kinds() {
        let units = units_with(column, "\"*\"");
        let dir = case_dir(&format!("masked_{}", kind.replace(' ', "_")));
        let o = run_in(&dir, &units, &districts_with_rate(), &m);
        assert_warning(&o, &[]);
        assert_eq!(csv_ids(&dir.join("out/units.csv")), ["u1", "u2", "u3", "u4"]);
        // On the terminal: one note naming the column, the key and the unit.
        let stdout = String::from_utf8_lossy(&o.stdout).to_string();
        let expected = format!(
            "note: {}: column \"{column}\" ({key}): 1 masked (\"*\") value(s) treated as missing",
            dir.join("units.geojson").display()
        );
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&expected))
            .unwrap_or_else(|| panic!("{kind}: no {expected:?} in\n{stdout}"));
        assert!(line.ends_with("(ids: u3)"), "{kind}: {line}");
        // In run.json: the same note, and the warning with every id.
        let report = read_json(&dir.join("out/run.json"));
        let notes: Vec<&str> = report["notes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|n| n.as_str())
            .collect();
        assert!(notes.contains(&&line["note: ".len()..]), "{kind}: {notes:#?}");
        let warning = report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["message"].as_str().unwrap().contains("masked"))
            .unwrap_or_else(|| panic!("{kind}: {}", report["warnings"]));
        assert_eq!(warning["ids"], serde_json::json!(["u3"]), "{kind}");
        // In validate's report: the same warning, word for word, with its ids.
        let (code, ps) = validate(&dir);
        assert_eq!(code, Some(0), "{kind}: {ps:#?}");
        let (_, message, ids) = problem(&ps, "warning", "masked");
        assert_eq!(message, warning["message"].as_str().unwrap(), "{kind}");
        assert_eq!(ids, &["u3"], "{kind}");
    }
}

#[test]
fn a_masked_extensive_variable_is_named_by_interpolate() {
    let dir = case_dir("masked_extensive_x");
    let o = interpolate(
        &dir,
        &units_with_x("\"*\""),
        &one_district(),
        &["--extensive", "pop", "--extensive", "x"],
    );
    let err = assert_warning(&o, &["units.geojson", "column \"x\"", "masked", ": u3"]);
    assert_eq!(err.lines().count(), 1, "{err}");
}

// ---------------------------------------------------------------- what run says on the terminal

/// Eight units in a row (u1..u8, population 100 each), and one district D1 over the first two.
fn eight_units_one_district() -> (String, String) {
    let units: Vec<String> = (0..8)
        .map(|i| {
            let x = -74.10 + 0.01 * i as f64;
            feature(
                &format!("u{}", i + 1),
                r#""pop":100,"women":50"#,
                &polygon(&square(x, 4.60, 0.01)),
            )
        })
        .collect();
    let district = collection(&[format!(
        r#"{{"type":"Feature","properties":{{"d":"D1"}},"geometry":{}}}"#,
        polygon("[[[-74.105,4.595],[-74.0805,4.595],[-74.0805,4.615],[-74.105,4.615],[-74.105,4.595]]]")
    )]);
    (collection(&units), district)
}

#[test]
fn run_names_the_units_outside_every_district_on_the_terminal() {
    let (units, district) = eight_units_one_district();
    let dir = case_dir("outside_terminal");
    let o = run_in(&dir, &units, &district, &method(""));
    assert_warning(&o, &[]);
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    // One line: the count, the share of the population, the first five ids and how many more.
    let expected = format!(
        "note: {}: 6 unit(s) (75.0 % of the population) lie wholly outside every district of {}: they have a unit index but count towards no district (ids: u3, u4, u5, u6, u7 and 1 more)",
        dir.join("units.geojson").display(),
        dir.join("districts.geojson").display()
    );
    assert!(
        stdout.lines().any(|l| l == expected),
        "no line {expected:?} in\n{stdout}"
    );
    // u2 is 95 % inside D1: a line of its own.
    assert!(
        stdout.contains("1 unit(s) (12.5 % of the population) lie partly outside every district")
            && stdout.contains("(ids: u2 (95 %))"),
        "{stdout}"
    );
    // The full list in run.json, where it always was (partly and wholly outside), and as a
    // warning.
    assert_eq!(outside_ids(&dir), ["u2", "u3", "u4", "u5", "u6", "u7", "u8"]);
    let report = read_json(&dir.join("out/run.json"));
    let warning = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["message"].as_str().unwrap().contains("wholly outside"))
        .unwrap_or_else(|| panic!("{}", report["warnings"]));
    assert_eq!(warning["count"], 6);
    assert_eq!(
        warning["ids"],
        serde_json::json!(["u3", "u4", "u5", "u6", "u7", "u8"])
    );
    assert!(run_notes(&dir).contains(&expected["note: ".len()..].replace('"', "\\\"")));
    // --quiet keeps the terminal quiet, the report keeps the list.
    let quiet = careblock([
        "--quiet".as_ref(),
        "run".as_ref(),
        dir.join("method.toml").as_os_str(),
        "--out".as_ref(),
        dir.join("out_quiet").as_os_str(),
    ]);
    assert_eq!(quiet.status.code(), Some(0), "{}", stderr(&quiet));
    assert!(quiet.stdout.is_empty() && quiet.stderr.is_empty(), "{quiet:?}");
    assert_eq!(
        read_json(&dir.join("out_quiet/run.json"))["warnings"],
        report["warnings"]
    );
}

/// Whether a validate warning is about the data `run` warns about too.
fn data_warning(message: &str) -> bool {
    [
        "treated as missing",
        "population",
        "outside every district",
        "contain no unit",
        "overlap",
    ]
    .iter()
    .any(|k| message.contains(k))
}

#[test]
fn run_warns_about_what_validate_warns_about_word_for_word() {
    // u1 has population 0, u3 a population below the minimum (30) and a masked numerator, u4
    // no population; W and E overlap and leave most of the east column (u2, u4) outside; C
    // contains no unit.
    let mut units = unit_features();
    let props = [
        r#""pop":0,"women":0"#,
        r#""pop":200,"women":100"#,
        r#""pop":12,"women":"*""#,
        r#""women":200"#,
    ];
    for (i, p) in props.iter().enumerate() {
        let (x, y) = (-74.10 + 0.01 * (i % 2) as f64, 4.60 + 0.01 * (i / 2) as f64);
        units[i] = feature(&format!("u{}", i + 1), p, &polygon(&square(x, y, 0.01)));
    }
    let districts = collection(&[
        format!(
            r#"{{"type":"Feature","properties":{{"d":"W"}},"geometry":{}}}"#,
            polygon("[[[-74.105,4.595],[-74.088,4.595],[-74.088,4.625],[-74.105,4.625],[-74.105,4.595]]]")
        ),
        format!(
            r#"{{"type":"Feature","properties":{{"d":"E"}},"geometry":{}}}"#,
            polygon("[[[-74.09,4.595],[-74.086,4.595],[-74.086,4.625],[-74.09,4.625],[-74.09,4.595]]]")
        ),
        format!(
            r#"{{"type":"Feature","properties":{{"d":"C"}},"geometry":{}}}"#,
            polygon(&square(-74.2, 4.7, 0.01))
        ),
    ]);
    let m = method("").replace("min_population = 1", "min_population = 30");
    let dir = case_dir("run_and_validate_warnings");
    let o = run_in(&dir, &collection(&units), &districts, &m);
    assert_warning(&o, &[]);
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    let report = read_json(&dir.join("out/run.json"));
    let run_warnings: Vec<Problem> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                "warning".to_string(),
                w["message"].as_str().unwrap().to_string(),
                w["ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    let (code, ps) = validate(&dir);
    assert_eq!(code, Some(0), "{ps:#?}");
    let validate_warnings: Vec<&Problem> = ps
        .iter()
        .filter(|p| p.0 == "warning" && data_warning(&p.1))
        .collect();
    // Every case is there: masked, population 0, below the minimum, no value, units partly
    // outside (the east column, beyond W's edge), overlapping districts, an empty district.
    for needle in [
        "masked",
        "population 0",
        "population below 30",
        "no population value",
        "partly outside",
        "overlap",
        "contain no unit",
    ] {
        let (_, message, ids) = problem(&run_warnings, "warning", needle);
        assert!(!ids.is_empty(), "{needle}: {message}");
        // The same words and ids in validate's report...
        assert!(
            validate_warnings.iter().any(|p| &p.1 == message && &p.2 == ids),
            "validate lacks {message:?} {ids:?}: {validate_warnings:#?}"
        );
        // ... and one line on run's terminal.
        let lines: Vec<&str> = stdout.lines().filter(|l| l.contains(message.as_str())).collect();
        assert_eq!(lines.len(), 1, "{needle}: {stdout}");
        assert!(lines[0].contains(&ids[0]), "{needle}: {}", lines[0]);
    }
    // And nothing validate warns about the data is missing from run.
    for p in &validate_warnings {
        assert!(run_warnings.contains(p), "run lacks {p:?}: {run_warnings:#?}");
    }
}

// ---------------------------------------------------------------- joins

#[test]
fn districts_that_leave_units_uncovered_are_reported_and_nothing_is_lost() {
    // Only the west district: u2 and u4 lie outside every district.
    let west = two_districts();
    let west = collection(&[west.lines().nth(1).unwrap().trim_end_matches(',').to_string()]);
    let dir = case_dir("uncovered");
    let o = interpolate(
        &dir,
        &collection(&unit_features()),
        &west,
        &["--no-allocate-total"],
    );
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert_warning(&o, &[]);
    assert!(
        out.contains("u2") && out.contains("u4"),
        "the outsiders are listed: {out}"
    );
    let (total, allocated, unallocated, _) = balance(&dir);
    assert_eq!(total, 1000.0);
    // (Degree squares projected to metres: the shared edge leaves a sliver of ~0.002 persons.)
    assert!((allocated - 400.0).abs() < 0.01, "{allocated}");
    assert!(
        (allocated + unallocated - total).abs() < 1e-9,
        "{allocated} + {unallocated}"
    );
    let r = read_json(&dir.join("out/report.json"));
    let outside: Vec<&str> = r["outside"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(outside, ["u2", "u4"]);

    let dir = case_dir("uncovered_run");
    let o = run_in(&dir, &collection(&unit_features()), &west, &method(""));
    assert_warning(&o, &[]);
    assert_eq!(
        csv_ids(&dir.join("out/units.csv")),
        ["u1", "u2", "u3", "u4"],
        "uncovered units keep their rows"
    );
    // (u2 and u4 share an edge with W: the projection leaves a sliver, so they are listed as
    // outside with a covered fraction of ~0.)
    assert_eq!(
        outside_ids(&dir),
        ["u2", "u4"],
        "run.json lists the units outside every district"
    );
}

#[test]
fn overlapping_districts_are_reported() {
    // W widened over half of the east column.
    let d = two_districts().replace("[-74.09,4.595],[-74.09,4.625]", "[-74.085,4.595],[-74.085,4.625]");
    let dir = case_dir("overlap");
    let o = interpolate(&dir, &collection(&unit_features()), &d, &[]);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert_warning(&o, &[]);
    assert!(
        out.contains("W") && out.contains("E") && out.contains("overlap"),
        "{out}"
    );
    let r = read_json(&dir.join("out/report.json"));
    assert!(r["overlaps"].to_string().contains('W'), "{}", r["overlaps"]);
    let (total, allocated, unallocated, _) = balance(&dir);
    assert_eq!(total, 1000.0);
    assert!(
        (allocated + unallocated - 1000.0).abs() < 1e-9,
        "{allocated} + {unallocated}"
    );
    let dir = case_dir("overlap_validate");
    std::fs::write(dir.join("units.geojson"), collection(&unit_features())).unwrap();
    std::fs::write(dir.join("districts.geojson"), &d).unwrap();
    std::fs::write(dir.join("method.toml"), method("")).unwrap();
    let (_, ps) = validate(&dir);
    assert_eq!(problem(&ps, "warning", "overlap").2.len(), 1, "{ps:#?}");
}

#[test]
fn a_table_whose_keys_match_no_unit_is_refused_and_a_partial_match_warns() {
    let dir = case_dir("table_no_match");
    std::fs::write(dir.join("extra.csv"), "code,elderly\nx1,7\nx2,3\n").unwrap();
    let units = collection(&unit_features());
    std::fs::write(dir.join("units.geojson"), &units).unwrap();
    std::fs::write(dir.join("districts.geojson"), one_district()).unwrap();
    let table = dir.join("extra.csv");
    let table_args = ["--source-table", table.to_str().unwrap(), "--table-key", "code"];
    let before = snapshot(&dir);
    let o = interpolate_files(
        &dir,
        &dir.join("units.geojson"),
        &dir.join("districts.geojson"),
        &table_args,
    );
    assert_error(
        &o,
        &dir,
        &before,
        &["extra.csv", "none of the 2 keys", "\"code\"", "x1", "u1"],
    );
    let m = method("table = { path = \"extra.csv\", key = \"code\" }");
    let rows: &[u8] = b"code,elderly\nx1,7\nx2,3\n";
    run_error_with(
        "table_no_match_run",
        &[("extra.csv", rows)],
        &units,
        &two_districts(),
        &m,
        &["extra.csv", "none of the 2 keys"],
    );
    std::fs::write(dir.join("method.toml"), &m).unwrap();
    let (code, ps) = validate(&dir);
    assert_eq!(code, Some(2));
    assert!(
        ps.iter()
            .any(|(s, m, _)| s == "error" && m.contains("none of the 2 keys")),
        "{ps:#?}"
    );

    // One key matches: a warning naming the unmatched rows and features, every unit kept.
    std::fs::write(&table, "code,elderly\nu1,7\nx2,3\n").unwrap();
    let o = interpolate_files(
        &dir,
        &dir.join("units.geojson"),
        &dir.join("districts.geojson"),
        &table_args,
    );
    assert_warning(
        &o,
        &[
            "no row in the table",
            "u2, u3, u4",
            "matching no source feature",
            "x2",
        ],
    );
    assert_eq!(balance(&dir).0, 1000.0);
}

// ---------------------------------------------------------------- text encodings and paths

#[test]
fn latin1_csv_is_refused_with_its_line_and_so_is_a_dbf_that_contradicts_its_cpg() {
    let dir = case_dir("latin1");
    let mut csv = b"code,barrio\nu1,Usaqu".to_vec();
    csv.push(0xE9);
    csv.extend(b"n\nu2,Engativ");
    csv.push(0xE1);
    csv.extend(b"\n");
    std::fs::write(dir.join("extra.csv"), &csv).unwrap();
    let units = collection(&unit_features());
    let m = method("table = { path = \"extra.csv\", key = \"code\" }");
    run_error_with(
        "latin1_run",
        &[("extra.csv", &csv)],
        &units,
        &two_districts(),
        &m,
        &["extra.csv", "line 2", "0xE9", "UTF-8"],
    );
    // (Re-create: run_error starts from a fresh directory.)
    std::fs::write(dir.join("extra.csv"), &csv).unwrap();
    std::fs::write(dir.join("method.toml"), &m).unwrap();
    std::fs::write(dir.join("units.geojson"), &units).unwrap();
    std::fs::write(dir.join("districts.geojson"), two_districts()).unwrap();
    let (code, ps) = validate(&dir);
    assert_eq!(code, Some(2));
    assert!(
        ps.iter().any(|(s, m, _)| s == "error" && m.contains("0xE9")),
        "{ps:#?}"
    );

    // A shapefile's DBF is decoded as its .cpg says (without one: UTF-8 if valid, else
    // Windows-1252). A copy of the bundled sectors whose .cpg says UTF-8 but whose first
    // record holds a Latin-1 byte is refused, naming the .dbf, the record and the field.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/bogota");
    for ext in ["shp", "shx", "dbf", "prj"] {
        std::fs::copy(
            src.join(format!("sectores_censales.{ext}")),
            dir.join(format!("s.{ext}")),
        )
        .unwrap();
    }
    std::fs::write(dir.join("s.cpg"), "UTF-8").unwrap();
    let before = snapshot(&dir);
    let mut dbf = std::fs::read(dir.join("s.dbf")).unwrap();
    // Put one Latin-1 byte into the text of the first record (after the header).
    let header = u16::from_le_bytes([dbf[8], dbf[9]]) as usize;
    dbf[header + 3] = 0xE9;
    std::fs::write(dir.join("s.dbf"), &dbf).unwrap();
    let before_dbf = snapshot(&dir);
    assert_ne!(before, before_dbf);
    let o = careblock([
        "interpolate".as_ref(),
        "--source".as_ref(),
        dir.join("s.shp").as_os_str(),
        "--source-id".as_ref(),
        "SETU_CCNCT".as_ref(),
        "--target".as_ref(),
        src.join("upz.geojson").as_os_str(),
        "--extensive".as_ref(),
        "STP27_PERS".as_ref(),
        "--out".as_ref(),
        dir.join("out/x.csv").as_os_str(),
    ] as [&OsStr; 11]);
    assert_error(
        &o,
        &dir,
        &before_dbf,
        &["s.dbf", "not valid UTF-8", "record 0", "MPIO_CCDGO", ".cpg"],
    );
}

#[test]
fn paths_with_spaces_and_accents_work() {
    let dir = case_dir("datos de Bogotá – año 2018");
    let o = run_in(&dir, &collection(&unit_features()), &two_districts(), &method(""));
    assert_warning(&o, &[]);
    assert_eq!(csv_ids(&dir.join("out/units.csv")), ["u1", "u2", "u3", "u4"]);
    let o = interpolate(&dir, &collection(&unit_features()), &one_district(), &[]);
    assert_warning(&o, &[]);
    assert_eq!(balance(&dir).0, 1000.0);
}

// ---------------------------------------------------------------- outputs

#[test]
fn an_output_that_cannot_be_written_fails_cleanly() {
    let dir = case_dir("unwritable");
    std::fs::write(dir.join("units.geojson"), collection(&unit_features())).unwrap();
    std::fs::write(dir.join("districts.geojson"), two_districts()).unwrap();
    std::fs::write(dir.join("method.toml"), method("")).unwrap();
    // Tests run as root, so permissions do not stop a write: the output "directory" is an
    // existing regular file, or lies under /proc.
    std::fs::write(dir.join("taken"), "not a directory").unwrap();
    let before = snapshot(&dir);
    let o = careblock([
        "run".as_ref(),
        dir.join("method.toml").as_os_str(),
        "--out".as_ref(),
        dir.join("taken").as_os_str(),
    ]);
    assert_error(&o, &dir, &before, &["taken"]);
    let o = careblock([
        "run".as_ref(),
        dir.join("method.toml").as_os_str(),
        "--out".as_ref(),
        "/proc/careblock-out".as_ref(),
    ]);
    assert_error(&o, &dir, &before, &["/proc/careblock-out"]);
    for out in [
        dir.join("taken/out.csv"),
        PathBuf::from("/proc/careblock/out.csv"),
    ] {
        let o = careblock([
            "interpolate".as_ref(),
            "--source".as_ref(),
            dir.join("units.geojson").as_os_str(),
            "--source-id".as_ref(),
            "code".as_ref(),
            "--target".as_ref(),
            dir.join("districts.geojson").as_os_str(),
            "--extensive".as_ref(),
            "pop".as_ref(),
            "--crs".as_ref(),
            "9377".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ] as [&OsStr; 13]);
        assert_error(&o, &dir, &before, &[&out.parent().unwrap().display().to_string()]);
    }
}

#[test]
fn older_outputs_are_replaced_whole_or_left_intact() {
    let dir = case_dir("older_outputs");
    let units = collection(&unit_features());
    // A first run with 4 units.
    let o = run_in(&dir, &units, &two_districts(), &method(""));
    assert_warning(&o, &[]);
    // A second run with 3 units replaces every output.
    let three = collection(&unit_features()[..3]);
    let o = run_in(&dir, &three, &two_districts(), &method(""));
    assert_warning(&o, &[]);
    assert_eq!(csv_ids(&dir.join("out/units.csv")), ["u1", "u2", "u3"]);
    let gj = read_json(&dir.join("out/units.geojson"));
    assert_eq!(gj["features"].as_array().unwrap().len(), 3);
    // A failing run leaves the previous outputs byte for byte, and no temporary file.
    std::fs::write(
        dir.join("units.geojson"),
        collection(&with_props(0, r#""pop":-1,"women":0"#)),
    )
    .unwrap();
    let before = snapshot(&dir);
    let o = careblock([
        "run".as_ref(),
        dir.join("method.toml").as_os_str(),
        "--out".as_ref(),
        dir.join("out").as_os_str(),
    ]);
    assert_error(&o, &dir, &before, &["u1", "-1"]);

    // interpolate over an existing output file: replaced whole.
    let o = interpolate(&dir, &units, &one_district(), &[]);
    assert_warning(&o, &[]);
    std::fs::write(dir.join("out/out.csv"), "stale").unwrap();
    let o = interpolate(&dir, &units, &one_district(), &[]);
    assert_warning(&o, &[]);
    assert_eq!(csv_ids(&dir.join("out/out.csv")), ["D1"]);
    let names: Vec<String> = std::fs::read_dir(dir.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with('.') && !n.contains("tmp")),
        "{names:?}"
    );
}

// ---------------------------------------------------------------- validate over the same cases

/// `careblock validate` lists each bad input without stopping: (case, units, districts,
/// severity, a needle of the message, the ids it must name (empty: the message names it)).
#[test]
fn validate_names_every_bad_input() {
    let good = collection(&unit_features());
    let bowtie = polygon("[[[-74.09,4.61],[-74.08,4.62],[-74.08,4.61],[-74.09,4.62],[-74.09,4.61]]]");
    let huge = polygon("[[[-74.09,4.61],[-1e308,4.61],[-74.08,4.62],[-74.09,4.62],[-74.09,4.61]]]");
    let nan = polygon("[[[-74.09,4.61],[NaN,4.61],[-74.08,4.62],[-74.09,4.62],[-74.09,4.61]]]");
    let short = polygon("[[[-74.09,4.61],[-74.08,4.62],[-74.09,4.61]]]");
    let mut dup = unit_features();
    dup[3] = dup[3].replace("\"u4\"", "\"u2\"");
    // The west district, stopping short of the east column (a shared edge would leave a
    // projection sliver: "partly outside, 0.0 % inside").
    let west = collection(&[format!(
        r#"{{"type":"Feature","properties":{{"d":"W"}},"geometry":{}}}"#,
        polygon("[[[-74.105,4.595],[-74.0905,4.595],[-74.0905,4.625],[-74.105,4.625],[-74.105,4.595]]]")
    )]);
    type Case<'a> = (&'a str, String, String, &'a str, &'a str, Vec<&'a str>);
    let cases: Vec<Case> = vec![
        (
            "truncated",
            good[..good.len() / 2].to_string(),
            two_districts(),
            "error",
            "truncated",
            vec![],
        ),
        (
            "bare_geometry",
            polygon(&square(-74.1, 4.6, 0.02)),
            two_districts(),
            "error",
            "FeatureCollection",
            vec![],
        ),
        (
            "nan",
            collection(&with_geometry(3, &nan)),
            two_districts(),
            "error",
            "NaN",
            vec![],
        ),
        (
            "huge",
            collection(&with_geometry(3, &huge)),
            two_districts(),
            "error",
            "\"u4\"",
            vec![],
        ),
        (
            "bowtie",
            collection(&with_geometry(3, &bowtie)),
            two_districts(),
            "error",
            "--fix-invalid to repair them",
            vec!["u4"],
        ),
        (
            "short_ring",
            collection(&with_geometry(3, &short)),
            two_districts(),
            "error",
            "\"u4\"",
            vec![],
        ),
        (
            "duplicate_id",
            collection(&dup),
            two_districts(),
            "error",
            "\"u2\"",
            vec![],
        ),
        (
            "point",
            collection(&with_geometry(
                1,
                r#"{"type":"Point","coordinates":[-74.085,4.605]}"#,
            )),
            two_districts(),
            "error",
            "Point",
            vec![],
        ),
        (
            "non_numeric",
            collection(&with_props(2, r#""pop":"trescientos","women":150"#)),
            two_districts(),
            "error",
            "trescientos",
            vec![],
        ),
        (
            "negative",
            collection(&with_props(2, r#""pop":-300,"women":150"#)),
            two_districts(),
            "error",
            "expected a finite count >= 0, found -300",
            vec!["u3 (-300)"],
        ),
        (
            "masked",
            collection(&with_props(2, r#""pop":"*","women":"*""#)),
            two_districts(),
            "warning",
            "masked",
            vec!["u3"],
        ),
        (
            "null_geometry",
            collection(&with_geometry(2, "null")),
            two_districts(),
            "warning",
            "no geometry",
            vec!["u3"],
        ),
        (
            "zero_population",
            collection(&with_props(0, r#""pop":0,"women":0"#)),
            two_districts(),
            "warning",
            "population 0",
            vec!["u1"],
        ),
        (
            "uncovered",
            good.clone(),
            west,
            "warning",
            "wholly outside",
            vec!["u2", "u4"],
        ),
    ];
    for (name, units, districts, severity, needle, ids) in cases {
        let dir = case_dir(&format!("validate_{name}"));
        std::fs::write(dir.join("units.geojson"), &units).unwrap();
        std::fs::write(dir.join("districts.geojson"), &districts).unwrap();
        std::fs::write(dir.join("method.toml"), method("")).unwrap();
        let (code, ps) = validate(&dir);
        let expected = if severity == "error" { 2 } else { 0 };
        assert_eq!(code, Some(expected), "{name}: {ps:#?}");
        let (_, message, listed) = problem(&ps, severity, needle);
        if !ids.is_empty() {
            assert_eq!(listed, &ids, "{name}: {message}");
        }
    }
}

#[test]
fn malformed_tables_fail_in_one_line() {
    let units = collection(&unit_features());
    for (name, table, needles) in [
        (
            "ragged",
            "code,elderly\nu1,7,9,9\nu2,3\n",
            &["t.csv", "line 2 has 4 fields but the header has 2"][..],
        ),
        (
            "ragged_quoted",
            "code,elderly\nu1,\"7,5\"\nu2,3,x\n",
            &["t.csv", "line 3 has 3 fields but the header has 2"],
        ),
        // A decimal comma, quoted: read as text, refused when the column is used as a count.
        (
            "decimal_comma",
            "code,elderly\nu1,\"7,5\"\nu2,3\n",
            &["\"u1\"", "elderly", "\"7,5\""],
        ),
        ("unterminated_quote", "code,elderly\nu1,\"7\nu2,3\n", &["t.csv"]),
        ("header_only", "code,elderly\n", &["t.csv", "no rows"]),
        (
            "no_key_column",
            "id,elderly\nu1,7\n",
            &["t.csv", "no column \"code\"", "id, elderly"],
        ),
        (
            "duplicate_key",
            "code,elderly\nu1,7\nu1,3\n",
            &["t.csv", "\"u1\"", "rows 1 and 2"],
        ),
        (
            "empty_key",
            "code,elderly\n,7\nu2,3\n",
            &["t.csv", "row 1", "\"code\""],
        ),
        (
            "text_in_numbers",
            "code,elderly\nu1,7\nu2,tres\n",
            &["\"u2\"", "elderly", "tres"],
        ),
    ] {
        let dir = case_dir(&format!("table_{name}"));
        std::fs::write(dir.join("units.geojson"), &units).unwrap();
        std::fs::write(dir.join("districts.geojson"), one_district()).unwrap();
        std::fs::write(dir.join("t.csv"), table).unwrap();
        let t = dir.join("t.csv");
        let before = snapshot(&dir);
        let o = interpolate_files(
            &dir,
            &dir.join("units.geojson"),
            &dir.join("districts.geojson"),
            &[
                "--source-table",
                t.to_str().unwrap(),
                "--table-key",
                "code",
                "--extensive",
                "pop,elderly",
            ],
        );
        assert_error(&o, &dir, &before, needles);
    }
}

#[test]
fn degrees_in_a_projected_file_and_unknown_crss_are_refused() {
    let with_crs = |code: &str| {
        collection(&unit_features()).replacen(
            "{\"type\":\"FeatureCollection\",",
            &format!(
                "{{\"type\":\"FeatureCollection\",\"crs\":{{\"type\":\"name\",\"properties\":{{\"name\":\"urn:ogc:def:crs:EPSG::{code}\"}}}},"
            ),
            1,
        )
    };
    interpolate_error(
        "degrees_as_metres",
        &with_crs("9377"),
        &one_district(),
        &[],
        &["units.geojson", "u1", "9377"],
    );
    interpolate_error(
        "web_mercator",
        &with_crs("3857"),
        &one_district(),
        &[],
        &["units.geojson", "3857"],
    );
}

/// The bundled sector shapefile copied into `dir` as `s.*` (without the listed sidecars).
fn copy_sectors(dir: &Path, skip: &[&str]) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/bogota");
    for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
        if !skip.contains(&ext) {
            std::fs::copy(
                src.join(format!("sectores_censales.{ext}")),
                dir.join(format!("s.{ext}")),
            )
            .unwrap();
        }
    }
    dir.join("s.shp")
}

fn interpolate_sectors(dir: &Path, shp: &Path) -> Output {
    let upz = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/bogota/upz.geojson");
    careblock([
        "interpolate".as_ref(),
        "--source".as_ref(),
        shp.as_os_str(),
        "--source-id".as_ref(),
        "SETU_CCNCT".as_ref(),
        "--target".as_ref(),
        upz.as_os_str(),
        "--target-id".as_ref(),
        "UPlCodigo".as_ref(),
        "--extensive".as_ref(),
        "STP27_PERS".as_ref(),
        "--out".as_ref(),
        dir.join("out/x.csv").as_os_str(),
        "--report".as_ref(),
        dir.join("out/report.json").as_os_str(),
    ] as [&OsStr; 15])
}

#[test]
fn shapefile_sidecars_missing_or_in_latin1() {
    // Without .dbf: refused; without .prj (and no CRS given): refused, naming the file. (The
    // .shx index is not needed: the shapes are read in sequence.)
    for (name, skip, needle) in [("no_dbf", "dbf", ".dbf"), ("no_prj", "prj", "add the .prj")] {
        let dir = case_dir(&format!("shp_{name}"));
        let shp = copy_sectors(&dir, &[skip]);
        let before = snapshot(&dir);
        let o = interpolate_sectors(&dir, &shp);
        assert_error(&o, &dir, &before, &[needle]);
    }
    let dir = case_dir("shp_no_shx");
    let shp = copy_sectors(&dir, &["shx"]);
    assert_warning(&interpolate_sectors(&dir, &shp), &[]);
    assert!(
        read_json(&dir.join("out/report.json"))["variables"][0]["source_total"]
            .as_f64()
            .unwrap()
            > 7_000_000.0
    );

    // A DBF in Latin-1 with a .cpg saying so: decoded, every record kept, counts balance.
    let dir = case_dir("shp_latin1_cpg");
    let shp = copy_sectors(&dir, &[]);
    let mut dbf = std::fs::read(dir.join("s.dbf")).unwrap();
    let header = u16::from_le_bytes([dbf[8], dbf[9]]) as usize;
    dbf[header + 3] = 0xE9;
    std::fs::write(dir.join("s.dbf"), &dbf).unwrap();
    std::fs::write(dir.join("s.cpg"), "ISO-8859-1").unwrap();
    let o = interpolate_sectors(&dir, &shp);
    assert_warning(&o, &[]);
    let r = read_json(&dir.join("out/report.json"));
    let v = &r["variables"][0];
    let (total, allocated, unallocated) = (
        v["source_total"].as_f64().unwrap(),
        v["allocated"].as_f64().unwrap(),
        v["unallocated"].as_f64().unwrap(),
    );
    assert!(total > 7_000_000.0, "{total}");
    assert!((allocated + unallocated - total).abs() <= 1e-9 * total);
}
