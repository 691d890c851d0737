//! The document around the features: its top-level members (`type`, `crs`, `features`) found
//! without parsing the features, and the messages for a malformed document or JSON error, with
//! the feature and byte offset it occurred at.

use super::raw::{CrsMember, RawFeature, Top};
use super::split::split_top;
use crate::IoError;

/// The top level of a document, with the features either parsed or located.
pub(super) struct Document<'a> {
    pub(super) kind: Option<String>,
    pub(super) crs: Option<CrsMember>,
    pub(super) features: Features<'a>,
}

pub(super) enum Features<'a> {
    /// Byte spans of the features, to deserialise in parallel chunks.
    Spans(Vec<std::ops::Range<usize>>),
    /// Features parsed by one serde pass (`None`: no "features" member).
    Parsed(Option<Vec<RawFeature<'a>>>),
}

/// Large FeatureCollections are split into features by a structural scan, to be deserialised in
/// parallel; anything unusual goes through one ordinary serde pass, which also gives the exact
/// error position of malformed input.
pub(super) fn parse_document<'a>(name: &str, bytes: &'a [u8]) -> Result<Document<'a>, IoError> {
    const PARALLEL_FROM: usize = 256;
    if let Some(split) = split_top(bytes)
        && let Some(spans) = split.features.filter(|r| r.len() >= PARALLEL_FROM)
    {
        let mut kind = None;
        let mut crs = None;
        let mut members_ok = true;
        for (key, span) in &split.members {
            let value = &bytes[span.clone()];
            match *key {
                b"type" => match serde_json::from_slice(value) {
                    Ok(v) => kind = v,
                    Err(_) => members_ok = false,
                },
                b"crs" => match serde_json::from_slice(value) {
                    Ok(v) => crs = v,
                    Err(_) => members_ok = false,
                },
                _ => {}
            }
        }
        if members_ok {
            return Ok(Document {
                kind,
                crs,
                features: Features::Spans(spans),
            });
        }
    }
    let top: Top<'a> = serde_json::from_slice(bytes).map_err(|e| json_error(name, bytes, &e))?;
    Ok(Document {
        kind: top.kind,
        crs: top.crs,
        features: Features::Parsed(top.features),
    })
}

/// The error of a document the parallel path could not read, from one plain serde pass.
pub(super) fn document_error(name: &str, bytes: &[u8]) -> IoError {
    match serde_json::from_slice::<Top<'_>>(bytes) {
        Err(e) => json_error(name, bytes, &e),
        Ok(_) => IoError::format(name, "a feature could not be read"),
    }
}

/// Refuses anything but a FeatureCollection with a "features" array, saying what it is.
pub(super) fn check_collection(name: &str, kind: Option<&str>, has_features: bool) -> Result<(), IoError> {
    let found = match (kind, has_features) {
        (Some("FeatureCollection"), true) => return Ok(()),
        (Some("FeatureCollection"), false) => "a FeatureCollection without a \"features\" array".to_string(),
        (Some("Feature"), _) => "a single Feature (wrap it in a FeatureCollection)".to_string(),
        (
            Some(
                k @ ("Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon" | "MultiPolygon"
                | "GeometryCollection"),
            ),
            _,
        ) => format!("a bare {k} geometry (wrap it in a Feature in a FeatureCollection)"),
        (Some(k), _) => format!("an object of type {k:?}"),
        (None, _) => "an object without a \"type\" member".to_string(),
    };
    Err(IoError::NotFeatureCollection {
        path: name.into(),
        found,
    })
}

pub(super) fn json_error(name: &str, bytes: &[u8], e: &serde_json::Error) -> IoError {
    let text = e.to_string();
    let message = match text.rfind(" at line ") {
        Some(pos) => text[..pos].to_string(),
        None => text,
    };
    let at = byte_offset(bytes, e.line(), e.column());
    let mut message = if e.is_eof() {
        format!("the file is truncated ({message})")
    } else {
        match at.map(|a| &bytes[a.min(bytes.len())..]) {
            Some(rest)
                if [&b"NaN"[..], b"Infinity", b"-Infinity", b"inf", b"-inf", b"nan"]
                    .iter()
                    .any(|t| rest.starts_with(t)) =>
            {
                format!("{message}: NaN and Infinity are not JSON numbers (write null for a missing value)")
            }
            _ if message.starts_with("number out of range") => {
                format!("{message}: the number does not fit a 64-bit float")
            }
            _ => message,
        }
    };
    if let Some(i) = at.and_then(|a| feature_at(bytes, a)) {
        message = format!("{message} (in feature at index {i})");
    }
    IoError::Json {
        path: name.into(),
        line: e.line(),
        column: e.column(),
        message,
    }
}

/// The byte offset of serde_json's 1-based (line, column) position, if inside the text.
/// serde_json reports the column of the last byte it read, so the offset is one before it.
pub(super) fn byte_offset(bytes: &[u8], line: usize, column: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let mut start = 0;
    for _ in 1..line {
        start += bytes.get(start..)?.iter().position(|&b| b == b'\n')? + 1;
    }
    let at = start + column.saturating_sub(1);
    (at <= bytes.len()).then_some(at)
}

/// The index of the element of the `features` array whose span holds byte `at`, when the
/// structural scan understands the document.
pub(super) fn feature_at(bytes: &[u8], at: usize) -> Option<usize> {
    let features = split_top(bytes)?.features?;
    features
        .iter()
        .position(|r| r.start <= at && at < r.end.max(r.start + 1))
}
