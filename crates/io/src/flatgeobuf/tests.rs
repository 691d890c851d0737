use std::path::Path;

use careblock_core::crs::Reprojection;
use careblock_core::{Crs, Layer, WGS84};
use flatgeobuf::geozero::error::Result as GeozeroResult;
use flatgeobuf::geozero::{ColumnValue, GeomProcessor, GeozeroGeometry, PropertyProcessor};
use flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};
use geo::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon, polygon};
use polars::prelude::*;

use super::*;
use crate::{IoError, ReadOptions, read_layer};

fn dir(name: &str) -> crate::test_dir::TestDir {
    crate::test_dir::TestDir::new(&format!("fgb-{name}"))
}

fn by(id: &str) -> ReadOptions {
    ReadOptions {
        id_field: Some(id.into()),
        ..ReadOptions::default()
    }
}

/// A counter-clockwise square of side `s` at (x, y).
fn square(x: f64, y: f64, s: f64) -> LineString {
    LineString::from(vec![(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)])
}

/// A clockwise hole in the square at (x, y).
fn hole(x: f64, y: f64, s: f64) -> LineString {
    let mut h = square(x, y, s);
    h.0.reverse();
    h
}

/// Five features: two polygons (one with a hole), a multipolygon of two parts with holes, two
/// points; Int64, Float64, String and Boolean columns with nulls.
fn mixed_layer() -> Layer {
    let ids: Vec<String> = ["u1", "u2", "m3", "p4", "p5"].map(String::from).to_vec();
    let geometries: Vec<Option<Geometry<f64>>> = vec![
        Some(Polygon::new(square(-74.10, 4.60, 0.01), vec![]).into()),
        Some(Polygon::new(square(-74.08, 4.60, 0.01), vec![hole(-74.077, 4.603, 0.003)]).into()),
        Some(
            MultiPolygon(vec![
                Polygon::new(square(-74.06, 4.60, 0.01), vec![hole(-74.057, 4.603, 0.002)]),
                Polygon::new(
                    square(-74.04, 4.60, 0.02),
                    vec![hole(-74.035, 4.605, 0.002), hole(-74.03, 4.61, 0.003)],
                ),
            ])
            .into(),
        ),
        Some(Point::new(-74.05, 4.65).into()),
        Some(Point::new(-74.0512345678901, 4.6698765432109).into()),
    ];
    let attributes = df!(
        "pop" => [Some(12i64), None, Some(-3), Some(0), Some(i64::MAX)],
        "rate" => [Some(0.5f64), Some(1.0 / 3.0), None, Some(-2.5e-300), Some(1e300)],
        "name" => [Some("Usaquén"), None, Some(""), Some("a \"b\"\nc"), Some("x")],
        "ok" => [Some(true), Some(false), None, Some(true), Some(false)],
    )
    .unwrap();
    Layer::new("mixed", ids, geometries, attributes, WGS84).unwrap()
}

/// `read`'s features in `original`'s order (by id), so that layers written with an index (in
/// Hilbert order) can be compared with what was written.
fn in_order_of(original: &Layer, read: &Layer) -> Layer {
    let position: std::collections::HashMap<&str, usize> = read
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let perm: Vec<IdxSize> = original
        .ids
        .iter()
        .map(|id| position[id.as_str()] as IdxSize)
        .collect();
    let attributes = read
        .attributes
        .take(&IdxCa::new("perm".into(), perm.clone()))
        .unwrap();
    Layer::new(
        read.name.clone(),
        perm.iter().map(|&i| read.ids[i as usize].clone()).collect(),
        perm.iter()
            .map(|&i| read.geometries[i as usize].clone())
            .collect(),
        attributes,
        read.crs,
    )
    .unwrap()
}

fn assert_same(original: &Layer, read: &Layer, id_column: &str) {
    let read = in_order_of(original, read);
    assert_eq!(read.ids, original.ids);
    assert_eq!(read.geometries, original.geometries);
    assert_eq!(read.crs, original.crs);
    let mut names = vec![id_column.to_string()];
    names.extend(
        original
            .attributes
            .get_column_names()
            .iter()
            .map(|n| n.to_string()),
    );
    let read_names: Vec<String> = read
        .attributes
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(read_names, names);
    let ids = read.attributes.column(id_column).unwrap();
    assert_eq!(ids.dtype(), &DataType::String);
    let attributes = read.attributes.drop(id_column).unwrap();
    for (a, b) in attributes.columns().iter().zip(original.attributes.columns()) {
        assert_eq!(a.dtype(), b.dtype(), "{}", a.name());
    }
    assert!(
        attributes.equals_missing(&original.attributes),
        "{attributes}\n{}",
        original.attributes
    );
}

