//! Fuzzing with proptest (bounded cases, stable toolchain): arbitrary bytes and mutations of
//! valid inputs go into the GeoJSON parser (both the plain and the parallel split path), the
//! shapefile reader (`.shp`, `.shx` and `.dbf` mutated on disk), the FlatGeobuf reader (files
//! with and without spatial index), the GeoParquet reader (files pyarrow and careblock wrote), the CSV table reader and the method-file parser. The property: each returns `Ok` or `Err`, never panics; an `Ok` layer
//! has unique ids and one geometry and one attribute row per id.
//!
//! Case counts keep the whole file well under a minute in a debug build; set `PROPTEST_CASES`
//! to run more (e.g. `PROPTEST_CASES=5000 cargo test -p careblock-io --test fuzz`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use careblock_core::Crs;
use careblock_core::Layer;
use careblock_io::{
    ReadOptions, parse_geojson, read_flatgeobuf, read_geoparquet, read_shapefile, read_table_with_key,
    write_flatgeobuf, write_geoparquet,
};
use careblock_method::Method;
use proptest::prelude::*;

/// Cases per target: `PROPTEST_CASES` if set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The random cases start from a fixed seed (`PROPTEST_RNG_SEED` to try others), so that a
/// run is reproducible: the same cases on a developer's machine and in CI, and a failure found
/// once is found again.
fn config(default_cases: u32) -> ProptestConfig {
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2026);
    ProptestConfig {
        cases: cases(default_cases),
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed),
        ..ProptestConfig::default()
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh directory per call (cases of one target run one after another, several targets run
/// in parallel).
fn case_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("io-fuzz")
        .join(format!("{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The invariants of a layer a reader returned.
fn check_layer(layer: &Layer) -> Result<(), TestCaseError> {
    let unique: HashSet<&String> = layer.ids.iter().collect();
    prop_assert_eq!(unique.len(), layer.ids.len(), "duplicate ids in {:?}", layer.ids);
    prop_assert_eq!(layer.geometries.len(), layer.ids.len());
    prop_assert_eq!(layer.attributes.height(), layer.ids.len());
    Ok(())
}

/// Byte edits: (position, new byte) pairs applied modulo the length, then an optional cut.
fn mutate(seed: &[u8], edits: &[(usize, u8)], cut: Option<usize>) -> Vec<u8> {
    let mut b = seed.to_vec();
    if !b.is_empty() {
        for &(i, v) in edits {
            let n = b.len();
            b[i % n] = v;
        }
    }
    if let Some(c) = cut {
        let n = b.len();
        b.truncate(c % (n + 1));
    }
    b
}

/// Bytes that matter to JSON, so that mutations often stay close to valid documents.
fn json_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        prop::sample::select(b"{}[],:\"-.0123456789eEnNtf \\".to_vec()),
        any::<u8>(),
    ]
}

fn edits() -> impl Strategy<Value = Vec<(usize, u8)>> {
    prop::collection::vec((any::<usize>(), json_byte()), 1..6)
}

// ---------------------------------------------------------------- GeoJSON

const SMALL_GEOJSON: &str = r#"{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4686"}}, "features": [
{"type": "Feature", "id": "a", "properties": {"pop": 12, "name": "Usaquén", "r": 0.5, "m": "*"},
 "geometry": {"type": "Polygon", "coordinates": [[[-74.10, 4.60], [-74.09, 4.60], [-74.09, 4.61], [-74.10, 4.61], [-74.10, 4.60]], [[-74.098, 4.602], [-74.098, 4.604], [-74.096, 4.604], [-74.098, 4.602]]]}},
{"type": "Feature", "id": 7, "properties": {"pop": null, "name": null, "r": 1, "m": 3},
 "geometry": {"type": "MultiPolygon", "coordinates": [[[[-74.08, 4.60], [-74.07, 4.60], [-74.07, 4.61], [-74.08, 4.60]]]]}},
{"type": "Feature", "id": "c", "properties": {"pop": 3, "name": "x", "r": -2.5e3, "m": [1, 2]},
 "geometry": {"type": "Point", "coordinates": [-74.05, 4.65, 2600]}},
{"type": "Feature", "id": "d", "properties": {"pop": 0, "name": "y", "r": true, "m": {"k": 1}},
 "geometry": {"type": "LineString", "coordinates": [[-74.05, 4.65], [-74.04, 4.66]]}},
{"type": "Feature", "id": "e", "properties": {}, "geometry": null}
]}"#;

