//! The GeoParquet reader (GeoParquet 1.0 and 1.1): attributes and geometries with polars'
//! Parquet reader, the `geo` key-value metadata from the file's footer.
//!
//! How it is read, and why:
//!
//! - The Parquet file is read by polars (already careblock's table reader), not by arrow-rs or
//!   geoarrow: those pin another arrow than polars' and would be a second Parquet stack in the
//!   build. polars exposes the footer's file-level key-value metadata
//!   ([`ParquetReader::get_metadata`] → `key_value_metadata()`), which is where GeoParquet keeps
//!   its `geo` JSON, so no hand-written Thrift decoding is needed.
//! - WKB goes through [`crate::wkb`], the one codec of the project (shared with the Python
//!   bindings; its module doc says why it is not the `wkb` or `geozero` crate), decoded across
//!   the threads in row order.
//! - GeoArrow native encodings (`point`, `linestring`, `polygon`, `multipoint`,
//!   `multilinestring`, `multipolygon`, coordinates as structs of `x`, `y` and optionally `z`,
//!   `m`, as GeoParquet 1.1 requires) are walked through the list offsets of polars' columns.
//!
//! A Parquet file without `geo` metadata is not GeoParquet, and then nothing says where the
//! geometries are or what their CRS is. As GDAL does, a binary column named `geometry`,
//! `geom` or `wkb_geometry` is read as WKB, but only when the layer's CRS is given
//! ([`ReadOptions::crs`], `crs = ...` in a method file): assuming lon/lat for coordinates that
//! may be metres would be a silent guess. Without it the error says which column was found and
//! what to do.

use std::path::Path;

use careblock_core::{Crs, CrsError, Layer, WGS84};
use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use polars::prelude::*;
use rayon::prelude::*;
use serde_json::Value;

use crate::table::available;
use crate::wkb_pages::Outcome;
use crate::{IoError, ReadOptions, ReadReport, field_id_layer, path_name, wkb};

/// Column names read as WKB in a Parquet file without `geo` metadata (when the CRS is given).
const FALLBACK_COLUMNS: [&str; 3] = ["geometry", "geom", "wkb_geometry"];

/// Reads a GeoParquet file (`.parquet`, `.geoparquet`; GeoParquet 1.0 or 1.1).
///
/// - Geometry: the `geo` metadata's `primary_column`, encoded as WKB or as a GeoArrow native
///   type; a null → `None` (as is WKB `POINT EMPTY`). Z and M are dropped.
/// - CRS: the column's `crs` (PROJJSON) by its `id` (`EPSG:<code>`, `OGC:CRS84`); no `crs` key →
///   OGC:CRS84 (EPSG:4326) as the specification says; `crs: null` (unknown) or a PROJJSON
///   without an id → `opts.crs`, else an error.
/// - Columns: every other column, in file order, except the other geometry columns and the 1.1
///   bounding-box covering column. Integers → Int64, floats → Float64, dates, times and
///   categories → text, as the other readers type them.
/// - ids: `opts.id_field`'s value, else the 0-based row index.
/// - `geometry_types`, `bbox` and `epoch` are not checked: the geometries are read as they are.
///   They are measured as planar, like every other layer, also when `edges` is `"spherical"`
///   (which the [`ReadReport`] says).
pub fn read_geoparquet(path: &Path, opts: &ReadOptions) -> Result<(Layer, ReadReport), IoError> {
    let name = path_name(path);
    crate::guard::parquet(&name, || read(path, &name, opts))
}

