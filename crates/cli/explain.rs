//! `careblock explain OUT_DIR (--district ID | --unit ID | --site ID)`: read what `careblock
//! run` wrote (districts.csv / units.csv / sites.csv / assignments.csv / run.json) and explain
//! one row: why a district or unit ranks where it does (every indicator's contribution, which
//! sum to the index, and the Monte Carlo interval), or what a site covers.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use careblock_core::polars::prelude::{DataFrame, DataType};
use careblock_io::read_table_with_key;
use serde_json::{Value, json};

use crate::args::ExplainArgs;
use careblock_pipeline::results::column;

/// One output table, read with its `id` column as text.
struct Table {
    name: String,
    df: DataFrame,
    ids: Vec<String>,
}

impl Table {
    fn read(path: &Path, key: &str) -> Result<Table> {
        let name = path.display().to_string();
        if !path.is_file() {
            bail!("{name}: no such file (is this a `careblock run` output directory?)");
        }
        let df = read_table_with_key(path, key)?;
        let ids = text(&df, key, &name)?
            .into_iter()
            .map(|v| v.unwrap_or_default())
            .collect();
        Ok(Table { name, df, ids })
    }

    fn has(&self, column: &str) -> bool {
        self.df.column(column).is_ok()
    }

    fn num(&self, column: &str, row: usize) -> Option<f64> {
        let s = self
            .df
            .column(column)
            .ok()?
            .as_materialized_series()
            .cast(&DataType::Float64)
            .ok()?;
        s.f64().ok()?.get(row).filter(|v| v.is_finite())
    }

    /// A whole column as numbers (one cast, for loops over rows).
    fn nums(&self, column: &str) -> Vec<Option<f64>> {
        let cast = self
            .df
            .column(column)
            .ok()
            .and_then(|c| c.as_materialized_series().cast(&DataType::Float64).ok());
        match cast.as_ref().and_then(|s| s.f64().ok()) {
            Some(ca) => ca.iter().map(|v| v.filter(|x| x.is_finite())).collect(),
            None => vec![None; self.ids.len()],
        }
    }

    fn text(&self, column: &str, row: usize) -> Option<String> {
        text(&self.df, column, &self.name)
            .ok()?
            .into_iter()
            .nth(row)
            .flatten()
    }

    /// Rows whose id is `id`, or an error naming it and listing close ids.
    fn rows(&self, id: &str, what: &str) -> Result<Vec<usize>> {
        let rows: Vec<usize> = (0..self.ids.len()).filter(|&i| self.ids[i] == id).collect();
        if rows.is_empty() {
            bail!(
                "{}: no {what} with id {id:?}; close ids: {}",
                self.name,
                close_ids(id, &self.ids, 5).join(", ")
            );
        }
        Ok(rows)
    }
}

