//! Lenient checking of a method file and every input it names, for `careblock validate`.
//!
//! [`check_method`] reads everything [`crate::load_inputs`] reads, but never stops at the first
//! problem: a layer that cannot be read (an implausible coordinate, a duplicate id, a missing
//! file) is reported with its one-line error and the other inputs are still checked. It reuses
//! the library's own checks — [`careblock_method::Method::from_toml`] for the method's
//! structure, [`careblock_core::project::check_plausible`] (inside the readers),
//! [`careblock_core::validate::validate`] and [`careblock_core::validate::repair`], and the
//! data checks `careblock run` makes ([`careblock_core::checks`]: every column through
//! [`careblock_core::Layer::checked_column`], the population rule, and the coverage of units by
//! districts from the same area table) — and computes neither the index nor the siting.
//!
//! Every problem is an [`Severity::Error`] (the run would fail) or a [`Severity::Warning`] (the
//! run goes on and the features listed get the documented treatment), with the complete list
//! of the feature ids concerned. The warnings about the data are the
//! [`careblock_core::checks::Finding`]s `careblock run` prints as notes, word for word.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use careblock_core::checks::{Finding, Use};
use careblock_core::findings::{district_coverage, population_findings};
use careblock_core::join::{AreaTable, PolygonIndex};
use careblock_core::layer::geometry_kind;
use careblock_core::project::{check_axis_order, project, working_crs};
use careblock_core::validate::{IssueKind, repair, validate};
use careblock_core::{Crs, CrsError, Hint, Layer, LayerError};
use careblock_method::Method;
use careblock_method::expr::Expr;
use careblock_method::{CrsSpec, FilterSpec, IndicatorKind, LayerInput};
use geo::MultiPolygon;
use toml::Spanned;

use crate::load::{crs_of, resolve};
use careblock_io::{IoError, ReadOptions, join_table, read_layer, read_method, read_table_with_key};

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// `careblock run` would fail.
    Error,
    /// The run goes on; the features listed get a documented treatment.
    Warning,
}

impl Severity {
    /// `"error"` or `"warning"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem, with every feature id it concerns.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// The file concerned (an input path or the method file).
    pub source: String,
    /// What is wrong and, for a warning, what the run does about it.
    pub message: String,
    /// The feature ids (or table keys) concerned, complete, in file order.
    pub ids: Vec<String>,
    /// What the user can do about it, for the front end to word.
    pub hint: Option<Hint>,
}

/// Missing values of one column the method uses.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSummary {
    /// The column.
    pub column: String,
    /// The method key that uses it (e.g. `indicators[2].numerator`).
    pub used_by: String,
    /// Whether it exists and is numeric.
    pub numeric: bool,
    /// Features whose value is null (or NaN, empty).
    pub nulls: Vec<String>,
    /// Features whose value is the census mask `"*"`.
    pub masked: Vec<String>,
}

/// What was read from one input file.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSummary {
    /// Its role in the method (`units`, `districts`, `coarse localidades`, `supply NAME`, ...).
    pub role: String,
    /// The path (resolved against the method file's directory).
    pub path: String,
    /// Whether it could be read at all.
    pub read: bool,
    /// Number of features read.
    pub features: usize,
    /// Its CRS, as declared or assumed.
    pub crs: Option<String>,
    /// Whether every coordinate is plausible for the CRS (finite, degrees within ±180/±90,
    /// metres not degree-like); `false` when the reader refused one.
    pub plausible: bool,
    /// Geometry kinds and how many features have each (`null` for no geometry).
    pub geometry: BTreeMap<String, usize>,
    /// The attribute table joined to it, if any: (path, rows matched).
    pub table: Option<(String, usize)>,
    /// The columns of this input the method uses.
    pub columns: Vec<ColumnSummary>,
}

/// The outcome of [`check_method`].
#[derive(Debug, Clone, PartialEq)]
pub struct CheckReport {
    /// The method file.
    pub method: String,
    /// The method's `name`, if it could be read.
    pub name: Option<String>,
    /// The working CRS the run would use.
    pub working_crs: Option<String>,
    /// Dimensions (name, weight) and the number of indicators, when the method parsed.
    pub dimensions: Vec<(String, f64)>,
    /// Number of indicators.
    pub indicators: usize,
    /// Every input, in the method's order.
    pub inputs: Vec<InputSummary>,
    /// Every problem, in the order found.
    pub problems: Vec<Problem>,
}

