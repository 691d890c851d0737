//! `careblock explain OUT_DIR (--district ID | --unit ID | --site ID)`: read what `careblock
//! run` wrote (districts.csv / units.csv / sites.csv / assignments.csv / run.json) and explain
//! one row: why a district or unit ranks where it does (every indicator's contribution, which
//! sum to the index, and the Monte Carlo interval), or what a site covers.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use careblock_core::polars::prelude::{DataFrame, DataType};
use careblock_io::read_table_with_key;
use careblock_text::{Arg, Lang, fixed, ids, key, msg};
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

/// `1st`, `2nd`, ... in English; `1.º`, `2.º`, ... in Spanish.
fn ordinal(lang: Lang, n: u64) -> String {
    if lang == Lang::Es {
        return format!("{n}.º");
    }
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// A value with four decimals, or the word for a missing one.
fn fmt(lang: Lang, v: Option<f64>) -> String {
    match v {
        Some(v) => lang.fixed(v, 4),
        None => lang.t("explain.missing").to_string(),
    }
}

/// The language to explain in: `--lang`, else the run's (`lang` in run.json, else its resolved
/// method's), else English (outputs of older versions).
fn language(flag: Option<Lang>, report: &Value) -> Lang {
    flag.or_else(|| {
        [&report["lang"], &report["resolved_method"]["lang"]]
            .into_iter()
            .find_map(|v| v.as_str().and_then(|c| Lang::parse(c).ok()))
    })
    .unwrap_or_default()
}

/// The label of an indicator in `lang`: the method's label for that language when it gives one
/// per language, else the label run.json lists (in the run's language), else its name.
fn indicator_label(report: &Value, indicator: &Value, name: &str, lang: Lang) -> String {
    let method_label = report["resolved_method"]["indicators"]
        .as_array()
        .and_then(|is| is.iter().find(|i| i["name"].as_str() == Some(name)))
        .and_then(|i| i.get("label"))
        .filter(|l| l.is_object())
        .and_then(|l| serde_json::from_value::<careblock_method::Label>(l.clone()).ok());
    match method_label {
        Some(l) => l.get(lang).to_string(),
        None => indicator["label"].as_str().unwrap_or(name).to_string(),
    }
}

fn run_json(dir: &Path) -> Result<Value> {
    let path = dir.join("run.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("{}: cannot read", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", path.display()))
}

