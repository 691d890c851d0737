//! FlatGeobuf layers (issue #28): a file GDAL's ogr2ogr wrote from a bundled layer
//! (`tests/fixtures/flatgeobuf/`, see its `make.sh`) reads like the GeoJSON it came from;
//! FlatGeobuf copies careblock writes read back as the layers they copy; `careblock
//! interpolate` on FlatGeobuf copies writes the rows and values it writes on the originals; and
//! the files careblock writes open in GDAL, with their spatial index.
//!
//! The GDAL checks need ogrinfo (Debian's gdal-bin): without it they print a line and pass,
//! unless CI is set (then they fail).

use crate::common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::common::{have_ogrinfo, ogrinfo};
use careblock_core::{Crs, Layer, WGS84};
use careblock_io::{ReadOptions, read_layer, write_flatgeobuf};
use geo::{BoundingRect, CoordsIter, Geometry};
use polars::prelude::{IdxCa, IdxSize, NamedFrom};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bogota(file: &str) -> PathBuf {
    root().join("data/bogota").join(file)
}

fn fixture() -> PathBuf {
    root().join("tests/fixtures/flatgeobuf/upz_sample.fgb")
}

fn read(path: &Path, id: &str) -> Layer {
    let opts = ReadOptions {
        id_field: Some(id.into()),
        ..ReadOptions::default()
    };
    read_layer(path, &opts).unwrap_or_else(|e| panic!("{e}")).0
}

/// The features of `layer` with the ids `ids`, in that order.
fn subset(layer: &Layer, ids: &[String]) -> Layer {
    let at: HashMap<&str, usize> = layer
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let rows: Vec<usize> = ids
        .iter()
        .map(|id| {
            *at.get(id.as_str())
                .unwrap_or_else(|| panic!("no {id} in {}", layer.name))
        })
        .collect();
    let idx = IdxCa::new(
        "rows".into(),
        rows.iter().map(|&r| r as IdxSize).collect::<Vec<_>>(),
    );
    Layer::new(
        layer.name.clone(),
        ids.to_vec(),
        rows.iter().map(|&r| layer.geometries[r].clone()).collect(),
        layer.attributes.take(&idx).unwrap(),
        layer.crs,
    )
    .unwrap()
}

/// Same ids, CRS, column names, types and values; geometries of the same types with every
/// coordinate within `tolerance`.
fn assert_same(a: &Layer, b: &Layer, tolerance: f64) {
    assert_eq!(a.ids, b.ids, "{} vs {}", a.name, b.name);
    assert_eq!(a.crs, b.crs, "{} vs {}", a.name, b.name);
    assert_eq!(a.attributes.get_column_names(), b.attributes.get_column_names());
    assert_eq!(a.attributes.dtypes(), b.attributes.dtypes());
    assert!(
        a.attributes.equals_missing(&b.attributes),
        "{}:\n{}\n{}:\n{}",
        a.name,
        a.attributes,
        b.name,
        b.attributes
    );
    for (i, (ga, gb)) in a.geometries.iter().zip(&b.geometries).enumerate() {
        let (ga, gb): (&Geometry<f64>, &Geometry<f64>) = (ga.as_ref().unwrap(), gb.as_ref().unwrap());
        let kind = |g: &Geometry<f64>| std::mem::discriminant(g);
        assert_eq!(kind(ga), kind(gb), "feature {}", a.ids[i]);
        assert_eq!(ga.coords_count(), gb.coords_count(), "feature {}", a.ids[i]);
        for (p, q) in ga.coords_iter().zip(gb.coords_iter()) {
            assert!(
                (p.x - q.x).abs() <= tolerance && (p.y - q.y).abs() <= tolerance,
                "feature {}: {p:?} vs {q:?}",
                a.ids[i]
            );
        }
    }
}

/// The fixture GDAL wrote (Polygons and MultiPolygons, holes, null attributes, in the order
/// of GDAL's Hilbert index, EPSG:4686) reads as the same features of the bundled GeoJSON.
#[test]
fn a_flatgeobuf_gdal_wrote_reads_like_its_geojson() {
    let fgb = read(&fixture(), "UPlCodigo");
    assert_eq!(fgb.len(), 22);
    assert_eq!(fgb.crs, Crs::from_epsg(4686).unwrap());
    let geojson = read(&bogota("upz.geojson"), "UPlCodigo");
    let expected = subset(&geojson, &fgb.ids);
    assert_same(&expected, &fgb, 1e-9);
    let kinds: Vec<&str> = fgb
        .geometries
        .iter()
        .flatten()
        .map(careblock_core::layer::geometry_kind)
        .collect();
    assert!(kinds.contains(&"Polygon") && kinds.contains(&"MultiPolygon"));
    assert!(fgb.attributes.column("UPlAAdmini").unwrap().null_count() > 0);
    // Without an id field the ids are the file's feature indices.
    let by_index = read_layer(&fixture(), &ReadOptions::default()).unwrap().0;
    assert_eq!(by_index.ids[..3], ["0", "1", "2"]);
    assert_eq!(by_index.geometries, fgb.geometries);
}

