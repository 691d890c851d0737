//! `careblock explain` and `careblock validate` in Spanish (issue 32), driven through the binary:
//!
//! - explain of a district and a site of a Bogotá run made with `--lang es` speaks Spanish (the
//!   run's `lang` in run.json) with decimal commas, `--lang en` overrides it, and the JSON keeps
//!   its keys and numbers;
//! - validate speaks the method's `lang`, or `--lang`; errors stay English by design;
//! - an unknown `--lang` is refused with the list of the languages careblock speaks.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use serde_json::Value;

use crate::common;
use crate::common::careblock;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// One run of the Bogotá preset in Spanish, shared by the explain tests.
fn bogota_run_es() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = common::fresh_dir("spanish_cli", "bogota").join("out");
        let o = careblock([
            "--quiet",
            "run",
            s(&root().join("examples/bogota.toml")),
            "--out",
            s(&dir),
            "--lang",
            "es",
        ]);
        assert!(o.status.success(), "{:?}", text(&o));
        dir
    })
}

/// The first data row of a CSV whose column `col` equals `value`, as header → value.
fn csv_row(path: &Path, col: &str, value: &str) -> std::collections::HashMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(str::to_string).collect();
    let k = header.iter().position(|h| h == col).unwrap();
    let row = lines
        .map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>())
        .find(|f| f[k] == value)
        .unwrap();
    header.into_iter().zip(row).collect()
}

