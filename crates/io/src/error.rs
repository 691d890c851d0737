//! The errors of every reader and writer. Each message names the file, and where it applies the
//! feature (id and 0-based index), the field or the row, and what was expected.

use careblock_core::{CrsError, Hint, LayerError};
use thiserror::Error;

/// Everything that can go wrong reading or writing a file.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum IoError {
    /// The file could not be opened, read, written or renamed.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's error. Already part of this message, so not exposed as the
        /// error's `source` (the CLI's one-line cause chain would print it twice).
        error: std::io::Error,
    },
    /// A file extension careblock cannot read (or not without GDAL).
    #[error("{path}: {reason}")]
    UnsupportedFormat {
        /// The file.
        path: String,
        /// The extension, without the dot (empty if none).
        extension: String,
        /// What careblock reads instead.
        reason: String,
        /// What to do about it.
        hint: Option<Hint>,
    },
    /// Not JSON, or truncated JSON, or JSON of the wrong shape.
    #[error("{path}: invalid GeoJSON at line {line}, column {column}: {message}")]
    Json {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's message.
        message: String,
    },
    /// Valid JSON, but not a FeatureCollection.
    #[error(
        "{path}: expected a GeoJSON FeatureCollection ({{\"type\": \"FeatureCollection\", \"features\": [...]}}), found {found}"
    )]
    NotFeatureCollection {
        /// The file.
        path: String,
        /// What was found instead.
        found: String,
    },
    /// A problem with one feature: its geometry, its id, its type.
    #[error("{path}: {}: {problem}", feature_label(.id.as_deref(), *.index))]
    Feature {
        /// The file.
        path: String,
        /// The feature id, when known.
        id: Option<String>,
        /// The 0-based feature (record) index.
        index: usize,
        /// What is wrong and what was expected.
        problem: String,
        /// What to do about it.
        hint: Option<Hint>,
    },
    /// A problem with one field (attribute) of one feature or row.
    #[error("{path}: {}, field {field:?}: {problem}", feature_label(.id.as_deref(), *.index))]
    Field {
        /// The file.
        path: String,
        /// The feature id, when known.
        id: Option<String>,
        /// The 0-based feature (record) index.
        index: usize,
        /// The field.
        field: String,
        /// What is wrong and what was expected.
        problem: String,
    },
    /// A malformed shapefile (.shp/.shx/.dbf/.cpg), GeoParquet file (unreadable Parquet, missing
    /// or invalid `geo` metadata, an encoding careblock cannot read) or attribute table.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A Parquet file without GeoParquet `geo` metadata that cannot be read as a layer as it
    /// stands: it has a binary column of a usual geometry name (`found`) but no CRS was given
    /// for it, or it has no such column (`found` is `None`).
    #[error(
        "{path}: a Parquet file without GeoParquet `geo` metadata, {}",
        plain_parquet(.found.as_deref(), .columns)
    )]
    PlainParquet {
        /// The file.
        path: String,
        /// The column taken for WKB geometries: the one named in the reader's options, else a
        /// binary column of a usual name.
        found: Option<String>,
        /// The file's columns, comma-separated.
        columns: String,
    },
    /// A column asked for that the file or layer does not have.
    #[error("{path}: no column {column:?} (columns: {available})")]
    MissingColumn {
        /// The file or layer.
        path: String,
        /// The column asked for.
        column: String,
        /// The columns that exist, comma-separated.
        available: String,
    },
    /// A key that appears twice in a table to be joined.
    #[error(
        "{path}: key {key:?} of column {column:?} appears in rows {first_row} and {second_row} (1-based data rows); join keys must be unique"
    )]
    DuplicateKey {
        /// The table.
        path: String,
        /// The key column.
        column: String,
        /// The repeated key.
        key: String,
        /// 1-based data row of its first occurrence.
        first_row: usize,
        /// 1-based data row of its second occurrence.
        second_row: usize,
    },
    /// A table row whose join key is null.
    #[error("{path}: row {row} (1-based data row) has no value in the key column {column:?}")]
    NullKey {
        /// The table.
        path: String,
        /// The key column.
        column: String,
        /// 1-based data row.
        row: usize,
    },
    /// A table column whose name is already a column of the layer, with different values.
    #[error(
        "{path}: column {column:?} is also a column of {layer} and the two disagree (first at feature {id:?}); rename or drop one before joining"
    )]
    ColumnClash {
        /// The table.
        path: String,
        /// The clashing column.
        column: String,
        /// The layer.
        layer: String,
        /// The first feature where they differ.
        id: String,
    },
    /// A method file problem (syntax, unknown key, bad weight, missing column).
    #[error(transparent)]
    Method {
        /// The core's error (boxed: it is large).
        source: Box<careblock_method::MethodError>,
    },
    /// Invalid polygons in an input layer (repair them with make-valid, or ask careblock to).
    #[error(
        "{path}: {count} invalid geometr{} (first: feature {id:?}: {problem})",
        if *.count == 1 { "y" } else { "ies" }
    )]
    InvalidGeometry {
        /// The layer file.
        path: String,
        /// How many features are invalid.
        count: usize,
        /// The first invalid feature's id.
        id: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A CRS problem (no CRS, unknown CRS, implausible coordinates, failed reprojection).
    #[error("{}", prefixed(.path, .error))]
    Crs {
        /// The file.
        path: String,
        /// The core's error (boxed: it is large). Its message is already part of this one, so
        /// it is not exposed as the error's `source` (a cause chain would print it twice).
        error: Box<CrsError>,
    },
    /// A layer structure problem (duplicate ids, length mismatch, missing column).
    #[error("{}", prefixed(.path, .error))]
    Layer {
        /// The file.
        path: String,
        /// The core's error (boxed: it is large), part of this message as for `Crs`.
        error: Box<LayerError>,
    },
    /// An error of polars reading or writing a table.
    #[error("{path}: {message}")]
    Table {
        /// The file.
        path: String,
        /// polars' message.
        message: String,
    },
    /// A GeoPackage that cannot be written (a bad layer or column name, or SQLite's error).
    #[error("{path}: GeoPackage: {message}")]
    Gpkg {
        /// The GeoPackage file.
        path: String,
        /// What was being written and what went wrong.
        message: String,
    },
    /// An error of GDAL/OGR.
    #[error("{path}: GDAL/OGR: {message}")]
    Ogr {
        /// The dataset.
        path: String,
        /// GDAL's message.
        message: String,
    },
}

