//! The ESRI Shapefile reader: shapes with the `shapefile` crate, attributes with `dbase` in the
//! encoding the `.cpg` names, the CRS from the `.prj`.

use std::path::{Path, PathBuf};

use careblock_core::{Crs, CrsError, Layer};
use dbase::FieldValue;
use geo::{
    Area, BoundingRect, Contains, Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon,
};
use polars::prelude::{Column, DataFrame};
use shapefile::{PolygonRing, Shape};

use crate::{IoError, ReadOptions, ReadReport, field_id_layer, path_name};

/// Reads an ESRI Shapefile (`.shp` with its `.shx`, `.dbf`, `.prj` and `.cpg`).
///
/// - CRS: from the `.prj` (WKT), else `opts.crs`, else `CrsError::Unknown`.
/// - Text: decoded with the `.cpg` encoding (UTF-8, ISO-8859-1, 1252, ...); without a `.cpg`,
///   UTF-8 if the bytes are valid UTF-8, else Windows-1252 (Latin-1).
/// - Columns: numeric fields → Int64 (if every value is a whole number) or Float64, character →
///   String, logical → Boolean, dates → ISO text. Null shapes → `None`.
/// - Polygons: outer rings (clockwise) and holes (counter-clockwise) are grouped by containment;
///   a single-part polygon is a `Polygon`, else a `MultiPolygon`.
/// - ids: `opts.id_field`'s value, else the 0-based record index.
pub fn read_shapefile(path: &Path, opts: &ReadOptions) -> Result<(Layer, ReadReport), IoError> {
    let name = path_name(path);

    let crs = match sidecar(path, "prj") {
        Some(prj) => {
            let text = std::fs::read(&prj).map_err(|e| IoError::io(prj.display().to_string(), e))?;
            Crs::from_wkt(&String::from_utf8_lossy(&text))
                .map_err(|e| IoError::crs(prj.display().to_string(), e))?
        }
        None => opts
            .crs
            .ok_or_else(|| IoError::crs(&name, CrsError::Unknown { layer: name.clone() }))?,
    };

    let mut reader = shapefile::ShapeReader::from_path(path)
        .map_err(|e| IoError::format(&name, format!("cannot read the shapes: {e}")))?;
    let mut geometries = Vec::new();
    for (i, shape) in reader.iter_shapes().enumerate() {
        let shape = shape.map_err(|e| IoError::Feature {
            path: name.clone(),
            id: None,
            index: i,
            problem: format!("cannot read the shape: {e}"),
            hint: None,
        })?;
        let g = convert_shape(shape).map_err(|problem| IoError::Feature {
            path: name.clone(),
            id: None,
            index: i,
            problem,
            hint: None,
        })?;
        geometries.push(g);
    }

    let dbf = sidecar(path, "dbf").ok_or_else(|| {
        IoError::format(
            &name,
            "the .dbf file with the attributes is missing (a shapefile needs .shp, .shx and .dbf)",
        )
    })?;
    let dbf_name = dbf.display().to_string();
    let (fields, mut rows) = read_dbf(path, &dbf)?;
    if rows.len() != geometries.len() {
        return Err(IoError::format(
            &name,
            format!(
                "{} shapes but {} records in {dbf_name}; they must be equal",
                geometries.len(),
                rows.len()
            ),
        ));
    }

    let ids: Vec<String> = match &opts.id_field {
        None => (0..rows.len()).map(|i| i.to_string()).collect(),
        Some(field) => {
            let Some(c) = fields.iter().position(|f| f == field) else {
                return Err(IoError::MissingColumn {
                    path: dbf_name,
                    column: field.clone(),
                    available: fields.join(", "),
                });
            };
            rows.iter()
                .enumerate()
                .map(|(i, r)| {
                    text_of(&r[c]).ok_or_else(|| IoError::Field {
                        path: dbf_name.clone(),
                        id: None,
                        index: i,
                        field: field.clone(),
                        problem: "the id field is empty; every feature needs an id".into(),
                    })
                })
                .collect::<Result<_, _>>()?
        }
    };

    let n = rows.len();
    let mut columns = Vec::with_capacity(fields.len());
    for (c, field) in fields.iter().enumerate().rev() {
        let values: Vec<FieldValue> = rows.iter_mut().map(|r| r.swap_remove(c)).collect();
        columns.push(make_column(field, values));
    }
    columns.reverse();
    let attributes = DataFrame::new(n, columns).map_err(|e| IoError::table(&dbf_name, e))?;

    let layer = field_id_layer(&name, ids, geometries, attributes, crs, opts)?;
    Ok((layer, ReadReport::default()))
}

