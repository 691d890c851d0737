//! Scenario sweeps: a sweep file lists variants of one method as overrides of its keys, and
//! [`Scenario::apply`] turns the base method into each variant (issue 31).
//!
//! ```toml
//! # Explicit scenarios, in order:
//! [[scenario]]
//! name = "ten blocks"                 # optional
//! "siting.p" = 10
//!
//! [[scenario]]
//! "siting.p" = 40
//! "siting.equity" = false             # false on a table removes it (the rule off)
//!
//! # And/or a cartesian product, after the explicit scenarios (the first key varies slowest):
//! [product]
//! "siting.p" = [10, 20, 40]
//! "dimensions.supply_gap.weight" = [1, 2]
//! "indicators.share_0_9.weight" = [1, 0.5]  # an array of tables is addressed by `name`
//! ```
//!
//! # Key paths
//!
//! A key path is the method's keys joined by dots. Through an array of tables (`[[indicators]]`,
//! `[[supply]]`, `[[siting.candidates]]`, ...) the next segment is the `name` of an element, or
//! its 0-based position when no element has that name (`siting.existing.0.capacity`; also the
//! way to an element whose name has a dot). Unquoted
//! dotted keys (`siting.p = 10`) mean the same as quoted ones (`"siting.p" = 10`): nested tables
//! in a scenario or in `[product]` are read as the key paths of their values, so a table value
//! sets its keys one by one rather than replacing the method's table. In a `[[scenario]]`, the
//! key `name` is the scenario's name (a method's own `name` cannot be swept).
//!
//! # What an override does
//!
//! - A value replaces the one at its path; a path that does not exist yet is created, with its
//!   intermediate tables (`"siting.robust.draws" = 50` when the method has no `[siting.robust]`).
//!   The rewritten method is then parsed and checked as a method file, which decides whether
//!   the result is valid (a misspelt key fails there: "unknown field `pp`").
//! - `false` on a table or an array of tables (or one element of an array of tables) removes
//!   it: the rule off. `false` on a table the method does not have changes nothing.
//! - `true` on a table (or array of tables, or element) keeps it, so `"siting.equity" = [true,
//!   false]` in a `[product]` sweeps a rule on and off; `true` on a table the method does not
//!   have is an error.
//! - On any other value (a number, a string, an array of values like `treatment.winsorise`),
//!   `true` and `false` are values like any other.
//!
//! # Inputs are read once
//!
//! A sweep reads its inputs once, so a scenario may not change which files are read or how
//! they are read. [`Scenario::apply`] refuses:
//! - a key path whose last segment is `path`, `id`, `crs`, `geometry`, `table` or `filter`
//!   (`units.path`, `siting.candidates.biblored.id`, the working `crs`, `siting.costs.path`,
//!   `siting.equity.path`, ...), and any key path under a `table` or a `filter`
//!   (`units.table.key`, `siting.existing.0.filter.values`);
//! - `false` on, or a replacement of, the sections that are read: `units`, `districts`, `coarse`,
//!   `supply`, `network`, `siting.candidates`, `siting.existing` and `siting.costs`, one
//!   element of those that are arrays (`"supply.cdc" = false`), and a table that holds one of
//!   them in the method (`"siting" = false` when the method has candidate layers).
//!
//! Other keys under those sections (`units.population`, `siting.candidates.biblored.capacity`)
//! are allowed, and so is removing `[siting.equity]` or `[siting.robust]` (they change what is
//! computed, not what is read), even when the equity layer has its own `path`.
//!
//! # Names
//!
//! A scenario's name is its `name`, else its overrides written `key=value` and joined by `, `,
//! the values as TOML writes them (`siting.p=10, siting.demand="pop"`). Names are unique.

use std::collections::HashSet;
use std::ops::Range;

use thiserror::Error;
use toml::de::{DeTable, DeValue};
use toml::{Spanned, Table, Value};

use crate::{Method, MethodError};

/// The most scenarios a sweep may have (a `[product]` multiplies quickly).
const MAX_SCENARIOS: usize = 100_000;

/// Sections of a method whose replacement or removal would change the files a run reads, and
/// whether each is an array of tables (whose elements are each a layer read).
const READ_SECTIONS: [(&[&str], bool); 8] = [
    (&["units"], false),
    (&["districts"], false),
    (&["coarse"], true),
    (&["supply"], true),
    (&["network"], false),
    (&["siting", "candidates"], true),
    (&["siting", "existing"], true),
    (&["siting", "costs"], false),
];

/// Last segments of the keys that say which file is read, or how.
const READ_KEYS: [&str; 6] = ["path", "id", "crs", "geometry", "table", "filter"];

/// A parsed sweep file: the scenarios to run, explicit ones first, then the `[product]`'s.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// The sweep file, for messages.
    pub file: String,
    /// The scenarios, in order: the `[[scenario]]` tables, then the `[product]`'s combinations.
    pub scenarios: Vec<Scenario>,
}

/// One variant of the method: overrides of its keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The scenario's name (its `name`, else its overrides as `key=value, ...`), unique in the
    /// sweep.
    pub name: String,
    /// Key paths and their values, in file order (for a `[product]`, in the order of its keys).
    pub overrides: Vec<(String, Value)>,
    /// The sweep file the scenario comes from, for messages.
    pub file: String,
}

