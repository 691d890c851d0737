//! The checker: each problem recorded with its file, ids and hint; a layer read, its geometries
//! validated (and what repair would do), columns checked as counts or values; filters.

use super::{CheckReport, ColumnSummary, InputSummary, Problem, Severity};
use crate::load::{crs_of, resolve};
use careblock_core::checks::{Finding, Use};
use careblock_core::layer::geometry_kind;
use careblock_core::project::project;
use careblock_core::validate::{IssueKind, repair, validate};
use careblock_core::{Crs, CrsError, Hint, Layer, LayerError};
use careblock_io::{IoError, ReadOptions, join_table, read_layer, read_table_with_key};
use careblock_method::{FilterSpec, LayerInput, Method};
use careblock_text::Msg;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// A layer that was read, with what the later checks need to know about it.
pub(super) struct Loaded {
    pub(super) layer: Layer,
    /// Every polygon valid (no invalid or non-finite geometry).
    pub(super) valid: bool,
    /// Index of its [`InputSummary`].
    pub(super) summary: usize,
}

pub(super) struct Checker<'m> {
    pub(super) method: &'m Method,
    pub(super) base: &'m Path,
    pub(super) report: CheckReport,
}

/// Ids where `f` holds, in feature order.
pub(super) fn ids_where<T>(ids: &[String], values: &[T], f: impl Fn(&T) -> bool) -> Vec<String> {
    ids.iter()
        .zip(values)
        .filter(|(_, v)| f(v))
        .map(|(id, _)| id.clone())
        .collect()
}

/// An error message, which stays English (the README says so), without the file name the
/// library's messages start with: the report names it once.
fn error_text(source: &str, message: impl Into<String>) -> Msg {
    let message: String = message.into();
    let text = message
        .strip_prefix(source)
        .and_then(|m| m.strip_prefix(": "))
        .map(str::to_string)
        .unwrap_or(message);
    careblock_text::msg!("common.error_text", text = text)
}

impl Checker<'_> {
    pub(super) fn push(
        &mut self,
        severity: Severity,
        source: &str,
        message: Msg,
        ids: Vec<String>,
        hint: Option<Hint>,
    ) {
        self.report.problems.push(Problem {
            severity,
            source: source.to_string(),
            message,
            ids,
            hint,
        });
    }

    pub(super) fn error(&mut self, source: &str, message: impl Into<String>, ids: Vec<String>) {
        self.push(Severity::Error, source, error_text(source, message), ids, None);
    }

    /// An error the user can do something about (`hint`).
    pub(super) fn error_with(
        &mut self,
        source: &str,
        message: impl Into<String>,
        ids: Vec<String>,
        hint: Option<Hint>,
    ) {
        self.push(Severity::Error, source, error_text(source, message), ids, hint);
    }

    pub(super) fn warn(&mut self, source: &str, message: Msg, ids: Vec<String>) {
        self.push(Severity::Warning, source, message, ids, None);
    }

    /// A warning about the data, as `careblock run` notes it.
    pub(super) fn finding(&mut self, f: Finding) {
        self.push(Severity::Warning, &f.source, f.message, f.ids, None);
    }

    /// The duplicated values of the id field, read again with feature-index ids.
    pub(super) fn duplicates(
        &self,
        path: &Path,
        id_field: Option<&str>,
        crs: Option<Crs>,
        geometry_column: Option<String>,
    ) -> Vec<String> {
        let Some(field) = id_field else {
            return Vec::new();
        };
        let opts = ReadOptions {
            id_field: None,
            crs,
            close_rings: true,
            geometry_column,
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
    pub(super) fn read(&mut self, role: String, input: &LayerInput, polygons: bool) -> Option<Loaded> {
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
            geometry_column: input.geometry.clone(),
        };
        let (mut layer, rep) = match read_layer(&path, &opts) {
            Ok(x) => x,
            Err(e) => {
                let duplicate = matches!(&e, IoError::Layer { error, .. } if matches!(**error, LayerError::DuplicateId { .. }));
                if matches!(&e, IoError::Crs { .. }) {
                    self.report.inputs[summary].plausible = false;
                }
                let ids = match &e {
                    _ if duplicate => {
                        self.duplicates(&path, input.id.as_deref(), crs, input.geometry.clone())
                    }
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
        if rep.spherical_edges {
            self.warn(
                &name,
                careblock_text::msg!("data.spherical_edges", layer = &name),
                Vec::new(),
            );
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
                                    careblock_text::msg!(
                                        "data.check_unmatched_features",
                                        n = jr.unmatched_features.len(),
                                        layer = &name,
                                        key = format!("{:?}", t.key),
                                    ),
                                    jr.unmatched_features.clone(),
                                );
                            }
                            if !jr.unmatched_rows.is_empty() {
                                self.warn(
                                    &tname,
                                    careblock_text::msg!(
                                        "data.check_unmatched_rows",
                                        n = jr.unmatched_rows.len(),
                                        layer = &name,
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
    pub(super) fn geometries(&mut self, layer: &Layer, polygons: bool) -> bool {
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
                careblock_text::key("data.no_geometry_polygons")
            } else {
                careblock_text::key("data.no_geometry_points")
            };
            self.warn(
                &name,
                careblock_text::msg!("data.check_no_geometry", n = empty.len(), treatment = treatment),
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
    pub(super) fn numeric(
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
    pub(super) fn exists(
        &mut self,
        loaded: &Loaded,
        column: &str,
        used_by: &str,
    ) -> Option<Vec<Option<String>>> {
        match loaded.layer.text_column(column) {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(&loaded.layer.name, format!("{used_by}: {e}"), Vec::new());
                None
            }
        }
    }

    pub(super) fn filter(&mut self, loaded: &Loaded, f: &FilterSpec, used_by: &str) {
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
                careblock_text::msg!(
                    "data.filter_no_match",
                    used_by = used_by,
                    column = format!("{:?}", f.column),
                    values = format!("{wanted:?}"),
                ),
                Vec::new(),
            );
        }
    }
}

pub(super) fn project_loaded(c: &mut Checker<'_>, l: Option<Loaded>, crs: Option<Crs>) -> Option<Loaded> {
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