fn read(path: &Path, name: &str, opts: &ReadOptions) -> Result<(Layer, ReadReport), IoError> {
    let name = name.to_string();
    let file = std::fs::File::open(path).map_err(|e| IoError::io(&name, e))?;
    let mut reader = ParquetReader::new(file);
    let metadata = reader.get_metadata().map_err(|e| not_parquet(&name, e))?.clone();
    // polars aborts on some corrupt page headers instead of returning an error: check them all.
    let mut pages = std::fs::File::open(path).map_err(|e| IoError::io(&name, e))?;
    crate::parquet_pages::check_pages(&mut pages, &metadata).map_err(|e| {
        IoError::format(
            &name,
            format!("cannot read the file as Parquet (truncated, corrupt or not Parquet): {e}"),
        )
    })?;
    let geo_text = metadata
        .key_value_metadata()
        .iter()
        .flatten()
        .find(|kv| kv.key == "geo")
        .map(|kv| kv.value.clone().unwrap_or_default());
    // pyarrow (geopandas) and GDAL store the Arrow schema beside the Parquet one, with the
    // geometry column typed as a GeoArrow extension type (`geoarrow.wkb`, `geoarrow.polygon`,
    // ...), which polars refuses to make a column of. The Parquet schema says the same without
    // the extension (binary, nested lists of structs), so the Arrow schema is then left out.
    let arrow_schema = infer_schema(&metadata).map_err(|e| not_parquet(&name, e))?;
    if arrow_schema
        .iter_values()
        .any(|f| matches!(f.dtype, ArrowDataType::Extension(_)))
    {
        reader.set_metadata(without_arrow_schema(&metadata));
    }
    // With `geo` metadata, the columns that are neither attributes nor the geometry read (the
    // bbox covering, other geometry columns) are not read at all.
    let described = geo_text
        .map(|text| parse_geo(&name, &text, opts.geometry_column.as_deref()))
        .transpose()?;
    // A WKB column in the layout GeoParquet writers use is decoded from its pages
    // (`wkb_pages`), while polars reads the other columns.
    let from_pages = described.as_ref().and_then(|m| {
        let others = arrow_schema
            .iter_names()
            .any(|c| c.as_str() != m.column && !m.other_columns.iter().any(|o| o == c.as_str()));
        (m.encoding == Encoding::Wkb && others && crate::wkb_pages::supported(&metadata, &m.column))
            .then_some(m.column.as_str())
    });
    if let Some(meta) = &described {
        let wanted: Vec<String> = arrow_schema
            .iter_names()
            .filter(|c| !meta.other_columns.iter().any(|o| o == c.as_str()))
            .filter(|c| from_pages != Some(c.as_str()))
            .map(|c| c.to_string())
            .collect();
        reader = reader.with_columns(Some(wanted));
    }
    let (df, paged) = rayon::join(
        || reader.finish().map_err(|e| not_parquet(&name, e)),
        || from_pages.map(|column| crate::wkb_pages::read(&pages, &metadata, column)),
    );
    let df = df?;
    let meta = match described {
        Some(meta) => meta,
        None => fallback(&name, &df, opts)?,
    };
    let crs = match &meta.crs {
        CrsDecl::Default => WGS84,
        CrsDecl::Given(c) => *c,
        CrsDecl::Null => opts
            .crs
            .ok_or_else(|| IoError::crs(&name, CrsError::Unknown { layer: name.clone() }))?,
        CrsDecl::NoId(text) => opts.crs.ok_or_else(|| {
            IoError::crs(
                &name,
                CrsError::Unparseable {
                    text: text.clone(),
                    reason: "a GeoParquet PROJJSON CRS without an EPSG \"id\"",
                    hint: Some(careblock_core::Hint::GiveCrs),
                },
            )
        })?,
    };

    let geometry = match paged {
        Some(Outcome::Read(g)) => Geometries::Decoded(g),
        Some(Outcome::BadRow(i, e)) => Geometries::Bad(i, format!("invalid WKB: {e}")),
        Some(Outcome::Corrupt(e)) => {
            return Err(IoError::format(
                &name,
                format!("cannot read the file as Parquet (truncated, corrupt or not Parquet): {e}"),
            ));
        }
        Some(Outcome::Unsupported) => {
            Geometries::Column(geometry_column(path, &name, &metadata, &meta.column)?)
        }
        None => Geometries::Column(
            df.column(&meta.column)
                .map_err(|_| IoError::MissingColumn {
                    path: name.clone(),
                    column: meta.column.clone(),
                    available: available(&df),
                })?
                .as_materialized_series()
                .clone(),
        ),
    };

    let drop: Vec<&str> = std::iter::once(meta.column.as_str())
        .chain(meta.other_columns.iter().map(String::as_str))
        .filter(|c| df.column(c).is_ok())
        .collect();
    let attributes = df.drop_many(drop);
    // The geometries are decoded while the attributes are normalised and the ids made (one
    // thread each): the first is parallel, the other two are not.
    let (geometries, table) = rayon::join(
        || match (geometry, meta.encoding) {
            (Geometries::Decoded(g), _) => Ok(g),
            (Geometries::Bad(i, problem), _) => Err(Decode::Row(i, problem)),
            (Geometries::Column(s), Encoding::Wkb) => decode_wkb(&name, &meta.column, &s),
            (Geometries::Column(s), native) => decode_native(&name, &meta.column, &s, native),
        },
        || -> Result<_, IoError> {
            let attributes = normalise(&name, attributes)?;
            let ids = ids(&name, &attributes, opts)?;
            Ok((attributes, ids))
        },
    );
    let (attributes, ids) = table?;
    let geometries = geometries.map_err(|e| match e {
        Decode::File(e) => e,
        Decode::Row(i, problem) => row_error(&name, &meta.column, &ids, i, problem),
    })?;

    let layer = field_id_layer(&name, ids, geometries, attributes, crs, opts)?;
    let report = ReadReport {
        spherical_edges: meta.spherical,
        ..ReadReport::default()
    };
    Ok((layer, report))
}

/// The geometry column: decoded from its pages, or as polars read it.
enum Geometries {
    Decoded(Vec<Option<Geometry<f64>>>),
    Bad(usize, String),
    Column(Series),
}

/// The file's metadata without the stored Arrow schema, so that polars reads the columns by
/// the Parquet schema alone (see `read`: GeoArrow extension types it refuses).
fn without_arrow_schema(metadata: &FileMetadataRef) -> FileMetadataRef {
    let mut plain = (**metadata).clone();
    if let Some(kv) = &mut plain.key_value_metadata {
        kv.retain(|kv| kv.key != "ARROW:schema");
    }
    Arc::new(plain)
}

/// The geometry column alone, read through polars (a WKB column in a layout `wkb_pages` does not
/// read).
fn geometry_column(
    path: &Path,
    name: &str,
    metadata: &FileMetadataRef,
    column: &str,
) -> Result<Series, IoError> {
    let file = std::fs::File::open(path).map_err(|e| IoError::io(name, e))?;
    let mut reader = ParquetReader::new(file);
    reader.set_metadata(without_arrow_schema(metadata));
    let df = reader
        .with_columns(Some(vec![column.to_string()]))
        .finish()
        .map_err(|e| not_parquet(name, e))?;
    Ok(df
        .column(column)
        .map_err(|e| IoError::table(name, e))?
        .as_materialized_series()
        .clone())
}

/// A file polars cannot read as Parquet: truncated, corrupt, or another format.
fn not_parquet(name: &str, e: PolarsError) -> IoError {
    let message = e.to_string();
    let message = message.trim_end().replace('\n', " ");
    IoError::format(
        name,
        format!("cannot read the file as Parquet (truncated, corrupt or not Parquet): {message}"),
    )
}

/// How the geometry column is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Wkb,
    Point,
    LineString,
    Polygon,
    MultiPoint,
    MultiLineString,
    MultiPolygon,
}

/// What the metadata says of the CRS.
#[derive(Debug, Clone, PartialEq)]
enum CrsDecl {
    /// No `crs` key: OGC:CRS84.
    Default,
    /// A CRS careblock knows.
    Given(Crs),
    /// `crs: null`: an unknown CRS.
    Null,
    /// A PROJJSON CRS without an EPSG id (its name, for the message).
    NoId(String),
}

/// What careblock uses of the `geo` metadata.
#[derive(Debug, Clone, PartialEq)]
struct GeoMeta {
    /// The primary geometry column.
    column: String,
    encoding: Encoding,
    crs: CrsDecl,
    /// Columns that are not attributes: the other geometry columns, the bbox covering column.
    other_columns: Vec<String>,
    /// The column's `edges` is `"spherical"`.
    spherical: bool,
}

