//! Siting from a user's cost table (issue 33): a table of straight-line centroid distances
//! must give exactly the siting of the radius rule (same sites, same objective), on the bundled
//! Bogotá preset; and bad tables are one-line errors naming the file, row and column.

use std::fmt::Write as _;
use std::path::Path;

use careblock_core::join::points::centroids;
use careblock_index::assess;
use careblock_io::read_method;
use careblock_method::CostsSpec;
use careblock_pipeline::{LoadOptions, load_inputs};
use careblock_siting::plan::{SiteStatus, plan};
use geo::{Distance, Euclidean};
use toml::Spanned;

#[test]
fn a_table_of_straight_line_distances_sites_like_the_radius() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bogota.toml");
    let mut method = read_method(&path).unwrap();
    method.spec.uncertainty.draws = 0;
    method.spec.siting.as_mut().unwrap().bus = None;
    let base = path.parent().unwrap();
    let inputs = load_inputs(&method, base, &LoadOptions::default()).unwrap();
    let a = assess(&method, inputs.inputs()).unwrap();
    let circles = plan(&method, inputs.plan_inputs(), &a).unwrap();

    // The table: every unit–site pair within 1,200 m, as r5py or OSRM would give with a
    // cut-off; the candidates and every existing block (the inactive ones too: rows for sites
    // the method filters out are noted, not errors).
    let cents = centroids(&inputs.units);
    let mut csv = String::from("unit_id,site_id,metres\n");
    let mut rows = 0;
    // Sites as kind:id, since ids repeat across the candidate layers.
    let kinds: Vec<String> = method
        .spec
        .siting
        .as_ref()
        .unwrap()
        .candidates
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let layers = inputs
        .candidates
        .iter()
        .zip(kinds)
        .chain(inputs.existing.iter().map(|l| (l, "existing".to_string())));
    for (layer, kind) in layers {
        for (k, p) in layer.points().unwrap().into_iter().enumerate() {
            let Some(p) = p else { continue };
            for (u, c) in cents.iter().enumerate() {
                let Some(c) = c else { continue };
                let d = Euclidean.distance(p, *c);
                if d <= 1200.0 {
                    writeln!(csv, "{},{kind}:{},{d:?}", inputs.units.ids[u], layer.ids[k]).unwrap();
                    rows += 1;
                }
            }
        }
    }
    assert!(rows > 5_000, "{rows}");
    let out = crate::common::fresh_dir("cost_table", "bogota");
    let table = out.join("od.csv");
    std::fs::write(&table, csv).unwrap();
    let st = method.spec.siting.as_mut().unwrap();
    st.costs = Some(CostsSpec {
        path: Spanned::new(0..0, table.display().to_string()),
        unit: "unit_id".into(),
        site: "site_id".into(),
        cost: "metres".into(),
    });
    st.anchor.as_mut().unwrap().radius = Some(Spanned::new(0..0, 800.0));
    let inputs = load_inputs(&method, base, &LoadOptions::default()).unwrap();
    let p = plan(&method, inputs.plan_inputs(), &a).unwrap();
    let ids = |p: &careblock_siting::plan::Plan| -> Vec<String> {
        p.sites
            .iter()
            .filter(|s| s.status == SiteStatus::Proposed)
            .map(|s| s.id.clone())
            .collect()
    };
    assert_eq!(ids(&p), ids(&circles));
    assert_eq!(p.blocks.objective, circles.blocks.objective);
    assert_eq!(p.costs.as_deref(), Some(table.display().to_string().as_str()));
    assert!(
        p.notes
            .iter()
            .any(|n| n.to_string().contains("coverage from the cost table")),
        "{:?}",
        p.notes
    );
    // The assignments' cost is the table's, within the radius.
    assert_eq!(p.assignments.len(), circles.assignments.len());
    for (x, y) in p.assignments.iter().zip(&circles.assignments) {
        assert_eq!((x.unit, x.site), (y.unit, y.site));
        assert!((x.distance - y.distance).abs() < 1e-6 && x.distance <= 800.0);
    }
}

/// A method on the Los Lagos zones with a candidate layer of its own and a cost table, run.
fn run_case(name: &str, table: &str) -> crate::common::RunOutcome {
    let d = crate::common::fresh_dir("cost_table", name);
    std::fs::write(
        d.join("sites.geojson"),
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"A"},"geometry":{"type":"Point","coordinates":[-72.94,-41.47]}},
{"type":"Feature","properties":{"id":"B"},"geometry":{"type":"Point","coordinates":[-73.05,-41.32]}}]}"#,
    )
    .unwrap();
    std::fs::write(d.join("od.csv"), table).unwrap();
    let method = crate::common::los_lagos_method(
        r#"[siting]
radius = 15
p = 1
costs = { path = "od.csv", unit = "zone", site = "site", cost = "minutes" }
[[siting.candidates]]
name = "site"
path = "sites.geojson"
id = "id"
"#,
    );
    std::fs::write(d.join("method.toml"), method).unwrap();
    crate::common::run_method_in(&d)
}

#[test]
fn the_cli_sites_from_a_table_and_refuses_bad_ones() {
    let units = careblock_io::read_layer(
        Path::new(&crate::common::chile("zonas_censales_2017_los_lagos.geojson")),
        &careblock_io::ReadOptions {
            id_field: Some("geocodigo".into()),
            ..Default::default()
        },
    )
    .unwrap()
    .0;
    let (z0, z1, z2) = (&units.ids[0], &units.ids[1], &units.ids[2]);
    let good =
        format!("zone,site,minutes\n{z0},A,10\n{z1},A,20\n{z1},B,5\n{z2},B,14.5\n{z2},C,1\nnot-a-zone,A,3\n");
    let (code, stdout, err, out) = run_case("good", &good);
    assert_eq!(code, Some(0), "{err}");
    assert!(stdout.contains("coverage from the cost table"), "{stdout}");
    assert!(
        stdout.contains("1 row(s) of the cost table name units"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 row(s) of the cost table name sites"),
        "{stdout}"
    );
    let assignments = std::fs::read_to_string(out.join("assignments.csv")).unwrap();
    assert!(
        assignments.lines().next().unwrap().contains("cost"),
        "{assignments}"
    );
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(j["siting"]["costs"]["radius"], 15.0);
    assert!(j["inputs"].to_string().contains("od.csv") || j.to_string().contains("\"costs\""));

    for (name, table, expect) in [
        (
            "negative",
            format!("zone,site,minutes\n{z0},A,10\n{z1},A,-2\n"),
            "data row 2",
        ),
        (
            "twice",
            format!("zone,site,minutes\n{z0},A,10\n{z0},A,12\n"),
            "given twice",
        ),
        (
            "text_cost",
            format!("zone,site,minutes\n{z0},A,ten\n"),
            "not numbers",
        ),
        (
            "empty_cost",
            format!("zone,site,minutes\n{z0},A,\n{z1},A,3\n"),
            "data row 1",
        ),
        ("no_column", format!("zone,place,minutes\n{z0},A,10\n"), "site"),
    ] {
        let (code, _, err, out) = run_case(name, &table);
        assert_eq!(code, Some(2), "{name}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{name}: one line: {err}");
        assert!(err.contains("od.csv") && err.contains(expect), "{name}: {err}");
        assert!(!out.exists(), "{name}: wrote {}", out.display());
    }
}
