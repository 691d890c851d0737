//! A byte-level reader for the common shape of a GeoJSON feature (the fast path of
//! [`crate::parse_geojson`]): a `Feature` with an optional string or integer `id`, flat scalar
//! `properties` and a `Point`, `LineString`, `MultiPoint`, `Polygon` or `MultiPolygon` geometry
//! (or `null`), with closed rings of at least 4 positions. Coordinates go straight into `geo`
//! types, property values borrow their strings from the input.
//!
//! It accepts only what the serde path would accept *and read into the same values*; anything
//! else (escapes in strings, nested properties, unknown or repeated members, numbers it cannot
//! convert exactly as serde_json does, rings that need closing or are too short, malformed JSON)
//! makes it return `None`, and the caller reads that chunk of features with the serde path,
//! which gives the exact messages. So every message and check stays where it was.

use std::borrow::Cow;

use geo::{Coord, Geometry, LineString, MultiPoint, MultiPolygon, Point, Polygon};

use super::raw::{IdValue, PropValue, Props, RawFeature, Text};

/// Parses one feature's bytes (its whole span, nothing after it but whitespace). `scratch` is a
/// reusable buffer for positions.
pub(crate) fn feature<'a>(b: &'a [u8], scratch: &mut Vec<Coord>) -> Option<RawFeature<'a>> {
    let mut p = P { b, i: 0 };
    let f = p.feature(scratch)?;
    p.ws();
    (p.i == b.len()).then_some(f)
}

/// Parses the feature that starts at `i` (after optional whitespace) in a larger buffer;
/// returns it and the index just after it.
pub(crate) fn feature_at<'a>(
    b: &'a [u8],
    i: usize,
    scratch: &mut Vec<Coord>,
) -> Option<(RawFeature<'a>, usize)> {
    let mut p = P { b, i };
    let f = p.feature(scratch)?;
    Some((f, p.i))
}

/// Exact powers of ten (every one up to 1e22 is exactly representable in an f64).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
    1e19, 1e20, 1e21, 1e22,
];

/// A number as read.
enum Num {
    /// No fraction or exponent: serde_json reads it as an integer.
    Int(i64),
    /// A fraction or exponent: serde_json reads it as a float.
    Float(f64),
}

impl Num {
    fn to_f64(&self) -> f64 {
        match *self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
}

struct P<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> P<'a> {
    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    /// The next non-whitespace byte, not consumed.
    #[inline]
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// After an element: `true` if a `,` followed (another element comes), `false` at `close`.
    #[inline]
    fn more(&mut self, close: u8) -> Option<bool> {
        match self.peek()? {
            b',' => {
                self.i += 1;
                Some(true)
            }
            c if c == close => {
                self.i += 1;
                Some(false)
            }
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.ws();
        self.b[self.i..].starts_with(word).then(|| self.i += word.len())
    }

    /// A string without escapes or control characters, as valid UTF-8 borrowed from the input.
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        let rest = &self.b[start..];
        let len = rest.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
        if rest[len] != b'"' {
            return None;
        }
        self.i = start + len + 1;
        std::str::from_utf8(&rest[..len]).ok()
    }

