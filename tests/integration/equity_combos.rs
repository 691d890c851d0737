//! `[siting.equity]` with opening phases, with a coverage target and with capacities (alone,
//! with phases, with a target, with a budget, with phase budgets), and with a least-cost target
//! with and without capacities (issue 33) on the Bogotá preset "one block per localidad": the
//! quotas are met by the whole plan, the neediest localidades served in the first phase; the
//! target plan reaches the share with every localidad that has an eligible candidate served,
//! and its lower bound is max(quota total, the lower bound without the rule).

use std::path::{Path, PathBuf};

use careblock_index::assess;
use careblock_io::read_method;
use careblock_pipeline::{LoadOptions, load_inputs};
use careblock_siting::plan::{PlacedBy, Plan, SiteStatus, plan};

use crate::common;

/// The Bogotá equity preset with `p = 21` replaced by `limit` (keys of `[siting]`, then
/// possibly a table, appended at the end), written with absolute data paths; run through the
/// library without the Monte Carlo.
fn bogota_equity_with(name: &str, limit: &str) -> Plan {
    let (dir, path) = write_bogota_equity(name, limit);
    let mut method = read_method(&path).unwrap();
    method.spec.uncertainty.draws = 0;
    let inputs = load_inputs(&method, &dir, &LoadOptions::default()).unwrap();
    let a = assess(&method, inputs.inputs()).unwrap();
    plan(&method, inputs.plan_inputs(), &a).unwrap()
}