/// Reads the `geo` metadata (JSON).
fn parse_geo(name: &str, text: &str, requested: Option<&str>) -> Result<GeoMeta, IoError> {
    let bad = |what: String| IoError::format(name, format!("invalid GeoParquet `geo` metadata: {what}"));
    let v: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON ({e})")))?;
    let primary = v
        .get("primary_column")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("no \"primary_column\" string".into()))?;
    let columns = v
        .get("columns")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("no \"columns\" object".into()))?;
    if let Some(wanted) = requested.filter(|c| !columns.contains_key(*c)) {
        // A column the metadata does not describe: WKB, in the CRS the layer is given.
        let mut other_columns: Vec<String> = columns.keys().cloned().collect();
        other_columns.extend(columns.values().flat_map(covering_columns));
        return Ok(GeoMeta {
            column: wanted.to_string(),
            encoding: Encoding::Wkb,
            crs: CrsDecl::Null,
            other_columns,
            spherical: false,
        });
    }
    let primary = requested.unwrap_or(primary);
    let col = columns.get(primary).ok_or_else(|| {
        bad(format!(
            "the primary column {primary:?} is not described in \"columns\""
        ))
    })?;
    let encoding_name = col
        .get("encoding")
        .and_then(Value::as_str)
        .ok_or_else(|| bad(format!("column {primary:?} has no \"encoding\" string")))?;
    let encoding = match encoding_name.to_ascii_lowercase().as_str() {
        "wkb" => Encoding::Wkb,
        "point" => Encoding::Point,
        "linestring" => Encoding::LineString,
        "polygon" => Encoding::Polygon,
        "multipoint" => Encoding::MultiPoint,
        "multilinestring" => Encoding::MultiLineString,
        "multipolygon" => Encoding::MultiPolygon,
        _ => {
            return Err(IoError::format(
                name,
                format!(
                    "the GeoParquet column {primary:?} has encoding {encoding_name:?}, which careblock cannot read (it reads WKB and the GeoArrow point, linestring, polygon, multipoint, multilinestring and multipolygon encodings)"
                ),
            ));
        }
    };
    let crs = match col.get("crs") {
        None => CrsDecl::Default,
        Some(Value::Null) => CrsDecl::Null,
        Some(c) => match projjson_id(c) {
            Some(text) => CrsDecl::Given(Crs::parse(&text).map_err(|e| IoError::crs(name, e))?),
            None => CrsDecl::NoId(
                c.get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("unnamed")
                    .to_string(),
            ),
        },
    };
    let mut other_columns: Vec<String> = columns.keys().filter(|k| *k != primary).cloned().collect();
    for top in columns.values().flat_map(covering_columns) {
        if !other_columns.contains(&top) {
            other_columns.push(top);
        }
    }
    Ok(GeoMeta {
        column: primary.to_string(),
        encoding,
        crs,
        other_columns,
        spherical: col.get("edges").and_then(Value::as_str) == Some("spherical"),
    })
}

/// The top-level columns of a geometry column's GeoParquet 1.1 covering
/// (`"covering": {"bbox": {"xmin": ["bbox", "xmin"], ...}}`): not attributes.
fn covering_columns(col: &Value) -> Vec<String> {
    let Some(bbox) = col.get("covering").and_then(|c| c.get("bbox")) else {
        return Vec::new();
    };
    let mut tops: Vec<String> = Vec::new();
    for part in ["xmin", "ymin", "xmax", "ymax"] {
        if let Some(top) = bbox.get(part).and_then(|p| p.get(0)).and_then(Value::as_str)
            && !tops.iter().any(|c| c == top)
        {
            tops.push(top.to_string());
        }
    }
    tops
}

/// The `AUTHORITY:CODE` of a PROJJSON CRS (its `id`, or the first of `ids`; for a BoundCRS, its
/// source CRS's), or a CRS given as text (`"EPSG:4326"`, not the specification's form but
/// written by some tools).
fn projjson_id(crs: &Value) -> Option<String> {
    if let Some(text) = crs.as_str() {
        return Some(text.to_string());
    }
    let id = crs
        .get("id")
        .or_else(|| crs.get("ids").and_then(|ids| ids.get(0)))
        .or_else(|| crs.get("source_crs").and_then(|s| s.get("id")))?;
    let authority = id.get("authority")?.as_str()?;
    let code = match id.get("code")? {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return None,
    };
    Some(format!("{authority}:{code}"))
}

/// A Parquet file without `geo` metadata: its `geometry`/`geom`/`wkb_geometry` binary column
/// as WKB when the CRS is given, else an error saying so.
fn fallback(name: &str, df: &DataFrame, opts: &ReadOptions) -> Result<GeoMeta, IoError> {
    let found = match &opts.geometry_column {
        Some(c) => {
            df.column(c).map_err(|_| IoError::MissingColumn {
                path: name.to_string(),
                column: c.clone(),
                available: available(df),
            })?;
            Some(c.as_str())
        }
        None => FALLBACK_COLUMNS.iter().copied().find(|c| {
            df.column(c)
                .is_ok_and(|col| matches!(col.dtype(), DataType::Binary | DataType::BinaryOffset))
        }),
    };
    match (found, opts.crs) {
        (Some(c), Some(crs)) => Ok(GeoMeta {
            column: c.to_string(),
            encoding: Encoding::Wkb,
            crs: CrsDecl::Given(crs),
            other_columns: Vec::new(),
            spherical: false,
        }),
        (found, _) => Err(IoError::PlainParquet {
            path: name.to_string(),
            found: found.map(str::to_string),
            columns: available(df),
        }),
    }
}

