//! `careblock run` in Spanish and English: `--lang es` words the terminal summary, the notes and
//! run.json's notes in Spanish and leaves every table and layer byte-identical to the English
//! run; the method's `lang` is the default and `--lang` overrides it; bilingual labels follow the
//! language; an unknown code (flag or method) is refused with the list, nothing written.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use serde_json::Value;

use crate::common::{careblock, fresh_dir, los_lagos_method, run_method};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

fn run_json(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap()
}

/// The Bogotá preset run in English and in Spanish (stdout of each), once for the tests here.
fn runs() -> &'static ((PathBuf, String), (PathBuf, String)) {
    static RUNS: OnceLock<((PathBuf, String), (PathBuf, String))> = OnceLock::new();
    RUNS.get_or_init(|| {
        let dir = fresh_dir("lang", "bogota");
        let method = root().join("examples/bogota.toml");
        let mut out = Vec::new();
        for lang in ["en", "es"] {
            let o_dir = dir.join(lang);
            let o = careblock([
                "run",
                method.to_str().unwrap(),
                "--out",
                o_dir.to_str().unwrap(),
                "--lang",
                lang,
            ]);
            let (stdout, stderr) = text(&o);
            assert!(o.status.success(), "{stderr}");
            out.push((o_dir, stdout));
        }
        let es = out.pop().unwrap();
        let en = out.pop().unwrap();
        (en, es)
    })
}

#[test]
fn the_spanish_summary_is_spanish_and_the_english_one_is_unchanged() {
    let ((_, en), (_, es)) = runs();
    for line in [
        "districts: 116 ranked of 116; highest need:",
        "siting (800 m): existing blocks cover 6.4 % of the demand; with 21 proposed blocks 40.5 %",
        "note: examples/../data/bogota/sectores_censales.shp: 7 unit(s) have population 0",
        "open in QGIS:",
    ] {
        let line = line.replace("examples/../", &format!("{}/examples/../", root().display()));
        assert!(en.contains(&line), "English summary lacks {line:?}:\n{en}");
    }
    for line in [
        "distritos: 116 ordenadas de 116; mayor necesidad:",
        "localización (800 m): las manzanas existentes cubren el 6,4 % de la demanda; con 21 manzanas propuestas, el 40,5 %",
        "7 unidad(es) tienen población 0",
        "nota: ",
        "abrir en QGIS:",
        "abrir en un navegador:",
        "escrito en ",
        "buses del cuidado: 5 paradas",
    ] {
        assert!(es.contains(line), "Spanish summary lacks {line:?}:\n{es}");
    }
    // No English sentence is left in the Spanish summary: each line's words are checked
    // against words only the English catalogue uses.
    for english in [
        "highest need",
        "note:",
        "ranked of",
        "of the demand",
        "open in",
        "wrote ",
        "unit(s) have",
        "treated as missing",
        "lie partly outside",
        "care buses",
        "candidate(s)",
        "locked in",
    ] {
        assert!(
            !es.contains(english),
            "Spanish summary still says {english:?}:\n{es}"
        );
    }
}