/// The method file of [`bogota_equity_with`]: its folder and path.
fn write_bogota_equity(name: &str, limit: &str) -> (PathBuf, PathBuf) {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let text = std::fs::read_to_string(examples.join("bogota_equity.toml")).unwrap();
    let data = examples.join("..").join("data");
    let text = text.replace("\"../data/", &format!("\"{}/", data.display()));
    // Keys of [siting] first, then a table (from the first `[`) appended at the end.
    let (keys, table) = limit.split_at(limit.find('[').unwrap_or(limit.len()));
    let text = text.replace("\np = 21\n", &format!("\n{keys}\n")) + "\n" + table + "\n";
    let dir: PathBuf = common::fresh_dir("equity_combos", name);
    let path = dir.join("method.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// Every localidad with an eligible candidate has a block (existing or proposed).
fn every_localidad_served(p: &Plan) {
    let e = p.equity.as_ref().expect("[siting.equity]");
    assert_eq!(e.districts.len(), 20);
    for d in &e.districts {
        if d.eligible > 0 {
            assert!(d.existing + d.proposed.0 >= 1, "localidad {} has no block", d.id);
        } else {
            assert_eq!(d.short, Some("candidates"), "localidad {}", d.id);
        }
    }
    // What the sites say agrees with the per-localidad counts.
    let proposed: usize = e.districts.iter().map(|d| d.proposed.0).sum();
    let in_districts = p
        .sites
        .iter()
        .filter(|s| s.status == SiteStatus::Proposed && s.district.is_some())
        .count();
    assert_eq!(proposed, in_districts);
}

#[test]
fn bogota_equity_in_three_phases() {
    let p = bogota_equity_with("phases", "[siting.phases]\nblocks = [7, 7, 7]");
    let unphased = bogota_equity_with("unphased", "p = 21");
    every_localidad_served(&p);
    let ph = p.phases.as_ref().expect("phases");
    assert_eq!(ph.phases.len(), 3);
    let proposed: Vec<_> = p
        .sites
        .iter()
        .filter(|s| s.status == SiteStatus::Proposed)
        .collect();
    assert_eq!(proposed.len(), 21);
    // The rule's blocks go in the first phase (the three localidades short of a block fit in 7).
    let by_rule: Vec<_> = proposed
        .iter()
        .filter(|s| s.placed_by == Some(PlacedBy::Equity))
        .collect();
    assert!(!by_rule.is_empty());
    let first = ph.phases[0].name.as_str();
    assert!(by_rule.iter().all(|s| s.phase.as_deref() == Some(first)));
    // Nested phases; the cost of phasing is against the unphased plan under the rule, which is
    // the preset's own plan.
    for w in ph.phases.windows(2) {
        assert!((w[1].optimum.locked_in - w[0].optimum.objective).abs() <= 1e-9 * w[0].optimum.objective);
    }
    assert_eq!(
        ph.unphased.objective.to_bits(),
        unphased.blocks.objective.to_bits()
    );
    assert!(p.blocks.objective <= ph.unphased.objective * (1.0 + 1e-9));
    // The cost of equity: the same phases without the rule cover at least as much here.
    let e = p.equity.as_ref().unwrap();
    assert!(e.without.objective >= p.blocks.objective * (1.0 - 1e-9));
    assert!(p.blocks.bound >= p.blocks.objective);
    let total = e.without.total_demand;
    eprintln!(
        "phases under the rule: {:.4} (unphased {:.4}, same phases without the rule {:.4}), by rule {}",
        p.blocks.objective / total,
        ph.unphased.objective / total,
        e.without.objective / total,
        by_rule.len()
    );
}

#[test]
fn bogota_equity_target() {
    let p = bogota_equity_with("target", "target_share = 0.40");
    every_localidad_served(&p);
    let t = p.target.as_ref().expect("target");
    assert!(t.reached);
    assert!(p.blocks.objective >= t.goal * (1.0 - 1e-12));
    let e = p.equity.as_ref().unwrap();
    // The lower bound is at least the new blocks the minimums need.
    let needed: usize = e
        .districts
        .iter()
        .filter(|d| d.eligible > 0)
        .map(|d| d.min.saturating_sub(d.existing))
        .sum();
    assert!(needed > 0);
    assert!(
        t.lower >= needed && t.lower <= t.blocks,
        "{} {} {needed}",
        t.lower,
        t.blocks
    );
    let proposed = p
        .sites
        .iter()
        .filter(|s| s.status == SiteStatus::Proposed)
        .count();
    assert_eq!(proposed, t.blocks);
    // Without the rule the share takes no more blocks than with it, and no fewer than proven.
    let without = t.without_rule.expect("the count without the rule");
    assert!(without <= t.blocks, "{without} > {}", t.blocks);
    eprintln!(
        "target 40 % under the rule: {} blocks, lower {}, objective {:.4}, without the rule at that count {:.4}",
        t.blocks,
        t.lower,
        p.blocks.objective / e.without.total_demand,
        e.without.objective / e.without.total_demand
    );
}

#[test]
fn bogota_equity_with_capacities() {
    let p = bogota_equity_with("capacity", "p = 21\ncapacity = 60000");
    every_localidad_served(&p);
    let c = p.capacity.as_ref().expect("capacitated");
    assert!(c.assigned <= c.capacity * (1.0 + 1e-12));
    for s in p.sites.iter().filter(|s| s.status != SiteStatus::Bus) {
        let (cap, load) = s.capacity.expect("every block has a capacity");
        assert!(load <= cap * (1.0 + 1e-12), "block {} over capacity", s.id);
    }
    assert!(p.blocks.bound >= p.blocks.objective);
    let e = p.equity.as_ref().unwrap();
    // The bound is the capacitated one without the rule.
    assert!(p.blocks.bound >= e.without.objective * (1.0 - 1e-12));
    let by_rule = p
        .sites
        .iter()
        .filter(|s| s.placed_by == Some(PlacedBy::Equity))
        .count();
    assert!(by_rule > 0);
    let total = e.without.total_demand;
    eprintln!(
        "capacities under the rule: assigned {:.4} (without the rule {:.4}), bound {:.4}, gap {:.4}, by rule {by_rule}",
        p.blocks.objective / total,
        e.without.objective / total,
        p.blocks.bound / total,
        p.blocks.gap
    );
}

/// Capacities, the rule and three phases of 7 blocks: each phase capacitated under the whole
/// plan's minimums, the rule's blocks in the first phase, every block within its capacity.
#[test]
fn bogota_equity_with_capacities_in_three_phases() {
    let p = bogota_equity_with(
        "capacity_phases",
        "capacity = 60000\n[siting.phases]\nblocks = [7, 7, 7]",
    );
    let unphased = bogota_equity_with("capacity_unphased", "p = 21\ncapacity = 60000");
    every_localidad_served(&p);
    let c = p.capacity.as_ref().expect("capacitated");
    assert!(c.assigned <= c.capacity * (1.0 + 1e-12));
    for s in p.sites.iter().filter(|s| s.status != SiteStatus::Bus) {
        let (cap, load) = s.capacity.expect("every block has a capacity");
        assert!(load <= cap * (1.0 + 1e-12), "block {} over capacity", s.id);
    }
    let ph = p.phases.as_ref().expect("phases");
    assert_eq!(ph.phases.len(), 3);
    assert!(ph.phases.iter().all(|x| x.blocks == 7));
    let proposed: Vec<_> = p
        .sites
        .iter()
        .filter(|s| s.status == SiteStatus::Proposed)
        .collect();
    assert_eq!(proposed.len(), 21);
    let by_rule: Vec<_> = proposed
        .iter()
        .filter(|s| s.placed_by == Some(PlacedBy::Equity))
        .collect();
    assert!(!by_rule.is_empty());
    let first = ph.phases[0].name.as_str();
    assert!(by_rule.iter().all(|s| s.phase.as_deref() == Some(first)));
    // Nested phases, each within its bound; the assigned demand is the last phase's.
    for w in ph.phases.windows(2) {
        assert!((w[1].optimum.locked_in - w[0].optimum.objective).abs() <= 1e-9 * w[0].optimum.objective);
    }
    for x in &ph.phases {
        assert!(x.optimum.bound >= x.optimum.objective);
    }
    assert!((c.assigned - p.blocks.objective).abs() <= 1e-9 * c.assigned);
    // The cost of phasing is against the unphased capacitated plan under the rule.
    assert_eq!(
        ph.unphased.objective.to_bits(),
        unphased.blocks.objective.to_bits()
    );
    let e = p.equity.as_ref().unwrap();
    let total = e.without.total_demand;
    eprintln!(
        "capacities and phases under the rule: assigned {:.4} (unphased {:.4}, same phases without the rule {:.4}), last phase bound {:.4}, by rule {}",
        p.blocks.objective / total,
        ph.unphased.objective / total,
        e.without.objective / total,
        p.blocks.bound / total,
        by_rule.len()
    );
}

/// Capacities, the rule and a target: the fewest capacitated blocks found whose assigned
/// demand reaches the share with every localidad served; the lower bound is at least the
/// blocks the minimums need, and the note says what the share takes without the rule.
#[test]
fn bogota_equity_with_capacities_and_a_target() {
    let p = bogota_equity_with("capacity_target", "capacity = 60000\ntarget_share = 0.30");
    every_localidad_served(&p);
    let t = p.target.as_ref().expect("target");
    assert!(t.reached);
    let c = p.capacity.as_ref().expect("capacitated");
    assert!(c.assigned >= t.goal * (1.0 - 1e-12));
    assert!((c.assigned - p.blocks.objective).abs() <= 1e-9 * c.assigned);
    for s in p.sites.iter().filter(|s| s.status != SiteStatus::Bus) {
        let (cap, load) = s.capacity.expect("every block has a capacity");
        assert!(load <= cap * (1.0 + 1e-12), "block {} over capacity", s.id);
    }
    let e = p.equity.as_ref().unwrap();
    let needed: usize = e
        .districts
        .iter()
        .filter(|d| d.eligible > 0)
        .map(|d| d.min.saturating_sub(d.existing))
        .sum();
    assert!(needed > 0);
    assert!(
        t.lower >= needed && t.lower <= t.blocks,
        "{} {} {needed}",
        t.lower,
        t.blocks
    );
    let proposed = p
        .sites
        .iter()
        .filter(|s| s.status == SiteStatus::Proposed)
        .count();
    assert_eq!(proposed, t.blocks);
    // The note: what the share takes without the rule.
    let note = p
        .notes
        .iter()
        .find(|n| n.key == "siting.equity_target_without")
        .expect("the note on the target without the rule");
    let worded = note.to_string();
    assert!(worded.contains(&format!("({} with it)", t.blocks)), "{worded}");
    eprintln!(
        "capacitated target 30 % under the rule: {} blocks, lower {}, assigned {:.4}, without the rule at that count {:.4}; {worded}",
        t.blocks,
        t.lower,
        p.blocks.objective / e.without.total_demand,
        e.without.objective / e.without.total_demand
    );
}

/// [`write_bogota_equity`] with a cost per public school (1 to 5, a copy of the layer with a
/// `cost` column; the other candidate layers cost 1 each) and no Monte Carlo, run by the CLI.
fn run_bogota_equity_costed(name: &str, limit: &str) -> common::RunOutcome {
    let (dir, path) = write_bogota_equity(name, limit);
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let schools = examples.join("../data/bogota/candidates/colegios_publicos.geojson");
    let mut layer: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&schools).unwrap()).unwrap();
    for (k, f) in layer["features"].as_array_mut().unwrap().iter_mut().enumerate() {
        f["properties"]["cost"] = serde_json::json!(1 + (k * 7) % 5);
    }
    std::fs::write(dir.join("schools.geojson"), layer.to_string()).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let data = examples.join("..").join("data");
    let text = text
        .replacen(
            &format!(
                "path = \"{}/bogota/candidates/colegios_publicos.geojson\"\nid = \"sede_id\"\n",
                data.display()
            ),
            &format!(
                "path = \"{}\"\nid = \"sede_id\"\ncost = \"cost\"\n",
                dir.join("schools.geojson").display()
            ),
            1,
        )
        .replacen("draws = 1000", "draws = 0", 1);
    assert!(
        text.contains("cost = \"cost\""),
        "the schools' path was not replaced"
    );
    std::fs::write(&path, text).unwrap();
    common::run_method_in(&dir)
}

