//! Readers, joins and writers on real Bogotá data: the bundled copies in `data/bogota/`, and
//! two files of the project's shared data that are not bundled (the census sectors as GeoJSON,
//! the localidades as a shapefile), whose tests skip with a printed line where that folder is
//! absent (see `tests/common/shared_data.rs`).

use std::path::{Path, PathBuf};

use careblock_core::project::project;
use careblock_core::{Crs, Layer};
use careblock_io::*;
use geo::{Area, Geometry, Winding};
use polars::prelude::*;

#[path = "../../../tests/common/shared_data.rs"]
mod shared_data;
use shared_data::{repo_root, shared_data};

/// A file of the bundled Bogotá data (byte-identical copies of the shared files, renamed).
fn data(rel: &str) -> PathBuf {
    repo_root().join("data/bogota").join(rel)
}

const SECTORES_GEOJSON: &str = "bogota-sectores-censales-cnpv2018/sectores_censales_cnpv2018.geojson";
const SECTORES_SHP: &str = "sectores_censales.shp";
const SECTORES_CSV: &str = "sociodemograficas_sector_censal.csv";
const UPZ: &str = "upz.geojson";
const LOCALIDADES: &str = "bogota-localidades/Loca.shp";
const POPULATION: f64 = 7_136_912.0;