fn text(df: &DataFrame, column: &str, name: &str) -> Result<Vec<Option<String>>> {
    let c = df
        .column(column)
        .map_err(|_| anyhow!("{name}: no column {column:?}"))?
        .as_materialized_series()
        .cast(&DataType::String)
        .with_context(|| format!("{name}: column {column:?}"))?;
    let ca = c.str().with_context(|| format!("{name}: column {column:?}"))?;
    Ok(ca.iter().map(|v| v.map(str::to_string)).collect())
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The `n` ids closest to `id` (containing it first, then by edit distance, then by id).
pub fn close_ids(id: &str, ids: &[String], n: usize) -> Vec<String> {
    let lower = id.to_lowercase();
    let mut scored: Vec<(usize, &String)> = ids
        .iter()
        .map(|c| {
            let l = c.to_lowercase();
            let d = if l.contains(&lower) || lower.contains(&l) {
                0
            } else {
                1
            };
            (d * 1_000_000 + edit_distance(&lower, &l), c)
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(n).map(|(_, c)| c.clone()).collect()
}

fn ordinal(n: u64) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn fmt(v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{v:.4}"),
        None => "missing".to_string(),
    }
}

fn run_json(dir: &Path) -> Result<Value> {
    let path = dir.join("run.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("{}: cannot read", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", path.display()))
}

/// Explanation of one district or unit, as text and JSON.
fn explain_area(dir: &Path, level: &str, id: &str, report: &Value) -> Result<(String, Value)> {
    // A national run writes the units' table as GeoParquet only (`[output]`'s "auto").
    let file = match level {
        "district" => "districts.csv",
        _ if !dir.join("units.csv").is_file() && dir.join("units.parquet").is_file() => "units.parquet",
        _ => "units.csv",
    };
    let t = Table::read(&dir.join(file), column::ID)?;
    let row = t.rows(id, level)?[0];
    let section = if level == "district" { "districts" } else { "units" };
    let classes = report[section]["class_bins"]
        .as_array()
        .map(Vec::len)
        .filter(|k| *k > 0);
    let n_ranked = t.nums(column::RANK).iter().filter(|r| r.is_some()).count();
    let label = t.has(column::LABEL).then(|| t.text(column::LABEL, row)).flatten();
    let index = t.num(column::INDEX, row);
    let rank = t.num(column::RANK, row);
    let class = t.num(column::CLASS, row);

    let empty = Vec::new();
    let rows = indicator_rows(&t, row, report, dir)?;
    let penalty = t
        .has("imbalance_penalty")
        .then(|| t.num(column::IMBALANCE_PENALTY, row))
        .flatten();
    let sum: f64 = rows.iter().filter_map(|r| r.contrib).sum::<f64>() + penalty.unwrap_or(0.0);

    let mut s = format!("{level} {id}");
    if let Some(l) = &label {
        s.push_str(&format!(" ({l})"));
    }
    s.push('\n');
    match (rank, index) {
        (Some(r), Some(ix)) => s.push_str(&format!(
            "  rank {} of {n_ranked} (1 = highest need), class {}{}, index {ix:.4}\n",
            r as u64,
            class
                .map(|c| format!("{}", c as u64))
                .unwrap_or_else(|| "-".into()),
            classes
                .map(|k| format!(" of {k} ({k} = highest need)"))
                .unwrap_or_default()
        )),
        _ => s.push_str(&format!(
            "  not ranked (population {} below the minimum, or too many indicators missing); index {}\n",
            t.num(column::POPULATION, row)
                .map(|p| format!("{p:.0}"))
                .unwrap_or_else(|| "missing".into()),
            fmt(index)
        )),
    }
    if let Some(p) = t.num(column::POPULATION, row) {
        s.push_str(&format!("  population {p:.0}\n"));
    }
    let dims = report["dimensions"].as_array().unwrap_or(&empty);
    let dim_scores: Vec<(String, Option<f64>)> = dims
        .iter()
        .filter_map(|d| d["name"].as_str())
        .map(|d| (d.to_string(), t.num(&column::dim(d), row)))
        .collect();
    if !dim_scores.is_empty() {
        let parts: Vec<String> = dim_scores
            .iter()
            .map(|(d, v)| format!("{d} {}", fmt(*v)))
            .collect();
        s.push_str(&format!("  dimension scores: {}\n", parts.join(", ")));
    }
    s.push_str(&indicator_table(&rows, penalty));
    if index.is_some() {
        s.push_str(&format!(
            "  sum of contributions {sum:.4} = index {}\n",
            fmt(index)
        ));
    }
    if let (Some(med), Some(lo), Some(hi)) = (
        t.num(column::RANK_MEDIAN, row),
        t.num(column::RANK_P05, row),
        t.num(column::RANK_P95, row),
    ) {
        s.push_str(&format!(
            "  Monte Carlo ({} draws): median rank {med:.0}, 5–95 % interval {lo:.0}–{hi:.0}, probability of the top class {}\n",
            report[section]["draws"].as_u64().map(|d| d.to_string()).unwrap_or_else(|| "?".into()),
            t.num(column::P_TOP_CLASS, row).map(|p| format!("{p:.3}")).unwrap_or_else(|| "-".into())
        ));
    }
    if let (Some(r), Some(ix)) = (rank, index) {
        s.push_str(&because_line(
            &rows,
            label.as_deref().unwrap_or(id),
            r,
            ix,
            n_ranked,
        ));
    }
    let j = json!({
        "level": level,
        "id": id,
        "label": label,
        "rank": rank,
        "of": n_ranked,
        "class": class,
        "classes": classes,
        "index": index,
        "population": t.num(column::POPULATION, row),
        "dimensions": dim_scores.iter().map(|(d, v)| json!({"name": d, "score": v})).collect::<Vec<_>>(),
        "indicators": rows.iter().map(|r| json!({
            "name": r.name, "label": r.label, "dimension": r.dimension, "raw": r.raw,
            "score": r.score, "contribution": r.contrib, "basis": r.basis,
        })).collect::<Vec<_>>(),
        "imbalance_penalty": penalty,
        "sum_of_contributions": sum,
        "rank_median": t.num(column::RANK_MEDIAN, row),
        "rank_p05": t.num(column::RANK_P05, row),
        "rank_p95": t.num(column::RANK_P95, row),
        "p_top_class": t.num(column::P_TOP_CLASS, row),
    });
    Ok((s, j))
}

/// One indicator of an area: its values in the level's table and its description in run.json.
struct Row {
    name: String,
    label: String,
    dimension: String,
    raw: Option<f64>,
    score: Option<f64>,
    contrib: Option<f64>,
    basis: String,
}

/// The indicators of the area in `row`, by contribution (largest first, missing last, ties by
/// name).
fn indicator_rows(t: &Table, row: usize, report: &Value, dir: &Path) -> Result<Vec<Row>> {
    let empty = Vec::new();
    let indicators = report["indicators"].as_array().unwrap_or(&empty);
    let mut rows: Vec<Row> = indicators
        .iter()
        .filter_map(|i| {
            let name = i["name"].as_str()?.to_string();
            Some(Row {
                raw: t.num(&name, row),
                score: t.num(&column::score(&name), row),
                contrib: t.num(&column::contrib(&name), row),
                label: i["label"].as_str().unwrap_or(&name).to_string(),
                dimension: i["dimension"].as_str().unwrap_or("").to_string(),
                basis: i["basis"].as_str().unwrap_or("").to_string(),
                name,
            })
        })
        .collect();
    if rows.is_empty() {
        bail!("{}: run.json lists no indicators", dir.display());
    }
    // By contribution, largest first; missing last; ties by name.
    rows.sort_by(|a, b| {
        b.contrib
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.contrib.unwrap_or(f64::NEG_INFINITY))
            .then(a.name.cmp(&b.name))
    });
    Ok(rows)
}

