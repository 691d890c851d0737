//! # careblock-io
//!
//! careblock's readers and writers. The core ([`careblock_core`]) does no file I/O; this crate
//! does all of it:
//!
//! - [`read_layer`] reads a vector layer, choosing the reader by extension: GeoJSON
//!   ([`read_geojson`], a fast typed parser straight into `geo` types), ESRI Shapefile
//!   ([`read_shapefile`], with `.prj` and `.cpg`), GeoParquet 1.0/1.1 ([`read_geoparquet`]: WKB
//!   or GeoArrow geometries, CRS from the `geo` metadata), FlatGeobuf ([`read_flatgeobuf`],
//!   CRS from the header), and with the `gdal` feature any OGR dataset (`read_ogr`:
//!   GeoPackage, File Geodatabase, ...).
//! - [`wkb`] reads and writes Well-Known Binary (GeoParquet, the Python bindings).
//! - [`read_table`] / [`read_table_with_key`] read CSV or Parquet attribute tables, and
//!   [`join_table`] left-joins one to a layer with a report of what did not match.
//! - [`write_geojson`] writes RFC 7946 GeoJSON, [`write_geoparquet`] GeoParquet 1.1 (WKB,
//!   lon/lat), [`write_flatgeobuf`] FlatGeobuf (lon/lat, with a packed Hilbert R-tree index)
//!   and [`write_csv`] CSV, all atomically (a temporary file in the same directory, renamed
//!   when complete).
//! - [`write_text`] writes any text (a report, a style, `run.json`) atomically.
//! - [`read_method`] reads a method file; [`method_inputs`] lists every file a method reads
//!   with its size and SHA-256, for run reports.
//! - [`write_gpkg`] writes layers into one GeoPackage in their projected CRS, with a spatial
//!   index and each layer's QGIS style as its default style.
//!
//! Loading a method's inputs, the run's tables and `validate` are `careblock-pipeline`'s; the
//! report, the styles and the output folder are `careblock-report`'s.
//!
//! Every error ([`IoError`]) names the file, the feature (id and index) or row, the field, and
//! what was expected. Nothing is silently dropped: null geometries stay as `None`, every
//! property is kept as a column.
//!
//! ```
//! use careblock_io::{parse_geojson, ReadOptions};
//! let text = br#"{"type": "FeatureCollection", "features": [
//!   {"type": "Feature", "id": "a", "properties": {"pop": 12},
//!    "geometry": {"type": "Point", "coordinates": [-74.08, 4.6]}},
//!   {"type": "Feature", "id": "b", "properties": {"pop": null}, "geometry": null}]}"#;
//! let (layer, _report) = parse_geojson("x.geojson", text, &ReadOptions::default()).unwrap();
//! assert_eq!(layer.ids, ["a", "b"]);
//! assert!(layer.geometries[1].is_none());
//! assert_eq!(layer.numeric_column("pop").unwrap(), [Some(12.0), None]);
//! ```

#![deny(missing_docs)]
// One audited `unsafe` block: the memory map of a large input file (`map_file`).
#![deny(unsafe_code)]

use std::path::Path;

use careblock_core::Crs;

mod checksum;
mod error;
mod flatgeobuf;
mod geojson;
mod geoparquet;
mod gpkg;
mod guard;
mod method_file;
#[cfg(feature = "gdal")]
mod ogr;
mod parquet_pages;
mod shp;
mod table;
#[cfg(test)]
mod test_dir;
pub mod wkb;
mod wkb_pages;
mod write;
mod write_parquet;

pub use checksum::{InputFile, method_inputs, sha256_file};
pub use error::IoError;
pub use flatgeobuf::{read_flatgeobuf, write_flatgeobuf};
pub use geojson::{parse_geojson, read_geojson};
pub use geoparquet::read_geoparquet;
pub use gpkg::{GpkgLayer, write_gpkg};
pub use method_file::{read_method, read_method_problems};
#[cfg(feature = "gdal")]
pub use ogr::read_ogr;
pub use shp::read_shapefile;
pub use table::{CostColumns, TableJoinReport, join_table, read_cost_table, read_table, read_table_with_key};
pub use write::{write_csv, write_geojson, write_text};
pub use write_parquet::write_geoparquet;

/// How to read a layer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadOptions {
    /// Property/field holding the feature id; `None` → the GeoJSON `id` member if every feature
    /// has one, else the 0-based feature index as a string.
    pub id_field: Option<String>,
    /// CRS to assume when the file declares none (GeoJSON without a `crs` member is RFC 7946,
    /// EPSG:4326, unless this is given; a shapefile without `.prj` needs this, else
    /// `CrsError::Unknown`; so does a GeoParquet column with `crs: null`, or a Parquet file
    /// without `geo` metadata whose `geometry` column is to be read as WKB).
    pub crs: Option<Crs>,
    /// Close unclosed polygon rings instead of refusing them (the repair is then listed in the
    /// returned [`ReadReport`]).
    pub close_rings: bool,
    /// The geometry column of a Parquet file: another than the GeoParquet primary column (one
    /// the `geo` metadata describes, else read as WKB), or the WKB column of a Parquet file
    /// without `geo` metadata. Other formats have one geometry and ignore it.
    pub geometry_column: Option<String>,
}