impl CheckReport {
    /// Number of errors.
    pub fn errors(&self) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count()
    }

    /// Number of warnings.
    pub fn warnings(&self) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
            .count()
    }
}

/// A layer that was read, with what the later checks need to know about it.
struct Loaded {
    layer: Layer,
    /// Every polygon valid (no invalid or non-finite geometry).
    valid: bool,
    /// Index of its [`InputSummary`].
    summary: usize,
}

struct Checker<'m> {
    method: &'m Method,
    base: &'m Path,
    report: CheckReport,
}

/// Ids where `f` holds, in feature order.
fn ids_where<T>(ids: &[String], values: &[T], f: impl Fn(&T) -> bool) -> Vec<String> {
    ids.iter()
        .zip(values)
        .filter(|(_, v)| f(v))
        .map(|(id, _)| id.clone())
        .collect()
}

impl Checker<'_> {
    fn push(
        &mut self,
        severity: Severity,
        source: &str,
        message: impl Into<String>,
        ids: Vec<String>,
        hint: Option<Hint>,
    ) {
        let message: String = message.into();
        // The library's messages start with the file name; the report names it once.
        let message = message
            .strip_prefix(source)
            .and_then(|m| m.strip_prefix(": "))
            .map(str::to_string)
            .unwrap_or(message);
        self.report.problems.push(Problem {
            severity,
            source: source.to_string(),
            message,
            ids,
            hint,
        });
    }

    fn error(&mut self, source: &str, message: impl Into<String>, ids: Vec<String>) {
        self.push(Severity::Error, source, message, ids, None);
    }

    /// An error the user can do something about (`hint`).
    fn error_with(&mut self, source: &str, message: impl Into<String>, ids: Vec<String>, hint: Option<Hint>) {
        self.push(Severity::Error, source, message, ids, hint);
    }

    fn warn(&mut self, source: &str, message: impl Into<String>, ids: Vec<String>) {
        self.push(Severity::Warning, source, message, ids, None);
    }

    /// A warning about the data, as `careblock run` notes it.
    fn finding(&mut self, f: Finding) {
        self.push(Severity::Warning, &f.source, f.message, f.ids, None);
    }

    /// The duplicated values of the id field, read again with feature-index ids.
    fn duplicates(&self, path: &Path, id_field: Option<&str>, crs: Option<Crs>) -> Vec<String> {
        let Some(field) = id_field else {
            return Vec::new();
        };
        let opts = ReadOptions {
            id_field: None,
            crs,
            close_rings: true,
        };
        let Ok((layer, _)) = read_layer(path, &opts) else {
            return Vec::new();
        };
        let Ok(values) = layer.text_column(field) else {
            return Vec::new();
        };
        let mut seen: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut order: Vec<&str> = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let v = v.as_deref().unwrap_or("");
            let e = seen.entry(v).or_default();
            if e.is_empty() {
                order.push(v);
            }
            e.push(i);
        }
        order
            .into_iter()
            .filter(|v| seen[v].len() > 1)
            .map(|v| {
                let at: Vec<String> = seen[v].iter().map(|i| i.to_string()).collect();
                format!("{v} (features {})", at.join(", "))
            })
            .collect()
    }

    /// Reads one input leniently; `None` when it cannot be read (the problem is recorded).
    fn read(&mut self, role: String, input: &LayerInput, polygons: bool) -> Option<Loaded> {
        let path = resolve(self.base, &input.path);
        let name = path.display().to_string();
        let summary = self.report.inputs.len();
        self.report.inputs.push(InputSummary {
            role,
            path: name.clone(),
            read: false,
            features: 0,
            crs: None,
            plausible: false,
            geometry: BTreeMap::new(),
            table: None,
            columns: Vec::new(),
        });
        let crs = match crs_of(&input.crs, &name) {
            Ok(c) => c,
            Err(e) => {
                self.error_with(&name, e.to_string(), Vec::new(), e.hint());
                return None;
            }
        };
        let opts = ReadOptions {
            id_field: input.id.clone(),
            crs,
            close_rings: true,
        };
        let (mut layer, rep) = match read_layer(&path, &opts) {
            Ok(x) => x,
            Err(e) => {
                let duplicate = matches!(&e, IoError::Layer { error, .. } if matches!(**error, LayerError::DuplicateId { .. }));
                if matches!(&e, IoError::Crs { .. }) {
                    self.report.inputs[summary].plausible = false;
                }
                let ids = match &e {
                    _ if duplicate => self.duplicates(&path, input.id.as_deref(), crs),
                    IoError::Crs { error, .. } => match &**error {
                        CrsError::Implausible { id, .. } => vec![id.clone()],
                        _ => Vec::new(),
                    },
                    _ => Vec::new(),
                };
                let message = if duplicate {
                    format!(
                        "{e}; every duplicated id of field {:?} is listed with its features (0-based)",
                        input.id.as_deref().unwrap_or("id")
                    )
                } else {
                    e.to_string()
                };
                self.error_with(&name, message, ids, e.hint());
                return None;
            }
        };
        {
            let s = &mut self.report.inputs[summary];
            s.read = true;
            s.features = layer.len();
            s.crs = Some(layer.crs.to_string());
            s.plausible = true;
            for g in &layer.geometries {
                let kind = g.as_ref().map(geometry_kind).unwrap_or("null");
                *s.geometry.entry(kind.to_string()).or_default() += 1;
            }
        }
        if !rep.closed_rings.is_empty() {
            self.error_with(
                &name,
                format!(
                    "{} feature(s) have unclosed polygon rings: the run refuses them",
                    rep.closed_rings.len()
                ),
                rep.closed_rings.clone(),
                Some(Hint::FixInvalid),
            );
        }
        if let Some(t) = &input.table {
            let tpath = resolve(self.base, &t.path);
            let tname = tpath.display().to_string();
            match read_table_with_key(&tpath, &t.key) {
                Err(e) => self.error(&tname, e.to_string(), Vec::new()),
                Ok(table) => {
                    let rows = table.height();
                    let layer_key = input.id.as_deref().unwrap_or("id");
                    match join_table(layer.clone(), table, &tname, layer_key, &t.key) {
                        Err(e) => self.error(&tname, e.to_string(), Vec::new()),
                        Ok((joined, jr)) => {
                            if !jr.unmatched_features.is_empty() {
                                self.warn(
                                    &tname,
                                    format!(
                                        "{} feature(s) of {name} have no row in the table (key {:?}): their table values are missing",
                                        jr.unmatched_features.len(),
                                        t.key
                                    ),
                                    jr.unmatched_features.clone(),
                                );
                            }
                            if !jr.unmatched_rows.is_empty() {
                                self.warn(
                                    &tname,
                                    format!(
                                        "{} table row(s) match no feature of {name}: they are not used",
                                        jr.unmatched_rows.len()
                                    ),
                                    jr.unmatched_rows.clone(),
                                );
                            }
                            self.report.inputs[summary].table =
                                Some((tname.clone(), rows - jr.unmatched_rows.len()));
                            layer = joined;
                        }
                    }
                }
            }
        }
        let valid = self.geometries(&layer, polygons);
        Some(Loaded {
            layer,
            valid,
            summary,
        })
    }

    /// Geometry checks; whether every geometry is usable.
    fn geometries(&mut self, layer: &Layer, polygons: bool) -> bool {
        let name = layer.name.clone();
        let kind = if polygons {
            layer.polygons().err()
        } else {
            layer.points().err()
        };
        if let Some(e) = kind {
            let wrong: Vec<String> = layer
                .geometries
                .iter()
                .zip(&layer.ids)
                .filter(|(g, _)| match g {
                    None => false,
                    Some(
                        geo::Geometry::Polygon(_) | geo::Geometry::MultiPolygon(_) | geo::Geometry::Rect(_),
                    ) => !polygons,
                    Some(geo::Geometry::Point(_)) => polygons,
                    Some(geo::Geometry::MultiPoint(mp)) => polygons || mp.0.len() != 1,
                    Some(_) => true,
                })
                .map(|(_, id)| id.clone())
                .collect();
            self.error(&name, e.to_string(), wrong);
            return false;
        }
        let v = validate(layer);
        let empty: Vec<String> = v
            .issues
            .iter()
            .filter(|i| matches!(i.kind, IssueKind::Null | IssueKind::Empty))
            .map(|i| i.id.clone())
            .collect();
        if !empty.is_empty() {
            let treatment = if polygons {
                "kept with area 0 (their counts show up as unallocated)"
            } else {
                "left out (a facility or site without a location cannot be reached)"
            };
            self.warn(
                &name,
                format!("{} feature(s) have no geometry: {treatment}", empty.len()),
                empty,
            );
        }
        if v.blocking().next().is_none() {
            return true;
        }
        let (_, rep) = repair(layer);
        if !rep.repaired.is_empty() {
            let first = &rep.repaired[0];
            self.error_with(
                &name,
                format!(
                    "{} invalid geometr{} (first: {:?}: {}): the run refuses them",
                    rep.repaired.len(),
                    if rep.repaired.len() == 1 { "y" } else { "ies" },
                    first.id,
                    first.problem
                ),
                rep.repaired.iter().map(|i| i.id.clone()).collect(),
                Some(Hint::FixInvalid),
            );
        }
        if !rep.unrepairable.is_empty() {
            let first = &rep.unrepairable[0];
            self.error(
                &name,
                format!(
                    "{} geometr{} that careblock cannot repair (first: {:?}: {})",
                    rep.unrepairable.len(),
                    if rep.unrepairable.len() == 1 { "y" } else { "ies" },
                    first.id,
                    first.problem
                ),
                rep.unrepairable.iter().map(|i| i.id.clone()).collect(),
            );
        }
        false
    }

    /// Checks that a column exists and is numeric (a count when `count`: negative and
    /// non-finite values are errors listing every one), recording its missing values; `None`
    /// when the run would refuse it.
    fn numeric(
        &mut self,
        loaded: &Loaded,
        column: &str,
        used_by: &str,
        count: bool,
    ) -> Option<Vec<Option<f64>>> {
        let layer = &loaded.layer;
        let used_as = if count { Use::Count } else { Use::Value };
        let summary = loaded.summary;
        let already = self.report.inputs[summary]
            .columns
            .iter()
            .any(|c| c.column == column);
        let summarise = |numeric: bool, nulls: Vec<String>, masked: Vec<String>| ColumnSummary {
            column: column.to_string(),
            used_by: used_by.to_string(),
            numeric,
            nulls,
            masked,
        };
        match layer.checked_column(column, used_as) {
            Err(e) => {
                if !already {
                    self.error(&layer.name, format!("{used_by}: {e}"), Vec::new());
                    self.report.inputs[summary]
                        .columns
                        .push(summarise(false, Vec::new(), Vec::new()));
                }
                None
            }
            Ok((values, check)) => {
                let refused = check.error(&layer.ids);
                if !already {
                    if let Some(e) = &refused {
                        let n = check.refused.len();
                        self.error(
                            &layer.name,
                            format!(
                                "{used_by}: {e}{}",
                                if n > 1 {
                                    format!(" ({n} values refused in all, listed with the ids)")
                                } else {
                                    String::new()
                                }
                            ),
                            check.refused_ids(&layer.ids),
                        );
                    }
                    for f in check.findings(&layer.ids, used_by) {
                        self.finding(f);
                    }
                    let ids = |list: &[usize]| list.iter().map(|&i| layer.ids[i].clone()).collect();
                    self.report.inputs[summary].columns.push(summarise(
                        true,
                        ids(&check.nulls),
                        ids(&check.masked),
                    ));
                }
                refused.is_none().then_some(values)
            }
        }
    }

    /// Checks that a column exists (any type).
    fn exists(&mut self, loaded: &Loaded, column: &str, used_by: &str) -> Option<Vec<Option<String>>> {
        match loaded.layer.text_column(column) {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(&loaded.layer.name, format!("{used_by}: {e}"), Vec::new());
                None
            }
        }
    }

    fn filter(&mut self, loaded: &Loaded, f: &FilterSpec, used_by: &str) {
        let Some(values) = self.exists(loaded, &f.column, used_by) else {
            return;
        };
        let wanted: Vec<String> = f
            .values
            .iter()
            .filter_map(|v| match v {
                toml::Value::String(s) => Some(s.clone()),
                toml::Value::Integer(i) => Some(i.to_string()),
                toml::Value::Float(f) => Some(f.to_string()),
                toml::Value::Boolean(b) => Some(b.to_string()),
                _ => None,
            })
            .collect();
        let matches = |t: &str| {
            wanted
                .iter()
                .any(|w| w == t || matches!((w.parse::<f64>(), t.parse::<f64>()), (Ok(a), Ok(b)) if a == b))
        };
        let kept = values
            .iter()
            .filter(|v| v.as_deref().is_some_and(matches))
            .count();
        if kept == 0 {
            self.warn(
                &loaded.layer.name,
                format!(
                    "{used_by}: no feature has {:?} in {:?}: the layer contributes no site",
                    f.column, wanted
                ),
                Vec::new(),
            );
        }
    }
}

