//! Capacitated siting (issue 33): the Bogotá capacity preset on the bundled data, its
//! assignment checked independently (loads, capacities, reach, each sector's demand), and the
//! CLI's outputs and one-line errors on the Los Lagos zones with a grid of candidates.

use std::path::Path;

use careblock_index::assess;
use careblock_io::read_method;
use careblock_pipeline::{LoadOptions, load_inputs};
use careblock_siting::plan::{SiteStatus, plan};

use crate::common;

#[test]
fn bogota_blocks_with_capacities() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bogota_capacity.toml");
    let mut method = read_method(&path).unwrap();
    method.spec.uncertainty.draws = 0;
    let inputs = load_inputs(&method, path.parent().unwrap(), &LoadOptions::default()).unwrap();
    let a = assess(&method, inputs.inputs()).unwrap();
    let p = plan(&method, inputs.plan_inputs(), &a).unwrap();
    let c = p.capacity.as_ref().expect("the preset is capacitated");
    let demand: Vec<f64> = a
        .siting_columns
        .iter()
        .find(|(n, _)| n == "demand")
        .unwrap()
        .1
        .iter()
        .map(|v| v.unwrap_or(0.0))
        .collect();
    let blocks: Vec<_> = p.sites.iter().filter(|s| s.status != SiteStatus::Bus).collect();
    assert_eq!(
        blocks.iter().filter(|s| s.status == SiteStatus::Proposed).count(),
        21
    );
    // Every block has its capacity (6,000) and a load within it; loads add up to the objective.
    let mut load = vec![0.0; p.sites.len()];
    let mut per_unit = vec![0.0; demand.len()];
    for x in &p.assignments {
        let z = x
            .assigned
            .expect("capacitated assignments carry the demand assigned");
        assert!(z > 0.0);
        assert!(
            x.distance <= 800.0 + 1e-9,
            "unit {} assigned {} m away",
            x.unit,
            x.distance
        );
        assert!(p.sites[x.site].status != SiteStatus::Bus);
        load[x.site] += z;
        per_unit[x.unit] += z;
    }
    for (k, s) in p.sites.iter().enumerate() {
        if s.status == SiteStatus::Bus {
            continue;
        }
        let (cap, l) = s.capacity.expect("every block has a capacity");
        assert_eq!(cap, 6000.0);
        assert!(
            (l - load[k]).abs() <= 1e-6 * cap.max(1.0),
            "{}: {l} vs {}",
            s.id,
            load[k]
        );
        assert!(l <= cap * (1.0 + 1e-12), "{}: load {l} above {cap}", s.id);
    }
    for (u, z) in per_unit.iter().enumerate() {
        assert!(
            *z <= demand[u] * (1.0 + 1e-9) + 1e-9,
            "unit {u}: {z} > {}",
            demand[u]
        );
    }
    let total: f64 = load.iter().sum();
    assert!((total - p.blocks.objective).abs() <= 1e-9 * p.blocks.objective);
    assert!((c.assigned - p.blocks.objective).abs() <= 1e-9 * p.blocks.objective);
    // Capacity binds: the blocks cannot take all the demand within their reach.
    assert!(c.assigned < c.within_reach && c.assigned <= c.capacity);
    assert!(p.blocks.objective <= p.blocks.bound * (1.0 + 1e-12));
    assert!(p.blocks.gap <= 0.01, "gap {}", p.blocks.gap);
    // The unit coverage the KPIs use is the assigned share.
    for (u, z) in per_unit.iter().enumerate() {
        if demand[u] > 0.0 {
            assert!((p.unit_coverage[u] - (z / demand[u]).min(1.0)).abs() < 1e-9);
        }
    }
}

/// The Los Lagos zones with a grid of candidates and the given `[siting]` extra lines.
fn grid_method(extra: &str) -> String {
    common::los_lagos_method(&format!(
        "[siting]\nradius = 1000\ndemand = \"pob_65ymas\"\n{extra}\n[siting.grid]\nspacing = 1000\n"
    ))
}

fn run(name: &str, text: &str) -> common::RunOutcome {
    common::run_method("capacity", name, text)
}

