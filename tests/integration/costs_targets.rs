//! The cost side of issue 33 through the CLI, on the Los Lagos zones with a candidate layer of
//! its own whose sites have a `cost` column: the least-cost coverage target
//! (`target_minimise = "cost"`) and its certified lower bound, capacities under a budget and
//! budget phases with capacities; the combinations still refused.

use std::path::Path;

use crate::common;

/// A candidate near every third zone (its outer ring's mean vertex), costing 1 to 5.
fn sites_geojson() -> String {
    let text = std::fs::read_to_string(common::chile("zonas_censales_2017_los_lagos.geojson")).unwrap();
    let zones: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut features = Vec::new();
    for (k, f) in zones["features"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .step_by(3)
    {
        let g = &f["geometry"];
        let ring = match g["type"].as_str().unwrap() {
            "Polygon" => &g["coordinates"][0],
            _ => &g["coordinates"][0][0],
        };
        let ring = ring.as_array().unwrap();
        let n = ring.len() as f64;
        let x: f64 = ring.iter().map(|p| p[0].as_f64().unwrap()).sum::<f64>() / n;
        let y: f64 = ring.iter().map(|p| p[1].as_f64().unwrap()).sum::<f64>() / n;
        features.push(format!(
            r#"{{"type":"Feature","properties":{{"id":"S{k}","cost":{}}},"geometry":{{"type":"Point","coordinates":[{x},{y}]}}}}"#,
            1 + (k * 7) % 5
        ));
    }
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",\n")
    )
}

/// Runs the Los Lagos method with those candidates and the `[siting]` lines `extra`.
fn run(name: &str, extra: &str) -> common::RunOutcome {
    let dir = common::fresh_dir("costs_targets", name);
    std::fs::write(dir.join("sites.geojson"), sites_geojson()).unwrap();
    let method = common::los_lagos_method(&format!(
        "[siting]\nradius = 1000\ndemand = \"pob_65ymas\"\n{extra}\n[[siting.candidates]]\nname = \"centre\"\npath = \"sites.geojson\"\nid = \"id\"\ncost = \"cost\"\n"
    ));
    std::fs::write(dir.join("method.toml"), method).unwrap();
    common::run_method_in(&dir)
}

fn run_json(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap()
}