/// Unit columns evaluated on demand (layer columns, derived expressions, coarse-rate
/// estimates), as [`careblock_index::assess`] does, recording problems instead of
/// stopping.
struct UnitColumns<'a> {
    units: &'a Loaded,
    /// Projected polygons of the units (when valid).
    unit_polys: Option<Vec<MultiPolygon<f64>>>,
    /// Projected `[[coarse]]` layers (when read, valid and projected).
    coarse: Vec<Option<Loaded>>,
    values: HashMap<String, Option<Vec<Option<f64>>>>,
    in_progress: Vec<String>,
}

enum Value {
    /// Computed.
    Known(Vec<Option<f64>>),
    /// Depends on the index (`need_mass`): columns checked, values not computed.
    Deferred,
    /// A problem was recorded.
    Failed,
}

impl UnitColumns<'_> {
    fn get(&mut self, c: &mut Checker<'_>, name: &str, key: &str, span: std::ops::Range<usize>) -> Value {
        if name == "need_mass" {
            return Value::Deferred;
        }
        if let Some(v) = self.values.get(name) {
            return match v {
                Some(v) => Value::Known(v.clone()),
                None => Value::Failed,
            };
        }
        let method = c.method;
        let spec = &method.spec;
        if self.in_progress.iter().any(|n| n == name) {
            c.error(
                &method.file,
                method
                    .invalid(
                        span,
                        key,
                        format!(
                            "derived column {name:?} refers to itself (cycle: {})",
                            self.in_progress.join(" → ")
                        ),
                    )
                    .to_string(),
                Vec::new(),
            );
            return Value::Failed;
        }
        let v = if let Some(e) = spec.derived.get(name) {
            self.in_progress.push(name.to_string());
            let v = self.eval(c, e, &format!("derived.{name}"));
            self.in_progress.pop();
            v
        } else if let Some((i, r)) = spec
            .coarse_rates
            .iter()
            .enumerate()
            .find(|(_, r)| r.name.get_ref() == name)
        {
            let rkey = format!("coarse_rates[{i}]");
            self.in_progress.push(name.to_string());
            let base = self.eval(c, &r.base, &format!("{rkey}.base"));
            self.in_progress.pop();
            let li = spec
                .coarse
                .iter()
                .position(|l| l.name.get_ref() == r.layer.get_ref());
            match (li.and_then(|li| self.coarse[li].as_ref()), &self.unit_polys) {
                (Some(coarse), Some(unit_polys)) => {
                    let rate = c.numeric(coarse, r.rate.get_ref(), &format!("{rkey}.rate"), false);
                    match (rate, coarse.layer.polygons()) {
                        (Some(rate), Ok(cpolys)) => {
                            let unit_rate = AreaTable::build(&cpolys, unit_polys).allocate_intensive(&rate);
                            let missing = ids_where(&self.units.layer.ids, &unit_rate, |v| v.is_none());
                            if !missing.is_empty() {
                                c.warn(
                                    &coarse.layer.name,
                                    format!(
                                        "{name}: {} unit(s) overlap no polygon with a value of {:?}: their estimate is missing",
                                        missing.len(),
                                        r.rate.get_ref()
                                    ),
                                    missing,
                                );
                            }
                            match base {
                                Value::Known(b) => Value::Known(
                                    unit_rate
                                        .iter()
                                        .zip(&b)
                                        .map(|(rt, b)| Some(rt.as_ref()? * r.scale * b.as_ref()?))
                                        .collect(),
                                ),
                                other => other,
                            }
                        }
                        _ => Value::Failed,
                    }
                }
                // The coarse layer or the units could not be read: already reported.
                _ => Value::Failed,
            }
        } else {
            // Every expression of a method is a count, so every unit column it reads is
            // checked as one (as `assess` does).
            let ck = c.numeric(self.units, name, key, true);
            match ck {
                Some(v) => Value::Known(v),
                None => Value::Failed,
            }
        };
        match &v {
            Value::Known(x) => {
                self.values.insert(name.to_string(), Some(x.clone()));
            }
            Value::Failed => {
                self.values.insert(name.to_string(), None);
            }
            Value::Deferred => {}
        }
        v
    }

    fn eval(&mut self, c: &mut Checker<'_>, e: &Spanned<String>, key: &str) -> Value {
        let method = c.method;
        let expr = match method.parse_expr(e, key) {
            Ok(x) => x,
            Err(err) => {
                c.error(&method.file, err.to_string(), Vec::new());
                return Value::Failed;
            }
        };
        self.eval_expr(c, &expr, e, key)
    }

    fn eval_expr(&mut self, c: &mut Checker<'_>, expr: &Expr, e: &Spanned<String>, key: &str) -> Value {
        let method = c.method;
        let mut cols: HashMap<String, Vec<Option<f64>>> = HashMap::new();
        let mut state = Value::Known(Vec::new());
        for name in expr.columns() {
            match self.get(c, name, key, e.span()) {
                Value::Known(v) => {
                    cols.insert(name.to_string(), v);
                }
                Value::Deferred => {
                    if matches!(state, Value::Known(_)) {
                        state = Value::Deferred;
                    }
                }
                Value::Failed => state = Value::Failed,
            }
        }
        if !matches!(state, Value::Known(_)) {
            return state;
        }
        let ids = &self.units.layer.ids;
        let lookup = |n: &str| cols.get(n).map(Vec::as_slice);
        match expr.eval(&lookup, ids.len()) {
            Err(err) => {
                c.error(
                    &method.file,
                    method.invalid(e.span(), key, err.to_string()).to_string(),
                    Vec::new(),
                );
                Value::Failed
            }
            Ok(out) => {
                if !out.divisions_by_zero.is_empty() {
                    c.warn(
                        &method.file,
                        format!(
                            "{key}: `{expr}` divides by zero for {} unit(s): their value is missing",
                            out.divisions_by_zero.len()
                        ),
                        out.divisions_by_zero.iter().map(|&i| ids[i].clone()).collect(),
                    );
                }
                if !out.non_finite.is_empty() {
                    c.error(
                        &method.file,
                        method
                            .data_error(e.span(), key, format!("`{expr}` is not finite for these units"))
                            .to_string(),
                        out.non_finite.iter().map(|&i| ids[i].clone()).collect(),
                    );
                    return Value::Failed;
                }
                Value::Known(out.values)
            }
        }
    }
}