#[test]
fn the_language_changes_no_table_and_no_layer() {
    let ((en, _), (es, _)) = runs();
    let mut compared = 0;
    for f in std::fs::read_dir(en).unwrap() {
        let name = f.unwrap().file_name().to_string_lossy().to_string();
        // Words for people: the report, the styles, the project, run.json's notes; and the
        // wall times. The GeoPackage holds the styles too.
        let worded = [".html", ".qml", ".qgs", ".gpkg", "run.json", "timings.json"];
        if worded.iter().any(|w| name.ends_with(w)) {
            continue;
        }
        let (a, b) = (
            std::fs::read(en.join(&name)).unwrap(),
            std::fs::read(es.join(&name)).unwrap(),
        );
        assert!(a == b, "{name} differs between the English and the Spanish run");
        compared += 1;
    }
    assert!(compared >= 8, "only {compared} files compared");
    // run.json: the same numbers, the notes in the run's language.
    let (a, b) = (run_json(en), run_json(es));
    assert_eq!(a["lang"], "en");
    assert_eq!(b["lang"], "es");
    for k in [
        "units",
        "districts",
        "conservation",
        "objective",
        "bound",
        "gap",
        "seed",
    ] {
        assert_eq!(a[k], b[k], "run.json {k}");
    }
    let notes = |v: &Value| -> Vec<String> {
        v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(notes(&a).len(), notes(&b).len());
    assert!(notes(&a).iter().any(|n| n.contains("unit(s) have population 0")));
    assert!(
        notes(&b)
            .iter()
            .any(|n| n.contains("unidad(es) tienen población 0"))
    );
    assert!(!notes(&b).iter().any(|n| n.contains("unit(s) have population 0")));
    // The labels follow the language: the preset's name and dimension labels carry both.
    assert_eq!(
        a["name"],
        "Bogotá care prioritization index (CNPV 2018 sectors → UPZ)"
    );
    assert_eq!(
        b["name"],
        "Índice de priorización del cuidado de Bogotá (sectores CNPV 2018 → UPZ)"
    );
    let label = |v: &Value| v["dimensions"][0]["label"].as_str().unwrap().to_string();
    assert_eq!(label(&a), "Care demand");
    assert_eq!(label(&b), "Demanda de cuidado");
    // The kinds siting names itself are worded on the Spanish page's map; the data's own
    // (a candidate layer's name) are not.
    let page = std::fs::read_to_string(es.join("report.html")).unwrap();
    assert!(page.contains("— existente</title>") && !page.contains("— existing</title>"));
    assert!(page.contains("— colegio público</title>"));
    // The output formats' reasons are worded too.
    assert!(
        b["outputs"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("unidades ≤ large")
    );
}

#[test]
fn the_methods_lang_is_the_default_and_the_flag_overrides_it() {
    let method = los_lagos_method("").replace("crs = 32718", "crs = 32718\nlang = \"es\"");
    let (code, out, err, _) = run_method("lang", "method_es", &method);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("unidades: ") && out.contains("mayor necesidad"),
        "{out}"
    );
    let dir = fresh_dir("lang", "method_es_flag_en");
    std::fs::write(dir.join("method.toml"), &method).unwrap();
    let o = careblock([
        "run",
        dir.join("method.toml").to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
        "--lang",
        "en",
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.contains("units: ") && out.contains("highest need"), "{out}");
    assert_eq!(run_json(&dir.join("out"))["lang"], "en");
}

#[test]
fn an_unknown_language_is_refused_with_the_list_and_nothing_is_written() {
    // On the command line.
    let dir = fresh_dir("lang", "flag_fr");
    let out = dir.join("out");
    let o = careblock([
        "run",
        root().join("examples/bogota.toml").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--lang",
        "fr",
    ]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("unknown language \"fr\" (available: en, es)"),
        "{err}"
    );
    assert!(!out.exists());
    // In the method file, and in a label.
    for (name, method) in [
        (
            "method_fr",
            los_lagos_method("").replace("crs = 32718", "crs = 32718\nlang = \"fr\""),
        ),
        (
            "label_fr",
            los_lagos_method("").replace(
                "name = \"share_0_5\"",
                "name = \"share_0_5\"\nlabel = { fr = \"Part des 0-5 ans\" }",
            ),
        ),
    ] {
        let (code, _, err, out) = run_method("lang", name, &method);
        assert_eq!(code, Some(2), "{name}: {err}");
        assert!(
            err.contains("unknown language \"fr\" (available: en, es)"),
            "{name}: {err}"
        );
        assert!(!out.exists(), "{name}: an output folder was written");
    }
    for cmd in ["validate", "explain"] {
        let o = careblock([cmd, "x", "--lang", "pt"]);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {err}");
        assert!(
            err.contains("unknown language \"pt\" (available: en, es)"),
            "{cmd}: {err}"
        );
    }
}
