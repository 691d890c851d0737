//! Attribute tables (CSV, Parquet) and their left join to a layer.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use careblock_core::Layer;
use polars::prelude::*;

use crate::{IoError, describe_extension, extension, path_name};

/// Reads a `.csv` (header row, column types inferred over all rows) or `.parquet` table.
///
/// A CSV must be UTF-8 (a Latin-1 / Windows-1252 file is refused naming the line and byte,
/// rather than decoded by a guess); a line with more fields than the header is refused naming
/// the line.
///
/// A code column that looks numeric (e.g. census sector codes) becomes a number here; use
/// [`read_table_with_key`] to keep a join key as text.
pub fn read_table(path: &Path) -> Result<DataFrame, IoError> {
    read(path, None)
}

/// Like [`read_table`], with the column `key` read as text (String) so that codes such as
/// `"110011000000001101"` or `"05001"` keep every digit. An error if the column is missing.
pub fn read_table_with_key(path: &Path, key: &str) -> Result<DataFrame, IoError> {
    read(path, Some(key))
}

/// The columns of a long-format cost table (`.csv` or `.parquet`): unit ids and site ids as
/// text (codes keep every digit), costs as numbers.
pub struct CostColumns {
    /// Unit id of each row.
    pub unit: Vec<String>,
    /// Site id of each row.
    pub site: Vec<String>,
    /// Cost of each row.
    pub cost: Vec<f64>,
}

/// Reads a cost table: one row per (unit, site) pair. An error names the file, the column and
/// the row when a column is missing, the cost column is not numeric, or a value is empty.
pub fn read_cost_table(path: &Path, unit: &str, site: &str, cost: &str) -> Result<CostColumns, IoError> {
    let name = path_name(path);
    let df = read(path, Some(unit))?;
    let column = |c: &str| {
        df.column(c).map_err(|_| IoError::MissingColumn {
            path: name.clone(),
            column: c.to_string(),
            available: available(&df),
        })
    };
    let text = |c: &str| -> Result<Vec<String>, IoError> {
        let series = column(c)?.as_materialized_series();
        let values: Vec<Option<String>> = match series.dtype() {
            // Integral codes read as floats print without ".0", as the layers' ids do.
            DataType::Float64 => series
                .f64()
                .map_err(|e| IoError::table(&name, e))?
                .iter()
                .map(|v| v.map(|x| x.to_string()))
                .collect(),
            _ => series
                .cast(&DataType::String)
                .map_err(|e| IoError::table(&name, e))?
                .str()
                .map_err(|e| IoError::table(&name, e))?
                .iter()
                .map(|v| v.map(str::to_string))
                .collect(),
        };
        values
            .into_iter()
            .enumerate()
            .map(|(row, v)| {
                v.ok_or_else(|| IoError::table(&name, format!("data row {}: column {c:?} is empty", row + 1)))
            })
            .collect()
    };
    let (unit_ids, site_ids) = (text(unit)?, text(site)?);
    let c = column(cost)?;
    if !c.dtype().is_primitive_numeric() {
        return Err(IoError::table(
            &name,
            format!(
                "column {cost:?} holds {} values, not numbers: it cannot be a cost",
                c.dtype()
            ),
        ));
    }
    let c = c.cast(&DataType::Float64).map_err(|e| IoError::table(&name, e))?;
    let costs = c
        .f64()
        .map_err(|e| IoError::table(&name, e))?
        .iter()
        .enumerate()
        .map(|(row, v)| {
            v.ok_or_else(|| IoError::table(&name, format!("data row {}: column {cost:?} is empty", row + 1)))
        })
        .collect::<Result<Vec<f64>, _>>()?;
    Ok(CostColumns {
        unit: unit_ids,
        site: site_ids,
        cost: costs,
    })
}