/// A collection large enough (≥ 256 features) to take the parallel split path.
fn large_geojson() -> String {
    let features: Vec<String> = (0..300)
        .map(|i| {
            let x = -74.2 + (i % 20) as f64 * 0.01;
            let y = 4.5 + (i / 20) as f64 * 0.01;
            format!(
                r#"{{"type":"Feature","properties":{{"code":"u{i}","pop":{i}}},"geometry":{{"type":"Polygon","coordinates":[[[{x},{y}],[{},{y}],[{},{}],[{x},{}],[{x},{y}]]]}}}}"#,
                x + 0.01,
                x + 0.01,
                y + 0.01,
                y + 0.01
            )
        })
        .collect();
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",\n")
    )
}

/// Tokens spliced over a number or a string of a valid document.
const JSON_TOKENS: &[&str] = &[
    "NaN",
    "Infinity",
    "-Infinity",
    "1e308",
    "-1e308",
    "1e999",
    "null",
    "\"*\"",
    "[]",
    "{}",
    "[[]]",
    "\"\"",
    "-0",
    "18446744073709551616",
    "\"Polygon\"",
    "\"Point\"",
    "\"GeometryCollection\"",
    "[1]",
    "[1,2,3,4]",
];

/// Replaces the `k`-th number-or-string token of `text` (modulo their count) by `token`.
fn splice_token(text: &str, k: usize, token: &str) -> String {
    let b = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'"' {
            let s = i;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            spans.push(s..(i + 1).min(b.len()));
            i += 1;
        } else if c == b'-' || c.is_ascii_digit() {
            let s = i;
            while i < b.len() && matches!(b[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                i += 1;
            }
            spans.push(s..i);
        } else {
            i += 1;
        }
    }
    if spans.is_empty() {
        return text.to_string();
    }
    let r = spans[k % spans.len()].clone();
    // Every span starts and ends on an ASCII byte of valid UTF-8 text, so slicing is safe.
    format!("{}{}{}", &text[..r.start], token, &text[r.end..])
}

fn parse(bytes: &[u8], id_field: Option<&str>) -> Result<(), TestCaseError> {
    let opts = ReadOptions {
        id_field: id_field.map(str::to_string),
        ..Default::default()
    };
    if let Ok((layer, _)) = parse_geojson("fuzz.geojson", bytes, &opts) {
        check_layer(&layer)?;
    }
    let close = ReadOptions {
        close_rings: true,
        ..opts
    };
    if let Ok((layer, _)) = parse_geojson("fuzz.geojson", bytes, &close) {
        check_layer(&layer)?;
    }
    Ok(())
}

#[test]
fn geojson_seeds_are_valid() {
    let (small, _) = parse_geojson("s.geojson", SMALL_GEOJSON.as_bytes(), &ReadOptions::default()).unwrap();
    assert_eq!(small.ids, ["a", "7", "c", "d", "e"]);
    let opts = ReadOptions {
        id_field: Some("code".into()),
        ..Default::default()
    };
    let (large, _) = parse_geojson("l.geojson", large_geojson().as_bytes(), &opts).unwrap();
    assert_eq!(large.len(), 300);
    assert_eq!(large.ids[299], "u299");
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn geojson_arbitrary_bytes(bytes in prop::collection::vec(json_byte(), 0..300)) {
        parse(&bytes, None)?;
    }

    #[test]
    fn geojson_mutated_bytes(e in edits(), cut in prop::option::of(any::<usize>())) {
        parse(&mutate(SMALL_GEOJSON.as_bytes(), &e, cut), None)?;
    }

    #[test]
    fn geojson_spliced_tokens(
        ks in prop::collection::vec((any::<usize>(), prop::sample::select(JSON_TOKENS)), 1..4),
    ) {
        let mut text = SMALL_GEOJSON.to_string();
        for (k, t) in ks {
            text = splice_token(&text, k, t);
        }
        parse(text.as_bytes(), None)?;
    }
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn geojson_large_mutated(e in edits(), cut in prop::option::of(any::<usize>()), by_code in any::<bool>()) {
        let seed = large_geojson();
        parse(&mutate(seed.as_bytes(), &e, cut), by_code.then_some("code"))?;
    }

    #[test]
    fn geojson_large_spliced(k in any::<usize>(), t in prop::sample::select(JSON_TOKENS), by_code in any::<bool>()) {
        let text = splice_token(&large_geojson(), k, t);
        parse(text.as_bytes(), by_code.then_some("code"))?;
    }
}

