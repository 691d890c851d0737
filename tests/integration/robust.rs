//! `[siting.robust]`: the siting repeated over the index's Monte Carlo draws, on the Bogotá
//! preset. With draws that cannot differ from the reference (no weight noise, the reference's
//! normalisation and aggregation only) every draw chooses exactly the plan's blocks; with the
//! preset's draws the frequencies and districts are consistent with each other, the same with
//! one thread or two, and the report, explain and run.json say them. Combinations not available
//! yet are refused with one line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::common::outputs::{nums, table, texts};
use crate::common::{careblock, fresh_dir};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Bogotá preset (data paths made absolute) with `edit` applied and `robust` appended.
fn method(name: &str, edit: impl Fn(String) -> String, robust: &str) -> PathBuf {
    let dir = fresh_dir("robust", name);
    let preset = std::fs::read_to_string(root().join("examples/bogota.toml")).unwrap();
    let data = format!("\"{}/", root().join("data").display());
    let text = edit(preset.replace("\"../data/", &data)) + "\n" + robust + "\n";
    let path = dir.join("method.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn run(method: &Path, threads: &str) -> (Option<i32>, String, PathBuf) {
    let out = method.with_file_name(format!("out-{threads}"));
    let o = careblock([
        "--threads",
        threads,
        "run",
        method.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr),
        out,
    )
}

#[test]
fn draws_that_equal_the_reference_choose_the_plans_blocks_every_time() {
    let m = method(
        "fixed",
        |t| {
            t.replace("weight_noise = 0.25", "weight_noise = 0.0")
                .replace(
                    "normalisations = [\"min-max\", \"z-score\", \"rank\"]",
                    "normalisations = [\"min-max\"]",
                )
                .replace(
                    "aggregations = [\"arithmetic\", \"geometric\"]",
                    "aggregations = [\"arithmetic\"]",
                )
        },
        "[siting.robust]\ndraws = 4",
    );
    let (code, text, out) = run(&m, "2");
    assert_eq!(code, Some(0), "{text}");
    let robust = table(&out.join("robust.csv"));
    assert_eq!(robust.height(), 21, "only the plan's 21 blocks are ever chosen");
    assert!(nums(&robust, "sel_freq").iter().all(|f| *f == Some(1.0)));
    assert!(texts(&robust, "in_plan").iter().all(|b| b == "true"));
    // Each draw ranks the blocks as the plan does.
    let sites = table(&out.join("sites.csv"));
    let (status, rank, sel_rank) = (
        texts(&sites, "status"),
        nums(&sites, "rank"),
        nums(&sites, "sel_rank"),
    );
    for i in 0..sites.height() {
        if status[i] == "proposed" {
            assert_eq!(sel_rank[i], rank[i], "row {i}");
        } else {
            assert_eq!(
                sel_rank[i], None,
                "row {i}: only proposed blocks have a frequency"
            );
        }
    }
    assert!(
        text.contains("21 of the 21 proposed block(s) are chosen in at least 90 % of the draws"),
        "{text}"
    );
}

#[test]
fn the_presets_draws_give_consistent_frequencies_whatever_the_threads() {
    let m = method("preset", |t| t, "[siting.robust]\ndraws = 12");
    let (code, text, out) = run(&m, "2");
    assert_eq!(code, Some(0), "{text}");
    let (code1, text1, out1) = run(&m, "1");
    assert_eq!(code1, Some(0), "{text1}");
    for f in [
        "robust.csv",
        "robust_districts.csv",
        "sites.csv",
        "run.json",
        "report.html",
    ] {
        assert!(
            std::fs::read(out.join(f)).unwrap() == std::fs::read(out1.join(f)).unwrap(),
            "{f} differs between 1 and 2 threads"
        );
    }
    let robust = table(&out.join("robust.csv"));
    let freq = nums(&robust, "sel_freq");
    let ids = texts(&robust, "id");
    // Frequencies are multiples of 1/12, sorted, and sum to 21 blocks per draw.
    let mut last = f64::INFINITY;
    let mut total = 0.0;
    for f in freq.iter().map(|f| f.unwrap()) {
        assert!(f <= last && (f * 12.0 - (f * 12.0).round()).abs() < 1e-9, "{f}");
        last = f;
        total += f;
    }
    assert!(
        (total - 21.0).abs() < 1e-9,
        "Σ frequencies = blocks per draw: {total}"
    );
    // sites.csv's frequencies are robust.csv's, for the plan's blocks.
    let by_id: HashMap<&str, Option<f64>> =
        ids.iter().map(String::as_str).zip(freq.iter().copied()).collect();
    let sites = table(&out.join("sites.csv"));
    let (status, sid, sfreq) = (
        texts(&sites, "status"),
        texts(&sites, "id"),
        nums(&sites, "sel_freq"),
    );
    for i in 0..sites.height() {
        if status[i] == "proposed" {
            assert_eq!(sfreq[i], by_id[sid[i].as_str()], "{}", sid[i]);
        }
    }
    // Per district, the mean over the draws sums to the blocks per draw (every candidate lies
    // in a UPZ or UPR here), and the plan's count is within [min, max] or explained by the plan.
    let d = careblock_io::read_table_with_key(&out.join("robust_districts.csv"), "district").unwrap();
    let mean: f64 = nums(&d, "mean").iter().map(|m| m.unwrap()).sum();
    assert!((mean - 21.0).abs() < 1e-9, "Σ district means {mean}");
    let (lo, hi, p05, p95) = (nums(&d, "min"), nums(&d, "max"), nums(&d, "p05"), nums(&d, "p95"));
    for i in 0..d.height() {
        assert!(lo[i] <= p05[i] && p05[i] <= p95[i] && p95[i] <= hi[i], "row {i}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(json["siting"]["robust"]["draws"], 12);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h3>Robust sites</h3>"));
    let plan_block = sid[status.iter().position(|s| s == "proposed").unwrap()].clone();
    let o = careblock(["explain", out.to_str().unwrap(), "--site", &plan_block]);
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("% of the index draws"), "{said}");
}

#[test]
fn robust_siting_refuses_what_it_cannot_do_yet() {
    for (name, edit, robust, expect) in [
        (
            "zero",
            "",
            "[siting.robust]\ndraws = 0",
            "siting.robust.draws: must be at least 1",
        ),
        (
            "demand",
            "demand = \"STP27_PERS\"",
            "[siting.robust]\ndraws = 5",
            "robust siting draws the index, which changes only the need mass",
        ),
        (
            "capacity",
            "capacity = 5000",
            "[siting.robust]\ndraws = 5",
            "robust siting with capacities is not available yet",
        ),
    ] {
        let m = method(
            name,
            |t| {
                if edit.is_empty() {
                    t
                } else {
                    t.replace("demand = \"need_mass\"", edit)
                }
            },
            robust,
        );
        let (code, text, out) = run(&m, "2");
        assert_eq!(code, Some(2), "{name}: {text}");
        assert!(text.contains(expect), "{name}: {text}");
        assert_eq!(
            text.lines().filter(|l| l.starts_with("careblock: error")).count(),
            1,
            "{text}"
        );
        assert!(!out.exists(), "{name}: nothing written");
    }
}
