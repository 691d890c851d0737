//! The FlatGeobuf writer.

use std::collections::BTreeSet;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use careblock_core::{LayerView, WGS84};
use flatbuffers::{FlatBufferBuilder, WIPOffset};
use flatgeobuf::packed_r_tree::{NodeItem, PackedRTree, calc_extent};
use flatgeobuf::{
    ColumnArgs, ColumnType, CrsArgs, Feature, FeatureArgs, GeometryArgs, GeometryType, Header, HeaderArgs,
};
use geo::winding_order::{Winding, WindingOrder};
use geo::{Coord, CoordsIter, Geometry, LineString, Polygon};
use polars::prelude::Column;
use polars::prelude::StaticArray;
use rayon::prelude::*;

use super::{MAGIC, NODE_SIZE};

/// Features encoded and written per step: a few MB of bytes in memory at a time.
const CHUNK: usize = 16_384;
/// Features one task encodes into one buffer.
const RUN: usize = 256;
use crate::write::{Values, atomic_write, lonlat_geometries, values};
use crate::{IoError, path_name};

/// Writes `layer` as FlatGeobuf at `path`, atomically (a temporary file beside it, renamed when
/// complete).
///
/// - Columns: `id_column` with the layer's ids first (unless the layer already has a column of
///   that name), then every attribute column: integers → Long, other numbers → Double,
///   booleans → Bool, anything else → String (as text); a null is a property left out.
/// - Geometries: in lon/lat, EPSG:4326 in the header, as [`crate::write_geoparquet`] and
///   [`crate::write_geojson`] write them (reprojected from the layer's CRS, full doubles, no
///   rounding); polygons with counter-clockwise exteriors and clockwise holes. The header's
///   geometry type is the layers' one type, or Unknown with each feature's type when they mix
///   (Polygon and MultiPolygon stay what they are). Lines, rectangles and triangles are written
///   as LineString and Polygon.
/// - Index: a packed Hilbert R-tree (node size 16, as GDAL writes it), the features in its
///   order, so the file's feature order is the index's, not the layer's (read back, the ids
///   tell the features apart). A layer with a null or empty geometry is written without index,
///   in layer order: the index cannot hold a feature without geometry.
///
/// The same layer always gives the same bytes.
pub fn write_flatgeobuf<'a>(
    path: &Path,
    layer: impl Into<LayerView<'a>>,
    id_column: &str,
) -> Result<(), IoError> {
    let layer: LayerView<'a> = layer.into();
    let name = path_name(path);
    let mut columns: Vec<(String, Values)> = Vec::with_capacity(layer.attributes.width() + 1);
    if layer.attributes.column(id_column).is_err() {
        let ids = Column::new(id_column.into(), &layer.ids);
        columns.push((id_column.to_string(), values(&name, &ids)?));
    }
    for c in layer.attributes.columns() {
        columns.push((c.name().to_string(), values(&name, c)?));
    }
    if columns.len() > usize::from(u16::MAX) + 1 {
        return Err(IoError::format(
            &name,
            format!(
                "{} columns; a FlatGeobuf file holds at most 65,536",
                columns.len()
            ),
        ));
    }

    let kinds: BTreeSet<u8> = layer.geometries.iter().flatten().map(|g| kind(g).0).collect();
    let geometry_type = match kinds.iter().next() {
        Some(&k) if kinds.len() == 1 => GeometryType(k),
        _ => GeometryType::Unknown,
    };
    let typed = geometry_type == GeometryType::Unknown;
    // A layer in another CRS is reprojected to lon/lat once, here: both passes below read it.
    let geometries = lonlat_geometries(layer, &name)?;
    let layer = LayerView {
        geometries: &geometries,
        crs: WGS84,
        ..layer
    };

    // Pass 1: each feature's box. The index and the header need every box before the first
    // feature. Orienting a ring (pass 2) moves no coordinate.
    let mut nodes: Vec<NodeItem> = layer
        .geometries
        .par_iter()
        .enumerate()
        .with_min_len(256)
        .map(|(i, g)| {
            let mut bbox = NodeItem::create(i as u64);
            if let Some(g) = g {
                g.coords_iter().for_each(|c| bbox.expand_xy(c.x, c.y));
            }
            bbox
        })
        .collect();
    let extent = calc_extent(&nodes);
    let indexed = !nodes.is_empty() && nodes.iter().all(|b| b.min_x <= b.max_x && b.min_y <= b.max_y);
    let n = nodes.len();
    // The nodes in file order; each node's offset is its row until its feature is written, then
    // the feature's byte offset (what the index holds).
    if indexed {
        hilbert_sort(&mut nodes, &extent);
    }

    let layer_name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let header = header(&layer_name, &columns, geometry_type, n as u64, indexed, &extent);
    let io = |e: std::io::Error| IoError::io(&name, e);
    // Pass 2: the features in file order, a chunk at a time (encoded in parallel, written in
    // order), so that the file is never held in memory; the index, which holds each feature's
    // byte offset, is written last into the space left for it after the header.
    atomic_write(path, |w| {
        w.write_all(&MAGIC).map_err(io)?;
        w.write_all(&header).map_err(io)?;
        let tree_at = w.stream_position().map_err(io)?;
        if indexed {
            // The space for the index (20 MB at 500,000 features), zeroed without a buffer of
            // its size.
            let size = PackedRTree::index_size(n, NODE_SIZE) as u64;
            std::io::copy(&mut std::io::repeat(0).take(size), w).map_err(io)?;
        }
        let mut offset = 0u64;
        for chunk in nodes.chunks_mut(CHUNK) {
            // Each task encodes a run of features into one buffer (their sizes beside it), so
            // that no feature has an allocation of its own.
            let encoded: Vec<(Vec<u8>, Vec<u64>)> = chunk
                .par_chunks(RUN)
                .map_init(
                    || (FlatBufferBuilder::new(), Vec::new(), Vec::new()),
                    |(fbb, props, xy), run| {
                        let mut bytes = Vec::new();
                        let mut sizes = Vec::with_capacity(run.len());
                        for node in run {
                            let i = node.offset as usize;
                            properties(&columns, i, props);
                            let start = bytes.len();
                            feature(fbb, layer.geometries[i].as_ref(), typed, props, xy, &mut bytes);
                            sizes.push((bytes.len() - start) as u64);
                        }
                        (bytes, sizes)
                    },
                )
                .collect();
            for (run, (bytes, run_sizes)) in chunk.chunks_mut(RUN).zip(encoded) {
                for (node, size) in run.iter_mut().zip(run_sizes) {
                    node.offset = offset;
                    offset += size;
                }
                w.write_all(&bytes).map_err(io)?;
            }
        }
        if indexed {
            w.seek(SeekFrom::Start(tree_at)).map_err(io)?;
            write_index(w, &nodes).map_err(io)?;
            w.seek(SeekFrom::End(0)).map_err(io)?;
        }
        Ok(())
    })
}

