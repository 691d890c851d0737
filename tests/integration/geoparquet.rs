//! GeoParquet layers (issue #28): a GeoParquet copy of a bundled layer reads as the same layer
//! (ids, geometries, columns, CRS) as the shapefile or GeoJSON it came from; the files geopandas
//! writes (WKB with a bbox covering, GeoArrow polygons, a projected CRS) read like their
//! GeoJSON; and `careblock interpolate` on GeoParquet copies writes what it writes on the
//! original formats.

use crate::common;

use std::path::{Path, PathBuf};

use crate::common::{careblock, interpolate_sectors};
use careblock_core::{Crs, Layer};
use careblock_io::{ReadOptions, read_layer};
use geo::{CoordsIter, Geometry};
use polars::prelude::{IntoColumn, KeyValueMetadata, NamedFrom, ParquetWriter, Series};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bogota(file: &str) -> PathBuf {
    root().join("data/bogota").join(file)
}

fn fixture(file: &str) -> PathBuf {
    root().join("tests/fixtures").join(file)
}

fn read(path: &Path, id: &str) -> Layer {
    let opts = ReadOptions {
        id_field: Some(id.into()),
        ..ReadOptions::default()
    };
    read_layer(path, &opts).unwrap_or_else(|e| panic!("{e}")).0
}

/// `layer`'s attributes, then its geometries as WKB in `column`.
fn with_wkb(layer: &Layer, column: &str) -> polars::prelude::DataFrame {
    let mut df = layer.attributes.clone();
    let wkb: Vec<Option<Vec<u8>>> = layer
        .geometries
        .iter()
        .map(|g| g.as_ref().map(careblock_io::wkb::encode))
        .collect();
    df.with_column(Series::new(column.into(), wkb).into_column())
        .unwrap();
    df
}

/// Writes `layer` as GeoParquet 1.1: its columns, then its geometries as WKB in `geometry`,
/// its CRS as a PROJJSON id.
fn write_geoparquet(layer: &Layer, path: &Path) {
    write_geoparquet_edges(layer, path, "planar");
}

/// [`write_geoparquet`] with the column's `edges` (`planar` or `spherical`).
fn write_geoparquet_edges(layer: &Layer, path: &Path, edges: &str) {
    let mut df = with_wkb(layer, "geometry");
    let geo = format!(
        r#"{{"version": "1.1.0", "primary_column": "geometry", "columns": {{"geometry": {{"encoding": "WKB", "geometry_types": [], "edges": "{edges}", "crs": {{"type": "GeographicCRS", "name": "x", "id": {{"authority": "EPSG", "code": {}}}}}}}}}}}"#,
        layer.crs.epsg()
    );
    let file = std::fs::File::create(path).unwrap();
    ParquetWriter::new(file)
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(vec![("geo".into(), geo)])))
        .finish(&mut df)
        .unwrap();
}

fn assert_same(a: &Layer, b: &Layer) {
    assert_eq!(a.ids, b.ids, "{} vs {}", a.name, b.name);
    assert_eq!(a.crs, b.crs);
    assert_eq!(a.geometries.len(), b.geometries.len());
    for (i, (ga, gb)) in a.geometries.iter().zip(&b.geometries).enumerate() {
        assert_eq!(ga, gb, "feature {} of {} vs {}", a.ids[i], a.name, b.name);
    }
    assert!(
        a.attributes.equals_missing(&b.attributes),
        "{}:\n{}\n{}:\n{}",
        a.name,
        a.attributes.head(Some(3)),
        b.name,
        b.attributes.head(Some(3))
    );
}

#[test]
fn geoparquet_copies_of_the_bundled_shapefile_and_geojson_read_as_the_same_layers() {
    let dir = common::fresh_dir("geoparquet", "copies");
    for (file, id) in [
        ("sectores_censales.shp", "SETU_CCNCT"),
        ("upz.geojson", "UPlCodigo"),
    ] {
        let original = read(&bogota(file), id);
        let copy = dir.join(format!("{file}.parquet"));
        write_geoparquet(&original, &copy);
        let read_back = read(&copy, id);
        assert_same(&original, &read_back);
        // The extension `.geoparquet` reads the same; without an id field, ids are row indices.
        let other = dir.join(format!("{file}.geoparquet"));
        std::fs::copy(&copy, &other).unwrap();
        let by_index = read_layer(&other, &ReadOptions::default()).unwrap().0;
        assert_eq!(by_index.ids[..3], ["0", "1", "2"]);
        assert_eq!(by_index.geometries, original.geometries);
    }
}

