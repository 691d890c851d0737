//! Layers across the Python boundary: a polars DataFrame of attributes (Arrow, through
//! pyo3-polars) whose `geometry` column holds WKB (Binary), in one CRS.

use careblock_core::polars::prelude::{BinaryChunked, DataFrame, DataType, IntoSeries, Series};
use careblock_core::project::{check_plausible, project};
use careblock_core::{Crs, Layer, WGS84};
use careblock_io::IoError;
use careblock_pipeline::check_geometries;
use geo::Geometry;

use crate::errors::{Failure, Kind};
use careblock_io::wkb;

/// The name of the WKB column in the frames the Python side sends.
pub const GEOMETRY: &str = "geometry";

fn table_error(name: &str, e: impl std::fmt::Display) -> Failure {
    Failure::new(Kind::Input, format!("{name}: {e}"))
}

/// A layer from a frame with a WKB `geometry` column. Ids come from `id_column` (as text) or
/// are the 0-based row numbers; the id column stays among the attributes, as the readers keep
/// it.
pub fn layer_from_frame(
    name: &str,
    df: DataFrame,
    id_column: Option<&str>,
    crs: Crs,
) -> Result<Layer, Failure> {
    let geometries = {
        let col = df.column(GEOMETRY).map_err(|_| {
            Failure::new(
                Kind::Input,
                format!("{name}: no {GEOMETRY:?} column of WKB geometries"),
            )
        })?;
        let ca = col.binary().map_err(|_| {
            Failure::new(
                Kind::Input,
                format!(
                    "{name}: the {GEOMETRY:?} column must hold WKB bytes, found {}",
                    col.dtype()
                ),
            )
        })?;
        ca.iter()
            .enumerate()
            .map(|(i, b)| match b {
                None => Ok(None),
                Some(b) => wkb::decode(b).map_err(|e| {
                    Failure::new(Kind::Geometry, format!("{name}: feature at index {i}: {}", e.0))
                }),
            })
            .collect::<Result<Vec<Option<Geometry<f64>>>, Failure>>()?
    };
    let attributes = df.drop(GEOMETRY).map_err(|e| table_error(name, e))?;
    let ids: Vec<String> = match id_column {
        None => (0..attributes.height()).map(|i| i.to_string()).collect(),
        Some(c) => {
            let col = attributes.column(c).map_err(|_| {
                let available: Vec<String> = attributes
                    .get_column_names()
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                Failure::from(IoError::MissingColumn {
                    path: name.to_string(),
                    column: c.to_string(),
                    available: available.join(", "),
                })
            })?;
            let text = col.cast(&DataType::String).map_err(|e| table_error(name, e))?;
            let text = text.str().map_err(|e| table_error(name, e))?;
            text.iter()
                .enumerate()
                .map(|(i, v)| {
                    v.map(str::to_string).ok_or_else(|| {
                        Failure::new(
                            Kind::Input,
                            format!("{name}: feature at index {i}, field {c:?}: the id is missing"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?
        }
    };
    let layer = Layer::new(name, ids, geometries, attributes, crs)?;
    Ok(layer)
}

/// The checks `careblock run` makes on a layer it reads: plausible coordinates for the CRS, and
/// polygons valid (or repaired with `fix_invalid`, listed in `notes`). The message of an invalid
/// layer is the CLI's.
pub fn check_layer(
    layer: Layer,
    polygons: bool,
    fix_invalid: bool,
    notes: &mut Vec<careblock_text::Msg>,
) -> Result<Layer, Failure> {
    check_plausible(&layer).map_err(|e| {
        Failure::from(IoError::Crs {
            path: layer.name.clone(),
            error: Box::new(e),
        })
    })?;
    if !polygons {
        return Ok(layer);
    }
    Ok(check_geometries(layer, fix_invalid, notes)?)
}

/// WKB of each geometry (null stays null).
pub fn wkb_series(geometries: &[Option<Geometry<f64>>]) -> Series {
    let encoded: Vec<Option<Vec<u8>>> = geometries.iter().map(|g| g.as_ref().map(wkb::encode)).collect();
    let ca: BinaryChunked = encoded.iter().map(|b| b.as_deref()).collect();
    ca.with_name(GEOMETRY.into()).into_series()
}

/// The geometries of a layer in EPSG:4326 (lon/lat), as WKB.
pub fn wgs84_wkb(layer: &Layer) -> Result<Series, Failure> {
    if layer.crs == WGS84 {
        return Ok(wkb_series(&layer.geometries));
    }
    let lonlat = project(layer, WGS84).map_err(|e| {
        Failure::from(IoError::Crs {
            path: layer.name.clone(),
            error: Box::new(e),
        })
    })?;
    Ok(wkb_series(&lonlat.geometries))
}
