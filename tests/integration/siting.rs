//! Siting on real data: the Bogotá preset (759 public schools, 18 CDC, 23 BibloRed libraries
//! and 346 jardines as candidate anchors, the anchor rule over 466 care facilities, the 24
//! active care blocks locked in, 21 new blocks, care buses) checked against independent
//! brute-force recomputations; and the infeasible and bad cases on the Los Lagos zones with a
//! hexagonal grid of candidates.

use std::path::{Path, PathBuf};

use careblock_index::assess;
use careblock_io::read_method;
use careblock_pipeline::{LoadOptions, load_inputs};
use careblock_siting::plan::{SiteStatus, Tier, plan};
use geo::{Distance, Euclidean, Point};

use crate::common;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)
}

#[test]
fn bogota_preset_sites_blocks_around_the_existing_ones() {
    let path = example("bogota.toml");
    let mut method = read_method(&path).unwrap();
    method.spec.uncertainty.draws = 0; // not under test here
    let inputs = load_inputs(&method, path.parent().unwrap(), &LoadOptions::default()).unwrap();
    let a = assess(&method, inputs.inputs()).unwrap();
    let p = plan(&method, inputs.plan_inputs(), &a).unwrap();
    let existing: Vec<_> = p
        .sites
        .iter()
        .filter(|s| s.status == SiteStatus::Existing)
        .collect();
    let proposed: Vec<_> = p
        .sites
        .iter()
        .filter(|s| s.status == SiteStatus::Proposed)
        .collect();
    assert_eq!(
        existing.len(),
        24,
        "the 24 active blocks are locked in (the projected one is filtered out)"
    );
    assert_eq!(proposed.len(), 21);
    assert_eq!(
        proposed.iter().map(|s| s.rank.unwrap()).collect::<Vec<_>>(),
        (1..=21).collect::<Vec<_>>()
    );

    // Objective, bound, gap and the ranking curve.
    let b = &p.blocks;
    assert!(b.bound >= b.objective - 1e-9 * b.objective, "{b:?}");
    assert!((b.gap - (b.bound - b.objective) / b.bound).abs() < 1e-12);
    assert!(b.gap < 0.01, "gap {}", b.gap);
    assert!(b.locked_in > 0.0);
    let mut prev = b.locked_in;
    for s in &proposed {
        assert!((s.cumulative - (prev + s.marginal_gain)).abs() < 1e-6 * b.objective);
        assert!(s.marginal_gain >= 0.0 && s.irreplaceability.is_some_and(|l| l >= 0.0));
        prev = s.cumulative;
    }
    assert!((prev - b.objective).abs() < 1e-6 * b.objective);

    // The covered demand, recomputed by brute force from the unit centroids.
    let demand = &a.siting_columns.iter().find(|(n, _)| n == "demand").unwrap().1;
    let centroids = careblock_core::join::centroids(&inputs.units);
    let open: Vec<Point<f64>> = existing.iter().chain(&proposed).map(|s| s.point).collect();
    let mut covered = 0.0;
    for (i, c) in centroids.iter().enumerate() {
        let Some(c) = c else { continue };
        let reached = open.iter().any(|s| Euclidean.distance(*c, *s) <= 800.0);
        assert_eq!(reached, p.unit_coverage[i] == 1.0, "unit {}", inputs.units.ids[i]);
        if reached {
            covered += demand[i].unwrap_or(0.0);
        }
    }
    assert!(
        (covered - b.objective).abs() < 1e-6 * b.objective,
        "{covered} vs {}",
        b.objective
    );

    // Every proposed site is an anchor: at least two other care facilities within 800 m.
    let facilities: Vec<Point<f64>> = inputs
        .supply
        .iter()
        .flat_map(|l| l.points().unwrap().into_iter().flatten())
        .collect();
    for s in &proposed {
        let near = facilities
            .iter()
            .filter(|f| {
                let d = Euclidean.distance(**f, s.point);
                d > 1.0 && d <= 800.0
            })
            .count();
        assert!(near >= 2, "{} {} has {near} care facilities nearby", s.kind, s.id);
    }

    // Assignments are within the radius; KPIs never fall after adding blocks.
    for x in &p.assignments {
        assert!(x.distance <= 800.0 + 1e-6);
        assert_ne!(p.sites[x.site].status, SiteStatus::Bus);
    }
    assert_eq!(p.kpis.len(), 116);
    for k in &p.kpis {
        if let (Some(before), Some(after)) = (k.demand_before, k.demand_after) {
            assert!(after >= before - 1e-12 && (0.0..=1.0 + 1e-12).contains(&after));
        }
    }

    // Uncovered high-priority units: quintiles 4–5, out of reach; buses and home care.
    let bus: Vec<_> = p.sites.iter().filter(|s| s.status == SiteStatus::Bus).collect();
    assert!(!bus.is_empty() && bus.len() <= 5);
    for u in &p.uncovered {
        assert!(u.class >= 4);
        assert_eq!(p.unit_coverage[u.unit], 0.0);
        let c = centroids[u.unit].unwrap();
        match u.tier {
            Tier::Bus(s) => assert!(Euclidean.distance(c, p.sites[s].point) <= 2000.0),
            Tier::HomeCare => {
                assert!(u.density < 50.0);
                assert!(bus.iter().all(|s| Euclidean.distance(c, s.point) > 2000.0));
            }
            Tier::Unserved => assert!(u.density >= 50.0),
        }
    }
}