#[test]
fn index_size_is_the_crates() {
    for n in [1usize, 2, 15, 16, 17, 255, 256, 257, 4097, 100_000] {
        for node in [2u16, 3, 16, 255] {
            assert_eq!(
                index_size(n as u64, node),
                Some(flatgeobuf::packed_r_tree::PackedRTree::index_size(n, node) as u64),
                "{n} items, node size {node}"
            );
        }
    }
    assert_eq!(index_size(0, 16), Some(0));
    assert_eq!(index_size(7, 0), Some(0));
    assert_eq!(index_size(u64::MAX, 2), None);
}

#[test]
fn roundtrip_of_mixed_geometries_ids_typed_columns_and_nulls() {
    let d = dir("mixed");
    let path = d.join("mixed.fgb");
    let layer = mixed_layer();
    write_flatgeobuf(&path, &layer, "unit").unwrap();
    let (read, report) = read_flatgeobuf(&path, &by("unit")).unwrap();
    assert!(report.closed_rings.is_empty());
    assert_same(&layer, &read, "unit");
    // Read by index the ids are file positions, and the file is in the index's order.
    let (by_index, _) = read_layer(&path, &ReadOptions::default()).unwrap();
    assert_eq!(by_index.ids, ["0", "1", "2", "3", "4"]);
    assert_eq!(by_index.name, path.display().to_string());
    // No leftover temporary file.
    let files: Vec<_> = std::fs::read_dir(&d).unwrap().collect();
    assert_eq!(files.len(), 1);
}

#[test]
fn an_id_column_the_layer_already_has_is_not_added() {
    let d = dir("own-id");
    let path = d.join("x.fgb");
    let layer = mixed_layer();
    write_flatgeobuf(&path, &layer, "name").unwrap();
    let (read, _) = read_flatgeobuf(&path, &ReadOptions::default()).unwrap();
    let names: Vec<&str> = read
        .attributes
        .get_column_names()
        .iter()
        .map(|n| n.as_str())
        .collect();
    assert_eq!(names, ["pop", "rate", "name", "ok"]);
}

#[test]
fn a_polygon_layer_gets_a_spatial_index_and_the_same_bytes_every_time() {
    let d = dir("index");
    let n = 300;
    let ids: Vec<String> = (0..n).map(|i| format!("b{i:03}")).collect();
    // A grid in an order unlike the Hilbert curve's.
    let geometries = (0..n)
        .map(|i| {
            let (x, y) = ((i * 7) % 20, (i * 13) % 15);
            Some(
                Polygon::new(
                    square(-74.2 + x as f64 * 0.01, 4.5 + y as f64 * 0.01, 0.01),
                    vec![],
                )
                .into(),
            )
        })
        .collect();
    let attributes = df!("k" => (0..n as i64).collect::<Vec<_>>()).unwrap();
    let layer = Layer::new("grid", ids, geometries, attributes, WGS84).unwrap();
    let a = d.join("a.fgb");
    write_flatgeobuf(&a, &layer, "id").unwrap();
    let bytes = std::fs::read(&a).unwrap();
    write_flatgeobuf(&a, &layer, "id").unwrap();
    assert!(bytes == std::fs::read(&a).unwrap(), "not deterministic");

    let header_end = 12 + u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let header = flatgeobuf::size_prefixed_root_as_header(&bytes[8..header_end]).unwrap();
    assert_eq!(header.index_node_size(), NODE_SIZE);
    assert_eq!(header.features_count(), n as u64);
    assert_eq!(header.geometry_type(), GeometryType::Polygon);
    assert_eq!(header.crs().unwrap().code(), 4326);
    assert_eq!(header.name(), Some("a"));

    // The crate's own reader finds features through the index.
    let mut reader = std::io::BufReader::new(std::fs::File::open(&a).unwrap());
    let mut hits = flatgeobuf::FgbReader::open(&mut reader)
        .unwrap()
        .select_bbox(-74.2, 4.5, -74.185, 4.515)
        .unwrap();
    let mut found = 0;
    while let Some(_f) = flatgeobuf::FallibleStreamingIterator::next(&mut hits).unwrap() {
        found += 1;
    }
    assert!((1..20).contains(&found), "{found}");

    let (read, _) = read_flatgeobuf(&a, &by("id")).unwrap();
    assert_ne!(read.ids, layer.ids, "the file is in Hilbert order");
    assert_same(&layer, &read, "id");
}

