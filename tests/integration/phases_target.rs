//! Opening phases and coverage targets (issue 33): the Bogotá presets on the bundled real data,
//! checked against an independent recomputation of the coverage from the unit centroids and the
//! site points; and the CLI's outputs, exit codes and one-line errors on the Los Lagos zones
//! with a grid of candidates.

use std::path::{Path, PathBuf};
use std::process::Command;

use careblock_index::assess;
use careblock_io::read_method;
use careblock_pipeline::{LoadOptions, load_inputs};
use careblock_siting::plan::{Plan, SiteStatus, plan};
use geo::{Centroid, Distance, Euclidean};

use crate::common;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)
}

/// Runs a preset through the library, without the Monte Carlo; returns the plan and the
/// covered demand recomputed from scratch: a unit is covered when its centroid lies within the
/// radius of an open site (existing and proposed).
fn bogota(name: &str) -> (Plan, f64, f64) {
    let path = example(name);
    let mut method = read_method(&path).unwrap();
    method.spec.uncertainty.draws = 0;
    let inputs = load_inputs(&method, path.parent().unwrap(), &LoadOptions::default()).unwrap();
    let a = assess(&method, inputs.inputs()).unwrap();
    let p = plan(&method, inputs.plan_inputs(), &a).unwrap();
    let units = inputs.units.polygons().unwrap();
    let demand: Vec<f64> = a
        .siting_columns
        .iter()
        .find(|(n, _)| n == "demand")
        .unwrap()
        .1
        .iter()
        .map(|v| v.unwrap_or(0.0))
        .collect();
    let blocks: Vec<_> = p
        .sites
        .iter()
        .filter(|s| s.status != SiteStatus::Bus)
        .map(|s| s.point)
        .collect();
    let mut covered = 0.0;
    for (u, poly) in units.iter().enumerate() {
        if let Some(c) = poly.centroid()
            && blocks.iter().any(|s| Euclidean.distance(*s, c) <= p.radius)
        {
            covered += demand[u];
        }
    }
    (p, covered, demand.iter().sum())
}

#[test]
fn bogota_in_three_phases() {
    let (p, covered, total) = bogota("bogota_phases.toml");
    let ph = p.phases.as_ref().expect("the preset declares [siting.phases]");
    assert_eq!(ph.phases.len(), 3);
    let names: Vec<&str> = ph.phases.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["2025-2027", "2028-2031", "2032-2035"]);
    let proposed: Vec<_> = p
        .sites
        .iter()
        .filter(|s| s.status == SiteStatus::Proposed)
        .collect();
    assert_eq!(proposed.len(), 21);
    // Seven per phase, in phase order, ranks running on.
    for (k, s) in proposed.iter().enumerate() {
        assert_eq!(s.phase.as_deref(), Some(names[k / 7]));
        assert_eq!(s.rank, Some(k + 1));
    }
    // Nested: each phase starts where the previous one ended.
    assert!((ph.phases[0].optimum.locked_in - p.blocks.locked_in).abs() < 1e-9 * total);
    for w in ph.phases.windows(2) {
        assert!((w[1].optimum.locked_in - w[0].optimum.objective).abs() < 1e-9 * total);
        assert!(w[1].optimum.objective >= w[0].optimum.objective);
    }
    for x in &ph.phases {
        assert!(x.optimum.objective <= x.optimum.bound * (1.0 + 1e-12));
    }
    // The plan's objective is what the open sites cover, recomputed independently.
    assert!(
        (covered - p.blocks.objective).abs() < 1e-6 * total,
        "{covered} vs {}",
        p.blocks.objective
    );
    // Phasing costs something or nothing, never gains beyond the unphased bound.
    assert!(p.blocks.objective <= ph.unphased.bound * (1.0 + 1e-12));
    assert!(proposed.last().unwrap().cumulative == p.blocks.objective);
}

#[test]
fn bogota_blocks_for_61_percent_of_the_population() {
    let (p, covered, total) = bogota("bogota_target.toml");
    let t = p.target.as_ref().expect("the preset declares target_share");
    assert!(t.reached);
    assert!((t.goal - 0.61 * total).abs() < 1e-9 * total);
    let proposed = p
        .sites
        .iter()
        .filter(|s| s.status == SiteStatus::Proposed)
        .count();
    assert_eq!(proposed, t.blocks);
    assert!(t.lower >= 1 && t.lower <= t.blocks);
    assert!(p.blocks.objective >= t.goal * (1.0 - 1e-12));
    assert!((covered - p.blocks.objective).abs() < 1e-6 * total);
    // The best possible coverage is at least what the plan reaches.
    assert!(t.best_possible >= p.blocks.objective * (1.0 - 1e-12));
}