fn project_loaded(c: &mut Checker<'_>, l: Option<Loaded>, crs: Option<Crs>) -> Option<Loaded> {
    let l = l?;
    let Some(crs) = crs else {
        return Some(l);
    };
    match project(&l.layer, crs) {
        Ok(layer) => Some(Loaded { layer, ..l }),
        Err(e) => {
            c.error(&l.layer.name, e.to_string(), Vec::new());
            None
        }
    }
}

fn layer_input(path: &str, id: &Option<String>, crs: &Option<CrsSpec>) -> LayerInput {
    LayerInput {
        path: path.to_string(),
        id: id.clone(),
        label: None,
        crs: crs.clone(),
        table: None,
    }
}

/// Reads and checks a method file and every input it names, without computing the index or
/// the siting. Never fails: every problem, including an unreadable method file, is in the
/// report.
pub fn check_method(path: &Path) -> CheckReport {
    let file = path.display().to_string();
    let mut report = CheckReport {
        method: file.clone(),
        name: None,
        working_crs: None,
        dimensions: Vec::new(),
        indicators: 0,
        inputs: Vec::new(),
        problems: Vec::new(),
    };
    let method = match read_method(path) {
        Ok(m) => m,
        Err(e) => {
            report.problems.push(Problem {
                severity: Severity::Error,
                source: file,
                message: e.to_string(),
                ids: Vec::new(),
                hint: e.hint(),
            });
            return report;
        }
    };
    report.name = method.spec.name.clone();
    report.dimensions = method.dimensions().into_iter().map(|(n, w, _)| (n, w)).collect();
    report.indicators = method.spec.indicators.len();
    let base = path.parent().unwrap_or(Path::new(""));
    let mut c = Checker {
        method: &method,
        base,
        report,
    };
    let spec = &method.spec;

    // Read every input, whatever happens to the others.
    let units = c.read("units".into(), &spec.units.layer(), true);
    let districts = spec
        .districts
        .as_ref()
        .and_then(|d| c.read("districts".into(), d, true));
    let coarse: Vec<Option<Loaded>> = spec
        .coarse
        .iter()
        .map(|l| {
            let input = LayerInput {
                path: l.path.clone(),
                id: l.id.clone(),
                label: None,
                crs: l.crs.clone(),
                table: l.table.clone(),
            };
            c.read(format!("coarse {}", l.name.get_ref()), &input, true)
        })
        .collect();
    let supply: Vec<Option<Loaded>> = spec
        .supply
        .iter()
        .map(|s| {
            c.read(
                format!("supply {}", s.name),
                &layer_input(&s.path, &s.id, &s.crs),
                false,
            )
        })
        .collect();
    let (candidates, existing): (Vec<Option<Loaded>>, Vec<Option<Loaded>>) = match &spec.siting {
        None => (Vec::new(), Vec::new()),
        Some(st) => (
            st.candidates
                .iter()
                .map(|k| {
                    c.read(
                        format!("candidates {}", k.name),
                        &layer_input(&k.path, &k.id, &k.crs),
                        false,
                    )
                })
                .collect(),
            st.existing
                .iter()
                .map(|k| {
                    c.read(
                        "existing blocks".into(),
                        &layer_input(&k.path, &k.id, &k.crs),
                        false,
                    )
                })
                .collect(),
        ),
    };

    // Columns of the non-unit layers.
    if let (Some(u), Some(label)) = (&units, &spec.units.label) {
        c.exists(u, label, "units.label");
    }
    if let (Some(d), Some(label)) = (&districts, spec.districts.as_ref().and_then(|d| d.label.as_ref())) {
        c.exists(d, label, "districts.label");
    }
    for (s, l) in spec.supply.iter().zip(&supply) {
        if let (Some(l), Some(cap)) = (l, &s.capacity) {
            c.numeric(l, cap.get_ref(), &format!("supply.{}.capacity", s.name), true);
        }
    }
    if let Some(st) = &spec.siting {
        for (i, (k, l)) in st.candidates.iter().zip(&candidates).enumerate() {
            let Some(l) = l else { continue };
            let key = format!("siting.candidates[{i}]");
            if let Some(label) = &k.label {
                c.exists(l, label, &format!("{key}.label"));
            }
            if let Some(f) = &k.filter {
                c.filter(l, f, &format!("{key}.filter"));
            }
            if let Some(cost) = &k.cost {
                c.numeric(l, cost.get_ref(), &format!("{key}.cost"), true);
            }
            if let Some(lock) = &k.lock {
                c.exists(l, lock, &format!("{key}.lock"));
            }
        }
        for (i, (k, l)) in st.existing.iter().zip(&existing).enumerate() {
            let Some(l) = l else { continue };
            let key = format!("siting.existing[{i}]");
            if let Some(label) = &k.label {
                c.exists(l, label, &format!("{key}.label"));
            }
            if let Some(f) = &k.filter {
                c.filter(l, f, &format!("{key}.filter"));
            }
        }
    }

    // Axis order: the units against the districts, every other layer against the units (as
    // `load_inputs` checks them).
    if let Some(u) = &units {
        let pairs = districts.iter().map(|d| (&u.layer, &d.layer)).chain(
            districts
                .iter()
                .chain(coarse.iter().flatten())
                .chain(supply.iter().flatten())
                .chain(candidates.iter().flatten())
                .chain(existing.iter().flatten())
                .map(|l| (&l.layer, &u.layer)),
        );
        let mut swapped = Vec::new();
        for (layer, reference) in pairs {
            if let Err(e) = check_axis_order(layer, reference) {
                swapped.push((layer.name.clone(), e.to_string()));
            }
        }
        for (name, message) in swapped {
            c.error(&name, message, Vec::new());
        }
    }

    // The working CRS and the projection of every layer read.
    let crs = match crs_of(&spec.crs, &method.file) {
        Err(e) => {
            c.error(&method.file, e.to_string(), Vec::new());
            None
        }
        Ok(given) => {
            let layers: Vec<&Layer> = units.iter().chain(&districts).map(|l| &l.layer).collect();
            if layers.is_empty() {
                given
            } else {
                match working_crs(given, &layers) {
                    Ok(crs) => Some(crs),
                    Err(e) => {
                        c.error(&method.file, e.to_string(), Vec::new());
                        None
                    }
                }
            }
        }
    };
    c.report.working_crs = crs.map(|c| c.to_string());
    let units = project_loaded(&mut c, units, crs);
    let districts = project_loaded(&mut c, districts, crs);
    let coarse: Vec<Option<Loaded>> = coarse
        .into_iter()
        .map(|l| project_loaded(&mut c, l, crs).filter(|l| l.valid))
        .collect();
    for l in supply.into_iter().chain(candidates).chain(existing) {
        project_loaded(&mut c, l, crs);
    }

    // Unit columns, expressions and the population rule.
    if let Some(u) = &units {
        let unit_polys = (u.valid && crs.is_some())
            .then(|| u.layer.polygons().ok())
            .flatten();
        let mut cols = UnitColumns {
            units: u,
            unit_polys,
            coarse,
            values: HashMap::new(),
            in_progress: Vec::new(),
        };
        let population = check_units(&mut c, &mut cols);
        if let (Some(d), Some(upolys)) = (&districts, &cols.unit_polys)
            && d.valid
        {
            coverage(&mut c, &u.layer, upolys, &d.layer, population.as_deref());
        }
    }
    c.report
}