#[test]
fn geopandas_geoparquet_files_read_like_their_geojson() {
    let geojson = read(&fixture("city2k/districts.geojson"), "district_id");
    for file in ["districts_wkb.parquet", "districts_geoarrow.parquet"] {
        let layer = read(&fixture(&format!("geoparquet/{file}")), "district_id");
        // The bbox covering column of the WKB file is not an attribute.
        assert_same(&geojson, &layer);
    }

    // EPSG:9377 named by PROJJSON; the coordinates are pyproj's projection of the GeoJSON's,
    // so careblock's own projection of them agrees to the millimetre.
    let projected = read(&fixture("geoparquet/districts_9377.parquet"), "district_id");
    let crs = Crs::from_epsg(9377).unwrap();
    assert_eq!(projected.crs, crs);
    let ours = careblock_core::project::project(&geojson, crs).unwrap();
    assert_eq!(projected.ids, ours.ids);
    for (a, b) in projected.geometries.iter().zip(&ours.geometries) {
        let (a, b): (&Geometry<f64>, &Geometry<f64>) = (a.as_ref().unwrap(), b.as_ref().unwrap());
        assert_eq!(a.coords_count(), b.coords_count());
        for (p, q) in a.coords_iter().zip(b.coords_iter()) {
            assert!(
                (p.x - q.x).abs() < 1e-3 && (p.y - q.y).abs() < 1e-3,
                "{p:?} vs {q:?}"
            );
        }
    }
}

#[test]
fn wkb_pages_of_other_layouts_read_like_the_geojson() {
    // pyarrow's layout: three row groups, v2 data pages, snappy, dictionary-encoded pages
    // followed by plain ones, and null geometries at rows 0, 299 and 599 (make.py).
    let layer = read(&fixture("geoparquet/units_pages.parquet"), "unit_id");
    let geojson = read(&fixture("city2k/units.geojson"), "unit_id");
    assert_eq!(layer.len(), 600);
    assert_eq!(layer.ids[..], geojson.ids[..600]);
    for (i, (a, b)) in layer.geometries.iter().zip(&geojson.geometries).enumerate() {
        if [0, 299, 599].contains(&i) {
            assert_eq!(a, &None, "row {i}");
        } else {
            assert_eq!(a, b, "row {i}");
        }
    }
    let pop = |l: &careblock_core::Layer| -> Vec<Option<i64>> {
        let c = l
            .attributes
            .column("pop_total")
            .unwrap()
            .cast(&polars::prelude::DataType::Int64)
            .unwrap();
        c.i64().unwrap().iter().collect()
    };
    assert_eq!(pop(&layer)[..], pop(&geojson)[..600]);
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `careblock interpolate` of the Bogotá sectors to UPZ, on the shapefile and GeoJSON and on
/// GeoParquet copies of both: the same CSV, byte for byte.
#[test]
fn interpolate_on_geoparquet_copies_writes_what_it_writes_on_the_originals() {
    let dir = common::fresh_dir("geoparquet", "interpolate");
    let (sectors, upz) = (dir.join("sectores.parquet"), dir.join("upz.parquet"));
    write_geoparquet(&read(&bogota("sectores_censales.shp"), "SETU_CCNCT"), &sectors);
    write_geoparquet(&read(&bogota("upz.geojson"), "UPlCodigo"), &upz);
    let run = |source: &Path, target: &Path, out: &Path| {
        interpolate_sectors(source, target, out);
        std::fs::read_to_string(out).unwrap()
    };
    let original = run(
        &bogota("sectores_censales.shp"),
        &bogota("upz.geojson"),
        &dir.join("original.csv"),
    );
    let copied = run(&sectors, &upz, &dir.join("geoparquet.csv"));
    assert!(original.lines().count() > 100, "{original}");
    assert_eq!(original, copied);

    // Targets whose file declares spherical edges: measured as planar, the same CSV, and said.
    let spherical = dir.join("upz_spherical.parquet");
    write_geoparquet_edges(
        &read(&bogota("upz.geojson"), "UPlCodigo"),
        &spherical,
        "spherical",
    );
    let out = dir.join("spherical.csv");
    let o = common::interpolate_sectors_output(&sectors, &spherical, &out);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains("upz_spherical.parquet: the file declares spherical edges"),
        "{stderr}"
    );
    let planar = common::interpolate_sectors_output(&sectors, &upz, &dir.join("planar.csv"));
    assert!(!String::from_utf8_lossy(&planar.stderr).contains("spherical"));
    assert_eq!(original, std::fs::read_to_string(&out).unwrap());

    // A Parquet attribute table given as a layer: refused in one line naming the file.
    let not_geo = dir.join("table.parquet");
    let mut df = polars::df!("SETU_CCNCT" => ["a"], "x" => [1i64]).unwrap();
    ParquetWriter::new(std::fs::File::create(&not_geo).unwrap())
        .finish(&mut df)
        .unwrap();
    let o = careblock([
        "interpolate",
        "--source",
        s(&not_geo),
        "--target",
        s(&upz),
        "--extensive",
        "x",
        "--out",
        s(&dir.join("never.csv")),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("table.parquet: a Parquet file without GeoParquet `geo` metadata"),
        "{stderr}"
    );
    // The hint in the command line's terms.
    assert!(stderr.contains("--source-geometry"), "{stderr}");
}

/// A Parquet file without GeoParquet metadata, its WKB in a column named as no reader guesses,
/// read by `interpolate` with `--source-geometry` and `--source-crs` (the target likewise):
/// the same CSV as from the shapefile and GeoJSON; without the CRS it is refused in one line
/// that names the flag.
#[test]
fn interpolate_reads_plain_parquet_with_the_geometry_and_crs_flags() {
    let dir = common::fresh_dir("geoparquet", "interpolate-plain");
    let plain = |layer: &Layer, path: &Path| {
        let mut df = with_wkb(layer, "shape");
        ParquetWriter::new(std::fs::File::create(path).unwrap())
            .finish(&mut df)
            .unwrap();
        layer.crs.epsg().to_string()
    };
    let (sectors, upz) = (dir.join("sectores.parquet"), dir.join("upz.parquet"));
    let sectors_crs = plain(&read(&bogota("sectores_censales.shp"), "SETU_CCNCT"), &sectors);
    let upz_crs = plain(&read(&bogota("upz.geojson"), "UPlCodigo"), &upz);
    let original = dir.join("original.csv");
    interpolate_sectors(
        &bogota("sectores_censales.shp"),
        &bogota("upz.geojson"),
        &original,
    );
    let table = bogota("sociodemograficas_sector_censal.csv");
    let out = dir.join("plain.csv");
    let run = |source_crs: Option<&str>| {
        let mut args = vec![
            "interpolate",
            "--source",
            s(&sectors),
            "--source-id",
            "SETU_CCNCT",
            "--source-geometry",
            "shape",
            "--source-table",
            s(&table),
            "--table-key",
            "SETU_CCNCT",
            "--target",
            s(&upz),
            "--target-id",
            "UPlCodigo",
            "--target-geometry",
            "shape",
            "--target-crs",
            &upz_crs,
            "--extensive",
            "STP27_PERS,STP32_1_SE,STP32_2_SE,STVIVIENDA",
            "--intensive",
            "IPM_PROMEDIO",
            "--crs",
            "9377",
            "--out",
            s(&out),
        ];
        if let Some(crs) = source_crs {
            args.extend(["--source-crs", crs]);
        }
        careblock(args)
    };
    let o = run(Some(&sectors_crs));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(&original).unwrap(),
        std::fs::read_to_string(&out).unwrap()
    );
    std::fs::remove_file(&out).unwrap();
    let o = run(None);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("sectores.parquet: a Parquet file without GeoParquet `geo` metadata")
            && stderr.contains("nothing says their CRS")
            && stderr.contains("--source-crs"),
        "{stderr}"
    );
    assert!(!out.exists());
}

