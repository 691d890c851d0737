//! Geometry validation (polygons by [`crate::rings`]' O(n log n) check, other kinds by geo's
//! `Validation`) and opt-in repair. Every problem is reported with the feature's id;
//! nothing is dropped. Repair (geo's `MakeValid`, a constrained-Delaunay rebuild with the
//! odd-even rule) runs only when asked and says which features it changed.

use geo::{Geometry, HasDimensions, MakeValid, Validation};

use crate::rings::parts_problem;
use rayon::prelude::*;

use crate::layer::Layer;

/// What is wrong with a feature's geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    /// No geometry at all (JSON `null`, shapefile null shape). Kept as a feature with area 0.
    Null,
    /// A geometry with no coordinates (e.g. `"coordinates": []`).
    Empty,
    /// A NaN or infinite coordinate; cannot be repaired.
    NonFinite,
    /// Self-intersections, too-short rings, holes outside their shell and the like.
    Invalid,
}

/// One problem of one feature.
#[derive(Debug, Clone, PartialEq)]
pub struct GeometryIssue {
    /// Index of the feature in the layer.
    pub index: usize,
    /// The feature's id.
    pub id: String,
    /// The kind of problem.
    pub kind: IssueKind,
    /// A human-readable description (geo's validation message).
    pub problem: String,
}

/// All geometry problems of a layer, in feature order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValidationReport {
    /// The problems found.
    pub issues: Vec<GeometryIssue>,
}

impl ValidationReport {
    /// Problems that make area computations wrong (everything but null/empty geometries, which
    /// simply have area 0).
    pub fn blocking(&self) -> impl Iterator<Item = &GeometryIssue> {
        self.issues
            .iter()
            .filter(|i| matches!(i.kind, IssueKind::NonFinite | IssueKind::Invalid))
    }
}

fn check(index: usize, id: &str, g: &Option<Geometry<f64>>) -> Option<GeometryIssue> {
    let issue = |kind, problem: String| GeometryIssue {
        index,
        id: id.to_string(),
        kind,
        problem,
    };
    let Some(g) = g else {
        return Some(issue(IssueKind::Null, "null geometry".into()));
    };
    let bad = |c: &geo::Coord<f64>| !c.x.is_finite() || !c.y.is_finite();
    let rings_bad = |p: &geo::Polygon<f64>| {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .any(|r| r.0.iter().any(bad))
    };
    // Polygons through their rings' slices (a census layer is millions of them); the rest
    // through geo's generic iterator.
    let non_finite = match g {
        Geometry::Polygon(p) => rings_bad(p),
        Geometry::MultiPolygon(mp) => mp.0.iter().any(rings_bad),
        other => geo::CoordsIter::coords_iter(other).any(|c| bad(&c)),
    };
    if non_finite {
        return Some(issue(
            IssueKind::NonFinite,
            "a coordinate is NaN or infinite".into(),
        ));
    }
    if g.is_empty() {
        return Some(issue(IssueKind::Empty, "empty geometry".into()));
    }
    let problem = match g {
        Geometry::Polygon(p) => parts_problem(std::slice::from_ref(p)),
        Geometry::MultiPolygon(mp) => parts_problem(&mp.0),
        other => {
            let errors = other.validation_errors();
            (!errors.is_empty()).then(|| {
                errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            })
        }
    };
    problem.map(|p| issue(IssueKind::Invalid, p))
}

/// Validates every geometry of a layer (in parallel; the report is in feature order).
pub fn validate(layer: &Layer) -> ValidationReport {
    let issues = layer
        .geometries
        .par_iter()
        .zip(layer.ids.par_iter())
        .enumerate()
        .filter_map(|(i, (g, id))| check(i, id, g))
        .collect();
    ValidationReport { issues }
}

/// What [`repair`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RepairReport {
    /// Features whose geometry was rebuilt, with the problem they had.
    pub repaired: Vec<GeometryIssue>,
    /// Features that could not be repaired (non-finite coordinates, or the rebuild failed).
    pub unrepairable: Vec<GeometryIssue>,
}

/// Repairs the invalid polygons of a layer with geo's `MakeValid`. Null and empty geometries
/// are left as they are (they are not wrong, only empty); non-finite coordinates cannot be
/// repaired and are listed in [`RepairReport::unrepairable`].
pub fn repair(layer: &Layer) -> (Layer, RepairReport) {
    let report = validate(layer);
    let mut out = layer.clone();
    let mut rep = RepairReport::default();
    for issue in report.issues {
        let geometry = out.geometries[issue.index].as_ref();
        let fixed = match (issue.kind, geometry) {
            (IssueKind::Invalid, Some(Geometry::Polygon(p))) => p.make_valid().ok(),
            (IssueKind::Invalid, Some(Geometry::MultiPolygon(mp))) => mp.make_valid().ok(),
            (IssueKind::Null | IssueKind::Empty, _) => continue,
            _ => None,
        };
        match fixed {
            Some(mp) => {
                out.geometries[issue.index] = Some(Geometry::MultiPolygon(mp));
                rep.repaired.push(issue);
            }
            None => rep.unrepairable.push(issue),
        }
    }
    (out, rep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, polygon};
    use polars::prelude::DataFrame;

    fn layer(gs: Vec<Option<Geometry<f64>>>) -> Layer {
        let n = gs.len();
        Layer::new(
            "t",
            (0..n).map(|i| format!("f{i}")).collect(),
            gs,
            DataFrame::empty_with_height(n),
            crate::crs::Crs::Projected { epsg: 9377 },
        )
        .unwrap()
    }

    #[test]
    fn reports_every_problem_with_its_id_and_repairs_only_on_request() {
        let square = polygon![(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.)];
        let bowtie = polygon![(x: 0., y: 0.), (x: 0., y: 10.), (x: 10., y: 0.), (x: 10., y: 10.)];
        let nan = polygon![(x: 0., y: 0.), (x: f64::NAN, y: 0.), (x: 1., y: 1.)];
        let l = layer(vec![
            Some(square.into()),
            Some(bowtie.into()),
            None,
            Some(nan.into()),
            Some(Geometry::MultiPolygon(geo::MultiPolygon::new(vec![]))),
        ]);
        let report = validate(&l);
        let got: Vec<(&str, IssueKind)> = report.issues.iter().map(|i| (i.id.as_str(), i.kind)).collect();
        assert_eq!(
            got,
            vec![
                ("f1", IssueKind::Invalid),
                ("f2", IssueKind::Null),
                ("f3", IssueKind::NonFinite),
                ("f4", IssueKind::Empty)
            ]
        );
        assert_eq!(report.blocking().count(), 2);

        let (fixed, rep) = repair(&l);
        assert_eq!(
            rep.repaired.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            ["f1"]
        );
        assert_eq!(
            rep.unrepairable.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            ["f3"]
        );
        assert_eq!(fixed.len(), l.len(), "nothing is dropped");
        let area = fixed.geometries[1].as_ref().unwrap().unsigned_area();
        assert!(
            (area - 50.0).abs() < 1e-9,
            "a bow-tie becomes its two triangles: {area}"
        );
        assert_eq!(validate(&fixed).blocking().count(), 1);
    }
}
