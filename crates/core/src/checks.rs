//! The value checks every entry point shares (`interpolate`, `validate`, `run` and the Python
//! bindings): how one value of a column is classified, what a count refuses, and the
//! [`Finding`] (a warning with its complete id list) that `careblock validate` reports and
//! `careblock run` prints as a note. The findings about whole layers are in
//! [`crate::findings`].
//!
//! A value is one of the cases of [`Class`]: a number, missing (null, empty or NaN; or the census
//! mask `"*"`), negative, or not finite. A column read as a [`Use::Count`] (a population, a
//! numerator or denominator, a density count, a coarse-rate base, a siting demand or group, an
//! extensive variable) refuses negative and non-finite values with [`LayerError::InvalidCount`],
//! naming the file, feature, field and value; a [`Use::Value`] (a rate, a share, an index) keeps
//! them. Missing values are never refused: they are counted and named.

use crate::error::LayerError;
use careblock_text::{Msg, key, msg};

/// How a column is used, which decides what its values may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// A count (persons, dwellings, capacity): every present value must be finite and ≥ 0.
    Count,
    /// Any other number (a rate, a share, an index): every present value is kept.
    Value,
}

/// The class of one value of a numeric column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Class {
    /// A finite number ≥ 0.
    Number(f64),
    /// Missing: null, empty text, `NA` or NaN.
    Null,
    /// Missing: the census mask `"*"` (a value suppressed for confidentiality).
    Masked,
    /// A finite number < 0: refused in a count.
    Negative(f64),
    /// ±infinity: refused in a count.
    NonFinite(f64),
}

/// The class of a number read from a numeric column (NaN is missing).
pub fn classify(x: f64) -> Class {
    if x.is_nan() {
        Class::Null
    } else if !x.is_finite() {
        Class::NonFinite(x)
    } else if x < 0.0 {
        Class::Negative(x)
    } else {
        Class::Number(x)
    }
}

/// The class of a text value (`None` for null); `None` when it is not a number at all.
pub fn classify_text(s: Option<&str>) -> Option<Class> {
    match s.map(str::trim) {
        None | Some("" | "NA" | "NaN" | "nan") => Some(Class::Null),
        Some("*") => Some(Class::Masked),
        Some(s) => s.parse::<f64>().ok().map(classify),
    }
}

/// What reading one column found: its missing values by kind and, for a count, the values it
/// refuses, by feature index in feature order.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnCheck {
    /// The layer (file) name.
    pub layer: String,
    /// The column.
    pub column: String,
    /// How it was read.
    pub used_as: Use,
    /// Features whose value is null, empty, `NA` or NaN.
    pub nulls: Vec<usize>,
    /// Features whose value is the census mask `"*"`.
    pub masked: Vec<usize>,
    /// For a count: features whose value is negative or not finite, with the value.
    pub refused: Vec<(usize, f64)>,
}

impl ColumnCheck {
    /// An empty check of `column` of `layer`.
    pub fn new(layer: &str, column: &str, used_as: Use) -> ColumnCheck {
        ColumnCheck {
            layer: layer.to_string(),
            column: column.to_string(),
            used_as,
            nulls: Vec::new(),
            masked: Vec::new(),
            refused: Vec::new(),
        }
    }

    /// Records feature `i`'s class and returns the value kept (`None`: missing or refused).
    #[inline]
    pub fn record(&mut self, i: usize, class: Class) -> Option<f64> {
        match class {
            Class::Number(x) => Some(x),
            Class::Null => {
                self.nulls.push(i);
                None
            }
            Class::Masked => {
                self.masked.push(i);
                None
            }
            Class::Negative(x) | Class::NonFinite(x) => match self.used_as {
                Use::Value => Some(x),
                Use::Count => {
                    self.refused.push((i, x));
                    None
                }
            },
        }
    }

    /// The error for the first refused value, naming the file, feature, field and value.
    pub fn error(&self, ids: &[String]) -> Option<LayerError> {
        self.refused.first().map(|&(i, value)| LayerError::InvalidCount {
            layer: self.layer.clone(),
            id: ids[i].clone(),
            column: self.column.clone(),
            value,
        })
    }

    /// The features whose value a count refuses, as `id (value)`.
    pub fn refused_ids(&self, ids: &[String]) -> Vec<String> {
        self.refused
            .iter()
            .map(|&(i, v)| format!("{} ({v})", ids[i]))
            .collect()
    }

    /// Whether any value is missing.
    pub fn has_missing(&self) -> bool {
        !self.nulls.is_empty() || !self.masked.is_empty()
    }

    /// The warnings about its missing values: one for the nulls, one for the masked values.
    /// `used_by` is the method key (or command option) that reads the column.
    pub fn findings(&self, ids: &[String], used_by: &str) -> Vec<Finding> {
        let what = match self.used_as {
            Use::Count => "findings.missing_not_counted",
            Use::Value => "findings.missing_values",
        };
        let mut out = Vec::new();
        for (list, kind) in [
            (&self.nulls, "findings.null_values"),
            (&self.masked, "findings.masked_values"),
        ] {
            if !list.is_empty() {
                out.push(Finding {
                    source: self.layer.clone(),
                    message: msg!(
                        "findings.missing_column",
                        column = format!("{:?}", self.column),
                        used_by = used_by,
                        n = list.len(),
                        kind = key(kind),
                        what = key(what),
                    ),
                    ids: list.iter().map(|&i| ids[i].clone()).collect(),
                });
            }
        }
        out
    }
}

/// How many ids a one-line note names before "and N more".
pub const NOTE_IDS: usize = 5;

