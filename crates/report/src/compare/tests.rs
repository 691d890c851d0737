use std::path::PathBuf;

use careblock_text::Lang;
use serde_json::json;

use super::diff::spearman;
use super::*;

fn table(file: &str, ids: &[&str], rank: &[Option<f64>], class: &[Option<f64>]) -> LevelTable {
    LevelTable {
        file: file.into(),
        ids: ids.iter().map(|s| s.to_string()).collect(),
        labels: ids.iter().map(|s| Some(format!("<{s}>"))).collect(),
        index: rank.iter().map(|r| r.map(|r| 100.0 - r)).collect(),
        rank: rank.to_vec(),
        class: class.to_vec(),
        covered_after: vec![None; ids.len()],
    }
}

fn site(status: &str, id: &str, rank: Option<f64>) -> SiteRow {
    SiteRow {
        status: status.into(),
        id: id.into(),
        kind: Some("school".into()),
        name: Some(format!("site {id}")),
        lon: Some(-74.0),
        lat: Some(4.6),
        rank,
        gain: rank.map(|r| 1000.0 / r),
    }
}

fn output(dir: &str, units: LevelTable, sites: Option<Vec<SiteRow>>, weight: f64) -> RunOutput {
    RunOutput {
        dir: PathBuf::from(dir),
        run: json!({
            "careblock": "0.1.0",
            "name": "test",
            "crs": "EPSG:9377",
            "resolved_method": {
                "dimensions": {"supply_gap": {"weight": weight, "label": "gap"}},
                "indicators": [{"name": "x", "weight": null}, {"name": "y", "weight": 1.0}],
                "units": {"path": format!("{dir}/units.shp"), "id": "code"},
            },
            "inputs": [
                {"role": "method", "path": format!("{dir}/m.toml"), "sha256": format!("{weight}")},
                {"role": "units", "path": format!("{dir}/units.shp"), "sha256": "abc"},
            ],
            "siting": {"proposed": 2, "bus_stops": 0,
                "blocks": {"total_demand": 100.0, "locked_in": 10.0, "objective": 40.0 * weight, "bound": 41.0 * weight}},
        }),
        units,
        districts: None,
        sites,
        shapes: None,
    }
}

#[test]
fn spearman_is_one_for_the_same_order_minus_one_reversed_and_averages_ties() {
    assert_eq!(spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]), Some(1.0));
    assert_eq!(spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), Some(-1.0));
    assert_eq!(spearman(&[1.0], &[1.0]), None);
    assert_eq!(spearman(&[1.0, 1.0], &[1.0, 2.0]), None);
    // x = 1,2,3,4; y ranks with a tie: 1, 2.5, 2.5, 4 → ρ = 4.5 / sqrt(5 × 4.5).
    let r = spearman(&[1.0, 2.0, 3.0, 4.0], &[5.0, 7.0, 7.0, 9.0]).unwrap();
    assert!((r - 4.5 / (5.0f64 * 4.5).sqrt()).abs() < 1e-12, "{r}");
}

