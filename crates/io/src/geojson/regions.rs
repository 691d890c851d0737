//! Reading a large document in regions: the features array is cut at guessed feature
//! boundaries, and each region is read on its own thread (fast path first, serde for what it
//! refuses), then the regions are joined in order.

use careblock_core::{Layer, WGS84};
use polars::prelude::{Column, DataFrame};
use rayon::prelude::*;

use super::assemble::Assembler;
use super::document::check_collection;
use super::raw::{CrsMember, RawFeature};
use super::split::{skip_ws, split_top_with};
use crate::{IoError, ReadOptions, ReadReport};

/// Documents from this size on are read by regions of the features array in parallel.
pub(super) const REGIONAL_FROM: usize = if cfg!(test) { 16 << 10 } else { 256 << 10 };

/// Bytes of the features array per region (small under test, so that the tests cross many
/// region boundaries).
pub(super) const REGION: usize = if cfg!(test) { 3 << 10 } else { 1 << 20 };

/// Reads a FeatureCollection in one parallel pass: the features array is cut into regions of
/// about [`REGION`] bytes, each starting at a guessed feature boundary (a `}` `,` `{` `"`
/// sequence), and each region's features are read (fast reader, else serde) into a partial
/// layer by one task. The guesses are then checked in order: a region counts only if the
/// region before it ended exactly where it started, otherwise it is read again from the true
/// boundary, so a wrong guess costs time, never correctness. `None` when anything is unusual
/// or wrong (a malformed document, a feature error, a member the scan does not understand):
/// the caller then reads the document the ordinary way, which gives the exact message.
pub(super) fn read_regional(
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
pub(super) fn read_regions<'a, 'o>(
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
pub(super) fn expected_features(features: usize, read: usize, span: usize) -> usize {
    (features as f64 * span as f64 / read.max(1) as f64).ceil() as usize
}

/// The first likely feature boundary at or after `from`: the `{` of a `}` `,` `{` `"`
/// sequence (whitespace allowed between them).
pub(super) fn guess_boundary(b: &[u8], from: usize) -> Option<usize> {
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
pub(super) struct Region<'a, 'o> {
    /// The region's features (ids, geometries, closed rings; its columns are in `columns`).
    pub(super) part: Assembler<'a, 'o>,
    pub(super) columns: Vec<Column>,
    pub(super) end: End,
}

pub(super) enum End {
    /// The array ended; the index just after its `]`.
    Array(usize),
    /// The index of the next feature (the first at or after the region's end).
    Next(usize),
}

/// Reads the features from the one starting at `start` up to (not including) the first that
/// starts at or after `stop`, or to the end of the array. `None` if the region cannot be read
/// (not a feature boundary, malformed JSON, a feature error).
pub(super) fn read_region<'a, 'o>(
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
            .then(|| super::fast::feature_at(b, i, &mut scratch))
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
                super::split::skip_value(b, i)?.end
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
