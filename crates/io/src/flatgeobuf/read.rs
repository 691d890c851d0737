//! The FlatGeobuf reader.

use std::ops::Range;
use std::path::Path;

use careblock_core::{Crs, CrsError, Hint, Layer};
use flatgeobuf::{
    ColumnType, GeometryType, Header, size_prefixed_root_as_feature, size_prefixed_root_as_header,
};
use geo::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon, Point,
    Polygon,
};
use polars::prelude::{Column, DataFrame, IntoColumn, NamedFrom, Series};
use rayon::prelude::*;

use super::{MAGIC, index_size};
use crate::geojson::geometry::{NOT_CLOSED, ring};
use crate::{IoError, ReadOptions, ReadReport, field_id_layer, path_name};

/// Reads a FlatGeobuf file (`.fgb`, FlatGeobuf 3), with or without a spatial index.
///
/// - Features: in file order (with an index, the Hilbert order the writer chose), every one
///   read; the index is not used.
/// - CRS: the header's `crs`: its EPSG code (`org` EPSG or unset), else `code_string`
///   (`EPSG:4686`, `OGC:CRS84`), else its WKT; no `crs` (or one with none of these) →
///   `opts.crs`, else `CrsError::Unknown`. A CRS in the header wins over `opts.crs`.
/// - Geometries: Point, LineString, Polygon, their Multi types and GeometryCollection (per
///   feature when the header's type is Unknown); Z and M are dropped; a feature without
///   geometry, or an empty point, → `None`. Rings must have at least 4 positions and be
///   closed, unless `opts.close_rings` (which closes them and lists the features in the
///   report). Curves, surfaces and TINs are refused, naming the feature.
/// - Columns: one per header column, in header order: integer types → Int64 (ULong → Float64
///   if a value exceeds i64), Float/Double → Float64, Bool → Boolean, String, Json and
///   DateTime → String, Binary → Binary; a property a feature lacks is null.
/// - ids: `opts.id_field`'s value, else the 0-based feature index.
///
/// A truncated or corrupt file is an error naming the file and, when it is one feature's, the
/// feature (index) and the field.
pub fn read_flatgeobuf(path: &Path, opts: &ReadOptions) -> Result<(Layer, ReadReport), IoError> {
    let name = path_name(path);
    let bytes = crate::map_file(path).map_err(|e| IoError::io(&name, e))?;
    parse(&name, &bytes, opts)
}