/// One warning about the data: what the run does about it, and every feature concerned.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The file concerned.
    pub source: String,
    /// What was found and what the run does about it, to be worded in the user's language.
    pub message: Msg,
    /// Every feature id concerned (complete), in feature order; some carry a detail, e.g.
    /// `u2 (40.0 %)`.
    pub ids: Vec<String>,
}

impl Finding {
    /// One line: `source: message (ids: a, b, c, d, e and N more)`.
    pub fn note(&self) -> Msg {
        if self.ids.is_empty() {
            msg!(
                "findings.note",
                source = &self.source,
                message = self.message.clone()
            )
        } else {
            msg!(
                "findings.note_ids",
                source = &self.source,
                message = self.message.clone(),
                ids = careblock_text::ids(&self.ids, NOTE_IDS),
            )
        }
    }
}

/// `a, b, c` or `a, b, c and 4 more`.
pub fn first_ids(ids: &[String], n: usize) -> String {
    let mut s = ids
        .iter()
        .take(n)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > n {
        s.push_str(&format!(" and {} more", ids.len() - n));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_is_classified_once() {
        assert_eq!(classify(3.0), Class::Number(3.0));
        assert_eq!(classify(-0.0), Class::Number(-0.0));
        assert_eq!(classify(-5.0), Class::Negative(-5.0));
        assert_eq!(classify(f64::NAN), Class::Null);
        assert_eq!(classify(f64::INFINITY), Class::NonFinite(f64::INFINITY));
        assert_eq!(classify(f64::NEG_INFINITY), Class::NonFinite(f64::NEG_INFINITY));
        assert_eq!(classify_text(None), Some(Class::Null));
        for t in ["", " ", "NA", "NaN", "nan"] {
            assert_eq!(classify_text(Some(t)), Some(Class::Null), "{t:?}");
        }
        assert_eq!(classify_text(Some(" * ")), Some(Class::Masked));
        assert_eq!(classify_text(Some(" 12.5 ")), Some(Class::Number(12.5)));
        assert_eq!(classify_text(Some("-5")), Some(Class::Negative(-5.0)));
        assert_eq!(classify_text(Some("inf")), Some(Class::NonFinite(f64::INFINITY)));
        assert_eq!(classify_text(Some("doce")), None);
        assert_eq!(classify_text(Some("1,5")), None);
    }

    #[test]
    fn a_count_refuses_what_a_value_keeps() {
        let classes = [
            Class::Number(1.0),
            Class::Negative(-5.0),
            Class::Masked,
            Class::NonFinite(f64::INFINITY),
            Class::Null,
        ];
        let mut count = ColumnCheck::new("u.geojson", "pop", Use::Count);
        let mut value = ColumnCheck::new("u.geojson", "rate", Use::Value);
        let kept: Vec<_> = classes
            .iter()
            .enumerate()
            .map(|(i, c)| count.record(i, *c))
            .collect();
        assert_eq!(kept, [Some(1.0), None, None, None, None]);
        let kept: Vec<_> = classes
            .iter()
            .enumerate()
            .map(|(i, c)| value.record(i, *c))
            .collect();
        assert_eq!(kept, [Some(1.0), Some(-5.0), None, Some(f64::INFINITY), None]);
        for c in [&count, &value] {
            assert_eq!((c.nulls.as_slice(), c.masked.as_slice()), (&[4][..], &[2][..]));
        }
        assert_eq!(count.refused, [(1, -5.0), (3, f64::INFINITY)]);
        assert!(value.refused.is_empty());
        let ids: Vec<String> = (0..5).map(|i| format!("u{i}")).collect();
        let err = count.error(&ids).unwrap();
        assert_eq!(
            err.to_string(),
            "u.geojson: feature \"u1\", field \"pop\": expected a finite count >= 0, found -5"
        );
        assert_eq!(count.refused_ids(&ids), ["u1 (-5)", "u3 (inf)"]);
        assert_eq!(value.error(&ids), None);
    }

    #[test]
    fn missing_values_are_named_by_kind() {
        let mut c = ColumnCheck::new("u.geojson", "women", Use::Count);
        for (i, class) in [Class::Masked, Class::Null, Class::Masked]
            .into_iter()
            .enumerate()
        {
            c.record(i, class);
        }
        let ids: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let f = c.findings(&ids, "indicators[0].numerator");
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].ids, ["b"]);
        assert!(f[0].message.to_string().contains("1 null") && !f[0].message.to_string().contains("masked"));
        assert_eq!(f[1].ids, ["a", "c"]);
        assert_eq!(
            f[1].note().to_string(),
            "u.geojson: column \"women\" (indicators[0].numerator): 2 masked (\"*\") value(s) treated as missing: not counted, and ratios using them are missing for these features (ids: a, c)"
        );
        assert!(
            ColumnCheck::new("u", "x", Use::Value)
                .findings(&ids, "k")
                .is_empty()
        );
    }

    #[test]
    fn notes_name_the_first_five_ids() {
        let ids: Vec<String> = (1..=8).map(|i| format!("u{i}")).collect();
        let f = Finding {
            source: "f".into(),
            message: msg!("common.error_text", text = "m"),
            ids,
        };
        assert_eq!(f.note().to_string(), "f: m (ids: u1, u2, u3, u4, u5 and 3 more)");
        assert_eq!(
            careblock_text::Lang::Es.render(&f.note()),
            "f: m (ids: u1, u2, u3, u4, u5 y 3 más)"
        );
        assert_eq!(first_ids(&f.ids[..2], 5), "u1, u2");
    }
}