#[test]
fn null_geometries_are_kept_without_index_in_layer_order() {
    let d = dir("null");
    let path = d.join("x.fgb");
    let mut layer = mixed_layer();
    layer.geometries[1] = None;
    write_flatgeobuf(&path, &layer, "id").unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let header_end = 12 + u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let header = flatgeobuf::size_prefixed_root_as_header(&bytes[8..header_end]).unwrap();
    assert_eq!(header.index_node_size(), 0);
    let (read, _) = read_flatgeobuf(&path, &by("id")).unwrap();
    assert_eq!(read.ids, layer.ids, "layer order");
    assert_same(&layer, &read, "id");

    // An empty layer.
    let empty = Layer::new("e", vec![], vec![], DataFrame::empty(), WGS84).unwrap();
    write_flatgeobuf(&path, &empty, "id").unwrap();
    let (read, _) = read_flatgeobuf(&path, &ReadOptions::default()).unwrap();
    assert_eq!(read.len(), 0);
}

#[test]
fn a_projected_layer_is_written_in_lon_lat() {
    let d = dir("projected");
    let path = d.join("x.fgb");
    let crs = Crs::from_epsg(9377).unwrap();
    let g: Geometry<f64> = polygon![
        (x: 4_880_000.0, y: 2_070_000.0),
        (x: 4_881_000.0, y: 2_070_000.0),
        (x: 4_881_000.0, y: 2_071_000.0),
        (x: 4_880_000.0, y: 2_070_000.0),
    ]
    .into();
    let layer = Layer::new(
        "p",
        vec!["a".into()],
        vec![Some(g.clone())],
        DataFrame::empty_with_height(1),
        crs,
    )
    .unwrap();
    write_flatgeobuf(&path, &layer, "id").unwrap();
    let (read, _) = read_flatgeobuf(&path, &by("id")).unwrap();
    assert_eq!(read.crs, WGS84);
    let mut want = g;
    Reprojection::new(crs, WGS84).apply_geometry(&mut want).unwrap();
    assert_eq!(read.geometries[0], Some(want));
}

/// A polygon of the given rings, fed to the crate's own writer as they are (unclosed or not).
struct Rings(Vec<Vec<(f64, f64)>>);

impl GeozeroGeometry for Rings {
    fn process_geom<P: GeomProcessor>(&self, p: &mut P) -> GeozeroResult<()> {
        p.polygon_begin(true, self.0.len(), 0)?;
        for (i, r) in self.0.iter().enumerate() {
            p.linestring_begin(false, r.len(), i)?;
            for (k, &(x, y)) in r.iter().enumerate() {
                p.xy(x, y, k)?;
            }
            p.linestring_end(false, i)?;
        }
        p.polygon_end(true, 0)
    }
}

