//! The data checks every entry point shares (`interpolate`, `validate`, `run` and the Python
//! bindings): how one value of a column is classified, what a count refuses, and the warnings
//! about the data ([`Finding`]s: missing values by column, the population floor, units outside
//! every district, districts with no unit, overlapping districts) with their complete id
//! lists, which `careblock validate` reports as warnings and `careblock run` prints as notes.
//!
//! A value is one of the cases of [`Class`]: a number, missing (null, empty or NaN; or the census
//! mask `"*"`), negative, or not finite. A column read as a [`Use::Count`] (a population, a
//! numerator or denominator, a density count, a coarse-rate base, a siting demand or group, an
//! extensive variable) refuses negative and non-finite values with [`LayerError::InvalidCount`],
//! naming the file, feature, field and value; a [`Use::Value`] (a rate, a share, an index) keeps
//! them. Missing values are never refused: they are counted and named.

use geo::MultiPolygon;

use crate::error::LayerError;
use crate::join::interpolate::{AreaTable, OutsideSource, target_overlaps};
use crate::join::overlay::PolygonIndex;
use crate::layer::Layer;

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
            Use::Count => "not counted, and ratios using them are missing for these features",
            Use::Value => "values computed from them are missing for these features",
        };
        let mut out = Vec::new();
        for (list, kind) in [
            (&self.nulls, "null (empty or NaN)"),
            (&self.masked, "masked (\"*\")"),
        ] {
            if !list.is_empty() {
                out.push(Finding {
                    source: self.layer.clone(),
                    message: format!(
                        "column {:?} ({used_by}): {} {kind} value(s) treated as missing: {what}",
                        self.column,
                        list.len()
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
    /// What was found and what the run does about it.
    pub message: String,
    /// Every feature id concerned (complete), in feature order; some carry a detail, e.g.
    /// `u2 (40.0 % inside)`.
    pub ids: Vec<String>,
}

impl Finding {
    /// One line: `source: message (ids: a, b, c, d, e and N more)`.
    pub fn note(&self) -> String {
        let mut s = format!("{}: {}", self.source, self.message);
        if !self.ids.is_empty() {
            s.push_str(&format!(" (ids: {})", first_ids(&self.ids, NOTE_IDS)));
        }
        s
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

/// The missing values of the columns an areal interpolation reads (the extensive ones as
/// counts, the intensive ones as values), which it counts but does not name. Refused values
/// are [`crate::join::area_interpolate`]'s errors, not findings.
pub fn interpolation_findings(
    source: &Layer,
    extensive: &[&str],
    intensive: &[&str],
) -> Result<Vec<Finding>, LayerError> {
    let mut out = Vec::new();
    for (columns, used_as, used_by) in [
        (extensive, Use::Count, "extensive"),
        (intensive, Use::Value, "intensive"),
    ] {
        for c in columns {
            let (_, check) = source.checked_column(c, used_as)?;
            out.extend(check.findings(&source.ids, used_by));
        }
    }
    Ok(out)
}

/// The units that the population rule leaves unranked: population 0 (when the minimum is above
/// 0), above 0 but below the minimum, and no population value. Negative populations are errors,
/// not findings.
pub fn population_findings(units: &Layer, population: &[Option<f64>], min: f64) -> Vec<Finding> {
    let ids_where = |f: &dyn Fn(Option<f64>) -> bool| -> Vec<String> {
        units
            .ids
            .iter()
            .zip(population)
            .filter(|(_, p)| f(**p))
            .map(|(id, _)| id.clone())
            .collect()
    };
    let mut out = Vec::new();
    let mut push = |message: String, ids: Vec<String>| {
        if !ids.is_empty() {
            out.push(Finding {
                source: units.name.clone(),
                message,
                ids,
            });
        }
    };
    if min > 0.0 {
        let zero = ids_where(&|p| p == Some(0.0));
        push(
            format!(
                "{} unit(s) have population 0: they are not ranked and their shares and ratios are missing",
                zero.len()
            ),
            zero,
        );
    }
    let small = ids_where(&|p| p.is_some_and(|p| p > 0.0 && p < min));
    push(
        format!(
            "{} unit(s) have a population below {min} (the minimum) but above 0: they are not ranked and their shares and ratios are missing",
            small.len()
        ),
        small,
    );
    let none = ids_where(&|p| p.is_none());
    push(
        format!(
            "{} unit(s) have no population value: they are not ranked",
            none.len()
        ),
        none,
    );
    out
}

/// How the districts cover the units, from the area table units → districts: units wholly or
/// partly outside every district (with the share of the population they hold, when it is
/// known), districts that contain no unit, and overlapping districts.
pub struct DistrictCoverage {
    /// Units with some area outside every district (covered fraction below 1 − 1e-9), as
    /// `run.json` lists them.
    pub outside: Vec<OutsideSource>,
    /// The warnings.
    pub findings: Vec<Finding>,
}

/// Share of the area within which a unit counts as wholly inside or wholly outside, and the
/// relative area below which two districts are not said to overlap.
const COVERAGE_TOLERANCE: f64 = 1e-6;

/// Checks the coverage of `units` (their polygons `upolys`, in the working CRS) by `districts`
/// (`index` over their polygons `dpolys`), with `table` built from them.
pub fn district_coverage(
    units: &Layer,
    districts: &Layer,
    dpolys: &[MultiPolygon<f64>],
    index: &PolygonIndex<'_>,
    table: &AreaTable,
    population: Option<&[Option<f64>]>,
) -> DistrictCoverage {
    let tol = COVERAGE_TOLERANCE;
    let mut outside = Vec::new();
    let (mut wholly, mut partly) = (Vec::new(), Vec::new());
    let (mut pop_wholly, mut pop_partly) = (0.0, 0.0);
    let mut used = vec![false; dpolys.len()];
    for (i, id) in units.ids.iter().enumerate() {
        for &(j, _) in table.row(i) {
            used[j as usize] = true;
        }
        if table.source_area(i) <= 0.0 {
            continue;
        }
        let f = table.covered_fraction(i);
        if f < 1.0 - 1e-9 {
            outside.push(OutsideSource {
                id: id.clone(),
                covered_fraction: f,
            });
        }
        let pop = population.and_then(|p| p[i]).unwrap_or(0.0);
        if f <= tol {
            wholly.push(id.clone());
            pop_wholly += pop;
        } else if f < 1.0 - tol {
            partly.push(format!("{id} ({:.1} % inside)", 100.0 * f));
            pop_partly += pop;
        }
    }
    let total: f64 = population.map_or(0.0, |p| p.iter().flatten().sum());
    let share = |pop: f64| {
        if population.is_some() && total > 0.0 {
            format!(" ({:.1} % of the population)", 100.0 * pop / total)
        } else {
            String::new()
        }
    };
    let mut findings = Vec::new();
    if !wholly.is_empty() {
        findings.push(Finding {
            source: units.name.clone(),
            message: format!(
                "{} unit(s){} lie wholly outside every district of {}: they have a unit index but count towards no district",
                wholly.len(),
                share(pop_wholly),
                districts.name
            ),
            ids: wholly,
        });
    }
    if !partly.is_empty() {
        findings.push(Finding {
            source: units.name.clone(),
            message: format!(
                "{} unit(s){} lie partly outside every district of {}: their whole counts go to the districts they touch (allocate_total)",
                partly.len(),
                share(pop_partly),
                districts.name
            ),
            ids: partly,
        });
    }
    let empty: Vec<String> = districts
        .ids
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(id, _)| id.clone())
        .collect();
    if !empty.is_empty() {
        findings.push(Finding {
            source: districts.name.clone(),
            message: format!(
                "{} district(s) contain no unit: they have no population and are not ranked",
                empty.len()
            ),
            ids: empty,
        });
    }
    let overlaps = target_overlaps(districts, dpolys, index, tol);
    if !overlaps.is_empty() {
        findings.push(Finding {
            source: districts.name.clone(),
            message: format!(
                "{} pair(s) of districts overlap: a unit in the shared area is split between both",
                overlaps.len()
            ),
            ids: overlaps
                .iter()
                .map(|o| format!("{}/{} ({:.0} m²)", o.a, o.b, o.area))
                .collect(),
        });
    }
    DistrictCoverage { outside, findings }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Geometry, polygon};
    use polars::prelude::*;

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
        assert!(f[0].message.contains("1 null") && !f[0].message.contains("masked"));
        assert_eq!(f[1].ids, ["a", "c"]);
        assert_eq!(
            f[1].note(),
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
            message: "m".into(),
            ids,
        };
        assert_eq!(f.note(), "f: m (ids: u1, u2, u3, u4, u5 and 3 more)");
        assert_eq!(first_ids(&f.ids[..2], 5), "u1, u2");
    }

    fn layer(name: &str, geometries: Vec<Geometry<f64>>) -> Layer {
        let n = geometries.len();
        let prefix = &name[..1];
        Layer::new(
            name,
            (0..n).map(|i| format!("{prefix}{i}")).collect(),
            geometries.into_iter().map(Some).collect(),
            DataFrame::empty_with_height(n),
            crate::crs::Crs::Projected { epsg: 9377 },
        )
        .unwrap()
    }

    fn square(x: f64, y: f64, s: f64) -> Geometry<f64> {
        polygon![(x: x, y: y), (x: x + s, y: y), (x: x + s, y: y + s), (x: x, y: y + s)].into()
    }

    #[test]
    fn population_floor_findings() {
        let units = layer("units", vec![square(0.0, 0.0, 1.0); 5]);
        let pop = [Some(0.0), Some(12.0), None, Some(40.0), Some(0.0)];
        let f = population_findings(&units, &pop, 30.0);
        assert_eq!(f.len(), 3);
        assert!(f[0].message.contains("population 0"), "{}", f[0].message);
        assert_eq!(f[0].ids, ["u0", "u4"]);
        assert!(f[1].message.contains("population below 30"), "{}", f[1].message);
        assert_eq!(f[1].ids, ["u1"]);
        assert!(f[2].message.contains("no population value"));
        assert_eq!(f[2].ids, ["u2"]);
        // With no minimum, a unit of population 0 is ranked: nothing to say about it.
        assert_eq!(population_findings(&units, &pop, 0.0).len(), 1);
    }

    #[test]
    fn coverage_findings_name_outsiders_empty_and_overlapping_districts() {
        // u0 inside A, u1 half in B, u2 outside; A and B overlap; C is empty.
        let units = layer(
            "units",
            vec![
                square(0.0, 0.0, 10.0),
                square(20.0, 0.0, 10.0),
                square(100.0, 0.0, 10.0),
            ],
        );
        let districts = layer(
            "districts",
            vec![
                square(-1.0, -1.0, 18.0),
                square(15.0, -1.0, 10.0),
                square(500.0, 0.0, 5.0),
            ],
        );
        let upolys = units.polygons().unwrap();
        let dpolys = districts.polygons().unwrap();
        let index = PolygonIndex::new(&dpolys);
        let table = AreaTable::build_with(&upolys, &index);
        let pop = [Some(100.0), Some(300.0), Some(600.0)];
        let c = district_coverage(&units, &districts, &dpolys, &index, &table, Some(&pop));
        let ids: Vec<&str> = c.outside.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["u1", "u2"]);
        let messages: Vec<&str> = c.findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(c.findings.len(), 4, "{messages:#?}");
        assert!(messages[0].starts_with("1 unit(s) (60.0 % of the population) lie wholly outside"));
        assert_eq!(c.findings[0].ids, ["u2"]);
        assert!(messages[1].starts_with("1 unit(s) (30.0 % of the population) lie partly outside"));
        assert_eq!(c.findings[1].ids, ["u1 (45.0 % inside)"]);
        assert!(messages[2].contains("contain no unit"));
        assert_eq!(c.findings[2].ids, ["d2"]);
        assert!(messages[3].contains("overlap"));
        assert_eq!(c.findings[3].ids, ["d0/d1 (20 m²)"]);
        // Without the population, the same findings without the share.
        let c = district_coverage(&units, &districts, &dpolys, &index, &table, None);
        assert!(c.findings[0].message.starts_with("1 unit(s) lie wholly outside"));
    }
}
