use super::regions::{REGION, read_regional};
use super::*;
use careblock_core::Crs;
use geo::Geometry;

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