/// A fresh empty directory under the target dir's tmp.
fn temp_dir(tag: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("io-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn sum(layer: &Layer, column: &str) -> f64 {
    layer.numeric_column(column).unwrap().into_iter().flatten().sum()
}

fn total_area(layer: &Layer) -> f64 {
    let m = project(layer, Crs::from_epsg(9377).unwrap()).unwrap();
    m.geometries.iter().flatten().map(|g| g.unsigned_area()).sum()
}

#[test]
fn upz_geojson_with_a_crs_member() {
    let path = data(UPZ);
    let (l, report) = read_layer(&path, &ReadOptions::default()).unwrap();
    assert_eq!(l.len(), 116);
    assert_eq!(l.crs, Crs::from_epsg(4686).unwrap());
    assert_eq!(l.name, path.display().to_string());
    assert!(report.closed_rings.is_empty());
    assert_eq!(l.ids[0], "0");
    assert!(
        l.geometries
            .iter()
            .all(|g| matches!(g, Some(Geometry::Polygon(_) | Geometry::MultiPolygon(_))))
    );
    let codes = l.attributes.column("UPlCodigo").unwrap().str().unwrap().clone();
    assert_eq!(codes.get(0), Some("UPZ100"));
    assert_eq!(l.attributes.column("UPlTipo").unwrap().dtype(), &DataType::Int64);
    assert_eq!(
        l.attributes.column("UPlArea").unwrap().dtype(),
        &DataType::Float64
    );
    // UPlAAdmini has nulls: kept as nulls.
    assert!(l.attributes.column("UPlAAdmini").unwrap().null_count() > 0);
    let opts = ReadOptions {
        id_field: Some("UPlCodigo".into()),
        ..Default::default()
    };
    let (l, _) = read_geojson(&path, &opts).unwrap();
    assert_eq!(l.ids[0], "UPZ100");
}

/// The bundled census-sector shapefile: text keys, integer counts, WGS 84 from the `.prj`.
fn read_sectores_shapefile() -> Layer {
    let opts = ReadOptions {
        id_field: Some("SETU_CCNCT".into()),
        ..Default::default()
    };
    let (s, report) = read_layer(&data(SECTORES_SHP), &opts).unwrap();
    assert!(report.closed_rings.is_empty());
    s
}

#[test]
fn sectores_shapefile_keeps_text_keys_and_integer_counts() {
    let s = read_sectores_shapefile();
    assert_eq!(s.len(), 641);
    assert_eq!(s.crs, careblock_core::WGS84);
    assert_eq!(s.ids[0], "110011000000001101");
    assert_eq!(sum(&s, "STP27_PERS"), POPULATION);
    assert_eq!(
        s.attributes.column("SETU_CCNCT").unwrap().dtype(),
        &DataType::String
    );
    assert_eq!(
        s.attributes.column("STP27_PERS").unwrap().dtype(),
        &DataType::Int64
    );
    assert_eq!(
        s.attributes.column("SHAPE_Area").unwrap().dtype(),
        &DataType::Float64
    );
}

#[test]
fn sectores_geojson_and_shapefile_agree() {
    let Some(geojson) = shared_data(SECTORES_GEOJSON) else {
        return;
    };
    let (g, _) = read_layer(&geojson, &ReadOptions::default()).unwrap();
    assert_eq!(g.len(), 641);
    assert_eq!(g.crs, careblock_core::WGS84);
    assert_eq!(sum(&g, "STP27_PERS"), POPULATION);
    let nulls: usize = g.attributes.columns().iter().map(|c| c.null_count()).sum();
    assert_eq!(nulls, 120, "every null property is kept as a null");
    // the key stays text
    let key = g.attributes.column("SETU_CCNCT").unwrap();
    assert_eq!(key.dtype(), &DataType::String);
    assert_eq!(key.str().unwrap().get(0), Some("110011000000001101"));

    let s = read_sectores_shapefile();
    assert_eq!(
        s.ids,
        key.str()
            .unwrap()
            .iter()
            .map(|k| k.unwrap().to_string())
            .collect::<Vec<_>>()
    );
    let (ga, sa) = (total_area(&g), total_area(&s));
    assert!((ga - sa).abs() / ga < 1e-6, "{ga} vs {sa}");
}

#[test]
fn localidades_shapefile_reads_utf8_names_in_magna() {
    let Some(shp) = shared_data(LOCALIDADES) else {
        return;
    };
    let (l, _) = read_layer(&shp, &ReadOptions::default()).unwrap();
    assert_eq!(l.len(), 20);
    assert_eq!(l.crs, Crs::from_epsg(4686).unwrap());
    let names: Vec<String> = l
        .attributes
        .column("LocNombre")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .map(str::to_string)
        .collect();
    assert!(names.iter().any(|n| n == "ANTONIO NARIÑO"), "{names:?}");
    assert_eq!(
        l.attributes.column("LocArea").unwrap().dtype(),
        &DataType::Float64
    );
    // Every polygon's exterior must contain its holes: the area in m² of Bogotá's localidades
    // (Sumapaz included) is about 1,636 km².
    let km2 = total_area(&l) / 1e6;
    assert!((1500.0..1800.0).contains(&km2), "{km2}");
}

#[test]
fn shapefile_without_prj_needs_a_crs_and_latin1_dbf_without_cpg() {
    let dir = temp_dir("latin1");
    let shp = dir.join("pts.shp");
    let w = shapefile::ShapeWriter::from_path(&shp).unwrap();
    w.write_shapes(&vec![
        shapefile::Point::new(-74.08, 4.60),
        shapefile::Point::new(-74.10, 4.65),
    ])
    .unwrap();
    // A dBase III table by hand: NAME C(20), POP N(10,0); Latin-1 text, no .cpg.
    let mut dbf = vec![0x03, 125, 1, 1];
    dbf.extend(2u32.to_le_bytes());
    dbf.extend((32u16 + 64 + 1).to_le_bytes());
    dbf.extend((1u16 + 20 + 10).to_le_bytes());
    dbf.extend([0u8; 20]);
    for (name, kind, len) in [(&b"NAME"[..], b'C', 20u8), (&b"POP"[..], b'N', 10u8)] {
        let mut d = [0u8; 32];
        d[..name.len()].copy_from_slice(name);
        d[11] = kind;
        d[16] = len;
        dbf.extend(d);
    }
    dbf.push(0x0D);
    for (name, pop) in [(&b"ANTONIO NARI\xD1O"[..], &b"4600"[..]), (b"USAQU\xC9N", b"")] {
        dbf.push(b' ');
        dbf.extend(name);
        dbf.extend(std::iter::repeat_n(b' ', 20 - name.len()));
        dbf.extend(std::iter::repeat_n(b' ', 10 - pop.len()));
        dbf.extend(pop);
    }
    dbf.push(0x1A);
    std::fs::write(dir.join("pts.dbf"), &dbf).unwrap();

    let err = read_shapefile(&shp, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("pts.shp: the layer has no CRS"), "{err}");
    let opts = ReadOptions {
        crs: Some(careblock_core::WGS84),
        id_field: Some("NAME".into()),
        ..Default::default()
    };
    let (l, _) = read_shapefile(&shp, &opts).unwrap();
    assert_eq!(l.ids, ["ANTONIO NARIÑO", "USAQUÉN"]);
    assert_eq!(l.numeric_column("POP").unwrap(), [Some(4600.0), None]);
    assert!(matches!(l.geometries[0], Some(Geometry::Point(_))));

    // An explicit .cpg wins.
    std::fs::write(dir.join("pts.cpg"), "ISO-8859-1").unwrap();
    let (l, _) = read_shapefile(&shp, &opts).unwrap();
    assert_eq!(l.ids[1], "USAQUÉN");
    // A .cpg that says UTF-8 over Latin-1 bytes is refused, naming the .dbf.
    std::fs::write(dir.join("pts.cpg"), "UTF-8").unwrap();
    let err = read_shapefile(&shp, &opts).unwrap_err().to_string();
    assert!(err.contains("pts.dbf: the .cpg says UTF-8"), "{err}");
    std::fs::write(dir.join("pts.cpg"), "KLINGON").unwrap();
    let err = read_shapefile(&shp, &opts).unwrap_err().to_string();
    assert!(err.contains("pts.cpg: unknown encoding \"KLINGON\""), "{err}");
}

#[test]
fn census_csv_joins_to_the_shapefile() {
    let table = read_table_with_key(&data(SECTORES_CSV), "SETU_CCNCT").unwrap();
    assert_eq!(table.height(), 641);
    assert_eq!(table.column("SETU_CCNCT").unwrap().dtype(), &DataType::String);
    assert_eq!(table.column("STP34_1_ED").unwrap().dtype(), &DataType::Int64);
    // Without the key override the code would be a number.
    let plain = read_table(&data(SECTORES_CSV)).unwrap();
    assert!(plain.column("SETU_CCNCT").unwrap().dtype().is_integer());

    let (shp, _) = read_layer(&data(SECTORES_SHP), &ReadOptions::default()).unwrap();
    // The CSV repeats STP27_PERS, STP32_1_SE and STP32_2_SE with the same values: kept once.
    let (whole, _) = join_table(
        shp.clone(),
        table.clone(),
        "socio.csv",
        "SETU_CCNCT",
        "SETU_CCNCT",
    )
    .unwrap();
    assert_eq!(
        whole.attributes.width(),
        shp.attributes.width() + table.width() - 4
    );
    assert_eq!(sum(&whole, "STP27_PERS"), POPULATION);
    // A repeated column that disagrees is refused, naming the column and the first feature.
    let mut altered = table.clone();
    let persons: Vec<i64> = (0..641).map(|i| if i == 5 { 1 } else { 0 }).collect();
    altered
        .with_column(Column::new("STP27_PERS".into(), persons))
        .unwrap();
    let err = join_table(shp.clone(), altered, "socio.csv", "SETU_CCNCT", "SETU_CCNCT")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("socio.csv: column \"STP27_PERS\" is also a column of"),
        "{err}"
    );
    assert!(err.contains("disagree (first at feature"), "{err}");

    let ages: Vec<String> = (1..=9).map(|k| format!("STP34_{k}_ED")).collect();
    let mut wanted = vec!["SETU_CCNCT".to_string()];
    wanted.extend(ages.iter().cloned());
    let table = table.select(wanted).unwrap();
    let (joined, report) = join_table(shp, table, "socio.csv", "SETU_CCNCT", "SETU_CCNCT").unwrap();
    assert!(
        report.unmatched_features.is_empty() && report.unmatched_rows.is_empty(),
        "{report:?}"
    );
    assert_eq!(joined.len(), 641);
    let total: f64 = ages.iter().map(|c| sum(&joined, c)).sum();
    assert_eq!(total, POPULATION);
    assert_eq!(sum(&joined, "STP27_PERS"), POPULATION);
}