// ---------------------------------------------------------------- Shapefile

/// A valid three-polygon shapefile (one with a hole), with a text and a numeric field; returns
/// the bytes of its `.shp`, `.shx` and `.dbf`.
fn shapefile_seed() -> [Vec<u8>; 3] {
    use dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
    use shapefile::{Point, Polygon, PolygonRing};
    let d = case_dir("seed");
    let shp = d.join("seed.shp");
    let table = TableWriterBuilder::new()
        .add_character_field(FieldName::try_from("code").unwrap(), 10)
        .add_numeric_field(FieldName::try_from("pop").unwrap(), 10, 0);
    let mut w = shapefile::Writer::from_path(&shp, table).unwrap();
    let square = |x: f64, y: f64, s: f64| {
        // Outer rings are clockwise in a shapefile.
        vec![
            Point::new(x, y),
            Point::new(x, y + s),
            Point::new(x + s, y + s),
            Point::new(x + s, y),
            Point::new(x, y),
        ]
    };
    for (i, (x, hole)) in [(-74.10, false), (-74.08, true), (-74.06, false)]
        .into_iter()
        .enumerate()
    {
        let mut rings = vec![PolygonRing::Outer(square(x, 4.60, 0.01))];
        if hole {
            let mut h = square(x + 0.003, 4.603, 0.003);
            h.reverse();
            rings.push(PolygonRing::Inner(h));
        }
        let mut r = Record::default();
        r.insert("code".into(), FieldValue::Character(Some(format!("s{i}"))));
        r.insert("pop".into(), FieldValue::Numeric(Some(10.0 * i as f64)));
        w.write_shape_and_record(&Polygon::with_rings(rings), &r).unwrap();
    }
    drop(w);
    ["shp", "shx", "dbf"].map(|e| std::fs::read(d.join(format!("seed.{e}"))).unwrap())
}

fn read_shp(files: &[Vec<u8>; 3], id_field: Option<&str>) -> Result<(), TestCaseError> {
    let d = case_dir("shp");
    for (e, b) in ["shp", "shx", "dbf"].iter().zip(files) {
        std::fs::write(d.join(format!("f.{e}")), b).unwrap();
    }
    let opts = ReadOptions {
        id_field: id_field.map(str::to_string),
        crs: Some(Crs::Geographic { epsg: 4326 }),
        ..Default::default()
    };
    let r = read_shapefile(&d.join("f.shp"), &opts);
    let _ = std::fs::remove_dir_all(&d);
    if let Ok((layer, _)) = r {
        check_layer(&layer)?;
    }
    Ok(())
}

#[test]
fn shapefile_seed_is_valid() {
    let seed = shapefile_seed();
    let d = case_dir("seed-read");
    for (e, b) in ["shp", "shx", "dbf"].iter().zip(&seed) {
        std::fs::write(d.join(format!("f.{e}")), b).unwrap();
    }
    let opts = ReadOptions {
        id_field: Some("code".into()),
        crs: Some(Crs::Geographic { epsg: 4326 }),
        ..Default::default()
    };
    let (layer, _) = read_shapefile(&d.join("f.shp"), &opts).unwrap();
    assert_eq!(layer.ids, ["s0", "s1", "s2"]);
    assert_eq!(
        layer.numeric_column("pop").unwrap(),
        [Some(0.0), Some(10.0), Some(20.0)]
    );
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn shapefile_mutated(
        which in 0usize..3,
        e in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in prop::option::of(any::<usize>()),
        by_code in any::<bool>(),
    ) {
        let mut files = shapefile_seed();
        files[which] = mutate(&files[which], &e, cut);
        read_shp(&files, by_code.then_some("code"))?;
    }

    #[test]
    fn shapefile_arbitrary_bytes(
        which in 0usize..3,
        bytes in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut files = shapefile_seed();
        files[which] = bytes;
        read_shp(&files, None)?;
    }
}

