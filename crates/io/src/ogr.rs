//! Any OGR vector dataset through the system libgdal (feature `gdal`).

use std::path::Path;

use careblock_core::project::check_plausible;
use careblock_core::{Crs, CrsError, Layer};
use gdal::Dataset;
use gdal::vector::{FieldValue, LayerAccess, OGRFieldType};
use geo::Geometry;
use polars::prelude::{Column, DataFrame};

use crate::{IoError, ReadOptions, ReadReport, path_name};

enum Kind {
    Int,
    Float,
    Text,
}

/// The layer named `layer_name`, or the first.
fn open_layer<'d>(
    ds: &'d Dataset,
    layer_name: Option<&str>,
    name: &str,
) -> Result<gdal::vector::Layer<'d>, IoError> {
    let ogr = |e: gdal::errors::GdalError| IoError::Ogr {
        path: name.to_string(),
        message: e.to_string(),
    };
    match layer_name {
        Some(l) => ds.layer_by_name(l).map_err(|e| IoError::Ogr {
            path: name.to_string(),
            message: format!(
                "no layer {l:?} ({e}); layers: {}",
                ds.layers().map(|l| l.name()).collect::<Vec<_>>().join(", ")
            ),
        }),
        None if ds.layer_count() == 0 => Err(IoError::Ogr {
            path: name.to_string(),
            message: "the dataset has no vector layer".into(),
        }),
        None => ds.layer(0).map_err(ogr),
    }
}

/// The layer's CRS: its EPSG code, else its WKT, else `opts.crs`, else `CrsError::Unknown`.
fn layer_crs(layer: &gdal::vector::Layer<'_>, opts: &ReadOptions, name: &str) -> Result<Crs, IoError> {
    let Some(srs) = layer.spatial_ref() else {
        return opts.crs.ok_or_else(|| {
            IoError::crs(
                name,
                CrsError::Unknown {
                    layer: name.to_string(),
                },
            )
        });
    };
    let by_code = match (srs.auth_name().as_deref(), srs.auth_code()) {
        (Some("EPSG"), Ok(code)) => u32::try_from(code).ok().map(Crs::from_epsg),
        _ => None,
    };
    match by_code {
        Some(r) => r.map_err(|e| IoError::crs(name, e)),
        None => {
            let wkt = srs.to_wkt().map_err(|e| IoError::Ogr {
                path: name.to_string(),
                message: e.to_string(),
            })?;
            Crs::from_wkt(&wkt).map_err(|e| IoError::crs(name, e))
        }
    }
}

/// The layer's fields and the column type each becomes.
fn field_kinds(layer: &gdal::vector::Layer<'_>) -> Vec<(String, Kind)> {
    layer
        .defn()
        .fields()
        .map(|f| {
            let kind = match f.field_type() {
                OGRFieldType::OFTInteger | OGRFieldType::OFTInteger64 => Kind::Int,
                OGRFieldType::OFTReal => Kind::Float,
                _ => Kind::Text,
            };
            (f.name(), kind)
        })
        .collect()
}