    /// A JSON number, when serde_json would read it as exactly this value: integers of at most
    /// 18 digits; decimals whose digits fit 2^53 and whose power of ten is at most 22 (then
    /// serde_json computes `digits as f64` times or divided by that exact power, as here).
    fn number(&mut self) -> Option<Num> {
        self.ws();
        let b = self.b;
        let mut i = self.i;
        let negative = b.get(i) == Some(&b'-');
        if negative {
            i += 1;
        }
        let mut m: u64 = 0;
        let mut digits = 0u32;
        match *b.get(i)? {
            b'0' => {
                i += 1;
            }
            b'1'..=b'9' => {
                while let Some(&c @ b'0'..=b'9') = b.get(i) {
                    m = m.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
                    digits += 1;
                    i += 1;
                }
            }
            _ => return None,
        }
        let mut exp: i32 = 0;
        let mut float = false;
        if b.get(i) == Some(&b'.') {
            float = true;
            i += 1;
            let from = i;
            while let Some(&c @ b'0'..=b'9') = b.get(i) {
                m = m.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
                i += 1;
            }
            let n = (i - from) as u32;
            if n == 0 {
                return None;
            }
            // Leading zeros of the fraction (0.0001) are not significant but still counted: the
            // bound below stays conservative.
            digits += n;
            exp = -(n as i32);
        }
        if let Some(b'e' | b'E') = b.get(i) {
            float = true;
            i += 1;
            let neg_exp = match b.get(i) {
                Some(b'-') => {
                    i += 1;
                    true
                }
                Some(b'+') => {
                    i += 1;
                    false
                }
                _ => false,
            };
            let from = i;
            let mut e: i32 = 0;
            while let Some(&c @ b'0'..=b'9') = b.get(i) {
                e = e.saturating_mul(10).saturating_add(i32::from(c - b'0'));
                i += 1;
            }
            if i == from {
                return None;
            }
            exp = exp.saturating_add(if neg_exp { -e } else { e });
        }
        self.i = i;
        if !float {
            if digits > 18 {
                return None;
            }
            // serde_json reads "-0" as the float -0.0: leave it to serde.
            if negative && m == 0 {
                return None;
            }
            // < 10^18 fits an i64.
            let v = m as i64;
            return Some(Num::Int(if negative { -v } else { v }));
        }
        if digits > 15 || m >= 1 << 53 || exp.unsigned_abs() > 22 {
            return None;
        }
        let mut f = m as f64;
        if exp >= 0 {
            f *= POW10[exp as usize];
        } else {
            f /= POW10[exp.unsigned_abs() as usize];
        }
        Some(Num::Float(if negative { -f } else { f }))
    }

    /// A position `[x, y, ...]` (extra numbers ignored, as the serde path does).
    #[inline]
    fn position(&mut self) -> Option<Coord> {
        self.eat(b'[')?;
        let x = self.number()?.to_f64();
        self.eat(b',')?;
        let y = self.number()?.to_f64();
        while self.more(b']')? {
            self.number()?;
        }
        Some(Coord { x, y })
    }

    /// A non-empty array of positions, collected into `scratch` (cleared first).
    fn positions(&mut self, scratch: &mut Vec<Coord>) -> Option<()> {
        scratch.clear();
        self.eat(b'[')?;
        loop {
            scratch.push(self.position()?);
            if !self.more(b']')? {
                return Some(());
            }
        }
    }

    /// A closed ring of at least 4 positions (anything else goes to the serde path, which
    /// reports or repairs it).
    fn ring(&mut self, scratch: &mut Vec<Coord>) -> Option<LineString> {
        self.positions(scratch)?;
        if scratch.len() < 4 || scratch.first() != scratch.last() {
            return None;
        }
        Some(LineString(scratch.as_slice().to_vec()))
    }

    fn polygon(&mut self, scratch: &mut Vec<Coord>) -> Option<Polygon> {
        self.eat(b'[')?;
        let exterior = self.ring(scratch)?;
        let mut holes = Vec::new();
        while self.more(b']')? {
            holes.push(self.ring(scratch)?);
        }
        Some(Polygon::new(exterior, holes))
    }

    /// The `coordinates` of a geometry of type `kind`.
    fn coordinates(&mut self, kind: &str, scratch: &mut Vec<Coord>) -> Option<Geometry> {
        Some(match kind {
            "Point" => Geometry::Point(Point(self.position()?)),
            "Polygon" => Geometry::Polygon(self.polygon(scratch)?),
            "MultiPolygon" => {
                self.eat(b'[')?;
                let mut polys = vec![self.polygon(scratch)?];
                while self.more(b']')? {
                    polys.push(self.polygon(scratch)?);
                }
                Geometry::MultiPolygon(MultiPolygon(polys))
            }
            "LineString" => {
                self.positions(scratch)?;
                if scratch.len() < 2 {
                    return None;
                }
                Geometry::LineString(LineString(scratch.as_slice().to_vec()))
            }
            "MultiPoint" => {
                self.positions(scratch)?;
                Geometry::MultiPoint(MultiPoint(scratch.iter().copied().map(Point).collect()))
            }
            _ => return None,
        })
    }

