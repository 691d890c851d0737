//! GeoJSON geometries (as the serde types hold them) to `geo` geometries: rings checked and
//! closed, positions counted, each problem named with its place in the geometry.

use geo::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon, Point,
    Polygon,
};

use super::raw::{Nested, RawGeometry};

pub(super) fn describe(n: &Nested) -> &'static str {
    match n {
        Nested::Empty => "an empty array",
        Nested::Position(_) => "a single position",
        Nested::Positions(_) => "an array of positions",
        Nested::Lists(_) => "an array of arrays of positions (or deeper)",
    }
}

/// What the message of an unclosed ring says (careblock can close it: `Hint::FixInvalid`).
pub(crate) const NOT_CLOSED: &str = " is not closed: ";

pub(crate) fn ring(v: Vec<Coord>, label: &str, close: bool, closed: &mut bool) -> Result<LineString, String> {
    let mut v = v;
    if let (Some(&first), Some(&last)) = (v.first(), v.last())
        && first != last
    {
        if close {
            v.push(first);
            *closed = true;
        } else {
            return Err(format!(
                "{label}{NOT_CLOSED}first ({}, {}) != last ({}, {})",
                first.x, first.y, last.x, last.y
            ));
        }
    }
    if v.len() < 4 {
        return Err(format!(
            "{label} has {} position{}; a linear ring needs at least 4 (the first repeated as the last)",
            v.len(),
            if v.len() == 1 { "" } else { "s" }
        ));
    }
    // The parser reserves room for 16 positions; a census block has 5.
    v.shrink_to_fit();
    Ok(LineString(v))
}

pub(super) fn polygon(n: Nested, prefix: &str, close: bool, closed: &mut bool) -> Result<Polygon, String> {
    let rings = match n {
        Nested::Empty => return Ok(Polygon::new(LineString(vec![]), vec![])),
        Nested::Lists(rings) => rings,
        other => {
            return Err(format!(
                "{prefix}coordinates must be an array of rings (arrays of positions), found {}",
                describe(&other)
            ));
        }
    };
    let mut out = Vec::with_capacity(rings.len());
    for (r, n) in rings.into_iter().enumerate() {
        let label = format!("{prefix}ring {r}");
        let v = match n {
            Nested::Positions(v) => v,
            Nested::Empty => vec![],
            other => {
                return Err(format!(
                    "{label} must be an array of positions, found {}",
                    describe(&other)
                ));
            }
        };
        out.push(ring(v, &label, close, closed)?);
    }
    let mut rings = out.into_iter();
    let exterior = rings.next().unwrap_or_else(|| LineString(vec![]));
    Ok(Polygon::new(exterior, rings.collect()))
}

/// The serde path's conversion, for the fast reader's tests.
#[cfg(test)]
pub(crate) fn to_geometry_for_test(g: RawGeometry) -> Result<Geometry<f64>, String> {
    to_geometry(g, false, &mut false)
}

pub(super) fn to_geometry(g: RawGeometry, close: bool, closed: &mut bool) -> Result<Geometry<f64>, String> {
    let RawGeometry {
        kind,
        coordinates,
        geometries,
    } = g;
    if kind == "GeometryCollection" {
        let Some(parts) = geometries else {
            return Err("a GeometryCollection needs a \"geometries\" array".into());
        };
        return parts
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let k = p.kind.clone();
                to_geometry(p, close, closed).map_err(|e| format!("geometry {i} ({k}): {e}"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|v| Geometry::GeometryCollection(GeometryCollection(v)));
    }
    let known = matches!(
        kind.as_str(),
        "Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon" | "MultiPolygon"
    );
    if !known {
        return Err(format!(
            "unknown geometry type {kind:?} (expected Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon or GeometryCollection)"
        ));
    }
    let Some(c) = coordinates else {
        return Err(format!("the {kind} has no \"coordinates\""));
    };
    let wrong = |expected: &str, found: &Nested| {
        format!(
            "a {kind}'s coordinates must be {expected}, found {}",
            describe(found)
        )
    };
    Ok(match kind.as_str() {
        "Point" => match c {
            Nested::Position(p) => Geometry::Point(Point(p)),
            other => return Err(wrong("a position [x, y]", &other)),
        },
        "MultiPoint" => match c {
            Nested::Positions(v) => Geometry::MultiPoint(MultiPoint(v.into_iter().map(Point).collect())),
            Nested::Empty => Geometry::MultiPoint(MultiPoint(vec![])),
            other => return Err(wrong("an array of positions", &other)),
        },
        "LineString" => match c {
            Nested::Positions(v) if v.len() >= 2 => Geometry::LineString(LineString(v)),
            Nested::Positions(_) => {
                return Err("a LineString needs at least 2 positions, found 1".into());
            }
            Nested::Empty => Geometry::LineString(LineString(vec![])),
            other => return Err(wrong("an array of positions", &other)),
        },
        "MultiLineString" => match c {
            Nested::Empty => Geometry::MultiLineString(MultiLineString(vec![])),
            Nested::Lists(lines) => {
                let mut out = Vec::with_capacity(lines.len());
                for (i, l) in lines.into_iter().enumerate() {
                    match l {
                        Nested::Positions(v) if v.len() >= 2 => out.push(LineString(v)),
                        Nested::Empty => out.push(LineString(vec![])),
                        Nested::Positions(_) => {
                            return Err(format!("line {i} needs at least 2 positions, found 1"));
                        }
                        other => {
                            return Err(format!(
                                "line {i} must be an array of positions, found {}",
                                describe(&other)
                            ));
                        }
                    }
                }
                Geometry::MultiLineString(MultiLineString(out))
            }
            other => return Err(wrong("an array of lines (arrays of positions)", &other)),
        },
        "Polygon" => Geometry::Polygon(polygon(c, "", close, closed)?),
        _ => match c {
            Nested::Empty => Geometry::MultiPolygon(MultiPolygon(vec![])),
            Nested::Lists(polys) => {
                let mut out = Vec::with_capacity(polys.len());
                for (i, p) in polys.into_iter().enumerate() {
                    let prefix = format!("polygon {i}, ");
                    if matches!(p, Nested::Positions(_) | Nested::Position(_)) {
                        return Err(format!(
                            "{prefix}coordinates must be an array of rings, found {} (is this a Polygon typed as MultiPolygon?)",
                            describe(&p)
                        ));
                    }
                    out.push(polygon(p, &prefix, close, closed)?);
                }
                Geometry::MultiPolygon(MultiPolygon(out))
            }
            other => return Err(wrong("an array of polygons", &other)),
        },
    })
}