/// What a reader repaired while reading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadReport {
    /// Ids of the features whose rings were closed (with [`ReadOptions::close_rings`]).
    pub closed_rings: Vec<String>,
    /// The file declares spherical edges (GeoParquet `"edges": "spherical"`: each edge is the
    /// great-circle arc between its vertices), which careblock reads as planar, as every other
    /// layer: each edge is the straight line in the layer's coordinates.
    pub spherical_edges: bool,
}

/// Reads a vector layer, choosing the reader by the file's extension: `.geojson`/`.json` →
/// [`read_geojson`], `.shp` → [`read_shapefile`], `.parquet`/`.geoparquet` →
/// [`read_geoparquet`], `.fgb` → [`read_flatgeobuf`], anything else (`.gpkg`, `.gdb`, ...) →
/// `read_ogr` when built with the `gdal` feature, else [`IoError::UnsupportedFormat`].
///
/// The layer's `name` is the path as given, so every later message names the file.
pub fn read_layer(path: &Path, opts: &ReadOptions) -> Result<(careblock_core::Layer, ReadReport), IoError> {
    let ext = extension(path);
    match ext.as_str() {
        "geojson" | "json" => read_geojson(path, opts),
        "shp" => read_shapefile(path, opts),
        "parquet" | "geoparquet" => read_geoparquet(path, opts),
        "fgb" => read_flatgeobuf(path, opts),
        #[cfg(feature = "gdal")]
        _ => read_ogr(path, None, opts),
        #[cfg(not(feature = "gdal"))]
        _ => Err(IoError::UnsupportedFormat {
            path: path.display().to_string(),
            reason: format!(
                "cannot read {} files: without GDAL careblock reads .geojson, .json, .shp, GeoParquet (.parquet, .geoparquet) and FlatGeobuf (.fgb) layers",
                describe_extension(&ext)
            ),
            extension: ext,
            hint: Some(careblock_core::Hint::BuildWithGdal),
        }),
    }
}

/// The lower-case extension of a path, without the dot ("" if none).
pub(crate) fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// An extension for messages: ".csv", or "extension-less".
pub(crate) fn describe_extension(ext: &str) -> String {
    if ext.is_empty() {
        "extension-less".to_string()
    } else {
        format!(".{ext}")
    }
}

/// The bytes of an input file: memory-mapped when it is a regular file of at least 1 MiB (a
/// census-sized GeoJSON is then parsed straight from the page cache, without being copied into
/// freshly zeroed memory first), else read into memory.
pub(crate) enum FileBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m) => m,
            FileBytes::Read(v) => v,
        }
    }
}

/// Opens `path` for parsing (see [`FileBytes`]).
pub(crate) fn map_file(path: &Path) -> std::io::Result<FileBytes> {
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_file() && meta.len() >= 1 << 20 {
        // SAFETY: the map is read-only and dropped as soon as the file is parsed; careblock
        // never writes its own inputs. Were another process to truncate or rewrite the file
        // during the read, the parse could see changed bytes or the process be stopped by
        // SIGBUS: the trade-off ripgrep and polars make for large inputs. A map that cannot be
        // made (e.g. on a file system without mmap) falls back to reading.
        #[allow(unsafe_code)]
        let mapped = unsafe { memmap2::MmapOptions::new().populate().map(&file) };
        if let Ok(m) = mapped {
            return Ok(FileBytes::Mapped(m));
        }
    }
    std::fs::read(path).map(FileBytes::Read)
}

/// A layer read from a file whose ids come from `opts.id_field` (or the row index), checked
/// for a plausible CRS: a duplicate id names the id field it came from.
pub(crate) fn field_id_layer(
    name: &str,
    ids: Vec<String>,
    geometries: Vec<Option<geo::Geometry<f64>>>,
    attributes: polars::prelude::DataFrame,
    crs: Crs,
    opts: &ReadOptions,
) -> Result<careblock_core::Layer, IoError> {
    use careblock_core::LayerError;
    let layer =
        careblock_core::Layer::new(name.to_string(), ids, geometries, attributes, crs).map_err(|e| {
            let e = match (e, &opts.id_field) {
                (
                    LayerError::DuplicateId {
                        layer,
                        id,
                        first,
                        second,
                        ..
                    },
                    Some(f),
                ) => LayerError::DuplicateId {
                    layer,
                    id,
                    id_source: Some(format!("field {f:?}")),
                    first,
                    second,
                },
                (e, _) => e,
            };
            IoError::layer(name, e)
        })?;
    careblock_core::project::check_plausible(&layer).map_err(|e| IoError::crs(name, e))?;
    Ok(layer)
}

/// The path as given, for messages and layer names.
pub(crate) fn path_name(path: &Path) -> String {
    path.display().to_string()
}