/// Explanation of one district or unit, as text and JSON.
fn explain_area(dir: &Path, level: &str, id: &str, report: &Value, lang: Lang) -> Result<(String, Value)> {
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
    let rows = indicator_rows(&t, row, report, dir, lang)?;
    let penalty = t
        .has("imbalance_penalty")
        .then(|| t.num(column::IMBALANCE_PENALTY, row))
        .flatten();
    let sum: f64 = rows.iter().filter_map(|r| r.contrib).sum::<f64>() + penalty.unwrap_or(0.0);

    let level_word = if level == "district" {
        key("explain.level_district")
    } else {
        key("explain.level_unit")
    };
    let mut s = match &label {
        Some(l) => lang.render(&msg!(
            "explain.header_label",
            level = level_word,
            id = id,
            label = l
        )),
        None => lang.render(&msg!("explain.header", level = level_word, id = id)),
    };
    s.push('\n');
    match (rank, index) {
        (Some(r), Some(ix)) => {
            let of_classes = match classes {
                Some(k) => Arg::from(msg!("explain.of_classes", k = k)),
                None => Arg::from(""),
            };
            let class = class
                .map(|c| Arg::from(c as u64))
                .unwrap_or_else(|| Arg::from("-"));
            s.push_str(&lang.fmt(
                "explain.ranked",
                &[
                    ("rank", Arg::from(r as u64)),
                    ("of", Arg::from(n_ranked)),
                    ("class", class),
                    ("classes", of_classes),
                    ("index", fixed(ix, 4)),
                ],
            ));
        }
        _ => s.push_str(&lang.render(&msg!(
            "explain.not_ranked",
            population = t
                .num(column::POPULATION, row)
                .map(|p| fixed(p, 0))
                .unwrap_or_else(|| key("explain.missing")),
            index = fmt(lang, index)
        ))),
    }
    s.push('\n');
    if let Some(p) = t.num(column::POPULATION, row) {
        s.push_str(&lang.render(&msg!("explain.population", population = fixed(p, 0))));
        s.push('\n');
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
            .map(|(d, v)| format!("{d} {}", fmt(lang, *v)))
            .collect();
        s.push_str(&lang.render(&msg!("explain.dimension_scores", scores = parts.join(", "))));
        s.push('\n');
    }
    s.push_str(&indicator_table(&rows, penalty, lang));
    if index.is_some() {
        s.push_str(&lang.render(&msg!(
            "explain.sum",
            sum = fixed(sum, 4),
            index = fmt(lang, index)
        )));
        s.push('\n');
    }
    if let (Some(med), Some(lo), Some(hi)) = (
        t.num(column::RANK_MEDIAN, row),
        t.num(column::RANK_P05, row),
        t.num(column::RANK_P95, row),
    ) {
        s.push_str(&lang.render(&msg!(
            "explain.monte_carlo",
            draws = report[section]["draws"]
                .as_u64()
                .map(Arg::from)
                .unwrap_or_else(|| Arg::from("?")),
            median = fixed(med, 0),
            low = fixed(lo, 0),
            high = fixed(hi, 0),
            p_top = t
                .num(column::P_TOP_CLASS, row)
                .map(|p| fixed(p, 3))
                .unwrap_or_else(|| Arg::from("-"))
        )));
        s.push('\n');
    }
    if let (Some(r), Some(ix)) = (rank, index) {
        s.push_str(&because_line(
            &rows,
            label.as_deref().unwrap_or(id),
            r,
            ix,
            n_ranked,
            lang,
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
fn indicator_rows(t: &Table, row: usize, report: &Value, dir: &Path, lang: Lang) -> Result<Vec<Row>> {
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
                label: indicator_label(report, i, &name, lang),
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
fn indicator_table(rows: &[Row], penalty: Option<f64>, lang: Lang) -> String {
    let mut s = String::new();
    let head = lang.t("explain.col_indicator");
    let w = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(head.chars().count())
        .max(9);
    s.push_str(&format!(
        "  {:<w$}  {:>14}  {:>10}  {:>12}  {}\n",
        head,
        lang.t("explain.col_raw"),
        lang.t("explain.col_score"),
        lang.t("explain.col_contribution"),
        lang.t("explain.col_dimension"),
    ));
    for r in rows {
        s.push_str(&format!(
            "  {:<w$}  {:>14}  {:>10}  {:>12}  {}\n",
            r.name,
            fmt(lang, r.raw),
            fmt(lang, r.score),
            fmt(lang, r.contrib),
            r.dimension
        ));
    }
    if let Some(p) = penalty {
        s.push_str(&format!(
            "  {:<w$}  {:>14}  {:>10}  {:>12}\n",
            "imbalance_penalty",
            "",
            "",
            fmt(lang, Some(p))
        ));
    }
    s
}

/// `NAME ranks Nth of M mainly because of ...`: the two largest contributions above zero.
fn because_line(rows: &[Row], name: &str, r: f64, ix: f64, n_ranked: usize, lang: Lang) -> String {
    let because: Vec<String> = rows
        .iter()
        .filter(|r| r.contrib.is_some_and(|c| c > 0.0))
        .take(2)
        .map(|x| {
            let share = if ix > 0.0 {
                100.0 * x.contrib.unwrap_or(0.0) / ix
            } else {
                0.0
            };
            lang.render(&msg!(
                "explain.because_item",
                label = x.label.to_lowercase(),
                share = fixed(share, 0)
            ))
        })
        .collect();
    let because = match because.as_slice() {
        [] => lang.t("explain.no_indicator_above_zero").to_string(),
        [one] => one.clone(),
        [a, b, ..] => both(lang, a, b),
    };
    let mut s = lang.render(&msg!(
        "explain.because",
        name = name,
        ordinal = ordinal(lang, r as u64),
        of = n_ranked,
        because = because
    ));
    s.push('\n');
    s
}

/// `A and B`; in Spanish `A y B`, or `A e B` before an /i/ sound (`i-`, `hi-`, not `hie-`).
fn both(lang: Lang, a: &str, b: &str) -> String {
    let lower = b.to_lowercase();
    let i_sound = ["i", "í", "hi", "hí"].iter().any(|p| lower.starts_with(p))
        && !["hia", "hie", "hio", "hiu"].iter().any(|p| lower.starts_with(p));
    if lang == Lang::Es && i_sound {
        lang.render(&msg!("explain.and_before_i", a = a, b = b))
    } else {
        lang.render(&msg!("explain.and", a = a, b = b))
    }
}

/// A site's status (`proposed`, `existing`, `bus`) in words.
fn status_word(lang: Lang, status: &str) -> String {
    match status {
        "proposed" => lang.t("explain.status_proposed").to_string(),
        "existing" => lang.t("explain.status_existing").to_string(),
        "bus" => lang.t("explain.status_bus").to_string(),
        other => other.to_string(),
    }
}

/// A site's kind in words when careblock named it (`existing`, `grid`); the data's own kinds
/// as they are.
fn kind_word(lang: Lang, kind: &str) -> String {
    careblock_siting::plan::kind_key(kind).map_or_else(|| kind.to_string(), |k| lang.t(k).to_string())
}

/// The rule that placed a site (`equity`, `coverage`) in words.
fn rule_word(lang: Lang, rule: &str) -> String {
    match rule {
        "equity" => lang.t("explain.rule_equity").to_string(),
        "coverage" => lang.t("explain.rule_coverage").to_string(),
        other => other.to_string(),
    }
}

/// Explanation of every site with this id (ids of different kinds may coincide).
fn explain_site(dir: &Path, id: &str, report: &Value, lang: Lang) -> Result<(String, Value)> {
    let t = Table::read(&dir.join("sites.csv"), column::ID)?;
    let rows = t.rows(id, "site")?;
    let assignments = dir.join("assignments.csv");
    let assigned = if assignments.is_file() {
        Some(Table::read(&assignments, column::SITE)?)
    } else {
        None
    };
    let known = [
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
            .filter(|c| !known.contains(&c.as_str()))
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
            (Some(v), Some(t)) if t > 0.0 => format!("{} %", lang.fixed(100.0 * v / t, 2)),
            _ => "-".into(),
        };
        let gain = t.num(column::GAIN, row);
        s.push_str(&lang.render(&msg!(
            "explain.site",
            id = id,
            kind = kind_word(lang, &t.text(column::KIND, row).unwrap_or_default()),
            name = t
                .text(column::NAME, row)
                .map(Arg::from)
                .unwrap_or_else(|| key("explain.no_name")),
            status = status_word(lang, &status)
        )));
        if let Some(r) = t.num(column::RANK, row) {
            s.push_str(&lang.render(&msg!("explain.site_rank", rank = r as u64)));
        }
        s.push('\n');
        if let (Some(lon), Some(lat)) = (t.num(column::LON, row), t.num(column::LAT, row)) {
            s.push_str(&lang.render(&msg!(
                "explain.location",
                lon = fixed(lon, 5),
                lat = fixed(lat, 5)
            )));
            s.push('\n');
        }
        s.push_str(&lang.render(&msg!(
            "explain.gain",
            gain = fmt(lang, gain),
            gain_share = pct(gain),
            cumulative = fmt(lang, t.num(column::CUMULATIVE, row)),
            cumulative_share = t
                .num(column::CUM_SHARE, row)
                .map(|c| format!("{} %", lang.fixed(100.0 * c, 2)))
                .unwrap_or_else(|| "-".into())
        )));
        s.push('\n');
        s.push_str(&match t.num(column::IRREPLACE, row) {
            Some(v) => lang.render(&msg!("explain.irreplaceability", value = fixed(v, 4))),
            None => lang.t("explain.irreplaceability_none").to_string(),
        });
        s.push('\n');
        if let Some(freq) = t.has("sel_freq").then(|| t.num("sel_freq", row)).flatten() {
            let at = match t.num("sel_rank", row) {
                Some(r) => Arg::from(msg!("explain.robust_rank", rank = fixed(r, 1))),
                None => Arg::from(""),
            };
            s.push_str(&lang.render(&msg!("explain.robust", share = fixed(100.0 * freq, 0), at = at)));
            s.push('\n');
        }
        s.push_str(&lang.render(&msg!(
            "explain.catchment",
            demand = fmt(lang, t.num(column::DEMAND, row)),
            population = fmt(lang, t.num(column::POPULATION, row)),
            mean_index = fmt(lang, t.num(column::MEAN_INDEX, row)),
            n = t
                .num(column::N_UNITS, row)
                .map(|n| fixed(n, 0))
                .unwrap_or_else(|| Arg::from("-"))
        )));
        s.push('\n');
        for g in &groups {
            s.push_str(&format!("    {g}: {}\n", fmt(lang, t.num(g, row))));
        }
        let has = |c: &str| t.df.column(c).is_ok();
        let (phase, placed_by, district) = (
            has("phase").then(|| t.text("phase", row)).flatten(),
            has("placed_by").then(|| t.text("placed_by", row)).flatten(),
            has("district").then(|| t.text("district", row)).flatten(),
        );
        if let Some(p) = &phase {
            s.push_str(&lang.render(&msg!("explain.phase", phase = p)));
            s.push('\n');
        }
        let capacity = has("capacity").then(|| t.num("capacity", row)).flatten();
        let load = has("load").then(|| t.num("load", row)).flatten();
        if let (Some(c), Some(l)) = (capacity, load) {
            s.push_str(&lang.render(&msg!(
                "explain.capacity",
                capacity = fmt(lang, Some(c)),
                load = fmt(lang, Some(l)),
                used = fixed(if c > 0.0 { 100.0 * l / c } else { 0.0 }, 1)
            )));
            s.push('\n');
        }
        if let Some(b) = &placed_by {
            let district = match &district {
                Some(d) => Arg::from(msg!("explain.placed_in_district", district = d)),
                None => Arg::from(""),
            };
            s.push_str(&lang.render(&msg!(
                "explain.placed_by",
                rule = rule_word(lang, b),
                district = district
            )));
            s.push('\n');
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
            let list = if best.is_empty() {
                Arg::from("")
            } else {
                Arg::from(msg!("explain.best_site_ids", ids = ids(&best, 10)))
            };
            s.push_str(&lang.render(&msg!("explain.best_site", n = best.len(), ids = list)));
            s.push('\n');
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
    let lang = language(a.lang, &report);
    let (text, json) = match (&a.district, &a.unit, &a.site) {
        (Some(id), _, _) => explain_area(&a.dir, "district", id, &report, lang)?,
        (_, Some(id), _) => explain_area(&a.dir, "unit", id, &report, lang)?,
        (_, _, Some(id)) => {
            if report.get("siting").is_none() {
                bail!(
                    "{}: this run had no [siting], so there are no sites",
                    a.dir.display()
                );
            }
            explain_site(&a.dir, id, &report, lang)?
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
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111]
            .map(|n| ordinal(Lang::En, n))
            .to_vec();
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
        assert_eq!(ordinal(Lang::Es, 1), "1.º");
        assert_eq!(ordinal(Lang::Es, 116), "116.º");
    }

    fn row(name: &str, label: &str, contrib: Option<f64>) -> Row {
        Row {
            name: name.into(),
            label: label.into(),
            dimension: "care_demand".into(),
            raw: Some(12.5),
            score: Some(0.75),
            contrib,
            basis: String::new(),
        }
    }

    #[test]
    fn the_explanation_in_spanish() {
        let rows = [
            row("pct_0_5", "Under 5", Some(0.2)),
            row("ind_hogar", "Índice de hogares", Some(0.1)),
            row("x", "X", None),
        ];
        assert_eq!(
            because_line(&rows, "Lucero", 1.0, 0.4, 116, Lang::En),
            "  Lucero ranks 1st of 116 mainly because of under 5 (50 % of the index) and \
             índice de hogares (25 % of the index).\n"
        );
        assert_eq!(
            because_line(&rows, "Lucero", 1.0, 0.4, 116, Lang::Es),
            "  Lucero ocupa el 1.º puesto de 116 principalmente por under 5 (50 % del índice) e \
             índice de hogares (25 % del índice).\n"
        );
        assert_eq!(
            because_line(&rows[2..], "Lucero", 3.0, 0.4, 116, Lang::Es),
            "  Lucero ocupa el 3.º puesto de 116 principalmente por ningún indicador mayor que cero.\n"
        );
        let table = indicator_table(&rows, Some(-0.01), Lang::Es);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            [
                "indicador",
                "valor",
                "bruto",
                "puntaje",
                "contribución",
                "dimensión"
            ]
        );
        assert!(
            lines[1].contains("12,5000") && lines[1].contains("0,2000"),
            "{table}"
        );
        assert!(lines[3].contains("faltante"), "{table}");
        assert!(lines[4].ends_with("-0,0100"), "{table}");
        // Columns line up whatever the language's header widths.
        assert_eq!(
            lines[0].find("puntaje").map(|i| i + 7),
            lines[1].find("0,7500").map(|i| i + 6)
        );
        assert_eq!(Lang::Es.render(&msg!("explain.and", a = "a", b = "b")), "a y b");
    }

    #[test]
    fn the_language_is_the_flag_else_the_runs_else_english() {
        let es = json!({"lang": "es", "resolved_method": {"lang": "es"}});
        assert_eq!(language(None, &es), Lang::Es);
        assert_eq!(language(Some(Lang::En), &es), Lang::En);
        assert_eq!(
            language(None, &json!({"resolved_method": {"lang": "es"}})),
            Lang::Es
        );
        assert_eq!(language(None, &json!({"careblock": "0.9"})), Lang::En);
        let report = json!({"resolved_method": {"indicators": [
            {"name": "a", "label": {"es": "Demanda de cuidado", "en": "Care demand"}},
            {"name": "b", "label": "Single"},
        ]}});
        let listed = json!({"label": "Demanda de cuidado"});
        assert_eq!(indicator_label(&report, &listed, "a", Lang::En), "Care demand");
        assert_eq!(
            indicator_label(&report, &listed, "a", Lang::Es),
            "Demanda de cuidado"
        );
        assert_eq!(
            indicator_label(&report, &json!({"label": "Single"}), "b", Lang::Es),
            "Single"
        );
        assert_eq!(indicator_label(&report, &json!({}), "c", Lang::Es), "c");
    }
}
