//! Point joins: point-in-polygon (facilities → districts or units) and within-distance
//! (points ↔ unit centroids or unit polygons within R metres), both parallel and deterministic.

use geo::{BoundingRect, Centroid, Distance, Euclidean, Intersects, MultiPolygon, Point, Rect};
use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::interpolate::check_join_inputs;
use super::overlay::PolygonIndex;
use crate::error::JoinError;
use crate::layer::Layer;

/// Where each point fell.
#[derive(Debug, Clone, PartialEq)]
pub struct PointAssignment {
    /// For each point, the lowest-index polygon that contains it (boundary included), or `None`
    /// (null point or outside every polygon).
    pub polygon: Vec<Option<u32>>,
    /// Points that lie in more than one polygon, with all of them (overlapping polygons, or a
    /// point on a shared boundary).
    pub ambiguous: Vec<(usize, Vec<u32>)>,
}

impl PointAssignment {
    /// Indices of the points that fell in no polygon.
    pub fn unassigned(&self) -> impl Iterator<Item = usize> + '_ {
        self.polygon
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_none())
            .map(|(i, _)| i)
    }
}

/// Assigns each point to the polygon containing it.
pub fn points_in_polygons(points: &[Option<Point<f64>>], polygons: &[MultiPolygon<f64>]) -> PointAssignment {
    let index = PolygonIndex::new(polygons);
    let hits: Vec<Vec<u32>> = points
        .par_iter()
        .map(|p| {
            let Some(p) = p else { return Vec::new() };
            let r = Rect::new(p.0, p.0);
            index
                .candidates(&r)
                .into_iter()
                .filter(|&j| polygons[j as usize].intersects(p))
                .collect()
        })
        .collect();
    let polygon = hits.iter().map(|h| h.first().copied()).collect();
    let ambiguous = hits
        .into_iter()
        .enumerate()
        .filter(|(_, h)| h.len() > 1)
        .collect();
    PointAssignment { polygon, ambiguous }
}

/// A sparse "who is within R of whom" table: for each query feature, the indices of the
/// reference points within the radius and their distances in metres, nearest first (ties by
/// index).
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbours {
    offsets: Vec<usize>,
    entries: Vec<(u32, f64)>,
}

impl Neighbours {
    /// Builds the table from one row per query feature of `(reference index, distance in
    /// metres)`, e.g. walking distances on a street network
    /// ([`crate::network::within_distance`]); each row is sorted nearest first (ties by index).
    pub fn from_rows(rows: Vec<Vec<(u32, f64)>>) -> Neighbours {
        let mut offsets = Vec::with_capacity(rows.len() + 1);
        offsets.push(0);
        let mut entries = Vec::with_capacity(rows.iter().map(Vec::len).sum());
        for mut row in rows {
            row.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            entries.extend(row);
            offsets.push(entries.len());
        }
        Neighbours { offsets, entries }
    }

    /// Number of query features.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Whether there are no query features.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `(point index, distance)` pairs of query feature `i`.
    pub fn row(&self, i: usize) -> &[(u32, f64)] {
        &self.entries[self.offsets[i]..self.offsets[i + 1]]
    }

    /// Total number of pairs.
    pub fn n_pairs(&self) -> usize {
        self.entries.len()
    }
}

fn point_tree(points: &[Option<Point<f64>>]) -> RTree<GeomWithData<[f64; 2], u32>> {
    RTree::bulk_load(
        points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.map(|p| GeomWithData::new([p.x(), p.y()], i as u32)))
            .collect(),
    )
}

fn check_radius(radius: f64) -> Result<(), JoinError> {
    if radius.is_finite() && radius > 0.0 {
        Ok(())
    } else {
        Err(JoinError::Radius(radius))
    }
}

/// For each query point, the reference points within `radius` metres (Euclidean, so both must
/// be in the same projected CRS).
pub fn points_within_distance(
    queries: &[Option<Point<f64>>],
    points: &[Option<Point<f64>>],
    radius: f64,
) -> Result<Neighbours, JoinError> {
    check_radius(radius)?;
    let tree = point_tree(points);
    let r2 = radius * radius;
    let rows = queries
        .par_iter()
        .map(|q| {
            let Some(q) = q else { return Vec::new() };
            tree.locate_within_distance([q.x(), q.y()], r2)
                .map(|g| {
                    (
                        g.data,
                        Euclidean.distance(*q, Point::new(g.geom()[0], g.geom()[1])),
                    )
                })
                .collect()
        })
        .collect();
    Ok(Neighbours::from_rows(rows))
}

