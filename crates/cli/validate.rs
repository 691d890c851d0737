//! `careblock validate METHOD.toml`: read and check every input a method names and print the
//! problems (errors: the run would fail; warnings: the run goes on and the listed features get
//! the documented treatment), without computing the index or the siting. The checking is
//! `careblock_pipeline::check_method`; this module only renders its report.

use anyhow::{Context, Result, bail};
use careblock_pipeline::{CheckReport, Problem, Severity, check_method};
use serde_json::json;

use crate::args::ValidateArgs;

/// Ids shown per problem on the terminal (the JSON report has them all).
const SHOWN_IDS: usize = 10;

/// `a, b, c and 4 more`.
pub fn capped(ids: &[String], n: usize) -> String {
    let shown: Vec<&str> = ids.iter().take(n).map(String::as_str).collect();
    let mut s = shown.join(", ");
    if ids.len() > n {
        s.push_str(&format!(" and {} more", ids.len() - n));
    }
    s
}

fn problem_line(p: &Problem) -> String {
    let mut s = format!(
        "  {}: {}: {}{}\n",
        p.severity.as_str(),
        p.source,
        p.message,
        crate::hints::suffix(p.hint)
    );
    if !p.ids.is_empty() {
        s.push_str(&format!(
            "      ids ({}): {}\n",
            p.ids.len(),
            capped(&p.ids, SHOWN_IDS)
        ));
    }
    s
}

/// The terminal report.
pub fn render(r: &CheckReport) -> String {
    let mut s = format!("method {}", r.method);
    if let Some(n) = &r.name {
        s.push_str(&format!(" ({n})"));
    }
    s.push('\n');
    if !r.dimensions.is_empty() {
        let dims: Vec<String> = r
            .dimensions
            .iter()
            .map(|(n, w)| format!("{n} (weight {w})"))
            .collect();
        s.push_str(&format!(
            "  {} indicator(s) in {} dimension(s): {}\n",
            r.indicators,
            r.dimensions.len(),
            dims.join(", ")
        ));
    }
    if let Some(crs) = &r.working_crs {
        s.push_str(&format!("  working CRS: {crs}\n"));
    }
    if !r.inputs.is_empty() {
        s.push_str("inputs:\n");
    }
    for i in &r.inputs {
        if !i.read {
            s.push_str(&format!(
                "  {:<24} {}: NOT READ (see the errors)\n",
                i.role, i.path
            ));
            continue;
        }
        let kinds: Vec<String> = i.geometry.iter().map(|(k, n)| format!("{n} {k}")).collect();
        s.push_str(&format!(
            "  {:<24} {}: {} feature(s) ({}), {}, coordinates {}\n",
            i.role,
            i.path,
            i.features,
            kinds.join(", "),
            i.crs.as_deref().unwrap_or("unknown CRS"),
            if i.plausible { "plausible" } else { "implausible" }
        ));
        if let Some((t, rows)) = &i.table {
            s.push_str(&format!("  {:<24}   table {t}: {rows} row(s) matched\n", ""));
        }
        if !i.columns.is_empty() {
            let missing: usize = i.columns.iter().map(|c| c.nulls.len() + c.masked.len()).sum();
            let bad = i.columns.iter().filter(|c| !c.numeric).count();
            s.push_str(&format!(
                "  {:<24}   {} column(s) used, {} not numeric or missing, {} missing value(s)\n",
                "",
                i.columns.len(),
                bad,
                missing
            ));
        }
    }
    for (sev, title) in [(Severity::Error, "errors"), (Severity::Warning, "warnings")] {
        let ps: Vec<&Problem> = r.problems.iter().filter(|p| p.severity == sev).collect();
        if ps.is_empty() {
            continue;
        }
        s.push_str(&format!("{title} ({}):\n", ps.len()));
        for p in ps {
            s.push_str(&problem_line(p));
        }
    }
    s.push_str(&format!(
        "{} error(s), {} warning(s): {}\n",
        r.errors(),
        r.warnings(),
        if r.errors() > 0 {
            "`careblock run` would fail"
        } else {
            "`careblock run` can run this method"
        }
    ));
    s
}

/// The complete report as JSON (every id).
pub fn to_json(r: &CheckReport) -> serde_json::Value {
    json!({
        "method": r.method,
        "name": r.name,
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
            "message": format!("{}{}", p.message, crate::hints::suffix(p.hint)),
            "count": p.ids.len(),
            "ids": p.ids,
        })).collect::<Vec<_>>(),
    })
}

pub fn run(a: &ValidateArgs, quiet: bool) -> Result<()> {
    let report = check_method(&a.method);
    if let Some(path) = &a.json {
        let text = serde_json::to_string_pretty(&to_json(&report)).context("serialising the report")?;
        careblock_io::write_text(path, &text)?;
    }
    if !quiet {
        print!("{}", render(&report));
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