/// The indicator table: raw value, score and contribution of each, then the imbalance penalty.
fn indicator_table(rows: &[Row], penalty: Option<f64>) -> String {
    let mut s = String::new();
    let w = rows.iter().map(|r| r.name.len()).max().unwrap_or(9).max(9);
    s.push_str(&format!(
        "  {:<w$}  {:>14}  {:>10}  {:>12}  dimension\n",
        "indicator", "raw value", "score", "contribution"
    ));
    for r in rows {
        s.push_str(&format!(
            "  {:<w$}  {:>14}  {:>10}  {:>12}  {}\n",
            r.name,
            fmt(r.raw),
            fmt(r.score),
            fmt(r.contrib),
            r.dimension
        ));
    }
    if let Some(p) = penalty {
        s.push_str(&format!(
            "  {:<w$}  {:>14}  {:>10}  {:>12}\n",
            "imbalance_penalty",
            "",
            "",
            fmt(Some(p))
        ));
    }
    s
}

/// `NAME ranks Nth of M mainly because of ...`: the two largest contributions above zero.
fn because_line(rows: &[Row], name: &str, r: f64, ix: f64, n_ranked: usize) -> String {
    let top: Vec<&Row> = rows
        .iter()
        .filter(|r| r.contrib.is_some_and(|c| c > 0.0))
        .take(2)
        .collect();
    let because: Vec<String> = top
        .iter()
        .map(|x| {
            let share = if ix > 0.0 {
                100.0 * x.contrib.unwrap_or(0.0) / ix
            } else {
                0.0
            };
            format!("{} ({share:.0} % of the index)", x.label.to_lowercase())
        })
        .collect();
    format!(
        "  {} ranks {} of {n_ranked} mainly because of {}.\n",
        name,
        ordinal(r as u64),
        if because.is_empty() {
            "no indicator above zero".to_string()
        } else {
            because.join(" and ")
        }
    )
}