#[test]
fn join_reports_and_refuses() {
    let layer = Layer::new(
        "l.geojson",
        vec!["a".into(), "b".into(), "c".into()],
        vec![None; 3],
        DataFrame::new(3, vec![Column::new("code".into(), [1i64, 2, 3])]).unwrap(),
        careblock_core::WGS84,
    )
    .unwrap();
    let table = df!("k" => ["2", "3", "9"], "v" => [20.0, 30.0, 90.0]).unwrap();
    let (j, r) = join_table(layer.clone(), table, "t.csv", "code", "k").unwrap();
    assert_eq!(r.unmatched_features, ["a"]);
    assert_eq!(r.unmatched_rows, ["9"]);
    assert_eq!(j.numeric_column("v").unwrap(), [None, Some(20.0), Some(30.0)]);
    assert_eq!(j.ids, ["a", "b", "c"]);

    let table = df!("k" => ["b", "c", "b"], "v" => [1, 2, 3]).unwrap();
    let err = join_table(layer.clone(), table, "t.csv", "id", "k")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "t.csv: key \"b\" of column \"k\" appears in rows 1 and 3 (1-based data rows); join keys must be unique"
    );
    let table = df!("k" => ["a"], "code" => [1]).unwrap();
    let (same, _) = join_table(layer.clone(), table, "t.csv", "id", "k").unwrap();
    assert_eq!(
        same.attributes.get_column_names(),
        ["code", "k"],
        "an agreeing repeat is kept once"
    );
    let table = df!("k" => ["a", "c"], "code" => [1, 4]).unwrap();
    let err = join_table(layer.clone(), table, "t.csv", "id", "k")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "t.csv: column \"code\" is also a column of l.geojson and the two disagree (first at feature \"c\"); rename or drop one before joining"
    );
    let table = df!("k" => ["a"]).unwrap();
    let err = join_table(layer, table, "t.csv", "nope", "k")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("l.geojson: no column \"nope\""), "{err}");
}