/// Errors of a sweep file, and of applying one of its scenarios to a method. Each names the
/// sweep file, the scenario when there is one, the key path and what is wrong, on one line.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum SweepError {
    /// The file is not TOML.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        /// The sweep file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the TOML parser expected.
        message: String,
    },
    /// A top-level key other than `scenario` and `product`.
    #[error(
        "{file}:{line}: unknown key `{key}`: a sweep file has [[scenario]] tables and a [product] table, nothing else"
    )]
    UnknownKey {
        /// The sweep file.
        file: String,
        /// 1-based line of the key.
        line: usize,
        /// The key.
        key: String,
    },
    /// `scenario` that is not an array of tables, `product` that is not a table, or a scenario
    /// `name` that is not a non-empty string.
    #[error("{file}:{line}: {}`{key}` must be {expected}, not {found}", in_scenario(.scenario))]
    Shape {
        /// The sweep file.
        file: String,
        /// 1-based line of the value.
        line: usize,
        /// The scenario's name, when it has one.
        scenario: Option<String>,
        /// The key (`scenario`, `product`, `name`).
        key: String,
        /// What it must be.
        expected: String,
        /// What it is.
        found: String,
    },
    /// Neither a `[[scenario]]` nor a `[product]` key.
    #[error("{file}: the sweep has no scenario: give [[scenario]] tables, a [product] table, or both")]
    Empty {
        /// The sweep file.
        file: String,
    },
    /// A `[product]` key whose value is not a non-empty array.
    #[error(
        "{file}:{line}: [product] `{key}` must be a non-empty array of values, one per scenario (`{key}` = [a, b]), not {found}"
    )]
    ProductValue {
        /// The sweep file.
        file: String,
        /// 1-based line of the key.
        line: usize,
        /// The key path.
        key: String,
        /// What it is (`an empty array`, `an integer, 10`, ...).
        found: String,
    },
    /// A `[[scenario]]` with a name and no override, or nothing at all.
    #[error(
        "{file}:{line}: {}the [[scenario]] has no override: give at least one \"key.path\" = value", in_scenario(.scenario)
    )]
    NoOverride {
        /// The sweep file.
        file: String,
        /// 1-based line of the `[[scenario]]`.
        line: usize,
        /// The scenario's name, when it has one.
        scenario: Option<String>,
    },
    /// A key path with an empty segment (`"siting..p"`), or `name` in `[product]`.
    #[error("{file}:{line}: {}`{key}`: {message}", in_scenario(.scenario))]
    BadKey {
        /// The sweep file.
        file: String,
        /// 1-based line of the key.
        line: usize,
        /// The scenario's name, when the key is in a named `[[scenario]]`.
        scenario: Option<String>,
        /// The key path.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The same key path twice in one scenario or in `[product]` (`siting.p` and `"siting.p"`).
    #[error("{file}:{line}: {}`{key}` is given twice", in_scenario(.scenario))]
    Repeated {
        /// The sweep file.
        file: String,
        /// 1-based line of the second one.
        line: usize,
        /// The scenario's name, when the key is in a named `[[scenario]]`.
        scenario: Option<String>,
        /// The key path.
        key: String,
    },
    /// Two scenarios with the same name.
    #[error(
        "{file}: scenarios {first} and {second} are both named \"{name}\": scenario names must be unique (give one a `name`)"
    )]
    DuplicateName {
        /// The sweep file.
        file: String,
        /// The name.
        name: String,
        /// 1-based position of the first scenario with the name, among all scenarios.
        first: usize,
        /// 1-based position of the second.
        second: usize,
    },
    /// A `[product]` that would make the sweep longer than 100 000 scenarios.
    #[error("{file}: the [product] makes {count} scenarios, more than the {MAX_SCENARIOS} a sweep may have")]
    TooMany {
        /// The sweep file.
        file: String,
        /// The number of combinations (saturated at `usize::MAX`).
        count: usize,
    },
    /// An override that would change which files are read, or how (see the module doc).
    #[error("{file}: a sweep reads its inputs once: scenario \"{scenario}\" may not change `{key}`")]
    ReadsInputs {
        /// The sweep file.
        file: String,
        /// The scenario.
        scenario: String,
        /// The key path.
        key: String,
    },
    /// A key path that goes through a value that is not a table or an array of tables.
    #[error("{file}: scenario \"{scenario}\": `{key}`: `{at}` is {found}, not a table")]
    NotATable {
        /// The sweep file.
        file: String,
        /// The scenario.
        scenario: String,
        /// The key path.
        key: String,
        /// The part of the key path that is not a table.
        at: String,
        /// What it is (`an integer`, `a string`, ...).
        found: String,
    },
    /// A key path that names an element an array of tables does not have.
    #[error(
        "{file}: scenario \"{scenario}\": `{key}`: `{array}` has no element named \"{element}\" (it has {})", names(.available)
    )]
    NoElement {
        /// The sweep file.
        file: String,
        /// The scenario.
        scenario: String,
        /// The key path.
        key: String,
        /// The array of tables, as a key path.
        array: String,
        /// The segment that names no element.
        element: String,
        /// The names of the elements there are.
        available: Vec<String>,
    },
    /// `true` (keep) on a table the method does not have.
    #[error(
        "{file}: scenario \"{scenario}\": `{key}` = true keeps a table the method does not have (add it to the method, or set its keys)"
    )]
    Missing {
        /// The sweep file.
        file: String,
        /// The scenario.
        scenario: String,
        /// The key path.
        key: String,
    },
    /// The method with the scenario's overrides is not a valid method file.
    #[error("{file}: scenario \"{scenario}\": {}", method_message(.key, .error))]
    Method {
        /// The sweep file.
        file: String,
        /// The scenario.
        scenario: String,
        /// The override the error is put down to: the last of the shortest run of the
        /// scenario's overrides (in order) that makes the method fail (`None` when the base
        /// method itself fails its checks).
        key: Option<String>,
        /// The method's error; its lines are those of the rewritten method's text.
        error: MethodError,
    },
}

fn in_scenario(scenario: &Option<String>) -> String {
    scenario
        .as_ref()
        .map(|s| format!("scenario \"{s}\": "))
        .unwrap_or_default()
}

fn names(available: &[String]) -> String {
    if available.is_empty() {
        "no named element".to_string()
    } else {
        available
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A method error put down to an override, without the method's file and position (the line
/// of the rewritten text follows the message).
fn method_message(key: &Option<String>, e: &MethodError) -> String {
    let at = |line: usize| {
        if line == 0 {
            String::new()
        } else {
            format!(" (line {line} of the rewritten method)")
        }
    };
    let prefix = key.as_ref().map(|k| format!("`{k}`: ")).unwrap_or_default();
    match e {
        MethodError::Syntax { line, message, .. } => format!("{prefix}{message}{}", at(*line)),
        MethodError::Invalid {
            line,
            key: method_key,
            message,
            ..
        }
        | MethodError::Data {
            line,
            key: method_key,
            message,
            ..
        } => {
            if key.as_ref() == Some(method_key) {
                format!("{prefix}{message}{}", at(*line))
            } else {
                format!("{prefix}{method_key}: {message}{}", at(*line))
            }
        }
    }
}

/// 1-based (line, column) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// What a value is, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date-time",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

/// A table, or a non-empty array of tables: what `true` keeps and `false` removes.
fn is_tableish(v: &Value) -> bool {
    match v {
        Value::Table(_) => true,
        Value::Array(a) => is_array_of_tables(a),
        _ => false,
    }
}

fn is_array_of_tables(a: &[Value]) -> bool {
    !a.is_empty() && a.iter().all(Value::is_table)
}

/// The element of an array of tables a key segment names: by `name`, else by 0-based position.
fn element(items: &[Value], segment: &str) -> Option<usize> {
    items
        .iter()
        .position(|v| v.get("name").and_then(Value::as_str) == Some(segment))
        .or_else(|| segment.parse::<usize>().ok().filter(|&i| i < items.len()))
}

/// The value at a key path, if the method has it.
fn lookup<'a>(table: &'a Table, segments: &[&str]) -> Option<&'a Value> {
    let (first, rest) = segments.split_first()?;
    let mut value = table.get(*first)?;
    let mut rest = rest;
    while let Some((seg, tail)) = rest.split_first() {
        value = match value {
            Value::Table(t) => t.get(*seg)?,
            Value::Array(a) if is_array_of_tables(a) => &a[element(a, seg)?],
            _ => return None,
        };
        rest = tail;
    }
    Some(value)
}