/// Explanation of every site with this id (ids of different kinds may coincide).
fn explain_site(dir: &Path, id: &str, report: &Value) -> Result<(String, Value)> {
    let t = Table::read(&dir.join("sites.csv"), column::ID)?;
    let rows = t.rows(id, "site")?;
    let assignments = dir.join("assignments.csv");
    let assigned = if assignments.is_file() {
        Some(Table::read(&assignments, column::SITE)?)
    } else {
        None
    };
    let fixed = [
        "status",
        "rank",
        "id",
        "kind",
        "name",
        "lon",
        "lat",
        "gain",
        "cumulative",
        "cum_share",
        "irreplace",
        "demand",
        "population",
        "mean_index",
        "n_units",
        // Text columns of the equity rule and of phases, said in words below.
        "placed_by",
        "district",
        "phase",
        "capacity",
        "load",
        "utilisation",
        "sel_freq",
        "sel_rank",
    ];
    let groups: Vec<String> =
        t.df.get_column_names()
            .iter()
            .map(|c| c.to_string())
            .filter(|c| !fixed.contains(&c.as_str()))
            .collect();
    let mut s = String::new();
    let mut js = Vec::new();
    for row in rows {
        let status = t.text(column::STATUS, row).unwrap_or_default();
        let total = if status == "bus" {
            report["siting"]["bus"]["total_demand"].as_f64()
        } else {
            report["siting"]["blocks"]["total_demand"].as_f64()
        };
        let pct = |v: Option<f64>| match (v, total) {
            (Some(v), Some(t)) if t > 0.0 => format!("{:.2} %", 100.0 * v / t),
            _ => "-".into(),
        };
        let gain = t.num(column::GAIN, row);
        s.push_str(&format!(
            "site {id} ({}, {}): {status}",
            t.text(column::KIND, row).unwrap_or_default(),
            t.text(column::NAME, row).unwrap_or_else(|| "no name".into())
        ));
        if let Some(r) = t.num(column::RANK, row) {
            s.push_str(&format!(", rank {}", r as u64));
        }
        s.push('\n');
        if let (Some(lon), Some(lat)) = (t.num(column::LON, row), t.num(column::LAT, row)) {
            s.push_str(&format!("  location {lon:.5}, {lat:.5}\n"));
        }
        s.push_str(&format!(
            "  marginal gain {} ({} of the demand); cumulative coverage {} ({} of the demand)\n",
            fmt(gain),
            pct(gain),
            fmt(t.num(column::CUMULATIVE, row)),
            t.num(column::CUM_SHARE, row)
                .map(|c| format!("{:.2} %", 100.0 * c))
                .unwrap_or_else(|| "-".into())
        ));
        s.push_str(&format!(
            "  irreplaceability {}\n",
            match t.num(column::IRREPLACE, row) {
                Some(v) => format!("{v:.4} (demand lost if this site is forbidden and the rest re-optimised)"),
                None => "not computed (existing blocks, capacitated siting and coverage targets have none)".into(),
            }
        ));
        if let Some(freq) = t.has("sel_freq").then(|| t.num("sel_freq", row)).flatten() {
            s.push_str(&format!(
                "  robust: chosen in {:.0} % of the index draws{} (robust.csv has every candidate)\n",
                100.0 * freq,
                t.num("sel_rank", row)
                    .map(|r| format!(", at mean rank {r:.1}"))
                    .unwrap_or_default()
            ));
        }
        s.push_str(&format!(
            "  in its catchment: demand {}, population {}, mean index {}, {} unit(s)\n",
            fmt(t.num(column::DEMAND, row)),
            fmt(t.num(column::POPULATION, row)),
            fmt(t.num(column::MEAN_INDEX, row)),
            t.num(column::N_UNITS, row)
                .map(|n| format!("{n:.0}"))
                .unwrap_or_else(|| "-".into())
        ));
        for g in &groups {
            s.push_str(&format!("    {g}: {}\n", fmt(t.num(g, row))));
        }
        let has = |c: &str| t.df.column(c).is_ok();
        let (phase, placed_by, district) = (
            has("phase").then(|| t.text("phase", row)).flatten(),
            has("placed_by").then(|| t.text("placed_by", row)).flatten(),
            has("district").then(|| t.text("district", row)).flatten(),
        );
        if let Some(p) = &phase {
            s.push_str(&format!("  opened in phase {p}\n"));
        }
        let capacity = has("capacity").then(|| t.num("capacity", row)).flatten();
        let load = has("load").then(|| t.num("load", row)).flatten();
        if let (Some(c), Some(l)) = (capacity, load) {
            s.push_str(&format!(
                "  capacity {} persons of demand, {} assigned ({:.1} % used)\n",
                fmt(Some(c)),
                fmt(Some(l)),
                if c > 0.0 { 100.0 * l / c } else { 0.0 }
            ));
        }
        if let Some(b) = &placed_by {
            s.push_str(&format!(
                "  placed by {b}{}\n",
                district
                    .as_ref()
                    .map(|d| format!(" (district {d})"))
                    .unwrap_or_default()
            ));
        }
        let mut best: Vec<String> = Vec::new();
        if let Some(a) = &assigned {
            let statuses = text(&a.df, "site_status", &a.name)?;
            let units = text(&a.df, "unit", &a.name)?;
            for ((site, st), unit) in a.ids.iter().zip(&statuses).zip(units) {
                if site == id
                    && st.as_deref() == Some(status.as_str())
                    && let Some(u) = unit
                {
                    best.push(u);
                }
            }
            s.push_str(&format!(
                "  best site of {} unit(s){}\n",
                best.len(),
                if best.is_empty() {
                    String::new()
                } else {
                    format!(": {}", crate::validate::capped(&best, 10))
                }
            ));
        }
        js.push(json!({
            "id": id,
            "status": status,
            "kind": t.text(column::KIND, row),
            "name": t.text(column::NAME, row),
            "rank": t.num(column::RANK, row),
            "marginal_gain": gain,
            "gain_share_of_demand": gain.zip(total).filter(|(_, t)| *t > 0.0).map(|(g, t)| g / t),
            "cumulative": t.num(column::CUMULATIVE, row),
            "cumulative_share": t.num(column::CUM_SHARE, row),
            "irreplaceability": t.num(column::IRREPLACE, row),
            "selection_frequency": t.has("sel_freq").then(|| t.num("sel_freq", row)).flatten(),
            "mean_rank_when_chosen": t.has("sel_rank").then(|| t.num("sel_rank", row)).flatten(),
            "demand": t.num(column::DEMAND, row),
            "population": t.num(column::POPULATION, row),
            "mean_index": t.num(column::MEAN_INDEX, row),
            "units_in_reach": t.num(column::N_UNITS, row),
            "groups": groups.iter().map(|g| (g.clone(), json!(t.num(g, row)))).collect::<serde_json::Map<_, _>>(),
            "best_site_of_units": best,
            "phase": phase,
            "capacity": capacity,
            "load": load,
            "placed_by": placed_by,
            "district": district,
        }));
    }
    Ok((s, json!(js)))
}