#[test]
fn parquet_and_csv_round_trips() {
    let dir = temp_dir("tables");
    let mut df = df!(
        "code" => ["05001", "110011000000001101"],
        "pop" => [12i64, 7],
        "share" => [Some(0.5), None]
    )
    .unwrap();
    let pq = dir.join("t.parquet");
    ParquetWriter::new(std::fs::File::create(&pq).unwrap())
        .finish(&mut df)
        .unwrap();
    let back = read_table(&pq).unwrap();
    assert!(back.equals_missing(&df));
    let back = read_table_with_key(&pq, "pop").unwrap();
    assert_eq!(back.column("pop").unwrap().dtype(), &DataType::String);

    let csv = dir.join("t.csv");
    write_csv(&csv, &mut df).unwrap();
    let back = read_table_with_key(&csv, "code").unwrap();
    assert_eq!(back.column("code").unwrap().str().unwrap().get(0), Some("05001"));
    assert_eq!(back.column("pop").unwrap().dtype(), &DataType::Int64);
    let err = read_table_with_key(&csv, "nope").unwrap_err().to_string();
    assert!(
        err.contains("t.csv: no column \"nope\" (columns: code, pop, share)"),
        "{err}"
    );
    let err = read_table(&dir.join("t.xlsx")).unwrap_err().to_string();
    assert!(err.contains("t.xlsx"), "{err}");
    // Only the written files remain: no temporary files.
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["t.csv", "t.parquet"]);
}