#[test]
fn the_cli_writes_loads_and_refuses_bad_capacities() {
    let (code, stdout, err, out) = run("good", &grid_method("p = 8\ncapacity = 150\n"));
    assert_eq!(code, Some(0), "{err}");
    assert!(
        stdout.contains("capacity: the open blocks can serve 1200 persons"),
        "{stdout}"
    );
    let sites = std::fs::read_to_string(out.join("sites.csv")).unwrap();
    let header = sites.lines().next().unwrap();
    for col in ["capacity", "load", "utilisation"] {
        assert!(header.split(',').any(|h| h == col), "{header}");
    }
    // Irreplaceability under capacities: closing a block loses at most its load (the other
    // assignments stay feasible), and the replacement only wins some back (here, full blocks
    // among many candidates, often all of it).
    let col = |name: &str| header.split(',').position(|h| h == name).unwrap();
    let (k, load, status) = (col("irreplace"), col("load"), col("status"));
    for row in sites.lines().skip(1) {
        let cells: Vec<&str> = row.split(',').collect();
        if cells[status] != "proposed" {
            assert_eq!(cells[k], "", "{row}");
            continue;
        }
        let irr: f64 = cells[k].parse().unwrap_or_else(|_| panic!("{row}"));
        let l: f64 = cells[load].parse().unwrap();
        assert!((0.0..=l + 1e-6).contains(&irr), "{row}");
    }
    let assignments = std::fs::read_to_string(out.join("assignments.csv")).unwrap();
    assert!(
        assignments.lines().next().unwrap().ends_with(",assigned"),
        "{assignments}"
    );
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let c = &j["siting"]["capacity"];
    assert_eq!(c["capacity_of_open_blocks"], 1200.0);
    let loads: f64 = c["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["load"].as_f64().unwrap())
        .sum();
    assert!((loads - j["objective"].as_f64().unwrap()).abs() < 1e-6);
    assert!(
        c["sites"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["load"].as_f64().unwrap() <= 150.0 + 1e-9)
    );

    // A gap to stop at: the bound stops being tightened once within it, and says so.
    let (code, _, err, out) = run(
        "gap",
        &grid_method("p = 8\ncapacity = 150\ncapacity_gap = 0.05\n"),
    );
    assert_eq!(code, Some(0), "{err}");
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(j["siting"]["capacity"]["gap_asked"], 0.05);
    assert!(j["gap"].as_f64().unwrap() <= 0.05, "{}", j["gap"]);

    for (name, extra, expect) in [
        ("zero", "p = 2\ncapacity = 0\n", "siting.capacity"),
        (
            "gap_above_one",
            "p = 2\ncapacity = 50\ncapacity_gap = 1.5\n",
            "siting.capacity_gap",
        ),
        (
            "gap_uncapacitated",
            "p = 2\ncapacity_gap = 0.01\n",
            "capacitated siting only",
        ),
        ("negative", "p = 2\ncapacity = -5\n", "siting.capacity"),
    ] {
        let (code, _, err, out) = run(name, &grid_method(extra));
        assert_eq!(code, Some(2), "{name}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{name}: one line: {err}");
        assert!(err.contains(expect), "{name}: {err}");
        assert!(!out.exists(), "{name}: wrote {}", out.display());
    }
}

#[test]
fn capacitated_phases_are_nested_and_loads_fit() {
    let (code, stdout, err, out) = run(
        "phases",
        &grid_method("capacity = 150\n[siting.phases]\nblocks = [3, 4]\nnames = [\"2027\", \"2028\"]\n"),
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        stdout.contains("capacity: the open blocks can serve 1050 persons"),
        "{stdout}"
    );
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let phases = j["siting"]["phases"]["phases"].as_array().unwrap();
    assert_eq!(phases.len(), 2);
    // Nested: the second phase starts where the first ended, and ends at the plan's objective.
    assert_eq!(phases[1]["covered_before"], phases[0]["covered_after"]);
    let objective = j["objective"].as_f64().unwrap();
    assert!((phases[1]["covered_after"].as_f64().unwrap() - objective).abs() < 1e-9);
    // The unphased capacitated optimum is at least as good, up to the heuristic.
    let unphased = j["siting"]["phases"]["unphased"]["objective"].as_f64().unwrap();
    assert!(unphased >= objective * (1.0 - 1e-3), "{unphased} vs {objective}");
    // Every block's load fits its capacity and the loads add up to the objective.
    let c = &j["siting"]["capacity"];
    let sites = c["sites"].as_array().unwrap();
    assert_eq!(sites.len(), 7);
    let loads: f64 = sites.iter().map(|s| s["load"].as_f64().unwrap()).sum();
    assert!((loads - objective).abs() < 1e-6, "{loads} vs {objective}");
    assert!(sites.iter().all(|s| s["load"].as_f64().unwrap() <= 150.0 + 1e-9));
    let csv = std::fs::read_to_string(out.join("sites.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let phase = header.iter().position(|h| *h == "phase").unwrap();
    let load = header.iter().position(|h| *h == "load").unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.iter().filter(|r| r[phase] == "2027").count(), 3);
    assert_eq!(rows.iter().filter(|r| r[phase] == "2028").count(), 4);
    assert!(rows.iter().all(|r| !r[load].is_empty()));
}

#[test]
fn capacitated_targets_count_blocks_of_limited_places() {
    let (code, _, err, out) = run("target", &grid_method("capacity = 150\ntarget_share = 0.3\n"));
    assert_eq!(code, Some(0), "{err}");
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let t = &j["siting"]["target"];
    assert_eq!(t["reached"], true);
    let blocks = t["blocks"].as_u64().unwrap() as f64;
    let lower = t["lower_bound_blocks"].as_u64().unwrap() as f64;
    let goal = t["goal"].as_f64().unwrap();
    let objective = j["objective"].as_f64().unwrap();
    assert!(objective >= goal * (1.0 - 1e-12), "{objective} < {goal}");
    assert!(lower <= blocks);
    // Blocks of 150 places: no fewer than the goal over 150 (no existing blocks here).
    assert!(
        lower >= (goal / 150.0).ceil(),
        "lower {lower} for a goal of {goal}"
    );
    let c = &j["siting"]["capacity"];
    let sites = c["sites"].as_array().unwrap();
    assert_eq!(sites.len() as f64, blocks);
    assert!(sites.iter().all(|s| s["load"].as_f64().unwrap() <= 150.0 + 1e-9));
    let loads: f64 = sites.iter().map(|s| s["load"].as_f64().unwrap()).sum();
    assert!((loads - objective).abs() < 1e-6);
}

/// A candidate layer of its own, with a `places` column, on the Los Lagos zones.
fn column_case(name: &str, places: [&str; 2], column: &str) -> common::RunOutcome {
    let dir = common::fresh_dir("capacity", name);
    std::fs::write(
        dir.join("sites.geojson"),
        format!(
            r#"{{"type":"FeatureCollection","features":[
{{"type":"Feature","properties":{{"id":"A","places":{}}},"geometry":{{"type":"Point","coordinates":[-72.94,-41.47]}}}},
{{"type":"Feature","properties":{{"id":"B","places":{}}},"geometry":{{"type":"Point","coordinates":[-73.05,-41.32]}}}}]}}"#,
            places[0], places[1]
        ),
    )
    .unwrap();
    let method = common::los_lagos_method(&format!(
        "[siting]\nradius = 1000\ndemand = \"pob_65ymas\"\np = 1\n[[siting.candidates]]\nname = \"centre\"\npath = \"sites.geojson\"\nid = \"id\"\ncapacity = \"{column}\"\n"
    ));
    std::fs::write(dir.join("method.toml"), method).unwrap();
    common::run_method_in(&dir)
}