/// A sweep file's key/value pair with where its key is.
struct Leaf {
    key: String,
    value: Value,
    span: Range<usize>,
}

/// The key paths of a table's values, nested tables read as dotted paths, in file order.
fn flatten(de: &DeTable<'_>, values: &Table, prefix: &str, out: &mut Vec<Leaf>) {
    for (k, dv) in de.iter() {
        let name: &str = k.get_ref().as_ref();
        let Some(value) = values.get(name) else {
            continue;
        };
        let key = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        };
        match (dv.get_ref(), value) {
            (DeValue::Table(sub), Value::Table(t)) if !t.is_empty() => flatten(sub, t, &key, out),
            _ => out.push(Leaf {
                key,
                value: value.clone(),
                span: k.span(),
            }),
        }
    }
}

/// The leaves of a table in file order, each key path checked (no empty segment, no repeat).
fn leaves(
    file: &str,
    text: &str,
    de: &DeTable<'_>,
    values: &Table,
    scenario: Option<&str>,
) -> Result<Vec<Leaf>, SweepError> {
    let mut out = Vec::new();
    flatten(de, values, "", &mut out);
    out.sort_by_key(|l| l.span.start);
    let mut seen = HashSet::new();
    for leaf in &out {
        let line = line_col(text, leaf.span.start).0;
        if leaf.key.split('.').any(str::is_empty) {
            return Err(SweepError::BadKey {
                file: file.to_string(),
                line,
                scenario: scenario.map(str::to_string),
                key: leaf.key.clone(),
                message: "a key path is the method's keys joined by single dots (`siting.p`), none empty"
                    .into(),
            });
        }
        if !seen.insert(leaf.key.as_str()) {
            return Err(SweepError::Repeated {
                file: file.to_string(),
                line,
                scenario: scenario.map(str::to_string),
                key: leaf.key.clone(),
            });
        }
    }
    Ok(out)
}

