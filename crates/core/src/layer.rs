//! The layer: what every reader produces and every join consumes. A layer is a list of
//! features, each with a string id, an optional geometry (a null geometry is kept, never
//! dropped) and a row of attributes in a polars `DataFrame`, plus the CRS of its coordinates.

use std::borrow::Cow;

use geo::{BoundingRect, Coord, Geometry, MultiPolygon, Point, Polygon, Rect};
use polars::prelude::{ChunkedArray, DataFrame, DataType, PolarsNumericType};
use rayon::prelude::*;

use crate::checks::{self, Class, ColumnCheck, Use};
use crate::crs::Crs;
use crate::error::LayerError;

/// A vector layer: ids, geometries and attributes, in one CRS.
#[derive(Debug, Clone)]
pub struct Layer {
    /// Where the layer came from (usually its file path); used in every message about it.
    pub name: String,
    /// One unique id per feature.
    pub ids: Vec<String>,
    /// One geometry per feature; `None` for a null or missing geometry.
    pub geometries: Vec<Option<Geometry<f64>>>,
    /// One row per feature.
    pub attributes: DataFrame,
    /// The CRS of the coordinates.
    pub crs: Crs,
}

/// A layer borrowed for writing: the same fields as [`Layer`], each borrowed, so that a writer
/// can be given geometries and ids that live elsewhere (the units' as read, in lon/lat, with
/// the index's table) without copying them into a new layer. `&Layer` converts into one.
#[derive(Debug, Clone, Copy)]
pub struct LayerView<'a> {
    /// The layer's name (the output layer's, e.g. `units`).
    pub name: &'a str,
    /// One unique id per feature.
    pub ids: &'a [String],
    /// One geometry per feature; `None` for a null geometry.
    pub geometries: &'a [Option<Geometry<f64>>],
    /// One row per feature.
    pub attributes: &'a DataFrame,
    /// The CRS of the coordinates.
    pub crs: Crs,
}