/// `interpolate --out x.parquet` writes the targets as GeoParquet: read back, the same ids,
/// interpolated values and (lon/lat) geometries as the GeoJSON output, and the ids in the
/// `--target-id` column.
#[test]
fn interpolate_writes_geoparquet_like_its_geojson() {
    let dir = common::fresh_dir("geoparquet", "interpolate-out");
    let run = |out: &Path| {
        interpolate_sectors(&bogota("sectores_censales.shp"), &bogota("upz.geojson"), out);
        read(out, "UPlCodigo")
    };
    let json = run(&dir.join("upz.geojson"));
    let parquet = run(&dir.join("upz.parquet"));
    assert_eq!(parquet.ids, json.ids);
    assert!(parquet.ids.len() > 100);
    assert_eq!(parquet.crs, json.crs);
    for col in ["STP27_PERS", "STVIVIENDA", "IPM_PROMEDIO"] {
        let (a, b) = (
            parquet.numeric_column(col).unwrap(),
            json.numeric_column(col).unwrap(),
        );
        assert_eq!(a, b, "{col}");
    }
    // GeoJSON keeps 7 decimals; GeoParquet the full doubles.
    for (i, (a, b)) in parquet.geometries.iter().zip(&json.geometries).enumerate() {
        let (a, b) = (a.as_ref().unwrap(), b.as_ref().unwrap());
        assert_eq!(a.coords_count(), b.coords_count(), "{}", parquet.ids[i]);
        for (p, q) in a.coords_iter().zip(b.coords_iter()) {
            assert!(
                (p.x - q.x).abs() < 1e-7 && (p.y - q.y).abs() < 1e-7,
                "{p:?} vs {q:?}"
            );
        }
    }
}