/// FlatBuffers' verifier message on one line.
fn invalid(e: impl std::fmt::Display) -> String {
    e.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One column of the header.
struct HeaderColumn {
    name: String,
    kind: ColumnType,
}

/// The values of one column, one slot per feature.
enum Values {
    Int(Vec<Option<i64>>),
    UInt(Vec<Option<u64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Text(Vec<Option<String>>),
    Binary(Vec<Option<Vec<u8>>>),
}

impl Values {
    fn new(kind: ColumnType, n: usize) -> Values {
        match kind {
            ColumnType::ULong => Values::UInt(vec![None; n]),
            ColumnType::Float | ColumnType::Double => Values::Float(vec![None; n]),
            ColumnType::Bool => Values::Bool(vec![None; n]),
            ColumnType::String | ColumnType::Json | ColumnType::DateTime => Values::Text(vec![None; n]),
            ColumnType::Binary => Values::Binary(vec![None; n]),
            _ => Values::Int(vec![None; n]),
        }
    }

    fn is_set(&self, row: usize) -> bool {
        match self {
            Values::Int(v) => v[row].is_some(),
            Values::UInt(v) => v[row].is_some(),
            Values::Float(v) => v[row].is_some(),
            Values::Bool(v) => v[row].is_some(),
            Values::Text(v) => v[row].is_some(),
            Values::Binary(v) => v[row].is_some(),
        }
    }

    fn finish(self, name: &str) -> Column {
        let name = name.into();
        match self {
            Values::Int(v) => Column::new(name, v),
            Values::UInt(v) => {
                if v.iter().flatten().all(|&x| i64::try_from(x).is_ok()) {
                    Column::new(name, v.iter().map(|x| x.map(|x| x as i64)).collect::<Vec<_>>())
                } else {
                    Column::new(name, v.iter().map(|x| x.map(|x| x as f64)).collect::<Vec<_>>())
                }
            }
            Values::Float(v) => Column::new(name, v),
            Values::Bool(v) => Column::new(name, v),
            Values::Text(v) => Column::new(name, v),
            Values::Binary(v) => Series::new(name, v).into_column(),
        }
    }
}

/// What the threads make of one feature: its properties (still encoded) and its geometry.
struct Decoded<'a> {
    properties: &'a [u8],
    geometry: Result<(Option<Geometry<f64>>, bool), String>,
}

fn parse(name: &str, bytes: &[u8], opts: &ReadOptions) -> Result<(Layer, ReadReport), IoError> {
    let format = |message: String| IoError::format(name, message);
    if bytes.len() < 8 || bytes[0..3] != MAGIC[0..3] || bytes[4..7] != MAGIC[4..7] {
        return Err(format(
            "not a FlatGeobuf file (it does not start with the magic bytes \"fgb\\x03fgb\")".into(),
        ));
    }
    if bytes[3] > MAGIC[3] {
        return Err(format(format!(
            "FlatGeobuf version {} (careblock reads versions up to {})",
            bytes[3], MAGIC[3]
        )));
    }
    let Some(size) = bytes.get(8..12) else {
        return Err(format(
            "truncated FlatGeobuf file: it ends inside the header".into(),
        ));
    };
    let header_end = u32::from_le_bytes([size[0], size[1], size[2], size[3]]) as usize + 12;
    let Some(header_bytes) = bytes.get(8..header_end) else {
        return Err(format(format!(
            "truncated FlatGeobuf file: its header needs {} bytes, {} follow",
            header_end - 12,
            bytes.len() - 12
        )));
    };
    let header = size_prefixed_root_as_header(header_bytes)
        .map_err(|e| format(format!("invalid FlatGeobuf header: {}", invalid(e))))?;

    let announced = header.features_count();
    let node_size = header.index_node_size();
    if node_size == 1 {
        return Err(format(
            "invalid FlatGeobuf header: index node size 1 (0 for no index, else at least 2)".into(),
        ));
    }
    let index = index_size(announced, node_size)
        .and_then(|s| usize::try_from(s).ok())
        .filter(|&s| s <= bytes.len() - header_end)
        .ok_or_else(|| {
            format(format!(
                "truncated FlatGeobuf file: the header announces {announced} features with a spatial index, which does not fit in the {} bytes after the header",
                bytes.len() - header_end
            ))
        })?;

    let spans = feature_spans(name, bytes, header_end + index)?;
    if announced > 0 && spans.len() as u64 != announced {
        return Err(format(format!(
            "truncated or corrupt FlatGeobuf file: the header announces {announced} features, the file holds {}",
            spans.len()
        )));
    }
    let columns = header_columns(name, &header)?;
    let crs = crs(name, &header, opts)?;

    let header_type = header.geometry_type();
    let close = opts.close_rings;
    let decoded: Vec<Result<Decoded<'_>, String>> = spans
        .par_iter()
        .with_min_len(256)
        .map(|span| {
            let feature = size_prefixed_root_as_feature(&bytes[span.clone()])
                .map_err(|e| format!("invalid FlatGeobuf feature: {}", invalid(e)))?;
            if feature.columns().is_some() {
                return Err("the feature has its own column schema, which careblock does not read (write the columns in the header)".into());
            }
            let geometry = match feature.geometry() {
                None => Ok((None, false)),
                Some(g) => {
                    let kind = if header_type == GeometryType::Unknown {
                        g.type_()
                    } else {
                        header_type
                    };
                    let mut closed = false;
                    geometry(g, kind, close, &mut closed, "").map(|g| (g, closed))
                }
            };
            Ok(Decoded {
                properties: feature.properties().map_or(&[][..], |p| p.bytes()),
                geometry,
            })
        })
        .collect();

    // The first unreadable feature in file order is the error, before any column is made.
    let decoded = decoded
        .into_iter()
        .enumerate()
        .map(|(index, d)| {
            d.map_err(|problem| IoError::Feature {
                path: name.to_string(),
                id: None,
                index,
                problem,
                hint: None,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let n = spans.len();
    let mut values: Vec<Values> = columns.iter().map(|c| Values::new(c.kind, n)).collect();
    let mut geometries = Vec::with_capacity(n);
    for (index, d) in decoded.into_iter().enumerate() {
        properties(d.properties, &columns, &mut values, index).map_err(|(column, problem)| match column {
            Some(c) => IoError::Field {
                path: name.to_string(),
                id: None,
                index,
                field: columns[c].name.clone(),
                problem,
            },
            None => IoError::Feature {
                path: name.to_string(),
                id: None,
                index,
                problem,
                hint: None,
            },
        })?;
        geometries.push(d.geometry);
    }
    let attributes = DataFrame::new(
        n,
        columns
            .iter()
            .zip(values)
            .map(|(c, v)| v.finish(&c.name))
            .collect(),
    )
    .map_err(|e| IoError::table(name, e))?;
    let ids = crate::geoparquet::ids(name, &attributes, opts)?;

    let mut closed_rings = Vec::new();
    let geometries = geometries
        .into_iter()
        .enumerate()
        .map(|(index, g)| {
            let (g, closed) = g.map_err(|problem| IoError::Feature {
                path: name.to_string(),
                id: Some(ids[index].clone()),
                index,
                hint: problem.contains(NOT_CLOSED).then_some(Hint::FixInvalid),
                problem,
            })?;
            if closed {
                closed_rings.push(ids[index].clone());
            }
            Ok(g)
        })
        .collect::<Result<Vec<_>, IoError>>()?;

    let layer = field_id_layer(name, ids, geometries, attributes, crs, opts)?;
    Ok((
        layer,
        ReadReport {
            closed_rings,
            spherical_edges: false,
        },
    ))
}

/// The byte ranges of the size-prefixed features that start at `start` and fill the rest of
/// the file.
fn feature_spans(name: &str, bytes: &[u8], start: usize) -> Result<Vec<Range<usize>>, IoError> {
    let mut spans = Vec::new();
    let mut at = start;
    while at < bytes.len() {
        let truncated = |problem: String| IoError::Feature {
            path: name.to_string(),
            id: None,
            index: spans.len(),
            problem,
            hint: None,
        };
        let Some(size) = bytes.get(at..at + 4) else {
            return Err(truncated(format!(
                "truncated FlatGeobuf file: {} bytes left where a feature's 4-byte size was expected",
                bytes.len() - at
            )));
        };
        let size = u32::from_le_bytes([size[0], size[1], size[2], size[3]]) as usize;
        let end = at + 4 + size;
        if end > bytes.len() {
            return Err(truncated(format!(
                "truncated FlatGeobuf file: the feature needs {size} bytes, {} are left",
                bytes.len() - at - 4
            )));
        }
        spans.push(at..end);
        at = end;
    }
    Ok(spans)
}

fn header_columns(name: &str, header: &Header<'_>) -> Result<Vec<HeaderColumn>, IoError> {
    let Some(columns) = header.columns() else {
        return Ok(Vec::new());
    };
    columns
        .iter()
        .map(|c| {
            if c.type_().0 > ColumnType::ENUM_MAX {
                return Err(IoError::format(
                    name,
                    format!(
                        "the FlatGeobuf column {:?} has an unknown type ({})",
                        c.name(),
                        c.type_().0
                    ),
                ));
            }
            Ok(HeaderColumn {
                name: c.name().to_string(),
                kind: c.type_(),
            })
        })
        .collect()
}

/// The layer's CRS from the header (see [`read_flatgeobuf`]).
fn crs(name: &str, header: &Header<'_>, opts: &ReadOptions) -> Result<Crs, IoError> {
    let none = || {
        opts.crs.ok_or_else(|| {
            IoError::crs(
                name,
                CrsError::Unknown {
                    layer: name.to_string(),
                },
            )
        })
    };
    let Some(c) = header.crs() else {
        return none();
    };
    let org = c.org().unwrap_or("EPSG");
    let epsg = org.eq_ignore_ascii_case("EPSG");
    let result = if epsg && c.code() > 0 {
        Crs::from_epsg(c.code() as u32)
    } else if let Some(code) = c.code_string().filter(|s| !s.trim().is_empty()) {
        Crs::parse(&format!("{org}:{}", code.trim()))
    } else if let Some(wkt) = c.wkt().filter(|w| !w.trim().is_empty()) {
        Crs::from_wkt(wkt)
    } else if c.code() > 0 {
        Err(CrsError::Unparseable {
            text: format!("{org}:{}", c.code()),
            reason: "a FlatGeobuf CRS that is not an EPSG code, without WKT",
            hint: Some(Hint::GiveCrs),
        })
    } else {
        return none();
    };
    result.map_err(|e| IoError::crs(name, e))
}

/// Decodes one feature's properties into `values` (row `row`). An error names the column
/// (its index in the header) when it is known.
fn properties(
    bytes: &[u8],
    columns: &[HeaderColumn],
    values: &mut [Values],
    row: usize,
) -> Result<(), (Option<usize>, String)> {
    let mut at = 0;
    // A lone trailing byte is ignored, as the crate and GDAL do (some writers leave one after
    // a Binary value).
    while at + 1 < bytes.len() {
        let c = u16::from_le_bytes([bytes[at], bytes[at + 1]]) as usize;
        at += 2;
        let Some(column) = columns.get(c) else {
            return Err((
                None,
                format!(
                    "a property of column {c}, but the header has {} column{}",
                    columns.len(),
                    if columns.len() == 1 { "" } else { "s" }
                ),
            ));
        };
        let bad = |problem: String| (Some(c), problem);
        let mut take = |k: usize| -> Result<&[u8], (Option<usize>, String)> {
            let v = bytes.get(at..at + k).ok_or_else(|| {
                bad(format!(
                    "truncated property: {k} bytes expected, {} left",
                    bytes.len() - at
                ))
            })?;
            at += k;
            Ok(v)
        };
        if values[c].is_set(row) {
            return Err(bad("the feature has two values for this column".into()));
        }
        let kind = column.kind;
        match &mut values[c] {
            Values::Int(v) => {
                let x = match kind {
                    ColumnType::Byte => i64::from(take(1)?[0] as i8),
                    ColumnType::UByte => i64::from(take(1)?[0]),
                    ColumnType::Short => i64::from(i16::from_le_bytes(array(take(2)?))),
                    ColumnType::UShort => i64::from(u16::from_le_bytes(array(take(2)?))),
                    ColumnType::Int => i64::from(i32::from_le_bytes(array(take(4)?))),
                    ColumnType::UInt => i64::from(u32::from_le_bytes(array(take(4)?))),
                    _ => i64::from_le_bytes(array(take(8)?)),
                };
                v[row] = Some(x);
            }
            Values::UInt(v) => v[row] = Some(u64::from_le_bytes(array(take(8)?))),
            Values::Float(v) => {
                v[row] = Some(if kind == ColumnType::Float {
                    f64::from(f32::from_le_bytes(array(take(4)?)))
                } else {
                    f64::from_le_bytes(array(take(8)?))
                });
            }
            Values::Bool(v) => v[row] = Some(take(1)?[0] != 0),
            Values::Text(v) => {
                let len = u32::from_le_bytes(array(take(4)?)) as usize;
                let text = std::str::from_utf8(take(len)?)
                    .map_err(|e| bad(format!("the text is not valid UTF-8 ({e})")))?;
                v[row] = Some(text.to_string());
            }
            Values::Binary(v) => {
                let len = u32::from_le_bytes(array(take(4)?)) as usize;
                v[row] = Some(take(len)?.to_vec());
            }
        }
    }
    Ok(())
}

/// The first N bytes of a slice of at least N bytes.
fn array<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0; N];
    a.copy_from_slice(&b[..N]);
    a
}

/// The coordinates of a geometry's `xy` (Z and M are in other vectors, and dropped).
fn coords(g: &flatgeobuf::Geometry<'_>) -> Result<Vec<Coord>, String> {
    let Some(xy) = g.xy() else {
        return Ok(Vec::new());
    };
    if xy.len() % 2 != 0 {
        return Err(format!("the geometry has {} xy values, an odd number", xy.len()));
    }
    let mut out = Vec::with_capacity(xy.len() / 2);
    let mut values = xy.iter();
    while let (Some(x), Some(y)) = (values.next(), values.next()) {
        out.push(Coord { x, y });
    }
    Ok(out)
}

/// The coordinates split at the geometry's `ends` (rings of a polygon, lines of a
/// multilinestring); no `ends` → one part (none if there are no coordinates).
fn split_at_ends(g: &flatgeobuf::Geometry<'_>, cs: Vec<Coord>) -> Result<Vec<Vec<Coord>>, String> {
    let Some(ends) = g.ends() else {
        return Ok(if cs.is_empty() { Vec::new() } else { vec![cs] });
    };
    let mut parts = Vec::with_capacity(ends.len());
    let mut start = 0;
    for end in ends.iter() {
        let end = end as usize;
        if end < start || end > cs.len() {
            return Err(format!(
                "the geometry's part ends ({}) are out of order or beyond its {} coordinates",
                ends.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", "),
                cs.len()
            ));
        }
        parts.push(cs[start..end].to_vec());
        start = end;
    }
    if start != cs.len() {
        return Err(format!(
            "the geometry's part ends stop at coordinate {start} of {}",
            cs.len()
        ));
    }
    Ok(parts)
}

fn polygon(
    g: &flatgeobuf::Geometry<'_>,
    prefix: &str,
    close: bool,
    closed: &mut bool,
) -> Result<Polygon, String> {
    let rings = split_at_ends(g, coords(g)?)?;
    let mut out = Vec::with_capacity(rings.len());
    for (r, v) in rings.into_iter().enumerate() {
        out.push(ring(v, &format!("{prefix}ring {r}"), close, closed)?);
    }
    let mut rings = out.into_iter();
    let exterior = rings.next().unwrap_or_else(|| LineString(vec![]));
    Ok(Polygon::new(exterior, rings.collect()))
}

fn type_name(kind: GeometryType) -> String {
    kind.variant_name()
        .map_or_else(|| format!("{} (unknown)", kind.0), str::to_string)
}

/// One geometry of type `kind`; `None` for an empty point. Problems are named with their
/// place in the geometry (`polygon 1, ring 0 is not closed: ...`).
fn geometry(
    g: flatgeobuf::Geometry<'_>,
    kind: GeometryType,
    close: bool,
    closed: &mut bool,
    prefix: &str,
) -> Result<Option<Geometry<f64>>, String> {
    Ok(Some(match kind {
        GeometryType::Point => match coords(&g)?.as_slice() {
            [] => return Ok(None),
            [c] => Geometry::Point(Point(*c)),
            more => return Err(format!("{prefix}a Point has {} coordinates", more.len())),
        },
        GeometryType::MultiPoint => {
            Geometry::MultiPoint(MultiPoint(coords(&g)?.into_iter().map(Point).collect()))
        }
        GeometryType::LineString => {
            let cs = coords(&g)?;
            if cs.len() == 1 {
                return Err(format!(
                    "{prefix}a LineString needs at least 2 positions, found 1"
                ));
            }
            Geometry::LineString(LineString(cs))
        }
        GeometryType::MultiLineString => {
            let lines = split_at_ends(&g, coords(&g)?)?;
            if let Some(i) = lines.iter().position(|l| l.len() == 1) {
                return Err(format!("{prefix}line {i} needs at least 2 positions, found 1"));
            }
            Geometry::MultiLineString(MultiLineString(lines.into_iter().map(LineString).collect()))
        }
        GeometryType::Polygon => Geometry::Polygon(polygon(&g, prefix, close, closed)?),
        GeometryType::MultiPolygon => match g.parts() {
            Some(parts) => Geometry::MultiPolygon(MultiPolygon(
                parts
                    .iter()
                    .enumerate()
                    .map(|(i, p)| polygon(&p, &format!("{prefix}polygon {i}, "), close, closed))
                    .collect::<Result<_, _>>()?,
            )),
            // A multipolygon of one polygon written without parts.
            None if g.xy().is_some() => {
                Geometry::MultiPolygon(MultiPolygon(vec![polygon(&g, prefix, close, closed)?]))
            }
            None => Geometry::MultiPolygon(MultiPolygon(vec![])),
        },
        GeometryType::GeometryCollection => {
            let mut out = Vec::new();
            for (i, p) in g.parts().iter().flatten().enumerate() {
                let k = p.type_();
                let inner = format!("{prefix}geometry {i} ({}): ", type_name(k));
                out.extend(geometry(p, k, close, closed, &inner)?);
            }
            Geometry::GeometryCollection(GeometryCollection(out))
        }
        GeometryType::Unknown => {
            return Err(format!(
                "{prefix}the geometry has no type (the header's geometry type is Unknown and the feature does not give its own)"
            ));
        }
        other => {
            return Err(format!(
                "{prefix}geometry type {} is not supported (careblock reads Point, LineString, Polygon, their Multi types and GeometryCollection)",
                type_name(other)
            ));
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, kind: ColumnType) -> HeaderColumn {
        HeaderColumn {
            name: name.into(),
            kind,
        }
    }

    /// Decodes `bytes` as the properties of row 0 of a one-row table of `columns`.
    fn decode(columns: &[HeaderColumn], bytes: &[u8]) -> Result<Vec<Column>, (Option<usize>, String)> {
        let mut values: Vec<Values> = columns.iter().map(|c| Values::new(c.kind, 1)).collect();
        properties(bytes, columns, &mut values, 0)?;
        Ok(columns
            .iter()
            .zip(values)
            .map(|(c, v)| v.finish(&c.name))
            .collect())
    }

    #[test]
    fn every_column_type_decodes() {
        let kinds = [
            ColumnType::Byte,
            ColumnType::UByte,
            ColumnType::Bool,
            ColumnType::Short,
            ColumnType::UShort,
            ColumnType::Int,
            ColumnType::UInt,
            ColumnType::Long,
            ColumnType::ULong,
            ColumnType::Float,
            ColumnType::Double,
            ColumnType::String,
            ColumnType::Json,
            ColumnType::DateTime,
            ColumnType::Binary,
        ];
        let columns: Vec<HeaderColumn> = kinds.iter().map(|&k| column(&format!("c{}", k.0), k)).collect();
        let mut b = Vec::new();
        let mut put = |c: u16, v: &[u8]| {
            b.extend_from_slice(&c.to_le_bytes());
            b.extend_from_slice(v);
        };
        put(0, &[0xfe]);
        put(1, &[0xfe]);
        put(2, &[1]);
        put(3, &(-300i16).to_le_bytes());
        put(4, &60_000u16.to_le_bytes());
        put(5, &(-70_000i32).to_le_bytes());
        put(6, &4_000_000_000u32.to_le_bytes());
        put(7, &(-5i64).to_le_bytes());
        put(8, &u64::MAX.to_le_bytes());
        put(9, &1.5f32.to_le_bytes());
        put(10, &0.1f64.to_le_bytes());
        for (c, text) in [
            (11u16, "Usaquén"),
            (12, "{\"a\": 1}"),
            (13, "2018-10-01T00:00:00Z"),
        ] {
            let mut v = (text.len() as u32).to_le_bytes().to_vec();
            v.extend_from_slice(text.as_bytes());
            put(c, &v);
        }
        put(14, &[2, 0, 0, 0, 0xde, 0xad]);
        // A lone trailing byte is ignored.
        b.push(0);
        let cols = decode(&columns, &b).unwrap();
        let df = DataFrame::new(1, cols).unwrap();
        let int = |c: &str| df.column(c).unwrap().i64().unwrap().get(0);
        assert_eq!(int("c0"), Some(-2));
        assert_eq!(int("c1"), Some(254));
        assert_eq!(df.column("c2").unwrap().bool().unwrap().get(0), Some(true));
        assert_eq!(int("c3"), Some(-300));
        assert_eq!(int("c4"), Some(60_000));
        assert_eq!(int("c5"), Some(-70_000));
        assert_eq!(int("c6"), Some(4_000_000_000));
        assert_eq!(int("c7"), Some(-5));
        // A ULong beyond i64: the column is Float64.
        assert_eq!(
            df.column("c8").unwrap().f64().unwrap().get(0),
            Some(u64::MAX as f64)
        );
        assert_eq!(df.column("c9").unwrap().f64().unwrap().get(0), Some(1.5));
        assert_eq!(df.column("c10").unwrap().f64().unwrap().get(0), Some(0.1));
        let text = |c: &str| df.column(c).unwrap().str().unwrap().get(0).map(str::to_string);
        assert_eq!(text("c11").as_deref(), Some("Usaquén"));
        assert_eq!(text("c12").as_deref(), Some("{\"a\": 1}"));
        assert_eq!(text("c13").as_deref(), Some("2018-10-01T00:00:00Z"));
        assert_eq!(
            df.column("c14").unwrap().binary().unwrap().get(0),
            Some(&[0xde, 0xad][..])
        );

        // No properties: every column null.
        let cols = decode(&columns, &[]).unwrap();
        assert!(cols.iter().all(|c| c.null_count() == 1));
    }

    #[test]
    fn bad_properties_name_the_column() {
        let cols = [column("pop", ColumnType::Int), column("name", ColumnType::String)];
        let e = decode(&cols, &[2, 0, 1, 2, 3, 4]).unwrap_err();
        assert_eq!(
            e,
            (
                None,
                "a property of column 2, but the header has 2 columns".into()
            )
        );
        let e = decode(&cols, &[0, 0, 1, 2]).unwrap_err();
        assert_eq!(
            e,
            (Some(0), "truncated property: 4 bytes expected, 2 left".into())
        );
        let e = decode(&cols, &[1, 0, 200, 0, 0, 0, b'a']).unwrap_err();
        assert_eq!(
            e,
            (Some(1), "truncated property: 200 bytes expected, 1 left".into())
        );
        let e = decode(&cols, &[1, 0, 1, 0, 0, 0, 0xff]).unwrap_err();
        assert!(
            e.0 == Some(1) && e.1.starts_with("the text is not valid UTF-8"),
            "{e:?}"
        );
        let e = decode(&cols, &[0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0]).unwrap_err();
        assert_eq!(e, (Some(0), "the feature has two values for this column".into()));
    }
}