fn run_json(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap()
}

/// The rule's figures in run.json: every localidad with an eligible candidate served, the
/// bound at least the objective, the cost of equity against the same limit without the rule.
fn equity_in_run_json(j: &serde_json::Value, what: &str) {
    let e = &j["siting"]["equity"];
    for d in e["districts"].as_array().unwrap() {
        if d["eligible"].as_u64().unwrap() > 0 {
            assert!(
                d["existing"].as_u64().unwrap() + d["new_with_rule"].as_u64().unwrap() >= 1,
                "{what}: localidad {} has no block",
                d["id"]
            );
        }
    }
    let (with, without) = (
        e["objective_with_rule"].as_f64().unwrap(),
        e["objective_without_rule"].as_f64().unwrap(),
    );
    let objective = j["objective"].as_f64().unwrap();
    let bound = j["bound"].as_f64().unwrap();
    assert!((with - objective).abs() <= 1e-9 * objective, "{what}");
    assert!(bound >= objective, "{what}");
    let gap = j["gap"].as_f64().unwrap();
    assert!((gap - (bound - objective) / bound).abs() < 1e-9, "{what}");
    assert!(e["placed_by_equity"].as_u64().unwrap() >= 1, "{what}");
    eprintln!(
        "{what}: objective {objective:.0}, bound {bound:.0}, gap {gap:.4}, without the rule {without:.0}, placed by the rule {}",
        e["placed_by_equity"]
    );
}

