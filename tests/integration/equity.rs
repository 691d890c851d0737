//! Territorial equity in siting (issue 9): the Bogotá preset "one block per localidad" on the
//! bundled real data, checked against an independent recomputation of which localidad each
//! site lies in and which candidates pass the anchor rule; and the CLI outputs of the rule (a
//! path of its own as the district layer) on the Los Lagos zones with a grid of candidates.

use std::path::{Path, PathBuf};
use std::process::Command;

use careblock_index::assess;
use careblock_io::read_method;
use careblock_pipeline::{LoadOptions, load_inputs};
use careblock_siting::plan::{PlacedBy, SiteStatus, plan};
use geo::{Distance, Euclidean, Intersects, Point};

use crate::common;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)
}

#[test]
fn bogota_one_block_per_localidad() {
    let path = example("bogota_equity.toml");
    let mut method = read_method(&path).unwrap();
    method.spec.uncertainty.draws = 0; // not under test here
    let inputs = load_inputs(&method, path.parent().unwrap(), &LoadOptions::default()).unwrap();
    let a = assess(&method, inputs.inputs()).unwrap();
    let p = plan(&method, inputs.plan_inputs(), &a).unwrap();
    let e = p.equity.as_ref().expect("the preset declares [siting.equity]");
    assert_eq!(e.districts.len(), 20, "the 20 localidades");
    let localidades = &inputs.coarse[0];
    assert_eq!(
        e.districts.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        localidades.ids.iter().map(String::as_str).collect::<Vec<_>>()
    );
    let polys = localidades.polygons().unwrap();
    // Brute force: the localidad containing a point, by testing every polygon.
    let localidad_of = |pt: Point<f64>| polys.iter().position(|poly| poly.intersects(&pt));

    // Independent eligibility: the anchor rule (2 other care facilities within 800 m).
    let facilities: Vec<Point<f64>> = inputs
        .supply
        .iter()
        .flat_map(|l| l.points().unwrap().into_iter().flatten())
        .collect();
    let n_candidate_layers = method.spec.siting.as_ref().unwrap().candidates.len();
    let mut eligible_in = vec![0usize; 20];
    for layer in &inputs.candidates[..n_candidate_layers] {
        for pt in layer.points().unwrap().into_iter().flatten() {
            let near = facilities
                .iter()
                .filter(|f| {
                    let d = Euclidean.distance(**f, pt);
                    d > 1.0 && d <= 800.0
                })
                .count();
            if near >= 2
                && let Some(l) = localidad_of(pt)
            {
                eligible_in[l] += 1;
            }
        }
    }
    assert_eq!(
        e.districts.iter().map(|d| d.eligible).collect::<Vec<_>>(),
        eligible_in,
        "eligible candidates per localidad"
    );

    // Blocks per localidad (existing + proposed), recomputed from the site locations.
    let mut blocks = [0usize; 20];
    let mut existing = [0usize; 20];
    for s in p.sites.iter().filter(|s| s.status != SiteStatus::Bus) {
        let l = localidad_of(s.point);
        assert_eq!(
            s.district.as_deref(),
            l.map(|l| localidades.ids[l].as_str()),
            "site {}",
            s.id
        );
        if let Some(l) = l {
            blocks[l] += 1;
            existing[l] += usize::from(s.status == SiteStatus::Existing);
        }
    }
    for (l, d) in e.districts.iter().enumerate() {
        assert_eq!(
            (d.existing, d.existing + d.proposed.0),
            (existing[l], blocks[l]),
            "{}",
            d.id
        );
        if eligible_in[l] > 0 || existing[l] > 0 {
            assert!(blocks[l] >= 1, "localidad {} has no block", d.id);
            assert_eq!(d.short, None, "{}", d.id);
        } else {
            // Cannot be met: reported by id, and the run went on.
            assert_eq!(d.short, Some("candidates"), "{}", d.id);
            assert!(
                p.notes
                    .iter()
                    .any(|n| n.to_string().contains(&format!("district {} (", d.id))
                        && n.to_string().contains("cannot reach its minimum")),
                "{:?}",
                p.notes
            );
        }
    }
    assert!(
        e.districts.iter().any(|d| d.short.is_some()),
        "Sumapaz has no eligible candidate"
    );

    // Placed by: every proposed site says why; the rule placed at least one, each in a
    // localidad the unconstrained solution leaves without a new block and without an existing one.
    let proposed: Vec<_> = p
        .sites
        .iter()
        .filter(|s| s.status == SiteStatus::Proposed)
        .collect();
    assert_eq!(proposed.len(), 21);
    assert!(proposed.iter().all(|s| s.placed_by.is_some()));
    let by_rule: Vec<_> = proposed
        .iter()
        .filter(|s| s.placed_by == Some(PlacedBy::Equity))
        .collect();
    assert!(!by_rule.is_empty());
    for s in &by_rule {
        let d = e
            .districts
            .iter()
            .find(|d| Some(&d.id) == s.district.as_ref())
            .unwrap();
        assert_eq!((d.existing, d.proposed.1), (0, 0), "{}", d.id);
    }
    // The ranking curve keeps its order.
    let mut prev = p.blocks.locked_in;
    for (k, s) in proposed.iter().enumerate() {
        assert_eq!(s.rank, Some(k + 1));
        assert!((s.cumulative - (prev + s.marginal_gain)).abs() < 1e-6 * p.blocks.objective);
        prev = s.cumulative;
    }

    // The cost of equity: with the rule ≤ without, both ≤ the bound.
    let b = &p.blocks;
    assert!(
        b.objective <= e.without.objective * (1.0 + 1e-12),
        "{} > {}",
        b.objective,
        e.without.objective
    );
    assert!(b.objective <= b.bound && e.without.objective <= e.without.bound);
    assert!(b.bound <= e.without.bound + 1e-9 * b.bound);
    assert!((b.gap - (b.bound - b.objective) / b.bound).abs() < 1e-12);
    // Per localidad, covered demand adds up to at most the objective (a few units lie in no
    // localidad), and is never above the localidad's demand.
    let (with, without): (f64, f64) = e
        .districts
        .iter()
        .fold((0.0, 0.0), |acc, d| (acc.0 + d.covered.0, acc.1 + d.covered.1));
    assert!(
        with <= b.objective * (1.0 + 1e-9) && with >= 0.99 * b.objective,
        "{with} vs {}",
        b.objective
    );
    assert!(without <= e.without.objective * (1.0 + 1e-9) && without >= 0.99 * e.without.objective);
    for d in &e.districts {
        assert!(d.covered.0 <= d.demand * (1.0 + 1e-9) && d.covered.1 <= d.demand * (1.0 + 1e-9));
    }
    // The UPZ table gets the same comparison.
    assert_eq!(e.district_covered.len(), 116);
    let upz_with: f64 = e.district_covered.iter().map(|c| c.0).sum();
    assert!((upz_with - with).abs() <= 0.01 * b.objective);
}

