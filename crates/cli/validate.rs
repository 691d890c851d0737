//! `careblock validate METHOD.toml`: read and check every input a method names and print the
//! problems (errors: the run would fail; warnings: the run goes on and the listed features get
//! the documented treatment), without computing the index or the siting. The checking is
//! `careblock_pipeline::check_method`; this module only renders its report.

use anyhow::{Context, Result, bail};
use careblock_pipeline::{CheckReport, Problem, Severity, check_method};
use careblock_text::{Arg, Lang, ids, key, msg};
use serde_json::json;

use crate::args::ValidateArgs;

/// Ids shown per problem on the terminal (the JSON report has them all).
const SHOWN_IDS: usize = 10;

/// `error` or `warning`, in words.
fn severity_word(severity: Severity, lang: Lang) -> &'static str {
    match severity {
        Severity::Error => lang.t("validate.severity_error"),
        Severity::Warning => lang.t("validate.severity_warning"),
    }
}

/// The problem's message in `lang` (errors are English by design), with the hint's words.
fn message(p: &Problem, lang: Lang) -> String {
    format!("{}{}", lang.render(&p.message), crate::hints::suffix(p.hint))
}

fn problem_line(p: &Problem, lang: Lang) -> String {
    let mut s = format!(
        "  {}: {}: {}\n",
        severity_word(p.severity, lang),
        p.source,
        message(p, lang)
    );
    if !p.ids.is_empty() {
        s.push_str(&lang.render(&msg!(
            "validate.ids",
            n = p.ids.len(),
            ids = ids(&p.ids, SHOWN_IDS)
        )));
        s.push('\n');
    }
    s
}

/// An input's role (`units`, `coarse localidades`, ...) in the report's language; the JSON
/// keeps the role as the pipeline names it.
fn role_words(role: &str, lang: Lang) -> String {
    let (head, rest) = role.split_once(' ').unwrap_or((role, ""));
    match (head, rest) {
        ("units", "") => lang.t("validate.role_units").to_string(),
        ("districts", "") => lang.t("validate.role_districts").to_string(),
        ("existing", "blocks") => lang.t("validate.role_existing").to_string(),
        ("coarse", name) => lang.fmt("validate.role_coarse", &[("name", Arg::from(name))]),
        ("supply", name) => lang.fmt("validate.role_supply", &[("name", Arg::from(name))]),
        ("candidates", name) => lang.fmt("validate.role_candidates", &[("name", Arg::from(name))]),
        _ => role.to_string(),
    }
}