/// A frame's column names, comma-separated, for messages.
pub(crate) fn available(df: &DataFrame) -> String {
    df.get_column_names()
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn read(path: &Path, key: Option<&str>) -> Result<DataFrame, IoError> {
    let name = path_name(path);
    if !path.is_file() {
        return Err(IoError::io(
            &name,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        ));
    }
    let ext = extension(path);
    let df = match ext.as_str() {
        "csv" => {
            check_utf8(path, &name)?;
            let mut opts = CsvReadOptions::default()
                .with_has_header(true)
                .with_infer_schema_length(None);
            if let Some(key) = key {
                // Read the header first, so that a missing key gets a clear message.
                let header = CsvReadOptions::default()
                    .with_has_header(true)
                    .with_n_rows(Some(0))
                    .try_into_reader_with_file_path(Some(path.to_path_buf()))
                    .and_then(|r| r.finish())
                    .map_err(|e| csv_error(path, &name, e))?;
                if header.column(key).is_err() {
                    return Err(IoError::MissingColumn {
                        path: name,
                        column: key.to_string(),
                        available: available(&header),
                    });
                }
                let schema = Schema::from_iter([Field::new(key.into(), DataType::String)]);
                opts = opts.with_schema_overwrite(Some(Arc::new(schema)));
            }
            opts.try_into_reader_with_file_path(Some(path.to_path_buf()))
                .and_then(|r| r.finish())
                .map_err(|e| csv_error(path, &name, e))?
        }
        "parquet" | "pq" => {
            let file = std::fs::File::open(path).map_err(|e| IoError::io(&name, e))?;
            crate::guard::parquet(&name, || {
                ParquetReader::new(file)
                    .finish()
                    .map_err(|e| IoError::table(&name, e))
            })?
        }
        _ => {
            return Err(IoError::UnsupportedFormat {
                path: name,
                reason: format!(
                    "cannot read {} tables: attribute tables must be .csv or .parquet",
                    describe_extension(&ext)
                ),
                extension: ext,
                hint: None,
            });
        }
    };
    let Some(key) = key else { return Ok(df) };
    let col = df.column(key).map_err(|_| IoError::MissingColumn {
        path: name.clone(),
        column: key.to_string(),
        available: available(&df),
    })?;
    if col.dtype() == &DataType::String {
        return Ok(df);
    }
    let cast = col
        .cast(&DataType::String)
        .map_err(|e| IoError::table(&name, e))?;
    let mut df = df;
    df.with_column(cast).map_err(|e| IoError::table(&name, e))?;
    Ok(df)
}

/// polars' CSV error, or, when a line has more or fewer fields than the header (polars does not
/// say which), that line.
fn csv_error(path: &Path, name: &str, e: PolarsError) -> IoError {
    match ragged_line(path) {
        Some((line, found, expected)) => IoError::format(
            name,
            format!("line {line} has {found} fields but the header has {expected}"),
        ),
        None => IoError::table(name, e),
    }
}

/// The first line of a CSV whose number of fields differs from the header's, as (1-based line,
/// fields found, fields in the header); commas inside double quotes do not count, and a quoted
/// field may span lines. `None` if every line agrees (or the file cannot be read).
fn ragged_line(path: &Path) -> Option<(usize, usize, usize)> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut expected = None;
    let (mut fields, mut quoted, mut line, mut start, mut empty) = (1, false, 1, 1, true);
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                empty = false;
            }
            ',' if !quoted => {
                fields += 1;
                empty = false;
            }
            '\n' if !quoted => {
                if !empty {
                    match expected {
                        None => expected = Some(fields),
                        Some(e) if e != fields => return Some((start, fields, e)),
                        Some(_) => {}
                    }
                }
                line += 1;
                (fields, start, empty) = (1, line, true);
            }
            '\n' => line += 1,
            '\r' => {}
            _ => empty = false,
        }
    }
    match expected {
        Some(e) if !empty && e != fields => Some((start, fields, e)),
        _ => None,
    }
}

/// Refuses a CSV that is not UTF-8 (typically Latin-1 / Windows-1252 from a spreadsheet),
/// naming the line and the byte, rather than letting polars fail without a position or
/// guessing an encoding that would silently change names.
fn check_utf8(path: &Path, name: &str) -> Result<(), IoError> {
    let bytes = std::fs::read(path).map_err(|e| IoError::io(name, e))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    match std::str::from_utf8(bytes) {
        Ok(_) => Ok(()),
        Err(e) => {
            let at = e.valid_up_to();
            let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
            let byte = bytes.get(at).copied().unwrap_or(0);
            Err(IoError::format(
                name,
                format!(
                    "line {line} is not valid UTF-8 (byte 0x{byte:02X}); the table looks Latin-1 / Windows-1252: save it as UTF-8 (e.g. iconv -f WINDOWS-1252 -t UTF-8)"
                ),
            ))
        }
    }
}

/// What a table join did not match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableJoinReport {
    /// Ids of the layer's features with no table row (their new columns are null).
    pub unmatched_features: Vec<String>,
    /// Table keys that match no feature (those rows are not in the layer).
    pub unmatched_rows: Vec<String>,
}