fn feature_label(id: Option<&str>, index: usize) -> String {
    match id {
        Some(id) => format!("feature {id:?} (index {index})"),
        None => format!("feature at index {index}"),
    }
}

/// The core's messages about a layer already start with its name (the file path); others get
/// the path in front.
fn prefixed(path: &str, e: &dyn std::fmt::Display) -> String {
    let m = e.to_string();
    if m.starts_with(path) {
        m
    } else {
        format!("{path}: {m}")
    }
}

/// polars quotes the offending field, newlines included; the CLI prints every error on one
/// line, so line breaks inside a message are shown escaped.
fn one_line(m: &str) -> String {
    m.trim_end().replace('\r', "\\r").replace('\n', "\\n")
}

/// The rest of [`IoError::PlainParquet`]'s message.
fn plain_parquet(found: Option<&str>, columns: &str) -> String {
    match found {
        Some(c) => format!(
            "and its binary column {c:?} may hold WKB geometries, but nothing says their CRS (or write the file as GeoParquet: geopandas `to_parquet`, `ogr2ogr -f Parquet`)"
        ),
        None => format!(
            "and no binary column named geometry, geom or wkb_geometry (columns: {columns}); if it is an attribute table, it is joined to a layer as its `table`"
        ),
    }
}

impl IoError {
    /// What the user can do about this error, if careblock knows.
    pub fn hint(&self) -> Option<Hint> {
        match self {
            IoError::InvalidGeometry { .. } => Some(Hint::FixInvalid),
            IoError::UnsupportedFormat { hint, .. } | IoError::Feature { hint, .. } => *hint,
            IoError::Crs { error, .. } => error.hint(),
            IoError::PlainParquet { found: Some(_), .. } => Some(Hint::GiveCrs),
            IoError::PlainParquet { found: None, .. } => Some(Hint::NameGeometryColumn),
            _ => None,
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<String>, source: std::io::Error) -> IoError {
        IoError::Io {
            path: path.into(),
            error: source,
        }
    }

    /// A CRS problem of the layer in `path`.
    pub fn crs(path: impl Into<String>, source: CrsError) -> IoError {
        IoError::Crs {
            path: path.into(),
            error: Box::new(source),
        }
    }

    /// A layer problem of `path`.
    pub fn layer(path: impl Into<String>, source: LayerError) -> IoError {
        IoError::Layer {
            path: path.into(),
            error: Box::new(source),
        }
    }

    /// A file `path` that is not what it should be.
    pub fn format(path: impl Into<String>, message: impl Into<String>) -> IoError {
        IoError::Format {
            path: path.into(),
            message: message.into(),
        }
    }

    /// A table of `path` that cannot be built or read (the message on one line).
    pub fn table(path: impl Into<String>, e: impl std::fmt::Display) -> IoError {
        IoError::Table {
            path: path.into(),
            message: one_line(&e.to_string()),
        }
    }
}