/// The terminal report, in `lang`.
pub fn render(r: &CheckReport, lang: Lang) -> String {
    let mut s = match &r.name {
        Some(n) => lang.render(&msg!(
            "validate.method_named",
            method = &r.method,
            name = n.get(lang)
        )),
        None => lang.render(&msg!("validate.method", method = &r.method)),
    };
    s.push('\n');
    if !r.dimensions.is_empty() {
        let dims: Vec<String> = r
            .dimensions
            .iter()
            .map(|(n, w)| lang.render(&msg!("validate.dimension_weight", name = n, weight = *w)))
            .collect();
        s.push_str(&lang.render(&msg!(
            "validate.indicators",
            indicators = r.indicators,
            dimensions = r.dimensions.len(),
            list = dims.join(", ")
        )));
        s.push('\n');
    }
    if let Some(crs) = &r.working_crs {
        s.push_str(&lang.render(&msg!("validate.working_crs", crs = crs)));
        s.push('\n');
    }
    if !r.inputs.is_empty() {
        s.push_str(lang.t("validate.inputs"));
        s.push('\n');
    }
    let pad = |role: &str| format!("{:<24}", role_words(role, lang));
    for i in &r.inputs {
        if !i.read {
            s.push_str(&lang.render(&msg!("validate.not_read", role = pad(&i.role), path = &i.path)));
            s.push('\n');
            continue;
        }
        let kinds: Vec<String> = i.geometry.iter().map(|(k, n)| format!("{n} {k}")).collect();
        s.push_str(&lang.render(&msg!(
            "validate.input",
            role = pad(&i.role),
            path = &i.path,
            features = i.features,
            kinds = kinds.join(", "),
            crs = match &i.crs {
                Some(c) => Arg::from(c),
                None => key("validate.unknown_crs"),
            },
            plausible = if i.plausible {
                key("validate.plausible")
            } else {
                key("validate.implausible")
            }
        )));
        s.push('\n');
        if let Some((t, rows)) = &i.table {
            s.push_str(&lang.render(&msg!("validate.table", pad = pad(""), table = t, rows = *rows)));
            s.push('\n');
        }
        if !i.columns.is_empty() {
            let missing: usize = i.columns.iter().map(|c| c.nulls.len() + c.masked.len()).sum();
            let bad = i.columns.iter().filter(|c| !c.numeric).count();
            s.push_str(&lang.render(&msg!(
                "validate.columns",
                pad = pad(""),
                n = i.columns.len(),
                bad = bad,
                missing = missing
            )));
            s.push('\n');
        }
    }
    for sev in [Severity::Error, Severity::Warning] {
        let ps: Vec<&Problem> = r.problems.iter().filter(|p| p.severity == sev).collect();
        if ps.is_empty() {
            continue;
        }
        let title = match sev {
            Severity::Error => msg!("validate.errors_title", n = ps.len()),
            Severity::Warning => msg!("validate.warnings_title", n = ps.len()),
        };
        s.push_str(&lang.render(&title));
        s.push('\n');
        for p in ps {
            s.push_str(&problem_line(p, lang));
        }
    }
    s.push_str(&lang.render(&msg!(
        "validate.verdict",
        errors = r.errors(),
        warnings = r.warnings(),
        verdict = if r.errors() > 0 {
            key("validate.would_fail")
        } else {
            key("validate.can_run")
        }
    )));
    s.push('\n');
    s
}

