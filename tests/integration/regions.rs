//! `careblock regions` and `careblock run --region` on the bundled Los Lagos data (Censo 2017
//! urban zones as units, the 30 comunas as districts, each comuna carrying its
//! `codigo_provincia`: Llanquihue 101, Chiloé 102, Osorno 103, Palena 104): each territory's
//! folder is byte for byte the folder of `run --region`; every unit is in one territory at
//! most and the units in no district are counted; a territory's index is its own; a comuna
//! with no zone is a failed row while the others run; a missing attribute, an unknown value,
//! a method without districts and a malformed `--region` stop with one line, exit 2, nothing
//! written.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use serde_json::Value;

use crate::common::outputs::{nums, table, texts};
use crate::common::{careblock, chile, fresh_dir, los_lagos_method};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Los Lagos with the comunas as districts and a siting on a hexagonal grid; `dir/method.toml`.
fn method_in(dir: &Path) -> PathBuf {
    let text = los_lagos_method(&format!(
        r#"[districts]
path = "{}"
id = "codigo_comuna"

[siting]
radius = 800
p = 3

[siting.grid]
spacing = 1000
"#,
        chile("comunas_r10.geojson")
    ));
    let path = dir.join("method.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `regions.csv`, its `value` column as text.
fn regions_csv(out: &Path) -> polars::prelude::DataFrame {
    careblock_io::read_table_with_key(&out.join("regions.csv"), "value").unwrap_or_else(|e| panic!("{e}"))
}

/// Every file of a folder (recursively) by its relative path.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

const VALUES: [&str; 4] = ["101", "102", "103", "104"];

/// The method and `careblock regions --by codigo_provincia` on it (units as GeoParquet and CSV).
fn provinces() -> &'static (PathBuf, PathBuf) {
    static RUN: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = fresh_dir("regions", "provinces");
        let method = method_in(&dir);
        let out = dir.join("out");
        let o = careblock([
            "regions",
            s(&method),
            "--by",
            "codigo_provincia",
            "--format",
            "units=geoparquet,csv",
            "--out",
            s(&out),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(stdout.contains("region 4/4: codigo_provincia=104"), "{stdout}");
        (method, out)
    })
}

#[test]
fn each_territory_is_byte_for_byte_a_run_of_that_region() {
    let (method, out) = provinces();
    let summary = regions_csv(out);
    assert_eq!(texts(&summary, "value"), VALUES);
    assert_eq!(texts(&summary, "status"), ["ok"; 4]);
    for v in VALUES {
        let dir = fresh_dir("regions", &format!("run_{v}"));
        let o = careblock([
            "--quiet",
            "run",
            s(method),
            "--region",
            &format!("codigo_provincia={v}"),
            "--format",
            "units=geoparquet,csv",
            "--out",
            s(&dir),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let mut single = files(&dir);
        assert!(single.remove("timings.json").is_some());
        let folder = files(&out.join(format!("codigo_provincia={v}")));
        assert_eq!(
            single.keys().collect::<Vec<_>>(),
            folder.keys().collect::<Vec<_>>()
        );
        for (name, bytes) in &single {
            assert!(bytes == &folder[name], "{v}: {name} differs from run --region");
        }
        assert!(folder.contains_key("units.parquet") && folder.contains_key("sites.csv"));
    }
}

#[test]
fn every_unit_is_in_one_territory_and_each_index_is_its_own() {
    let (_, out) = provinces();
    let summary = regions_csv(out);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("regions.json")).unwrap()).unwrap();
    assert_eq!(report["by"], "codigo_provincia");
    assert!(
        report["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["sha256"].as_str().unwrap().len() == 64)
    );
    let unassigned = report["units_in_no_district"].as_u64().unwrap() as usize;
    let mut seen = HashSet::new();
    let units_col = nums(&summary, "units");
    for (i, v) in VALUES.iter().enumerate() {
        let dir = out.join(format!("codigo_provincia={v}"));
        let units = table(&dir.join("units.csv"));
        let ids = texts(&units, "id");
        assert_eq!(ids.len(), units_col[i].unwrap() as usize);
        for id in &ids {
            assert!(seen.insert(id.clone()), "unit {id} is in two territories");
        }
        // The districts are the province's comunas (a comuna's code starts with its province's).
        let districts = table(&dir.join("districts.csv"));
        assert!(texts(&districts, "id").iter().all(|d| d.starts_with(v)), "{v}");
        // Ranked within the territory: ranks 1.. of its own units.
        let ranks: Vec<f64> = nums(&units, "rank").into_iter().flatten().collect();
        assert!(ranks.contains(&1.0), "{v}: no unit ranked first");
        assert!(ranks.iter().all(|&r| r as usize <= ids.len()));
        // The territory is named in the run's notes.
        let run: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
        let notes = run["notes"].to_string();
        assert!(
            notes.contains(&format!("region codigo_provincia = \\\"{v}\\\"")),
            "{notes}"
        );
    }
    // Every zone of the file is in one territory or counted as in no district.
    assert_eq!(seen.len() + unassigned, 205);
}

#[test]
fn a_territory_without_units_is_a_row_with_its_reason() {
    let dir = fresh_dir("regions", "empty");
    let method = method_in(&dir);
    let out = dir.join("out");
    // Two comunas of the file have no urban zone; 10103 is one of them.
    let o = careblock([
        "regions",
        s(&method),
        "--by",
        "codigo_comuna",
        "--only",
        "10103,10101",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = regions_csv(&out);
    assert_eq!(texts(&summary, "value"), ["10101", "10103"]);
    assert_eq!(texts(&summary, "status"), ["ok", "failed"]);
    let reason = texts(&summary, "reason")[1].clone();
    assert!(reason.contains("hold no unit"), "{reason}");
    assert!(out.join("codigo_comuna=10101/units.csv").is_file());
    assert!(!out.join("codigo_comuna=10103").exists());

    // The same territory alone is an error naming it, and writes nothing.
    let alone = dir.join("alone");
    let o = careblock([
        "run",
        s(&method),
        "--region",
        "codigo_comuna=10103",
        "--out",
        s(&alone),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("codigo_comuna=\"10103\"") && err.contains("hold no unit"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!alone.exists());
}

#[test]
fn bad_regions_stop_with_one_line_and_write_nothing() {
    let dir = fresh_dir("regions", "bad");
    let method = method_in(&dir);
    let no_districts = dir.join("no_districts.toml");
    std::fs::write(&no_districts, los_lagos_method("")).unwrap();
    let out = dir.join("out");
    let cases: [(Vec<&str>, &[&str]); 6] = [
        (
            vec!["regions", s(&method), "--by", "provincia"],
            &[
                "no attribute \"provincia\"",
                "codigo_comuna, codigo_provincia, codigo_region",
            ],
        ),
        (
            vec![
                "regions",
                s(&method),
                "--by",
                "codigo_provincia",
                "--only",
                "101,999",
            ],
            &["codigo_provincia = \"999\"", "\"101\", \"102\", \"103\", \"104\""],
        ),
        (
            vec!["run", s(&method), "--region", "provincia=101"],
            &["no attribute \"provincia\""],
        ),
        (
            vec!["run", s(&method), "--region", "codigo_provincia=105"],
            &["codigo_provincia = \"105\""],
        ),
        (
            vec!["run", s(&method), "--region", "codigo_provincia"],
            &["expected ATTRIBUTE=VALUE"],
        ),
        (
            vec!["regions", s(&no_districts), "--by", "codigo_provincia"],
            &["no [districts]"],
        ),
    ];
    for (args, wanted) in cases {
        let mut args = args;
        args.extend(["--out", s(&out)]);
        let o = careblock(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        for w in wanted {
            assert!(err.contains(w), "{args:?}: {err} lacks {w}");
        }
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
}

#[test]
fn the_terminal_speaks_spanish_and_the_tables_do_not_change() {
    let (method, out) = provinces();
    let dir = fresh_dir("regions", "es");
    let es = dir.join("out");
    let o = careblock([
        "regions",
        s(method),
        "--by",
        "codigo_provincia",
        "--only",
        "104",
        "--lang",
        "es",
        "--out",
        s(&es),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("región 1/1: codigo_provincia=104") && stdout.contains("manzana(s) nueva(s)"),
        "{stdout}"
    );
    let en = regions_csv(out);
    let es_table = regions_csv(&es);
    assert_eq!(texts(&es_table, "status"), [texts(&en, "status")[3].clone()]);
    assert_eq!(nums(&es_table, "covered_after"), [nums(&en, "covered_after")[3]]);
}
