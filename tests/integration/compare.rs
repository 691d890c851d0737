//! `careblock compare` on two runs of the Bogotá preset: the preset as bundled, and the same
//! with the supply gap weighted double. Every change in the tables is checked against the two
//! runs' own outputs (ranks, classes, sites, coverage in run.json); a run compared with itself
//! changes nothing; the page is looked at in headless Chromium; folders that are not outputs, or
//! runs on other units, are refused with one line and nothing written; `--lang es` (or a second
//! run written in Spanish) words the summary and the page in Spanish.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use serde_json::Value;

use crate::common::browser::{dom_at, near, screenshot};
use crate::common::outputs::{MAP_BACKGROUND, nums, table, texts};
use crate::common::{careblock, fresh_dir, los_lagos_method, run_method};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// The preset's run and the variant's (supply gap weight 2), run once for every test here.
fn runs() -> &'static (PathBuf, PathBuf) {
    static RUNS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    RUNS.get_or_init(|| {
        let dir = fresh_dir("compare", "runs");
        let preset = std::fs::read_to_string(root().join("examples/bogota.toml")).unwrap();
        let data = format!("\"{}/", root().join("data").display());
        let mut variant = preset.replace("\"../data/", &data);
        let at = variant.find("[dimensions.supply_gap]").unwrap();
        let w = at + variant[at..].find("weight = 1").unwrap();
        variant.replace_range(w..w + "weight = 1".len(), "weight = 2");
        std::fs::write(dir.join("variant.toml"), variant).unwrap();
        let (a, b) = (dir.join("a"), dir.join("b"));
        for (method, out) in [
            (root().join("examples/bogota.toml"), &a),
            (dir.join("variant.toml"), &b),
        ] {
            let o = careblock(["--quiet", "run", s(&method), "--out", s(out)]);
            assert!(o.status.success(), "{}", stderr(&o));
        }
        (a, b)
    })
}

