//! Well-Known Binary: the geometry encoding of GeoParquet (`encoding: "WKB"`) and of the Python
//! boundary (shapely's `to_wkb`/`from_wkb`, GeoArrow's WKB arrays). Reads ISO and extended
//! (PostGIS) WKB of either byte order, dropping Z and M; writes little-endian 2D ISO WKB.
//!
//! One codec for the whole project, here rather than a crate: `wkb` (georust) decodes into
//! `geo-traits` views that still need converting into `geo` types, and `geozero` (`with-geo`)
//! brings a generic processor framework and more dependencies for the same few hundred lines;
//! both would be a second set of error messages to keep in step. This one is small, refuses
//! corrupt counts before allocating, and is shared with the Python bindings (careblock-py).

use geo::winding_order::{Winding, WindingOrder};
use geo::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon, Point,
    Polygon,
};

/// Why a WKB value could not be read (a one-line message, without the file or row: the caller
/// adds them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WkbError(pub String);

impl std::fmt::Display for WkbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WkbError {}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], WkbError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| {
                WkbError(format!(
                    "truncated WKB: {n} more byte(s) needed at byte {} of {}",
                    self.pos,
                    self.buf.len()
                ))
            })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u32(&mut self, little: bool) -> Result<u32, WkbError> {
        let b: [u8; 4] = self
            .take(4)?
            .try_into()
            .map_err(|_| WkbError("short read".into()))?;
        Ok(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    fn f64(&mut self, little: bool) -> Result<f64, WkbError> {
        let b: [u8; 8] = self
            .take(8)?
            .try_into()
            .map_err(|_| WkbError("short read".into()))?;
        Ok(if little {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        })
    }

    /// A count that must fit in the rest of the buffer (`min_bytes` per item), so that a
    /// corrupt count cannot make us allocate gigabytes.
    fn count(&mut self, little: bool, min_bytes: usize) -> Result<usize, WkbError> {
        let n = self.u32(little)? as usize;
        let left = self.buf.len() - self.pos;
        if n.saturating_mul(min_bytes) > left {
            return Err(WkbError(format!(
                "corrupt WKB: a count of {n} at byte {} does not fit in the {left} byte(s) left",
                self.pos - 4
            )));
        }
        Ok(n)
    }
}

/// Coordinate layout of one geometry.
#[derive(Clone, Copy)]
struct Dims {
    little: bool,
    extra: usize,
}

fn coord(r: &mut Reader<'_>, d: Dims) -> Result<Coord<f64>, WkbError> {
    let x = r.f64(d.little)?;
    let y = r.f64(d.little)?;
    for _ in 0..d.extra {
        r.f64(d.little)?;
    }
    Ok(Coord { x, y })
}

fn line(r: &mut Reader<'_>, d: Dims) -> Result<LineString<f64>, WkbError> {
    let n = r.count(d.little, 16 + 8 * d.extra)?;
    // Sized once from the (checked) count: a census is millions of short rings, and growing
    // each from empty reallocates most of them.
    let mut coords = Vec::with_capacity(n);
    for _ in 0..n {
        coords.push(coord(r, d)?);
    }
    Ok(LineString::new(coords))
}

fn polygon(r: &mut Reader<'_>, d: Dims) -> Result<Polygon<f64>, WkbError> {
    let n = r.count(d.little, 4)?;
    if n == 0 {
        return Ok(Polygon::new(LineString::new(vec![]), vec![]));
    }
    let exterior = line(r, d)?;
    // No allocation for the holes of a polygon without any.
    let mut holes = Vec::with_capacity(n - 1);
    for _ in 1..n {
        holes.push(line(r, d)?);
    }
    Ok(Polygon::new(exterior, holes))
}

/// The header of a part of a Multi geometry: its byte order, dimensions and type code.
fn part_header(r: &mut Reader<'_>) -> Result<(Dims, u32), WkbError> {
    let little = match r.take(1)?[0] {
        0 => false,
        1 => true,
        b => {
            return Err(WkbError(format!(
                "not WKB: byte order marker {b} (expected 0 or 1)"
            )));
        }
    };
    let raw = r.u32(little)?;
    // Extended WKB flags (PostGIS): Z 0x80000000, M 0x40000000, SRID 0x20000000.
    let (mut z, mut m) = (raw & 0x8000_0000 != 0, raw & 0x4000_0000 != 0);
    if raw & 0x2000_0000 != 0 {
        r.u32(little)?; // the SRID: the CRS travels beside the geometries
    }
    let mut code = raw & 0x0fff_ffff;
    // ISO WKB: 1000s add Z, 2000s M, 3000s ZM.
    match code / 1000 {
        1 => z = true,
        2 => m = true,
        3 => (z, m) = (true, true),
        _ => {}
    }
    code %= 1000;
    Ok((
        Dims {
            little,
            extra: usize::from(z) + usize::from(m),
        },
        code,
    ))
}

/// The parts of a Multi geometry of type `want` (1 Point, 2 LineString, 3 Polygon), read
/// straight into their vector.
fn parts<T>(
    r: &mut Reader<'_>,
    little: bool,
    want: u32,
    what: &str,
    read: impl Fn(&mut Reader<'_>, Dims) -> Result<T, WkbError>,
) -> Result<Vec<T>, WkbError> {
    let n = r.count(little, 5)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let (d, code) = part_header(r)?;
        if code != want {
            return Err(WkbError(format!(
                "a Multi{what} holds a part that is not a {what}"
            )));
        }
        out.push(read(r, d)?);
    }
    Ok(out)
}

fn geometry(r: &mut Reader<'_>, depth: usize) -> Result<Geometry<f64>, WkbError> {
    if depth > 32 {
        return Err(WkbError("WKB nested more than 32 levels deep".into()));
    }
    let (d, code) = part_header(r)?;
    let little = d.little;
    Ok(match code {
        1 => Geometry::Point(Point(coord(r, d)?)),
        2 => Geometry::LineString(line(r, d)?),
        3 => Geometry::Polygon(polygon(r, d)?),
        4 => Geometry::MultiPoint(MultiPoint(parts(r, little, 1, "Point", |r, d| {
            coord(r, d).map(Point)
        })?)),
        5 => Geometry::MultiLineString(MultiLineString(parts(r, little, 2, "LineString", line)?)),
        6 => Geometry::MultiPolygon(MultiPolygon(parts(r, little, 3, "Polygon", polygon)?)),
        7 => {
            let n = r.count(little, 5)?;
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                out.push(geometry(r, depth + 1)?);
            }
            Geometry::GeometryCollection(GeometryCollection(out))
        }
        other => {
            return Err(WkbError(format!(
                "WKB geometry type {other} is not supported (Point, LineString, Polygon, their Multi forms and GeometryCollection are)"
            )));
        }
    })
}