/// Writes the packed R-tree over `leaves` (in file order, with their features' byte offsets):
/// the nodes the `flatgeobuf` crate's `PackedRTree::build` computes, in the order its
/// `stream_write` writes them (root first, leaves last), without copying the leaves into a
/// tree of their own (at 500,000 features, 20 MB at the moment a national run's memory peaks).
fn write_index(w: &mut impl Write, leaves: &[NodeItem]) -> std::io::Result<()> {
    let branching = usize::from(NODE_SIZE);
    // The nodes of each level above the leaves, bottom up; a parent's offset is the storage
    // index of its first child, as the crate stores it.
    let mut sizes = vec![leaves.len()];
    let mut n = leaves.len();
    loop {
        n = n.div_ceil(branching);
        sizes.push(n);
        if n == 1 {
            break;
        }
    }
    let total: usize = sizes.iter().sum();
    // Storage index of each level's first node: the leaves last, the root first.
    let mut starts = Vec::with_capacity(sizes.len());
    let mut end = total;
    for size in &sizes {
        starts.push(end - size);
        end -= size;
    }
    let mut upper: Vec<Vec<NodeItem>> = Vec::with_capacity(sizes.len() - 1);
    for level in 0..sizes.len() - 1 {
        let children: &[NodeItem] = if level == 0 { leaves } else { &upper[level - 1] };
        let parents: Vec<NodeItem> = children
            .chunks(branching)
            .enumerate()
            .map(|(k, group)| {
                let mut parent = NodeItem::create((starts[level] + k * branching) as u64);
                group.iter().for_each(|c| parent.expand(c));
                parent
            })
            .collect();
        upper.push(parents);
    }
    for level in upper.iter().rev() {
        for node in level {
            node.write(w)?;
        }
    }
    for node in leaves {
        node.write(w)?;
    }
    Ok(())
}