#[test]
fn explain_speaks_the_runs_language_unless_told_otherwise() {
    let dir = bogota_run_es();
    assert_eq!(read_json(&dir.join("run.json"))["lang"], "es");
    let top = csv_row(&dir.join("districts.csv"), "rank", "1");
    let id = &top["id"];
    assert_eq!(id, "UPZ64", "Monte Blanco ranks first in the preset");
    let index = format!("{:.4}", top["index"].parse::<f64>().unwrap()).replace('.', ",");

    let json = dir.parent().unwrap().join("district.json");
    let o = careblock(["explain", s(dir), "--district", id, "--json", s(&json)]);
    let (es, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(es.starts_with("distrito UPZ64 ("), "{es}");
    assert!(
        es.contains("  puesto 1 de 116 (1 = mayor necesidad), clase 5 de 5 (5 = mayor necesidad)"),
        "{es}"
    );
    assert!(es.contains(&format!("índice {index}")), "{es}");
    assert!(es.contains("  población "), "{es}");
    assert!(es.contains("  puntajes por dimensión: care_demand "), "{es}");
    assert!(es.contains("  indicador "), "{es}");
    assert!(es.contains(" contribución  dimensión"), "{es}");
    assert!(
        es.contains(&format!("  suma de las contribuciones {index} = índice {index}")),
        "{es}"
    );
    assert!(
        es.contains("  sorteos de Monte Carlo (") && es.contains("intervalo 5–95 % "),
        "{es}"
    );
    assert!(
        es.contains("ocupa el 1.º puesto de 116 principalmente por ") && es.contains(" % del índice)"),
        "{es}"
    );
    for english in ["rank ", "index ", "because", "population", "draws", "missing"] {
        assert!(
            !es.contains(english),
            "{english:?} in the Spanish explanation:\n{es}"
        );
    }
    // The JSON keeps its keys and numbers whatever the language.
    let j = read_json(&json);
    assert_eq!(j["rank"], 1.0);
    assert_eq!(j["level"], "district");
    assert!(j["index"].as_f64().is_some());

    let o = careblock(["explain", s(dir), "--district", id, "--lang", "en"]);
    let (en, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(en.starts_with("district UPZ64 ("), "{en}");
    assert!(en.contains("rank 1 of 116"), "{en}");
    assert!(en.contains("ranks 1st of 116 mainly because of"), "{en}");
    assert!(en.contains(&format!("index {}", index.replace(',', "."))), "{en}");

    // A site, in the run's language.
    let site = csv_row(&dir.join("sites.csv"), "rank", "1");
    let o = careblock(["explain", s(dir), "--site", &site["id"]]);
    let (es, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(es.contains("): propuesto, puesto 1"), "{es}");
    let gain = format!("{:.4}", site["gain"].parse::<f64>().unwrap()).replace('.', ",");
    assert!(es.contains(&format!("  ganancia marginal {gain} (")), "{es}");
    assert!(es.contains("cobertura acumulada"), "{es}");
    assert!(es.contains("  insustituibilidad "), "{es}");
    assert!(
        es.contains(&format!(
            "  en su zona de influencia: demanda {}",
            format!("{:.4}", site["demand"].parse::<f64>().unwrap()).replace('.', ",")
        )),
        "{es}"
    );
    assert!(
        es.contains(&format!(
            "{:.0} unidad(es)",
            site["n_units"].parse::<f64>().unwrap()
        )),
        "{es}"
    );
    assert!(es.contains("  mejor sitio de "), "{es}");

    // Errors stay English.
    let o = careblock(["explain", s(dir), "--district", "UPZ1000"]);
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr.contains("close ids: UPZ100"), "{stderr}");
}

#[test]
fn validate_speaks_the_methods_language_or_lang() {
    let o = careblock([
        "validate",
        s(&root().join("examples/bogota.toml")),
        "--lang",
        "es",
    ]);
    let (es, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{es}\n{stderr}");
    let lines: Vec<&str> = es.lines().collect();
    assert!(lines[0].starts_with("método "), "{es}");
    assert!(
        lines[1].starts_with("  10 indicador(es) en 4 dimensión(es): care_demand (peso 1)"),
        "{es}"
    );
    assert_eq!(lines[2], "  CRS de trabajo: EPSG:9377");
    assert_eq!(lines[3], "insumos:");
    assert!(
        lines[4].contains(": 641 elemento(s) (") && lines[4].ends_with("coordenadas plausibles"),
        "{es}"
    );
    assert!(es.contains(": 641 fila(s) enlazada(s)"), "{es}");
    assert!(es.contains(" valor(es) faltante(s)"), "{es}");
    assert!(es.contains("advertencias ("), "{es}");
    assert!(es.contains("  advertencia: "), "{es}");
    assert!(es.contains("7 unidad(es) tienen población 0"), "{es}");
    assert!(es.contains("      ids (7): "), "{es}");
    assert!(
        es.lines().last().is_some_and(|l| l.starts_with("0 error(es), ")
            && l.ends_with(" advertencia(s): `careblock run` puede ejecutar este método")),
        "{es}"
    );

    // A method that says `lang = "es"`, with an input that does not exist: the report is
    // Spanish, its error English; `--lang en` speaks English.
    let dir = common::fresh_dir("spanish_cli", "validate");
    let method = dir.join("method.toml");
    let text_es = format!(
        "lang = \"es\"\n{}",
        common::los_lagos_method("").replace(
            "[units]",
            "[districts]\npath = \"nothing.geojson\"\nid = \"id\"\n\n[units]"
        )
    );
    std::fs::write(&method, text_es).unwrap();
    let json = dir.join("report.json");
    let o = careblock(["validate", s(&method), "--json", s(&json)]);
    let (es, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{es}\n{stderr}");
    assert!(es.starts_with("método "), "{es}");
    assert!(es.contains("NO LEÍDO (ver los errores)"), "{es}");
    assert!(es.contains("errores (1):\n  error: "), "{es}");
    assert!(es.contains("1 error(es), "), "{es}");
    assert!(es.contains("`careblock run` fallaría"), "{es}");
    // The process's error line is English by design.
    assert!(stderr.contains("`careblock run` would fail"), "{stderr}");
    let r = read_json(&json);
    assert_eq!(r["errors"], 1);
    assert_eq!(r["problems"][0]["severity"], "error");

    let o = careblock(["validate", s(&method), "--lang", "en"]);
    let (en, _) = text(&o);
    assert!(en.starts_with("method "), "{en}");
    assert!(en.contains("NOT READ (see the errors)"), "{en}");
    assert!(en.contains("errors (1):\n  error: "), "{en}");
    assert!(en.contains("`careblock run` would fail"), "{en}");
}

#[test]
fn an_unknown_language_is_refused_with_the_list() {
    let bogota = root().join("examples/bogota.toml");
    let out = common::fresh_dir("spanish_cli", "fr");
    for args in [
        vec!["validate", s(&bogota), "--lang", "fr"],
        vec!["explain", s(&out), "--district", "UPZ64", "--lang", "fr"],
        vec!["run", s(&bogota), "--out", s(&out), "--lang", "fr"],
    ] {
        let o = careblock(&args);
        let (stdout, stderr) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stdout}");
        assert!(
            stderr.contains("unknown language \"fr\" (available: en, es)"),
            "{args:?}: {stderr}"
        );
    }
}