// ---------------------------------------------------------------- FlatGeobuf

/// Two valid FlatGeobuf files written by careblock from the small GeoJSON seed: as it is (a
/// null geometry, so no spatial index, and mixed geometry types) and without its null and line
/// (all polygons and points: with a packed Hilbert R-tree index).
fn flatgeobuf_seeds() -> &'static [Vec<u8>; 2] {
    static SEEDS: std::sync::OnceLock<[Vec<u8>; 2]> = std::sync::OnceLock::new();
    SEEDS.get_or_init(|| {
        let (layer, _) =
            parse_geojson("s.geojson", SMALL_GEOJSON.as_bytes(), &ReadOptions::default()).unwrap();
        let d = case_dir("fgb-seed");
        let plain = d.join("plain.fgb");
        write_flatgeobuf(&plain, &layer, "id").unwrap();
        let keep: Vec<usize> = (0..3).collect();
        let indexed = Layer::new(
            "indexed",
            keep.iter().map(|&i| layer.ids[i].clone()).collect(),
            keep.iter().map(|&i| layer.geometries[i].clone()).collect(),
            layer.attributes.head(Some(3)),
            layer.crs,
        )
        .unwrap();
        let with_index = d.join("indexed.fgb");
        write_flatgeobuf(&with_index, &indexed, "id").unwrap();
        [std::fs::read(plain).unwrap(), std::fs::read(with_index).unwrap()]
    })
}

fn read_fgb(bytes: &[u8], id_field: Option<&str>) -> Result<(), TestCaseError> {
    let d = case_dir("fgb");
    let p = d.join("f.fgb");
    std::fs::write(&p, bytes).unwrap();
    for close_rings in [false, true] {
        let opts = ReadOptions {
            id_field: id_field.map(str::to_string),
            close_rings,
            ..Default::default()
        };
        if let Ok((layer, _)) = read_flatgeobuf(&p, &opts) {
            check_layer(&layer)?;
        }
    }
    let _ = std::fs::remove_dir_all(&d);
    Ok(())
}

