//! Assembling a chunk of features into ids, geometries and property columns, in feature order.

use careblock_core::project::check_plausible;
use careblock_core::{Crs, Hint, Layer, LayerError};
use geo::Geometry;
use polars::prelude::{Column, DataFrame};
use rayon::prelude::*;

use super::columns::{Chunks, Columns};
use super::geometry::{NOT_CLOSED, to_geometry};
use super::raw::{PropValue, RawFeature, RawGeometry, Text};
use crate::{IoError, ReadOptions, ReadReport};

/// Builds a layer from features added chunk by chunk, in file order.
pub(super) struct Assembler<'a, 'o> {
    pub(super) name: &'o str,
    pub(super) opts: &'o ReadOptions,
    /// Ids from `opts.id_field`, or else the features' `id` members (settled in `finish`).
    pub(super) ids: Vec<Option<String>>,
    pub(super) geometries: Vec<Option<Geometry<f64>>>,
    /// Indices of the features whose rings were closed.
    pub(super) closed: Vec<usize>,
    pub(super) columns: Columns<'a>,
    /// The columns of appended regions (see [`Assembler::append`]).
    pub(super) chunks: Chunks,
    /// The number of features expected (0 if unknown), to size the columns once.
    pub(super) reserve: usize,
}

impl<'a, 'o> Assembler<'a, 'o> {
    pub(super) fn new(name: &'o str, opts: &'o ReadOptions, reserve: usize) -> Self {
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

    pub(super) fn add(&mut self, mut features: Vec<RawFeature<'a>>) -> Result<(), IoError> {
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
                    hint: None,
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
                        hint: problem.contains(NOT_CLOSED).then_some(Hint::FixInvalid),
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
    pub(super) fn reserve(&mut self, n: usize) {
        self.ids.reserve(n.saturating_sub(self.ids.len()));
        self.geometries.reserve(n.saturating_sub(self.geometries.len()));
    }

    /// Before any feature is added: expect `n` features, sizing the ids, geometries and
    /// columns once.
    pub(super) fn expect(&mut self, n: usize) {
        self.reserve = n;
        self.reserve(n);
    }

    /// Appends a partial layer read from the features that follow.
    pub(super) fn append(&mut self, part: Assembler<'a, 'o>, columns: Vec<Column>) {
        let offset = self.geometries.len();
        self.ids.extend(part.ids);
        self.geometries.extend(part.geometries);
        self.closed.extend(part.closed.iter().map(|&i| offset + i));
        self.chunks.add(offset, columns);
    }

    pub(super) fn finish(self, crs: Crs) -> Result<(Layer, ReadReport), IoError> {
        self.finish_with(crs, None)
    }

    /// [`Assembler::finish`] with the attribute table given (that of the appended regions).
    pub(super) fn finish_with(
        self,
        crs: Crs,
        attributes: Option<DataFrame>,
    ) -> Result<(Layer, ReadReport), IoError> {
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
            spherical_edges: false,
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

/// The ids of a chunk of features from their `field` property; `offset` is the chunk's first
/// feature index (for messages).
pub(super) fn ids_from_field(
    name: &str,
    features: &[RawFeature<'_>],
    field: &str,
    offset: usize,
) -> Result<Vec<String>, IoError> {
    fn value<'f>(f: &'f RawFeature<'_>, field: &str) -> Option<&'f PropValue<'f>> {
        f.properties.as_ref().and_then(|p| {
            p.0.iter()
                .rev()
                .find(|(key, _)| key.as_ref() == field)
                .map(|(_, v)| v)
        })
    }
    let ids: Vec<Option<String>> = features
        .par_iter()
        .map(|f| match value(f, field) {
            None | Some(PropValue::Null) => None,
            Some(v) => Some(v.as_text()),
        })
        .collect();
    // The first feature in file order without an id is the one named.
    if let Some(k) = ids.iter().position(Option::is_none) {
        let f = &features[k];
        let problem = match value(f, field) {
            Some(PropValue::Null) => "the id field is null",
            _ => "the id field is missing from this feature's properties",
        };
        return Err(IoError::Field {
            path: name.into(),
            id: f.id.as_ref().map(|v| v.0.clone()),
            index: offset + k,
            field: field.to_string(),
            problem: format!("{problem}; every feature needs an id"),
        });
    }
    Ok(ids.into_iter().flatten().collect())
}