/// `x.prj` or `x.PRJ` beside `x.shp`, if it exists.
fn sidecar(path: &Path, ext: &str) -> Option<PathBuf> {
    [ext.to_string(), ext.to_ascii_uppercase()]
        .into_iter()
        .map(|e| path.with_extension(e))
        .find(|p| p.is_file())
}

enum DbfEncoding {
    /// UTF-8, strictly (declared by the .cpg).
    Utf8,
    /// UTF-8 if valid, else Windows-1252 (no .cpg).
    Guess,
    /// Another encoding named by the .cpg.
    Other(&'static encoding_rs::Encoding),
}

fn cpg_encoding(path: &Path) -> Result<DbfEncoding, IoError> {
    let Some(cpg) = sidecar(path, "cpg") else {
        return Ok(DbfEncoding::Guess);
    };
    let cpg_name = cpg.display().to_string();
    let raw = std::fs::read(&cpg).map_err(|e| IoError::io(&cpg_name, e))?;
    let label = String::from_utf8_lossy(&raw);
    let label = label.trim().trim_start_matches('\u{feff}').trim();
    let upper = label.to_ascii_uppercase();
    let number = upper
        .trim_start_matches("ANSI")
        .trim_start_matches("CP")
        .trim_start_matches("WINDOWS-")
        .trim();
    let enc = match (upper.as_str(), number) {
        ("" | "UTF-8" | "UTF8" | "65001", _) => return Ok(DbfEncoding::Utf8),
        (_, "65001") => return Ok(DbfEncoding::Utf8),
        ("LATIN1" | "LATIN-1" | "8859_1" | "88591" | "ISO88591" | "28591", _) => {
            Some(encoding_rs::WINDOWS_1252)
        }
        (_, n @ ("874" | "1250" | "1251" | "1252" | "1253" | "1254" | "1255" | "1256" | "1257" | "1258")) => {
            encoding_rs::Encoding::for_label(format!("windows-{n}").as_bytes())
        }
        (_, "866") => Some(encoding_rs::IBM866),
        (_, "932") => Some(encoding_rs::SHIFT_JIS),
        (_, "936") => Some(encoding_rs::GBK),
        (_, "949") => Some(encoding_rs::EUC_KR),
        (_, "950") => Some(encoding_rs::BIG5),
        _ => encoding_rs::Encoding::for_label(label.as_bytes()).or_else(|| {
            // ESRI's "8859_2" style
            upper
                .strip_prefix("8859_")
                .and_then(|n| encoding_rs::Encoding::for_label(format!("iso-8859-{n}").as_bytes()))
        }),
    };
    match enc {
        Some(e) if e == encoding_rs::UTF_8 => Ok(DbfEncoding::Utf8),
        Some(e) => Ok(DbfEncoding::Other(e)),
        None => Err(IoError::format(
            &cpg_name,
            format!("unknown encoding {label:?} (expected e.g. UTF-8, ISO-8859-1, 1252)"),
        )),
    }
}

/// The field names and the records (values in field order) of a .dbf.
fn read_dbf(shp: &Path, dbf: &Path) -> Result<(Vec<String>, Vec<Vec<FieldValue>>), IoError> {
    let dbf_name = dbf.display().to_string();
    let read = |enc: dbase::encoding::DynEncoding| -> Result<_, dbase::Error> {
        let mut reader = dbase::ReaderBuilder::new().with_encoding(enc).open(dbf)?;
        let fields: Vec<String> = reader.fields().iter().map(|f| f.name().to_string()).collect();
        let mut rows = Vec::new();
        for record in reader.iter_records() {
            let mut record = record?;
            rows.push(
                fields
                    .iter()
                    .map(|f| record.remove(f).unwrap_or(FieldValue::Character(None)))
                    .collect::<Vec<_>>(),
            );
        }
        Ok((fields, rows))
    };
    let is_decode = |e: &dbase::Error| matches!(e.kind(), dbase::ErrorKind::StringDecodeError(_));
    let utf8 = || dbase::encoding::DynEncoding::from(dbase::Unicode);
    let other = |e: &'static encoding_rs::Encoding| {
        dbase::encoding::DynEncoding::from(dbase::encoding::EncodingRs::from(e))
    };
    let result = match cpg_encoding(shp)? {
        DbfEncoding::Other(e) => read(other(e)),
        DbfEncoding::Utf8 => match read(utf8()) {
            Err(e) if is_decode(&e) => {
                return Err(IoError::format(
                    &dbf_name,
                    format!(
                        "the .cpg says UTF-8 but the text is not valid UTF-8 ({e}); correct the .cpg (e.g. to 1252 for Latin-1)"
                    ),
                ));
            }
            r => r,
        },
        DbfEncoding::Guess => match read(utf8()) {
            Err(e) if is_decode(&e) => read(other(encoding_rs::WINDOWS_1252)),
            r => r,
        },
    };
    result.map_err(|e| IoError::format(&dbf_name, e.to_string()))
}