/// Left-joins a table to a layer: every feature is kept, in order, and the table's columns are
/// appended (null for features with no row).
///
/// - `layer_key` is `"id"` for the layer's ids, or an attribute column; `table_key` a column of
///   the table. Both are compared as text (numbers are cast).
/// - The table's key column is not appended when it has the same name as `layer_key`.
/// - A table column whose name is already a layer column is an error naming it; so are a
///   duplicate key in the table (naming the value and both rows) and a null table key.
/// - A table without rows, or none of whose keys matches a feature, is an error (almost always
///   the wrong key column, or codes that lost their leading zeros): it would make every joined
///   value missing. A partial match is reported in [`TableJoinReport`].
pub fn join_table(
    layer: Layer,
    table: DataFrame,
    table_name: &str,
    layer_key: &str,
    table_key: &str,
) -> Result<(Layer, TableJoinReport), IoError> {
    let key_text = |df: &DataFrame, column: &str, path: &str| -> Result<StringChunked, IoError> {
        let col = df.column(column).map_err(|_| IoError::MissingColumn {
            path: path.to_string(),
            column: column.to_string(),
            available: available(df),
        })?;
        let s = col
            .as_materialized_series()
            .cast(&DataType::String)
            .map_err(|e| IoError::table(path, format!("column {column:?}: {e}")))?;
        s.str()
            .cloned()
            .map_err(|e| IoError::table(path, format!("column {column:?}: {e}")))
    };

    let table_keys = key_text(&table, table_key, table_name)?;
    let mut rows: HashMap<&str, usize> = HashMap::with_capacity(table_keys.len());
    for (row, k) in table_keys.iter().enumerate() {
        let Some(k) = k else {
            return Err(IoError::NullKey {
                path: table_name.into(),
                column: table_key.into(),
                row: row + 1,
            });
        };
        if let Some(first) = rows.insert(k, row) {
            return Err(IoError::DuplicateKey {
                path: table_name.into(),
                column: table_key.into(),
                key: k.into(),
                first_row: first + 1,
                second_row: row + 1,
            });
        }
    }

    let layer_keys: Vec<Option<String>> = if layer_key == "id" {
        layer.ids.iter().cloned().map(Some).collect()
    } else {
        let ca = key_text(&layer.attributes, layer_key, &layer.name)?;
        ca.iter().map(|k| k.map(str::to_string)).collect()
    };

    let mut used = vec![false; table_keys.len()];
    let mut report = TableJoinReport::default();
    let mut take: Vec<Option<IdxSize>> = Vec::with_capacity(layer.len());
    for (i, k) in layer_keys.iter().enumerate() {
        let row = k.as_deref().and_then(|k| rows.get(k)).copied();
        match row {
            Some(r) => {
                used[r] = true;
                let r = IdxSize::try_from(r)
                    .map_err(|_| IoError::table(table_name, "the table has too many rows to join"))?;
                take.push(Some(r));
            }
            None => {
                report.unmatched_features.push(layer.ids[i].clone());
                take.push(None);
            }
        }
    }
    report.unmatched_rows = table_keys
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .filter_map(|(k, _)| k.map(str::to_string))
        .collect();
    if table_keys.is_empty() {
        return Err(IoError::format(
            table_name,
            "the table has a header but no rows; every feature would get missing values",
        ));
    }
    if !layer.is_empty() && !used.iter().any(|u| *u) {
        // Not one match: almost always the wrong key column or a code format mismatch (e.g.
        // leading zeros lost); joining would silently make every joined value missing.
        return Err(IoError::format(
            table_name,
            format!(
                "none of the {} keys of column {table_key:?} matches a feature's {layer_key:?} (table keys like {:?}, feature values like {:?}); check the key columns",
                used.len(),
                table_keys.iter().flatten().next().unwrap_or(""),
                layer_keys
                    .iter()
                    .flatten()
                    .next()
                    .map(String::as_str)
                    .unwrap_or(""),
            ),
        ));
    }

    let mut table = table;
    if table_key == layer_key {
        table = table.drop(table_key).map_err(|e| IoError::table(table_name, e))?;
    }
    let idx = IdxCa::from_iter_options("take".into(), take.iter().copied());
    let taken = table.take(&idx).map_err(|e| IoError::table(table_name, e))?;
    let mut attributes = layer.attributes;
    for c in taken.columns() {
        if let Ok(existing) = attributes.column(c.name().as_str()) {
            // A column both files carry (the census CSV repeats the shapefile's totals) is kept
            // once if the two agree on every matched feature; otherwise the join is refused.
            if let Some(i) = first_disagreement(existing, c, &take) {
                return Err(IoError::ColumnClash {
                    path: table_name.into(),
                    column: c.name().to_string(),
                    layer: layer.name.clone(),
                    id: layer.ids[i].clone(),
                });
            }
            continue;
        }
        attributes
            .with_column(c.clone())
            .map_err(|e| IoError::table(table_name, e))?;
    }
    let layer = Layer { attributes, ..layer };
    Ok((layer, report))
}

/// The first feature (among those with a table row) whose value differs between the layer's
/// column and the table's column of the same name; numbers compare as numbers, anything else
/// as text.
fn first_disagreement(layer: &Column, table: &Column, take: &[Option<IdxSize>]) -> Option<usize> {
    let as_f64 = |c: &Column| {
        let s = c.as_materialized_series();
        (s.dtype().is_primitive_numeric())
            .then(|| s.cast(&DataType::Float64).ok())
            .flatten()
    };
    if let (Some(a), Some(b)) = (as_f64(layer), as_f64(table)) {
        let (a, b) = (a.f64().ok()?.clone(), b.f64().ok()?.clone());
        return (0..take.len()).find(|&i| take[i].is_some() && a.get(i) != b.get(i));
    }
    let text = |c: &Column| c.as_materialized_series().cast(&DataType::String).ok();
    let (a, b) = (text(layer)?, text(table)?);
    let (a, b) = (a.str().ok()?.clone(), b.str().ok()?.clone());
    (0..take.len()).find(|&i| take[i].is_some() && a.get(i) != b.get(i))
}