/// Writes polygons with the crate's `FgbWriter` (an independent writer, with its index),
/// each with a `code` property; `epsg` 0 writes no CRS code.
fn crate_file(path: &Path, polygons: &[(&str, Rings)], epsg: i32) {
    let mut fgb = FgbWriter::create_with_options(
        "t",
        GeometryType::Polygon,
        FgbWriterOptions {
            crs: FgbCrs {
                code: epsg,
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap();
    fgb.add_column("code", ColumnType::String, |_, _| {});
    for (code, rings) in polygons {
        fgb.add_feature_geom(rings, |f| {
            f.property(0, "code", &ColumnValue::String(code)).unwrap();
        })
        .unwrap();
    }
    fgb.write(std::fs::File::create(path).unwrap()).unwrap();
}

impl GeozeroGeometry for &Rings {
    fn process_geom<P: GeomProcessor>(&self, p: &mut P) -> GeozeroResult<()> {
        (*self).process_geom(p)
    }
}

#[test]
fn reads_the_crates_own_files_and_needs_a_crs() {
    let d = dir("crate");
    let path = d.join("x.fgb");
    let closed = |x: f64| Rings(vec![vec![(x, 4.6), (x + 0.01, 4.6), (x + 0.01, 4.61), (x, 4.6)]]);
    crate_file(&path, &[("a", closed(-74.1)), ("b", closed(-74.0))], 4686);
    let (layer, _) = read_flatgeobuf(&path, &by("code")).unwrap();
    assert_eq!(layer.crs, Crs::from_epsg(4686).unwrap());
    let mut ids = layer.ids.clone();
    ids.sort();
    assert_eq!(ids, ["a", "b"]);

    // No CRS in the header: the one given, else an error naming the file.
    crate_file(&path, &[("a", closed(-74.1))], 0);
    let e = read_flatgeobuf(&path, &ReadOptions::default()).unwrap_err();
    assert!(matches!(e, IoError::Crs { .. }), "{e}");
    let e = e.to_string();
    assert!(e.starts_with(&path.display().to_string()), "{e}");
    assert!(e.contains("the layer has no CRS"), "{e}");
    let opts = ReadOptions {
        crs: Some(Crs::from_epsg(4686).unwrap()),
        ..ReadOptions::default()
    };
    assert_eq!(read_flatgeobuf(&path, &opts).unwrap().0.crs.epsg(), 4686);

    // An EPSG code careblock refuses.
    crate_file(&path, &[("a", closed(-74.1))], 3857);
    let e = read_flatgeobuf(&path, &ReadOptions::default()).unwrap_err();
    assert!(
        matches!(e, IoError::Crs { .. }) && e.to_string().contains("3857"),
        "{e}"
    );
}

#[test]
fn an_unclosed_ring_is_an_error_naming_the_feature_unless_closed() {
    let d = dir("unclosed");
    let path = d.join("x.fgb");
    let open = Rings(vec![vec![
        (-74.1, 4.6),
        (-74.09, 4.6),
        (-74.09, 4.61),
        (-74.1, 4.61),
    ]]);
    crate_file(&path, &[("U12", open)], 4326);
    let e = read_flatgeobuf(&path, &by("code")).unwrap_err();
    assert_eq!(e.hint(), Some(careblock_core::Hint::FixInvalid));
    let e = e.to_string();
    assert!(
        e.starts_with(&format!(
            "{}: feature \"U12\" (index 0): ring 0 is not closed: first (-74.1, 4.6) != last (-74.1, 4.61)",
            path.display()
        )),
        "{e}"
    );
    let opts = ReadOptions {
        close_rings: true,
        ..by("code")
    };
    let (layer, report) = read_flatgeobuf(&path, &opts).unwrap();
    assert_eq!(report.closed_rings, ["U12"]);
    let Some(Geometry::Polygon(p)) = &layer.geometries[0] else {
        panic!("{:?}", layer.geometries[0])
    };
    assert_eq!(p.exterior().0.len(), 5);
    assert_eq!(p.exterior().0[4], Coord { x: -74.1, y: 4.6 });

    // A ring too short to be one, in the second feature.
    let short = Rings(vec![vec![(-74.0, 4.6), (-73.99, 4.6), (-74.0, 4.6)]]);
    let fine = Rings(vec![vec![
        (-74.1, 4.6),
        (-74.09, 4.6),
        (-74.09, 4.61),
        (-74.1, 4.6),
    ]]);
    crate_file(&path, &[("ok", fine), ("S", short)], 4326);
    let e = read_flatgeobuf(&path, &by("code")).unwrap_err().to_string();
    assert!(
        e.contains("feature \"S\" (index ") && e.contains("ring 0 has 3 positions"),
        "{e}"
    );
}

/// Every error of a damaged file is one line that names the file, and nothing panics.
fn damaged(path: &Path, bytes: &[u8]) -> String {
    std::fs::write(path, bytes).unwrap();
    let e = read_flatgeobuf(path, &by("id")).unwrap_err().to_string();
    assert!(e.starts_with(&path.display().to_string()), "{e}");
    assert!(!e.contains('\n'), "{e}");
    e
}

#[test]
fn truncated_and_garbage_files_are_one_line_errors() {
    let d = dir("bad");
    let good = d.join("good.fgb");
    write_flatgeobuf(&good, &mixed_layer(), "id").unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let bad = d.join("bad.fgb");

    let e = damaged(&bad, b"");
    assert!(e.contains("not a FlatGeobuf file"), "{e}");
    let e = damaged(&bad, b"{\"type\": \"FeatureCollection\", \"features\": []}");
    assert!(e.contains("not a FlatGeobuf file"), "{e}");
    let e = damaged(&bad, &bytes[..10]);
    assert!(e.contains("ends inside the header"), "{e}");
    let e = damaged(&bad, &bytes[..40]);
    assert!(e.contains("its header needs"), "{e}");
    // Cut in the index, in the last feature, and at a feature boundary.
    let header_end = 12 + u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let e = damaged(&bad, &bytes[..header_end + 50]);
    assert!(e.contains("spatial index"), "{e}");
    let e = damaged(&bad, &bytes[..bytes.len() - 3]);
    assert!(e.contains("feature at index 4: truncated"), "{e}");
    let index = index_size(5, NODE_SIZE).unwrap() as usize;
    let first = u32::from_le_bytes(bytes[header_end + index..][..4].try_into().unwrap()) as usize;
    let e = damaged(&bad, &bytes[..header_end + index + 4 + first]);
    assert!(e.contains("announces 5 features, the file holds 1"), "{e}");

    // Garbage after the magic bytes; a newer version.
    let mut garbage = bytes[..8].to_vec();
    garbage.extend((0..400u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    damaged(&bad, &garbage);
    let mut newer = bytes.clone();
    newer[3] = 4;
    let e = damaged(&bad, &newer);
    assert!(e.contains("FlatGeobuf version 4"), "{e}");
    // A header overwritten: the verifier refuses it.
    let mut corrupt = bytes.clone();
    for b in &mut corrupt[12..header_end] {
        *b = 0xff;
    }
    let e = damaged(&bad, &corrupt);
    assert!(e.contains("invalid FlatGeobuf header"), "{e}");
    // A feature overwritten: named by its index.
    let mut corrupt = bytes.clone();
    let at = header_end + index + 4;
    for b in &mut corrupt[at..at + first] {
        *b = 0xff;
    }
    let e = damaged(&bad, &corrupt);
    assert!(
        e.contains("feature at index 0: invalid FlatGeobuf feature"),
        "{e}"
    );
}

#[test]
fn polygons_are_written_with_counter_clockwise_exteriors_and_clockwise_holes() {
    use geo::orient::{Direction, Orient};
    let d = dir("orient");
    let path = d.join("o.fgb");
    // Exteriors clockwise and holes counter-clockwise, as some sources write them; and one
    // polygon already oriented.
    let mut cw = square(-74.10, 4.60, 0.01);
    cw.0.reverse();
    let wrong = Polygon::new(cw.clone(), vec![square(-74.097, 4.603, 0.003)]);
    let right = Polygon::new(square(-74.08, 4.60, 0.01), vec![hole(-74.077, 4.603, 0.003)]);
    let geometries: Vec<Option<Geometry<f64>>> = vec![
        Some(wrong.clone().into()),
        Some(right.clone().into()),
        Some(MultiPolygon(vec![wrong.clone(), right.clone()]).into()),
    ];
    let ids: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    let layer = Layer::new("o", ids, geometries, DataFrame::empty_with_height(3), WGS84).unwrap();
    write_flatgeobuf(&path, &layer, "id").unwrap();
    let (read, _) = read_flatgeobuf(&path, &by("id")).unwrap();
    let read = in_order_of(&layer, &read);
    let oriented = |p: &Polygon<f64>| p.orient(Direction::Default);
    assert_eq!(read.geometries[0], Some(oriented(&wrong).into()));
    assert_ne!(read.geometries[0], Some(wrong.clone().into()));
    assert_eq!(read.geometries[1], Some(right.clone().into()));
    assert_eq!(
        read.geometries[2],
        Some(MultiPolygon(vec![oriented(&wrong), right]).into())
    );
}