/// A FlatGeobuf copy of a layer written by careblock reads back as the same layer: the same
/// doubles, with the polygons oriented as the writer orients them (counter-clockwise
/// exteriors, as the GeoJSON and GeoParquet writers write them; the shapefile's are
/// clockwise) and the CRS lon/lat (a geographic CRS keeps its coordinates as they are).
#[test]
fn flatgeobuf_copies_of_the_bundled_shapefile_and_geojson_read_as_the_same_layers() {
    use geo::orient::{Direction, Orient};
    let dir = common::fresh_dir("flatgeobuf", "copies");
    for (file, id) in [
        ("sectores_censales.shp", "SETU_CCNCT"),
        ("upz.geojson", "UPlCodigo"),
    ] {
        let original = read(&bogota(file), id);
        let copy = dir.join(format!("{file}.fgb"));
        write_flatgeobuf(&copy, &original, id).unwrap();
        let back = read(&copy, id);
        assert_eq!(back.crs, WGS84);
        let back = Layer {
            crs: original.crs,
            ..subset(&back, &original.ids)
        };
        let mut oriented = original.clone();
        for g in oriented.geometries.iter_mut().flatten() {
            match g {
                Geometry::Polygon(p) => *p = p.orient(Direction::Default),
                Geometry::MultiPolygon(m) => *m = m.orient(Direction::Default),
                _ => {}
            }
        }
        assert_same(&oriented, &back, 0.0);
        let size = std::fs::metadata(&copy).unwrap().len();
        println!("{file}: {size} bytes as FlatGeobuf");
    }
}

/// `common::interpolate_sectors` to a CSV; returns it.
fn interpolate_sectors(source: &Path, target: &Path, out: &Path) -> String {
    common::interpolate_sectors(source, target, out);
    std::fs::read_to_string(out).unwrap()
}

/// The CSV's header and its rows by target id (the values as numbers).
fn rows(csv: &str) -> (String, HashMap<String, Vec<f64>>) {
    let mut lines = csv.lines();
    let header = lines.next().unwrap().to_string();
    let rows = lines
        .map(|l| {
            let mut cells = l.split(',');
            let id = cells.next().unwrap().to_string();
            (id, cells.map(|c| c.parse().unwrap()).collect())
        })
        .collect();
    (header, rows)
}

/// Every row of `part` is a row of `whole` with the same values to 1e-12 (relative).
fn assert_rows_within(part: &str, whole: &str) {
    let ((h1, part), (h2, whole)) = (rows(part), rows(whole));
    assert_eq!(h1, h2);
    for (id, values) in &part {
        let expected = &whole[id];
        assert_eq!(values.len(), expected.len(), "{id}");
        for (a, b) in values.iter().zip(expected) {
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{id}: {a} vs {b}");
        }
    }
}

/// `careblock interpolate` of the Bogotá sectors to UPZ on the shapefile and GeoJSON, and on
/// FlatGeobuf copies of them or the GDAL-written fixture, writes the same rows with the same
/// values. Not byte for byte: a FlatGeobuf file is in the order of its spatial index, and the
/// interpolation's sums over sources and targets then add the same terms in another order,
/// which moves the last digit of some values (GDAL's own FlatGeobuf copies do the same; a copy
/// without index, in the original order, gives the same bytes).
#[test]
fn interpolate_on_flatgeobuf_copies_writes_what_it_writes_on_the_originals() {
    let dir = common::fresh_dir("flatgeobuf", "interpolate");
    let (sectors, upz) = (dir.join("sectores.fgb"), dir.join("upz.fgb"));
    write_flatgeobuf(
        &sectors,
        &read(&bogota("sectores_censales.shp"), "SETU_CCNCT"),
        "SETU_CCNCT",
    )
    .unwrap();
    write_flatgeobuf(&upz, &read(&bogota("upz.geojson"), "UPlCodigo"), "UPlCodigo").unwrap();
    let original = interpolate_sectors(
        &bogota("sectores_censales.shp"),
        &bogota("upz.geojson"),
        &dir.join("original.csv"),
    );
    assert_eq!(original.lines().count(), 117, "{original}");
    let copied = interpolate_sectors(&sectors, &upz, &dir.join("flatgeobuf.csv"));
    assert_eq!(copied.lines().count(), 117, "{copied}");
    assert_rows_within(&copied, &original);

    // The GDAL-written fixture as the targets, and its 22 UPZ as GeoJSON (written by careblock
    // from the bundled GeoJSON: the same 7-decimal coordinates). The values depend on which
    // targets share a source, so the GeoJSON run is of the same UPZ.
    let fixture_ids = read(&fixture(), "UPlCodigo").ids;
    let sample_geojson = dir.join("sample.geojson");
    careblock_io::write_geojson(
        &sample_geojson,
        &subset(&read(&bogota("upz.geojson"), "UPlCodigo"), &fixture_ids),
    )
    .unwrap();
    let from_geojson = interpolate_sectors(
        &bogota("sectores_censales.shp"),
        &sample_geojson,
        &dir.join("sample_geojson.csv"),
    );
    let from_fgb = interpolate_sectors(
        &bogota("sectores_censales.shp"),
        &fixture(),
        &dir.join("sample_fgb.csv"),
    );
    assert_eq!(from_fgb.lines().count(), 23, "{from_fgb}");
    assert_rows_within(&from_fgb, &from_geojson);
}