    /// A geometry object or `null`. `type` must come before `coordinates` (the serde path
    /// handles either order).
    fn geometry(&mut self, scratch: &mut Vec<Coord>) -> Option<Option<Geometry>> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Some(None);
        }
        self.eat(b'{')?;
        let mut kind: Option<&str> = None;
        let mut geometry = None;
        if self.peek()? == b'}' {
            return None;
        }
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            match key {
                "type" if kind.is_none() => kind = Some(self.string()?),
                "coordinates" if geometry.is_none() => geometry = Some(self.coordinates(kind?, scratch)?),
                _ => return None,
            }
            if !self.more(b'}')? {
                break;
            }
        }
        geometry.map(Some)
    }

    fn prop_value(&mut self) -> Option<PropValue<'a>> {
        Some(match self.peek()? {
            b'"' => PropValue::Str(Cow::Borrowed(self.string()?)),
            b'n' => {
                self.literal(b"null")?;
                PropValue::Null
            }
            b't' => {
                self.literal(b"true")?;
                PropValue::Bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                PropValue::Bool(false)
            }
            _ => match self.number()? {
                Num::Int(i) => PropValue::Int(i),
                Num::Float(f) => PropValue::Float(f),
            },
        })
    }

    fn properties(&mut self) -> Option<Option<Props<'a>>> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Some(None);
        }
        self.eat(b'{')?;
        let mut v = Vec::with_capacity(12);
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(Some(Props(v)));
        }
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            v.push((Cow::Borrowed(key), self.prop_value()?));
            if !self.more(b'}')? {
                break;
            }
        }
        // Repeated keys have a "last wins" rule on the serde path: leave them to it.
        if v.len() > 1 {
            for (k, (key, _)) in v.iter().enumerate().skip(1) {
                if v[..k].iter().any(|(other, _)| other == key) {
                    return None;
                }
            }
        }
        Some(Some(Props(v)))
    }

    fn id(&mut self) -> Option<IdValue> {
        Some(IdValue(match self.peek()? {
            b'"' => self.string()?.to_string(),
            _ => match self.number()? {
                Num::Int(i) => i.to_string(),
                Num::Float(_) => return None,
            },
        }))
    }

    fn feature(&mut self, scratch: &mut Vec<Coord>) -> Option<RawFeature<'a>> {
        self.eat(b'{')?;
        let mut f = RawFeature {
            kind: None,
            id: None,
            properties: None,
            geometry: None,
            ready: None,
        };
        let (mut seen_props, mut seen_geometry) = (false, false);
        if self.peek()? == b'}' {
            return None;
        }
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            match key {
                "type" if f.kind.is_none() => {
                    let kind = self.string()?;
                    if kind != "Feature" {
                        return None;
                    }
                    f.kind = Some(Text(Cow::Borrowed(kind)));
                }
                "id" if f.id.is_none() => f.id = Some(self.id()?),
                "properties" if !seen_props => {
                    seen_props = true;
                    f.properties = self.properties()?;
                }
                "geometry" if !seen_geometry => {
                    seen_geometry = true;
                    f.ready = Some(self.geometry(scratch)?);
                }
                _ => return None,
            }
            if !self.more(b'}')? {
                break;
            }
        }
        if !seen_geometry {
            f.ready = Some(None);
        }
        Some(f)
    }
}

#[cfg(test)]
mod tests {
    use super::super::geometry::to_geometry_for_test;
    use super::*;

    fn same_value(a: &PropValue<'_>, b: &PropValue<'_>) -> bool {
        match (a, b) {
            (PropValue::Null, PropValue::Null) => true,
            (PropValue::Bool(x), PropValue::Bool(y)) => x == y,
            (PropValue::Int(x), PropValue::Int(y)) => x == y,
            (PropValue::Float(x), PropValue::Float(y)) => x.to_bits() == y.to_bits(),
            (PropValue::Str(x), PropValue::Str(y)) => x == y,
            _ => false,
        }
    }