/// The complete report as JSON (every id).
pub fn to_json(r: &CheckReport, lang: Lang) -> serde_json::Value {
    json!({
        "method": r.method,
        "name": r.name.as_ref().map(|n| n.get(lang)),
        "working_crs": r.working_crs,
        "dimensions": r.dimensions.iter().map(|(n, w)| json!({"name": n, "weight": w})).collect::<Vec<_>>(),
        "indicators": r.indicators,
        "errors": r.errors(),
        "warnings": r.warnings(),
        "inputs": r.inputs.iter().map(|i| json!({
            "role": i.role,
            "path": i.path,
            "read": i.read,
            "features": i.features,
            "crs": i.crs,
            "coordinates_plausible": i.plausible,
            "geometry": i.geometry,
            "table": i.table.as_ref().map(|(p, n)| json!({"path": p, "rows_matched": n})),
            "columns": i.columns.iter().map(|c| json!({
                "column": c.column, "used_by": c.used_by, "numeric": c.numeric,
                "nulls": c.nulls, "masked": c.masked,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "problems": r.problems.iter().map(|p| json!({
            "severity": p.severity.as_str(),
            "source": p.source,
            "message": message(p, lang),
            "count": p.ids.len(),
            "ids": p.ids,
        })).collect::<Vec<_>>(),
    })
}

pub fn run(a: &ValidateArgs, quiet: bool) -> Result<()> {
    let report = check_method(&a.method);
    // --lang, else the method's `lang` (English when the method could not be read).
    let lang = a.lang.unwrap_or(report.lang);
    if let Some(path) = &a.json {
        let text = serde_json::to_string_pretty(&to_json(&report, lang)).context("serialising the report")?;
        careblock_io::write_text(path, &text)?;
    }
    if !quiet {
        print!("{}", render(&report, lang));
    }
    let errors = report.errors();
    if errors > 0 {
        bail!(
            "{}: {errors} error(s): `careblock run` would fail (see the report above)",
            a.method.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use careblock_pipeline::{ColumnSummary, InputSummary};

    use super::*;

    fn report() -> CheckReport {
        CheckReport {
            method: "m.toml".into(),
            name: Some("Bogotá".into()),
            lang: Lang::Es,
            working_crs: Some("EPSG:9377".into()),
            dimensions: vec![("care_demand".into(), 0.25), ("supply".into(), 0.75)],
            indicators: 3,
            inputs: vec![InputSummary {
                role: "units".into(),
                path: "u.geojson".into(),
                read: true,
                features: 12,
                crs: None,
                plausible: true,
                geometry: BTreeMap::from([("Polygon".to_string(), 12)]),
                table: Some(("t.csv".into(), 11)),
                columns: vec![ColumnSummary {
                    column: "pop".into(),
                    used_by: "units.population".into(),
                    numeric: true,
                    nulls: vec!["a".into()],
                    masked: vec![],
                }],
            }],
            problems: vec![
                Problem {
                    severity: Severity::Warning,
                    source: "u.geojson".into(),
                    message: msg!("findings.population_zero", n = 12usize),
                    ids: (1..=12).map(|i| i.to_string()).collect(),
                    hint: None,
                },
                Problem {
                    severity: Severity::Error,
                    source: "d.geojson".into(),
                    message: msg!("common.error_text", text = "no such file"),
                    ids: vec![],
                    hint: None,
                },
            ],
        }
    }

    #[test]
    fn the_report_in_spanish() {
        let r = report();
        let es = render(&r, Lang::Es);
        let lines: Vec<&str> = es.lines().collect();
        assert_eq!(lines[0], "método m.toml (Bogotá)");
        assert_eq!(
            lines[1],
            "  3 indicador(es) en 2 dimensión(es): care_demand (peso 0,25), supply (peso 0,75)"
        );
        assert_eq!(lines[2], "  CRS de trabajo: EPSG:9377");
        assert_eq!(lines[3], "insumos:");
        assert_eq!(
            lines[4],
            format!(
                "  {:<24} u.geojson: 12 elemento(s) (12 Polygon), CRS desconocido, coordenadas plausibles",
                "unidades"
            )
        );
        assert!(
            lines[5].ends_with("   tabla t.csv: 11 fila(s) enlazada(s)"),
            "{es}"
        );
        assert!(
            lines[6]
                .ends_with("1 columna(s) usada(s), 0 no numérica(s) o ausente(s), 1 valor(es) faltante(s)"),
            "{es}"
        );
        // Errors first, in English by design; then the warnings in Spanish.
        assert_eq!(lines[7], "errores (1):");
        assert_eq!(lines[8], "  error: d.geojson: no such file");
        assert_eq!(lines[9], "advertencias (1):");
        assert!(
            lines[10].starts_with("  advertencia: u.geojson: 12 unidad(es) tienen población 0"),
            "{es}"
        );
        assert_eq!(lines[11], "      ids (12): 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 y 2 más");
        assert_eq!(
            lines[12],
            "1 error(es), 1 advertencia(s): `careblock run` fallaría"
        );
        let j = to_json(&r, Lang::Es);
        assert_eq!(j["problems"][0]["severity"], "warning");
        assert!(
            j["problems"][0]["message"]
                .as_str()
                .unwrap()
                .contains("población 0")
        );
    }

    #[test]
    fn the_report_in_english_is_as_before() {
        let en = render(&report(), Lang::En);
        let lines: Vec<&str> = en.lines().collect();
        assert_eq!(lines[0], "method m.toml (Bogotá)");
        assert_eq!(
            lines[1],
            "  3 indicator(s) in 2 dimension(s): care_demand (weight 0.25), supply (weight 0.75)"
        );
        assert_eq!(lines[2], "  working CRS: EPSG:9377");
        assert_eq!(lines[3], "inputs:");
        assert_eq!(
            lines[4],
            format!(
                "  {:<24} u.geojson: 12 feature(s) (12 Polygon), unknown CRS, coordinates plausible",
                "units"
            )
        );
        assert_eq!(lines[5], format!("  {:<24}   table t.csv: 11 row(s) matched", ""));
        assert_eq!(
            lines[6],
            format!(
                "  {:<24}   1 column(s) used, 0 not numeric or missing, 1 missing value(s)",
                ""
            )
        );
        assert_eq!(lines[10].split(": ").next(), Some("  warning"));
        assert_eq!(
            lines[11],
            "      ids (12): 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more"
        );
        assert_eq!(lines[12], "1 error(s), 1 warning(s): `careblock run` would fail");
    }
}