/// id → (rank, class) of a run's table.
fn ranks(path: &Path) -> HashMap<String, (Option<f64>, Option<f64>)> {
    let df = table(path);
    let ids = texts(&df, "id");
    let (r, c) = (nums(&df, "rank"), nums(&df, "class"));
    ids.into_iter()
        .enumerate()
        .map(|(i, id)| (id, (r[i], c[i])))
        .collect()
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_reweighted_run_compared_lists_every_rank_class_site_and_method_change() {
    let (a, b) = runs();
    let out = fresh_dir("compare", "ab").join("cmp");
    let o = careblock(["compare", s(a), s(b), "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("dimensions.supply_gap.weight: 1.0 → 2.0"),
        "{stdout}"
    );

    let summary = json(&out.join("compare.json"));
    for (level, file, n) in [("districts", "districts", 116), ("units", "units", 641)] {
        let changes = table(&out.join(format!("{file}_changes.csv")));
        assert_eq!(changes.height(), n, "{level}: one row per feature");
        let (ra, rb) = (
            ranks(&a.join(format!("{file}.csv"))),
            ranks(&b.join(format!("{file}.csv"))),
        );
        let ids = texts(&changes, "id");
        let cols: Vec<Vec<Option<f64>>> = ["rank_a", "rank_b", "rank_change", "class_a", "class_b"]
            .iter()
            .map(|c| nums(&changes, c))
            .collect();
        let mut changed = 0;
        let mut last = f64::INFINITY;
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(
                (cols[0][i], cols[3][i]),
                ra[id],
                "{level} {id}: first run's rank and class"
            );
            assert_eq!(
                (cols[1][i], cols[4][i]),
                rb[id],
                "{level} {id}: second run's rank and class"
            );
            if let (Some(x), Some(y)) = (ra[id].0, rb[id].0) {
                assert_eq!(
                    cols[2][i],
                    Some(y - x),
                    "{level} {id}: rank_change = second − first"
                );
                changed += usize::from(x != y);
                assert!((y - x).abs() <= last, "{level}: the largest change first");
                last = (y - x).abs();
            }
        }
        assert_eq!(summary[level]["rank_changed"], changed, "{level}");
        assert!(changed > 0, "{level}: doubling a dimension's weight moves ranks");
        let rho = summary[level]["spearman"].as_f64().unwrap();
        assert!(rho > 0.5 && rho < 1.0, "{level}: Spearman {rho}");
    }

    // Sites: kept + removed are the first run's, kept + added the second's.
    let sites = table(&out.join("sites_changes.csv"));
    let change = texts(&sites, "change");
    let count = |w: &str| change.iter().filter(|c| *c == w).count();
    let n_sites = |dir: &Path| table(&dir.join("sites.csv")).height();
    assert_eq!(count("kept") + count("removed"), n_sites(a));
    assert_eq!(count("kept") + count("added"), n_sites(b));
    assert_eq!(summary["sites"]["added"], count("added"));

    // Coverage as each run.json says.
    for (side, dir) in [("a", a), ("b", b)] {
        let run = json(&dir.join("run.json"));
        let blocks = &run["siting"]["blocks"];
        let share = blocks["objective"].as_f64().unwrap() / blocks["total_demand"].as_f64().unwrap();
        assert_eq!(
            summary["coverage"]["blocks"][side]["after"].as_f64(),
            Some(share),
            "{side}"
        );
    }

    // The method: the weight, and the method file itself; the same data files are not listed.
    let method = std::fs::read_to_string(out.join("method_changes.csv")).unwrap();
    let rows: Vec<&str> = method.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{method}");
    assert_eq!(rows[0], "dimensions.supply_gap.weight,1.0,2.0");
    assert!(rows[1].starts_with("input method,"), "{method}");

    let html = std::fs::read_to_string(out.join("compare.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
    let lower = html.to_ascii_lowercase();
    for bad in ["http://", "https://", "<script", "<link", "<img", " src="] {
        assert!(!lower.contains(bad), "compare.html contains {bad:?}");
    }
    assert!(html.contains("<code>dimensions.supply_gap.weight</code>"));
}

#[test]
fn a_run_compared_with_itself_changes_nothing() {
    let (a, _) = runs();
    let out = fresh_dir("compare", "aa").join("cmp");
    let o = careblock(["--quiet", "compare", s(a), s(a), "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "--quiet prints nothing");
    let summary = json(&out.join("compare.json"));
    assert_eq!(summary["method_differences"], 0);
    for level in ["districts", "units"] {
        assert_eq!(summary[level]["rank_changed"], 0, "{level}");
        assert_eq!(summary[level]["class_changed"], 0, "{level}");
        assert_eq!(summary[level]["spearman"], 1.0, "{level}");
    }
    assert_eq!(summary["sites"]["added"], 0);
    assert_eq!(summary["sites"]["removed"], 0);
    let html = std::fs::read_to_string(out.join("compare.html")).unwrap();
    assert!(html.contains("No rank changed.") && html.contains("The same sites in both runs."));
}

#[test]
fn the_page_shows_rises_falls_and_the_sites_added() {
    let (a, b) = runs();
    let dir = fresh_dir("compare", "page");
    let out = dir.join("cmp");
    let o = careblock(["--quiet", "compare", s(a), s(b), "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let Some(img) = screenshot(
        &out.join("compare.html"),
        &dir.join("page.png"),
        &dir.join("profile"),
    ) else {
        return;
    };
    let map = img
        .bbox(MAP_BACKGROUND)
        .expect("the map's background is on the page");
    for (what, colour) in [
        ("rose 12 places or more", [0xb2, 0x18, 0x2b]),
        ("fell 12 places or more", [0x21, 0x66, 0xac]),
        ("an added site", [0x1a, 0x98, 0x50]),
        ("a removed site", [0xd7, 0x30, 0x27]),
    ] {
        let n = img.count(map, colour);
        assert!(n > 10, "{what}: {n} pixel(s) of its colour on the map");
    }
    assert!(near(img.pixel(map.0 + 2, map.1 + 2), MAP_BACKGROUND));
}

#[test]
fn folders_that_are_not_outputs_or_other_units_are_refused_and_nothing_is_written() {
    let (a, _) = runs();
    let dir = fresh_dir("compare", "refused");
    let out = dir.join("cmp");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = careblock(["compare", s(a), s(&empty), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(
        e.contains("not a careblock run output folder: no run.json"),
        "{e}"
    );
    assert!(!out.exists(), "nothing written");

    let (code, _, err, los_lagos) = run_method("compare", "los_lagos", &los_lagos_method(""));
    assert_eq!(code, Some(0), "{err}");
    let o = careblock(["compare", s(a), s(&los_lagos), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(
        e.contains("has districts and") || e.contains("are runs on different units"),
        "{e}"
    );
    assert!(!out.exists(), "nothing written");
}

/// The English words of the summary and the page, none of which a Spanish comparison prints.
const ENGLISH: &[&str] = &[
    "comparing",
    "method and inputs",
    "ranked in",
    "changed rank",
    "changed class",
    "Spearman's",
    " kept",
    " added",
    " removed",
    "coverage",
    "care blocks",
    "Care blocks",
    "wrote ",
    "What changed",
    "Summary",
    "whose rank",
    "whose class",
    "Largest rank changes",
    "Class changes",
    "Change in rank",
    "rose ",
    "fell ",
    "same rank",
    "Sites added",
    "Setting or input",
    "Demand gained",
    "Every row is in",
    "Hover",
    "careblock version",
    "input method",
];

/// `b` with its run.json's `lang` set to `lang`: a copy of the files compare reads, in `dir`.
fn relabelled(b: &Path, dir: &Path, lang: &str) -> PathBuf {
    let out = dir.join(format!("b_{lang}"));
    std::fs::create_dir_all(&out).unwrap();
    for f in ["units.csv", "districts.csv", "sites.csv", "districts.geojson"] {
        std::fs::copy(b.join(f), out.join(f)).unwrap();
    }
    let mut run = json(&b.join("run.json"));
    run["lang"] = Value::from(lang);
    std::fs::write(out.join("run.json"), run.to_string()).unwrap();
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

#[test]
fn lang_es_words_the_summary_and_the_page_in_spanish() {
    let (a, b) = runs();
    let dir = fresh_dir("compare", "es");
    let out = dir.join("cmp");
    let o = careblock(["compare", s(a), s(b), "--lang", "es", "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for phrase in [
        "comparando ",
        "método y entradas: 2 diferencia(s)",
        "    dimensions.supply_gap.weight: 1.0 → 2.0",
        "    entrada method: ",
        "distritos: ",
        "unidades: ",
        "con puesto en ambas corridas cambiaron de puesto",
        "rho de Spearman 0,",
        "cambiaron de clase",
        " conservados, ",
        " añadidos, ",
        " retirados",
        "manzanas del cuidado: cobertura antes (sitios existentes) ",
        "escrito en ",
    ] {
        assert!(text.contains(phrase), "{phrase:?} not in:\n{text}");
    }
    let moved: Vec<&str> = text.lines().filter(|l| l.contains("  puesto ")).collect();
    assert_eq!(moved.len(), 10, "the 5 largest moves of each level: {text}");
    assert!(
        moved
            .iter()
            .all(|l| l.contains("(subió ") || l.contains("(bajó ")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("manzanas del cuidado") && l.contains(',') && l.contains(" %")),
        "percentages with a decimal comma: {text}"
    );
    for english in ENGLISH {
        assert!(
            !text.contains(english),
            "{english:?} in the Spanish summary:\n{text}"
        );
    }

    let html = std::fs::read_to_string(out.join("compare.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"es\">"));
    for phrase in [
        "Qué cambió entre dos corridas",
        "Primera corrida",
        "Segunda corrida",
        "Resumen",
        "Diferencias del método y de las entradas",
        "Distritos cuyo puesto cambió",
        "Unidades cuya clase cambió",
        "rho de Spearman 0,",
        "Manzanas del cuidado: cobertura antes (sitios existentes)",
        "Cambio de puesto de los distritos",
        "Mayores cambios de puesto (distritos)",
        "Cambios de clase (distritos)",
        "subió ",
        "bajó ",
        "Sitios añadidos y retirados",
        "<td>añadido</td>",
        "Parámetro o entrada",
        "<code>dimensions.supply_gap.weight</code>",
        "<code>entrada method</code>",
        "Índice de priorización del cuidado de Bogotá",
    ] {
        assert!(html.contains(phrase), "{phrase:?} not on the Spanish page");
    }
    for english in ENGLISH {
        assert!(!html.contains(english), "{english:?} on the Spanish page");
    }
    // The tables keep their English columns and codes.
    let sites = table(&out.join("sites_changes.csv"));
    assert!(
        texts(&sites, "change")
            .iter()
            .all(|c| ["kept", "added", "removed"].contains(&c.as_str()))
    );

    let Some((dom, console)) = dom_at(&out.join("compare.html"), "", &dir.join("profile")) else {
        return;
    };
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(dom.contains("Qué cambió entre dos corridas"), "the page opened");
}

#[test]
fn the_language_follows_the_second_runs_run_json_unless_lang_is_given() {
    let (a, b) = runs();
    let dir = fresh_dir("compare", "lang_default");
    let b_es = relabelled(b, &dir, "es");
    // B in Spanish: the summary and the page are Spanish.
    let out = dir.join("cmp_es");
    let o = careblock(["compare", s(a), s(&b_es), "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with("comparando ") && text.contains("escrito en "),
        "{text}"
    );
    let html = std::fs::read_to_string(out.join("compare.html")).unwrap();
    assert!(html.contains("<html lang=\"es\">") && html.contains("Qué cambió"));

    // A in Spanish, B in English (run.json as written): English.
    let o = careblock(["compare", s(&b_es), s(a)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with("comparing ") && text.contains("(--out DIR writes the tables"),
        "{text}"
    );

    // --lang overrides the run's language.
    let out = dir.join("cmp_en");
    let o = careblock(["compare", s(a), s(&b_es), "--lang", "en", "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("comparing "), "{}", stdout(&o));
    let html = std::fs::read_to_string(out.join("compare.html")).unwrap();
    assert!(html.contains("<html lang=\"en\">") && html.contains("What changed between two runs"));

    // A run.json without `lang` (an older version's): English.
    let old = dir.join("b_old");
    std::fs::create_dir_all(&old).unwrap();
    for f in ["units.csv", "districts.csv", "sites.csv"] {
        std::fs::copy(b.join(f), old.join(f)).unwrap();
    }
    let mut run = json(&b.join("run.json"));
    run.as_object_mut().unwrap().remove("lang");
    run["resolved_method"].as_object_mut().unwrap().remove("lang");
    std::fs::write(old.join("run.json"), run.to_string()).unwrap();
    let o = careblock(["compare", s(&b_es), s(&old)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("comparing "), "{}", stdout(&o));

    // An unknown --lang is refused with the list.
    let o = careblock(["compare", s(a), s(b), "--lang", "fr"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("available: en, es"), "{}", stderr(&o));
}