/// Checks the unit columns, expressions and the population rule; returns the population when
/// it could be computed.
fn check_units(c: &mut Checker<'_>, cols: &mut UnitColumns<'_>) -> Option<Vec<Option<f64>>> {
    let method = c.method;
    let spec = &method.spec;
    let ids = cols.units.layer.ids.clone();
    let mut population = None;
    if let Value::Known(pop) = cols.eval(c, &spec.units.population, "units.population") {
        let name = cols.units.layer.name.clone();
        let negative = ids_where(&ids, &pop, |p| p.is_some_and(|p| p < 0.0));
        if !negative.is_empty() {
            c.error(
                &name,
                format!(
                    "units.population: {} unit(s) have a negative population, expected a count ≥ 0",
                    negative.len()
                ),
                negative,
            );
        }
        for f in population_findings(&cols.units.layer, &pop, spec.treatment.min_population) {
            c.finding(f);
        }
        population = Some(pop);
    }
    for (name, e) in &spec.derived {
        cols.get(c, name, &format!("derived.{name}"), e.span());
    }
    for r in &spec.coarse_rates {
        cols.get(c, r.name.get_ref(), "coarse_rates", r.name.span());
    }
    for (k, ind) in spec.indicators.iter().enumerate() {
        let key = |f: &str| format!("indicators[{k}].{f}");
        match ind.kind {
            IndicatorKind::Share | IndicatorKind::Ratio => {
                let (Some(num_s), Some(den_s)) = (&ind.numerator, &ind.denominator) else {
                    continue;
                };
                let num = cols.eval(c, num_s, &key("numerator"));
                let den = cols.eval(c, den_s, &key("denominator"));
                if let (Value::Known(num), Value::Known(den)) = (num, den) {
                    let total: f64 = num.iter().zip(&den).filter_map(|(n, d)| n.and(*d)).sum();
                    if total == 0.0 {
                        c.error(
                            &method.file,
                            method
                                .data_error(
                                    den_s.span(),
                                    key("denominator"),
                                    format!(
                                        "indicator {:?}: the denominator `{}` sums to zero over every unit with data",
                                        ind.name.get_ref(),
                                        den_s.get_ref()
                                    ),
                                )
                                .to_string(),
                            Vec::new(),
                        );
                    }
                }
            }
            IndicatorKind::Density | IndicatorKind::Count => {
                if let Some(e) = &ind.count {
                    cols.eval(c, e, &key("count"));
                }
            }
            IndicatorKind::AccessGap => {
                if let Some(d) = &spec.access.demand {
                    cols.eval(c, d, "access.demand");
                }
            }
        }
    }
    if let Some(st) = &spec.siting {
        if let Some(d) = &st.demand {
            cols.eval(c, d, "siting.demand");
        }
        for (name, e) in &st.groups {
            cols.eval(c, e, &format!("siting.groups.{name}"));
        }
        if let Some(h) = st.bus.as_ref().and_then(|b| b.households.as_ref()) {
            cols.eval(c, h, "siting.bus.households");
        }
    }
    population
}

/// Coverage of the units by the districts: units partly or wholly outside every district,
/// districts with no unit, overlapping districts (the findings `careblock run` notes).
fn coverage(
    c: &mut Checker<'_>,
    units: &Layer,
    upolys: &[MultiPolygon<f64>],
    districts: &Layer,
    population: Option<&[Option<f64>]>,
) {
    let Ok(dpolys) = districts.polygons() else {
        return;
    };
    let index = PolygonIndex::new(&dpolys);
    let table = AreaTable::build_with(upolys, &index);
    for f in district_coverage(units, districts, &dpolys, &index, &table, population).findings {
        c.finding(f);
    }
}
