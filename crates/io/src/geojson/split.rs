//! A fast structural scan of a GeoJSON document: the byte spans of the top-level members and of
//! each element of the `features` array, so that features can be deserialised in parallel.
//! The scan only tracks strings and bracket depth; it does not validate JSON. Anything it does
//! not understand makes it give up (`None`), and the caller falls back to one serde pass, which
//! also produces the precise error message for malformed input.

use std::ops::Range;

/// The top-level members of a JSON object (key → value span) and what was read of its
/// `features` array, if it has one.
pub(crate) type Members<'a, T> = (Vec<(&'a [u8], Range<usize>)>, Option<T>);

/// The top-level members of a JSON object: key (raw bytes between the quotes) → value span,
/// and, if one of them is `"features": [...]`, the span of each element.
pub(crate) struct Split<'a> {
    pub members: Vec<(&'a [u8], Range<usize>)>,
    pub features: Option<Vec<Range<usize>>>,
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\n' | b'\r' | b'\t') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// Skips a string starting at its opening quote; returns the span of its contents.
    fn string(&mut self) -> Option<Range<usize>> {
        debug_assert_eq!(self.peek(), Some(b'"'));
        let start = self.i + 1;
        let mut j = start;
        loop {
            match *self.b.get(j)? {
                b'"' => {
                    self.i = j + 1;
                    return Some(start..j);
                }
                b'\\' => j += 2,
                _ => j += 1,
            }
        }
    }

    /// Skips any JSON value; returns its span.
    fn value(&mut self) -> Option<Range<usize>> {
        self.ws();
        let start = self.i;
        match self.peek()? {
            b'"' => {
                self.string()?;
            }
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match *self.b.get(self.i)? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
            }
            _ => {
                while self.i < self.b.len()
                    && !matches!(self.b[self.i], b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t')
                {
                    self.i += 1;
                }
                if self.i == start {
                    return None;
                }
            }
        }
        Some(start..self.i)
    }

    fn array_elements(&mut self) -> Option<Vec<Range<usize>>> {
        self.expect(b'[')?;
        let mut out = Vec::new();
        self.ws();
        if self.peek()? == b']' {
            self.i += 1;
            return Some(out);
        }
        loop {
            out.push(self.value()?);
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(out);
                }
                _ => return None,
            }
        }
    }
}

/// Scans a document that should be a JSON object; `None` if it is not one the scan understands.
pub(crate) fn split_top(b: &[u8]) -> Option<Split<'_>> {
    let (members, features) = split_top_with(b, |i| {
        let mut s = Scanner { b, i: i - 1 };
        let spans = s.array_elements()?;
        Some((spans, s.i))
    })?;
    Some(Split { members, features })
}

/// Skips the JSON value starting at or after `i` (whitespace first); returns its span.
pub(crate) fn skip_value(b: &[u8], i: usize) -> Option<Range<usize>> {
    Scanner { b, i }.value()
}

/// The index of the first non-whitespace byte at or after `i`.
pub(crate) fn skip_ws(b: &[u8], i: usize) -> usize {
    let mut s = Scanner { b, i };
    s.ws();
    s.i
}

/// Members of a document's top-level object, with the `features` array handed to `features`:
/// it gets the index just after the array's `[` and returns what it read and the index just
/// after the closing `]` (or `None` to give up). The other members are located as in
/// [`split_top`]; the `features` member's span is that of the whole array.
pub(crate) fn split_top_with<T>(
    b: &[u8],
    features: impl FnOnce(usize) -> Option<(T, usize)>,
) -> Option<Members<'_, T>> {
    let mut features = Some(features);
    let mut s = Scanner { b, i: 0 };
    s.expect(b'{')?;
    let mut members = Vec::new();
    let mut found = None;
    s.ws();
    if s.peek()? == b'}' {
        return Some((members, found));
    }
    loop {
        s.ws();
        if s.peek()? != b'"' {
            return None;
        }
        let key = s.string()?;
        s.expect(b':')?;
        s.ws();
        let key = &b[key];
        if key == b"features" && s.peek()? == b'[' {
            let start = s.i;
            // A repeated "features" member: let serde say what it makes of it.
            let (read, end) = (features.take()?)(start + 1)?;
            found = Some(read);
            s.i = end;
            members.push((key, start..s.i));
        } else {
            let v = s.value()?;
            members.push((key, v));
        }
        s.ws();
        match s.peek()? {
            b',' => s.i += 1,
            b'}' => {
                s.i += 1;
                s.ws();
                // Trailing garbage: let serde report it.
                return (s.i == b.len()).then_some((members, found));
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_members_and_feature_spans() {
        let doc = br#" {"type": "FeatureCollection", "name": "a \"quoted\" {name}",
            "features": [ {"type":"Feature","properties":{"s":"]}"},"geometry":null} ,{"a":[1,[2]]} ],
            "crs": {"type":"name","properties":{"name":"EPSG:4686"}} } "#;
        let s = split_top(doc).unwrap();
        let keys: Vec<&[u8]> = s.members.iter().map(|m| m.0).collect();
        assert_eq!(keys, [&b"type"[..], b"name", b"features", b"crs"]);
        let f = s.features.unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(
            &doc[f[0].clone()],
            br#"{"type":"Feature","properties":{"s":"]}"},"geometry":null}"#
        );
        assert_eq!(&doc[f[1].clone()], br#"{"a":[1,[2]]}"#);
        assert_eq!(&doc[s.members[0].1.clone()], br#""FeatureCollection""#);
    }

    #[test]
    fn gives_up_on_what_it_does_not_understand() {
        for bad in [
            &b"[1]"[..],
            b"{\"features\": [1,",
            b"{\"a\" 1}",
            b"{\"a\": 1} x",
            b"{\"a\": {\"b\": [}",
        ] {
            assert!(split_top(bad).is_none(), "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(
            split_top(b"{\"features\": []}").unwrap().features.unwrap().len(),
            0
        );
    }
}
