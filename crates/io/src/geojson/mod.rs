//! The GeoJSON reader: a typed serde parse straight into `geo` coordinates (no intermediate
//! `serde_json::Value` for geometries), then rings are checked and features converted to `geo`
//! geometries in parallel.

use std::path::Path;

use careblock_core::{Layer, WGS84};
use rayon::prelude::*;
use serde::de::IgnoredAny;

use self::assemble::Assembler;
use self::document::{Features, check_collection, document_error, json_error, parse_document};
use self::raw::RawFeature;
use self::regions::{REGIONAL_FROM, read_regional};
use crate::{IoError, ReadOptions, ReadReport, path_name};

mod assemble;
mod columns;
mod document;
mod fast;
pub(crate) mod geometry;
mod raw;
mod regions;
mod split;
#[cfg(test)]
mod tests;

/// Reads a GeoJSON FeatureCollection file. See [`parse_geojson`].
pub fn read_geojson(path: &Path, opts: &ReadOptions) -> Result<(Layer, ReadReport), IoError> {
    let name = path_name(path);
    let bytes = crate::map_file(path).map_err(|e| IoError::io(&name, e))?;
    parse_geojson(&name, &bytes, opts)
}

/// Parses a GeoJSON FeatureCollection; `name` becomes the layer's name and is used in messages.
///
/// - CRS: the (pre-RFC 7946) `crs` member if present (`urn:ogc:def:crs:EPSG::4686`), else
///   `opts.crs`, else EPSG:4326.
/// - ids: `opts.id_field`'s property, else the `id` member if every feature has one, else the
///   0-based index.
/// - properties: one column per key (in order of first appearance), typed over all features:
///   integers → Int64, numbers → Float64, strings → String, booleans → Boolean, anything mixed
///   or nested → String (numbers as their JSON text, objects and arrays as JSON); a missing key
///   is null.
/// - geometries: `null` → `None`; rings must have at least 4 positions and be closed (unless
///   `opts.close_rings`, which closes them and lists the features in the report).
pub fn parse_geojson(name: &str, bytes: &[u8], opts: &ReadOptions) -> Result<(Layer, ReadReport), IoError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        None => {
            return Err(IoError::NotFeatureCollection {
                path: name.into(),
                found: "an empty file".into(),
            });
        }
        Some(b'[') => {
            return Err(IoError::NotFeatureCollection {
                path: name.into(),
                found: "a JSON array".into(),
            });
        }
        Some(_) => {
            // Let serde_json say where and what.
            let e = serde_json::from_slice::<IgnoredAny>(bytes).err();
            return Err(match e {
                Some(e) => json_error(name, bytes, &e),
                None => IoError::NotFeatureCollection {
                    path: name.into(),
                    found: "a JSON value that is not an object".into(),
                },
            });
        }
    }
    if bytes.len() >= REGIONAL_FROM
        && let Some(read) = read_regional(name, bytes, opts)
    {
        return read;
    }
    parse_whole(name, bytes, opts)
}

/// The ordinary reading of a document: one structural scan (or one serde pass) for the
/// features, then the features in parallel chunks.
fn parse_whole(name: &str, bytes: &[u8], opts: &ReadOptions) -> Result<(Layer, ReadReport), IoError> {
    let doc = parse_document(name, bytes)?;
    let has_features = match &doc.features {
        Features::Spans(_) => true,
        Features::Parsed(f) => f.is_some(),
    };
    check_collection(name, doc.kind.as_deref(), has_features)?;
    let crs = match doc.crs {
        Some(member) => member.to_crs(name)?,
        None => opts.crs.unwrap_or(WGS84),
    };
    let reserve = match &doc.features {
        Features::Spans(spans) => spans.len(),
        Features::Parsed(f) => f.as_ref().map_or(0, Vec::len),
    };
    let mut assembler = Assembler::new(name, opts, reserve);
    match doc.features {
        Features::Parsed(features) => assembler.add(features.unwrap_or_default())?,
        Features::Spans(spans) => {
            // Chunks bound the memory of the parsed-but-not-yet-converted features.
            for chunk in spans.chunks(CHUNK) {
                // The fast reader first; the whole chunk through serde if any feature is unusual.
                let fast: Option<Vec<RawFeature<'_>>> = chunk
                    .par_iter()
                    .map_init(Vec::new, |scratch, r| fast::feature(&bytes[r.clone()], scratch))
                    .collect();
                if let Some(features) = fast {
                    assembler.add(features)?;
                    continue;
                }
                let features: Result<Vec<RawFeature<'_>>, _> = chunk
                    .par_iter()
                    .map(|r| serde_json::from_slice(&bytes[r.clone()]))
                    .collect();
                match features {
                    Ok(features) => assembler.add(features)?,
                    // One plain pass over the whole document says exactly where the error is.
                    Err(_) => return Err(document_error(name, bytes)),
                }
            }
        }
    }
    assembler.finish(crs)
}

/// Features deserialised per chunk on the parallel path (small under test, so that the tests
/// cross chunk boundaries).
const CHUNK: usize = if cfg!(test) { 300 } else { 32_768 };
