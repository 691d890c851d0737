//! Bad method files fail before any output is written, with one line that names the file, the
//! key (and its line) or the column: unknown key, weight ≤ 0, an indicator on a missing or
//! non-numeric column, a denominator that sums to zero.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;

/// A small valid method on the Los Lagos zones, with `indicator` as its only indicator block.
fn method(indicator: &str) -> String {
    format!(
        r#"name = "test"
crs = 32718

[units]
path = "{units}"
id = "geocodigo"
population = "pob_total"

[uncertainty]
draws = 10

{indicator}
"#,
        units = common::chile("zonas_censales_2017_los_lagos.geojson"),
    )
}

const GOOD: &str = r#"[[indicators]]
name = "share_0_5"
dimension = "care_demand"
kind = "share"
numerator = "pob_0a5"
denominator = "pob_total"
"#;

fn run(name: &str, text: &str) -> (bool, String, PathBuf) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("method_errors")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("method.toml");
    std::fs::write(&file, text).unwrap();
    let out = dir.join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_careblock"))
        .args(["--quiet", "run"])
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    if !o.status.success() {
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
        assert!(!out.exists(), "a failed run wrote {}", out.display());
    }
    (o.status.success(), stderr, out)
}

#[test]
fn the_good_method_runs() {
    let (ok, err, out) = run("good", &method(GOOD));
    assert!(ok, "{err}");
    assert!(out.join("units.csv").exists());
}

#[test]
fn unknown_key_names_the_line() {
    let text = method(&GOOD.replace("kind = \"share\"", "kind = \"share\"\nweigth = 2"));
    let (ok, err, _) = run("unknown_key", &text);
    assert!(!ok);
    let line = text.lines().position(|l| l.starts_with("weigth")).unwrap() + 1;
    assert!(err.contains(&format!("method.toml:{line}:")), "{err}");
    assert!(err.contains("weigth"), "{err}");
}

#[test]
fn weight_must_be_positive() {
    for (name, w) in [("zero_weight", "0"), ("negative_weight", "-1.5")] {
        let text = method(&format!("{GOOD}weight = {w}\n"));
        let (ok, err, _) = run(name, &text);
        assert!(!ok);
        let line = text.lines().position(|l| l.starts_with("weight")).unwrap() + 1;
        assert!(
            err.contains(&format!("method.toml:{line}: indicators[0].weight")),
            "{err}"
        );
        assert!(err.contains("> 0"), "{err}");
    }
    let text = method(&format!("{GOOD}\n[dimensions.care_demand]\nweight = 0\n"));
    let (ok, err, _) = run("zero_dimension_weight", &text);
    assert!(!ok);
    assert!(err.contains("dimensions.care_demand.weight"), "{err}");
}

#[test]
fn missing_column_is_named_with_the_columns_that_exist() {
    let (ok, err, _) = run(
        "missing_column",
        &method(&GOOD.replace("\"pob_0a5\"", "\"pob_0a6\"")),
    );
    assert!(!ok);
    assert!(err.contains("indicators[0].numerator"), "{err}");
    assert!(err.contains("\"pob_0a6\""), "{err}");
    assert!(err.contains("pob_0a5"), "the existing columns are listed: {err}");
}

#[test]
fn non_numeric_column_names_the_feature_and_value() {
    let (ok, err, _) = run(
        "non_numeric",
        &method(&GOOD.replace("\"pob_0a5\"", "\"nombre_comuna\"")),
    );
    assert!(!ok);
    assert!(err.contains("indicators[0].numerator"), "{err}");
    assert!(
        err.contains("nombre_comuna") && err.contains("expected a number"),
        "{err}"
    );
}

#[test]
fn denominator_summing_to_zero_is_refused() {
    let text = method(&GOOD.replace(
        "denominator = \"pob_total\"",
        "denominator = \"pob_total - pob_total\"",
    ));
    let (ok, err, _) = run("zero_total", &text);
    assert!(!ok);
    assert!(err.contains("indicators[0].denominator"), "{err}");
    assert!(err.contains("division by a zero total"), "{err}");
}

#[test]
fn an_unparseable_expression_names_the_key() {
    let (ok, err, _) = run("bad_expr", &method(&GOOD.replace("\"pob_0a5\"", "\"pob_0a5 +\"")));
    assert!(!ok);
    assert!(err.contains("indicators[0].numerator"), "{err}");
}
