//! The GeoJSON reader: a typed serde parse straight into `geo` coordinates (no intermediate
//! `serde_json::Value` for geometries), then rings are checked and features converted to `geo`
//! geometries in parallel.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use careblock_core::crs::check_plausible;
use careblock_core::{Crs, Layer, LayerError, WGS84};
use geo::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon, Point,
    Polygon,
};
use polars::prelude::{Column, DataFrame, DataType};
use rayon::prelude::*;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::split::{skip_ws, split_top, split_top_with};
use crate::{IoError, ReadOptions, ReadReport, path_name};

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
                    .map_init(Vec::new, |scratch, r| {
                        crate::fast::feature(&bytes[r.clone()], scratch)
                    })
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

/// Documents from this size on are read by regions of the features array in parallel.
const REGIONAL_FROM: usize = if cfg!(test) { 16 << 10 } else { 256 << 10 };
/// Bytes of the features array per region (small under test, so that the tests cross many
/// region boundaries).
const REGION: usize = if cfg!(test) { 3 << 10 } else { 1 << 20 };

/// Reads a FeatureCollection in one parallel pass: the features array is cut into regions of
/// about [`REGION`] bytes, each starting at a guessed feature boundary (a `}` `,` `{` `"`
/// sequence), and each region's features are read (fast reader, else serde) into a partial
/// layer by one task. The guesses are then checked in order: a region counts only if the
/// region before it ended exactly where it started, otherwise it is read again from the true
/// boundary, so a wrong guess costs time, never correctness. `None` when anything is unusual
/// or wrong (a malformed document, a feature error, a member the scan does not understand):
/// the caller then reads the document the ordinary way, which gives the exact message.
fn read_regional(
    name: &str,
    bytes: &[u8],
    opts: &ReadOptions,
) -> Option<Result<(Layer, ReadReport), IoError>> {
    let mut assembler = Assembler::new(name, opts, 0);
    let (members, read) = split_top_with(bytes, |open| {
        read_regions(name, bytes, opts, open, &mut assembler).map(|end| ((), end))
    })?;
    read?;
    let (mut kind, mut crs) = (None, None);
    for (key, span) in &members {
        let value = &bytes[span.clone()];
        match *key {
            b"type" => kind = serde_json::from_slice::<Option<String>>(value).ok()?,
            b"crs" => crs = serde_json::from_slice::<Option<CrsMember>>(value).ok()?,
            _ => {}
        }
    }
    if let Err(e) = check_collection(name, kind.as_deref(), true) {
        return Some(Err(e));
    }
    let crs = match crs {
        Some(member) => match member.to_crs(name) {
            Ok(c) => c,
            Err(e) => return Some(Err(e)),
        },
        None => opts.crs.unwrap_or(WGS84),
    };
    let n = assembler.geometries.len();
    let columns = std::mem::take(&mut assembler.chunks).finish(n)?;
    let attributes = match DataFrame::new(n, columns) {
        Ok(df) => df,
        Err(e) => return Some(Err(IoError::table(name, e))),
    };
    Some(assembler.finish_with(crs, Some(attributes)))
}

/// Reads the features array whose `[` is just before `open` into `assembler`; returns the
/// index just after its `]`.
fn read_regions<'a, 'o>(
    name: &'o str,
    b: &'a [u8],
    opts: &'o ReadOptions,
    open: usize,
    assembler: &mut Assembler<'a, 'o>,
) -> Option<usize> {
    let first = skip_ws(b, open);
    if b.get(first)? == &b']' {
        return Some(first + 1);
    }
    let mut starts = vec![first];
    let mut from = first + REGION;
    while from < b.len() {
        match guess_boundary(b, from) {
            Some(g) => {
                starts.push(g);
                from = g + REGION;
            }
            None => break,
        }
    }
    let stop = |k: usize| starts.get(k + 1).copied().unwrap_or(usize::MAX);
    // Regions are read a batch at a time, and a batch is appended to the layer before the
    // next is read: each region's own vectors are then freed and their memory reused by the
    // next batch, instead of every region's being held until the end (on a census layer,
    // fresh memory is the dearest thing the read touches).
    const BATCH: usize = 8;
    let mut at = first;
    for batch in (0..starts.len()).step_by(BATCH) {
        let ks = batch..(batch + BATCH).min(starts.len());
        let regions: Vec<Option<Region<'a, 'o>>> = ks
            .clone()
            .into_par_iter()
            .map(|k| read_region(name, b, opts, starts[k], stop(k)))
            .collect();
        if batch == 0 {
            // Size the layer once, from the first batch's features per byte (only a hint: an
            // underestimate grows the vectors, a region read again changes nothing).
            let features: usize = regions.iter().flatten().map(|r| r.part.geometries.len()).sum();
            let read = stop(ks.end - 1).min(b.len()) - first;
            let expected = expected_features(features, read, b.len() - first);
            assembler.reserve(expected + expected / 64);
        }
        for (k, region) in ks.zip(regions) {
            if at >= stop(k) {
                // The region before ran past this one: its guessed start was not a boundary.
                continue;
            }
            let region = match region {
                Some(r) if at == starts[k] => r,
                Some(_) | None if at != starts[k] => read_region(name, b, opts, at, stop(k))?,
                // A region read from a true boundary that failed: the document is unusual.
                _ => return None,
            };
            assembler.append(region.part, region.columns);
            match region.end {
                End::Array(end) => return Some(end),
                End::Next(next) => at = next,
            }
        }
    }
    None
}

/// The features expected in `span` bytes, given `features` found in the first `read` (a sizing
/// hint, never a count).
fn expected_features(features: usize, read: usize, span: usize) -> usize {
    (features as f64 * span as f64 / read.max(1) as f64).ceil() as usize
}

/// The first likely feature boundary at or after `from`: the `{` of a `}` `,` `{` `"`
/// sequence (whitespace allowed between them).
fn guess_boundary(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        i += b.get(i..)?.iter().position(|&c| c == b'}')? + 1;
        let j = skip_ws(b, i);
        if b.get(j) != Some(&b',') {
            continue;
        }
        let k = skip_ws(b, j + 1);
        if b.get(k) != Some(&b'{') {
            continue;
        }
        if b.get(skip_ws(b, k + 1)) == Some(&b'"') {
            return Some(k);
        }
    }
}

/// The features of one region, as a partial layer.
struct Region<'a, 'o> {
    /// The region's features (ids, geometries, closed rings; its columns are in `columns`).
    part: Assembler<'a, 'o>,
    columns: Vec<Column>,
    end: End,
}

enum End {
    /// The array ended; the index just after its `]`.
    Array(usize),
    /// The index of the next feature (the first at or after the region's end).
    Next(usize),
}