fn text_of(v: &FieldValue) -> Option<String> {
    match v {
        FieldValue::Character(s) => s.clone(),
        FieldValue::Memo(s) => Some(s.clone()),
        FieldValue::Numeric(x) => x.map(|x| x.to_string()),
        FieldValue::Float(x) => x.map(|x| x.to_string()),
        FieldValue::Integer(x) => Some(x.to_string()),
        FieldValue::Double(x) | FieldValue::Currency(x) => Some(x.to_string()),
        FieldValue::Logical(b) => b.map(|b| b.to_string()),
        FieldValue::Date(d) => d.map(|d| format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())),
        FieldValue::DateTime(dt) => {
            let (d, t) = (dt.date(), dt.time());
            Some(format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                d.year(),
                d.month(),
                d.day(),
                t.hours(),
                t.minutes(),
                t.seconds()
            ))
        }
    }
}

fn make_column(name: &str, values: Vec<FieldValue>) -> Column {
    let name = name.into();
    let numeric = |v: &FieldValue| match *v {
        FieldValue::Numeric(x) => Some(x),
        FieldValue::Float(x) => Some(x.map(f64::from)),
        FieldValue::Double(x) | FieldValue::Currency(x) => Some(Some(x)),
        FieldValue::Integer(x) => Some(Some(f64::from(x))),
        _ => None,
    };
    if !values.is_empty() && values.iter().all(|v| numeric(v).is_some()) {
        let floats: Vec<Option<f64>> = values.iter().filter_map(numeric).collect();
        let whole = values
            .iter()
            .all(|v| matches!(v, FieldValue::Numeric(_) | FieldValue::Integer(_)))
            && floats
                .iter()
                .flatten()
                .all(|x| x.fract() == 0.0 && x.abs() <= 9_007_199_254_740_992.0);
        return if whole {
            Column::new(
                name,
                floats.iter().map(|x| x.map(|x| x as i64)).collect::<Vec<_>>(),
            )
        } else {
            Column::new(name, floats)
        };
    }
    if !values.is_empty() && values.iter().all(|v| matches!(v, FieldValue::Logical(_))) {
        let b: Vec<Option<bool>> = values
            .iter()
            .map(|v| match v {
                FieldValue::Logical(b) => *b,
                _ => None,
            })
            .collect();
        return Column::new(name, b);
    }
    Column::new(name, values.iter().map(text_of).collect::<Vec<_>>())
}

fn coords<P: Copy>(points: &[P]) -> Vec<Coord>
where
    Coord: From<P>,
{
    points.iter().map(|&p| Coord::from(p)).collect()
}

/// Twice the signed area (shoelace): negative for clockwise rings.
fn signed_area2(c: &[Coord]) -> f64 {
    c.windows(2).map(|w| w[0].x * w[1].y - w[1].x * w[0].y).sum()
}