/// A name made of a scenario's overrides: `siting.p=10, siting.radius=500`.
fn auto_name(overrides: &[(String, Value)]) -> String {
    overrides
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Sweep {
    /// Parses a sweep file. `file` is its name for messages.
    pub fn from_toml(file: &str, text: &str) -> Result<Sweep, SweepError> {
        let syntax = |e: toml::de::Error| {
            let (line, column) = e.span().map_or((0, 0), |s| line_col(text, s.start));
            SweepError::Syntax {
                file: file.to_string(),
                line,
                column,
                message: e.message().trim().replace('\n', " "),
            }
        };
        let values: Table = toml::from_str(text).map_err(syntax)?;
        let de = DeTable::parse(text).map_err(syntax)?;
        let de = de.get_ref();
        let line = |span: Range<usize>| line_col(text, span.start).0;
        let shape = |span: Range<usize>, scenario: Option<&str>, key: &str, expected: &str, found: String| {
            SweepError::Shape {
                file: file.to_string(),
                line: line(span),
                scenario: scenario.map(str::to_string),
                key: key.to_string(),
                expected: expected.to_string(),
                found,
            }
        };

        let mut top: Vec<(&Spanned<_>, &Spanned<DeValue<'_>>)> = de.iter().collect();
        top.sort_by_key(|(k, _)| k.span().start);
        let mut explicit: Vec<(&Spanned<DeValue<'_>>, &Value)> = Vec::new();
        let mut product = None;
        for (k, dv) in top {
            let key: &str = k.get_ref().as_ref();
            let value = &values[key];
            match key {
                "scenario" => match (dv.get_ref(), value) {
                    (DeValue::Array(items), Value::Array(vs)) if vs.iter().all(Value::is_table) => {
                        explicit.extend(items.iter().zip(vs));
                    }
                    _ => {
                        return Err(shape(
                            dv.span(),
                            None,
                            key,
                            "an array of tables ([[scenario]])",
                            match value {
                                Value::Array(_) => "an array of other values".to_string(),
                                v => kind(v).to_string(),
                            },
                        ));
                    }
                },
                "product" => match (dv.get_ref(), value) {
                    (DeValue::Table(t), Value::Table(vs)) => product = Some((t, vs)),
                    _ => {
                        return Err(shape(
                            dv.span(),
                            None,
                            key,
                            "a table ([product])",
                            kind(value).to_string(),
                        ));
                    }
                },
                _ => {
                    return Err(SweepError::UnknownKey {
                        file: file.to_string(),
                        line: line(k.span()),
                        key: key.to_string(),
                    });
                }
            }
        }
        if explicit.is_empty() && product.is_none() {
            return Err(SweepError::Empty {
                file: file.to_string(),
            });
        }

        let mut scenarios = Vec::new();
        for (dv, value) in explicit {
            let (Some(dt), Some(t)) = (dv.get_ref().as_table(), value.as_table()) else {
                unreachable!("checked above: every scenario is a table");
            };
            let name = match t.get("name") {
                None => None,
                Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
                Some(other) => {
                    let span = dt
                        .iter()
                        .find(|(k, _)| AsRef::<str>::as_ref(k.get_ref()) == "name")
                        .map_or(dv.span(), |(_, v)| v.span());
                    let found = match other {
                        Value::String(_) => "an empty string".to_string(),
                        v => kind(v).to_string(),
                    };
                    return Err(shape(span, None, "name", "a non-empty string", found));
                }
            };
            let mut body = t.clone();
            body.remove("name");
            let leaves = leaves(file, text, dt, &body, name.as_deref())?;
            if leaves.is_empty() {
                return Err(SweepError::NoOverride {
                    file: file.to_string(),
                    line: line(dv.span()),
                    scenario: name,
                });
            }
            let overrides: Vec<(String, Value)> = leaves.into_iter().map(|l| (l.key, l.value)).collect();
            scenarios.push(Scenario {
                name: name.unwrap_or_else(|| auto_name(&overrides)),
                overrides,
                file: file.to_string(),
            });
        }

        if let Some((dt, t)) = product {
            let axes = leaves(file, text, dt, t, None)?;
            let mut count: usize = 1;
            for axis in &axes {
                let found = match &axis.value {
                    Value::Array(a) if a.is_empty() => Some("an empty array".to_string()),
                    Value::Array(_) => None,
                    v => Some(format!("{}, {v}", kind(v))),
                };
                if axis.key == "name" {
                    return Err(SweepError::BadKey {
                        file: file.to_string(),
                        line: line(axis.span.clone()),
                        scenario: None,
                        key: axis.key.clone(),
                        message: "a [product] cannot name its scenarios (their names are their values)"
                            .into(),
                    });
                }
                if let Some(found) = found {
                    return Err(SweepError::ProductValue {
                        file: file.to_string(),
                        line: line(axis.span.clone()),
                        key: axis.key.clone(),
                        found,
                    });
                }
                let n = axis.value.as_array().map_or(1, Vec::len);
                count = count.saturating_mul(n);
            }
            if scenarios.len().saturating_add(count) > MAX_SCENARIOS {
                return Err(SweepError::TooMany {
                    file: file.to_string(),
                    count,
                });
            }
            if !axes.is_empty() {
                let arrays: Vec<(&str, &Vec<Value>)> = axes
                    .iter()
                    .filter_map(|a| a.value.as_array().map(|v| (a.key.as_str(), v)))
                    .collect();
                // An odometer: the last key turns fastest.
                let mut at = vec![0usize; arrays.len()];
                'combinations: loop {
                    let overrides: Vec<(String, Value)> = arrays
                        .iter()
                        .zip(&at)
                        .map(|((k, vs), &i)| (k.to_string(), vs[i].clone()))
                        .collect();
                    scenarios.push(Scenario {
                        name: auto_name(&overrides),
                        overrides,
                        file: file.to_string(),
                    });
                    for d in (0..arrays.len()).rev() {
                        at[d] += 1;
                        if at[d] < arrays[d].1.len() {
                            continue 'combinations;
                        }
                        at[d] = 0;
                    }
                    break;
                }
            }
        }
        if scenarios.is_empty() {
            return Err(SweepError::Empty {
                file: file.to_string(),
            });
        }

        let mut first_of = std::collections::HashMap::new();
        for (i, s) in scenarios.iter().enumerate() {
            if let Some(first) = first_of.insert(s.name.as_str(), i) {
                return Err(SweepError::DuplicateName {
                    file: file.to_string(),
                    name: s.name.clone(),
                    first: first + 1,
                    second: i + 1,
                });
            }
        }
        Ok(Sweep {
            file: file.to_string(),
            scenarios,
        })
    }

    /// Every override key, in order of first appearance (the summary table's columns).
    pub fn keys(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        self.scenarios
            .iter()
            .flat_map(|s| s.overrides.iter().map(|(k, _)| k))
            .filter(|k| seen.insert(k.as_str()))
            .cloned()
            .collect()
    }
}

impl Scenario {
    /// The method with this scenario's overrides applied, parsed and checked as a method file
    /// (`Method::from_toml` on the rewritten text). `method` is the base method.
    ///
    /// The rewritten text is the base method's TOML with the overrides applied, written back by
    /// the `toml` crate (comments and layout are not kept): its [`Method::text`] is that text,
    /// and the lines in the errors of the method (and in later messages about it) are lines of
    /// that text, not of the base method file. The method's `file` reads
    /// `examples/bogota.toml (scenario "siting.p=10")`.
    pub fn apply(&self, method: &Method) -> Result<Method, SweepError> {
        let base: Table = toml::from_str(method.text()).map_err(|e| self.toml_error(method, e))?;
        let mut table = base.clone();
        for (key, value) in &self.overrides {
            self.apply_one(&base, &mut table, key, value, method)?;
        }
        let file = format!("{} (scenario \"{}\")", method.file, self.name);
        match check(&file, &table) {
            Ok(m) => Ok(m),
            Err(error) => Err(self
                .blame(&base, method, &file)
                .unwrap_or_else(|| self.error_method(None, error))),
        }
    }

    /// The error of the shortest run of overrides (in order) that makes the method fail, put
    /// down to its last override (`None` if no run fails).
    fn blame(&self, base: &Table, method: &Method, file: &str) -> Option<SweepError> {
        let mut table = base.clone();
        if let Err(error) = check(file, &table) {
            return Some(self.error_method(None, error));
        }
        for (key, value) in &self.overrides {
            if let Err(e) = self.apply_one(base, &mut table, key, value, method) {
                return Some(e);
            }
            if let Err(error) = check(file, &table) {
                return Some(self.error_method(Some(key.clone()), error));
            }
        }
        None
    }

    fn error_method(&self, key: Option<String>, error: MethodError) -> SweepError {
        SweepError::Method {
            file: self.file.clone(),
            scenario: self.name.clone(),
            key,
            error,
        }
    }

    fn toml_error(&self, method: &Method, e: toml::de::Error) -> SweepError {
        let (line, column) = e.span().map_or((0, 0), |s| line_col(method.text(), s.start));
        self.error_method(
            None,
            MethodError::Syntax {
                file: method.file.clone(),
                line,
                column,
                message: e.message().trim().replace('\n', " "),
            },
        )
    }

    fn reads_inputs(&self, key: &str) -> SweepError {
        SweepError::ReadsInputs {
            file: self.file.clone(),
            scenario: self.name.clone(),
            key: key.to_string(),
        }
    }

    /// Applies one override to `table` (the method as rewritten so far); `base` is the method.
    fn apply_one(
        &self,
        base: &Table,
        table: &mut Table,
        key: &str,
        value: &Value,
        method: &Method,
    ) -> Result<(), SweepError> {
        let segments: Vec<&str> = key.split('.').collect();
        // Keys that say which file is read, or how.
        let (last, parents) = segments.split_last().expect("split gives one segment at least");
        if READ_KEYS.contains(last) || parents.iter().any(|s| *s == "table" || *s == "filter") {
            return Err(self.reads_inputs(key));
        }
        // Sections that are read: no removal or replacement (keeping them is fine).
        if *value != Value::Boolean(true) {
            for (section, is_array) in READ_SECTIONS {
                let whole = segments.as_slice() == section;
                let element =
                    is_array && segments.len() == section.len() + 1 && segments.starts_with(section);
                let holds = section.len() > segments.len()
                    && section.starts_with(&segments)
                    && lookup(table, section).is_some();
                if whole || element || holds {
                    return Err(self.reads_inputs(key));
                }
            }
        }
        let Value::Boolean(flag) = *value else {
            return self.set(table, &segments, value, key);
        };
        match lookup(table, &segments) {
            Some(v) if is_tableish(v) => {
                if !flag {
                    self.remove(table, &segments, key)?;
                }
                Ok(())
            }
            Some(_) => self.set(table, &segments, value, key),
            None => {
                // Absent: a table the method does not have, or a value left to its default?
                // Ask the parser with the base method and this one key.
                let mut probe = base.clone();
                let wants_table = self.set(&mut probe, &segments, value, key).is_ok()
                    && toml::to_string(&probe).is_ok_and(|text| {
                        matches!(Method::parse(&method.file, &text),
                            Err(MethodError::Syntax { message, .. }) if message.contains("invalid type: boolean"))
                    });
                match (wants_table, flag) {
                    (true, true) => Err(SweepError::Missing {
                        file: self.file.clone(),
                        scenario: self.name.clone(),
                        key: key.to_string(),
                    }),
                    (true, false) => Ok(()),
                    (false, _) => self.set(table, &segments, value, key),
                }
            }
        }
    }

    /// Walks a key path to the table (or array of tables) that holds its last segment, creating
    /// the tables it lacks.
    fn walk<'t>(&self, table: &'t mut Table, segments: &[&str], key: &str) -> Result<Holder<'t>, SweepError> {
        let mut table = table;
        let mut i = 0;
        loop {
            let seg = segments[i];
            if i + 1 == segments.len() {
                return Ok(Holder::Table(table, seg.to_string()));
            }
            let next = table
                .entry(seg.to_string())
                .or_insert_with(|| Value::Table(Table::new()));
            let found = kind(next);
            match next {
                Value::Table(t) => {
                    table = t;
                    i += 1;
                }
                Value::Array(items) if is_array_of_tables(items) => {
                    let name = segments[i + 1];
                    let Some(k) = element(items, name) else {
                        return Err(SweepError::NoElement {
                            file: self.file.clone(),
                            scenario: self.name.clone(),
                            key: key.to_string(),
                            array: segments[..=i].join("."),
                            element: name.to_string(),
                            available: items
                                .iter()
                                .filter_map(|v| v.get("name").and_then(Value::as_str).map(str::to_string))
                                .collect(),
                        });
                    };
                    if i + 2 == segments.len() {
                        return Ok(Holder::Array(items, k));
                    }
                    let Value::Table(t) = &mut items[k] else {
                        unreachable!("an array of tables holds tables");
                    };
                    table = t;
                    i += 2;
                }
                _ => {
                    return Err(SweepError::NotATable {
                        file: self.file.clone(),
                        scenario: self.name.clone(),
                        key: key.to_string(),
                        at: segments[..=i].join("."),
                        found: found.to_string(),
                    });
                }
            }
        }
    }

    fn set(&self, table: &mut Table, segments: &[&str], value: &Value, key: &str) -> Result<(), SweepError> {
        match self.walk(table, segments, key)? {
            Holder::Table(t, k) => {
                t.insert(k, value.clone());
            }
            Holder::Array(items, k) => items[k] = value.clone(),
        }
        Ok(())
    }

    fn remove(&self, table: &mut Table, segments: &[&str], key: &str) -> Result<(), SweepError> {
        match self.walk(table, segments, key)? {
            Holder::Table(t, k) => {
                t.remove(&k);
            }
            Holder::Array(items, k) => {
                items.remove(k);
            }
        }
        Ok(())
    }
}