/// Reads the features from the one starting at `start` up to (not including) the first that
/// starts at or after `stop`, or to the end of the array. `None` if the region cannot be read
/// (not a feature boundary, malformed JSON, a feature error).
fn read_region<'a, 'o>(
    name: &'o str,
    b: &'a [u8],
    opts: &'o ReadOptions,
    start: usize,
    stop: usize,
) -> Option<Region<'a, 'o>> {
    // Features go to the partial layer in small batches, so that no region-sized vector of
    // parsed features is grown and freed (large allocations come fresh, zeroed, from the OS).
    const BATCH: usize = 256;
    let mut scratch = Vec::new();
    let mut part = Assembler::new(name, opts, 0);
    let mut batch: Vec<RawFeature<'a>> = Vec::with_capacity(BATCH);
    let mut spans: Vec<std::ops::Range<usize>> = Vec::new();
    let mut all_fast = true;
    let mut i = start;
    let end = loop {
        let element_end = match all_fast
            .then(|| crate::fast::feature_at(b, i, &mut scratch))
            .flatten()
        {
            Some((f, e)) => {
                batch.push(f);
                if batch.len() == BATCH {
                    if part.geometries.is_empty() {
                        // Size the region's vectors once, from its first features' bytes per
                        // feature (a hint: an underestimate grows them), instead of doubling
                        // them from empty batch after batch.
                        let expected = expected_features(BATCH, e - start, stop.min(b.len()) - start);
                        part.expect(expected + expected / 32 + BATCH);
                    }
                    part.add(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                        .ok()?;
                }
                e
            }
            None => {
                all_fast = false;
                crate::split::skip_value(b, i)?.end
            }
        };
        spans.push(skip_ws(b, i)..element_end);
        let j = skip_ws(b, element_end);
        match b.get(j)? {
            b',' => {
                i = skip_ws(b, j + 1);
                if i >= stop {
                    break End::Next(i);
                }
            }
            b']' => break End::Array(j + 1),
            _ => return None,
        }
    };
    if all_fast {
        part.add(batch).ok()?;
    } else {
        // A feature the fast reader leaves to serde: the whole region goes through serde.
        let features = spans
            .iter()
            .map(|r| serde_json::from_slice(&b[r.clone()]).ok())
            .collect::<Option<Vec<RawFeature<'a>>>>()?;
        part = Assembler::new(name, opts, features.len());
        part.add(features).ok()?;
    }
    let columns = std::mem::take(&mut part.columns).into_columns(part.geometries.len());
    Some(Region { part, columns, end })
}

/// Features deserialised per chunk on the parallel path (small under test, so that the tests
/// cross chunk boundaries).
const CHUNK: usize = if cfg!(test) { 300 } else { 32_768 };

/// The top level of a document, with the features either parsed or located.
struct Document<'a> {
    kind: Option<String>,
    crs: Option<CrsMember>,
    features: Features<'a>,
}

enum Features<'a> {
    /// Byte spans of the features, to deserialise in parallel chunks.
    Spans(Vec<std::ops::Range<usize>>),
    /// Features parsed by one serde pass (`None`: no "features" member).
    Parsed(Option<Vec<RawFeature<'a>>>),
}

/// Large FeatureCollections are split into features by a structural scan, to be deserialised in
/// parallel; anything unusual goes through one ordinary serde pass, which also gives the exact
/// error position of malformed input.
fn parse_document<'a>(name: &str, bytes: &'a [u8]) -> Result<Document<'a>, IoError> {
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
fn document_error(name: &str, bytes: &[u8]) -> IoError {
    match serde_json::from_slice::<Top<'_>>(bytes) {
        Err(e) => json_error(name, bytes, &e),
        Ok(_) => IoError::format(name, "a feature could not be read"),
    }
}