/// The attribute columns typed as the other readers type them: integers → Int64, floats →
/// Float64, dates, times, durations and categories → text; anything else (decimals, lists,
/// structs, binary) as it is.
fn normalise(name: &str, df: DataFrame) -> Result<DataFrame, IoError> {
    let height = df.height();
    let mut columns = Vec::with_capacity(df.width());
    for col in df.into_columns() {
        let dt = col.dtype().clone();
        let to = match dt {
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32 => Some(DataType::Int64),
            DataType::UInt64 => {
                let fits = col
                    .as_materialized_series()
                    .u64()
                    .map(|ca| ca.max().is_none_or(|m| m <= i64::MAX as u64))
                    .unwrap_or(false);
                Some(if fits { DataType::Int64 } else { DataType::Float64 })
            }
            DataType::Float32 => Some(DataType::Float64),
            DataType::Date
            | DataType::Datetime(_, _)
            | DataType::Time
            | DataType::Duration(_)
            | DataType::Categorical(_, _)
            | DataType::Enum(_, _) => Some(DataType::String),
            _ => None,
        };
        columns.push(match to {
            Some(to) => col.cast(&to).map_err(|e| IoError::table(name, e))?,
            None => col,
        });
    }
    DataFrame::new(height, columns).map_err(|e| IoError::table(name, e))
}

/// `opts.id_field`'s values as text (numbers as Rust writes them, like the shapefile reader),
/// else the 0-based row index. The FlatGeobuf reader's ids too.
pub(crate) fn ids(name: &str, df: &DataFrame, opts: &ReadOptions) -> Result<Vec<String>, IoError> {
    let Some(field) = &opts.id_field else {
        return Ok((0..df.height()).map(|i| i.to_string()).collect());
    };
    let col = df.column(field).map_err(|_| IoError::MissingColumn {
        path: name.to_string(),
        column: field.clone(),
        available: available(df),
    })?;
    let series = col.as_materialized_series();
    let values: Vec<Option<String>> = match series.dtype() {
        DataType::Float64 => series
            .f64()
            .map_err(|e| IoError::table(name, e))?
            .iter()
            .map(|v| v.map(|x| x.to_string()))
            .collect(),
        _ => {
            let cast = series
                .cast(&DataType::String)
                .map_err(|e| IoError::table(name, e))?;
            cast.str()
                .map_err(|e| IoError::table(name, e))?
                .iter()
                .map(|v| v.map(str::to_string))
                .collect()
        }
    };
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            v.ok_or_else(|| IoError::Field {
                path: name.to_string(),
                id: None,
                index: i,
                field: field.clone(),
                problem: "the id field is null; every feature needs an id".into(),
            })
        })
        .collect()
}

/// A geometry problem of one row, naming the file, the row (and its id) and the column.
fn row_error(name: &str, column: &str, ids: &[String], index: usize, problem: String) -> IoError {
    IoError::Field {
        path: name.to_string(),
        id: ids.get(index).cloned(),
        index,
        field: column.to_string(),
        problem,
    }
}

/// Why a geometry column could not be decoded: the column as a whole, or one row (its index
/// and the problem; the caller names its id).
#[derive(Debug)]
enum Decode {
    File(IoError),
    Row(usize, String),
}

/// Decodes a WKB column across the threads; the first bad row in row order is the error.
fn decode_wkb(name: &str, column: &str, s: &Series) -> Result<Vec<Option<Geometry<f64>>>, Decode> {
    let s = match s.dtype() {
        DataType::Binary => s.clone(),
        DataType::BinaryOffset | DataType::String => s
            .cast(&DataType::Binary)
            .map_err(|e| Decode::File(IoError::table(name, e)))?,
        dt => {
            return Err(Decode::File(IoError::format(
                name,
                format!("the GeoParquet column {column:?} is declared WKB but holds {dt}, not binary values"),
            )));
        }
    };
    let ca = s.binary().map_err(|e| Decode::File(IoError::table(name, e)))?;
    decode_rows(ca.len(), |i| match ca.get(i) {
        None => Ok(None),
        Some(b) => wkb::decode(b),
    })
    .map_err(|(i, e)| Decode::Row(i, format!("invalid WKB: {e}")))
}

/// Decodes `n` rows (`row(i)` the i-th geometry, `None` a null) across the threads, straight
/// into the result: a census layer is hundreds of thousands of rows, and every intermediate
/// vector of them is memory the kernel faults in. The error is the first bad row in row order,
/// whatever the thread count.
pub(crate) fn decode_rows<E: Send>(
    n: usize,
    row: impl Fn(usize) -> Result<Option<Geometry<f64>>, E> + Sync,
) -> Result<Vec<Option<Geometry<f64>>>, (usize, E)> {
    let first_bad: std::sync::Mutex<Option<(usize, E)>> = std::sync::Mutex::new(None);
    let out: Vec<Option<Geometry<f64>>> = (0..n)
        .into_par_iter()
        .with_min_len(1024)
        .map(|i| match row(i) {
            Ok(g) => g,
            Err(e) => {
                let mut bad = first_bad.lock().unwrap_or_else(|p| p.into_inner());
                if bad.as_ref().is_none_or(|(j, _)| i < *j) {
                    *bad = Some((i, e));
                }
                None
            }
        })
        .collect();
    match first_bad.into_inner().unwrap_or_else(|p| p.into_inner()) {
        None => Ok(out),
        Some(bad) => Err(bad),
    }
}

/// One level of a list column: its offsets (one more than its rows) and its values.
struct Level {
    offsets: Vec<usize>,
    values: Series,
}