impl<'a> LayerView<'a> {
    /// Number of features.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// An attribute column, or an error listing the columns that exist.
    fn column(&self, column: &str) -> Result<&'a polars::prelude::Column, LayerError> {
        self.attributes
            .column(column)
            .map_err(|_| LayerError::MissingColumn {
                layer: self.name.to_string(),
                column: column.to_string(),
                available: self
                    .attributes
                    .get_column_names()
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// A numeric column read as `used_as`, with what the reading found: every value goes
    /// through [`checks::classify`] (or [`checks::classify_text`]) and
    /// [`ColumnCheck::record`], so missing values are listed by kind and a count's negative or
    /// non-finite values are listed (and `None` here) rather than refused; the caller decides,
    /// usually with [`ColumnCheck::error`]. Non-numeric text is an error naming the feature and
    /// field.
    pub fn checked_column(
        &self,
        column: &str,
        used_as: Use,
    ) -> Result<(Vec<Option<f64>>, ColumnCheck), LayerError> {
        let mut check = ColumnCheck::new(self.name, column, used_as);
        let mut out = Vec::with_capacity(self.len());
        self.each_class(column, |i, class| {
            out.push(check.record(i, class));
            Ok(())
        })?;
        Ok((out, check))
    }

    /// Calls `f(feature index, class)` for every value of a numeric column, in feature order,
    /// stopping at the first error.
    fn each_class(
        &self,
        column: &str,
        mut f: impl FnMut(usize, Class) -> Result<(), LayerError>,
    ) -> Result<(), LayerError> {
        let col = self.column(column)?;
        let column_error = |reason: String| LayerError::Column {
            layer: self.name.to_string(),
            column: column.to_string(),
            reason,
        };
        let series = col.as_materialized_series();
        match series.dtype() {
            DataType::String => {
                let ca = series.str().map_err(|e| column_error(e.to_string()))?;
                for (i, (v, id)) in ca.iter().zip(self.ids).enumerate() {
                    let class = checks::classify_text(v).ok_or_else(|| LayerError::NotNumeric {
                        layer: self.name.to_string(),
                        id: id.clone(),
                        column: column.to_string(),
                        value: v.unwrap_or_default().trim().to_string(),
                    })?;
                    f(i, class)?;
                }
                Ok(())
            }
            DataType::Null => (0..self.len()).try_for_each(|i| f(i, Class::Null)),
            // The two types readers produce, without a converted copy of the column (an
            // integer becomes `x as f64`, as polars' cast does), chunk by chunk over the value
            // buffers and validity bitmaps rather than through polars' per-value iterator
            // (several times slower on a national layer's columns).
            DataType::Float64 => {
                each_value(series.f64().map_err(|e| column_error(e.to_string()))?, |i, x| {
                    f(i, x.map_or(Class::Null, checks::classify))
                })
            }
            DataType::Int64 => each_value(series.i64().map_err(|e| column_error(e.to_string()))?, |i, x| {
                f(i, x.map_or(Class::Null, |x| checks::classify(x as f64)))
            }),
            dt if dt.is_primitive_numeric() || dt.is_bool() => {
                let cast = series
                    .cast(&DataType::Float64)
                    .map_err(|e| column_error(e.to_string()))?;
                let ca = cast.f64().map_err(|e| column_error(e.to_string()))?;
                each_value(ca, |i, x| f(i, x.map_or(Class::Null, checks::classify)))
            }
            dt => Err(column_error(format!(
                "expected numbers, found a column of type {dt}"
            ))),
        }
    }

    /// Whether the view has no features.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

impl<'a> From<&'a Layer> for LayerView<'a> {
    fn from(l: &'a Layer) -> LayerView<'a> {
        l.view()
    }
}

impl Layer {
    /// Builds a layer, checking that ids, geometries and attribute rows line up and that ids are
    /// unique.
    pub fn new(
        name: impl Into<String>,
        ids: Vec<String>,
        geometries: Vec<Option<Geometry<f64>>>,
        attributes: DataFrame,
        crs: Crs,
    ) -> Result<Layer, LayerError> {
        let name = name.into();
        if ids.len() != geometries.len() || ids.len() != attributes.height() {
            return Err(LayerError::LengthMismatch {
                layer: name,
                ids: ids.len(),
                geometries: geometries.len(),
                rows: attributes.height(),
            });
        }
        if let Some((first, second)) = first_duplicate(&ids) {
            return Err(LayerError::DuplicateId {
                layer: name,
                id: ids[second].clone(),
                id_source: None,
                first,
                second,
            });
        }
        Ok(Layer {
            name,
            ids,
            geometries,
            attributes,
            crs,
        })
    }

    /// The layer borrowed as a [`LayerView`].
    pub fn view(&self) -> LayerView<'_> {
        LayerView {
            name: &self.name,
            ids: &self.ids,
            geometries: &self.geometries,
            attributes: &self.attributes,
            crs: self.crs,
        }
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the layer has no features.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The bounding box of all geometries, if any.
    pub fn bounding_rect(&self) -> Option<Rect<f64>> {
        // In parallel: minimums and maximums are the same in any order.
        self.geometries
            .par_iter()
            .with_min_len(4096)
            .filter_map(|g| g.as_ref()?.bounding_rect())
            .reduce_with(union_rect)
    }

    /// The geometries as multipolygons, for the area joins. A null geometry becomes an empty
    /// multipolygon (area 0: its counts are reported as unallocated, never lost); a point or
    /// line is an error naming the feature.
    pub fn polygons(&self) -> Result<Vec<MultiPolygon<f64>>, LayerError> {
        Ok(self
            .polygon_parts()?
            .into_iter()
            .map(|parts| MultiPolygon::new(parts.into_owned()))
            .collect())
    }

    /// The geometries as slices of polygons, borrowed (no copy, unlike [`Layer::polygons`]): a
    /// polygon is a one-element slice, a null geometry an empty one; a point or line is the same
    /// error as in [`Layer::polygons`].
    pub fn polygon_parts(&self) -> Result<Vec<Cow<'_, [Polygon<f64>]>>, LayerError> {
        // In parallel (a national layer's half a million features), the first wrong geometry
        // in feature order named.
        crate::par::try_map_init(
            &self.geometries,
            || (),
            |_, i, _| match (borrowed_parts(&self.geometries[i]), &self.geometries[i]) {
                (Some(parts), _) => Ok(Cow::Borrowed(parts)),
                (None, Some(Geometry::Rect(r))) => Ok(Cow::Owned(vec![r.to_polygon()])),
                (None, None) => unreachable!("a null geometry has borrowed (no) parts"),
                (None, Some(other)) => Err(LayerError::WrongGeometry {
                    layer: self.name.clone(),
                    id: self.ids[i].clone(),
                    expected: "polygon",
                    found: geometry_kind(other),
                }),
            },
        )
    }

    /// The geometries as points (a single-point multipoint counts as a point). A null geometry
    /// is `None`.
    pub fn points(&self) -> Result<Vec<Option<Point<f64>>>, LayerError> {
        self.geometries
            .iter()
            .zip(&self.ids)
            .map(|(g, id)| match g {
                None => Ok(None),
                Some(Geometry::Point(p)) => Ok(Some(*p)),
                Some(Geometry::MultiPoint(mp)) if mp.0.len() == 1 => Ok(Some(mp.0[0])),
                Some(other) => Err(LayerError::WrongGeometry {
                    layer: self.name.clone(),
                    id: id.clone(),
                    expected: "point",
                    found: geometry_kind(other),
                }),
            })
            .collect()
    }

    /// Whether the attribute column exists, as an error listing the columns that do if not.
    ///
    /// # Errors
    /// [`LayerError::MissingColumn`].
    pub fn has_column(&self, column: &str) -> Result<(), LayerError> {
        self.column(column).map(|_| ())
    }

    /// An attribute column, or an error listing the columns that exist.
    fn column(&self, column: &str) -> Result<&polars::prelude::Column, LayerError> {
        LayerView::from(self).column(column)
    }

    /// A numeric column as `f64`s, one per feature. Nulls, NaN and the census mask `"*"` are
    /// `None` (missing); any other non-numeric text is an error naming the feature and field.
    /// Every other value is kept (see [`Layer::checked_column`]).
    pub fn numeric_column(&self, column: &str) -> Result<Vec<Option<f64>>, LayerError> {
        Ok(self.checked_column(column, Use::Value)?.0)
    }

    /// A numeric column read as `used_as`, with what the reading found: every value goes
    /// through [`checks::classify`] (or [`checks::classify_text`]) and
    /// [`ColumnCheck::record`], so missing values are listed by kind and a count's negative or
    /// non-finite values are listed (and `None` here) rather than refused; the caller decides,
    /// usually with [`ColumnCheck::error`]. Non-numeric text is an error naming the feature and
    /// field.
    pub fn checked_column(
        &self,
        column: &str,
        used_as: Use,
    ) -> Result<(Vec<Option<f64>>, ColumnCheck), LayerError> {
        LayerView::from(self).checked_column(column, used_as)
    }

    /// Calls `f(feature index, class)` for every value of a numeric column, in feature order,
    /// stopping at the first error.
    fn each_class(
        &self,
        column: &str,
        f: impl FnMut(usize, Class) -> Result<(), LayerError>,
    ) -> Result<(), LayerError> {
        LayerView::from(self).each_class(column, f)
    }

    /// A column as text, one per feature (numbers as polars writes them; null → `None`).
    pub fn text_column(&self, column: &str) -> Result<Vec<Option<String>>, LayerError> {
        let col = self.column(column)?;
        let cast = col
            .as_materialized_series()
            .cast(&DataType::String)
            .map_err(|e| LayerError::Column {
                layer: self.name.clone(),
                column: column.to_string(),
                reason: e.to_string(),
            })?;
        let ca = cast.str().map_err(|e| LayerError::Column {
            layer: self.name.clone(),
            column: column.to_string(),
            reason: e.to_string(),
        })?;
        Ok(ca.iter().map(|v| v.map(str::to_string)).collect())
    }

    /// Like [`Layer::numeric_column`], for counts: a negative or non-finite value is an error
    /// naming the feature, field and value (the first in feature order).
    pub fn count_column(&self, column: &str) -> Result<Vec<Option<f64>>, LayerError> {
        let (values, check) = self.checked_column(column, Use::Count)?;
        match check.error(&self.ids) {
            Some(e) => Err(e),
            None => Ok(values),
        }
    }

    /// Adds a count column to `into`, feature by feature (a missing count adds nothing),
    /// checking every count as [`Layer::count_column`] does: sums such as a siting demand of
    /// children + older people + … without holding each column as options (a national layer's
    /// column is 16 bytes per unit of fresh memory).
    ///
    /// # Panics
    /// If `into` does not have one entry per feature.
    pub fn add_counts(&self, column: &str, into: &mut [f64]) -> Result<(), LayerError> {
        assert_eq!(
            into.len(),
            self.len(),
            "one sum per feature of layer {}",
            self.name
        );
        let mut check = ColumnCheck::new(&self.name, column, Use::Count);
        self.each_class(column, |i, class| {
            if let Some(x) = check.record(i, class) {
                into[i] += x;
            } else if let Some(e) = check.error(&self.ids) {
                return Err(e);
            }
            Ok(())
        })
    }
}

/// Calls `f(feature index, value)` for every value of a numeric column (`None` for a null),
/// chunk by chunk over the value buffers and validity bitmaps, stopping at the first error.
fn each_value<T: PolarsNumericType>(
    ca: &ChunkedArray<T>,
    mut f: impl FnMut(usize, Option<T::Native>) -> Result<(), LayerError>,
) -> Result<(), LayerError> {
    let mut at = 0;
    for arr in ca.downcast_iter() {
        match arr.validity().filter(|v| v.unset_bits() > 0) {
            Some(valid) => {
                for (k, (&x, ok)) in arr.values().iter().zip(valid.iter()).enumerate() {
                    f(at + k, ok.then_some(x))?;
                }
            }
            None => {
                for (k, &x) in arr.values().iter().enumerate() {
                    f(at + k, Some(x))?;
                }
            }
        }
        at += arr.len();
    }
    Ok(())
}

/// A geometry's polygons when they can be borrowed as they are: a polygon as a one-element
/// slice, a multipolygon's parts, a null geometry as none. `None` for every other kind, a `Rect`
/// included (its polygon has to be built; [`Layer::polygon_parts`] does).
pub fn borrowed_parts(g: &Option<Geometry<f64>>) -> Option<&[Polygon<f64>]> {
    match g {
        None => Some(&[]),
        Some(Geometry::Polygon(p)) => Some(std::slice::from_ref(p)),
        Some(Geometry::MultiPolygon(mp)) => Some(&mp.0),
        Some(_) => None,
    }
}

/// The duplicate id whose second occurrence comes first in feature order, as (index of its first
/// occurrence, index of its second). A parallel sort, so that a national layer's millions of
/// ids are checked in milliseconds.
fn first_duplicate(ids: &[String]) -> Option<(usize, usize)> {
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.par_sort_unstable_by(|&a, &b| ids[a].cmp(&ids[b]).then(a.cmp(&b)));
    let mut best: Option<(usize, usize)> = None;
    let mut i = 0;
    while i + 1 < order.len() {
        let id = &ids[order[i]];
        if *id != ids[order[i + 1]] {
            i += 1;
            continue;
        }
        // A run of equal ids, sorted by position: its first two are the first two occurrences.
        let pair = (order[i], order[i + 1]);
        if best.is_none_or(|(_, second)| pair.1 < second) {
            best = Some(pair);
        }
        while i < order.len() && ids[order[i]] == *id {
            i += 1;
        }
    }
    best
}

/// The smallest rectangle holding both.
pub fn union_rect(a: Rect<f64>, b: Rect<f64>) -> Rect<f64> {
    Rect::new(
        Coord {
            x: a.min().x.min(b.min().x),
            y: a.min().y.min(b.min().y),
        },
        Coord {
            x: a.max().x.max(b.max().x),
            y: a.max().y.max(b.max().y),
        },
    )
}

/// A geometry kind's name, for messages.
pub fn geometry_kind(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) => "Line",
        Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    fn layer(values: Column) -> Layer {
        let n = values.len();
        Layer::new(
            "t.geojson",
            (0..n).map(|i| format!("u{i}")).collect(),
            vec![None; n],
            DataFrame::new(n, vec![values]).unwrap(),
            crate::crs::WGS84,
        )
        .unwrap()
    }

    #[test]
    fn duplicate_ids_are_refused_with_both_positions() {
        let err = Layer::new(
            "t",
            vec!["a".into(), "b".into(), "a".into()],
            vec![None; 3],
            DataFrame::empty_with_height(3),
            crate::crs::WGS84,
        )
        .unwrap_err();
        assert_eq!(
            err,
            LayerError::DuplicateId {
                layer: "t".into(),
                id: "a".into(),
                id_source: None,
                first: 0,
                second: 2
            }
        );
    }

    #[test]
    fn the_reported_duplicate_is_the_one_whose_repeat_comes_first() {
        let ids: Vec<String> = ["c", "a", "b", "c", "a", "a"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(first_duplicate(&ids), Some((0, 3)));
        let ids: Vec<String> = ["x", "a", "a", "x"].iter().map(|s| s.to_string()).collect();
        assert_eq!(first_duplicate(&ids), Some((1, 2)));
        let ids: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
        assert_eq!(first_duplicate(&ids), None);
    }

    #[test]
    fn masked_and_null_values_are_missing_and_text_is_an_error() {
        let l = layer(Column::new(
            "p".into(),
            [Some("12"), Some("*"), None, Some(" 3.5 ")],
        ));
        assert_eq!(
            l.numeric_column("p").unwrap(),
            vec![Some(12.0), None, None, Some(3.5)]
        );
        let l = layer(Column::new("p".into(), ["1", "doce"]));
        let err = l.numeric_column("p").unwrap_err();
        assert!(
            err.to_string()
                .contains("feature \"u1\", field \"p\": expected a number, found \"doce\""),
            "{err}"
        );
        assert!(matches!(
            l.numeric_column("q"),
            Err(LayerError::MissingColumn { .. })
        ));
    }

    #[test]
    fn typed_columns_keep_nulls_and_nan_as_missing_across_chunks() {
        // Two chunks, the first without nulls (no validity bitmap), the second with.
        let mut ints = Series::new("p".into(), [1i64, 2]);
        ints.append(&Series::new("p".into(), [None, Some(4i64), Some(-0)]))
            .unwrap();
        assert_eq!(ints.n_chunks(), 2);
        let l = layer(ints.into());
        assert_eq!(
            l.numeric_column("p").unwrap(),
            vec![Some(1.0), Some(2.0), None, Some(4.0), Some(0.0)]
        );
        let mut floats = Series::new("p".into(), [Some(0.5), None, Some(f64::NAN)]);
        floats
            .append(&Series::new("p".into(), [2.5f64, f64::NAN]))
            .unwrap();
        let l = layer(floats.into());
        assert_eq!(
            l.numeric_column("p").unwrap(),
            vec![Some(0.5), None, None, Some(2.5), None]
        );
    }

    #[test]
    fn checked_columns_list_missing_values_by_kind_and_what_a_count_refuses() {
        let mut ints = Series::new("p".into(), [Some(1i64), Some(-2)]);
        ints.append(&Series::new("p".into(), [None, Some(3i64)])).unwrap();
        let l = layer(ints.into());
        let (v, c) = l.checked_column("p", Use::Count).unwrap();
        assert_eq!(v, [Some(1.0), None, None, Some(3.0)]);
        assert_eq!(
            (c.nulls.as_slice(), c.refused.as_slice()),
            (&[2][..], &[(1, -2.0)][..])
        );
        let (v, c) = l.checked_column("p", Use::Value).unwrap();
        assert_eq!(v, [Some(1.0), Some(-2.0), None, Some(3.0)]);
        assert!(c.refused.is_empty());
        let l = layer(Column::new(
            "p".into(),
            [Some(" * "), None, Some("-1"), Some("inf")],
        ));
        let (v, c) = l.checked_column("p", Use::Count).unwrap();
        assert_eq!(v, [None; 4]);
        assert_eq!((c.masked.as_slice(), c.nulls.as_slice()), (&[0][..], &[1][..]));
        assert_eq!(c.refused, [(2, -1.0), (3, f64::INFINITY)]);
        assert_eq!(
            l.count_column("p").unwrap_err().to_string(),
            "t.geojson: feature \"u2\", field \"p\": expected a finite count >= 0, found -1"
        );
    }

    #[test]
    fn negative_counts_are_refused() {
        let l = layer(Column::new("p".into(), [1i64, -4]));
        assert!(matches!(l.count_column("p"), Err(LayerError::InvalidCount { value, .. }) if value == -4.0));
    }

    #[test]
    fn added_counts_match_the_count_columns() {
        let ints = Column::new("i".into(), [Some(3i64), None, Some(0), Some(7)]);
        let floats = Column::new("f".into(), [Some(0.5), Some(f64::NAN), None, Some(2.25)]);
        let texts = Column::new("t".into(), [Some("1"), Some("*"), Some("4"), None]);
        let n = 4;
        let l = Layer::new(
            "u",
            (0..n).map(|i| format!("u{i}")).collect(),
            vec![None; n],
            DataFrame::new(n, vec![ints, floats, texts]).unwrap(),
            crate::crs::WGS84,
        )
        .unwrap();
        let mut sum = vec![0.0; n];
        let mut expected = vec![0.0; n];
        for c in ["i", "f", "t"] {
            l.add_counts(c, &mut sum).unwrap();
            for (e, v) in expected.iter_mut().zip(l.count_column(c).unwrap()) {
                *e += v.unwrap_or(0.0);
            }
        }
        assert_eq!(sum, expected);
        assert_eq!(sum, [4.5, 0.0, 4.0, 9.25]);
    }

    #[test]
    fn added_counts_refuse_what_count_column_refuses() {
        for column in [
            Column::new("p".into(), [1i64, -4]),
            Column::new("p".into(), [1.0, f64::INFINITY]),
        ] {
            let l = layer(column);
            let mut sum = vec![0.0; 2];
            let err = l.add_counts("p", &mut sum).unwrap_err();
            assert!(
                matches!(&err, LayerError::InvalidCount { id, .. } if id == "u1"),
                "{err}"
            );
            assert_eq!(err.to_string(), l.count_column("p").unwrap_err().to_string());
        }
        let mut sum = vec![0.0; 2];
        let l = layer(Column::new("p".into(), [1i64, 2]));
        assert!(matches!(
            l.add_counts("q", &mut sum),
            Err(LayerError::MissingColumn { .. })
        ));
    }
}