/// The proposed blocks of a run (sites.csv) with their cost (the schools' from the layer, 1
/// for the other kinds) and phase.
fn proposed_costs(out: &Path) -> Vec<(String, f64, String)> {
    let csv = std::fs::read_to_string(out.join("sites.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| header.iter().position(|h| *h == n);
    let (id, status, kind) = (col("id").unwrap(), col("status").unwrap(), col("kind").unwrap());
    let phase = col("phase");
    let schools: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("data/bogota/candidates/colegios_publicos.geojson"),
        )
        .unwrap(),
    )
    .unwrap();
    let cost_of: std::collections::HashMap<String, f64> = schools["features"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(k, f)| {
            (
                f["properties"]["sede_id"].as_str().unwrap().to_string(),
                (1 + (k * 7) % 5) as f64,
            )
        })
        .collect();
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|r| r[status] == "proposed")
        .map(|r| {
            let c = if r[kind] == "colegio público" {
                cost_of[r[id]]
            } else {
                1.0
            };
            (
                r[id].to_string(),
                c,
                phase.map_or(String::new(), |p| r[p].to_string()),
            )
        })
        .collect()
}

/// Capacities, the rule and a budget (no longer refused): the minimums met first within the
/// budget, the plan affordable and every block within its capacity; the bound is the
/// capacitated budget bound without the rule.
#[test]
fn bogota_equity_with_capacities_and_a_budget() {
    let (code, _, err, out) = run_bogota_equity_costed("capacity_budget", "capacity = 60000\nbudget = 40");
    assert_eq!(code, Some(0), "{err}");
    let j = run_json(&out);
    equity_in_run_json(&j, "capacities and a budget of 40");
    let spent: f64 = proposed_costs(&out).iter().map(|x| x.1).sum();
    assert!((30.0..=40.0).contains(&spent), "{spent}");
    let c = &j["siting"]["capacity"];
    for s in c["sites"].as_array().unwrap() {
        assert!(s["load"].as_f64().unwrap() <= s["capacity"].as_f64().unwrap() * (1.0 + 1e-12));
    }
    let without = &j["siting"]["equity"]["without_rule"];
    assert!(j["bound"].as_f64().unwrap() <= without["bound"].as_f64().unwrap() * (1.0 + 1e-12));
}