/// A method on the Los Lagos zones with a grid of candidates and `limit` as its siting limit.
fn grid_method(limit: &str) -> String {
    common::los_lagos_method(&format!(
        "[siting]\nradius = 800\n{limit}\n[siting.grid]\nspacing = 1000\n"
    ))
}

fn run(name: &str, text: &str) -> common::RunOutcome {
    common::run_method("phases_target", name, text)
}

fn run_json(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap()
}

#[test]
fn the_cli_writes_phases_and_targets() {
    let (code, stdout, err, out) = run(
        "phases",
        &grid_method("[siting.phases]\nblocks = [3, 2]\nnames = [\"2026\", \"2027\"]\n"),
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(stdout.contains("phase 2026: 3 new block(s)"), "{stdout}");
    assert!(stdout.contains("cost of phasing"), "{stdout}");
    let sites = std::fs::read_to_string(out.join("sites.csv")).unwrap();
    let header: Vec<&str> = sites.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "phase").expect("a phase column");
    let phases: Vec<String> = sites
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(col).unwrap().to_string())
        .filter(|v| !v.is_empty())
        .collect();
    assert_eq!(phases, ["2026", "2026", "2026", "2027", "2027"]);
    // `explain` says the phase in words (not as a missing number).
    let id_col = header.iter().position(|h| *h == "id").unwrap();
    let last = sites
        .lines()
        .last()
        .unwrap()
        .split(',')
        .nth(id_col)
        .unwrap()
        .to_string();
    let o = Command::new(env!("CARGO_BIN_EXE_careblock"))
        .args(["explain", &out.display().to_string(), "--site", &last])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("opened in phase 2027") && !text.contains("phase: missing"),
        "{text}"
    );
    let j = run_json(&out);
    let ph = &j["siting"]["phases"];
    assert_eq!(ph["phases"].as_array().unwrap().len(), 2);
    let (before, after) = (
        ph["phases"][1]["covered_before"].as_f64().unwrap(),
        ph["phases"][0]["covered_after"].as_f64().unwrap(),
    );
    assert!((before - after).abs() <= 1e-9 * after, "{before} vs {after}");
    assert_eq!(j["objective"], ph["phases"][1]["covered_after"]);
    assert!(
        ph["cost_of_phasing"].as_f64().unwrap()
            >= -1e-9 * j["siting"]["blocks"]["total_demand"].as_f64().unwrap()
    );
    assert_eq!(j["siting"]["ranking_curve"][4]["phase"], "2027");

    let (code, stdout, err, out) = run("target", &grid_method("target_share = 0.2\n"));
    assert_eq!(code, Some(0), "{err}");
    assert!(stdout.contains("target 20.0 % of the demand"), "{stdout}");
    let t = &run_json(&out)["siting"]["target"];
    assert_eq!(t["reached"], true);
    let blocks = t["blocks"].as_u64().unwrap();
    assert!(blocks >= 1 && t["lower_bound_blocks"].as_u64().unwrap() <= blocks);

    // Out of reach: a result, not a crash. The outputs are written and the exit code is 1.
    let (code, _, err, out) = run("unreachable", &grid_method("target_share = 1.0\n"));
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("out of reach") && err.contains("the most is"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let t = &run_json(&out)["siting"]["target"];
    assert_eq!(t["reached"], false);
    assert!(t["best_possible_share"].as_f64().unwrap() < 1.0);
}

#[test]
fn bad_limits_are_one_line_errors_naming_the_key() {
    for (name, limit, expect) in [
        ("share_above_one", "target_share = 1.5\n", "siting.target_share"),
        ("share_zero", "target_share = 0\n", "siting.target_share"),
        (
            "p_and_phases",
            "p = 3\n[siting.phases]\nblocks = [1, 2]\n",
            "not p and [siting.phases]",
        ),
        (
            "both_kinds",
            "[siting.phases]\nblocks = [1]\nbudget = [2.0]\n",
            "siting.phases.budget",
        ),
        (
            "names",
            "[siting.phases]\nblocks = [1, 2]\nnames = [\"a\"]\n",
            "siting.phases.names",
        ),
        ("empty", "[siting.phases]\nblocks = []\n", "siting.phases.blocks"),
        (
            "negative_budget",
            "[siting.phases]\nbudget = [1.0, -2.0]\n",
            "phase 2",
        ),
        (
            "too_many",
            "[siting.phases]\nblocks = [100000, 1]\n",
            "siting.phases.blocks",
        ),
    ] {
        let (code, _, err, out) = run(name, &grid_method(limit));
        assert_eq!(code, Some(2), "{name}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{name}: one line: {err}");
        assert!(err.contains(expect), "{name}: {err}");
        assert!(!out.exists(), "{name}: a failed run wrote {}", out.display());
    }
}
