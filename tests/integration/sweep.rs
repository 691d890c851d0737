//! `careblock sweep` on the Bogotá preset: each scenario's sites equal a `careblock run` of
//! that scenario's method, byte for byte, and its summary row equals that run's run.json; a
//! scenario that changes only `[siting]` reuses the index, one that changes a weight does not;
//! a scenario that cannot be sited is a row with its reason while the others run; bad sweep
//! files are refused with one line and nothing written; `sweep.html` is written beside
//! `sweep.csv`, offline, and opens in a browser without an error.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use serde_json::Value;

use crate::common::browser::dom_at;
use crate::common::outputs::{nums, texts};
use crate::common::{careblock, fresh_dir};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// The preset with absolute data paths and fewer draws (the sweep and the runs compared with it
/// use the same file), written into `dir`; `edit` changes its text.
fn method_in(dir: &Path, name: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let preset = std::fs::read_to_string(root().join("examples/bogota.toml")).unwrap();
    let data = format!("\"{}/", root().join("data").display());
    let text = edit(
        preset
            .replace("\"../data/", &data)
            .replace("draws = 1000", "draws = 100"),
    );
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const SWEEP: &str = r#"
[[scenario]]
name = "supply gap double"
"dimensions.supply_gap.weight" = 2

[[scenario]]
name = "no eligible site"
"siting.anchor.min_facilities" = 100000

[product]
"siting.p" = [5, 21]
"#;

/// The sweep's folder, and the folder of a plain run of the method with `siting.p = 5`.
fn sweep() -> &'static (PathBuf, PathBuf, PathBuf) {
    static SWEEP_RUN: OnceLock<(PathBuf, PathBuf, PathBuf)> = OnceLock::new();
    SWEEP_RUN.get_or_init(|| {
        let dir = fresh_dir("sweep", "bogota");
        let method = method_in(&dir, "method.toml", |t| t);
        std::fs::write(dir.join("sweep.toml"), SWEEP).unwrap();
        let out = dir.join("out");
        let o = careblock(["sweep", s(&method), s(&dir.join("sweep.toml")), "--out", s(&out)]);
        assert!(o.status.success(), "{}", stderr(&o));
        // The runs the scenarios must equal.
        let p5 = method_in(&dir, "p5.toml", |t| t.replacen("p = 21", "p = 5", 1));
        let weight = method_in(&dir, "weight.toml", |t| {
            let at = t.find("[dimensions.supply_gap]").unwrap();
            let w = at + t[at..].find("weight = 1").unwrap();
            let mut t = t;
            t.replace_range(w..w + "weight = 1".len(), "weight = 2");
            t
        });
        let (run_p5, run_weight) = (dir.join("run_p5"), dir.join("run_weight"));
        for (m, o) in [(&p5, &run_p5), (&weight, &run_weight)] {
            let r = careblock(["--quiet", "run", s(m), "--out", s(o)]);
            assert!(r.status.success(), "{}", stderr(&r));
        }
        (out, run_p5, run_weight)
    })
}

/// A table of the sweep (no `id` column).
fn table(path: &Path) -> polars::prelude::DataFrame {
    careblock_io::read_table(path).unwrap_or_else(|e| panic!("{e}"))
}

fn run_json(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap()
}

#[test]
fn each_scenario_equals_a_run_of_its_method() {
    let (out, run_p5, run_weight) = sweep();
    let summary = table(&out.join("sweep.csv"));
    assert_eq!(
        texts(&summary, "name"),
        [
            "supply gap double",
            "no eligible site",
            "siting.p=5",
            "siting.p=21"
        ]
    );
    assert_eq!(texts(&summary, "status"), ["ok", "failed", "ok", "ok"]);
    // Scenario 3 (p = 5) is the preset with p = 5; scenario 1 the preset with the weight.
    for (scenario, run) in [(3, run_p5), (1, run_weight)] {
        let a = std::fs::read(out.join(format!("scenarios/{scenario}/sites.csv"))).unwrap();
        let b = std::fs::read(run.join("sites.csv")).unwrap();
        assert!(a == b, "scenario {scenario}'s sites differ from its run");
        let r = run_json(run);
        let i = scenario - 1;
        let demand = nums(&summary, "demand")[i].unwrap();
        let after = nums(&summary, "covered_after")[i].unwrap() * demand;
        let bound = nums(&summary, "bound")[i].unwrap() * demand;
        let objective = r["objective"].as_f64().unwrap();
        assert!(
            (after - objective).abs() <= 1e-9 * objective,
            "{after} vs {objective}"
        );
        assert!((bound - r["bound"].as_f64().unwrap()).abs() <= 1e-9 * objective);
        assert_eq!(nums(&summary, "gap")[i], r["gap"].as_f64());
    }
    // Only [siting] keys reuse the index.
    assert_eq!(texts(&summary, "index_reused")[0], "false");
    assert_eq!(texts(&summary, "index_reused")[2], "true");
    // More blocks, more coverage; each block's gain is the coverage it adds over p.
    let after = nums(&summary, "covered_after");
    assert!(after[3].unwrap() > after[2].unwrap());
    let gain = nums(&summary, "gain_per_block");
    let before = nums(&summary, "covered_before");
    assert!((gain[2].unwrap() - (after[2].unwrap() - before[2].unwrap()) / 5.0).abs() < 1e-12);
    // Blocks per district add up to the blocks.
    let d = table(&out.join("sweep_districts.csv"));
    let scen = nums(&d, "scenario");
    let new = nums(&d, "new_blocks");
    let p21: f64 = scen
        .iter()
        .zip(&new)
        .filter(|(s, _)| **s == Some(4.0))
        .map(|(_, n)| n.unwrap())
        .sum();
    assert_eq!(p21, nums(&summary, "new_blocks")[3].unwrap());
}