/// A method on the Los Lagos zones, comunas as districts, a grid of candidates.
fn grid_method(siting: &str) -> String {
    format!(
        r#"crs = 32718
[units]
path = "{units}"
id = "geocodigo"
population = "pob_total"

[districts]
path = "{comunas}"
id = "codigo_comuna"

[[indicators]]
name = "share_0_5"
dimension = "care_demand"
kind = "share"
numerator = "pob_0a5"
denominator = "pob_total"

[uncertainty]
draws = 0

[siting]
radius = 800
p = 12
[siting.grid]
spacing = 1000
{siting}
"#,
        units = common::chile("zonas_censales_2017_los_lagos.geojson"),
        comunas = common::chile("comunas_r10.geojson"),
    )
}

fn run(name: &str, text: &str) -> (Option<i32>, String, String, PathBuf) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("equity").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("method.toml"), text).unwrap();
    let out = dir.join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_careblock"))
        .arg("run")
        .arg(dir.join("method.toml"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    if !o.status.success() {
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
        assert!(!out.exists(), "a failed run wrote {}", out.display());
    }
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).to_string(),
        stderr,
        out,
    )
}

#[test]
fn the_cli_reports_the_rule_and_its_cost() {
    // The comunas again, as a layer of its own: at least one block in each comuna whose need
    // (population-weighted mean index) exceeds 55, at most 2 blocks in any comuna.
    let equity = format!(
        "[siting.equity]\npath = \"{}\"\nid = \"codigo_comuna\"\nmin = 1\nmax = 2\nmin_if_need_above = 55\n",
        common::chile("comunas_r10.geojson")
    );
    let (code, stdout, err, out) = run("grid", &grid_method(&equity));
    assert_eq!(code, Some(0), "{err}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let e = &report["siting"]["equity"];
    let (with, without) = (
        e["objective_with_rule"].as_f64().unwrap(),
        e["objective_without_rule"].as_f64().unwrap(),
    );
    assert!(
        with < without,
        "the rule costs coverage here: {with} vs {without}"
    );
    assert!((e["difference"].as_f64().unwrap() - (without - with)).abs() < 1e-9 * without);
    assert!(with <= e["bound"].as_f64().unwrap());
    assert_eq!(e["short"].as_array().map(Vec::len), Some(0), "{e}");
    let districts = e["districts"].as_array().unwrap();
    let (mut needy, mut capped) = (0, 0);
    for d in districts {
        let blocks = d["existing"].as_u64().unwrap() + d["new_with_rule"].as_u64().unwrap();
        assert!(blocks <= 2, "{d}");
        capped += usize::from(d["new_without_rule"].as_u64().unwrap() > 2);
        if d["need"].as_f64().is_some_and(|n| n > 55.0) {
            needy += 1;
            assert_eq!(d["min"].as_u64(), Some(1), "{d}");
            assert!(blocks >= 1 || d["eligible"].as_u64() == Some(0), "{d}");
        } else {
            assert_eq!(d["min"].as_u64(), Some(0), "{d}");
        }
    }
    assert!(
        needy >= 3 && capped >= 1,
        "{needy} needy comunas, {capped} above the cap without the rule"
    );
    let curve = report["siting"]["ranking_curve"].as_array().unwrap();
    assert!(
        curve
            .iter()
            .all(|c| c["placed_by"] == "equity" || c["placed_by"] == "coverage")
    );
    // The sites table says why each proposed site is there, and in which district.
    let sites = std::fs::read_to_string(out.join("sites.csv")).unwrap();
    let header: Vec<&str> = sites.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "placed_by").unwrap();
    assert!(header.contains(&"district"));
    let flags: Vec<&str> = sites
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(col).unwrap())
        .collect();
    assert_eq!(
        flags.iter().filter(|f| **f == "equity").count() as u64,
        e["placed_by_equity"].as_u64().unwrap()
    );
    assert_eq!(flags.len(), curve.len());
    // One equity row per comuna; the comuna table gets the with/without columns.
    let table = std::fs::read_to_string(out.join("equity.csv")).unwrap();
    assert_eq!(table.lines().count(), 1 + districts.len());
    let header = std::fs::read_to_string(out.join("districts.csv")).unwrap();
    let header = header.lines().next().unwrap();
    assert!(
        header.contains("need_eq") && header.contains("need_noeq"),
        "{header}"
    );
    assert!(
        stdout.contains("equity (") && stdout.contains("without"),
        "{stdout}"
    );

    // Without the rule: no equity output at all.
    let (code, _, err, out) = run("plain", &grid_method(""));
    assert_eq!(code, Some(0), "{err}");
    assert!(!out.join("equity.csv").exists());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert!(report["siting"].get("equity").is_none());
    assert!(report["siting"]["ranking_curve"][0].get("placed_by").is_none());
    // And with the same p, the plain run's objective is the rule's "without".
    assert_eq!(report["siting"]["blocks"]["objective"].as_f64().unwrap(), without);

    // Bad settings fail with the key and line, and write nothing.
    let (code, _, err, _) = run(
        "unknown",
        &grid_method("[siting.equity]\nlayer = \"provincias\"\n"),
    );
    assert_eq!(code, Some(2));
    assert!(
        err.contains("siting.equity.layer") && err.contains("\"provincias\""),
        "{err}"
    );
    let (code, _, err, _) = run(
        "minmax",
        &grid_method("[siting.equity]\nlayer = \"districts\"\nmin = 3\nmax = 2\n"),
    );
    assert_eq!(code, Some(2));
    assert!(
        err.contains("siting.equity.max") && err.contains("below the minimum"),
        "{err}"
    );
}