#[test]
fn ranks_classes_sites_coverage_and_method_changes_are_counted() {
    let a = output(
        "a",
        table(
            "a/units.csv",
            &["u1", "u2", "u3", "u4"],
            &[Some(1.0), Some(2.0), Some(3.0), None],
            &[Some(3.0), Some(3.0), Some(1.0), None],
        ),
        Some(vec![
            site("existing", "1", None),
            site("proposed", "p1", Some(1.0)),
            site("proposed", "p2", Some(2.0)),
        ]),
        1.0,
    );
    let b = output(
        "b",
        table(
            "b/units.csv",
            &["u4", "u3", "u2", "u1"],
            &[Some(4.0), Some(1.0), Some(2.0), Some(3.0)],
            &[Some(1.0), Some(3.0), Some(3.0), Some(1.0)],
        ),
        Some(vec![
            site("existing", "1", None),
            site("proposed", "p2", Some(1.0)),
            site("proposed", "p3", Some(2.0)),
        ]),
        2.0,
    );
    let c = compare(&a, &b).unwrap();
    let u = &c.units;
    // u1 fell 2, u3 rose 2, u2 kept its rank; u4 is ranked in the second run only.
    assert_eq!(u.ranked_both, 3);
    assert_eq!(u.ranked_one, 1);
    assert_eq!(u.rank_changed, 2);
    assert_eq!(u.class_changed, 2);
    assert_eq!(u.mean_abs_rank_change, Some(4.0 / 3.0));
    let order: Vec<&str> = u.changes.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(order, ["u1", "u3", "u2", "u4"]);
    assert_eq!(u.changes[0].rank_change(), Some(2.0));
    assert_eq!(u.changes[1].rank_change(), Some(-2.0));
    assert!(u.changes[3].changed() && !u.changes[2].changed());

    let sites = c.sites.as_ref().unwrap();
    let words: Vec<(&str, &str)> = sites
        .iter()
        .map(|s| (s.change.word(), s.row().id.as_str()))
        .collect();
    assert_eq!(
        words,
        [("added", "p3"), ("removed", "p1"), ("kept", "1"), ("kept", "p2")]
    );

    let cov = |i: usize| c.blocks[i].unwrap();
    assert_eq!(
        (cov(0).before, cov(0).after, cov(1).after),
        (Some(0.1), Some(0.4), Some(0.8))
    );

    let what: Vec<&str> = c.method.iter().map(|d| d.what.as_str()).collect();
    // The weight and the method file differ; the units file only by its path (same checksum),
    // and `path` settings are compared as inputs: neither is listed.
    assert_eq!(what, ["dimensions.supply_gap.weight", "input method"]);
    assert_eq!((c.method[0].a.as_str(), c.method[0].b.as_str()), ("1.0", "2.0"));

    let files = c.files(Lang::En).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.name()).collect();
    assert_eq!(
        names,
        [
            "units_changes.csv",
            "sites_changes.csv",
            "method_changes.csv",
            "compare.json",
            "compare.html"
        ]
    );
    let html = files
        .iter()
        .find_map(|f| match f {
            ComparisonFile::Text("compare.html", t) => Some(t.clone()),
            _ => None,
        })
        .unwrap();
    assert!(
        html.contains("&lt;u3&gt; (u3)") && !html.contains("<u3>"),
        "labels are escaped"
    );
    assert!(html.contains("rose 2 places") && html.contains("fell 2 places"));
    assert!(html.contains("ranked in the second run only"));
    assert!(html.contains("No map"), "no polygons were read");
}

#[test]
fn arrays_of_named_items_are_compared_by_name() {
    let mut a = output(
        "a",
        table("a/u.csv", &["u"], &[Some(1.0)], &[Some(1.0)]),
        None,
        1.0,
    );
    let mut b = a.clone();
    b.dir = PathBuf::from("b");
    a.run["resolved_method"]["indicators"] =
        json!([{"name": "x", "weight": 1.0}, {"name": "y", "weight": 1.0}]);
    b.run["resolved_method"]["indicators"] =
        json!([{"name": "w", "weight": 1.0}, {"name": "x", "weight": 1.0}, {"name": "y", "weight": 2.0}]);
    let c = compare(&a, &b).unwrap();
    let rows: Vec<(String, String, String)> = c
        .method
        .iter()
        .map(|d| (d.what.clone(), d.a.clone(), d.b.clone()))
        .collect();
    assert_eq!(
        rows,
        [
            ("indicators[w].name".into(), "absent".into(), "\"w\"".into()),
            ("indicators[w].weight".into(), "absent".into(), "1.0".into()),
            ("indicators[y].weight".into(), "1.0".into(), "2.0".into()),
        ]
    );
    assert!(c.sites.is_none() && c.blocks[0].is_some());
}

