//! The QGIS outputs of `careblock run examples/bogota.toml`: GDAL (ogrinfo, from Debian's
//! gdal-bin) reads every GeoJSON and the GeoPackage without a warning, the GeoPackage holds
//! every layer with its features in the working CRS and one default style per layer, and every
//! `.qml` is a QGIS style whose renderer uses a column of its layer (for units and districts,
//! one range per class with the run's class bins, reproducing the `class` column).
//!
//! Without ogrinfo the GDAL checks print a line and pass, unless CI is set (then they fail).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::common::{have_ogrinfo, ogrinfo};

const LAYERS: [&str; 5] = ["units", "districts", "sites", "catchments", "uncovered"];

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)
}

/// Runs the Bogotá preset into a fresh directory with `threads` threads.
fn run_bogota(tag: &str, threads: usize) -> PathBuf {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("qgis_outputs")
        .join(tag);
    let _ = std::fs::remove_dir_all(&out);
    let o = Command::new(env!("CARGO_BIN_EXE_careblock"))
        .args(["--quiet", "--threads", &threads.to_string(), "run"])
        .arg(example("bogota.toml"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

/// The outputs of one run, shared by the tests of this file.
fn outputs() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| run_bogota("bogota", 2))
}

fn geojson(name: &str) -> Value {
    let text = std::fs::read_to_string(outputs().join(format!("{name}.geojson"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn features(name: &str) -> Vec<Value> {
    geojson(name)["features"].as_array().unwrap().clone()
}

fn run_json() -> Value {
    serde_json::from_str(&std::fs::read_to_string(outputs().join("run.json")).unwrap()).unwrap()
}

/// Splits `ogrinfo -al -so` output into layer name → its section.
fn sections(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("Layer name: ") {
            if let Some((n, s)) = current.take() {
                out.insert(n, s);
            }
            current = Some((name.trim().to_string(), String::new()));
        } else if let Some((_, s)) = current.as_mut() {
            s.push_str(line);
            s.push('\n');
        }
    }
    if let Some((n, s)) = current {
        out.insert(n, s);
    }
    out
}

fn feature_count(section: &str) -> usize {
    section
        .lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn ogrinfo_reads_every_output_and_the_gpkg_has_every_layer_in_the_working_crs() {
    let out = outputs();
    if !have_ogrinfo() {
        return;
    }
    let mut counts = BTreeMap::new();
    for name in LAYERS {
        let file = out.join(format!("{name}.geojson"));
        let s = sections(&ogrinfo(&["-ro", "-al", "-so"], &file));
        assert_eq!(s.len(), 1, "{name}.geojson: {s:?}");
        let n = feature_count(s.values().next().unwrap());
        assert_eq!(n, features(name).len(), "{name}.geojson");
        assert!(n > 0, "{name}.geojson is empty");
        counts.insert(name, n);
    }
    let gpkg = out.join("careblock.gpkg");
    let text = ogrinfo(&["-ro", "-al", "-so"], &gpkg);
    let s = sections(&text);
    assert_eq!(run_json()["crs"], "EPSG:9377");
    for name in LAYERS {
        let section = s
            .get(name)
            .unwrap_or_else(|| panic!("no layer {name} in the gpkg: {text}"));
        assert_eq!(feature_count(section), counts[name], "gpkg layer {name}");
        // The outermost ID of the layer's CRS (WKT2, 4-space indent) is the working CRS.
        assert!(
            section.contains("\n    ID[\"EPSG\",9377]]\n"),
            "{name}: {section}"
        );
        assert!(section.contains("Geometry Column = geom"), "{name}: {section}");
    }
    assert!(s["sites"].contains("Geometry: Point"));
    assert!(s["units"].contains("Geometry: Multi Polygon"));
    // Typed columns: integers, reals, booleans and strings.
    assert!(s["units"].contains("rank: Integer64"), "{}", s["units"]);
    assert!(s["units"].contains("index: Real"));
    assert!(s["units"].contains("ranked: Integer(Boolean)"));
    assert!(s["sites"].contains("status: String"));
    // The only other table listed is the styles table.
    let extra: Vec<&String> = s.keys().filter(|k| !LAYERS.contains(&k.as_str())).collect();
    assert_eq!(extra, ["layer_styles"]);

    // One default style per layer.
    let styles = ogrinfo(
        &[
            "-ro",
            "-sql",
            "SELECT f_table_name, useAsDefault FROM layer_styles",
        ],
        &gpkg,
    );
    let mut tables: Vec<&str> = styles
        .lines()
        .filter_map(|l| l.trim().strip_prefix("f_table_name (String) = "))
        .collect();
    tables.sort_unstable();
    let mut expect = LAYERS.to_vec();
    expect.sort_unstable();
    assert_eq!(tables, expect, "{styles}");
    let defaults = styles
        .lines()
        .filter(|l| l.trim().starts_with("useAsDefault (Integer(Boolean)) = 1"))
        .count();
    assert_eq!(defaults, LAYERS.len(), "{styles}");
}

#[test]
fn gpkg_features_match_the_geojson_and_styles_match_the_qml_files() {
    let out = outputs();
    let conn = rusqlite::Connection::open_with_flags(
        out.join("careblock.gpkg"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    for name in LAYERS {
        let qml = std::fs::read_to_string(out.join(format!("{name}.qml"))).unwrap();
        let (stored, default): (String, bool) = conn
            .query_row(
                "SELECT styleQML, useAsDefault FROM layer_styles WHERE f_table_name = ?1 AND f_geometry_column = 'geom'",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(stored, qml, "{name}: the embedded style differs from {name}.qml");
        assert!(default);
        // The same ids, in the same order, and the same values of a few columns.
        let feats = features(name);
        let mut stmt = conn
            .prepare(&format!(
                "SELECT fid, id, geom IS NULL FROM \"{name}\" ORDER BY fid"
            ))
            .unwrap();
        let rows: Vec<(i64, String, bool)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows.len(), feats.len(), "{name}");
        for (i, (fid, id, null_geom)) in rows.iter().enumerate() {
            assert_eq!(*fid, i as i64 + 1);
            assert_eq!(Some(id.as_str()), feats[i]["id"].as_str(), "{name} feature {i}");
            assert_eq!(*null_geom, feats[i]["geometry"].is_null(), "{name} feature {i}");
        }
    }
    // Units: the index and class columns equal the GeoJSON's (NULL where null).
    let feats = features("units");
    let mut stmt = conn
        .prepare("SELECT \"index\", class FROM units ORDER BY fid")
        .unwrap();
    let rows: Vec<(Option<f64>, Option<i64>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (f, (index, class)) in feats.iter().zip(&rows) {
        // serde_json's default float parser may be off by an ulp: compare to 1e-14.
        match (f["properties"]["index"].as_f64(), index) {
            (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-14 * b.abs().max(1.0), "{a} vs {b}"),
            (a, b) => assert_eq!(a, *b),
        }
        assert_eq!(f["properties"]["class"].as_i64(), *class);
    }
    assert!(
        rows.iter().any(|r| r.0.is_none()),
        "the preset has unranked units"
    );
}

/// The class bins of a level in run.json, parsed exactly from the text (serde_json's default
/// float parser may be off by an ulp, and the bounds must be equal, not close).
fn exact_bins(level: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(outputs().join("run.json")).unwrap();
    let start = text.find(&format!("\"{level}\": {{")).unwrap();
    let key = "\"class_bins\": [";
    let open = start + text[start..].find(key).unwrap() + key.len();
    let close = open + text[open..].find(']').unwrap();
    let bins: Vec<f64> = text[open..close]
        .split(',')
        .map(|t| t.trim().parse().unwrap())
        .collect();
    let approx: Vec<f64> = run_json()[level]["class_bins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_f64().unwrap())
        .collect();
    assert_eq!(bins.len(), approx.len());
    assert!(
        bins.iter()
            .zip(&approx)
            .all(|(a, b)| (a - b).abs() <= 1e-12 * a.abs().max(1.0))
    );
    bins
}

/// (index, class) of every feature of a level, from the GeoPackage (exact f64).
fn index_and_class(level: &str) -> Vec<(Option<f64>, Option<i64>)> {
    let conn = rusqlite::Connection::open_with_flags(
        outputs().join("careblock.gpkg"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = conn
        .prepare(&format!("SELECT \"index\", class FROM \"{level}\" ORDER BY fid"))
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The column a renderer's `attr` names: a column, or `coalesce("column", value)`.
fn attr_column(attr: &str) -> String {
    match attr.strip_prefix("coalesce(\"") {
        Some(rest) => rest.split('"').next().unwrap().to_string(),
        None => attr.to_string(),
    }
}

#[test]
fn qml_styles_are_qgis_documents_on_columns_of_their_layers() {
    let out = outputs();
    let report = run_json();
    for name in LAYERS {
        let text = std::fs::read_to_string(out.join(format!("{name}.qml"))).unwrap();
        let doc = roxmltree::Document::parse_with_options(
            &text,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{name}.qml: {e}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "qgis", "{name}.qml");
        assert!(root.attribute("version").unwrap().starts_with("3."));
        let renderer = root
            .children()
            .find(|n| n.has_tag_name("renderer-v2"))
            .unwrap_or_else(|| panic!("{name}.qml has no renderer-v2"));
        let column = attr_column(renderer.attribute("attr").unwrap());
        let feats = features(name);
        let props = feats[0]["properties"].as_object().unwrap();
        assert!(
            props.contains_key(&column),
            "{name}.qml: {column:?} is not a column"
        );
        let symbols = renderer
            .children()
            .find(|n| n.has_tag_name("symbols"))
            .unwrap()
            .children()
            .filter(|n| n.has_tag_name("symbol"))
            .count();
        let geometry_type = root
            .children()
            .find(|n| n.has_tag_name("layerGeometryType"))
            .and_then(|n| n.text())
            .unwrap();
        assert_eq!(geometry_type, if name == "sites" { "0" } else { "2" }, "{name}");
        match renderer.attribute("type").unwrap() {
            "graduatedSymbol" => {
                assert!(name == "units" || name == "districts", "{name}");
                assert_eq!(column, "index");
                let bins = exact_bins(name);
                let ranges: Vec<(f64, f64)> = renderer
                    .descendants()
                    .filter(|n| n.has_tag_name("range"))
                    .map(|r| {
                        let v = |k| r.attribute(k).unwrap().parse::<f64>().unwrap();
                        (v("lower"), v("upper"))
                    })
                    .collect();
                assert_eq!(symbols, ranges.len());
                // The first range catches the unranked rows (coalesce's value); then one per class.
                let (unranked, classes) = ranges.split_first().unwrap();
                assert_eq!(classes.len(), bins.len(), "{name}: one range per class");
                let uppers: Vec<f64> = classes.iter().map(|r| r.1).collect();
                assert_eq!(uppers, bins, "{name}: range upper bounds are the class bins");
                for w in classes.windows(2) {
                    assert_eq!(w[1].0, w[0].1, "{name}: contiguous ranges");
                }
                assert!(unranked.1 < classes[0].0);
                // QGIS draws a feature with the first range where lower <= value <= upper:
                // that must be the feature's class, and the grey range where it has none.
                let rows = index_and_class(name);
                assert_eq!(rows.len(), feats.len());
                for (i, (index, class)) in rows.iter().enumerate() {
                    let value = index.unwrap_or(unranked.0);
                    let hit = ranges.iter().position(|r| r.0 <= value && value <= r.1);
                    let class = class.map_or(0, |c| c as usize);
                    assert_eq!(hit, Some(class), "{name} feature {}", feats[i]["id"]);
                }
            }
            "categorizedSymbol" => {
                let values: Vec<&str> = renderer
                    .descendants()
                    .filter(|n| n.has_tag_name("category"))
                    .map(|c| c.attribute("value").unwrap())
                    .collect();
                assert_eq!(symbols, values.len());
                for f in &feats {
                    let v = f["properties"][&column].as_str().unwrap();
                    assert!(values.contains(&v), "{name}: {column} = {v:?} has no category");
                }
                let expect_column = if name == "uncovered" { "tier" } else { "status" };
                assert_eq!(column, expect_column, "{name}");
            }
            other => panic!("{name}.qml: unexpected renderer {other}"),
        }
    }
    // Proposed sites are sized by rank, larger for rank 1.
    let sites = std::fs::read_to_string(out.join("sites.qml")).unwrap();
    let max_rank = report["siting"]["proposed"].as_u64().unwrap();
    assert!(
        sites.contains(&format!("scale_linear(&quot;rank&quot;, 1, {max_rank}, 5, 2.5)")),
        "{sites}"
    );
}

#[test]
fn gpkg_and_styles_do_not_depend_on_the_thread_count_and_pass_gdal_validation() {
    let two = outputs();
    let one = run_bogota("bogota_one_thread", 1);
    for f in ["careblock.gpkg", "units.qml", "districts.qml", "sites.qml"] {
        let a = std::fs::read(two.join(f)).unwrap();
        let b = std::fs::read(one.join(f)).unwrap();
        assert!(!a.is_empty());
        assert!(a == b, "{f} differs between 1 and 2 threads");
    }
    // No temporary file is left behind.
    for e in std::fs::read_dir(&one).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!n.ends_with(".tmp") && !n.starts_with('.'), "left behind: {n}");
    }
    // GDAL's GeoPackage validator (python3-gdal), when installed: exit 0, nothing printed.
    let validator = Path::new("/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py");
    if !validator.exists() {
        println!("{} not found: skipping the validator", validator.display());
        return;
    }
    let o = Command::new("/usr/bin/python3")
        .arg(validator)
        .arg(one.join("careblock.gpkg"))
        .output()
        .unwrap();
    assert!(
        o.status.success() && o.stdout.is_empty() && o.stderr.is_empty(),
        "validate_gpkg.py: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Runs the Bogotá preset with extra arguments, or with `method` (a copy of the preset whose
/// paths point at the bundled data) instead.
fn run_with(tag: &str, method: Option<&Path>, extra: &[&str]) -> (PathBuf, String) {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("qgis_outputs")
        .join(tag);
    let _ = std::fs::remove_dir_all(&out);
    let default = example("bogota.toml");
    let o = Command::new(env!("CARGO_BIN_EXE_careblock"))
        .arg("run")
        .arg(method.unwrap_or(&default))
        .arg("--out")
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    (out, stdout)
}

/// `outputs` of run.json: layer → (files, reason).
fn written(out: &Path) -> BTreeMap<String, (Vec<String>, String)> {
    let run: Value = serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    run["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let files = o["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_string())
                .collect();
            (
                o["layer"].as_str().unwrap().to_string(),
                (files, o["reason"].as_str().unwrap().to_string()),
            )
        })
        .collect()
}

/// Every layer as FlatGeobuf and GeoParquet (`--format`): the files GDAL opens (FlatGeobuf)
/// and careblock reads back hold the GeoJSON's features and values, with a style beside each;
/// no GeoPackage is written when no layer asks for one; run.json says what went where.
#[test]
fn format_writes_every_layer_as_flatgeobuf_and_geoparquet_readable_back() {
    use careblock_io::{ReadOptions, read_layer};
    let (out, stdout) = run_with("formats", None, &["--format", "geojson,fgb,parquet"]);
    assert!(
        !out.join("careblock.gpkg").exists(),
        "no layer asked for the GeoPackage"
    );
    assert!(
        stdout.contains("units: units.geojson, units.fgb, units.parquet (--format)"),
        "{stdout}"
    );
    let w = written(&out);
    let gdal = have_ogrinfo();
    for layer in LAYERS {
        assert_eq!(
            w[layer].0,
            [
                format!("{layer}.geojson"),
                format!("{layer}.fgb"),
                format!("{layer}.parquet")
            ]
        );
        assert!(out.join(format!("{layer}.qml")).is_file(), "{layer}.qml");
        let opts = ReadOptions {
            id_field: Some("id".into()),
            ..ReadOptions::default()
        };
        if layer == "sites" || layer == "catchments" {
            // An existing block and a proposed site may share an id: the rows of these layers
            // are counted here, their values compared through the other layers.
            let text = std::fs::read_to_string(out.join(format!("{layer}.geojson"))).unwrap();
            let n = serde_json::from_str::<Value>(&text).unwrap()["features"]
                .as_array()
                .unwrap()
                .len();
            for ext in ["fgb", "parquet"] {
                let path = out.join(format!("{layer}.{ext}"));
                let (got, _) = read_layer(&path, &ReadOptions::default()).unwrap();
                assert_eq!(got.len(), n, "{layer}.{ext}");
            }
            continue;
        }
        let (gj, _) = read_layer(&out.join(format!("{layer}.geojson")), &ReadOptions::default()).unwrap();
        let by_id = |l: &careblock_core::Layer| -> BTreeMap<String, usize> {
            l.ids.iter().enumerate().map(|(i, id)| (id.clone(), i)).collect()
        };
        let want = by_id(&gj);
        for ext in ["fgb", "parquet"] {
            let path = out.join(format!("{layer}.{ext}"));
            let (got, _) = read_layer(&path, &opts).unwrap();
            let have = by_id(&got);
            assert_eq!(
                have.keys().collect::<Vec<_>>(),
                want.keys().collect::<Vec<_>>(),
                "{layer}.{ext}: ids"
            );
            assert_eq!(got.crs.epsg(), 4326, "{layer}.{ext}: lon/lat");
            for col in gj.attributes.get_column_names() {
                let (a, b) = (
                    gj.attributes.column(col).unwrap(),
                    got.attributes.column(col).unwrap(),
                );
                for (id, &i) in &want {
                    let (x, y) = (
                        a.get(i).unwrap().to_string(),
                        b.get(have[id]).unwrap().to_string(),
                    );
                    assert_eq!(x, y, "{layer}.{ext}: {col} of {id}");
                }
            }
            if gdal && ext == "fgb" {
                let info = ogrinfo(&["-ro", "-so", "-al"], &path);
                assert!(
                    info.contains(&format!("Feature Count: {}", gj.len())),
                    "{layer}.fgb: {info}"
                );
            }
        }
    }
}

/// "auto" above `large` units: the unit-level layers (units, uncovered) go to FlatGeobuf and
/// GeoParquet, the planner's layers to GeoJSON and the GeoPackage, and the terminal and
/// run.json say why.
#[test]
fn auto_moves_the_unit_level_layers_of_a_large_run_out_of_the_geopackage() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("qgis_outputs/large_method");
    std::fs::create_dir_all(&dir).unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let text = std::fs::read_to_string(example("bogota.toml"))
        .unwrap()
        .replace("\"../data/", &format!("\"{}/", data.display()));
    let method = dir.join("bogota_large.toml");
    std::fs::write(&method, format!("{text}\n[output]\nlarge = 100\n")).unwrap();
    let (out, stdout) = run_with("large", Some(&method), &[]);
    let w = written(&out);
    assert_eq!(w["units"].0, ["units.fgb", "units.parquet"]);
    assert_eq!(w["uncovered"].0, ["uncovered.fgb", "uncovered.parquet"]);
    assert_eq!(w["sites"].0, ["sites.geojson", "sites.csv", "careblock.gpkg"]);
    assert!(
        w["units"].1.contains("641 units > large = 100"),
        "{}",
        w["units"].1
    );
    assert!(stdout.contains("641 units > large = 100"), "{stdout}");
    assert!(!out.join("units.geojson").exists());
    assert!(!out.join("units.csv").exists());
    // `explain` reads the units' table from the GeoParquet then.
    let o = Command::new(env!("CARGO_BIN_EXE_careblock"))
        .args(["explain", out.to_str().unwrap(), "--unit", "110011000000001101"])
        .output()
        .unwrap();
    let explained = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        explained.contains("  rank ") && explained.contains("  population "),
        "{explained}"
    );
    if have_ogrinfo() {
        let info = ogrinfo(&["-ro", "-q"], &out.join("careblock.gpkg"));
        for layer in ["districts", "sites", "catchments"] {
            assert!(
                info.contains(&format!(": {layer} ")),
                "{layer} in the GeoPackage: {info}"
            );
        }
        assert!(!info.contains(": units "), "{info}");
    }
    // A bad list in the method is refused with its key, before anything is written.
    std::fs::write(
        &method,
        format!("{text}\n[output]\nformats = [\"geojson\", \"shp\"]\n"),
    )
    .unwrap();
    let bad = out.with_file_name("bad");
    let o = Command::new(env!("CARGO_BIN_EXE_careblock"))
        .arg("run")
        .arg(&method)
        .arg("--out")
        .arg(&bad)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("output.formats") && stderr.contains("\"shp\""),
        "{stderr}"
    );
    assert!(!bad.exists());
}