/// For each polygon, the reference points within `radius` metres of any part of it (distance
/// 0 inside).
pub fn polygons_within_distance(
    polygons: &[MultiPolygon<f64>],
    points: &[Option<Point<f64>>],
    radius: f64,
) -> Result<Neighbours, JoinError> {
    check_radius(radius)?;
    let tree = point_tree(points);
    let rows = polygons
        .par_iter()
        .map(|poly| {
            let Some(r) = poly.bounding_rect() else {
                return Vec::new();
            };
            let env = rstar::AABB::from_corners(
                [r.min().x - radius, r.min().y - radius],
                [r.max().x + radius, r.max().y + radius],
            );
            tree.locate_in_envelope(&env)
                .filter_map(|g| {
                    let p = Point::new(g.geom()[0], g.geom()[1]);
                    let d = Euclidean.distance(&p, poly);
                    (d <= radius).then_some((g.data, d))
                })
                .collect()
        })
        .collect();
    Ok(Neighbours::from_rows(rows))
}

/// The centroid of each feature of a polygon or point layer (`None` for null or empty
/// geometries).
pub fn centroids(layer: &Layer) -> Vec<Option<Point<f64>>> {
    layer
        .geometries
        .par_iter()
        .map(|g| g.as_ref().and_then(|g| g.centroid()))
        .collect()
}

/// How a polygon unit counts as reached from a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reach {
    /// The unit's centroid is within the radius (the default; what spopt's MCLP does).
    #[default]
    Centroid,
    /// Any part of the unit is within the radius.
    Area,
}

/// For each unit of `units`, the features of `points` within `radius` metres. Both layers must
/// be in the same projected CRS.
pub fn within_distance(
    units: &Layer,
    points: &Layer,
    radius: f64,
    reach: Reach,
) -> Result<Neighbours, JoinError> {
    check_join_inputs(units, points)?;
    let pts = points.points()?;
    match reach {
        Reach::Centroid => points_within_distance(&centroids(units), &pts, radius),
        Reach::Area => polygons_within_distance(&units.polygons()?, &pts, radius),
    }
}

/// Point-in-polygon join of two layers in the same projected CRS.
pub fn locate_points(points: &Layer, polygons: &Layer) -> Result<PointAssignment, JoinError> {
    check_join_inputs(points, polygons)?;
    Ok(points_in_polygons(&points.points()?, &polygons.polygons()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn point(x: f64, y: f64) -> Point<f64> {
        Point::new(x, y)
    }

    #[test]
    fn point_in_polygon_reports_misses_and_ambiguity() {
        let polys = vec![
            MultiPolygon::new(vec![
                polygon![(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.)],
            ]),
            MultiPolygon::new(vec![
                polygon![(x: 10., y: 0.), (x: 20., y: 0.), (x: 20., y: 10.), (x: 10., y: 10.)],
            ]),
        ];
        let pts = vec![
            Some(point(5., 5.)),
            Some(point(15., 5.)),
            Some(point(10., 5.)),
            Some(point(50., 5.)),
            None,
        ];
        let a = points_in_polygons(&pts, &polys);
        assert_eq!(a.polygon, vec![Some(0), Some(1), Some(0), None, None]);
        assert_eq!(a.ambiguous, vec![(2, vec![0, 1])]);
        assert_eq!(a.unassigned().collect::<Vec<_>>(), vec![3, 4]);
    }

    #[test]
    fn within_distance_is_inclusive_sorted_and_checks_the_radius() {
        let q = vec![Some(point(0., 0.)), None];
        let p = vec![
            Some(point(800., 0.)),
            Some(point(0., 300.)),
            Some(point(800.1, 0.)),
            None,
        ];
        let n = points_within_distance(&q, &p, 800.0).unwrap();
        assert_eq!(n.row(0), &[(1, 300.0), (0, 800.0)]);
        assert!(n.row(1).is_empty());
        assert!(points_within_distance(&q, &p, -1.0).is_err());
        assert!(points_within_distance(&q, &p, f64::NAN).is_err());

        let square = vec![MultiPolygon::new(vec![
            polygon![(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.)],
        ])];
        let p = vec![Some(point(5., 5.)), Some(point(15., 5.)), Some(point(16., 5.))];
        let n = polygons_within_distance(&square, &p, 5.0).unwrap();
        assert_eq!(n.row(0), &[(0, 0.0), (1, 5.0)]);
    }
}
