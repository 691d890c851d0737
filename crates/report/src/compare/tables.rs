//! The comparison's CSV tables and `compare.json`.

use careblock_core::polars::prelude::{Column, DataFrame, DataType, PolarsError};
use serde_json::{Value, json};

use super::diff::{Comparison, Coverage, LevelComparison, MethodDifference, SiteComparison};
use super::{CompareError, SiteRow};

fn frame(name: &str, columns: Vec<Column>) -> Result<DataFrame, CompareError> {
    let height = columns.first().map_or(0, Column::len);
    DataFrame::new(height, columns).map_err(|e: PolarsError| CompareError::Column {
        file: name.to_string(),
        column: "*".into(),
        problem: e.to_string(),
    })
}

/// `districts_changes.csv` / `units_changes.csv`: a row per feature, the largest rank change
/// first. `rank_change` = second rank − first (negative: rose in priority).
pub(super) fn level_table(l: &LevelComparison) -> Result<DataFrame, CompareError> {
    let c = &l.changes;
    let pair = |name: &str, f: &dyn Fn(&super::AreaChange) -> Option<f64>| -> Column {
        Column::new(name.into(), c.iter().map(f).collect::<Vec<Option<f64>>>())
    };
    let whole = |name: &str, f: &dyn Fn(&super::AreaChange) -> Option<f64>| -> Column {
        Column::new(
            name.into(),
            c.iter()
                .map(|x| f(x).map(|v| v.round() as i64))
                .collect::<Vec<Option<i64>>>(),
        )
    };
    let changed: Vec<bool> = c.iter().map(|x| x.changed()).collect();
    frame(
        &format!("{}_changes.csv", l.level),
        vec![
            Column::new("id".into(), c.iter().map(|x| x.id.clone()).collect::<Vec<_>>()),
            Column::new(
                "label".into(),
                c.iter().map(|x| x.label.clone()).collect::<Vec<_>>(),
            ),
            Column::new("changed".into(), changed),
            whole("rank_a", &|x| x.rank[0]),
            whole("rank_b", &|x| x.rank[1]),
            whole("rank_change", &|x| x.rank_change()),
            whole("class_a", &|x| x.class[0]),
            whole("class_b", &|x| x.class[1]),
            whole("class_change", &|x| x.class_change()),
            pair("index_a", &|x| x.index[0]),
            pair("index_b", &|x| x.index[1]),
            pair("index_change", &|x| x.index_change()),
            pair("need_cov_after_a", &|x| x.covered_after[0]),
            pair("need_cov_after_b", &|x| x.covered_after[1]),
        ],
    )
}

/// `sites_changes.csv`: a row per site of either run (matched on status and id).
pub(super) fn site_table(s: &[SiteComparison]) -> Result<DataFrame, CompareError> {
    let text = |name: &str, f: &dyn Fn(&SiteRow) -> Option<String>| -> Column {
        Column::new(name.into(), s.iter().map(|x| f(x.row())).collect::<Vec<_>>())
    };
    let side = |name: &str, a: bool, f: &dyn Fn(&SiteRow) -> Option<f64>| -> Column {
        Column::new(
            name.into(),
            s.iter()
                .map(|x| if a { x.a.as_ref() } else { x.b.as_ref() }.and_then(f))
                .collect::<Vec<_>>(),
        )
    };
    frame(
        "sites_changes.csv",
        vec![
            Column::new(
                "change".into(),
                s.iter().map(|x| x.change.word()).collect::<Vec<_>>(),
            ),
            text("status", &|r| Some(r.status.clone())),
            text("id", &|r| Some(r.id.clone())),
            text("kind", &|r| r.kind.clone()),
            text("name", &|r| r.name.clone()),
            Column::new("lon".into(), s.iter().map(|x| x.row().lon).collect::<Vec<_>>()),
            Column::new("lat".into(), s.iter().map(|x| x.row().lat).collect::<Vec<_>>()),
            side("rank_a", true, &|r| r.rank)
                .cast(&DataType::Int64)
                .map_err(|e| CompareError::Column {
                    file: "sites_changes.csv".into(),
                    column: "rank_a".into(),
                    problem: e.to_string(),
                })?,
            side("rank_b", false, &|r| r.rank)
                .cast(&DataType::Int64)
                .map_err(|e| CompareError::Column {
                    file: "sites_changes.csv".into(),
                    column: "rank_b".into(),
                    problem: e.to_string(),
                })?,
            side("gain_a", true, &|r| r.gain),
            side("gain_b", false, &|r| r.gain),
        ],
    )
}

/// `method_changes.csv`: what differs, the first run's value and the second's.
pub(super) fn method_table(m: &[MethodDifference]) -> Result<DataFrame, CompareError> {
    frame(
        "method_changes.csv",
        vec![
            Column::new(
                "what".into(),
                m.iter().map(|d| d.what.clone()).collect::<Vec<_>>(),
            ),
            Column::new("a".into(), m.iter().map(|d| d.a.clone()).collect::<Vec<_>>()),
            Column::new("b".into(), m.iter().map(|d| d.b.clone()).collect::<Vec<_>>()),
        ],
    )
}

fn level_json(l: &LevelComparison) -> Value {
    json!({
        "features": l.changes.len(),
        "ranked_both": l.ranked_both,
        "ranked_one": l.ranked_one,
        "rank_changed": l.rank_changed,
        "class_changed": l.class_changed,
        "mean_abs_rank_change": l.mean_abs_rank_change,
        "spearman": l.spearman,
    })
}

fn coverage_json(c: &[Option<Coverage>; 2]) -> Value {
    let one = |c: &Option<Coverage>| match c {
        None => Value::Null,
        Some(c) => json!({"before": c.before, "after": c.after, "bound": c.bound, "proposed": c.proposed}),
    };
    json!({"a": one(&c[0]), "b": one(&c[1])})
}

/// `compare.json`: the counts the terminal and the page summarise, for scripts.
pub(super) fn summary_json(c: &Comparison) -> Value {
    let sites = c.sites.as_ref().map(|s| {
        let count = |w: &str| s.iter().filter(|x| x.change.word() == w).count();
        json!({"kept": count("kept"), "added": count("added"), "removed": count("removed")})
    });
    json!({
        "a": {"dir": c.dirs[0], "name": c.names[0]},
        "b": {"dir": c.dirs[1], "name": c.names[1]},
        "units": level_json(&c.units),
        "districts": c.districts.as_ref().map(level_json),
        "sites": sites,
        "coverage": {"blocks": coverage_json(&c.blocks), "bus": coverage_json(&c.bus)},
        "method_differences": c.method.len(),
    })
}