fn list_level(s: &Series) -> Result<Level, String> {
    let ca = s
        .list()
        .map_err(|_| format!("expected a list, found {}", s.dtype()))?
        .rechunk();
    let arr = ca.downcast_as_array();
    let raw = arr.offsets().as_slice();
    let offsets = raw
        .iter()
        .map(|&o| usize::try_from(o).map_err(|_| "negative list offset".to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Level {
        offsets,
        values: ca.get_inner(),
    })
}

/// The x and y of a GeoArrow coordinate struct (z and m are dropped); a null x or y is NaN.
fn coords(s: &Series) -> Result<Vec<Coord<f64>>, String> {
    let st = s
        .struct_()
        .map_err(|_| {
            format!(
                "expected coordinates as a struct of x and y (GeoParquet's separated layout), found {}",
                s.dtype()
            )
        })?
        .clone();
    let axis = |n: &str| -> Result<Vec<f64>, String> {
        let f = st
            .field_by_name(n)
            .map_err(|_| format!("the coordinate struct has no field {n:?}"))?
            .cast(&DataType::Float64)
            .map_err(|e| e.to_string())?;
        Ok(f.f64()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect())
    };
    let (x, y) = (axis("x")?, axis("y")?);
    Ok(x.into_iter().zip(y).map(|(x, y)| Coord { x, y }).collect())
}

/// Decodes a GeoArrow native column (single chunk after rechunking, every level's offsets).
fn decode_native(
    name: &str,
    column: &str,
    s: &Series,
    encoding: Encoding,
) -> Result<Vec<Option<Geometry<f64>>>, Decode> {
    let file_error = |problem: String| {
        Decode::File(IoError::format(
            name,
            format!("the GeoParquet column {column:?} ({encoding:?} encoding): {problem}"),
        ))
    };
    let nulls: Vec<bool> = s.is_null().iter().map(|v| v.unwrap_or(true)).collect();
    // The list levels above the coordinates: 0 for points, 1 for linestrings and multipoints,
    // 2 for polygons and multilinestrings, 3 for multipolygons.
    let depth = match encoding {
        Encoding::Point => 0,
        Encoding::LineString | Encoding::MultiPoint => 1,
        Encoding::Polygon | Encoding::MultiLineString => 2,
        Encoding::MultiPolygon => 3,
        Encoding::Wkb => unreachable!("WKB is decoded by decode_wkb"),
    };
    let mut levels = Vec::with_capacity(depth);
    let mut current = s.clone();
    for _ in 0..depth {
        let level = list_level(&current).map_err(file_error)?;
        current = level.values.clone();
        levels.push(level.offsets);
    }
    let xy = coords(&current).map_err(file_error)?;
    let range = |level: usize, i: usize| -> Result<std::ops::Range<usize>, String> {
        let o = &levels[level];
        match (o.get(i), o.get(i + 1)) {
            (Some(&a), Some(&b)) if a <= b => Ok(a..b),
            _ => Err(format!("list offsets out of range at level {level}")),
        }
    };
    let line = |level: usize, i: usize| -> Result<LineString<f64>, String> {
        let r = range(level, i)?;
        xy.get(r)
            .map(|c| LineString::new(c.to_vec()))
            .ok_or_else(|| "coordinates out of range".to_string())
    };
    let polygon = |level: usize, i: usize| -> Result<Polygon<f64>, String> {
        let mut rings = range(level, i)?;
        let Some(first) = rings.next() else {
            return Ok(Polygon::new(LineString::new(vec![]), vec![]));
        };
        let exterior = line(level + 1, first)?;
        let holes = rings.map(|r| line(level + 1, r)).collect::<Result<Vec<_>, _>>()?;
        Ok(Polygon::new(exterior, holes))
    };
    let row = |i: usize| -> Result<Option<Geometry<f64>>, String> {
        if nulls[i] {
            return Ok(None);
        }
        Ok(Some(match encoding {
            Encoding::Point => {
                let c = *xy.get(i).ok_or("coordinates out of range")?;
                if c.x.is_nan() && c.y.is_nan() {
                    return Ok(None);
                }
                Geometry::Point(Point(c))
            }
            Encoding::LineString => Geometry::LineString(line(0, i)?),
            Encoding::MultiPoint => {
                Geometry::MultiPoint(MultiPoint(line(0, i)?.0.into_iter().map(Point).collect()))
            }
            Encoding::Polygon => Geometry::Polygon(polygon(0, i)?),
            Encoding::MultiLineString => Geometry::MultiLineString(MultiLineString(
                range(0, i)?.map(|k| line(1, k)).collect::<Result<_, _>>()?,
            )),
            Encoding::MultiPolygon => Geometry::MultiPolygon(MultiPolygon(
                range(0, i)?.map(|k| polygon(1, k)).collect::<Result<_, _>>()?,
            )),
            Encoding::Wkb => unreachable!("WKB is decoded by decode_wkb"),
        }))
    };
    decode_rows(nulls.len(), row).map_err(|(i, p)| Decode::Row(i, p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;
    use polars::prelude::{KeyValueMetadata, ParquetWriter};

    fn dir(name: &str) -> crate::test_dir::TestDir {
        crate::test_dir::TestDir::new(&format!("gpq-{name}"))
    }

    /// Writes `df` as Parquet with the `geo` metadata `geo` (none if `None`), in row groups of
    /// two rows (so that the columns are read in several chunks).
    fn write(path: &Path, mut df: DataFrame, geo: Option<&str>) {
        let file = std::fs::File::create(path).unwrap();
        ParquetWriter::new(file)
            .with_row_group_size(Some(2))
            .with_key_value_metadata(
                geo.map(|g| KeyValueMetadata::from_static(vec![("geo".into(), g.into())])),
            )
            .finish(&mut df)
            .unwrap();
    }

    fn wkb_column(name: &str, gs: &[Option<Geometry<f64>>]) -> Column {
        let values: Vec<Option<Vec<u8>>> = gs.iter().map(|g| g.as_ref().map(wkb::encode)).collect();
        Series::new(name.into(), values).into_column()
    }

    fn square(x: f64) -> Geometry<f64> {
        polygon![(x: x, y: 4.0), (x: x + 0.01, y: 4.0), (x: x + 0.01, y: 4.01), (x: x, y: 4.0)].into()
    }

    const WKB_META: &str = r#"{"version": "1.1.0", "primary_column": "geometry",
        "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Polygon"],
        "covering": {"bbox": {"xmin": ["bbox", "xmin"], "ymin": ["bbox", "ymin"],
                              "xmax": ["bbox", "xmax"], "ymax": ["bbox", "ymax"]}}}}}"#;

    #[test]
    fn reads_wkb_with_the_default_crs_ids_and_columns() {
        let d = dir("wkb");
        let gs = vec![Some(square(-74.1)), None, Some(square(-74.0))];
        let bbox = StructChunked::from_series(
            "bbox".into(),
            3,
            [
                Series::new("xmin".into(), [1.0f64, 2.0, 3.0]),
                Series::new("ymin".into(), [1.0f64, 2.0, 3.0]),
            ]
            .iter(),
        )
        .unwrap()
        .into_series()
        .into_column();
        let df = DataFrame::new(
            3,
            vec![
                Column::new("code".into(), ["a", "b", "c"]),
                Column::new("pop".into(), [Some(1i32), None, Some(3)]),
                Column::new("rate".into(), [0.5f32, 1.0, 1.5]),
                wkb_column("geometry", &gs),
                bbox,
            ],
        )
        .unwrap();
        let path = d.join("x.parquet");
        write(&path, df.clone(), Some(WKB_META));
        let (layer, report) = read_geoparquet(&path, &ReadOptions::default()).unwrap();
        assert!(!report.spherical_edges);
        // Spherical edges are read as they are, and said.
        let spherical = d.join("spherical.parquet");
        let meta = WKB_META.replace(
            r#""encoding": "WKB","#,
            r#""encoding": "WKB", "edges": "spherical","#,
        );
        write(&spherical, df, Some(&meta));
        let (same, report) = read_geoparquet(&spherical, &ReadOptions::default()).unwrap();
        assert!(report.spherical_edges);
        assert_eq!(same.geometries, layer.geometries);
        assert_eq!(layer.ids, ["0", "1", "2"]);
        assert_eq!(layer.geometries, gs);
        assert_eq!(layer.crs, WGS84);
        assert_eq!(available(&layer.attributes), "code, pop, rate");
        assert_eq!(layer.attributes.column("pop").unwrap().dtype(), &DataType::Int64);
        assert_eq!(
            layer.numeric_column("rate").unwrap(),
            [Some(0.5), Some(1.0), Some(1.5)]
        );

        let opts = ReadOptions {
            id_field: Some("code".into()),
            ..ReadOptions::default()
        };
        let (layer, _) = read_geoparquet(&path, &opts).unwrap();
        assert_eq!(layer.ids, ["a", "b", "c"]);
        let opts = ReadOptions {
            id_field: Some("pop".into()),
            ..ReadOptions::default()
        };
        let e = read_geoparquet(&path, &opts).unwrap_err().to_string();
        assert!(
            e.contains("x.parquet: feature at index 1, field \"pop\": the id field is null"),
            "{e}"
        );
    }

    #[test]
    fn a_named_geometry_column_is_read_with_or_without_geo_metadata() {
        let d = dir("named");
        let (a, b) = (vec![Some(square(-74.1))], vec![Some(square(-73.0))]);
        let df = || {
            DataFrame::new(
                1,
                vec![
                    Column::new("code".into(), ["a"]),
                    wkb_column("geometry", &a),
                    wkb_column("shape", &b),
                ],
            )
            .unwrap()
        };
        let named = |crs: Option<Crs>| ReadOptions {
            geometry_column: Some("shape".into()),
            crs,
            ..ReadOptions::default()
        };
        // With `geo` metadata: the primary column by default, the named one on request (in
        // the CRS given: the metadata does not describe it); the other is no attribute.
        let with = d.join("with.parquet");
        write(&with, df(), Some(WKB_META));
        assert_eq!(
            read_geoparquet(&with, &ReadOptions::default())
                .unwrap()
                .0
                .geometries,
            a
        );
        let (layer, _) = read_geoparquet(&with, &named(Some(WGS84))).unwrap();
        assert_eq!(layer.geometries, b);
        assert_eq!(available(&layer.attributes), "code");
        let e = read_geoparquet(&with, &named(None)).unwrap_err().to_string();
        assert!(e.contains("with.parquet"), "{e}");
        // Without: the named column as WKB (a `geometry` column stays an attribute).
        let without = d.join("without.parquet");
        write(&without, df().drop("geometry").unwrap(), None);
        assert_eq!(
            read_geoparquet(&without, &named(Some(WGS84)))
                .unwrap()
                .0
                .geometries,
            b
        );
        let e = read_geoparquet(&without, &ReadOptions::default()).unwrap_err();
        assert_eq!(e.hint(), Some(careblock_core::Hint::NameGeometryColumn));
        assert!(e.to_string().contains("(columns: code, shape)"), "{e}");
        let missing = ReadOptions {
            geometry_column: Some("wkb".into()),
            crs: Some(WGS84),
            ..ReadOptions::default()
        };
        let e = read_geoparquet(&without, &missing).unwrap_err().to_string();
        assert!(e.contains("wkb") && e.contains("code, shape"), "{e}");
    }

    #[test]
    fn reads_the_crs_from_projjson_and_refuses_an_unknown_one() {
        let d = dir("crs");
        let df = || {
            DataFrame::new(
                1,
                vec![wkb_column(
                    "geom",
                    &[Some(geo::point!(x: 4_880_000.0, y: 2_070_000.0).into())],
                )],
            )
            .unwrap()
        };
        let meta = |crs: &str| {
            format!(
                r#"{{"version": "1.0.0", "primary_column": "geom", "columns": {{"geom": {{"encoding": "WKB", "geometry_types": [], "crs": {crs}}}}}}}"#
            )
        };
        let path = d.join("x.parquet");
        let projjson = r#"{"type": "ProjectedCRS", "name": "MAGNA-SIRGAS / Origen-Nacional", "id": {"authority": "EPSG", "code": 9377}}"#;
        write(&path, df(), Some(&meta(projjson)));
        let (layer, _) = read_geoparquet(&path, &ReadOptions::default()).unwrap();
        assert_eq!(layer.crs, Crs::from_epsg(9377).unwrap());

        write(&path, df(), Some(&meta("null")));
        let e = read_geoparquet(&path, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("the layer has no CRS") && e.contains("`crs: null`"),
            "{e}"
        );
        let e = read_geoparquet(&path, &ReadOptions::default()).unwrap_err();
        assert!(matches!(e, IoError::Crs { .. }), "{e}");
        let noid = r#"{"type": "ProjectedCRS", "name": "Local grid"}"#;
        write(&path, df(), Some(&meta(noid)));
        let e = read_geoparquet(&path, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("\"Local grid\"") && e.contains("without an EPSG"),
            "{e}"
        );
        write(&path, df(), Some(&meta("null")));
        let opts = ReadOptions {
            crs: Some(Crs::from_epsg(9377).unwrap()),
            ..ReadOptions::default()
        };
        assert_eq!(read_geoparquet(&path, &opts).unwrap().0.crs.epsg(), 9377);

        let unknown = r#"{"type": "ProjectedCRS", "name": "x", "id": {"authority": "EPSG", "code": 99999}}"#;
        write(&path, df(), Some(&meta(unknown)));
        let e = read_geoparquet(&path, &ReadOptions::default()).unwrap_err();
        assert!(matches!(e, IoError::Crs { .. }), "{e}");
        assert!(e.to_string().contains("99999"), "{e}");
    }

    /// The geometries as the page reader gives them and as polars' column decodes.
    fn both_ways(path: &Path, column: &str) -> (Outcome, Vec<Option<Geometry<f64>>>) {
        let file = std::fs::File::open(path).unwrap();
        let mut reader = ParquetReader::new(std::fs::File::open(path).unwrap());
        let metadata = reader.get_metadata().unwrap().clone();
        assert!(crate::wkb_pages::supported(&metadata, column));
        let paged = crate::wkb_pages::read(&file, &metadata, column);
        let s = geometry_column(path, "x", &metadata, column).unwrap();
        (paged, decode_wkb("x", column, &s).unwrap())
    }

    #[test]
    fn the_page_reader_decodes_what_polars_does_and_names_the_first_bad_row() {
        let d = dir("pages");
        let path = d.join("x.parquet");
        let gs: Vec<Option<Geometry<f64>>> = (0..9)
            .map(|i| (i % 4 != 1).then(|| square(-74.0 + f64::from(i) / 100.0)))
            .collect();
        let ids: Vec<String> = (0..9).map(|i| format!("u{i}")).collect();
        let df = DataFrame::new(
            9,
            vec![Column::new("id".into(), &ids), wkb_column("geometry", &gs)],
        )
        .unwrap();
        write(&path, df, Some(WKB_META));
        let (paged, polars) = both_ways(&path, "geometry");
        assert_eq!(polars, gs);
        match paged {
            Outcome::Read(g) => assert_eq!(g, gs),
            other => panic!("{other:?}"),
        }
        let opts = ReadOptions {
            id_field: Some("id".into()),
            ..ReadOptions::default()
        };
        assert_eq!(read_geoparquet(&path, &opts).unwrap().0.geometries, gs);

        // Rows 6 and 7 (in the fourth row group) do not parse: row 6 is the error.
        let mut values: Vec<Option<Vec<u8>>> = gs.iter().map(|g| g.as_ref().map(wkb::encode)).collect();
        values[6] = Some(vec![1, 3, 0]);
        values[7] = Some(vec![9]);
        let df = DataFrame::new(
            9,
            vec![
                Column::new("id".into(), &ids),
                Series::new("geometry".into(), values).into_column(),
            ],
        )
        .unwrap();
        write(&path, df, Some(WKB_META));
        let file = std::fs::File::open(&path).unwrap();
        let metadata = ParquetReader::new(std::fs::File::open(&path).unwrap())
            .get_metadata()
            .unwrap()
            .clone();
        assert!(matches!(
            crate::wkb_pages::read(&file, &metadata, "geometry"),
            Outcome::BadRow(6, _)
        ));
        let e = read_geoparquet(&path, &opts).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!(
                "{}: feature \"u6\" (index 6), field \"geometry\": invalid WKB: truncated",
                path.display()
            )),
            "{e}"
        );
    }

    #[test]
    fn pyarrows_v2_dictionary_pages_are_read_page_by_page() {
        // tests/fixtures/geoparquet/make.py: 600 rows, nulls at 0, 299 and 599.
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/geoparquet/units_pages.parquet");
        let (paged, polars) = both_ways(&path, "geometry");
        let Outcome::Read(paged) = paged else {
            panic!("not read from the pages: {paged:?}");
        };
        assert_eq!(paged.len(), 600);
        assert_eq!(paged, polars);
        let nulls: Vec<usize> = (0..600).filter(|&i| paged[i].is_none()).collect();
        assert_eq!(nulls, [0, 299, 599]);
    }

    #[test]
    fn bad_files_name_the_file_row_and_column() {
        let d = dir("bad");
        let path = d.join("x.parquet");
        let mut bad = wkb::encode(&square(-74.1));
        bad.truncate(20);
        let df = DataFrame::new(
            2,
            vec![
                Series::new("geometry".into(), [Some(wkb::encode(&square(-74.1))), Some(bad)]).into_column(),
            ],
        )
        .unwrap();
        write(&path, df.clone(), Some(WKB_META));
        let e = read_geoparquet(&path, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!(
                "{}: feature \"1\" (index 1), field \"geometry\": invalid WKB: ",
                path.display()
            )),
            "{e}"
        );

        let odd = WKB_META.replace("\"WKB\"", "\"WKT\"");
        write(&path, df.clone(), Some(&odd));
        let e = read_geoparquet(&path, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("has encoding \"WKT\", which careblock cannot read"),
            "{e}"
        );

        // No `geo` metadata: the `geometry` column is WKB only when the CRS is given.
        write(&path, df.head(Some(1)), None);
        let e = read_geoparquet(&path, &ReadOptions::default()).unwrap_err();
        // The front ends say how to give the CRS: the message names no flag or argument.
        assert_eq!(e.hint(), Some(careblock_core::Hint::GiveCrs));
        let e = e.to_string();
        assert!(
            e.contains("without GeoParquet `geo` metadata") && e.contains("\"geometry\""),
            "{e}"
        );
        assert!(!e.contains("crs ="), "{e}");
        let opts = ReadOptions {
            crs: Some(WGS84),
            ..ReadOptions::default()
        };
        assert_eq!(
            read_geoparquet(&path, &opts).unwrap().0.geometries,
            [Some(square(-74.1))]
        );
        let table = DataFrame::new(1, vec![Column::new("k".into(), ["a"])]).unwrap();
        write(&path, table, None);
        let e = read_geoparquet(&path, &opts).unwrap_err();
        assert_eq!(e.hint(), Some(careblock_core::Hint::NameGeometryColumn));
        let e = e.to_string();
        assert!(e.contains("(columns: k)") && e.contains("attribute table"), "{e}");
        assert!(!e.contains("geometry ="), "{e}");

        // Truncated: the footer is gone.
        write(&path, df, Some(WKB_META));
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let e = read_geoparquet(&path, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot read the file as Parquet"), "{e}");
        assert!(!e.contains('\n'), "{e}");
        // Corrupt: the footer is intact but the pages are overwritten.
        let mut corrupt = bytes.clone();
        for b in &mut corrupt[4..bytes.len() / 2] {
            *b = 0xff;
        }
        std::fs::write(&path, &corrupt).unwrap();
        let e = read_geoparquet(&path, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot read the file as Parquet"), "{e}");
    }

    /// A GeoArrow list level over `values`: row i holds `values[offsets[i]..offsets[i + 1]]`.
    fn list_of(name: &str, offsets: &[i64], values: Series) -> Series {
        let rows: Vec<Series> = offsets
            .windows(2)
            .map(|w| values.slice(w[0], (w[1] - w[0]) as usize))
            .collect();
        let mut s = Series::new(name.into(), rows);
        s.rename(name.into());
        s
    }

    fn xy(name: &str, cs: &[(f64, f64)]) -> Series {
        let x: Vec<f64> = cs.iter().map(|c| c.0).collect();
        let y: Vec<f64> = cs.iter().map(|c| c.1).collect();
        StructChunked::from_series(
            name.into(),
            cs.len(),
            [Series::new("x".into(), x), Series::new("y".into(), y)].iter(),
        )
        .unwrap()
        .into_series()
    }

    #[test]
    fn reads_geoarrow_linestrings_with_a_null_and_drops_z() {
        let d = dir("lines");
        let path = d.join("x.parquet");
        let xyz = StructChunked::from_series(
            "xyz".into(),
            3,
            [
                Series::new("x".into(), [0.0f64, 1.0, 2.0]),
                Series::new("y".into(), [4.0f64, 4.5, 5.0]),
                Series::new("z".into(), [9.0f64, 9.0, 9.0]),
            ]
            .iter(),
        )
        .unwrap()
        .into_series();
        let rows = vec![Some(xyz.slice(0, 2)), None, Some(xyz.slice(1, 2))];
        let lines = Series::new("geometry".into(), rows);
        let meta = r#"{"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": {"encoding": "linestring", "geometry_types": ["LineString Z"]}}}"#;
        write(
            &path,
            DataFrame::new(3, vec![lines.into_column()]).unwrap(),
            Some(meta),
        );
        let (layer, _) = read_geoparquet(&path, &ReadOptions::default()).unwrap();
        let line = |cs: &[(f64, f64)]| Some(Geometry::LineString(cs.to_vec().into()));
        assert_eq!(
            layer.geometries,
            [
                line(&[(0.0, 4.0), (1.0, 4.5)]),
                None,
                line(&[(1.0, 4.5), (2.0, 5.0)])
            ]
        );
    }

    #[test]
    fn reads_geoarrow_points_and_multipolygons() {
        let d = dir("native");
        let path = d.join("x.parquet");
        let meta = |enc: &str| {
            format!(
                r#"{{"version": "1.1.0", "primary_column": "geometry", "columns": {{"geometry": {{"encoding": "{enc}", "geometry_types": []}}}}}}"#
            )
        };
        let points = xy("geometry", &[(-74.1, 4.6), (-74.0, 4.7)]);
        write(
            &path,
            DataFrame::new(2, vec![points.into_column()]).unwrap(),
            Some(&meta("point")),
        );
        let (layer, _) = read_geoparquet(&path, &ReadOptions::default()).unwrap();
        assert_eq!(
            layer.geometries,
            [
                Some(Point::new(-74.1, 4.6).into()),
                Some(Point::new(-74.0, 4.7).into())
            ]
        );

        // Two multipolygons: one of two squares, one of one square.
        let ring = |x: f64| vec![(x, 4.0), (x + 0.01, 4.0), (x + 0.01, 4.01), (x, 4.0)];
        let cs: Vec<(f64, f64)> = [-74.1, -74.0, -73.9].iter().flat_map(|&x| ring(x)).collect();
        let rings = list_of("rings", &[0, 4, 8, 12], xy("xy", &cs));
        let polygons = list_of("polygons", &[0, 1, 2, 3], rings);
        let multi = list_of("geometry", &[0, 2, 3], polygons);
        write(
            &path,
            DataFrame::new(2, vec![multi.clone().into_column()]).unwrap(),
            Some(&meta("multipolygon")),
        );
        let (layer, _) = read_geoparquet(&path, &ReadOptions::default()).unwrap();
        let poly = |x: f64| match square(x) {
            Geometry::Polygon(p) => p,
            _ => unreachable!(),
        };
        let want = vec![
            Some(MultiPolygon(vec![poly(-74.1), poly(-74.0)]).into()),
            Some(MultiPolygon(vec![poly(-73.9)]).into()),
        ];
        assert_eq!(layer.geometries, want);

        // A column of several chunks (polars may hand one over) decodes in row order.
        let mut chunked = multi.clone();
        chunked.append(&multi).unwrap();
        assert_eq!(chunked.n_chunks(), 2);
        let decoded = decode_native("x", "geometry", &chunked, Encoding::MultiPolygon).unwrap();
        assert_eq!(decoded, [want.clone(), want].concat());
    }

    #[test]
    fn a_wkb_column_of_several_chunks_names_its_first_bad_row() {
        let good = |x: f64| Some(wkb::encode(&square(x)));
        let mut s = Series::new("g".into(), [good(-74.1), None, good(-74.0)]);
        s.append(&Series::new(
            "g".into(),
            [good(-73.9), Some(vec![1, 3]), Some(vec![9])],
        ))
        .unwrap();
        assert_eq!(s.n_chunks(), 2);
        match decode_wkb("x", "g", &s) {
            Err(Decode::Row(4, problem)) => {
                assert!(problem.starts_with("invalid WKB: truncated"), "{problem}")
            }
            other => panic!("expected row 4 to be refused, got {other:?}"),
        }
        let ok = s.slice(0, 4);
        let decoded = decode_wkb("x", "g", &ok).unwrap();
        assert_eq!(
            decoded,
            [
                Some(square(-74.1)),
                None,
                Some(square(-74.0)),
                Some(square(-73.9))
            ]
        );
    }
}