/// Capacities, the rule and phase budgets (no longer refused): each phase within its budget,
/// the rule's blocks in the first phase, the phases nested.
#[test]
fn bogota_equity_with_capacities_and_phase_budgets() {
    let (code, _, err, out) = run_bogota_equity_costed(
        "capacity_phase_budgets",
        "capacity = 60000\n[siting.phases]\nbudget = [20, 20]",
    );
    assert_eq!(code, Some(0), "{err}");
    let j = run_json(&out);
    equity_in_run_json(&j, "capacities and phase budgets of 20 and 20");
    let sites = proposed_costs(&out);
    let phases = j["siting"]["phases"]["phases"].as_array().unwrap();
    assert_eq!(phases.len(), 2);
    for ph in phases {
        let name = ph["name"].as_str().unwrap();
        let spent: f64 = sites.iter().filter(|x| x.2 == name).map(|x| x.1).sum();
        assert!(spent <= 20.0, "phase {name}: {spent}");
        assert_eq!(ph["cost"].as_f64().unwrap(), spent, "phase {name}");
        assert!(ph["bound"].as_f64().unwrap() >= ph["covered_after"].as_f64().unwrap());
    }
    let first = phases[0]["name"].as_str().unwrap();
    let csv = std::fs::read_to_string(out.join("sites.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let (placed, phase) = (
        header.iter().position(|h| *h == "placed_by").unwrap(),
        header.iter().position(|h| *h == "phase").unwrap(),
    );
    let rule: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|r| r[placed] == "equity")
        .collect();
    assert!(!rule.is_empty());
    assert!(
        rule.iter().all(|r| r[phase] == first),
        "the rule's blocks outside the first phase"
    );
}

/// A least-cost target under the rule (no longer refused), without and with capacities: the
/// plan reaches the share with every localidad served, costs what run.json says, and the
/// proven lower bound on the cost is at least the minimums' cheapest cost and at most the cost.
#[test]
fn bogota_equity_with_a_least_cost_target() {
    for (name, extra, share) in [
        ("cost_target", "", 0.35),
        ("capacity_cost_target", "capacity = 60000\n", 0.30),
    ] {
        let (code, stdout, err, out) = run_bogota_equity_costed(
            name,
            &format!("{extra}target_share = {share}\ntarget_minimise = \"cost\""),
        );
        assert_eq!(code, Some(0), "{name}: {err}");
        let j = run_json(&out);
        equity_in_run_json(&j, name);
        let t = &j["siting"]["target"];
        assert_eq!(t["reached"], true, "{name}");
        assert_eq!(t["minimise"], "cost", "{name}");
        let c = &t["cost"];
        let (spent, lower) = (c["spent"].as_f64().unwrap(), c["lower_bound"].as_f64().unwrap());
        let sites = proposed_costs(&out);
        let paid: f64 = sites.iter().map(|x| x.1).sum();
        assert!((paid - spent).abs() < 1e-9, "{name}: {paid} vs {spent}");
        assert_eq!(sites.len() as u64, t["blocks"].as_u64().unwrap());
        // Every localidad short of a block needs one: at least one block (cost ≥ 1) each.
        let needed = j["siting"]["equity"]["districts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["eligible"].as_u64().unwrap() > 0 && d["existing"].as_u64().unwrap() == 0)
            .count() as f64;
        assert!(
            lower >= needed && lower <= spent,
            "{name}: lower {lower}, spent {spent}, needed {needed}"
        );
        let objective = j["objective"].as_f64().unwrap();
        assert!(objective >= t["goal"].as_f64().unwrap() * (1.0 - 1e-12), "{name}");
        assert!(stdout.contains("equity"), "{name}: {stdout}");
        eprintln!(
            "{name}: {} blocks costing {spent} (lower bound {lower}, gap {}), solves {}, without the rule {} blocks",
            sites.len(),
            c["gap"],
            t["solves"],
            t["blocks_without_rule"]
        );
    }
}