/// `careblock interpolate --out x.fgb` writes the targets with their interpolated columns as
/// FlatGeobuf: every UPZ, and the values of the CSV the same run writes.
#[test]
fn interpolate_writes_flatgeobuf_when_out_ends_in_fgb() {
    let dir = common::fresh_dir("flatgeobuf", "interpolate_out");
    let (sectors, upz) = (bogota("sectores_censales.shp"), bogota("upz.geojson"));
    let csv = interpolate_sectors(&sectors, &upz, &dir.join("upz.csv"));
    let (_, want) = rows(&csv);
    common::interpolate_sectors(&sectors, &upz, &dir.join("upz.fgb"));
    let got = read(&dir.join("upz.fgb"), "UPlCodigo");
    assert_eq!(got.len(), want.len());
    for (id, values) in &want {
        let i = got.ids.iter().position(|x| x == id).unwrap();
        let v = got.numeric_column("STP27_PERS").unwrap()[i].unwrap_or(f64::NAN);
        assert!(
            (v - values[0]).abs() <= 1e-9 * values[0].abs().max(1.0),
            "{id}: {v} vs {}",
            values[0]
        );
    }
}

/// The files careblock writes open in GDAL: the feature count, the geometry type, EPSG:4326,
/// the columns; a bounding-box query (answered through the spatial index) finds the
/// features careblock finds; a layer with a null geometry (written without index) keeps it.
#[test]
fn written_flatgeobuf_opens_in_ogrinfo_with_its_index() {
    let dir = common::fresh_dir("flatgeobuf", "ogrinfo");
    let upz = read(&bogota("upz.geojson"), "UPlCodigo");
    let path = dir.join("upz.fgb");
    write_flatgeobuf(&path, &upz, "UPlCodigo").unwrap();
    if !have_ogrinfo() {
        return;
    }
    let summary = ogrinfo(&["-ro", "-so", "-al"], &path);
    assert!(summary.contains("Layer name: upz"), "{summary}");
    assert!(summary.contains("Feature Count: 116"), "{summary}");
    assert!(summary.contains("Geometry: Unknown (any)"), "{summary}");
    assert!(summary.contains("ID[\"EPSG\",4326]"), "{summary}");
    for column in [
        "UPlCodigo: String",
        "UPlTipo: Integer64",
        "UPlNombre: String",
        "UPlArea: Real",
    ] {
        assert!(summary.contains(column), "{column}: {summary}");
    }
    // The rectangle's features by their bounding boxes, as the index answers.
    let (x0, y0, x1, y1) = (-74.10, 4.60, -74.08, 4.62);
    let expected = upz
        .geometries
        .iter()
        .flatten()
        .filter(|g| {
            let r = g.bounding_rect().unwrap();
            r.min().x <= x1 && r.max().x >= x0 && r.min().y <= y1 && r.max().y >= y0
        })
        .count();
    assert!(expected > 1);
    let spat = ["-ro", "-q", "-al", "-spat", "-74.10", "4.60", "-74.08", "4.62"];
    let found = ogrinfo(&spat, &path).matches("OGRFeature(").count();
    assert!(found >= 1 && found <= expected, "{found} of {expected}");

    let mut with_null = upz.clone();
    with_null.geometries[3] = None;
    let path = dir.join("with_null.fgb");
    write_flatgeobuf(&path, &with_null, "UPlCodigo").unwrap();
    let all = ogrinfo(&["-ro", "-al", "-q"], &path);
    assert_eq!(all.matches("OGRFeature(").count(), 116);
    let features: Vec<&str> = all.split("OGRFeature(").skip(1).collect();
    assert!(
        features[3].contains(&format!("UPlCodigo (String) = {}", upz.ids[3])),
        "{}",
        features[3]
    );
    assert!(!features[3].contains("POLYGON"), "{}", features[3]);
}
