//! The conservation report, for people (terminal) and for programs (JSON).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use careblock_core::Crs;
use careblock_core::join::ConservationReport;

/// The first `max` ids, comma-separated, with a count of the rest.
pub fn ids(ids: &[String], max: usize) -> String {
    let mut s = ids.iter().take(max).cloned().collect::<Vec<_>>().join(", ");
    if ids.len() > max {
        let _ = write!(s, ", … and {} more", ids.len() - max);
    }
    s
}

/// Prints `FILE: MESSAGE (N in all): id, id, …` on stderr, unless quiet or there are no ids.
pub fn note_ids(quiet: bool, file: &str, message: &str, list: &[String]) {
    if !quiet && !list.is_empty() {
        eprintln!("{file}: {message} ({} in all): {}", list.len(), ids(list, 25));
    }
}

fn num(v: f64) -> String {
    // Floating-point noise around zero (e.g. -1e-10 unallocated) is shown as 0.
    let v = if v.abs() < 5e-7 { 0.0 } else { v };
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.6}")
    }
}

/// A human-readable report.
pub fn render(r: &ConservationReport, crs: Crs, out: &Path) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "wrote {} (areas measured in {crs})", out.display());
    let _ = writeln!(
        s,
        "conservation (allocate_total = {}): source = allocated + unallocated",
        r.allocate_total
    );
    let width = r.variables.iter().map(|(n, _)| n.len()).max().unwrap_or(8).max(8);
    let _ = writeln!(
        s,
        "  {:width$}  {:>16}  {:>18}  {:>16}  {:>7}  {:>9}",
        "variable", "source", "allocated", "unallocated", "missing", "rel.error"
    );
    for (name, b) in &r.variables {
        let _ = writeln!(
            s,
            "  {:width$}  {:>16}  {:>18}  {:>16}  {:>7}  {:>9.1e}",
            name,
            num(b.source_total),
            num(b.allocated),
            num(b.unallocated),
            b.missing,
            b.relative_error()
        );
    }
    let wholly: Vec<String> = r
        .outside
        .iter()
        .filter(|o| o.covered_fraction == 0.0)
        .map(|o| o.id.clone())
        .collect();
    let partly: Vec<String> = r
        .outside
        .iter()
        .filter(|o| o.covered_fraction > 0.0)
        .map(|o| format!("{} ({:.1}% inside)", o.id, 100.0 * o.covered_fraction))
        .collect();
    let _ = writeln!(
        s,
        "sources wholly outside every target: {}",
        count_and_ids(&wholly)
    );
    let _ = writeln!(
        s,
        "sources partly outside every target: {}",
        count_and_ids(&partly)
    );
    let overlaps: Vec<String> = r
        .overlaps
        .iter()
        .map(|o| format!("{}∩{} ({:.1} m²)", o.a, o.b, o.area))
        .collect();
    let _ = writeln!(s, "overlapping targets: {}", count_and_ids(&overlaps));
    s
}

fn count_and_ids(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        format!("{}: {}", v.len(), ids(v, 50))
    }
}

/// The whole report as JSON (written to a temporary file, then renamed).
pub fn write_json(path: &Path, r: &ConservationReport, crs: Crs) -> Result<()> {
    let value = careblock_pipeline::results::conservation_json(r, crs);
    let text = serde_json::to_string_pretty(&value).context("serialising the report")?;
    let tmp = path.with_extension("json.partial");
    std::fs::write(&tmp, text).with_context(|| format!("{}: cannot write", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("{}: cannot rename into place", path.display()))?;
    Ok(())
}