#[test]
fn runs_on_different_units_or_districts_are_refused_naming_what_differs() {
    let a = output(
        "a",
        table(
            "a/units.csv",
            &["u1", "u2"],
            &[Some(1.0), Some(2.0)],
            &[None, None],
        ),
        None,
        1.0,
    );
    let b = output(
        "b",
        table(
            "b/units.csv",
            &["u1", "u9"],
            &[Some(1.0), Some(2.0)],
            &[None, None],
        ),
        None,
        1.0,
    );
    let e = compare(&a, &b).unwrap_err().to_string();
    assert_eq!(
        e,
        "a/units.csv and b/units.csv are runs on different units: 1 id(s) only in the first (first: \"u2\"), 1 only in the second (first: \"u9\")"
    );
    let mut d = a.clone();
    d.districts = Some(table("a/districts.csv", &["d1"], &[Some(1.0)], &[Some(1.0)]));
    let e = compare(&d, &a).unwrap_err().to_string();
    assert!(e.contains("a has districts and a has none"), "{e}");
}

#[test]
fn a_folder_without_run_json_is_not_an_output() {
    let dir = std::env::temp_dir().join(format!("careblock-compare-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let e = RunOutput::read(&dir).unwrap_err().to_string();
    assert!(
        e.ends_with("not a careblock run output folder: no run.json"),
        "{e}"
    );
    std::fs::write(dir.join("run.json"), "{\"x\": 1}").unwrap();
    let e = RunOutput::read(&dir).unwrap_err().to_string();
    assert!(e.contains("no run.json written by careblock"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The page of `c` in `lang`.
fn page_in(c: &Comparison, lang: Lang) -> String {
    c.files(lang)
        .unwrap()
        .into_iter()
        .find_map(|f| match f {
            ComparisonFile::Text("compare.html", t) => Some(t),
            _ => None,
        })
        .unwrap()
}

/// The runs of the first test: ranks moved both ways, a unit ranked in one run only, sites
/// added, removed and kept, and the weight and the method file changed.
fn two_runs() -> Comparison {
    let mut a = output(
        "a",
        table(
            "a/units.csv",
            &["u1", "u2", "u3", "u4"],
            &[Some(1.0), Some(2.0), Some(3.0), None],
            &[Some(3.0), Some(3.0), Some(1.0), None],
        ),
        Some(vec![
            site("existing", "1", None),
            site("proposed", "p1", Some(1.0)),
        ]),
        1.0,
    );
    let mut b = output(
        "b",
        table(
            "b/units.csv",
            &["u4", "u3", "u2", "u1"],
            &[Some(4.0), Some(1.0), Some(2.0), Some(3.0)],
            &[Some(1.0), Some(3.0), Some(3.0), Some(1.0)],
        ),
        Some(vec![
            site("existing", "1", None),
            site("proposed", "p3", Some(1.0)),
        ]),
        2.0,
    );
    a.run["careblock"] = json!("0.0.9");
    b.run["resolved_method"]["name"] = json!({"en": "Care index", "es": "Índice del cuidado"});
    compare(&a, &b).unwrap()
}

#[test]
fn the_page_is_worded_in_spanish_with_decimal_commas() {
    let c = two_runs();
    let es = page_in(&c, Lang::Es);
    assert!(
        es.starts_with("<!DOCTYPE html>\n<html lang=\"es\">"),
        "{}",
        &es[..80]
    );
    for phrase in [
        "Qué cambió entre dos corridas",
        "Primera corrida (<b>A</b>)",
        "Resumen",
        "Diferencias del método y de las entradas",
        "Unidades cuyo puesto cambió",
        "Unidades cuya clase cambió",
        "rho de Spearman",
        "Manzanas del cuidado: cobertura antes (sitios existentes)",
        "Manzanas del cuidado: cobertura después (con los sitios propuestos)",
        "1 conservados",
        "1 añadidos, 1 retirados",
        "Mayores cambios de puesto (unidades)",
        "Cambios de clase (unidades)",
        "subió 2 puestos",
        "bajó 2 puestos",
        "con puesto solo en la segunda corrida",
        "Sitios añadidos y retirados",
        "<td>añadido</td><td>propuesto</td>",
        "<td>retirado</td><td>propuesto</td>",
        "Parámetro o entrada",
        "<code>versión de careblock</code>",
        "<code>entrada method</code>",
        "Sin mapa",
        // The second method's name in Spanish; the first has one name only.
        "<title>careblock compare: test → Índice del cuidado</title>",
        "</code> — Índice del cuidado</p>",
    ] {
        assert!(es.contains(phrase), "{phrase:?} not on the Spanish page");
    }
    // Decimal commas: the mean rank change 4/3, the coverage 10 % → 10 %, 40 % → 80 %.
    assert!(es.contains("cambio medio 1,3 puestos"), "mean with a comma");
    assert!(es.contains("10,0 % → 10,0 %") && es.contains("40,0 % → 80,0 %"));
    assert!(es.contains("cota 41,0 % → 82,0 %"));
    // Index values 100 − rank, one decimal: u3 went from 97.0 to 99.0.
    assert!(es.contains("97,0 → 99,0"), "index with a comma");
    for english in [
        "What changed",
        "Summary",
        "whose rank changed",
        "Spearman's",
        "coverage",
        "Largest rank changes",
        "rose 2 places",
        "fell 2 places",
        "ranked in",
        "Sites added",
        ">added<",
        ">removed<",
        "proposed",
        "Setting or input",
        "careblock version",
        "input method",
        "No map",
        "Every row is in",
        "40.0 %",
        "lang=\"en\"",
    ] {
        assert!(!es.contains(english), "{english:?} on the Spanish page");
    }

    // The English page is as it was: the same words, decimal points.
    let en = page_in(&c, Lang::En);
    assert!(en.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    for phrase in [
        "What changed between two runs",
        "Units whose rank changed",
        "mean change 1.3 places; Spearman's ρ",
        "Care blocks: coverage by the existing sites",
        "40.0 % → 80.0 %",
        "rose 2 places",
        "fell 2 places",
        "ranked in the second run only",
        "<td>added</td><td>proposed</td>",
        "<code>careblock version</code>",
        "<code>input method</code>",
        "</code> — Care index</p>",
    ] {
        assert!(en.contains(phrase), "{phrase:?} not on the English page");
    }
    // The tables and the JSON do not depend on the language.
    let csv = |lang| {
        c.files(lang)
            .unwrap()
            .into_iter()
            .filter_map(|f| match f {
                ComparisonFile::Csv(n, df) => Some(format!("{n}: {df:?}")),
                ComparisonFile::Text("compare.json", t) => Some(t),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(csv(Lang::En), csv(Lang::Es));
}

#[test]
fn the_words_of_the_map_and_the_method_follow_the_language() {
    let c = two_runs();
    let d = MethodDifference {
        what: "input units #2".into(),
        a: "absent".into(),
        b: "\"absent\"".into(),
    };
    assert_eq!(d.what_in(Lang::Es), "entrada units n.º 2");
    assert_eq!(d.what_in(Lang::En), "input units #2");
    assert_eq!(MethodDifference::value_in(&d.a, Lang::Es), "ausente");
    assert_eq!(
        MethodDifference::value_in(&d.b, Lang::Es),
        "\"absent\"",
        "a JSON string is data"
    );
    let setting = MethodDifference {
        what: "dimensions.supply_gap.weight".into(),
        a: "1.0".into(),
        b: "2.0".into(),
    };
    assert_eq!(setting.what_in(Lang::Es), "dimensions.supply_gap.weight");
    assert_eq!(c.units.noun(Lang::Es), "unidades");
    assert_eq!(c.units.the_noun(Lang::Es), "las unidades");
    assert_eq!(SiteChange::Kept.label(Lang::Es), "conservado");
    assert_eq!(SiteChange::Removed.legend(Lang::Es), "retirados");
    assert_eq!(SiteChange::Added.word(), "added", "the CSV code stays English");
}

#[test]
fn the_run_language_is_read_from_run_json() {
    let mut a = output(
        "a",
        table("a/u.csv", &["u"], &[Some(1.0)], &[Some(1.0)]),
        None,
        1.0,
    );
    assert_eq!(a.lang(), None, "an older run.json has no lang");
    a.run["resolved_method"]["lang"] = json!("es");
    assert_eq!(a.lang(), Some(Lang::Es), "else the resolved method's");
    a.run["lang"] = json!("en");
    assert_eq!(a.lang(), Some(Lang::En), "the top-level lang first");
    a.run["lang"] = json!("fr");
    assert_eq!(a.lang(), Some(Lang::Es), "an unknown code is skipped");
}