/// Sorts the nodes in place in descending Hilbert order of their box centres: the order of
/// the `flatgeobuf` crate's `hilbert_sort` (a stable sort, ties in input order), with each key
/// computed once and in parallel (the crate computes both keys in every comparison: a fifth of
/// a 500,000-unit run), and the nodes moved along the permutation's cycles rather than into a
/// second vector.
fn hilbert_sort(nodes: &mut [NodeItem], extent: &NodeItem) {
    const HILBERT_MAX: u32 = (1 << 16) - 1;
    let scale = |v: f64, min: f64, size: f64| (f64::from(HILBERT_MAX) * (v - min) / size).floor() as u32;
    // (descending key, row): distinct, so an unstable sort gives the stable order.
    let mut keyed: Vec<(u32, usize)> = nodes
        .par_iter()
        .enumerate()
        .map(|(i, r)| {
            let x = scale((r.min_x + r.max_x) / 2.0, extent.min_x, extent.width());
            let y = scale((r.min_y + r.max_y) / 2.0, extent.min_y, extent.height());
            (u32::MAX - hilbert(x, y), i)
        })
        .collect();
    keyed.par_sort_unstable();
    // from[p]: the row whose node goes to position p; usize::MAX once position p is filled.
    let mut from: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
    for start in 0..from.len() {
        if from[start] == usize::MAX {
            continue;
        }
        let first = nodes[start].clone();
        let mut p = start;
        loop {
            let src = std::mem::replace(&mut from[p], usize::MAX);
            if src == start {
                nodes[p] = first;
                break;
            }
            nodes[p] = nodes[src].clone();
            p = src;
        }
    }
}

/// The Hilbert curve index of (x, y) on a 2^16 grid: the `flatgeobuf` crate's (private)
/// function, from the public-domain code at <https://github.com/rawrunprotected/hilbert_curves>.
fn hilbert(x: u32, y: u32) -> u32 {
    let mut a = x ^ y;
    let mut b = 0xFFFF ^ a;
    let mut c = 0xFFFF ^ (x | y);
    let mut d = x & (y ^ 0xFFFF);

    let mut aa = a | (b >> 1);
    let mut bb = (a >> 1) ^ a;
    let mut cc = ((c >> 1) ^ (b & (d >> 1))) ^ c;
    let mut dd = ((a & (c >> 1)) ^ (d >> 1)) ^ d;

    a = aa;
    b = bb;
    c = cc;
    d = dd;
    aa = (a & (a >> 2)) ^ (b & (b >> 2));
    bb = (a & (b >> 2)) ^ (b & ((a ^ b) >> 2));
    cc ^= (a & (c >> 2)) ^ (b & (d >> 2));
    dd ^= (b & (c >> 2)) ^ ((a ^ b) & (d >> 2));

    a = aa;
    b = bb;
    c = cc;
    d = dd;
    aa = (a & (a >> 4)) ^ (b & (b >> 4));
    bb = (a & (b >> 4)) ^ (b & ((a ^ b) >> 4));
    cc ^= (a & (c >> 4)) ^ (b & (d >> 4));
    dd ^= (b & (c >> 4)) ^ ((a ^ b) & (d >> 4));

    a = aa;
    b = bb;
    c = cc;
    d = dd;
    cc ^= (a & (c >> 8)) ^ (b & (d >> 8));
    dd ^= (b & (c >> 8)) ^ ((a ^ b) & (d >> 8));

    a = cc ^ (cc >> 1);
    b = dd ^ (dd >> 1);

    let mut i0 = x ^ y;
    let mut i1 = b | (0xFFFF ^ (i0 | a));

    i0 = (i0 | (i0 << 8)) & 0x00FF00FF;
    i0 = (i0 | (i0 << 4)) & 0x0F0F0F0F;
    i0 = (i0 | (i0 << 2)) & 0x33333333;
    i0 = (i0 | (i0 << 1)) & 0x55555555;

    i1 = (i1 | (i1 << 8)) & 0x00FF00FF;
    i1 = (i1 | (i1 << 4)) & 0x0F0F0F0F;
    i1 = (i1 | (i1 << 2)) & 0x33333333;
    i1 = (i1 | (i1 << 1)) & 0x55555555;

    (i1 << 1) | i0
}