/// Reads one WKB value. `POINT EMPTY` (NaN coordinates, as shapely writes it) is `None`.
pub fn decode(buf: &[u8]) -> Result<Option<Geometry<f64>>, WkbError> {
    let mut r = Reader { buf, pos: 0 };
    let g = geometry(&mut r, 0)?;
    if r.pos != buf.len() {
        return Err(WkbError(format!(
            "{} trailing byte(s) after the WKB geometry",
            buf.len() - r.pos
        )));
    }
    Ok(match g {
        Geometry::Point(p) if p.x().is_nan() && p.y().is_nan() => None,
        g => Some(g),
    })
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_len(out: &mut Vec<u8>, n: usize) {
    // Geometry sizes come from memory, far below u32::MAX parts.
    put_u32(out, u32::try_from(n).unwrap_or(u32::MAX));
}

fn put_coord(out: &mut Vec<u8>, c: Coord<f64>) {
    out.extend_from_slice(&c.x.to_le_bytes());
    out.extend_from_slice(&c.y.to_le_bytes());
}

fn put_line(out: &mut Vec<u8>, l: &LineString<f64>) {
    put_len(out, l.0.len());
    for c in &l.0 {
        put_coord(out, *c);
    }
}

/// A ring, written backwards when `want` is given, its winding is known and is not `want`
/// (geo's `Orient`, without a copy of the ring).
fn put_ring(out: &mut Vec<u8>, l: &LineString<f64>, want: Option<WindingOrder>) {
    match want {
        Some(w) if l.winding_order().is_some_and(|o| o != w) => {
            put_len(out, l.0.len());
            for c in l.0.iter().rev() {
                put_coord(out, *c);
            }
        }
        _ => put_line(out, l),
    }
}

/// A polygon's rings; `oriented`: its exterior counter-clockwise and its holes clockwise.
fn put_polygon_body(out: &mut Vec<u8>, p: &Polygon<f64>, oriented: bool) {
    if p.exterior().0.is_empty() {
        put_u32(out, 0);
        return;
    }
    put_len(out, 1 + p.interiors().len());
    put_ring(
        out,
        p.exterior(),
        oriented.then_some(WindingOrder::CounterClockwise),
    );
    for ring in p.interiors() {
        put_ring(out, ring, oriented.then_some(WindingOrder::Clockwise));
    }
}

fn put_header(out: &mut Vec<u8>, code: u32) {
    out.push(1);
    put_u32(out, code);
}

fn put(out: &mut Vec<u8>, g: &Geometry<f64>, oriented: bool) {
    match g {
        Geometry::Point(p) => {
            put_header(out, 1);
            put_coord(out, p.0);
        }
        Geometry::Line(l) => {
            put_header(out, 2);
            put_u32(out, 2);
            put_coord(out, l.start);
            put_coord(out, l.end);
        }
        Geometry::LineString(l) => {
            put_header(out, 2);
            put_line(out, l);
        }
        Geometry::Polygon(p) => {
            put_header(out, 3);
            put_polygon_body(out, p, oriented);
        }
        Geometry::MultiPoint(mp) => {
            put_header(out, 4);
            put_len(out, mp.0.len());
            for p in &mp.0 {
                put(out, &Geometry::Point(*p), false);
            }
        }
        Geometry::MultiLineString(ml) => {
            put_header(out, 5);
            put_len(out, ml.0.len());
            for l in &ml.0 {
                put_header(out, 2);
                put_line(out, l);
            }
        }
        Geometry::MultiPolygon(mp) => {
            put_header(out, 6);
            put_len(out, mp.0.len());
            for p in &mp.0 {
                put_header(out, 3);
                put_polygon_body(out, p, oriented);
            }
        }
        Geometry::GeometryCollection(gc) => {
            put_header(out, 7);
            put_len(out, gc.0.len());
            for g in &gc.0 {
                put(out, g, false);
            }
        }
        Geometry::Rect(r) => put(out, &Geometry::Polygon(r.to_polygon()), false),
        Geometry::Triangle(t) => put(out, &Geometry::Polygon(t.to_polygon()), false),
    }
}

/// The number of bytes [`encode`] and [`encode_oriented_into`] write for `g`, so that a buffer
/// can be sized once.
pub fn encoded_len(g: &Geometry<f64>) -> usize {
    const HEADER: usize = 5;
    let line = |l: &LineString<f64>| 4 + 16 * l.0.len();
    let polygon = |p: &Polygon<f64>| {
        if p.exterior().0.is_empty() {
            4
        } else {
            4 + line(p.exterior()) + p.interiors().iter().map(line).sum::<usize>()
        }
    };
    match g {
        Geometry::Point(_) => HEADER + 16,
        Geometry::Line(_) => HEADER + 4 + 32,
        Geometry::LineString(l) => HEADER + line(l),
        Geometry::Polygon(p) => HEADER + polygon(p),
        Geometry::MultiPoint(mp) => HEADER + 4 + mp.0.len() * (HEADER + 16),
        Geometry::MultiLineString(ml) => HEADER + 4 + ml.0.iter().map(|l| HEADER + line(l)).sum::<usize>(),
        Geometry::MultiPolygon(mp) => HEADER + 4 + mp.0.iter().map(|p| HEADER + polygon(p)).sum::<usize>(),
        Geometry::GeometryCollection(gc) => HEADER + 4 + gc.0.iter().map(encoded_len).sum::<usize>(),
        Geometry::Rect(r) => encoded_len(&Geometry::Polygon(r.to_polygon())),
        Geometry::Triangle(t) => encoded_len(&Geometry::Polygon(t.to_polygon())),
    }
}

/// Writes one geometry as little-endian 2D ISO WKB.
pub fn encode(g: &Geometry<f64>) -> Vec<u8> {
    let mut out = Vec::new();
    put(&mut out, g, false);
    out
}

/// Appends one geometry to `out` as little-endian 2D ISO WKB, a polygon's (or a multipolygon's
/// parts') exterior counter-clockwise and holes clockwise, as GeoJSON and GeoParquet's
/// `orientation: "counterclockwise"` want them; other geometries as they are.
pub fn encode_oriented_into(out: &mut Vec<u8>, g: &Geometry<f64>) {
    put(out, g, true);
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn round_trip() {
        let p: Geometry<f64> =
            polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 0.)].into();
        let mp = Geometry::MultiPolygon(MultiPolygon(vec![
            polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 0.)],
        ]));
        for g in [p, mp, Geometry::Point(Point::new(-74.1, 4.6))] {
            assert_eq!(decode(&encode(&g)).unwrap(), Some(g));
        }
    }

    #[test]
    fn oriented_encoding_turns_rings_as_geo_orient_does_without_copying_them() {
        use geo::orient::{Direction, Orient};
        // A clockwise exterior with a counter-clockwise hole; a degenerate (flat) ring, whose
        // winding is unknown and stays as it is; a multipolygon mixing both orientations.
        let cw = polygon!(
            exterior: [(x: 0., y: 0.), (x: 0., y: 4.), (x: 4., y: 4.), (x: 4., y: 0.), (x: 0., y: 0.)],
            interiors: [[(x: 1., y: 1.), (x: 2., y: 1.), (x: 2., y: 2.), (x: 1., y: 2.), (x: 1., y: 1.)]],
        );
        let flat = polygon![(x: 0., y: 0.), (x: 1., y: 1.), (x: 2., y: 2.), (x: 0., y: 0.)];
        let ccw = cw.orient(Direction::Default);
        let cases = [
            Geometry::Polygon(cw.clone()),
            Geometry::Polygon(flat.clone()),
            Geometry::Polygon(ccw.clone()),
            Geometry::MultiPolygon(MultiPolygon(vec![cw.clone(), ccw, flat])),
        ];
        for g in cases {
            let expected = match &g {
                Geometry::Polygon(p) => Geometry::Polygon(p.orient(Direction::Default)),
                Geometry::MultiPolygon(m) => Geometry::MultiPolygon(m.orient(Direction::Default)),
                _ => unreachable!(),
            };
            let mut out = vec![9u8];
            encode_oriented_into(&mut out, &g);
            assert_eq!(out[0], 9, "appends");
            assert_eq!(out[1..], encode(&expected)[..]);
        }
        // Other geometries are written as they are.
        let line: Geometry<f64> = LineString::from(vec![(1., 0.), (0., 0.)]).into();
        let mut out = Vec::new();
        encode_oriented_into(&mut out, &line);
        assert_eq!(out, encode(&line));
    }

    #[test]
    fn multi_parts_are_read_into_exactly_sized_rings() {
        let with_hole = polygon!(
            exterior: [(x: 0., y: 0.), (x: 4., y: 0.), (x: 4., y: 4.), (x: 0., y: 4.), (x: 0., y: 0.)],
            interiors: [[(x: 1., y: 1.), (x: 1., y: 2.), (x: 2., y: 2.), (x: 1., y: 1.)]],
        );
        let plain = polygon![(x: 5., y: 5.), (x: 6., y: 5.), (x: 6., y: 6.), (x: 5., y: 5.)];
        let g = Geometry::MultiPolygon(MultiPolygon(vec![with_hole, plain]));
        let Some(Geometry::MultiPolygon(back)) = decode(&encode(&g)).unwrap() else {
            panic!("not a MultiPolygon");
        };
        assert_eq!(Geometry::MultiPolygon(back.clone()), g);
        for p in &back.0 {
            assert_eq!(p.exterior().0.capacity(), p.exterior().0.len());
            assert_eq!(p.interiors().len(), usize::from(p.interiors().len() == 1));
        }
        assert_eq!(back.0[0].interiors()[0].0.capacity(), 4);
        // A part of another type is refused, naming what the Multi should hold.
        let mut b = vec![1u8];
        b.extend_from_slice(&6u32.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&encode(&Geometry::Point(Point::new(1.0, 2.0))));
        assert_eq!(
            decode(&b).unwrap_err().0,
            "a MultiPolygon holds a part that is not a Polygon"
        );
    }

    #[test]
    fn encoded_len_is_the_length_written() {
        use geo::{Line, Rect, Triangle, coord, line_string, point};
        let square = polygon![(x: 0., y: 0.), (x: 4., y: 0.), (x: 4., y: 4.), (x: 0., y: 0.)];
        let holed = polygon!(
            exterior: [(x: 0., y: 0.), (x: 4., y: 0.), (x: 4., y: 4.), (x: 0., y: 4.), (x: 0., y: 0.)],
            interiors: [[(x: 1., y: 1.), (x: 1., y: 2.), (x: 2., y: 2.), (x: 1., y: 1.)]],
        );
        let ls = line_string![(x: 0., y: 0.), (x: 1., y: 1.), (x: 2., y: 0.)];
        let all: Vec<Geometry<f64>> = vec![
            point!(x: 1., y: 2.).into(),
            Line::new(coord! { x: 0., y: 0. }, coord! { x: 1., y: 1. }).into(),
            ls.clone().into(),
            square.clone().into(),
            holed.clone().into(),
            Polygon::new(LineString::new(vec![]), vec![]).into(),
            MultiPoint(vec![point!(x: 1., y: 2.), point!(x: 3., y: 4.)]).into(),
            MultiLineString(vec![ls.clone(), ls]).into(),
            MultiPolygon(vec![square.clone(), holed]).into(),
            Geometry::GeometryCollection(GeometryCollection(vec![
                square.into(),
                point!(x: 0., y: 1.).into(),
            ])),
            Rect::new(coord! { x: 0., y: 0. }, coord! { x: 1., y: 2. }).into(),
            Triangle::new(
                coord! { x: 0., y: 0. },
                coord! { x: 1., y: 0. },
                coord! { x: 0., y: 1. },
            )
            .into(),
        ];
        for g in &all {
            assert_eq!(encoded_len(g), encode(g).len(), "{g:?}");
            let mut out = Vec::new();
            encode_oriented_into(&mut out, g);
            assert_eq!(encoded_len(g), out.len(), "{g:?}");
        }
    }

    #[test]
    fn big_endian_z_and_errors() {
        // POINT Z (1 2 3), big-endian ISO.
        let mut b = vec![0u8];
        b.extend_from_slice(&1001u32.to_be_bytes());
        for v in [1.0f64, 2.0, 3.0] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        assert_eq!(decode(&b).unwrap(), Some(Geometry::Point(Point::new(1.0, 2.0))));
        assert!(decode(&b[..10]).is_err());
        assert!(decode(&[7, 1, 0, 0, 0]).is_err());
        // A polygon claiming 2^31 rings is refused before allocating.
        let mut c = vec![1u8];
        c.extend_from_slice(&3u32.to_le_bytes());
        c.extend_from_slice(&0x8000_0000u32.to_le_bytes());
        assert!(decode(&c).unwrap_err().0.contains("does not fit"));
    }
}

#[cfg(test)]
mod fuzz {
    use super::{decode, encode};
    use geo::{Geometry, MultiPolygon, polygon};
    use proptest::prelude::*;

    proptest! {
        /// Any bytes, and any byte of a valid value changed, give a value or an error: never a
        /// panic or a runaway allocation.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode(&bytes);
        }

        #[test]
        fn mutated_values_never_panic(at in 0usize..200, byte in any::<u8>(), cut in 0usize..200) {
            let g = Geometry::MultiPolygon(MultiPolygon(vec![
                polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 0.)],
            ]));
            let mut b = encode(&g);
            let n = b.len();
            b[at % n] = byte;
            b.truncate(cut.min(n));
            let _ = decode(&b);
        }
    }
}
