//! What the tests read back from an output folder: a CSV table's columns as text or numbers,
//! and the colours careblock's maps and styles draw with.

use std::path::Path;

use careblock_core::polars::prelude::{DataFrame, DataType};

/// ColorBrewer YlOrRd, 5 classes (class 1 → 5): the priority classes of the maps and styles.
pub const CLASSES: [[u8; 3]; 5] = [
    [0xff, 0xff, 0xb2],
    [0xfe, 0xcc, 0x5c],
    [0xfd, 0x8d, 0x3c],
    [0xf0, 0x3b, 0x20],
    [0xbd, 0x00, 0x26],
];
/// The background of `report.html`'s main map (and of the comparison's map).
pub const MAP_BACKGROUND: [u8; 3] = [0xe8, 0xf0, 0xf5];
/// Existing blocks.
pub const EXISTING: [u8; 3] = [0x21, 0x66, 0xac];
/// Proposed blocks.
pub const PROPOSED: [u8; 3] = [0x1a, 0x98, 0x50];
/// Care-bus stops.
pub const BUS: [u8; 3] = [0x76, 0x2a, 0x83];

/// A CSV (or Parquet) table of an output folder, with its `id` column as text.
pub fn table(path: &Path) -> DataFrame {
    careblock_io::read_table_with_key(path, "id").unwrap_or_else(|e| panic!("{e}"))
}

/// A column as text (a missing value as "").
pub fn texts(df: &DataFrame, c: &str) -> Vec<String> {
    let s = df
        .column(c)
        .unwrap()
        .as_materialized_series()
        .cast(&DataType::String)
        .unwrap();
    s.str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap_or("").to_string())
        .collect()
}

/// A column as numbers.
pub fn nums(df: &DataFrame, c: &str) -> Vec<Option<f64>> {
    let s = df
        .column(c)
        .unwrap()
        .as_materialized_series()
        .cast(&DataType::Float64)
        .unwrap();
    s.f64().unwrap().iter().collect()
}