/// The method a rewritten table makes: written as TOML, parsed and checked.
fn check(file: &str, table: &Table) -> Result<Method, MethodError> {
    let text = toml::to_string(table).map_err(|e| MethodError::Syntax {
        file: file.to_string(),
        line: 0,
        column: 0,
        message: format!("the rewritten method does not write as TOML: {e}"),
    })?;
    Method::from_toml(file, &text)
}

/// Where a key path's last segment lives: a key of a table, or an element of an array of
/// tables.
enum Holder<'t> {
    Table(&'t mut Table, String),
    Array(&'t mut Vec<Value>, usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOGOTA: &str = include_str!("../../../examples/bogota.toml");
    const EQUITY: &str = include_str!("../../../examples/bogota_equity.toml");

    fn bogota() -> Method {
        Method::from_toml("examples/bogota.toml", BOGOTA).unwrap()
    }

    fn sweep(text: &str) -> Sweep {
        Sweep::from_toml("sweep.toml", text).unwrap()
    }

    fn sweep_err(text: &str) -> String {
        Sweep::from_toml("sweep.toml", text).unwrap_err().to_string()
    }

    fn names(s: &Sweep) -> Vec<&str> {
        s.scenarios.iter().map(|s| s.name.as_str()).collect()
    }

    /// The error of applying a one-scenario sweep to Bogotá.
    fn apply_err(text: &str) -> String {
        let s = sweep(text);
        s.scenarios[0].apply(&bogota()).unwrap_err().to_string()
    }

    #[test]
    fn a_product_varies_its_first_key_slowest_and_names_scenarios_by_their_values() {
        let s = sweep(
            "[product]\n\"siting.p\" = [10, 20]\n\"siting.radius\" = [500, 800.5]\n\"siting.demand\" = [\"pop\"]\n",
        );
        assert_eq!(
            names(&s),
            [
                "siting.p=10, siting.radius=500, siting.demand=\"pop\"",
                "siting.p=10, siting.radius=800.5, siting.demand=\"pop\"",
                "siting.p=20, siting.radius=500, siting.demand=\"pop\"",
                "siting.p=20, siting.radius=800.5, siting.demand=\"pop\"",
            ]
        );
        assert_eq!(
            s.scenarios[1].overrides,
            vec![
                ("siting.p".to_string(), Value::Integer(10)),
                ("siting.radius".to_string(), Value::Float(800.5)),
                ("siting.demand".to_string(), Value::String("pop".into())),
            ]
        );
        assert!(s.scenarios.iter().all(|sc| sc.file == "sweep.toml"));
        assert_eq!(s.keys(), ["siting.p", "siting.radius", "siting.demand"]);
    }

    #[test]
    fn explicit_scenarios_come_first_in_file_order_then_the_product() {
        let s = sweep(
            "[product]\n\"siting.p\" = [5, 6]\n\n\
             [[scenario]]\nname = \"ten blocks\"\n\"siting.p\" = 10\n\n\
             [[scenario]]\n\"uncertainty.draws\" = 10\n\"siting.radius\" = 600\n\"siting.p\" = 40\n",
        );
        assert_eq!(
            names(&s),
            [
                "ten blocks",
                "uncertainty.draws=10, siting.radius=600, siting.p=40",
                "siting.p=5",
                "siting.p=6",
            ]
        );
        // Columns: in order of first appearance over the scenarios.
        assert_eq!(s.keys(), ["siting.p", "uncertainty.draws", "siting.radius"]);
    }

    #[test]
    fn unquoted_dotted_keys_are_the_same_key_paths() {
        let s = sweep("[[scenario]]\nsiting.p = 10\n\"aggregation.method\" = \"geometric\"\n");
        assert_eq!(names(&s), ["siting.p=10, aggregation.method=\"geometric\""]);
        let s = sweep("[product]\nsiting.p = [1, 2]\n");
        assert_eq!(names(&s), ["siting.p=1", "siting.p=2"]);
        let s = sweep("[product.siting]\np = [1, 2]\n");
        assert_eq!(names(&s), ["siting.p=1", "siting.p=2"]);
        let e = sweep_err("[[scenario]]\nname = \"x\"\nsiting.p = 10\n\"siting.p\" = 11\n");
        assert_eq!(e, "sweep.toml:4: scenario \"x\": `siting.p` is given twice");
    }

    #[test]
    fn overrides_change_the_method_and_its_file_names_the_scenario() {
        let base = bogota();
        let s = sweep(
            "[[scenario]]\n\"siting.p\" = 10\n\"dimensions.supply_gap.weight\" = 2\n\"treatment.winsorise\" = false\n",
        );
        let m = s.scenarios[0].apply(&base).unwrap();
        assert_eq!(
            m.file,
            "examples/bogota.toml (scenario \"siting.p=10, dimensions.supply_gap.weight=2, treatment.winsorise=false\")"
        );
        let st = m.spec.siting.as_ref().unwrap();
        assert_eq!(st.p.as_ref().map(|p| *p.get_ref()), Some(10));
        assert_eq!(*st.radius.get_ref(), 800.0);
        assert_eq!(
            m.dimensions().iter().find(|d| d.0 == "supply_gap").map(|d| d.1),
            Some(2.0)
        );
        assert_eq!(m.spec.treatment.winsorise.percentiles(), None);
        // Everything else as in the base method.
        assert_eq!(m.spec.indicators.len(), base.spec.indicators.len());
        assert_eq!(st.candidates.len(), 4);
        assert_eq!(m.spec.units.population, base.spec.units.population);
        assert!(m.text().contains("p = 10"));
        // The base method is untouched.
        assert_eq!(
            base.spec
                .siting
                .as_ref()
                .unwrap()
                .p
                .as_ref()
                .map(|p| *p.get_ref()),
            Some(21)
        );
    }

    #[test]
    fn arrays_of_tables_are_addressed_by_their_elements_name() {
        let base = bogota();
        let s = sweep("[product]\n\"indicators.share_0_9.weight\" = [1, 0.5]\n");
        assert_eq!(
            names(&s),
            ["indicators.share_0_9.weight=1", "indicators.share_0_9.weight=0.5"]
        );
        let m = s.scenarios[1].apply(&base).unwrap();
        let i = m
            .spec
            .indicators
            .iter()
            .position(|i| i.name.get_ref() == "share_0_9")
            .unwrap();
        assert_eq!(i, 0);
        assert_eq!(
            m.spec.indicators[0].weight.as_ref().map(|w| *w.get_ref()),
            Some(0.5)
        );
        assert_eq!(m.spec.indicators[1].weight, None);
        // By position when no element has the name; `false` on an element removes it.
        let s = sweep(
            "[[scenario]]\n\"siting.existing.0.capacity\" = 500\n\"siting.capacity\" = 900\n\"indicators.disability\" = false\n",
        );
        let m = s.scenarios[0].apply(&base).unwrap();
        let st = m.spec.siting.as_ref().unwrap();
        assert!(st.existing[0].capacity.is_some());
        assert_eq!(m.spec.indicators.len(), base.spec.indicators.len() - 1);
        assert!(m.spec.indicators.iter().all(|i| i.name.get_ref() != "disability"));
    }

    #[test]
    fn false_removes_a_table_and_true_keeps_it() {
        let base = Method::from_toml("examples/bogota_equity.toml", EQUITY).unwrap();
        assert!(base.spec.siting.as_ref().unwrap().equity.is_some());
        let s = sweep("[product]\n\"siting.equity\" = [true, false]\n");
        assert_eq!(names(&s), ["siting.equity=true", "siting.equity=false"]);
        let on = s.scenarios[0].apply(&base).unwrap();
        assert_eq!(
            on.spec
                .siting
                .as_ref()
                .unwrap()
                .equity
                .as_ref()
                .unwrap()
                .layer_name(),
            Some("localidades")
        );
        let off = s.scenarios[1].apply(&base).unwrap();
        assert!(off.spec.siting.as_ref().unwrap().equity.is_none());
        assert!(off.spec.siting.as_ref().unwrap().bus.is_some());
        // `false` on a table the method does not have changes nothing.
        let m = sweep("[[scenario]]\n\"siting.equity\" = false\n").scenarios[0]
            .apply(&bogota())
            .unwrap();
        assert!(m.spec.siting.as_ref().unwrap().equity.is_none());
        // An equity layer of its own can be removed, though it has a `path`.
        let own = EQUITY.replace(
            "layer = \"localidades\"   # the [[coarse]] layer above",
            "path = \"../data/bogota/localidades.geojson\"\nid = \"LocCodigo\"",
        );
        let own = Method::from_toml("examples/bogota_equity.toml", &own).unwrap();
        let off = s.scenarios[1].apply(&own).unwrap();
        assert!(off.spec.siting.as_ref().unwrap().equity.is_none());
        // Keys under it are fine, its `path` is not.
        let m = sweep("[[scenario]]\n\"siting.equity.min\" = 2\n").scenarios[0]
            .apply(&own)
            .unwrap();
        assert_eq!(
            *m.spec
                .siting
                .as_ref()
                .unwrap()
                .equity
                .as_ref()
                .unwrap()
                .min
                .get_ref(),
            2
        );
    }

    #[test]
    fn true_on_a_table_the_method_does_not_have_is_an_error() {
        assert_eq!(
            apply_err("[[scenario]]\nname = \"robust\"\n\"siting.robust\" = true\n"),
            "sweep.toml: scenario \"robust\": `siting.robust` = true keeps a table the method does not have \
             (add it to the method, or set its keys)"
        );
        // A value left to its default is a value: `winsorise = true` is `[1, 99]`.
        let text = BOGOTA.replace("winsorise = [1, 99]\n", "");
        let base = Method::from_toml("examples/bogota.toml", &text).unwrap();
        let s = sweep("[product]\n\"treatment.winsorise\" = [true, false]\n");
        let on = s.scenarios[0].apply(&base).unwrap();
        assert_eq!(on.spec.treatment.winsorise.percentiles(), Some((1.0, 99.0)));
        let off = s.scenarios[1].apply(&base).unwrap();
        assert_eq!(off.spec.treatment.winsorise.percentiles(), None);
    }

    #[test]
    fn a_path_that_does_not_exist_is_created_with_its_tables() {
        let base = bogota();
        let m = sweep("[[scenario]]\n\"siting.robust.draws\" = 50\n").scenarios[0]
            .apply(&base)
            .unwrap();
        let r = m.spec.siting.as_ref().unwrap().robust.as_ref().unwrap();
        assert_eq!(*r.draws.get_ref(), 50);
        // A table value sets its keys.
        let m = sweep("[[scenario]]\n\"siting.robust\" = { draws = 7 }\n").scenarios[0]
            .apply(&base)
            .unwrap();
        assert_eq!(
            *m.spec
                .siting
                .as_ref()
                .unwrap()
                .robust
                .as_ref()
                .unwrap()
                .draws
                .get_ref(),
            7
        );
        // The method parser decides whether what is created is valid.
        let e = apply_err("[[scenario]]\n\"siting.robust.draws\" = 0\n");
        assert!(
            e.starts_with(
                "sweep.toml: scenario \"siting.robust.draws=0\": `siting.robust.draws`: must be at least 1 (the number"
            ),
            "{e}"
        );
    }

    #[test]
    fn a_misspelt_key_fails_as_an_unknown_field_of_the_method() {
        let e = apply_err("[[scenario]]\n\"siting.p\" = 10\n\"siting.pp\" = 10\n");
        assert!(
            e.starts_with("sweep.toml: scenario \"siting.p=10, siting.pp=10\": `siting.pp`: unknown field `pp`, expected one of"),
            "{e}"
        );
        assert!(e.contains("of the rewritten method)") && !e.contains('\n'), "{e}");
        let s = sweep("[[scenario]]\nname = \"x\"\n\"siting.pp\" = 10\n");
        let SweepError::Method { key, error, .. } = s.scenarios[0].apply(&bogota()).unwrap_err() else {
            panic!("a method error");
        };
        assert_eq!(key.as_deref(), Some("siting.pp"));
        assert!(
            matches!(error, MethodError::Syntax { ref file, .. } if file == "examples/bogota.toml (scenario \"x\")")
        );
        // A checked value: the method's own key and message.
        let e = apply_err("[[scenario]]\n\"indicators.ipm.weight\" = -1\n");
        assert!(
            e.starts_with("sweep.toml: scenario \"indicators.ipm.weight=-1\": `indicators.ipm.weight`: indicators[8].weight:"),
            "{e}"
        );
    }

    #[test]
    fn apply_errors_name_the_sweep_the_scenario_and_the_key() {
        assert_eq!(
            apply_err("[[scenario]]\nname = \"deep\"\n\"siting.p.x\" = 1\n"),
            "sweep.toml: scenario \"deep\": `siting.p.x`: `siting.p` is an integer, not a table"
        );
        assert_eq!(
            apply_err("[[scenario]]\n\"indicators.share_0_5.weight\" = 2\n"),
            "sweep.toml: scenario \"indicators.share_0_5.weight=2\": `indicators.share_0_5.weight`: `indicators` \
             has no element named \"share_0_5\" (it has \"share_0_9\", \"share_80_plus\", \"dependency_ratio\", \
             \"disability\", \"women_unpaid_care_density\", \"women_unpaid_care_share\", \
             \"female_single_parent_share\", \"estrato_1_2\", \"ipm\", \"supply_gap\")"
        );
        let e = apply_err("[[scenario]]\n\"siting.existing.3.capacity\" = 2\n");
        assert!(
            e.ends_with("`siting.existing` has no element named \"3\" (it has no named element)"),
            "{e}"
        );
    }

    #[test]
    fn a_value_in_place_of_a_table_is_left_to_the_method_parser() {
        let e = apply_err("[[scenario]]\nname = \"m\"\n\"indicators.ipm\" = 5\n");
        assert!(
            e.starts_with("sweep.toml: scenario \"m\": `indicators.ipm`: "),
            "{e}"
        );
        let e = apply_err("[[scenario]]\nname = \"m\"\n\"siting.anchor\" = \"x\"\n");
        assert!(
            e.starts_with("sweep.toml: scenario \"m\": `siting.anchor`: invalid type: string \"x\""),
            "{e}"
        );
    }

    #[test]
    fn overrides_that_change_what_is_read_are_refused() {
        let refused = [
            "units.path",
            "units.id",
            "crs",
            "units.table",
            "units.table.key",
            "districts.path",
            "coarse.localidades.path",
            "coarse.localidades.table.path",
            "supply.cdc.geometry",
            "siting.candidates.biblored.crs",
            "siting.existing.0.filter",
            "siting.existing.0.filter.values",
            "siting.equity.path",
            "siting.costs.path",
            "network.path",
        ];
        for key in refused {
            let e = apply_err(&format!("[[scenario]]\nname = \"s\"\n\"{key}\" = \"x\"\n"));
            assert_eq!(
                e,
                format!("sweep.toml: a sweep reads its inputs once: scenario \"s\" may not change `{key}`")
            );
        }
        for key in [
            "units",
            "districts",
            "coarse",
            "supply",
            "network",
            "siting.candidates",
            "siting.existing",
            "siting.costs",
            "siting.candidates.biblored",
            "supply.centros de desarrollo comunitario",
            "siting",
        ] {
            let e = apply_err(&format!("[[scenario]]\nname = \"s\"\n\"{key}\" = false\n"));
            assert_eq!(
                e,
                format!("sweep.toml: a sweep reads its inputs once: scenario \"s\" may not change `{key}`")
            );
        }
        // Keeping them, and their other keys, are fine.
        let m = sweep(
            "[[scenario]]\nunits = true\n\"siting.candidates.biblored.label\" = \"NAME\"\n\"siting.bus\" = false\n",
        )
        .scenarios[0]
            .apply(&bogota())
            .unwrap();
        let st = m.spec.siting.as_ref().unwrap();
        assert!(st.candidates[2].label.as_deref() == Some("NAME") && st.bus.is_none());
        // `siting = false` is fine when the siting reads no layer.
        let grid = "[units]\npath = \"u.geojson\"\npopulation = \"pop\"\n[[indicators]]\nname = \"young\"\n\
                    dimension = \"d\"\nkind = \"count\"\ncount = \"pop\"\n[siting]\np = 2\ngrid = { spacing = 500 }\n";
        let base = Method::from_toml("m.toml", grid).unwrap();
        let m = sweep("[[scenario]]\nsiting = false\n").scenarios[0]
            .apply(&base)
            .unwrap();
        assert!(m.spec.siting.is_none());
    }

    #[test]
    fn sweep_file_errors_name_the_file_line_and_key() {
        assert_eq!(
            sweep_err("# nothing\n"),
            "sweep.toml: the sweep has no scenario: give [[scenario]] tables, a [product] table, or both"
        );
        assert_eq!(
            sweep_err("[[scenario]]\n\"siting.p\" = 1\n[products]\nx = [1]\n"),
            "sweep.toml:3: unknown key `products`: a sweep file has [[scenario]] tables and a [product] table, nothing else"
        );
        assert_eq!(
            sweep_err("[product]\n\"siting.p\" = 10\n"),
            "sweep.toml:2: [product] `siting.p` must be a non-empty array of values, one per scenario \
             (`siting.p` = [a, b]), not an integer, 10"
        );
        assert_eq!(
            sweep_err("[product]\n\"siting.p\" = [1]\n\"siting.radius\" = []\n"),
            "sweep.toml:3: [product] `siting.radius` must be a non-empty array of values, one per scenario \
             (`siting.radius` = [a, b]), not an empty array"
        );
        assert_eq!(
            sweep_err("[[scenario]]\n\"siting.p\" = 1\n\n[[scenario]]\nname = \"lonely\"\n"),
            "sweep.toml:4: scenario \"lonely\": the [[scenario]] has no override: give at least one \"key.path\" = value"
        );
        assert_eq!(
            sweep_err("[[scenario]]\n"),
            "sweep.toml:1: the [[scenario]] has no override: give at least one \"key.path\" = value"
        );
        assert_eq!(
            sweep_err("[[scenario]]\n\"siting.p\" = 1\n\"siting.p\" = 2\n"),
            "sweep.toml:3:1: duplicate key"
        );
        let e = sweep_err("[[scenario]]\n\"siting.p\" = \n");
        assert!(e.starts_with("sweep.toml:2:"), "{e}");
        assert_eq!(
            sweep_err("[[scenario]]\nname = 3\n\"siting.p\" = 1\n"),
            "sweep.toml:2: `name` must be a non-empty string, not an integer"
        );
        assert_eq!(
            sweep_err("scenario = [1]\n"),
            "sweep.toml:1: `scenario` must be an array of tables ([[scenario]]), not an array of other values"
        );
        assert_eq!(
            sweep_err("scenario = 3\n"),
            "sweep.toml:1: `scenario` must be an array of tables ([[scenario]]), not an integer"
        );
        assert_eq!(
            sweep_err("[[scenario]]\nname = \"a\"\n\"siting..p\" = 1\n"),
            "sweep.toml:3: scenario \"a\": `siting..p`: a key path is the method's keys joined by single dots \
             (`siting.p`), none empty"
        );
        assert_eq!(
            sweep_err("[product]\nname = [\"a\", \"b\"]\n"),
            "sweep.toml:2: `name`: a [product] cannot name its scenarios (their names are their values)"
        );
        let e = sweep_err(
            "[product]\na = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n\
                           c = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nd = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n\
                           e = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nf = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n",
        );
        assert_eq!(
            e,
            "sweep.toml: the [product] makes 1000000 scenarios, more than the 100000 a sweep may have"
        );
    }

    #[test]
    fn scenario_names_are_unique() {
        assert_eq!(
            sweep_err(
                "[[scenario]]\nname = \"a\"\n\"siting.p\" = 1\n[[scenario]]\nname = \"a\"\n\"siting.p\" = 2\n"
            ),
            "sweep.toml: scenarios 1 and 2 are both named \"a\": scenario names must be unique (give one a `name`)"
        );
        assert_eq!(
            sweep_err("[[scenario]]\n\"siting.p\" = 10\n[product]\n\"siting.p\" = [10, 20]\n"),
            "sweep.toml: scenarios 1 and 2 are both named \"siting.p=10\": scenario names must be unique (give one a `name`)"
        );
        // The same overrides under another name are fine.
        let s =
            sweep("[[scenario]]\nname = \"base p\"\n\"siting.p\" = 10\n[product]\n\"siting.p\" = [10, 20]\n");
        assert_eq!(names(&s), ["base p", "siting.p=10", "siting.p=20"]);
    }
}