/// The cost of each candidate, by id.
fn costs() -> std::collections::HashMap<String, f64> {
    let layer: serde_json::Value = serde_json::from_str(&sites_geojson()).unwrap();
    layer["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["properties"]["id"].as_str().unwrap().to_string(),
                f["properties"]["cost"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// The ids of the proposed sites of a run.
fn proposed(out: &Path) -> Vec<String> {
    let csv = std::fs::read_to_string(out.join("sites.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let id = header.iter().position(|h| *h == "id").unwrap();
    let status = header.iter().position(|h| *h == "status").unwrap();
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|r| r[status] == "proposed")
        .map(|r| r[id].to_string())
        .collect()
}

#[test]
fn least_cost_targets_cost_no_more_than_the_fewest_blocks() {
    let cost = costs();
    let (code, stdout, err, out) = run("cost", "target_share = 0.3\ntarget_minimise = \"cost\"\n");
    assert_eq!(code, Some(0), "{err}");
    assert!(
        stdout.contains("no set costing less than") || stdout.contains("proven the least cost"),
        "{stdout}"
    );
    let j = run_json(&out);
    let t = &j["siting"]["target"];
    assert_eq!(t["reached"], true);
    assert_eq!(t["minimise"], "cost");
    let c = &t["cost"];
    let spent = c["spent"].as_f64().unwrap();
    let lower = c["lower_bound"].as_f64().unwrap();
    let gap = c["gap"].as_f64().unwrap();
    assert!(lower > 0.0 && lower <= spent, "{lower} vs {spent}");
    assert!((gap - (spent - lower) / spent).abs() < 1e-12);
    // What the proposed sites cost, from the layer.
    let sites = proposed(&out);
    assert_eq!(sites.len() as u64, t["blocks"].as_u64().unwrap());
    let paid: f64 = sites.iter().map(|s| cost[s]).sum();
    assert!((paid - spent).abs() < 1e-9, "{paid} vs {spent}");
    let objective = j["objective"].as_f64().unwrap();
    assert!(objective >= t["goal"].as_f64().unwrap() * (1.0 - 1e-12));
    assert!(j["bound"].as_f64().unwrap() >= objective);

    // The fewest blocks reaching the same share cost at least as much.
    let (code, _, err, out) = run("count", "target_share = 0.3\n");
    assert_eq!(code, Some(0), "{err}");
    let t = &run_json(&out)["siting"]["target"];
    assert_eq!(t["minimise"], "count");
    assert!(t["cost"].is_null());
    let fewest: f64 = proposed(&out).iter().map(|s| cost[s]).sum();
    assert!(spent <= fewest * (1.0 + 1e-12), "{spent} vs {fewest}");
    assert!(lower <= fewest);

    // Out of reach: exit 1, the plan is the cheapest found reaching the best share.
    let (code, _, err, out) = run(
        "cost_unreachable",
        "target_share = 1.0\ntarget_minimise = \"cost\"\n",
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("out of reach"), "{err}");
    let t = &run_json(&out)["siting"]["target"];
    assert_eq!(t["reached"], false);
    assert!(t["cost"]["lower_bound"].is_null());
    let paid: f64 = proposed(&out).iter().map(|s| cost[s]).sum();
    assert!((paid - t["cost"]["spent"].as_f64().unwrap()).abs() < 1e-9);
}

#[test]
fn cost_targets_refused_where_they_do_not_apply() {
    for (name, extra, expect) in [
        (
            "minimise_without_target",
            "p = 3\ntarget_minimise = \"cost\"\n",
            "siting.target_minimise",
        ),
        (
            "unknown_value",
            "target_share = 0.3\ntarget_minimise = \"price\"\n",
            "unknown variant `price`",
        ),
    ] {
        let (code, _, err, out) = run(name, extra);
        assert_eq!(code, Some(2), "{name}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{name}: one line: {err}");
        assert!(err.contains(expect), "{name}: {err}");
        assert!(!out.exists(), "{name}: wrote {}", out.display());
    }
    // Without a cost column every candidate costs 1: the method says what is missing.
    let (code, _, err, _) = common::run_method(
        "costs_targets",
        "grid_cost",
        &common::los_lagos_method(
            "[siting]\nradius = 800\ntarget_share = 0.2\ntarget_minimise = \"cost\"\n[siting.grid]\nspacing = 1000\n",
        ),
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("needs the candidates' costs"), "{err}");
}

/// The capacity, load of every open block of a run, and the objective.
fn loads(out: &Path) -> (Vec<(String, f64, f64)>, f64) {
    let j = run_json(out);
    let sites = j["siting"]["capacity"]["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["capacity"].as_f64().unwrap(),
                s["load"].as_f64().unwrap(),
            )
        })
        .collect();
    (sites, j["objective"].as_f64().unwrap())
}

#[test]
fn capacities_under_a_budget_and_budget_phases() {
    let cost = costs();
    let (code, _, err, out) = run("capacity_budget", "capacity = 150\nbudget = 12\n");
    assert_eq!(code, Some(0), "{err}");
    let j = run_json(&out);
    let (sites, objective) = loads(&out);
    let paid: f64 = proposed(&out).iter().map(|s| cost[s]).sum();
    assert!(paid <= 12.0 && paid > 0.0, "{paid}");
    assert!(sites.iter().all(|(_, c, l)| *l <= c + 1e-9));
    let total: f64 = sites.iter().map(|s| s.2).sum();
    assert!((total - objective).abs() < 1e-6, "{total} vs {objective}");
    let bound = j["bound"].as_f64().unwrap();
    assert!(bound >= objective && bound <= 12.0 * 150.0 + 1e-9, "{bound}");

    // Budget phases with capacities: nested, each within its budget, the loads fit.
    let (code, stdout, err, out) = run(
        "capacity_budget_phases",
        "capacity = 150\n[siting.phases]\nbudget = [6, 6]\nnames = [\"2027\", \"2028\"]\n",
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(stdout.contains("phase 2027:"), "{stdout}");
    let j = run_json(&out);
    let phases = j["siting"]["phases"]["phases"].as_array().unwrap();
    assert_eq!(phases.len(), 2);
    assert_eq!(phases[1]["covered_before"], phases[0]["covered_after"]);
    let csv = std::fs::read_to_string(out.join("sites.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let (id, phase) = (
        header.iter().position(|h| *h == "id").unwrap(),
        header.iter().position(|h| *h == "phase").unwrap(),
    );
    for name in ["2027", "2028"] {
        let paid: f64 = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|r| r[phase] == name)
            .map(|r| cost[r[id]])
            .sum();
        assert!(paid > 0.0 && paid <= 6.0, "{name}: {paid}");
    }
    let (sites, objective) = loads(&out);
    assert!(sites.iter().all(|(_, c, l)| *l <= c + 1e-9));
    assert!((phases[1]["covered_after"].as_f64().unwrap() - objective).abs() < 1e-9);

    // The least-cost target with capacities: blocks of 150 places, so at least goal/150 of the
    // cheapest (cost 1) are needed (up to the bisection's step), and the plan's loads reach the goal.
    let (code, _, err, out) = run(
        "capacity_cost_target",
        "capacity = 150\ntarget_share = 0.15\ntarget_minimise = \"cost\"\n",
    );
    assert_eq!(code, Some(0), "{err}");
    let j = run_json(&out);
    let t = &j["siting"]["target"];
    let goal = t["goal"].as_f64().unwrap();
    let (sites, objective) = loads(&out);
    assert!(objective >= goal * (1.0 - 1e-12));
    let spent = t["cost"]["spent"].as_f64().unwrap();
    let lower = t["cost"]["lower_bound"].as_f64().unwrap();
    assert!(
        lower <= spent && lower >= (goal / 150.0).floor(),
        "{lower} {spent} {goal}"
    );
    let paid: f64 = sites.iter().map(|s| cost[&s.0]).sum();
    assert!((paid - spent).abs() < 1e-9);
}