/// The FlatGeobuf type a geometry is written as.
fn kind(g: &Geometry<f64>) -> GeometryType {
    match g {
        Geometry::Point(_) => GeometryType::Point,
        Geometry::Line(_) | Geometry::LineString(_) => GeometryType::LineString,
        Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => GeometryType::Polygon,
        Geometry::MultiPoint(_) => GeometryType::MultiPoint,
        Geometry::MultiLineString(_) => GeometryType::MultiLineString,
        Geometry::MultiPolygon(_) => GeometryType::MultiPolygon,
        Geometry::GeometryCollection(_) => GeometryType::GeometryCollection,
    }
}

fn column_type(v: &Values) -> ColumnType {
    match v {
        Values::Int(_) => ColumnType::Long,
        Values::Float(_) => ColumnType::Double,
        Values::Bool(_) => ColumnType::Bool,
        Values::Str(_) | Values::Null => ColumnType::String,
    }
}

/// Feature `i`'s properties, encoded as FlatGeobuf does: for each non-null value, the column's
/// index (u16) and the value (little-endian; text as its byte length (u32) and UTF-8 bytes).
fn properties(columns: &[(String, Values)], i: usize, out: &mut Vec<u8>) {
    out.clear();
    for (c, (_, v)) in columns.iter().enumerate() {
        let c = (c as u16).to_le_bytes();
        match v {
            Values::Int(ca) => {
                if let Some(x) = ca.get(i) {
                    out.extend_from_slice(&c);
                    out.extend_from_slice(&x.to_le_bytes());
                }
            }
            Values::Float(ca) => {
                if let Some(x) = ca.get(i) {
                    out.extend_from_slice(&c);
                    out.extend_from_slice(&x.to_le_bytes());
                }
            }
            Values::Bool(ca) => {
                if let Some(b) = ca.get(i) {
                    out.extend_from_slice(&c);
                    out.push(u8::from(b));
                }
            }
            Values::Str(ca) => {
                if let Some(s) = ca.get(i) {
                    out.extend_from_slice(&c);
                    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
                    out.extend_from_slice(s.as_bytes());
                }
            }
            Values::Null => {}
        }
    }
}

/// One size-prefixed feature, appended to `out`; `xy` is scratch space for its coordinates.
fn feature(
    fbb: &mut FlatBufferBuilder<'_>,
    g: Option<&Geometry<f64>>,
    typed: bool,
    props: &[u8],
    xy: &mut Vec<f64>,
    out: &mut Vec<u8>,
) {
    fbb.reset();
    let geometry = g.map(|g| geometry(fbb, g, typed, xy));
    let properties = (!props.is_empty()).then(|| fbb.create_vector(props));
    let f = Feature::create(
        fbb,
        &FeatureArgs {
            geometry,
            properties,
            columns: None,
        },
    );
    fbb.finish_size_prefixed(f, None);
    out.extend_from_slice(fbb.finished_data());
}