    /// Every feature of the bundled data and of the synthetic-city fixture that the fast reader
    /// accepts reads exactly as on the serde path (ids, property values to the bit, geometries).
    #[test]
    fn the_fast_reader_reads_what_serde_reads() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let mut files = vec![format!("{root}/tests/fixtures/city2k/units.geojson")];
        for dir in [
            "data/bogota",
            "data/bogota/candidates",
            "data/bogota/supply",
            "data/chile",
        ] {
            let mut names: Vec<_> = std::fs::read_dir(format!("{root}/{dir}"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "geojson"))
                .collect();
            names.sort();
            files.extend(names.into_iter().map(|p| p.display().to_string()));
        }
        let mut scratch = Vec::new();
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            let spans = super::super::split::split_top(&bytes).unwrap().features.unwrap();
            let mut fast_count = 0;
            for r in &spans {
                let span = &bytes[r.clone()];
                let Some(fast) = feature(span, &mut scratch) else {
                    continue;
                };
                fast_count += 1;
                let slow: RawFeature<'_> = serde_json::from_slice(span).unwrap();
                assert_eq!(fast.id.map(|v| v.0), slow.id.map(|v| v.0), "{file}");
                assert_eq!(fast.kind.map(|k| k.0), slow.kind.map(|k| k.0), "{file}");
                let (fp, sp) = (fast.properties.map(|p| p.0), slow.properties.map(|p| p.0));
                assert_eq!(fp.is_some(), sp.is_some(), "{file}");
                for (a, b) in fp.iter().flatten().zip(sp.iter().flatten()) {
                    assert!(a.0 == b.0 && same_value(&a.1, &b.1), "{file}: {}", a.0);
                }
                assert_eq!(fp.map(|p| p.len()), sp.map(|p| p.len()), "{file}");
                let slow_geometry = slow.geometry.map(|g| to_geometry_for_test(g).unwrap());
                assert_eq!(fast.ready, Some(slow_geometry), "{file}");
            }
            // The fixture is what the fast reader is for: every feature takes it.
            if file.ends_with("city2k/units.geojson") {
                assert_eq!(fast_count, spans.len());
            }
        }
    }

    fn num(s: &str) -> Option<f64> {
        P {
            b: s.as_bytes(),
            i: 0,
        }
        .number()
        .map(|n| n.to_f64())
    }

    #[test]
    fn numbers_are_read_as_serde_json_reads_them() {
        for s in [
            "0",
            "1",
            "-74.4986919",
            "4.250604",
            "0.5353",
            "1e5",
            "1.5E-3",
            "-0.0",
            "123456789.123456",
            "12345678901234",
            "99.99999999999",
            "1e22",
            "1e-22",
            "0.000001",
        ] {
            let ours = num(s).unwrap();
            let theirs: f64 = serde_json::from_str(s).unwrap();
            assert_eq!(ours.to_bits(), theirs.to_bits(), "{s}");
        }
        // Left to serde_json: too many digits, large powers, malformed.
        for s in [
            "-0",
            "1.2345678901234567",
            "1e23",
            "1e-400",
            "01",
            "1.",
            "-",
            ".5",
            "1e",
            "+1",
        ] {
            let mut p = P {
                b: s.as_bytes(),
                i: 0,
            };
            let whole = p.number().is_some() && p.i == s.len();
            assert!(!whole, "{s}");
        }
    }

    #[test]
    fn unusual_features_are_left_to_the_serde_path() {
        let mut scratch = Vec::new();
        let ok = r#"{"type":"Feature","id":3,"properties":{"a":1,"b":"x","c":null,"d":true,"e":0.5},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}"#;
        let f = feature(ok.as_bytes(), &mut scratch).unwrap();
        assert_eq!(f.id.unwrap().0, "3");
        assert!(matches!(f.ready, Some(Some(Geometry::Polygon(_)))));
        for bad in [
            // escapes, nested values, repeated and unknown keys, unusual geometry
            r#"{"type":"Feature","properties":{"a":"\u00f1"},"geometry":null}"#,
            r#"{"type":"Feature","properties":{"a":[1]},"geometry":null}"#,
            r#"{"type":"Feature","properties":{"a":1,"a":2},"geometry":null}"#,
            r#"{"type":"Feature","bbox":[0,0,1,1],"properties":{},"geometry":null}"#,
            r#"{"type":"Feature","properties":{},"geometry":{"coordinates":[0,0],"type":"Point"}}"#,
            r#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}}"#,
            r#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}}"#,
            r#"{"type":"Feature","properties":{},"geometry":{"type":"Circle","coordinates":[0,0]}}"#,
            r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[0]}}"#,
            r#"{"type":"Feature","properties":{},"geometry":null} x"#,
            r#"{"type":"Feature","properties":{},"geometry":nul}"#,
            r#"{"type":"Feat","properties":{},"geometry":null}"#,
            r#"{"type":"Feature","properties":{"a":1,},"geometry":null}"#,
        ] {
            assert!(feature(bad.as_bytes(), &mut scratch).is_none(), "{bad}");
        }
    }
}