/// A method on the Los Lagos zones with a hexagonal grid of candidates.
fn grid_method(siting: &str) -> String {
    common::los_lagos_method(&format!("[siting]\n{siting}\n"))
}

/// Runs the method; a failed run must say why in one line and write nothing.
fn run(name: &str, text: &str) -> (Option<i32>, String, PathBuf) {
    let (code, _, stderr, out) = common::run_method("siting", name, text);
    if code != Some(0) {
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
        assert!(!out.exists(), "a failed run wrote {}", out.display());
    }
    (code, stderr, out)
}

#[test]
fn a_grid_of_candidates_sites_blocks_and_writes_every_layer() {
    let (code, err, out) = run(
        "grid",
        &grid_method("radius = 800\np = 5\n[siting.grid]\nspacing = 1000\n"),
    );
    assert_eq!(code, Some(0), "{err}");
    for f in [
        "sites.geojson",
        "sites.csv",
        "catchments.geojson",
        "assignments.csv",
        "uncovered.geojson",
        "run.json",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let (obj, bound, gap) = (
        run["objective"].as_f64().unwrap(),
        run["bound"].as_f64().unwrap(),
        run["gap"].as_f64().unwrap(),
    );
    assert!(obj > 0.0 && bound >= obj && (0.0..1.0).contains(&gap));
    let sites = std::fs::read_to_string(out.join("sites.csv")).unwrap();
    assert_eq!(sites.lines().count(), 1 + 5);
}

#[test]
fn infeasible_and_bad_siting_fail_clearly() {
    // More blocks than candidate sites: nothing feasible, exit code 1.
    let (code, err, _) = run(
        "too_many",
        &grid_method("p = 100000\n[siting.grid]\nspacing = 5000\n"),
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("100000 new sites requested"), "{err}");
    // No candidate passes the anchor rule… without supply layers the rule is refused up front.
    let (code, err, _) = run(
        "anchor_without_supply",
        &grid_method("p = 2\n[siting.grid]\nspacing = 5000\n[siting.anchor]\nmin_facilities = 1\n"),
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("siting.anchor"), "{err}");
    // A radius ≤ 0.
    let (code, err, _) = run(
        "radius",
        &grid_method("radius = 0\np = 2\n[siting.grid]\nspacing = 5000\n"),
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("siting.radius"), "{err}");
    // Neither p nor a budget; both.
    let (code, err, _) = run("no_p", &grid_method("[siting.grid]\nspacing = 5000\n"));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("siting.p"), "{err}");
    let (code, err, _) = run(
        "p_and_budget",
        &grid_method("p = 2\nbudget = 3\n[siting.grid]\nspacing = 5000\n"),
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("siting.budget"), "{err}");
    // No candidate at all.
    let (code, err, _) = run("no_candidates", &grid_method("p = 2\n"));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("siting.candidates"), "{err}");
}
