//! `careblock interpolate`'s output formats: a GeoPackage table (by `.gpkg` or `--format
//! gpkg`) holding what the CSV holds, in the working CRS, that GDAL opens; `--format` deciding
//! a file name without a known extension; and the one-line refusals of an unknown format and
//! of a format that contradicts the file name, which write nothing.

use std::path::{Path, PathBuf};

use crate::common::{self, interpolate_sectors, interpolate_sectors_with};

fn bogota(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/bogota")
        .join(file)
}

/// The CSV's rows: id → the STP27_PERS and IPM_PROMEDIO values.
fn csv_rows(path: &Path) -> Vec<(String, f64, f64)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (id, pers, ipm) = (col("UPlCodigo"), col("STP27_PERS"), col("IPM_PROMEDIO"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[id].to_string(),
                f[pers].parse().unwrap(),
                f[ipm].parse().unwrap(),
            )
        })
        .collect()
}

fn gpkg_rows(path: &Path, table: &str) -> (Vec<(String, f64, f64)>, i64) {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut st = conn
        .prepare(&format!(
            "SELECT UPlCodigo, STP27_PERS, IPM_PROMEDIO FROM \"{table}\" ORDER BY fid"
        ))
        .unwrap();
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let srs: i64 = conn
        .query_row(
            "SELECT srs_id FROM gpkg_contents WHERE table_name = ?1",
            [table],
            |r| r.get(0),
        )
        .unwrap();
    (rows, srs)
}

#[test]
fn interpolate_writes_a_geopackage_table_like_its_csv() {
    let dir = common::fresh_dir("interpolate_formats", "gpkg");
    let (sectors, upz) = (bogota("sectores_censales.shp"), bogota("upz.geojson"));
    let csv = dir.join("upz.csv");
    interpolate_sectors(&sectors, &upz, &csv);
    let expected = csv_rows(&csv);
    assert!(expected.len() > 100);

    // By the extension; the table is named after the file.
    let gpkg = dir.join("upz-2024.gpkg");
    interpolate_sectors(&sectors, &upz, &gpkg);
    let (rows, srs) = gpkg_rows(&gpkg, "upz_2024");
    assert_eq!(srs, 9377, "the GeoPackage holds the working CRS");
    if common::have_ogrinfo() {
        let info = common::ogrinfo(&["-so", "-al"], &gpkg);
        assert!(info.contains("Layer name: upz_2024"), "{info}");
        assert!(
            info.contains(&format!("Feature Count: {}", expected.len())),
            "{info}"
        );
    }
    assert_eq!(rows.len(), expected.len());
    for ((id, pers, ipm), (eid, epers, eipm)) in rows.iter().zip(&expected) {
        assert_eq!(id, eid);
        // The CSV prints the shortest text that reads back as the same double.
        assert_eq!(pers, epers, "{id}");
        assert_eq!(ipm, eipm, "{id}");
    }

    // By --format, whatever the name.
    let plain = dir.join("result");
    let o = interpolate_sectors_with(&sectors, &upz, &plain, &["--format", "gpkg"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(gpkg_rows(&plain, "result").0, rows);
    // --format agreeing with the extension is fine.
    let o = interpolate_sectors_with(&sectors, &upz, &dir.join("again.csv"), &["--format", "csv"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn an_unknown_or_contradicting_format_is_refused_in_one_line_and_nothing_is_written() {
    let dir = common::fresh_dir("interpolate_formats", "refused");
    let (sectors, upz) = (bogota("sectores_censales.shp"), bogota("upz.geojson"));
    let cases = [
        (
            "upz.geojson",
            Some("csv"),
            "--format csv but the file name ends in .geojson; name the file .csv",
        ),
        (
            "upz.out",
            Some("shp"),
            "--format shp: unknown output format; valid: geojson, csv, gpkg, flatgeobuf, geoparquet",
        ),
        (
            "upz.out",
            None,
            "upz.out: the output must end in .geojson, .parquet (GeoParquet), .fgb (FlatGeobuf), .gpkg (GeoPackage) or .csv, or --format must name one of them",
        ),
    ];
    for (file, format, expected) in cases {
        let out = dir.join(file);
        let extra: Vec<&str> = format.map(|f| vec!["--format", f]).unwrap_or_default();
        let o = interpolate_sectors_with(&sectors, &upz, &out, &extra);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{file}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!out.exists(), "{file} was written");
    }
}
