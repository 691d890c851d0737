//! Property columns: values gathered per feature, typed as polars columns (numbers, text, or
//! booleans as the values allow), chunk by chunk, then joined.

use std::borrow::Cow;
use std::collections::HashMap;

use polars::prelude::{Column, DataFrame, DataType};
use rayon::prelude::*;

use super::raw::{PropValue, RawFeature};
use crate::IoError;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Null,
    Bool,
    Int,
    Float,
    Str,
    Text,
}

/// Property values gathered column by column, over chunks of features.
#[derive(Default)]
pub(super) struct Columns<'a> {
    pub(super) index: HashMap<String, usize>,
    pub(super) names: Vec<String>,
    pub(super) values: Vec<ColumnValues<'a>>,
}

/// The values of one column: typed while every value has one kind (the usual case: 16 bytes
/// an integer instead of a 32-byte `PropValue`), else the values as read, typed at the end.
/// `None` is a null (or a key missing from a feature).
pub(super) enum ColumnValues<'a> {
    Nulls(usize),
    Bool(Vec<Option<bool>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Str(Vec<Option<Cow<'a, str>>>),
    Mixed(Vec<PropValue<'a>>),
}

impl<'a> ColumnValues<'a> {
    pub(super) fn len(&self) -> usize {
        match self {
            ColumnValues::Nulls(n) => *n,
            ColumnValues::Bool(v) => v.len(),
            ColumnValues::Int(v) => v.len(),
            ColumnValues::Float(v) => v.len(),
            ColumnValues::Str(v) => v.len(),
            ColumnValues::Mixed(v) => v.len(),
        }
    }

    /// Keeps the first `n` values.
    pub(super) fn truncate(&mut self, n: usize) {
        match self {
            ColumnValues::Nulls(k) => *k = (*k).min(n),
            ColumnValues::Bool(v) => v.truncate(n),
            ColumnValues::Int(v) => v.truncate(n),
            ColumnValues::Float(v) => v.truncate(n),
            ColumnValues::Str(v) => v.truncate(n),
            ColumnValues::Mixed(v) => v.truncate(n),
        }
    }

    /// Pads with nulls to `n` values.
    pub(super) fn pad(&mut self, n: usize) {
        match self {
            ColumnValues::Nulls(k) => *k = (*k).max(n),
            ColumnValues::Bool(v) => v.resize(n, None),
            ColumnValues::Int(v) => v.resize(n, None),
            ColumnValues::Float(v) => v.resize(n, None),
            ColumnValues::Str(v) => v.resize(n, None),
            ColumnValues::Mixed(v) => v.resize_with(n, || PropValue::Null),
        }
    }

    /// The values as read (a column that turned out mixed).
    pub(super) fn into_mixed(self) -> Vec<PropValue<'a>> {
        fn map<T>(v: Vec<Option<T>>, f: impl Fn(T) -> PropValue<'static>) -> Vec<PropValue<'static>> {
            v.into_iter().map(|x| x.map_or(PropValue::Null, &f)).collect()
        }
        match self {
            ColumnValues::Nulls(n) => (0..n).map(|_| PropValue::Null).collect(),
            ColumnValues::Bool(v) => map(v, PropValue::Bool),
            ColumnValues::Int(v) => map(v, PropValue::Int),
            ColumnValues::Float(v) => map(v, PropValue::Float),
            ColumnValues::Str(v) => v
                .into_iter()
                .map(|x| x.map_or(PropValue::Null, PropValue::Str))
                .collect(),
            ColumnValues::Mixed(v) => v,
        }
    }

    /// Appends a value (the column has exactly the preceding features' values).
    pub(super) fn push(&mut self, v: PropValue<'a>, reserve: usize) {
        match (&mut *self, v) {
            (ColumnValues::Mixed(col), v) => col.push(v),
            (_, PropValue::Null) => self.pad(self.len() + 1),
            (ColumnValues::Bool(col), PropValue::Bool(b)) => col.push(Some(b)),
            (ColumnValues::Int(col), PropValue::Int(x)) => col.push(Some(x)),
            (ColumnValues::Float(col), PropValue::Float(x)) => col.push(Some(x)),
            (ColumnValues::Str(col), PropValue::Str(x)) => col.push(Some(x)),
            (ColumnValues::Nulls(n), v) => {
                let n = *n;
                fn start<T>(n: usize, reserve: usize, x: T) -> Vec<Option<T>> {
                    let mut col = Vec::with_capacity(reserve.max(n + 1));
                    col.resize_with(n, || None);
                    col.push(Some(x));
                    col
                }
                *self = match v {
                    PropValue::Bool(b) => ColumnValues::Bool(start(n, reserve, b)),
                    PropValue::Int(x) => ColumnValues::Int(start(n, reserve, x)),
                    PropValue::Float(x) => ColumnValues::Float(start(n, reserve, x)),
                    PropValue::Str(x) => ColumnValues::Str(start(n, reserve, x)),
                    v => {
                        let mut col: Vec<PropValue<'a>> = (0..n).map(|_| PropValue::Null).collect();
                        col.push(v);
                        ColumnValues::Mixed(col)
                    }
                };
            }
            (_, v) => {
                let mut col = std::mem::replace(self, ColumnValues::Nulls(0)).into_mixed();
                col.push(v);
                *self = ColumnValues::Mixed(col);
            }
        }
    }
}

impl<'a> Columns<'a> {
    /// Moves the properties of a chunk of features (the first at `offset`) into the columns;
    /// `reserve` is the number of features expected in all.
    pub(super) fn add(&mut self, features: &mut [RawFeature<'a>], offset: usize, reserve: usize) {
        for (k, f) in features.iter_mut().enumerate() {
            let i = offset + k;
            let Some(props) = f.properties.take() else {
                continue;
            };
            for (j, (key, v)) in props.0.into_iter().enumerate() {
                // Features usually list their keys in the same order: try that before hashing.
                let c = match self.names.get(j) {
                    Some(n) if n.as_str() == key.as_ref() => j,
                    _ => match self.index.get(key.as_ref()) {
                        Some(&c) => c,
                        None => {
                            let c = self.names.len();
                            self.index.insert(key.to_string(), c);
                            self.names.push(key.into_owned());
                            self.values.push(ColumnValues::Nulls(0));
                            c
                        }
                    },
                };
                let col = &mut self.values[c];
                // A repeated key in one object: the last value wins (as in serde_json's maps).
                if col.len() == i + 1 {
                    col.truncate(i);
                }
                col.pad(i);
                col.push(v, reserve);
            }
        }
    }

    /// The typed columns of `n` features (one per key, in order of first appearance).
    pub(super) fn finish(self, name: &str, n: usize) -> Result<DataFrame, IoError> {
        let columns = self
            .names
            .into_par_iter()
            .zip(self.values)
            .map(|(name, vals)| typed_column(&name, vals, n))
            .collect::<Vec<_>>();
        DataFrame::new(n, columns).map_err(|e| IoError::table(name, e))
    }

    /// [`Columns::finish`] of one region, on the calling thread.
    pub(super) fn into_columns(self, n: usize) -> Vec<Column> {
        self.names
            .into_iter()
            .zip(self.values)
            .map(|(name, vals)| typed_column(&name, vals, n))
            .collect()
    }
}

/// The polars column of one key's values over `n` features (missing values at the end are
/// null).
pub(super) fn typed_column(name: &str, mut vals: ColumnValues<'_>, n: usize) -> Column {
    vals.pad(n);
    match vals {
        ColumnValues::Nulls(n) => Column::new(name.into(), vec![None::<&str>; n]),
        ColumnValues::Bool(v) => Column::new(name.into(), v),
        ColumnValues::Int(v) => Column::new(name.into(), v),
        ColumnValues::Float(v) => Column::new(name.into(), v),
        ColumnValues::Str(v) => Column::new(
            name.into(),
            v.iter().map(|s| s.as_deref()).collect::<Vec<Option<&str>>>(),
        ),
        ColumnValues::Mixed(v) => make_column(name, v),
    }
}

/// The columns of the regions of a layer, as each region typed them, until the layer is
/// finished: joined as polars chunks (no copy of the values) when the regions agree on a
/// column's type, as a one-pass read would have typed it.
#[derive(Default)]
pub(super) struct Chunks {
    pub(super) index: HashMap<String, usize>,
    /// Per column, in order of first appearance: its name and the `(first feature, column)`
    /// of each region that has it.
    pub(super) columns: Vec<(String, Vec<(usize, Column)>)>,
}

impl Chunks {
    pub(super) fn add(&mut self, offset: usize, columns: Vec<Column>) {
        for column in columns {
            let key = column.name().as_str();
            let c = match self.index.get(key) {
                Some(&c) => c,
                None => {
                    self.index.insert(key.to_string(), self.columns.len());
                    self.columns.push((key.to_string(), Vec::new()));
                    self.columns.len() - 1
                }
            };
            self.columns[c].1.push((offset, column));
        }
    }

    /// The columns of all `n` features, or `None` when regions typed a column differently in
    /// a way that joining the chunks cannot reproduce (e.g. strings in one region, numbers in
    /// another): the caller then reads the layer in one pass. Regions where a column is all
    /// null take the other regions' type; integers and floats make a float column (integers
    /// converted exactly as a one-pass read converts them).
    pub(super) fn finish(self, n: usize) -> Option<Vec<Column>> {
        self.columns
            .into_par_iter()
            .map(|(name, pieces)| join_chunks(&name, pieces, n))
            .collect()
    }
}

pub(super) fn join_chunks(name: &str, pieces: Vec<(usize, Column)>, n: usize) -> Option<Column> {
    use polars::prelude::{IntoColumn, Series};
    let valued: Vec<(usize, Column)> = pieces
        .into_iter()
        .filter(|(_, c)| c.null_count() < c.len())
        .collect();
    let mut dtype: Option<DataType> = None;
    for (_, c) in &valued {
        dtype = Some(match (dtype, c.dtype()) {
            (None, d) => d.clone(),
            (Some(a), b) if &a == b => a,
            (Some(DataType::Int64 | DataType::Float64), DataType::Int64 | DataType::Float64) => {
                DataType::Float64
            }
            _ => return None,
        });
    }
    let Some(dtype) = dtype else {
        return Some(Column::new(name.into(), vec![None::<&str>; n]));
    };
    let nulls = |k: usize| Series::full_null(name.into(), k, &dtype).into_column();
    let mut out: Option<Column> = None;
    let mut end = 0;
    let push = |c: Column, out: &mut Option<Column>| -> Option<()> {
        match out {
            None => *out = Some(c),
            Some(o) => {
                o.append_owned(c).ok()?;
            }
        }
        Some(())
    };
    for (offset, c) in valued {
        if offset > end {
            push(nulls(offset - end), &mut out)?;
        }
        end = offset + c.len();
        let c = if c.dtype() == &dtype {
            c
        } else {
            c.cast(&dtype).ok()?
        };
        push(c, &mut out)?;
    }
    if n > end {
        push(nulls(n - end), &mut out)?;
    }
    out
}

impl<'a> Columns<'a> {}

pub(super) fn make_column(name: &str, vals: Vec<PropValue<'_>>) -> Column {
    let mut kind = Kind::Null;
    for v in &vals {
        let k = match v {
            PropValue::Null => continue,
            PropValue::Bool(_) => Kind::Bool,
            PropValue::Int(_) => Kind::Int,
            PropValue::Float(_) => Kind::Float,
            PropValue::Str(_) => Kind::Str,
            PropValue::Json(_) => Kind::Text,
        };
        kind = match (kind, k) {
            (Kind::Null, k) => k,
            (a, b) if a == b => a,
            (Kind::Int, Kind::Float) | (Kind::Float, Kind::Int) => Kind::Float,
            _ => Kind::Text,
        };
        if kind == Kind::Text {
            break;
        }
    }
    let name = name.into();
    match kind {
        Kind::Bool => Column::new(
            name,
            vals.into_iter()
                .map(|v| match v {
                    PropValue::Bool(b) => Some(b),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        ),
        Kind::Int => Column::new(
            name,
            vals.into_iter()
                .map(|v| match v {
                    PropValue::Int(x) => Some(x),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        ),
        Kind::Float => Column::new(
            name,
            vals.into_iter()
                .map(|v| match v {
                    PropValue::Int(x) => Some(x as f64),
                    PropValue::Float(x) => Some(x),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        ),
        Kind::Null | Kind::Str => Column::new(
            name,
            vals.iter()
                .map(|v| match v {
                    PropValue::Str(s) => Some(s.as_ref()),
                    _ => None,
                })
                .collect::<Vec<Option<&str>>>(),
        ),
        Kind::Text => Column::new(
            name,
            vals.into_iter()
                .map(|v| match v {
                    PropValue::Null => None,
                    PropValue::Str(s) => Some(s.into_owned()),
                    PropValue::Json(s) => Some(s),
                    other => Some(other.as_text()),
                })
                .collect::<Vec<_>>(),
        ),
    }
}