/// A geometry of coordinate runs: their `xy` and, for more than one run, their `ends`. A run
/// marked `true` is written backwards (a ring turned to the orientation written).
fn runs<'a>(
    fbb: &mut FlatBufferBuilder<'a>,
    runs: &[(&[Coord], bool)],
    type_: GeometryType,
    xy: &mut Vec<f64>,
) -> WIPOffset<flatgeobuf::Geometry<'a>> {
    xy.clear();
    let mut ends = Vec::new();
    for &(r, backwards) in runs {
        if backwards {
            r.iter().rev().for_each(|c| xy.extend([c.x, c.y]));
        } else {
            r.iter().for_each(|c| xy.extend([c.x, c.y]));
        }
        if runs.len() > 1 {
            ends.push((xy.len() / 2) as u32);
        }
    }
    let ends = (runs.len() > 1).then(|| fbb.create_vector(&ends));
    let xy = (!xy.is_empty()).then(|| fbb.create_vector(xy.as_slice()));
    flatgeobuf::Geometry::create(
        fbb,
        &GeometryArgs {
            xy,
            ends,
            type_,
            ..Default::default()
        },
    )
}

/// A ring and whether it is written backwards: a ring whose winding is known and not `want`
/// (what geo's `Orient` does, without a copy of the ring).
fn oriented(ring: &LineString<f64>, want: WindingOrder) -> (&[Coord], bool) {
    (&ring.0, ring.winding_order().is_some_and(|w| w != want))
}

/// A polygon as written: its exterior counter-clockwise, its holes clockwise; an empty exterior
/// is left out.
fn polygon<'a>(
    fbb: &mut FlatBufferBuilder<'a>,
    p: &Polygon<f64>,
    type_: GeometryType,
    xy: &mut Vec<f64>,
) -> WIPOffset<flatgeobuf::Geometry<'a>> {
    let rings: Vec<(&[Coord], bool)> = std::iter::once(p.exterior())
        .filter(|e| !e.0.is_empty())
        .map(|e| oriented(e, WindingOrder::CounterClockwise))
        .chain(p.interiors().iter().map(|r| oriented(r, WindingOrder::Clockwise)))
        .collect();
    runs(fbb, &rings, type_, xy)
}

/// A geometry; its type is written when `typed` (the header's type is Unknown, or it is a
/// part of a collection). Polygons are oriented, lines written as linestrings, rectangles and
/// triangles as polygons.
fn geometry<'a>(
    fbb: &mut FlatBufferBuilder<'a>,
    g: &Geometry<f64>,
    typed: bool,
    xy: &mut Vec<f64>,
) -> WIPOffset<flatgeobuf::Geometry<'a>> {
    let type_ = if typed { kind(g) } else { GeometryType::Unknown };
    match g {
        Geometry::Point(p) => runs(fbb, &[(&[p.0], false)], type_, xy),
        Geometry::MultiPoint(mp) => {
            let cs: Vec<Coord> = mp.iter().map(|p| p.0).collect();
            runs(fbb, &[(&cs, false)], type_, xy)
        }
        Geometry::LineString(ls) => runs(fbb, &[(&ls.0, false)], type_, xy),
        Geometry::Line(l) => runs(fbb, &[(&[l.start, l.end], false)], type_, xy),
        Geometry::MultiLineString(m) => {
            let lines: Vec<(&[Coord], bool)> = m.iter().map(|l| (&l.0[..], false)).collect();
            runs(fbb, &lines, type_, xy)
        }
        Geometry::Polygon(p) => polygon(fbb, p, type_, xy),
        Geometry::Rect(r) => polygon(fbb, &r.to_polygon(), type_, xy),
        Geometry::Triangle(t) => polygon(fbb, &t.to_polygon(), type_, xy),
        Geometry::MultiPolygon(m) => {
            let parts: Vec<_> = m
                .iter()
                .map(|p| polygon(fbb, p, GeometryType::Unknown, xy))
                .collect();
            let parts = fbb.create_vector(&parts);
            flatgeobuf::Geometry::create(
                fbb,
                &GeometryArgs {
                    parts: Some(parts),
                    type_,
                    ..Default::default()
                },
            )
        }
        Geometry::GeometryCollection(gc) => {
            let parts: Vec<_> = gc.iter().map(|p| geometry(fbb, p, true, xy)).collect();
            let parts = fbb.create_vector(&parts);
            flatgeobuf::Geometry::create(
                fbb,
                &GeometryArgs {
                    parts: Some(parts),
                    type_,
                    ..Default::default()
                },
            )
        }
    }
}