#[test]
fn flatgeobuf_seeds_are_valid() {
    for (seed, n) in flatgeobuf_seeds().iter().zip([5, 3]) {
        let d = case_dir("fgb-seed-read");
        let p = d.join("f.fgb");
        std::fs::write(&p, seed).unwrap();
        let opts = ReadOptions {
            id_field: Some("id".into()),
            ..Default::default()
        };
        let (layer, _) = read_flatgeobuf(&p, &opts).unwrap();
        assert_eq!(layer.len(), n);
        assert_eq!(layer.crs, Crs::Geographic { epsg: 4326 });
    }
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn flatgeobuf_mutated(
        which in 0usize..2,
        e in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in prop::option::of(any::<usize>()),
        by_id in any::<bool>(),
    ) {
        let seed = &flatgeobuf_seeds()[which];
        read_fgb(&mutate(seed, &e, cut), by_id.then_some("id"))?;
    }

    /// Edits confined to the header (its size prefix included), where the offsets and counts
    /// that the rest of the file is read by are.
    #[test]
    fn flatgeobuf_mutated_header(
        which in 0usize..2,
        e in prop::collection::vec((any::<usize>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = flatgeobuf_seeds()[which].clone();
        let header_end = 12 + u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
        for (i, v) in e {
            bytes[8 + i % (header_end - 8)] = v;
        }
        read_fgb(&bytes, None)?;
    }

    #[test]
    fn flatgeobuf_arbitrary_bytes(
        magic in any::<bool>(),
        bytes in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut file = if magic { b"fgb\x03fgb\x00".to_vec() } else { Vec::new() };
        file.extend(bytes);
        read_fgb(&file, None)?;
    }
}

// ---------------------------------------------------------------- GeoParquet

/// Valid GeoParquet files: pyarrow's WKB and GeoArrow fixtures (tests/fixtures/geoparquet), one
/// careblock wrote from the small GeoJSON seed (a null geometry, mixed types, the bbox covering
/// column) and pyarrow's v2, snappy, partly dictionary-encoded pages (read page by page).
fn geoparquet_seeds() -> &'static [Vec<u8>; 4] {
    static SEEDS: std::sync::OnceLock<[Vec<u8>; 4]> = std::sync::OnceLock::new();
    SEEDS.get_or_init(|| {
        let fixture =
            |name: &str| std::fs::read(root().join("tests/fixtures/geoparquet").join(name)).unwrap();
        let (layer, _) =
            parse_geojson("s.geojson", SMALL_GEOJSON.as_bytes(), &ReadOptions::default()).unwrap();
        let d = case_dir("gpq-seed");
        let ours = d.join("ours.parquet");
        write_geoparquet(&ours, &layer, "id").unwrap();
        [
            fixture("districts_wkb.parquet"),
            fixture("districts_geoarrow.parquet"),
            std::fs::read(ours).unwrap(),
            fixture("units_pages.parquet"),
        ]
    })
}

fn read_gpq(bytes: &[u8], id_field: Option<&str>) -> Result<(), TestCaseError> {
    let d = case_dir("gpq");
    let p = d.join("f.parquet");
    std::fs::write(&p, bytes).unwrap();
    let opts = ReadOptions {
        id_field: id_field.map(str::to_string),
        ..Default::default()
    };
    // The reader catches polars' panics itself (src/guard.rs); this catches any it misses.
    let r = std::panic::catch_unwind(|| read_geoparquet(&p, &opts));
    let _ = std::fs::remove_dir_all(&d);
    match r {
        Err(_) => prop_assert!(false, "the GeoParquet reader panicked"),
        Ok(Ok((layer, _))) => check_layer(&layer)?,
        Ok(Err(_)) => {}
    }
    Ok(())
}

#[test]
fn geoparquet_seeds_are_valid() {
    for seed in geoparquet_seeds() {
        let d = case_dir("gpq-seed-read");
        let p = d.join("f.parquet");
        std::fs::write(&p, seed).unwrap();
        let (layer, _) = read_geoparquet(&p, &ReadOptions::default()).unwrap();
        assert!(!layer.is_empty());
    }
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn geoparquet_mutated(
        which in 0usize..4,
        e in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in prop::option::of(any::<usize>()),
    ) {
        read_gpq(&mutate(&geoparquet_seeds()[which], &e, cut), None)?;
    }

    /// Edits confined to the footer (the file's metadata: schema, row groups, offsets and the
    /// `geo` key), which the rest of the file is read by.
    #[test]
    fn geoparquet_mutated_footer(
        which in 0usize..4,
        e in prop::collection::vec((any::<usize>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = geoparquet_seeds()[which].clone();
        let n = bytes.len();
        let footer = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as usize;
        let start = n - 8 - footer;
        for (i, v) in e {
            bytes[start + i % footer] = v;
        }
        read_gpq(&bytes, None)?;
    }

    #[test]
    fn geoparquet_truncated(which in 0usize..4, cut in any::<usize>()) {
        let seed = &geoparquet_seeds()[which];
        read_gpq(&seed[..cut % seed.len()], None)?;
    }
}

// ---------------------------------------------------------------- CSV

const CSV_SEED: &str = "code,pop,women,name,rate\n\
    110011000000001101,120,60,Usaquén,0.5\n\
    110011000000001102,*,,Chapinero,1\n\
    05001,0,0,\"Suba, norte\",-2.5e3\n";

fn csv_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        prop::sample::select(b",\n\r\"*-.0123456789e ;\t".to_vec()),
        any::<u8>(),
    ]
}

fn read_csv(bytes: &[u8]) -> Result<(), TestCaseError> {
    let d = case_dir("csv");
    let p = d.join("t.csv");
    std::fs::write(&p, bytes).unwrap();
    let r = read_table_with_key(&p, "code");
    let _ = std::fs::remove_dir_all(&d);
    if let Ok(df) = r {
        prop_assert!(df.column("code").is_ok(), "the key column is there");
    }
    Ok(())
}

#[test]
fn csv_seed_is_valid() {
    let d = case_dir("csv-seed");
    let p = d.join("t.csv");
    std::fs::write(&p, CSV_SEED).unwrap();
    let df = read_table_with_key(&p, "code").unwrap();
    assert_eq!(df.height(), 3);
    let codes = df.column("code").unwrap().str().unwrap();
    assert_eq!(codes.get(2), Some("05001"), "the key keeps its leading zero");
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn csv_mutated(e in prop::collection::vec((any::<usize>(), csv_byte()), 1..6), cut in prop::option::of(any::<usize>())) {
        read_csv(&mutate(CSV_SEED.as_bytes(), &e, cut))?;
    }

    #[test]
    fn csv_arbitrary_bytes(body in prop::collection::vec(csv_byte(), 0..200)) {
        let mut bytes = b"code,".to_vec();
        bytes.extend(body);
        read_csv(&bytes)?;
    }
}

// ---------------------------------------------------------------- method files

fn method_seed() -> String {
    std::fs::read_to_string(root().join("examples/los_lagos.toml")).unwrap()
}

#[test]
fn method_seed_is_valid() {
    Method::from_toml("los_lagos.toml", &method_seed()).unwrap();
}

/// Values spliced into a `key = value` line of the method.
const TOML_VALUES: &[&str] = &[
    "0",
    "-1",
    "1e308",
    "nan",
    "inf",
    "-inf",
    "\"\"",
    "\"x\"",
    "[]",
    "{}",
    "true",
    "18446744073709551616",
    "\"pob_total / 0\"",
    "\"((\"",
    "[1, 2, 3]",
    "0.000001",
];

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn method_mutated_bytes(e in edits(), cut in prop::option::of(any::<usize>())) {
        let bytes = mutate(method_seed().as_bytes(), &e, cut);
        let _ = Method::from_toml("fuzz.toml", &String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn method_mutated_values(
        ks in prop::collection::vec((any::<usize>(), prop::sample::select(TOML_VALUES)), 1..4),
        drop_line in prop::option::of(any::<usize>()),
    ) {
        let seed = method_seed();
        let mut lines: Vec<String> = seed.lines().map(str::to_string).collect();
        let keyed: Vec<usize> = (0..lines.len())
            .filter(|&i| !lines[i].trim_start().starts_with('#') && lines[i].contains(" = "))
            .collect();
        for (k, v) in ks {
            let i = keyed[k % keyed.len()];
            let key = lines[i].split(" = ").next().unwrap_or_default().to_string();
            lines[i] = format!("{key} = {v}");
        }
        if let Some(k) = drop_line {
            let n = lines.len();
            lines.remove(k % n);
        }
        let _ = Method::from_toml("fuzz.toml", &lines.join("\n"));
    }

    #[test]
    fn method_arbitrary_text(text in "[a-z_\\[\\]=\"\\.0-9 \n{},-]{0,200}") {
        let _ = Method::from_toml("fuzz.toml", &text);
    }
}

// ---------------------------------------------------------------- column expressions

proptest! {
    #![proptest_config(config(1000))]

    /// Method files carry expressions (`STP32_2_SE * (1 - STP34_1_ED / STP27_PERS)`): parsing
    /// and evaluating any text never panics, and a result has one value per row.
    #[test]
    fn expressions_parse_and_evaluate_without_panicking(
        text in "[a-c0-9 .eE+*/()`_-]{0,40}",
    ) {
        use careblock_method::expr::Expr;
        let a = [Some(1.0), None, Some(0.0)];
        let b = [Some(2.5), Some(-1.0), Some(0.0)];
        let lookup = |c: &str| match c {
            "a" => Some(&a[..]),
            "b" => Some(&b[..]),
            _ => None,
        };
        if let Ok(e) = Expr::parse(&text)
            && let Ok(out) = e.eval(&lookup, 3)
        {
            prop_assert_eq!(out.values.len(), 3);
        }
    }
}

/// A file the fuzz targets found (seed 7 of `geoparquet_mutated`, 2,000 cases): careblock's own
/// GeoParquet of the small seed with a data page header whose value count became negative,
/// which made polars reserve 2^61 bytes and abort. It is now an error naming the page.
#[test]
fn geoparquet_negative_page_values_are_an_error() {
    let p = root().join("tests/fixtures/geoparquet/corrupt_page_values.parquet");
    let e = read_geoparquet(&p, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("corrupt_page_values.parquet") && e.contains("the page at byte"),
        "{e}"
    );
}
