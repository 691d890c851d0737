//! The GeoParquet writer: a layer's ids, columns and geometries (WKB) in one Parquet file with
//! the `geo` metadata of GeoParquet 1.1, written atomically like the other outputs.
//!
//! Geometries are written in lon/lat (OGC:CRS84, the specification's default, so the `crs` key
//! is left out), as GeoJSON is: a full PROJJSON of every projected CRS would need a CRS
//! database careblock does not carry, and a partial one is refused by some readers. Columns keep
//! their polars types; the file is polars' (zstd-compressed row groups).

use std::collections::BTreeSet;
use std::path::Path;

use careblock_core::crs::{ProjCache, Reprojection};
use careblock_core::layer::geometry_kind;
use careblock_core::{Layer, WGS84};
use geo::Geometry;
use geo::orient::{Direction, Orient};
use polars::prelude::*;

use crate::write::atomic_write;
use crate::{IoError, path_name, wkb};

/// Writes `layer` as GeoParquet 1.1 at `path`: a column `id_column` with the layer's ids (unless
/// the layer already has a column of that name), every attribute column, and the geometries as
/// WKB in `geometry`, in lon/lat. A null geometry stays null.
pub fn write_geoparquet(path: &Path, layer: &Layer, id_column: &str) -> Result<(), IoError> {
    let name = path_name(path);
    let to_wgs84 = (layer.crs != WGS84).then(|| Reprojection::new(layer.crs, WGS84));
    let wkb: Vec<Option<Vec<u8>>> =
        careblock_core::par::try_map_init(&layer.geometries, ProjCache::default, |cache, i, g| {
            let Some(g) = g else { return Ok(None) };
            let mut g = oriented(g);
            if let Some(r) = &to_wgs84 {
                r.apply_feature(&layer.name, &layer.ids[i], &mut g, cache)
                    .map_err(|e| IoError::crs(&name, e))?;
            }
            Ok(Some(wkb::encode(&g)))
        })?;
    let kinds: BTreeSet<&str> = layer.geometries.iter().flatten().map(geometry_kind).collect();
    let mut df = layer.attributes.clone();
    if df.column(id_column).is_err() {
        df.insert_column(0, Column::new(id_column.into(), &layer.ids))
            .map_err(|e| IoError::table(&name, e))?;
    }
    if df.column("geometry").is_ok() {
        return Err(IoError::format(
            &name,
            "the layer has a column named \"geometry\", which GeoParquet's geometry column would replace; rename it",
        ));
    }
    df.with_column(Column::new("geometry".into(), wkb))
        .map_err(|e| IoError::table(&name, e))?;
    let geo = serde_json::json!({
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {"geometry": {
            "encoding": "WKB",
            "geometry_types": kinds,
            "orientation": "counterclockwise",
        }},
    })
    .to_string();
    atomic_write(path, |w| {
        ParquetWriter::new(w)
            .with_key_value_metadata(Some(KeyValueMetadata::from_static(vec![("geo".into(), geo)])))
            .finish(&mut df)
            .map(|_| ())
            .map_err(|e| IoError::table(&name, e))
    })
}

/// Polygons with counter-clockwise exteriors and clockwise holes (as the GeoJSON writer
/// writes them, and as the `orientation` metadata says); other geometries as they are.
fn oriented(g: &Geometry<f64>) -> Geometry<f64> {
    match g {
        Geometry::Polygon(p) => Geometry::Polygon(p.orient(Direction::Default)),
        Geometry::MultiPolygon(m) => Geometry::MultiPolygon(m.orient(Direction::Default)),
        other => other.clone(),
    }
}