/// The size-prefixed header: the layer's name, its columns, geometry type, feature count,
/// extent, the index node size (0 without index) and EPSG:4326.
fn header(
    name: &str,
    columns: &[(String, Values)],
    geometry_type: GeometryType,
    features: u64,
    indexed: bool,
    extent: &NodeItem,
) -> Vec<u8> {
    let mut fbb = FlatBufferBuilder::new();
    let cols: Vec<_> = columns
        .iter()
        .map(|(n, v)| {
            let name = fbb.create_string(n);
            flatgeobuf::Column::create(
                &mut fbb,
                &ColumnArgs {
                    name: Some(name),
                    type_: column_type(v),
                    ..Default::default()
                },
            )
        })
        .collect();
    let cols = fbb.create_vector(&cols);
    let envelope = (extent.min_x <= extent.max_x && extent.min_y <= extent.max_y)
        .then(|| fbb.create_vector(&[extent.min_x, extent.min_y, extent.max_x, extent.max_y]));
    let org = fbb.create_string("EPSG");
    let crs_name = fbb.create_string("WGS 84");
    let crs = flatgeobuf::Crs::create(
        &mut fbb,
        &CrsArgs {
            org: Some(org),
            code: WGS84.epsg() as i32,
            name: Some(crs_name),
            ..Default::default()
        },
    );
    let name = fbb.create_string(name);
    let header = Header::create(
        &mut fbb,
        &HeaderArgs {
            name: Some(name),
            envelope,
            geometry_type,
            columns: Some(cols),
            features_count: features,
            index_node_size: if indexed { NODE_SIZE } else { 0 },
            crs: Some(crs),
            ..Default::default()
        },
    );
    fbb.finish_size_prefixed(header, None);
    fbb.finished_data().to_vec()
}

#[cfg(test)]
mod order_tests {
    use super::*;
    use flatgeobuf::packed_r_tree::hilbert_sort;

    #[test]
    fn the_keyed_sort_orders_nodes_as_the_crate_does_ties_included() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 1000) as f64 / 10.0
        };
        // Coarse coordinates so that many boxes share a key.
        let nodes: Vec<NodeItem> = (0..5000)
            .map(|i| {
                let (x, y) = (next(), next());
                let mut n = NodeItem::bounds(x, y, x + next() / 50.0, y + 1.0);
                n.offset = i;
                n
            })
            .collect();
        let extent = calc_extent(&nodes);
        let mut want = nodes.clone();
        hilbert_sort(&mut want, &extent);
        let mut got = nodes;
        super::hilbert_sort(&mut got, &extent);
        let offsets = |v: &[NodeItem]| v.iter().map(|n| n.offset).collect::<Vec<_>>();
        assert_eq!(offsets(&got), offsets(&want));
    }

    #[test]
    fn the_streamed_index_is_the_crates_tree_byte_for_byte() {
        // Leaf counts around the branching factor's powers, where a level is full or has one
        // node more.
        for n in [1usize, 2, 15, 16, 17, 255, 256, 257, 4097, 5000] {
            let leaves: Vec<NodeItem> = (0..n)
                .map(|i| {
                    let (x, y) = ((i * 7919 % 1000) as f64, (i * 104_729 % 997) as f64);
                    let mut node = NodeItem::bounds(x, y, x + 1.5, y + (i % 3) as f64);
                    node.offset = (i * 40) as u64;
                    node
                })
                .collect();
            let extent = calc_extent(&leaves);
            let mut want = Vec::new();
            PackedRTree::build(&leaves, &extent, NODE_SIZE)
                .unwrap()
                .stream_write(&mut want)
                .unwrap();
            let mut got = Vec::new();
            write_index(&mut got, &leaves).unwrap();
            assert_eq!(got.len(), PackedRTree::index_size(n, NODE_SIZE), "{n} leaves");
            assert!(got == want, "{n} leaves: the index differs from the crate's");
        }
    }
}