fn polygons<P: Copy>(rings: &[PolygonRing<P>]) -> Geometry<f64>
where
    Coord: From<P>,
{
    let mut outers: Vec<Polygon> = Vec::new();
    let mut holes: Vec<LineString> = Vec::new();
    for r in rings {
        let c = coords(r.points());
        // Shapefile outer rings are clockwise; classify by the actual orientation.
        if signed_area2(&c) <= 0.0 {
            outers.push(Polygon::new(LineString(c), vec![]));
        } else {
            holes.push(LineString(c));
        }
    }
    if outers.len() == 1 {
        let mut p = outers
            .pop()
            .unwrap_or_else(|| Polygon::new(LineString(vec![]), vec![]));
        for h in holes {
            p.interiors_push(h);
        }
        return Geometry::Polygon(p);
    }
    let areas: Vec<f64> = outers.iter().map(|p| p.unsigned_area()).collect();
    let rects: Vec<_> = outers.iter().map(|p| p.bounding_rect()).collect();
    let mut orphans = Vec::new();
    for h in holes {
        let hr = h.bounding_rect();
        let inside = |k: usize| -> bool {
            let (Some(r), Some(hr)) = (rects[k], hr) else {
                return false;
            };
            if !(r.min().x <= hr.min().x
                && r.min().y <= hr.min().y
                && r.max().x >= hr.max().x
                && r.max().y >= hr.max().y)
            {
                return false;
            }
            // A hole touches its outer ring at most at some vertices: any vertex strictly
            // inside decides.
            h.0.iter().any(|c| outers[k].contains(&Point(*c)))
        };
        let best = (0..outers.len())
            .filter(|&k| inside(k))
            .min_by(|&a, &b| areas[a].total_cmp(&areas[b]));
        match best {
            Some(k) => outers[k].interiors_push(h),
            // A hole in no outer ring: keep it as a polygon of its own (as GDAL does).
            None => orphans.push(Polygon::new(h, vec![])),
        }
    }
    outers.extend(orphans);
    if outers.len() == 1
        && let Some(p) = outers.pop()
    {
        return Geometry::Polygon(p);
    }
    Geometry::MultiPolygon(MultiPolygon(outers))
}

fn lines(parts: &[Vec<Coord>]) -> Geometry<f64> {
    if parts.len() == 1 {
        Geometry::LineString(LineString(parts[0].clone()))
    } else {
        Geometry::MultiLineString(MultiLineString(
            parts.iter().map(|p| LineString(p.clone())).collect(),
        ))
    }
}

fn convert_shape(shape: Shape) -> Result<Option<Geometry<f64>>, String> {
    Ok(Some(match shape {
        Shape::NullShape => return Ok(None),
        Shape::Point(p) => Geometry::Point(Point(Coord::from(p))),
        Shape::PointM(p) => Geometry::Point(Point(Coord::from(p))),
        Shape::PointZ(p) => Geometry::Point(Point(Coord::from(p))),
        Shape::Multipoint(m) => {
            Geometry::MultiPoint(MultiPoint(coords(m.points()).into_iter().map(Point).collect()))
        }
        Shape::MultipointM(m) => {
            Geometry::MultiPoint(MultiPoint(coords(m.points()).into_iter().map(Point).collect()))
        }
        Shape::MultipointZ(m) => {
            Geometry::MultiPoint(MultiPoint(coords(m.points()).into_iter().map(Point).collect()))
        }
        Shape::Polyline(l) => lines(&l.parts().iter().map(|p| coords(p)).collect::<Vec<_>>()),
        Shape::PolylineM(l) => lines(&l.parts().iter().map(|p| coords(p)).collect::<Vec<_>>()),
        Shape::PolylineZ(l) => lines(&l.parts().iter().map(|p| coords(p)).collect::<Vec<_>>()),
        Shape::Polygon(p) => polygons(p.rings()),
        Shape::PolygonM(p) => polygons(p.rings()),
        Shape::PolygonZ(p) => polygons(p.rings()),
        Shape::Multipatch(m) => Geometry::try_from(Shape::Multipatch(m))
            .map_err(|e| format!("cannot convert the multipatch: {e}"))?,
    }))
}