pub fn run(a: &ExplainArgs, quiet: bool) -> Result<()> {
    if !a.dir.is_dir() {
        bail!(
            "{}: no such directory (the --out of `careblock run`)",
            a.dir.display()
        );
    }
    let report = run_json(&a.dir)?;
    let (text, json) = match (&a.district, &a.unit, &a.site) {
        (Some(id), _, _) => explain_area(&a.dir, "district", id, &report)?,
        (_, Some(id), _) => explain_area(&a.dir, "unit", id, &report)?,
        (_, _, Some(id)) => {
            if report.get("siting").is_none() {
                bail!(
                    "{}: this run had no [siting], so there are no sites",
                    a.dir.display()
                );
            }
            explain_site(&a.dir, id, &report)?
        }
        // clap requires one of the three (ArgGroup "what").
        _ => bail!("give --district, --unit or --site"),
    };
    if let Some(path) = &a.json {
        let t = serde_json::to_string_pretty(&json).context("serialising the explanation")?;
        careblock_io::write_text(path, &t)?;
    }
    if !quiet {
        print!("{text}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_and_close_ids() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(ordinal).to_vec();
        assert_eq!(
            got,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"
            ]
        );
        let ids: Vec<String> = ["UPZ1", "UPZ10", "UPZ100", "UPZ85", "UPR3"]
            .map(String::from)
            .to_vec();
        assert_eq!(close_ids("UPZ1000", &ids, 2), ["UPZ100", "UPZ10"]);
        assert_eq!(close_ids("upz8", &ids, 1), ["UPZ85"]);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