/// Refuses anything but a FeatureCollection with a "features" array, saying what it is.
fn check_collection(name: &str, kind: Option<&str>, has_features: bool) -> Result<(), IoError> {
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

/// Builds a layer from features added chunk by chunk, in file order.
struct Assembler<'a, 'o> {
    name: &'o str,
    opts: &'o ReadOptions,
    /// Ids from `opts.id_field`, or else the features' `id` members (settled in `finish`).
    ids: Vec<Option<String>>,
    geometries: Vec<Option<Geometry<f64>>>,
    /// Indices of the features whose rings were closed.
    closed: Vec<usize>,
    columns: Columns<'a>,
    /// The columns of appended regions (see [`Assembler::append`]).
    chunks: Chunks,
    /// The number of features expected (0 if unknown), to size the columns once.
    reserve: usize,
}

impl<'a, 'o> Assembler<'a, 'o> {
    fn new(name: &'o str, opts: &'o ReadOptions, reserve: usize) -> Self {
        Assembler {
            name,
            opts,
            ids: Vec::with_capacity(reserve),
            geometries: Vec::with_capacity(reserve),
            closed: Vec::new(),
            columns: Columns::default(),
            chunks: Chunks::default(),
            reserve,
        }
    }

    fn add(&mut self, mut features: Vec<RawFeature<'a>>) -> Result<(), IoError> {
        let (name, offset) = (self.name, self.geometries.len());
        for (k, f) in features.iter().enumerate() {
            if let Some(Text(kind)) = &f.kind
                && kind != "Feature"
            {
                return Err(IoError::Feature {
                    path: name.into(),
                    id: f.id.as_ref().map(|v| v.0.clone()),
                    index: offset + k,
                    problem: format!("has type {kind:?}, expected \"Feature\""),
                });
            }
        }
        match &self.opts.id_field {
            Some(field) => {
                let ids = ids_from_field(name, &features, field, offset)?;
                self.ids.extend(ids.into_iter().map(Some));
            }
            None => self
                .ids
                .extend(features.iter().map(|f| f.id.as_ref().map(|v| v.0.clone()))),
        }
        self.columns.add(&mut features, offset, self.reserve);

        let close = self.opts.close_rings;
        let ids = &self.ids[offset..];
        if features.iter().all(|f| f.ready.is_some()) {
            // Read by the fast reader: converted and checked already, no ring was closed.
            self.geometries
                .extend(features.into_iter().map(|f| f.ready.flatten()));
            return Ok(());
        }
        let raw: Vec<Option<RawGeometry>> = features.into_iter().map(|f| f.geometry).collect();
        type Converted = Result<(Option<Geometry<f64>>, bool), IoError>;
        let converted: Vec<Converted> = raw
            .into_par_iter()
            .enumerate()
            .map(|(k, g)| {
                let Some(g) = g else { return Ok((None, false)) };
                let mut closed = false;
                to_geometry(g, close, &mut closed)
                    .map(|g| (Some(g), closed))
                    .map_err(|problem| IoError::Feature {
                        path: name.into(),
                        id: ids[k].clone(),
                        index: offset + k,
                        problem,
                    })
            })
            .collect();
        for (k, c) in converted.into_iter().enumerate() {
            let (g, closed) = c?;
            if closed {
                self.closed.push(offset + k);
            }
            self.geometries.push(g);
        }
        Ok(())
    }

    /// Makes room for `n` features in all, so that appending regions does not grow (and copy)
    /// the ids and geometries step by step.
    fn reserve(&mut self, n: usize) {
        self.ids.reserve(n.saturating_sub(self.ids.len()));
        self.geometries.reserve(n.saturating_sub(self.geometries.len()));
    }

    /// Before any feature is added: expect `n` features, sizing the ids, geometries and
    /// columns once.
    fn expect(&mut self, n: usize) {
        self.reserve = n;
        self.reserve(n);
    }

    /// Appends a partial layer read from the features that follow.
    fn append(&mut self, part: Assembler<'a, 'o>, columns: Vec<Column>) {
        let offset = self.geometries.len();
        self.ids.extend(part.ids);
        self.geometries.extend(part.geometries);
        self.closed.extend(part.closed.iter().map(|&i| offset + i));
        self.chunks.add(offset, columns);
    }

    fn finish(self, crs: Crs) -> Result<(Layer, ReadReport), IoError> {
        self.finish_with(crs, None)
    }

    /// [`Assembler::finish`] with the attribute table given (that of the appended regions).
    fn finish_with(self, crs: Crs, attributes: Option<DataFrame>) -> Result<(Layer, ReadReport), IoError> {
        let name = self.name;
        let n = self.geometries.len();
        // Without an id field: the `id` members if every feature has one, else the index.
        let ids: Vec<String> = if n > 0 && self.ids.iter().all(Option::is_some) {
            // (a map, not a flatten: the vector is reused in place)
            self.ids.into_iter().map(Option::unwrap_or_default).collect()
        } else {
            (0..n).map(|i| i.to_string()).collect()
        };
        let report = ReadReport {
            closed_rings: self.closed.iter().map(|&i| ids[i].clone()).collect(),
        };
        let attributes = match attributes {
            Some(df) => df,
            None => self.columns.finish(name, n)?,
        };
        let source = match &self.opts.id_field {
            Some(f) => format!("field {f:?}"),
            None => "the GeoJSON \"id\" member".to_string(),
        };
        let layer = Layer::new(name, ids, self.geometries, attributes, crs).map_err(|e| {
            let e = match e {
                LayerError::DuplicateId {
                    layer,
                    id,
                    first,
                    second,
                    ..
                } => LayerError::DuplicateId {
                    layer,
                    id,
                    id_source: Some(source),
                    first,
                    second,
                },
                e => e,
            };
            IoError::layer(name, e)
        })?;
        check_plausible(&layer).map_err(|e| IoError::crs(name, e))?;
        Ok((layer, report))
    }
}

fn json_error(name: &str, bytes: &[u8], e: &serde_json::Error) -> IoError {
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
fn byte_offset(bytes: &[u8], line: usize, column: usize) -> Option<usize> {
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
fn feature_at(bytes: &[u8], at: usize) -> Option<usize> {
    let features = split_top(bytes)?.features?;
    features
        .iter()
        .position(|r| r.start <= at && at < r.end.max(r.start + 1))
}

// ---------------------------------------------------------------------------------------------
// ids and properties

/// The ids of a chunk of features from their `field` property; `offset` is the chunk's first
/// feature index (for messages).
fn ids_from_field(
    name: &str,
    features: &[RawFeature<'_>],
    field: &str,
    offset: usize,
) -> Result<Vec<String>, IoError> {
    features
        .par_iter()
        .enumerate()
        .map(|(k, f)| {
            let value = f.properties.as_ref().and_then(|p| {
                p.0.iter()
                    .rev()
                    .find(|(key, _)| key.as_ref() == field)
                    .map(|(_, v)| v)
            });
            let problem = match value {
                None => "the id field is missing from this feature's properties",
                Some(PropValue::Null) => "the id field is null",
                Some(v) => return Ok(v.as_text()),
            };
            Err(IoError::Field {
                path: name.into(),
                id: f.id.as_ref().map(|v| v.0.clone()),
                index: offset + k,
                field: field.to_string(),
                problem: format!("{problem}; every feature needs an id"),
            })
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    Int,
    Float,
    Str,
    Text,
}

/// Property values gathered column by column, over chunks of features.
#[derive(Default)]
struct Columns<'a> {
    index: HashMap<String, usize>,
    names: Vec<String>,
    values: Vec<ColumnValues<'a>>,
}

/// The values of one column: typed while every value has one kind (the usual case: 16 bytes
/// an integer instead of a 32-byte `PropValue`), else the values as read, typed at the end.
/// `None` is a null (or a key missing from a feature).
enum ColumnValues<'a> {
    Nulls(usize),
    Bool(Vec<Option<bool>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Str(Vec<Option<Cow<'a, str>>>),
    Mixed(Vec<PropValue<'a>>),
}

impl<'a> ColumnValues<'a> {
    fn len(&self) -> usize {
        match self {
            ColumnValues::Nulls(n) => *n,
            ColumnValues::Bool(v) => v.len(),
            ColumnValues::Int(v) => v.len(),
            ColumnValues::Float(v) => v.len(),
            ColumnValues::Str(v) => v.len(),
            ColumnValues::Mixed(v) => v.len(),
        }
    }

    /// Keeps the first `n` values.
    fn truncate(&mut self, n: usize) {
        match self {
            ColumnValues::Nulls(k) => *k = (*k).min(n),
            ColumnValues::Bool(v) => v.truncate(n),
            ColumnValues::Int(v) => v.truncate(n),
            ColumnValues::Float(v) => v.truncate(n),
            ColumnValues::Str(v) => v.truncate(n),
            ColumnValues::Mixed(v) => v.truncate(n),
        }
    }

    /// Pads with nulls to `n` values.
    fn pad(&mut self, n: usize) {
        match self {
            ColumnValues::Nulls(k) => *k = (*k).max(n),
            ColumnValues::Bool(v) => v.resize(n, None),
            ColumnValues::Int(v) => v.resize(n, None),
            ColumnValues::Float(v) => v.resize(n, None),
            ColumnValues::Str(v) => v.resize(n, None),
            ColumnValues::Mixed(v) => v.resize_with(n, || PropValue::Null),
        }
    }

    /// The values as read (a column that turned out mixed).
    fn into_mixed(self) -> Vec<PropValue<'a>> {
        fn map<T>(v: Vec<Option<T>>, f: impl Fn(T) -> PropValue<'static>) -> Vec<PropValue<'static>> {
            v.into_iter().map(|x| x.map_or(PropValue::Null, &f)).collect()
        }
        match self {
            ColumnValues::Nulls(n) => (0..n).map(|_| PropValue::Null).collect(),
            ColumnValues::Bool(v) => map(v, PropValue::Bool),
            ColumnValues::Int(v) => map(v, PropValue::Int),
            ColumnValues::Float(v) => map(v, PropValue::Float),
            ColumnValues::Str(v) => v
                .into_iter()
                .map(|x| x.map_or(PropValue::Null, PropValue::Str))
                .collect(),
            ColumnValues::Mixed(v) => v,
        }
    }

    /// Appends a value (the column has exactly the preceding features' values).
    fn push(&mut self, v: PropValue<'a>, reserve: usize) {
        match (&mut *self, v) {
            (ColumnValues::Mixed(col), v) => col.push(v),
            (_, PropValue::Null) => self.pad(self.len() + 1),
            (ColumnValues::Bool(col), PropValue::Bool(b)) => col.push(Some(b)),
            (ColumnValues::Int(col), PropValue::Int(x)) => col.push(Some(x)),
            (ColumnValues::Float(col), PropValue::Float(x)) => col.push(Some(x)),
            (ColumnValues::Str(col), PropValue::Str(x)) => col.push(Some(x)),
            (ColumnValues::Nulls(n), v) => {
                let n = *n;
                fn start<T>(n: usize, reserve: usize, x: T) -> Vec<Option<T>> {
                    let mut col = Vec::with_capacity(reserve.max(n + 1));
                    col.resize_with(n, || None);
                    col.push(Some(x));
                    col
                }
                *self = match v {
                    PropValue::Bool(b) => ColumnValues::Bool(start(n, reserve, b)),
                    PropValue::Int(x) => ColumnValues::Int(start(n, reserve, x)),
                    PropValue::Float(x) => ColumnValues::Float(start(n, reserve, x)),
                    PropValue::Str(x) => ColumnValues::Str(start(n, reserve, x)),
                    v => {
                        let mut col: Vec<PropValue<'a>> = (0..n).map(|_| PropValue::Null).collect();
                        col.push(v);
                        ColumnValues::Mixed(col)
                    }
                };
            }
            (_, v) => {
                let mut col = std::mem::replace(self, ColumnValues::Nulls(0)).into_mixed();
                col.push(v);
                *self = ColumnValues::Mixed(col);
            }
        }
    }
}

impl<'a> Columns<'a> {
    /// Moves the properties of a chunk of features (the first at `offset`) into the columns;
    /// `reserve` is the number of features expected in all.
    fn add(&mut self, features: &mut [RawFeature<'a>], offset: usize, reserve: usize) {
        for (k, f) in features.iter_mut().enumerate() {
            let i = offset + k;
            let Some(props) = f.properties.take() else {
                continue;
            };
            for (j, (key, v)) in props.0.into_iter().enumerate() {
                // Features usually list their keys in the same order: try that before hashing.
                let c = match self.names.get(j) {
                    Some(n) if n.as_str() == key.as_ref() => j,
                    _ => match self.index.get(key.as_ref()) {
                        Some(&c) => c,
                        None => {
                            let c = self.names.len();
                            self.index.insert(key.to_string(), c);
                            self.names.push(key.into_owned());
                            self.values.push(ColumnValues::Nulls(0));
                            c
                        }
                    },
                };
                let col = &mut self.values[c];
                // A repeated key in one object: the last value wins (as in serde_json's maps).
                if col.len() == i + 1 {
                    col.truncate(i);
                }
                col.pad(i);
                col.push(v, reserve);
            }
        }
    }

    /// The typed columns of `n` features (one per key, in order of first appearance).
    fn finish(self, name: &str, n: usize) -> Result<DataFrame, IoError> {
        let columns = self
            .names
            .into_par_iter()
            .zip(self.values)
            .map(|(name, vals)| typed_column(&name, vals, n))
            .collect::<Vec<_>>();
        DataFrame::new(n, columns).map_err(|e| IoError::table(name, e))
    }

    /// [`Columns::finish`] of one region, on the calling thread.
    fn into_columns(self, n: usize) -> Vec<Column> {
        self.names
            .into_iter()
            .zip(self.values)
            .map(|(name, vals)| typed_column(&name, vals, n))
            .collect()
    }
}

/// The polars column of one key's values over `n` features (missing values at the end are
/// null).
fn typed_column(name: &str, mut vals: ColumnValues<'_>, n: usize) -> Column {
    vals.pad(n);
    match vals {
        ColumnValues::Nulls(n) => Column::new(name.into(), vec![None::<&str>; n]),
        ColumnValues::Bool(v) => Column::new(name.into(), v),
        ColumnValues::Int(v) => Column::new(name.into(), v),
        ColumnValues::Float(v) => Column::new(name.into(), v),
        ColumnValues::Str(v) => Column::new(
            name.into(),
            v.iter().map(|s| s.as_deref()).collect::<Vec<Option<&str>>>(),
        ),
        ColumnValues::Mixed(v) => make_column(name, v),
    }
}

/// The columns of the regions of a layer, as each region typed them, until the layer is
/// finished: joined as polars chunks (no copy of the values) when the regions agree on a
/// column's type, as a one-pass read would have typed it.
#[derive(Default)]
struct Chunks {
    index: HashMap<String, usize>,
    /// Per column, in order of first appearance: its name and the `(first feature, column)`
    /// of each region that has it.
    columns: Vec<(String, Vec<(usize, Column)>)>,
}

impl Chunks {
    fn add(&mut self, offset: usize, columns: Vec<Column>) {
        for column in columns {
            let key = column.name().as_str();
            let c = match self.index.get(key) {
                Some(&c) => c,
                None => {
                    self.index.insert(key.to_string(), self.columns.len());
                    self.columns.push((key.to_string(), Vec::new()));
                    self.columns.len() - 1
                }
            };
            self.columns[c].1.push((offset, column));
        }
    }

    /// The columns of all `n` features, or `None` when regions typed a column differently in
    /// a way that joining the chunks cannot reproduce (e.g. strings in one region, numbers in
    /// another): the caller then reads the layer in one pass. Regions where a column is all
    /// null take the other regions' type; integers and floats make a float column (integers
    /// converted exactly as a one-pass read converts them).
    fn finish(self, n: usize) -> Option<Vec<Column>> {
        self.columns
            .into_par_iter()
            .map(|(name, pieces)| join_chunks(&name, pieces, n))
            .collect()
    }
}

fn join_chunks(name: &str, pieces: Vec<(usize, Column)>, n: usize) -> Option<Column> {
    use polars::prelude::{IntoColumn, Series};
    let valued: Vec<(usize, Column)> = pieces
        .into_iter()
        .filter(|(_, c)| c.null_count() < c.len())
        .collect();
    let mut dtype: Option<DataType> = None;
    for (_, c) in &valued {
        dtype = Some(match (dtype, c.dtype()) {
            (None, d) => d.clone(),
            (Some(a), b) if &a == b => a,
            (Some(DataType::Int64 | DataType::Float64), DataType::Int64 | DataType::Float64) => {
                DataType::Float64
            }
            _ => return None,
        });
    }
    let Some(dtype) = dtype else {
        return Some(Column::new(name.into(), vec![None::<&str>; n]));
    };
    let nulls = |k: usize| Series::full_null(name.into(), k, &dtype).into_column();
    let mut out: Option<Column> = None;
    let mut end = 0;
    let push = |c: Column, out: &mut Option<Column>| -> Option<()> {
        match out {
            None => *out = Some(c),
            Some(o) => {
                o.append_owned(c).ok()?;
            }
        }
        Some(())
    };
    for (offset, c) in valued {
        if offset > end {
            push(nulls(offset - end), &mut out)?;
        }
        end = offset + c.len();
        let c = if c.dtype() == &dtype {
            c
        } else {
            c.cast(&dtype).ok()?
        };
        push(c, &mut out)?;
    }
    if n > end {
        push(nulls(n - end), &mut out)?;
    }
    out
}

impl<'a> Columns<'a> {}

fn make_column(name: &str, vals: Vec<PropValue<'_>>) -> Column {
    let mut kind = Kind::Null;
    for v in &vals {
        let k = match v {
            PropValue::Null => continue,
            PropValue::Bool(_) => Kind::Bool,
            PropValue::Int(_) => Kind::Int,
            PropValue::Float(_) => Kind::Float,
            PropValue::Str(_) => Kind::Str,
            PropValue::Json(_) => Kind::Text,
        };
        kind = match (kind, k) {
            (Kind::Null, k) => k,
            (a, b) if a == b => a,
            (Kind::Int, Kind::Float) | (Kind::Float, Kind::Int) => Kind::Float,
            _ => Kind::Text,
        };
        if kind == Kind::Text {
            break;
        }
    }
    let name = name.into();
    match kind {
        Kind::Bool => Column::new(
            name,
            vals.into_iter()
                .map(|v| match v {
                    PropValue::Bool(b) => Some(b),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        ),
        Kind::Int => Column::new(
            name,
            vals.into_iter()
                .map(|v| match v {
                    PropValue::Int(x) => Some(x),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        ),
        Kind::Float => Column::new(
            name,
            vals.into_iter()
                .map(|v| match v {
                    PropValue::Int(x) => Some(x as f64),
                    PropValue::Float(x) => Some(x),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        ),
        Kind::Null | Kind::Str => Column::new(
            name,
            vals.iter()
                .map(|v| match v {
                    PropValue::Str(s) => Some(s.as_ref()),
                    _ => None,
                })
                .collect::<Vec<Option<&str>>>(),
        ),
        Kind::Text => Column::new(
            name,
            vals.into_iter()
                .map(|v| match v {
                    PropValue::Null => None,
                    PropValue::Str(s) => Some(s.into_owned()),
                    PropValue::Json(s) => Some(s),
                    other => Some(other.as_text()),
                })
                .collect::<Vec<_>>(),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// geometry conversion

fn describe(n: &Nested) -> &'static str {
    match n {
        Nested::Empty => "an empty array",
        Nested::Position(_) => "a single position",
        Nested::Positions(_) => "an array of positions",
        Nested::Lists(_) => "an array of arrays of positions (or deeper)",
    }
}

fn ring(v: Vec<Coord>, label: &str, close: bool, closed: &mut bool) -> Result<LineString, String> {
    let mut v = v;
    if let (Some(&first), Some(&last)) = (v.first(), v.last())
        && first != last
    {
        if close {
            v.push(first);
            *closed = true;
        } else {
            return Err(format!(
                "{label} is not closed: first ({}, {}) != last ({}, {}) (--fix-invalid, or ReadOptions::close_rings, closes it)",
                first.x, first.y, last.x, last.y
            ));
        }
    }
    if v.len() < 4 {
        return Err(format!(
            "{label} has {} position{}; a linear ring needs at least 4 (the first repeated as the last)",
            v.len(),
            if v.len() == 1 { "" } else { "s" }
        ));
    }
    // The parser reserves room for 16 positions; a census block has 5.
    v.shrink_to_fit();
    Ok(LineString(v))
}

fn polygon(n: Nested, prefix: &str, close: bool, closed: &mut bool) -> Result<Polygon, String> {
    let rings = match n {
        Nested::Empty => return Ok(Polygon::new(LineString(vec![]), vec![])),
        Nested::Lists(rings) => rings,
        other => {
            return Err(format!(
                "{prefix}coordinates must be an array of rings (arrays of positions), found {}",
                describe(&other)
            ));
        }
    };
    let mut out = Vec::with_capacity(rings.len());
    for (r, n) in rings.into_iter().enumerate() {
        let label = format!("{prefix}ring {r}");
        let v = match n {
            Nested::Positions(v) => v,
            Nested::Empty => vec![],
            other => {
                return Err(format!(
                    "{label} must be an array of positions, found {}",
                    describe(&other)
                ));
            }
        };
        out.push(ring(v, &label, close, closed)?);
    }
    let mut rings = out.into_iter();
    let exterior = rings.next().unwrap_or_else(|| LineString(vec![]));
    Ok(Polygon::new(exterior, rings.collect()))
}

/// The serde path's conversion, for the fast reader's tests.
#[cfg(test)]
pub(crate) fn to_geometry_for_test(g: RawGeometry) -> Result<Geometry<f64>, String> {
    to_geometry(g, false, &mut false)
}

fn to_geometry(g: RawGeometry, close: bool, closed: &mut bool) -> Result<Geometry<f64>, String> {
    let RawGeometry {
        kind,
        coordinates,
        geometries,
    } = g;
    if kind == "GeometryCollection" {
        let Some(parts) = geometries else {
            return Err("a GeometryCollection needs a \"geometries\" array".into());
        };
        return parts
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let k = p.kind.clone();
                to_geometry(p, close, closed).map_err(|e| format!("geometry {i} ({k}): {e}"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|v| Geometry::GeometryCollection(GeometryCollection(v)));
    }
    let known = matches!(
        kind.as_str(),
        "Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon" | "MultiPolygon"
    );
    if !known {
        return Err(format!(
            "unknown geometry type {kind:?} (expected Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon or GeometryCollection)"
        ));
    }
    let Some(c) = coordinates else {
        return Err(format!("the {kind} has no \"coordinates\""));
    };
    let wrong = |expected: &str, found: &Nested| {
        format!(
            "a {kind}'s coordinates must be {expected}, found {}",
            describe(found)
        )
    };
    Ok(match kind.as_str() {
        "Point" => match c {
            Nested::Position(p) => Geometry::Point(Point(p)),
            other => return Err(wrong("a position [x, y]", &other)),
        },
        "MultiPoint" => match c {
            Nested::Positions(v) => Geometry::MultiPoint(MultiPoint(v.into_iter().map(Point).collect())),
            Nested::Empty => Geometry::MultiPoint(MultiPoint(vec![])),
            other => return Err(wrong("an array of positions", &other)),
        },
        "LineString" => match c {
            Nested::Positions(v) if v.len() >= 2 => Geometry::LineString(LineString(v)),
            Nested::Positions(_) => {
                return Err("a LineString needs at least 2 positions, found 1".into());
            }
            Nested::Empty => Geometry::LineString(LineString(vec![])),
            other => return Err(wrong("an array of positions", &other)),
        },
        "MultiLineString" => match c {
            Nested::Empty => Geometry::MultiLineString(MultiLineString(vec![])),
            Nested::Lists(lines) => {
                let mut out = Vec::with_capacity(lines.len());
                for (i, l) in lines.into_iter().enumerate() {
                    match l {
                        Nested::Positions(v) if v.len() >= 2 => out.push(LineString(v)),
                        Nested::Empty => out.push(LineString(vec![])),
                        Nested::Positions(_) => {
                            return Err(format!("line {i} needs at least 2 positions, found 1"));
                        }
                        other => {
                            return Err(format!(
                                "line {i} must be an array of positions, found {}",
                                describe(&other)
                            ));
                        }
                    }
                }
                Geometry::MultiLineString(MultiLineString(out))
            }
            other => return Err(wrong("an array of lines (arrays of positions)", &other)),
        },
        "Polygon" => Geometry::Polygon(polygon(c, "", close, closed)?),
        _ => match c {
            Nested::Empty => Geometry::MultiPolygon(MultiPolygon(vec![])),
            Nested::Lists(polys) => {
                let mut out = Vec::with_capacity(polys.len());
                for (i, p) in polys.into_iter().enumerate() {
                    let prefix = format!("polygon {i}, ");
                    if matches!(p, Nested::Positions(_) | Nested::Position(_)) {
                        return Err(format!(
                            "{prefix}coordinates must be an array of rings, found {} (is this a Polygon typed as MultiPolygon?)",
                            describe(&p)
                        ));
                    }
                    out.push(polygon(p, &prefix, close, closed)?);
                }
                Geometry::MultiPolygon(MultiPolygon(out))
            }
            other => return Err(wrong("an array of polygons", &other)),
        },
    })
}

// ---------------------------------------------------------------------------------------------
// serde types

#[derive(Deserialize)]
struct Top<'a> {
    #[serde(rename = "type")]
    kind: Option<String>,
    crs: Option<CrsMember>,
    #[serde(borrow)]
    features: Option<Vec<RawFeature<'a>>>,
}

#[derive(Deserialize)]
struct CrsMember {
    #[serde(rename = "type")]
    kind: Option<String>,
    properties: Option<CrsProperties>,
}

#[derive(Deserialize)]
struct CrsProperties {
    name: Option<String>,
}

impl CrsMember {
    fn to_crs(&self, path: &str) -> Result<Crs, IoError> {
        match (&self.kind, self.properties.as_ref().and_then(|p| p.name.as_ref())) {
            (Some(k), Some(name)) if k == "name" => Crs::parse(name).map_err(|e| IoError::crs(path, e)),
            _ => Err(IoError::format(
                path,
                "the \"crs\" member must be {\"type\": \"name\", \"properties\": {\"name\": \"urn:ogc:def:crs:EPSG::<code>\"}} (linked CRSs are not supported)",
            )),
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct RawFeature<'a> {
    #[serde(rename = "type", borrow)]
    pub(crate) kind: Option<Text<'a>>,
    pub(crate) id: Option<IdValue>,
    #[serde(borrow)]
    pub(crate) properties: Option<Props<'a>>,
    pub(crate) geometry: Option<RawGeometry>,
    /// The geometry already converted (by the fast reader, [`crate::fast`]); `None` on the
    /// serde path, where `geometry` is converted later.
    #[serde(skip)]
    pub(crate) ready: Option<Option<Geometry<f64>>>,
}

/// A feature id: a string or a number, as text.
pub(crate) struct IdValue(pub(crate) String);

impl<'de> Deserialize<'de> for IdValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = IdValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a feature id (a string or a number)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IdValue, E> {
                Ok(IdValue(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<IdValue, E> {
                Ok(IdValue(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IdValue, E> {
                Ok(IdValue(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IdValue, E> {
                Ok(IdValue(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<IdValue, E> {
                Ok(IdValue(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// One property value.
pub(crate) enum PropValue<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    /// An object or array, as JSON text.
    Json(String),
}

impl PropValue<'_> {
    fn as_text(&self) -> String {
        match self {
            PropValue::Null => "null".into(),
            PropValue::Bool(b) => b.to_string(),
            PropValue::Int(x) => x.to_string(),
            PropValue::Float(x) => x.to_string(),
            PropValue::Str(s) => s.to_string(),
            PropValue::Json(s) => s.clone(),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for PropValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = PropValue<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<PropValue<'a>, E> {
                Ok(PropValue::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<PropValue<'a>, E> {
                Ok(PropValue::Null)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<PropValue<'a>, E> {
                Ok(PropValue::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PropValue<'a>, E> {
                Ok(PropValue::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PropValue<'a>, E> {
                Ok(match i64::try_from(v) {
                    Ok(i) => PropValue::Int(i),
                    Err(_) => PropValue::Float(v as f64),
                })
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<PropValue<'a>, E> {
                Ok(PropValue::Float(v))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<PropValue<'a>, E> {
                Ok(PropValue::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PropValue<'a>, E> {
                Ok(PropValue::Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<PropValue<'a>, E> {
                Ok(PropValue::Str(Cow::Owned(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PropValue<'a>, A::Error> {
                let mut v = Vec::new();
                while let Some(e) = seq.next_element::<serde_json::Value>()? {
                    v.push(e);
                }
                Ok(PropValue::Json(serde_json::Value::Array(v).to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PropValue<'a>, A::Error> {
                let mut m = serde_json::Map::new();
                while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                    m.insert(k, v);
                }
                Ok(PropValue::Json(serde_json::Value::Object(m).to_string()))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A key or string that borrows from the input when it has no escapes.
pub(crate) struct Text<'a>(pub(crate) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

/// A feature's properties, in file order.
pub(crate) struct Props<'a>(pub(crate) Vec<(Cow<'a, str>, PropValue<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Props<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Props<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a properties object or null")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Props<'a>, A::Error> {
                let mut v = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((Text(k), value)) = map.next_entry::<Text<'a>, PropValue<'a>>()? {
                    v.push((k, value));
                }
                Ok(Props(v))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// A geometry as parsed: its type and its nested coordinates, converted later.
pub(crate) struct RawGeometry {
    kind: String,
    coordinates: Option<Nested>,
    geometries: Option<Vec<RawGeometry>>,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum GeometryField {
    Type,
    Coordinates,
    Geometries,
    #[serde(other)]
    Other,
}

impl<'de> Deserialize<'de> for RawGeometry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawGeometry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a GeoJSON geometry object or null")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawGeometry, A::Error> {
                let mut kind = None;
                let mut coordinates = None;
                let mut geometries = None;
                while let Some(key) = map.next_key::<GeometryField>()? {
                    match key {
                        GeometryField::Type => kind = Some(map.next_value::<String>()?),
                        GeometryField::Coordinates => coordinates = Some(map.next_value::<Nested>()?),
                        GeometryField::Geometries => geometries = Some(map.next_value::<Vec<RawGeometry>>()?),
                        GeometryField::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let kind = kind.ok_or_else(|| de::Error::missing_field("type"))?;
                Ok(RawGeometry {
                    kind,
                    coordinates,
                    geometries,
                })
            }
        }
        d.deserialize_map(V)
    }
}

/// Nested coordinate arrays of any depth, decided by the data (so that `coordinates` may come
/// before `type`): positions are parsed straight into `Coord`s.
enum Nested {
    Empty,
    Position(Coord),
    Positions(Vec<Coord>),
    Lists(Vec<Nested>),
}

const POSITION: &str = "a position: an array of 2 or 3 numbers";

/// Reads the rest of a position after its first number.
fn finish_position<'de, A: SeqAccess<'de>>(x: f64, seq: &mut A) -> Result<Coord, A::Error> {
    let y: f64 = seq
        .next_element()?
        .ok_or_else(|| de::Error::invalid_length(1, &POSITION))?;
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(Coord { x, y })
}

/// A position parsed directly (the fast path once a list is known to hold positions).
struct Pos(Coord);

impl<'de> Deserialize<'de> for Pos {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Pos;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(POSITION)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Pos, A::Error> {
                let x: f64 = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &POSITION))?;
                finish_position(x, &mut seq).map(Pos)
            }
        }
        d.deserialize_seq(V)
    }
}

struct NestedVisitor;

impl<'de> Visitor<'de> for NestedVisitor {
    type Value = Nested;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of coordinates")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Nested, A::Error> {
        match seq.next_element_seed(ElemSeed)? {
            None => Ok(Nested::Empty),
            Some(Elem::Num(x)) => finish_position(x, &mut seq).map(Nested::Position),
            Some(Elem::Arr(Nested::Position(c))) => {
                let mut v = Vec::with_capacity(16);
                v.push(c);
                while let Some(Pos(c)) = seq.next_element::<Pos>()? {
                    v.push(c);
                }
                Ok(Nested::Positions(v))
            }
            Some(Elem::Arr(first)) => {
                let mut v = vec![first];
                while let Some(n) = seq.next_element::<Nested>()? {
                    v.push(n);
                }
                Ok(Nested::Lists(v))
            }
        }
    }
}

impl<'de> Deserialize<'de> for Nested {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(NestedVisitor)
    }
}

enum Elem {
    Num(f64),
    Arr(Nested),
}

struct ElemSeed;

impl<'de> DeserializeSeed<'de> for ElemSeed {
    type Value = Elem;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Elem, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Elem;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or an array of coordinates")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Elem, E> {
                Ok(Elem::Num(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Elem, E> {
                Ok(Elem::Num(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Elem, E> {
                Ok(Elem::Num(v as f64))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Elem, A::Error> {
                NestedVisitor.visit_seq(seq).map(Elem::Arr)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<(Layer, ReadReport), IoError> {
        parse_geojson("t.geojson", text.as_bytes(), &ReadOptions::default())
    }

    fn fc(features: &str) -> String {
        format!(r#"{{"type": "FeatureCollection", "features": [{features}]}}"#)
    }

    const SQUARE: &str = r#"{"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#;

    #[test]
    fn coordinates_before_type_and_3d_positions() {
        let t = fc(
            r#"{"type": "Feature", "properties": {}, "geometry": {"coordinates": [[[0,0,5],[1,0,5],[1,1,5],[0,0,5]]], "type": "Polygon"}},
            {"type": "Feature", "properties": {}, "geometry": {"type": "MultiPolygon", "coordinates": [[[[0,0],[1,0],[1,1],[0,0]]], [[[2,2],[3,2],[3,3],[2,2]], [[2.1,2.1],[2.2,2.1],[2.2,2.2],[2.1,2.1]]]]}},
            {"type": "Feature", "properties": {}, "geometry": {"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [1, 2]}, {"type": "LineString", "coordinates": [[1,2],[3,4]]}]}},
            {"type": "Feature", "properties": {}, "geometry": {"type": "MultiLineString", "coordinates": [[[1,2],[3,4]]]}},
            {"type": "Feature", "properties": {}, "geometry": {"type": "MultiPoint", "coordinates": [[1,2],[3,4]]}}"#,
        );
        let (l, _) = parse(&t).unwrap();
        assert_eq!(l.ids, ["0", "1", "2", "3", "4"]);
        let Some(Geometry::Polygon(p)) = &l.geometries[0] else {
            panic!()
        };
        assert_eq!(p.exterior().0.len(), 4);
        let Some(Geometry::MultiPolygon(mp)) = &l.geometries[1] else {
            panic!()
        };
        assert_eq!(mp.0.len(), 2);
        assert_eq!(mp.0[1].interiors().len(), 1);
        assert!(matches!(&l.geometries[2], Some(Geometry::GeometryCollection(g)) if g.0.len() == 2));
        assert!(matches!(&l.geometries[3], Some(Geometry::MultiLineString(g)) if g.0.len() == 1));
        assert!(matches!(&l.geometries[4], Some(Geometry::MultiPoint(g)) if g.0.len() == 2));
    }

    #[test]
    fn property_types_are_inferred_over_all_features() {
        let t = fc(&format!(
            r#"{{"type": "Feature", "id": "a", "properties": {{"i": 1, "f": 1, "s": "x", "b": true, "m": 1, "o": {{"k": [1]}}, "n": null}}, "geometry": {SQUARE}}},
               {{"type": "Feature", "id": "b", "properties": {{"i": null, "f": 2.5, "s": null, "b": false, "m": "*", "extra": 7}}, "geometry": null}}"#
        ));
        let (l, _) = parse(&t).unwrap();
        assert_eq!(l.ids, ["a", "b"]);
        assert!(l.geometries[1].is_none());
        let df = &l.attributes;
        let names: Vec<&str> = df.get_column_names().iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["i", "f", "s", "b", "m", "o", "n", "extra"]);
        use polars::prelude::DataType;
        let dt = |c: &str| df.column(c).unwrap().dtype().clone();
        assert_eq!(dt("i"), DataType::Int64);
        assert_eq!(dt("f"), DataType::Float64);
        assert_eq!(dt("s"), DataType::String);
        assert_eq!(dt("b"), DataType::Boolean);
        assert_eq!(dt("m"), DataType::String);
        assert_eq!(dt("o"), DataType::String);
        assert_eq!(dt("extra"), DataType::Int64);
        assert_eq!(l.numeric_column("m").unwrap(), [Some(1.0), None]);
        assert_eq!(l.numeric_column("extra").unwrap(), [None, Some(7.0)]);
        let o = df.column("o").unwrap().str().unwrap().get(0).map(str::to_string);
        assert_eq!(o.as_deref(), Some(r#"{"k":[1]}"#));
    }

    #[test]
    fn escaped_keys_and_strings() {
        let t = fc(
            r#"{"type": "Feature", "properties": {"na\u00f1o": "a\"b", "plain": "NARI\u00d1O"}, "geometry": null}"#,
        );
        let (l, _) = parse(&t).unwrap();
        let col = |c: &str| {
            l.attributes
                .column(c)
                .unwrap()
                .str()
                .unwrap()
                .get(0)
                .map(str::to_string)
        };
        assert_eq!(col("naño").as_deref(), Some("a\"b"));
        assert_eq!(col("plain").as_deref(), Some("NARIÑO"));
    }

    #[test]
    fn ids_from_a_field_or_the_index() {
        let t = fc(&format!(
            r#"{{"type": "Feature", "id": 7, "properties": {{"code": "U1"}}, "geometry": {SQUARE}}},
               {{"type": "Feature", "properties": {{"code": "U2"}}, "geometry": {SQUARE}}}"#
        ));
        assert_eq!(parse(&t).unwrap().0.ids, ["0", "1"]);
        let opts = ReadOptions {
            id_field: Some("code".into()),
            ..Default::default()
        };
        let (l, _) = parse_geojson("t.geojson", t.as_bytes(), &opts).unwrap();
        assert_eq!(l.ids, ["U1", "U2"]);
        let opts = ReadOptions {
            id_field: Some("nope".into()),
            ..Default::default()
        };
        let err = parse_geojson("t.geojson", t.as_bytes(), &opts)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("t.geojson: feature \"7\" (index 0), field \"nope\""),
            "{err}"
        );
        // duplicate ids are refused naming the file and where the ids come from
        let t = fc(&format!(
            r#"{{"type": "Feature", "id": "a", "properties": {{}}, "geometry": {SQUARE}}},
               {{"type": "Feature", "id": "a", "properties": {{}}, "geometry": {SQUARE}}}"#
        ));
        let err = parse(&t).unwrap_err().to_string();
        assert!(
            err.starts_with("t.geojson: id \"a\" (the GeoJSON \"id\" member) is used by features 0 and 1"),
            "{err}"
        );
    }

    #[test]
    fn unclosed_and_short_rings() {
        let t = fc(
            r#"{"type": "Feature", "id": "U12", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1]]]}}"#,
        );
        let err = parse(&t).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "t.geojson: feature \"U12\" (index 0): ring 0 is not closed: first (0, 0) != last (0, 1)"
            ),
            "{err}"
        );
        let opts = ReadOptions {
            close_rings: true,
            ..Default::default()
        };
        let (l, report) = parse_geojson("t.geojson", t.as_bytes(), &opts).unwrap();
        assert_eq!(report.closed_rings, ["U12"]);
        let Some(Geometry::Polygon(p)) = &l.geometries[0] else {
            panic!()
        };
        assert_eq!(p.exterior().0.len(), 5);
        let t = fc(
            r#"{"type": "Feature", "properties": {}, "geometry": {"type": "MultiPolygon", "coordinates": [[[[0,0],[1,0],[0,0]]]]}}"#,
        );
        let err = parse(&t).unwrap_err().to_string();
        assert!(
            err.contains("feature at index 0: polygon 0, ring 0 has 3 positions"),
            "{err}"
        );
    }

    /// A document large enough for the parallel path: one feature per line.
    fn many(n: usize, broken: Option<usize>) -> String {
        let mut t = String::from("{\"type\": \"FeatureCollection\", \"features\": [\n");
        for i in 0..n {
            let sep = if i + 1 < n { "," } else { "" };
            let late = if i == 900 { ",\"late\":9" } else { "" };
            let x = if Some(i) == broken {
                "1.0.5".to_string()
            } else {
                format!("{}.5", i % 170)
            };
            t.push_str(&format!(
                "{{\"type\":\"Feature\",\"id\":\"f{i}\",\"properties\":{{\"n\":{i},\"s\":\"a]}},{{\"{late}}},\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{x},4.5]}}}}{sep}\n"
            ));
        }
        t.push_str("]}");
        t
    }

    #[test]
    fn the_parallel_path_reads_what_serde_reads_and_reports_errors_at_the_right_line() {
        let t = many(1000, None);
        let (layer, _) = parse_geojson("big.geojson", t.as_bytes(), &ReadOptions::default()).unwrap();
        assert_eq!(layer.len(), 1000);
        assert_eq!(layer.ids[999], "f999");
        assert_eq!(layer.numeric_column("n").unwrap()[500], Some(500.0));
        // A key first seen in a late chunk is null for every earlier feature.
        let late = layer.numeric_column("late").unwrap();
        assert_eq!(late.iter().flatten().count(), 1);
        assert_eq!(late[900], Some(9.0));
        let Some(Geometry::Point(p)) = &layer.geometries[171] else {
            panic!()
        };
        assert_eq!((p.x(), p.y()), (1.5, 4.5));
        let t = many(1000, Some(700));
        match parse_geojson("big.geojson", t.as_bytes(), &ReadOptions::default()) {
            Err(IoError::Json { line, .. }) => assert_eq!(line, 702),
            other => panic!("{:?}", other.map(|_| ())),
        }
    }

    /// A document read by regions equals the one read the ordinary way: ids, geometries,
    /// columns and their types, CRS and report.
    fn same_layer(name: &str, text: &[u8], opts: &ReadOptions) {
        let (a, ra) = read_regional(name, text, opts)
            .unwrap_or_else(|| panic!("{name} is read by regions"))
            .unwrap();
        let (b, rb) = parse_whole(name, text, opts).unwrap();
        assert_eq!(a.ids, b.ids, "{name}");
        assert_eq!(a.geometries, b.geometries, "{name}");
        assert_eq!(a.crs, b.crs, "{name}");
        assert_eq!(ra.closed_rings, rb.closed_rings, "{name}");
        assert_eq!(a.attributes.schema(), b.attributes.schema(), "{name}");
        assert!(a.attributes.equals_missing(&b.attributes), "{name}");
    }

    #[test]
    fn regions_read_what_the_ordinary_path_reads() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        for file in [
            "tests/fixtures/city2k/units.geojson",
            "tests/fixtures/city2k/districts.geojson",
            "data/bogota/upz.geojson",
            "data/bogota/localidades.geojson",
            "data/bogota/streets_bosa_kennedy_ciudad_bolivar.geojson",
        ] {
            let path = format!("{root}/{file}");
            let Ok(bytes) = std::fs::read(&path) else {
                panic!("{path} is bundled")
            };
            same_layer(file, &bytes, &ReadOptions::default());
        }
        // Region boundaries guessed inside strings that look like feature boundaries, columns
        // whose type changes from region to region (int, float, all null, nested), keys that
        // appear late or in another order, features the fast reader leaves to serde (escapes,
        // unclosed rings with `close_rings`), and members after the array.
        let doc_of = |strings_from: usize| {
            let mut features = Vec::new();
            for i in 0..1500 {
                let n = match i / 300 {
                    _ if i >= strings_from => format!("\"s{i}\""),
                    0 | 3 => format!("{i}"),
                    1 => format!("{i}.5"),
                    _ => "null".to_string(),
                };
                let trap = if i % 7 == 0 { "}, {" } else { "plain" };
                let name = if i % 250 == 3 { "caf\\u00e9" } else { "x" };
                let late = if i > 1200 {
                    format!(r#", "late": {i}"#)
                } else {
                    String::new()
                };
                let ring = if i % 400 == 9 {
                    "[[0,0],[1,0],[1,1],[0,1]]"
                } else {
                    "[[0,0],[1,0],[1,1],[0,1],[0,0]]"
                };
                let nested = r#"[{"a": 1}, {"b": 2}]"#;
                let props = if i % 2 == 0 {
                    format!(r#"{{"n": {n}, "trap": "{trap}", "name": "{name}", "nested": {nested}{late}}}"#)
                } else {
                    format!(r#"{{"name": "{name}", "nested": {nested}, "trap": "{trap}", "n": {n}{late}}}"#)
                };
                features.push(format!(
                    r#"{{"type": "Feature", "id": "f{i}", "properties": {props}, "geometry": {{"type": "Polygon", "coordinates": [{ring}]}}}}"#
                ));
            }
            features.join(",\n  ")
        };
        let body = doc_of(usize::MAX);
        let opts = ReadOptions {
            close_rings: true,
            ..Default::default()
        };
        for doc in [
            format!(r#"{{"type": "FeatureCollection", "features": [{body}]}}"#),
            format!(
                r#"{{"features": [ {body} ], "type": "FeatureCollection", "crs": {{"type": "name", "properties": {{"name": "urn:ogc:def:crs:EPSG::4686"}}}}}}"#
            ),
        ] {
            assert!(doc.len() > 50 * REGION);
            same_layer("traps.geojson", doc.as_bytes(), &opts);
        }
        let text = format!(r#"{{"type": "FeatureCollection", "features": [{body}]}}"#);
        let (layer, report) = parse_geojson("traps.geojson", text.as_bytes(), &opts).unwrap();
        assert_eq!(layer.len(), 1500);
        assert_eq!(report.closed_rings, vec!["f9", "f409", "f809", "f1209"]);
        let dtype = |l: &Layer, c: &str| l.attributes.column(c).unwrap().dtype().clone();
        assert_eq!(dtype(&layer, "n"), polars::prelude::DataType::Float64);
        assert_eq!(dtype(&layer, "nested"), polars::prelude::DataType::String);
        assert_eq!(layer.numeric_column("late").unwrap()[1201], Some(1201.0));
        // Strings in one region and numbers in others: joining the regions' columns cannot
        // type them as one pass does (numbers as text), so the reader does it in one pass.
        let mixed = format!(
            r#"{{"type": "FeatureCollection", "features": [{}]}}"#,
            doc_of(1400)
        );
        assert!(read_regional("mixed.geojson", mixed.as_bytes(), &opts).is_none());
        let (a, _) = parse_geojson("mixed.geojson", mixed.as_bytes(), &opts).unwrap();
        let (b, _) = parse_whole("mixed.geojson", mixed.as_bytes(), &opts).unwrap();
        assert_eq!(dtype(&a, "n"), polars::prelude::DataType::String);
        assert!(a.attributes.equals_missing(&b.attributes));
        // Without `close_rings` the unclosed ring is an error naming its feature, as before.
        let strict = ReadOptions::default();
        let err = parse_geojson("traps.geojson", text.as_bytes(), &strict).unwrap_err();
        let whole = parse_whole("traps.geojson", text.as_bytes(), &strict).unwrap_err();
        let (err, whole) = (err.to_string(), whole.to_string());
        assert_eq!(err, whole);
        assert!(err.contains("f9"), "{err}");
    }

    #[test]
    fn wrong_documents() {
        let err = parse(SQUARE).unwrap_err().to_string();
        assert!(err.contains("found a bare Polygon geometry"), "{err}");
        let err = parse(&format!(
            r#"{{"type": "Feature", "properties": {{}}, "geometry": {SQUARE}}}"#
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("found a single Feature"), "{err}");
        let t = fc(
            r#"{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,0]"#,
        );
        let err = parse(&t[..t.len() - 4]).unwrap_err().to_string();
        assert!(
            err.starts_with("t.geojson: invalid GeoJSON at line 1, column"),
            "{err}"
        );
        assert!(err.contains("truncated"), "{err}");
        let err = parse("not json").unwrap_err().to_string();
        assert!(
            err.starts_with("t.geojson: invalid GeoJSON at line 1, column "),
            "{err}"
        );
        let t = fc(
            r#"{"type": "Feature", "id": "x", "properties": {}, "geometry": {"type": "Circle", "coordinates": [0, 0]}}"#,
        );
        let err = parse(&t).unwrap_err().to_string();
        assert!(
            err.contains("feature \"x\" (index 0): unknown geometry type \"Circle\""),
            "{err}"
        );
        let t = fc(
            r#"{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [[0, 0]]}}"#,
        );
        let err = parse(&t).unwrap_err().to_string();
        assert!(
            err.contains("a Point's coordinates must be a position [x, y], found an array of positions"),
            "{err}"
        );
        let t = fc(
            r#"{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [1e400, 0]}}"#,
        );
        assert!(matches!(parse(&t), Err(IoError::Json { .. })));
        let t = fc(
            r#"{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [1e300, 0]}}"#,
        );
        let err = parse(&t).unwrap_err().to_string();
        assert!(err.contains("not plausible"), "{err}");
    }

    #[test]
    fn crs_member_and_option() {
        let t = r#"{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::9377"}}, "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [4880248.4, 2066385.7]}}]}"#;
        assert_eq!(parse(t).unwrap().0.crs.epsg(), 9377);
        let t = fc(
            r#"{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [4880248.4, 2066385.7]}}"#,
        );
        let err = parse(&t).unwrap_err().to_string();
        assert!(err.contains("not plausible for EPSG:4326"), "{err}");
        let opts = ReadOptions {
            crs: Some(Crs::from_epsg(9377).unwrap()),
            ..Default::default()
        };
        assert_eq!(
            parse_geojson("t", t.as_bytes(), &opts).unwrap().0.crs.epsg(),
            9377
        );
    }
}