#[test]
fn a_scenario_that_cannot_be_sited_is_a_row_with_its_reason() {
    let (out, _, _) = sweep();
    let summary = table(&out.join("sweep.csv"));
    let reason = texts(&summary, "reason");
    assert!(reason[1].contains("eligible"), "{:?}", reason[1]);
    assert!(nums(&summary, "covered_after")[1].is_none());
    assert!(!out.join("scenarios/2").exists());
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(json["scenarios"][1]["status"], "failed");
    assert_eq!(json["scenarios"][3]["overrides"]["siting.p"], 21);
    assert_eq!(
        json["keys"],
        serde_json::json!([
            "dimensions.supply_gap.weight",
            "siting.anchor.min_facilities",
            "siting.p"
        ])
    );
    assert!(
        json["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["role"] == "sweep")
    );
}

#[test]
fn bad_sweep_files_are_refused_before_anything_is_read() {
    let dir = fresh_dir("sweep", "bad");
    let method = method_in(&dir, "method.toml", |t| t);
    for (name, sweep, words) in [
        (
            "unknown_key",
            "[product]\n\"siting.pp\" = [1, 2]\n",
            vec!["siting.pp"],
        ),
        ("no_scenario", "# nothing\n", vec!["no scenario"]),
        ("empty_list", "[product]\n\"siting.p\" = []\n", vec!["siting.p"]),
        (
            "input_path",
            "[[scenario]]\n\"units.path\" = \"x.shp\"\n",
            vec!["units.path"],
        ),
        (
            "bad_value",
            "[[scenario]]\nname = \"zero\"\n\"siting.radius\" = -5\n",
            vec!["zero", "radius"],
        ),
    ] {
        let file = dir.join(format!("{name}.toml"));
        std::fs::write(&file, sweep).unwrap();
        let out = dir.join(format!("out_{name}"));
        let o = careblock(["sweep", s(&method), s(&file), "--out", s(&out)]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        for w in words {
            assert!(err.contains(w), "{name}: {err} lacks {w:?}");
        }
        assert!(!out.exists(), "{name}: something was written");
    }
}

#[test]
fn sweep_html_is_self_contained_with_a_line_per_series_and_opens_in_chromium() {
    let (out, _, _) = sweep();
    let page = out.join("sweep.html");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("http"), "the page fetches nothing");
    assert!(!html.contains("<script"), "the page needs no script");
    // Two lines: the weight scenario (its own combination of the other keys, one point) and
    // the method as written at p = 5 and 21; the failed scenario is no point.
    assert_eq!(html.matches("<svg").count(), 1, "one chart");
    assert_eq!(html.matches("<polyline").count(), 2, "one polyline per series");
    assert_eq!(html.matches("<circle class=\"pt\"").count(), 3);
    assert!(html.contains(">dimensions.supply_gap.weight=2</text>"));
    assert!(html.contains(">the method as written</text>"));
    // The marginal value of the blocks from 5 to 21 on the base line, from sweep.csv.
    let summary = table(&out.join("sweep.csv"));
    let after = nums(&summary, "covered_after");
    let blocks = nums(&summary, "new_blocks");
    let per_block = (after[3].unwrap() - after[2].unwrap()) / (blocks[3].unwrap() - blocks[2].unwrap());
    assert!(
        html.contains(&format!("<td class=\"n\">{:.2} %</td>", 100.0 * per_block)),
        "marginal value {per_block}"
    );
    // Every scenario is a row; the failed one says why.
    let rows = &html[html.find("class=\"data scenarios\"").unwrap()..];
    assert_eq!(rows.matches("<tr><td class=\"n\">").count(), 3);
    assert_eq!(rows.matches("<tr class=\"failed\">").count(), 1);
    let reason = texts(&summary, "reason")[1].clone();
    assert!(
        rows.contains(&reason.replace('<', "&lt;").replace('>', "&gt;")),
        "{reason}"
    );
    assert!(html.contains("<code>careblock sweep "), "how to reproduce");

    let profile = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sweep/chromium-profile-html");
    let Some((dom, console)) = dom_at(&page, "", &profile) else {
        return;
    };
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert_eq!(
        dom.matches("<polyline").count(),
        2,
        "the browser parsed the chart"
    );
}