#[test]
fn geojson_written_from_metres_reads_back_in_lon_lat() {
    let opts = ReadOptions {
        id_field: Some("UPlCodigo".into()),
        ..Default::default()
    };
    let (upz, _) = read_layer(&data(UPZ), &opts).unwrap();
    let metres = project(&upz, Crs::from_epsg(9377).unwrap()).unwrap();
    let dir = temp_dir("write");
    let out = dir.join("upz.geojson");
    write_geojson(&out, &metres).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains("\"crs\""));
    let (back, _) = read_geojson(&out, &ReadOptions::default()).unwrap();
    assert_eq!(back.crs, careblock_core::WGS84);
    assert_eq!(back.ids, upz.ids);
    assert_eq!(sum(&back, "UPlArea"), sum(&upz, "UPlArea"));
    assert_eq!(
        back.attributes.column("UPlTipo").unwrap().dtype(),
        &DataType::Int64
    );
    assert_eq!(
        back.attributes.column("UPlAAdmini").unwrap().null_count(),
        upz.attributes.column("UPlAAdmini").unwrap().null_count()
    );
    for (a, b) in upz.geometries.iter().zip(&back.geometries) {
        let (Some(a), Some(b)) = (a, b) else {
            panic!("null geometry")
        };
        let ca: Vec<_> = geo::CoordsIter::coords_iter(a).collect();
        let cb: Vec<_> = geo::CoordsIter::coords_iter(b).collect();
        assert_eq!(ca.len(), cb.len());
        // Rings may have been reversed: compare as sets of rounded coordinates.
        let key = |c: &geo::Coord| ((c.x * 1e6).round() as i64, (c.y * 1e6).round() as i64);
        let mut ka: Vec<_> = ca.iter().map(key).collect();
        let mut kb: Vec<_> = cb.iter().map(key).collect();
        ka.sort();
        kb.sort();
        assert_eq!(ka, kb);
        let polys: Vec<&geo::Polygon> = match b {
            Geometry::Polygon(p) => vec![p],
            Geometry::MultiPolygon(mp) => mp.0.iter().collect(),
            _ => panic!(),
        };
        for p in polys {
            assert!(p.exterior().is_ccw());
            assert!(p.interiors().iter().all(|h| h.is_cw()));
        }
    }
    // Same coordinates within 1e-7 degrees when orientation is unchanged (first feature).
    let first = |l: &Layer| match &l.geometries[0] {
        Some(Geometry::Polygon(p)) => p.exterior().0.clone(),
        Some(Geometry::MultiPolygon(mp)) => mp.0[0].exterior().0.clone(),
        _ => panic!(),
    };
    let (a, mut b) = (first(&upz), first(&back));
    if a.len() > 1 && (a[1].x - b[1].x).abs() > 1e-6 {
        b.reverse();
    }
    for (p, q) in a.iter().zip(&b) {
        assert!(
            (p.x - q.x).abs() <= 1.01e-7 && (p.y - q.y).abs() <= 1.01e-7,
            "{p:?} {q:?}"
        );
    }

    // A failed write names the path and leaves nothing behind.
    let bad = dir.join("no/such/dir/out.geojson");
    let err = write_geojson(&bad, &metres).unwrap_err().to_string();
    assert!(err.starts_with(&bad.display().to_string()), "{err}");
    assert!(!bad.exists());
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[cfg(not(feature = "gdal"))]
#[test]
fn other_formats_need_gdal() {
    let err = read_layer(Path::new("x.gpkg"), &ReadOptions::default()).unwrap_err();
    assert!(matches!(&err, IoError::UnsupportedFormat { extension, .. } if extension == "gpkg"));
    // The library says what it reads; each front end words the remedy (a build with GDAL).
    assert_eq!(err.hint(), Some(careblock_core::Hint::BuildWithGdal));
    let err = err.to_string();
    assert!(
        err.starts_with("x.gpkg: cannot read .gpkg files") && !err.contains("--"),
        "{err}"
    );
}

#[cfg(feature = "gdal")]
#[test]
fn ogr_reads_a_geopackage_like_the_geojson() {
    let Some(geojson) = shared_data(SECTORES_GEOJSON) else {
        return;
    };
    let dir = temp_dir("ogr");
    let gpkg = dir.join("sectores.gpkg");
    // ogr2ogr comes with GDAL (gdal-bin).
    let status = std::process::Command::new("ogr2ogr")
        .arg("-f")
        .arg("GPKG")
        .arg(&gpkg)
        .arg(&geojson)
        .status()
        .expect("ogr2ogr (gdal-bin) is installed with libgdal");
    assert!(status.success());
    let opts = ReadOptions {
        id_field: Some("SETU_CCNCT".into()),
        ..Default::default()
    };
    let (g, _) = read_geojson(&geojson, &opts).unwrap();
    let (o, _) = read_layer(&gpkg, &opts).unwrap();
    assert_eq!(o.crs, careblock_core::WGS84);
    assert_eq!(o.ids, g.ids);
    assert_eq!(sum(&o, "STP27_PERS"), POPULATION);
    let nulls = |l: &Layer| -> usize { l.attributes.columns().iter().map(|c| c.null_count()).sum() };
    assert_eq!(nulls(&o), nulls(&g));
    let (ga, oa) = (total_area(&g), total_area(&o));
    assert!((ga - oa).abs() / ga < 1e-9, "{ga} vs {oa}");
    let (o2, _) = read_ogr(&gpkg, None, &ReadOptions::default()).unwrap();
    assert_eq!(o2.ids[0], "1", "GeoPackage FIDs start at 1");
    let err = read_ogr(&gpkg, Some("nope"), &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no layer \"nope\""), "{err}");
}