#[test]
fn capacities_from_a_column() {
    let (code, _, err, out) = column_case("column_ok", ["40", "70"], "places");
    assert_eq!(code, Some(0), "{err}");
    let sites = std::fs::read_to_string(out.join("sites.csv")).unwrap();
    let header: Vec<&str> = sites.lines().next().unwrap().split(',').collect();
    let cap = header.iter().position(|h| *h == "capacity").unwrap();
    let id = header.iter().position(|h| *h == "id").unwrap();
    let row: Vec<&str> = sites.lines().nth(1).unwrap().split(',').collect();
    let want = if row[id] == "A" { "40.0" } else { "70.0" };
    assert_eq!(row[cap], want, "{sites}");
    for (name, places, column, expect) in [
        (
            "column_negative",
            ["40", "-3"],
            "places",
            "site \"B\" has capacity -3",
        ),
        (
            "column_missing_value",
            ["40", "null"],
            "places",
            "site \"B\" has capacity missing",
        ),
        ("column_text", ["40", "\"many\""], "places", "places"),
        ("no_column", ["40", "70"], "plazas", "plazas"),
    ] {
        let (code, _, err, out) = column_case(name, places, column);
        assert_eq!(code, Some(2), "{name}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{name}: one line: {err}");
        assert!(
            err.contains(expect) && err.contains("siting.candidates[0].capacity"),
            "{name}: {err}"
        );
        assert!(!out.exists(), "{name}");
    }
}