/// Reads one layer of any OGR dataset (GeoPackage, FlatGeobuf, File Geodatabase, ...): the
/// layer named `layer_name`, or the first.
///
/// - ids: `opts.id_field`'s value, else the OGR FID (else the 0-based index).
/// - CRS: the layer's spatial reference (its EPSG code, else its WKT), else `opts.crs`, else
///   `CrsError::Unknown`.
/// - columns: OGR integer fields → Int64, reals → Float64, everything else (strings, dates,
///   lists) → String as OGR formats it.
pub fn read_ogr(
    path: &Path,
    layer_name: Option<&str>,
    opts: &ReadOptions,
) -> Result<(Layer, ReadReport), IoError> {
    let name = path_name(path);
    let ogr = |e: gdal::errors::GdalError| IoError::Ogr {
        path: name.clone(),
        message: e.to_string(),
    };
    let ds = Dataset::open(path).map_err(ogr)?;
    let mut layer = open_layer(&ds, layer_name, &name)?;
    let crs = layer_crs(&layer, opts, &name)?;
    let fields = field_kinds(&layer);
    let id_index = match &opts.id_field {
        None => None,
        Some(f) => Some(fields.iter().position(|(n, _)| n == f).ok_or_else(|| {
            IoError::MissingColumn {
                path: name.clone(),
                column: f.clone(),
                available: fields
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })?),
    };

    let mut ints: Vec<Vec<Option<i64>>> = fields.iter().map(|_| Vec::new()).collect();
    let mut floats: Vec<Vec<Option<f64>>> = fields.iter().map(|_| Vec::new()).collect();
    let mut texts: Vec<Vec<Option<String>>> = fields.iter().map(|_| Vec::new()).collect();
    let mut ids = Vec::new();
    let mut fids = Vec::new();
    let mut geometries: Vec<Option<Geometry<f64>>> = Vec::new();
    for (i, feature) in layer.features().enumerate() {
        let fid = feature.fid();
        let label = |id: Option<String>| id.or(fid.map(|f| f.to_string()));
        let field_err = |c: usize, e: gdal::errors::GdalError| IoError::Field {
            path: name.clone(),
            id: label(None),
            index: i,
            field: fields[c].0.clone(),
            problem: e.to_string(),
        };
        for (c, (_, kind)) in fields.iter().enumerate() {
            // An unset field reads as "" through OGR_F_GetFieldAsString (and as 0 as a number):
            // treat it as null, like an explicit null.
            let text = feature.field_as_string(c).map_err(|e| field_err(c, e))?;
            let unset = text.as_deref().is_none_or(str::is_empty);
            match kind {
                Kind::Int => ints[c].push(if unset {
                    None
                } else {
                    feature.field_as_integer64(c).map_err(|e| field_err(c, e))?
                }),
                Kind::Float => floats[c].push(if unset {
                    None
                } else {
                    feature.field_as_double(c).map_err(|e| field_err(c, e))?
                }),
                Kind::Text => texts[c].push(match feature.field(c).map_err(|e| field_err(c, e))? {
                    Some(FieldValue::StringValue(s)) => Some(s),
                    Some(_) | None => text,
                }),
            }
        }
        if let Some(c) = id_index {
            let v = feature.field_as_string(c).map_err(|e| field_err(c, e))?;
            match v.filter(|s| !s.is_empty()) {
                Some(s) => ids.push(s),
                None => {
                    return Err(IoError::Field {
                        path: name.clone(),
                        id: label(None),
                        index: i,
                        field: fields[c].0.clone(),
                        problem: "the id field is empty; every feature needs an id".into(),
                    });
                }
            }
        }
        fids.push(fid);
        let g = match feature.geometry() {
            None => None,
            Some(g) if g.is_empty() => None,
            Some(g) => Some(g.to_geo().map_err(|e| IoError::Feature {
                path: name.clone(),
                id: label(None),
                index: i,
                problem: format!("cannot convert the geometry: {e}"),
                hint: None,
            })?),
        };
        geometries.push(g);
    }
    if id_index.is_none() {
        ids = if fids.iter().all(Option::is_some) {
            fids.iter().map(|f| f.unwrap_or_default().to_string()).collect()
        } else {
            (0..fids.len()).map(|i| i.to_string()).collect()
        };
    }

    let n = geometries.len();
    let columns: Vec<Column> = fields
        .iter()
        .enumerate()
        .map(|(c, (f, kind))| match kind {
            Kind::Int => Column::new(f.as_str().into(), std::mem::take(&mut ints[c])),
            Kind::Float => Column::new(f.as_str().into(), std::mem::take(&mut floats[c])),
            Kind::Text => Column::new(f.as_str().into(), std::mem::take(&mut texts[c])),
        })
        .collect();
    let attributes = DataFrame::new(n, columns).map_err(|e| IoError::table(&name, e))?;
    let layer =
        Layer::new(name.clone(), ids, geometries, attributes, crs).map_err(|e| IoError::layer(&name, e))?;
    check_plausible(&layer).map_err(|e| IoError::crs(&name, e))?;
    Ok((layer, ReadReport::default()))
}
