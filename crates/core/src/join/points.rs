//! Point joins: point-in-polygon (facilities → districts or units) and within-distance
//! (points ↔ unit centroids or unit polygons within R metres), both parallel and deterministic.

use geo::algorithm::coordinate_position::CoordPos;
use geo::{BoundingRect, Centroid, Coord, Distance, Euclidean, Intersects, MultiPolygon, Point};
use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::boxes::box_tree;
use super::clip::vertex_count;
use super::interpolate::check_join_inputs;
use crate::csr::{pack_blocks, pack_rows};
use crate::error::JoinError;
use crate::layer::Layer;
use crate::rings::Locator;

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
    // Only the polygons' boxes are needed to find candidates (not a whole `PolygonIndex`,
    // whose edge tree and pieces cost a second per million vertices).
    let boxes = box_tree(
        &polygons
            .par_iter()
            .map(|mp| mp.bounding_rect())
            .collect::<Vec<_>>(),
    );
    // A large polygon is located against through an index of its edges (the same answers as
    // geo's `intersects`, without a scan of every vertex for every point).
    let located: Vec<Option<PolygonLocator<'_>>> = polygons
        .par_iter()
        .map(|mp| (vertex_count(&mp.0) > INDEXED_POLYGON).then(|| PolygonLocator::new(mp)))
        .collect();
    let hits: Vec<Vec<u32>> = points
        .par_iter()
        .map(|p| {
            let Some(p) = p else { return Vec::new() };
            let mut candidates: Vec<u32> = boxes
                .locate_all_at_point(&[p.x(), p.y()])
                .map(|b| b.data)
                .collect();
            candidates.sort_unstable();
            candidates
                .into_iter()
                .filter(|&j| match &located[j as usize] {
                    Some(l) => l.intersects(p.0),
                    None => polygons[j as usize].intersects(p),
                })
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

/// Polygons with more vertices than this are located against through [`PolygonLocator`].
const INDEXED_POLYGON: usize = 1024;

/// A multipolygon prepared for many point-in-polygon tests: a [`Locator`] per ring.
struct PolygonLocator<'a>(Vec<Vec<Locator<'a>>>);

impl<'a> PolygonLocator<'a> {
    fn new(mp: &'a MultiPolygon<f64>) -> PolygonLocator<'a> {
        PolygonLocator(
            mp.0.iter()
                .map(|p| {
                    std::iter::once(p.exterior())
                        .chain(p.interiors())
                        .map(Locator::new)
                        .collect()
                })
                .collect(),
        )
    }

    /// geo's `MultiPolygon::intersects(point)`: in some polygon's exterior ring or on it, and
    /// then the first hole that is not clear of the point has it on its boundary, or none is.
    fn intersects(&self, c: Coord<f64>) -> bool {
        self.0.iter().any(|rings| match rings[0].position(c) {
            CoordPos::Outside => false,
            CoordPos::OnBoundary => true,
            CoordPos::Inside => {
                for h in &rings[1..] {
                    match h.position(c) {
                        CoordPos::Outside => {}
                        CoordPos::OnBoundary => return true,
                        CoordPos::Inside => return false,
                    }
                }
                true
            }
        })
    }
}

/// A sparse "who is within R of whom" table: for each query feature, the indices of the
/// reference points within the radius and their distances in metres, nearest first (ties by
/// index).
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbours {
    offsets: Vec<usize>,
    entries: Vec<(u32, f64)>,
}

/// The order of a neighbour row: nearest first, ties by index. Entries equal under it are
/// identical, so a stable and an unstable sort give the same row.
fn nearest_first(a: &(u32, f64), b: &(u32, f64)) -> std::cmp::Ordering {
    a.1.total_cmp(&b.1).then(a.0.cmp(&b.0))
}

impl Neighbours {
    /// Builds the table from one row per query feature of `(reference index, distance in
    /// metres)`, e.g. walking distances on a street network
    /// ([`crate::network::within_distance`]); each row is sorted nearest first (ties by index).
    pub fn from_rows(mut rows: Vec<Vec<(u32, f64)>>) -> Neighbours {
        // In parallel: thousands of facilities' rows of a few hundred units each.
        rows.par_iter_mut()
            .for_each(|row| row.sort_unstable_by(nearest_first));
        let (offsets, entries) = pack_rows(rows);
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
    Ok(PointIndex::new(points, radius)?.within(queries))
}

/// Reference points indexed once for radius queries at one fixed radius, so that several query
/// layers (facilities, then candidate sites) searched against the same census centroids share
/// one index instead of building it per call. A uniform grid when the points are dense enough
/// for the radius, an R-tree otherwise; both give the same pairs and distances.
pub struct PointIndex {
    radius: f64,
    search: Search,
}

enum Search {
    Grid(Grid),
    Tree(RTree<GeomWithData<[f64; 2], u32>>),
}

impl PointIndex {
    /// Index `points` for queries within `radius` metres (finite and positive).
    pub fn new(points: &[Option<Point<f64>>], radius: f64) -> Result<PointIndex, JoinError> {
        check_radius(radius)?;
        let search = match Grid::new(points, radius) {
            Some(grid) => Search::Grid(grid),
            None => Search::Tree(point_tree(points)),
        };
        Ok(PointIndex { radius, search })
    }

    /// The radius the index answers for.
    pub fn radius(&self) -> f64 {
        self.radius
    }

    /// For each query point, the indexed points within the radius, with their distances.
    pub fn within(&self, queries: &[Option<Point<f64>>]) -> Neighbours {
        let r2 = self.radius * self.radius;
        let row = |q: Point<f64>, g: &GeomWithData<[f64; 2], u32>| {
            (
                g.data,
                Euclidean.distance(q, Point::new(g.geom()[0], g.geom()[1])),
            )
        };
        // Queries in blocks, each block's rows in one buffer, sorted where they are built: a
        // few allocations per block rather than one per query, and one copy into the table.
        const BLOCK: usize = 64;
        /// A block's row lengths and its rows one after another.
        type Block = (Vec<usize>, Vec<(u32, f64)>);
        let blocks: Vec<Block> = queries
            .par_chunks(BLOCK)
            .map(|chunk| {
                let mut lens = Vec::with_capacity(chunk.len());
                let mut entries = Vec::new();
                for q in chunk {
                    let start = entries.len();
                    if let Some(q) = *q {
                        // The same pairs and distances either way.
                        match &self.search {
                            Search::Grid(grid) => entries.extend(grid.within(q, r2).map(|g| row(q, g))),
                            Search::Tree(tree) => entries
                                .extend(tree.locate_within_distance([q.x(), q.y()], r2).map(|g| row(q, g))),
                        }
                    }
                    entries[start..].sort_unstable_by(nearest_first);
                    lens.push(entries.len() - start);
                }
                (lens, entries)
            })
            .collect();
        let (offsets, entries) = pack_blocks(blocks);
        Neighbours { offsets, entries }
    }
}

/// Points bucketed in a uniform grid of square cells as wide as the search radius, so that a
/// radius query looks at the 3 × 3 cells around it. Built in linear time (a counting sort of
/// the points by cell), which is what makes it cheaper than bulk-loading an R-tree when the
/// reference layer is a whole census (hundreds of thousands of centroids) and the queries are
/// a few thousand facilities.
struct Grid {
    min: [f64; 2],
    cell: f64,
    nx: usize,
    ny: usize,
    /// Start of each cell's points in `points` (`nx * ny + 1` offsets).
    start: Vec<u32>,
    points: Vec<GeomWithData<[f64; 2], u32>>,
}

impl Grid {
    /// `None` when the points are too spread out for the radius (the grid would have many
    /// more cells than points) or when there are none: the R-tree is used then.
    fn new(points: &[Option<Point<f64>>], radius: f64) -> Option<Grid> {
        let mut n = 0usize;
        let (mut min, mut max) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for p in points.iter().flatten() {
            n += 1;
            min = [min[0].min(p.x()), min[1].min(p.y())];
            max = [max[0].max(p.x()), max[1].max(p.y())];
        }
        if n == 0 || !(min[0].is_finite() && min[1].is_finite() && max[0].is_finite() && max[1].is_finite()) {
            return None;
        }
        let cells = |lo: f64, hi: f64| ((hi - lo) / radius).floor() + 1.0;
        let (fx, fy) = (cells(min[0], max[0]), cells(min[1], max[1]));
        if fx * fy > (4 * n + 1024) as f64 || points.len() >= u32::MAX as usize {
            return None;
        }
        let (nx, ny) = (fx as usize, fy as usize);
        let mut grid = Grid {
            min,
            cell: radius,
            nx,
            ny,
            start: vec![0; nx * ny + 1],
            points: Vec::new(),
        };
        let cell_of: Vec<u32> = points
            .iter()
            .map(|p| p.map_or(u32::MAX, |p| grid.cell_of(p.x(), p.y()) as u32))
            .collect();
        for &c in &cell_of {
            if c != u32::MAX {
                grid.start[c as usize + 1] += 1;
            }
        }
        for k in 1..grid.start.len() {
            grid.start[k] += grid.start[k - 1];
        }
        let mut next = grid.start.clone();
        let mut slots = vec![GeomWithData::new([0.0; 2], 0); n];
        for (i, (p, &c)) in points.iter().zip(&cell_of).enumerate() {
            if let Some(p) = p {
                let at = &mut next[c as usize];
                slots[*at as usize] = GeomWithData::new([p.x(), p.y()], i as u32);
                *at += 1;
            }
        }
        grid.points = slots;
        Some(grid)
    }

    fn column(&self, x: f64) -> usize {
        (((x - self.min[0]) / self.cell).floor().max(0.0) as usize).min(self.nx - 1)
    }

    fn row(&self, y: f64) -> usize {
        (((y - self.min[1]) / self.cell).floor().max(0.0) as usize).min(self.ny - 1)
    }

    fn cell_of(&self, x: f64, y: f64) -> usize {
        self.row(y) * self.nx + self.column(x)
    }

    /// The points within `sqrt(r2)` of `q` (squared distance `≤ r2`, computed as rstar
    /// computes it), cell by cell: the cells that the query's box, widened by a hair, touches.
    ///
    /// That finds every such point. A point passing the test has `fl(dx)² ≤ r2 (1 + u)`, so
    /// its true offset is within `r (1 + 3u)` of the query on each axis (u = 2⁻⁵³), and the
    /// margin below is far wider than that plus the rounding of `q ± r`. A cell index is
    /// `floor((x − min) / cell)` clamped to the grid, monotone in `x`, so a point at or right of
    /// the box's left edge lies in a column at or right of the edge's.
    fn within(&self, q: Point<f64>, r2: f64) -> impl Iterator<Item = &GeomWithData<[f64; 2], u32>> + '_ {
        let r = self.cell;
        let reach = r + 1e-9 * r.max(q.x().abs()).max(q.y().abs());
        let (c0, c1) = (self.column(q.x() - reach), self.column(q.x() + reach));
        let (r0, r1) = (self.row(q.y() - reach), self.row(q.y() + reach));
        (r0..=r1).flat_map(move |row| {
            let from = self.start[row * self.nx + c0] as usize;
            let to = self.start[row * self.nx + c1 + 1] as usize;
            self.points[from..to].iter().filter(move |g| {
                let (dx, dy) = (g.geom()[0] - q.x(), g.geom()[1] - q.y());
                dx * dx + dy * dy <= r2
            })
        })
    }
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
    fn large_polygons_are_located_as_geo_intersects_does() {
        use geo::{Coord, LineString, Polygon};
        // A 3000-vertex shell on a 1/4 m grid with a 1500-vertex hole and a second part.
        let circle = |cx: f64, r: f64, n: usize, wobble: f64| -> LineString<f64> {
            let mut v: Vec<(f64, f64)> = (0..n)
                .map(|i| {
                    let t = i as f64 / n as f64 * std::f64::consts::TAU;
                    let rr = r * (1.0 + wobble * (37.0 * t).sin());
                    (
                        ((cx + rr * t.cos()) * 4.0).round() / 4.0,
                        (rr * t.sin() * 4.0).round() / 4.0,
                    )
                })
                .collect();
            v.dedup();
            v.push(v[0]);
            LineString::from(v)
        };
        let mp = MultiPolygon::new(vec![
            Polygon::new(circle(0.0, 100.0, 3000, 0.1), vec![circle(0.0, 40.0, 1500, 0.2)]),
            Polygon::new(circle(300.0, 50.0, 1200, 0.1), vec![]),
        ]);
        let located = PolygonLocator::new(&mp);
        let mut probes: Vec<Coord<f64>> =
            mp.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .flat_map(|r| r.0.iter().copied())
                .collect();
        for i in 0..200 {
            for j in 0..60 {
                probes.push(Coord {
                    x: -130.0 + 2.25 * f64::from(i),
                    y: -130.0 + 4.5 * f64::from(j),
                });
            }
        }
        let mut inside = 0;
        for c in probes {
            let want = mp.intersects(&Point::from(c));
            assert_eq!(located.intersects(c), want, "at {c:?}");
            inside += usize::from(want);
        }
        assert!(inside > 5000);
        // points_in_polygons takes this path for the large polygon and agrees with a scan.
        let pts: Vec<Option<Point<f64>>> = (0..500)
            .map(|i| Some(point(-120.0 + 0.9 * f64::from(i), 0.25 * f64::from(i % 7))))
            .collect();
        let got = points_in_polygons(&pts, std::slice::from_ref(&mp));
        for (p, g) in pts.iter().zip(&got.polygon) {
            assert_eq!(g.is_some(), mp.intersects(&p.unwrap()));
        }
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

    #[test]
    fn the_grid_finds_exactly_what_the_tree_finds() {
        // Points on a jittered lattice at projected magnitudes, some exactly on the radius,
        // some null; queries inside, on the edge and far outside the points' extent.
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut u = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let (x0, y0) = (4_880_000.0, 2_070_000.0);
        let mut points: Vec<Option<Point<f64>>> = (0..4000)
            .map(|i| (i % 97 != 0).then(|| point(x0 + 6000.0 * u(), y0 + 4000.0 * u())))
            .collect();
        let queries: Vec<Option<Point<f64>>> = (0..300)
            .map(|i| match i % 50 {
                0 => None,
                1 => Some(point(x0 - 5000.0, y0 + 100.0)),
                _ => Some(point(x0 - 500.0 + 7000.0 * u(), y0 - 500.0 + 5000.0 * u())),
            })
            .collect();
        // exactly 800 m east of the first query
        let q0 = queries[2].unwrap();
        points.push(Some(point(q0.x() + 800.0, q0.y())));
        let grid = points_within_distance(&queries, &points, 800.0).unwrap();
        assert!(Grid::new(&points, 800.0).is_some(), "this layout uses the grid");
        let tree = point_tree(&points);
        let rows = queries
            .iter()
            .map(|q| {
                let Some(q) = *q else { return Vec::new() };
                tree.locate_within_distance([q.x(), q.y()], 800.0 * 800.0)
                    .map(|g| {
                        (
                            g.data,
                            Euclidean.distance(q, Point::new(g.geom()[0], g.geom()[1])),
                        )
                    })
                    .collect()
            })
            .collect();
        let expected = Neighbours::from_rows(rows);
        assert_eq!(grid, expected);
        assert!(expected.n_pairs() > 10_000);
        assert!(
            grid.row(2)
                .iter()
                .any(|&(j, d)| j as usize == points.len() - 1 && d == 800.0)
        );
        // Two points 1000 km apart and a 1 m radius: too many cells, the tree is used.
        let far = vec![Some(point(0., 0.)), Some(point(1e6, 1e6))];
        assert!(Grid::new(&far, 1.0).is_none());
        let n = points_within_distance(&far, &far, 1.0).unwrap();
        assert_eq!((n.row(0), n.row(1)), (&[(0, 0.0)][..], &[(1, 0.0)][..]));
    }

    #[test]
    fn points_on_cell_edges_and_at_the_radius_are_found() {
        // A lattice a quarter of the radius apart from a grid origin at projected magnitudes:
        // the queries sit on lattice points, so `q ± r` falls on cell edges and many points
        // are exactly at the radius, on both sides of those edges.
        let (x0, y0, r) = (4_880_000.0, 2_070_000.0, 800.0);
        let points: Vec<Option<Point<f64>>> = (0..41 * 41)
            .map(|i| Some(point(x0 + (i % 41) as f64 * 200.0, y0 + (i / 41) as f64 * 200.0)))
            .collect();
        let queries: Vec<Option<Point<f64>>> = [(0, 0), (4, 4), (8, 20), (20, 20), (40, 40), (37, 3)]
            .iter()
            .map(|&(i, j)| Some(point(x0 + i as f64 * 200.0, y0 + j as f64 * 200.0)))
            .collect();
        let index = PointIndex::new(&points, r).unwrap();
        assert!(matches!(index.search, Search::Grid(_)));
        let found = index.within(&queries);
        for (k, q) in queries.iter().enumerate() {
            let q = q.unwrap();
            let brute: Vec<u32> = (0..points.len() as u32)
                .filter(|&i| {
                    let p = points[i as usize].unwrap();
                    let (dx, dy) = (p.x() - q.x(), p.y() - q.y());
                    dx * dx + dy * dy <= r * r
                })
                .collect();
            let mut got: Vec<u32> = found.row(k).iter().map(|&(i, _)| i).collect();
            got.sort_unstable();
            assert_eq!(got, brute, "query {k}");
            assert!(
                found.row(k).iter().any(|&(_, d)| d == r),
                "query {k} has points at the radius"
            );
        }
    }

    #[test]
    fn one_index_answers_several_query_layers_like_a_brute_force_scan() {
        // A dense layer (grid) and a spread one (tree), each queried by two different layers
        // through one index: every answer equals a brute-force scan of all the points.
        let dense: Vec<Option<Point<f64>>> = (0..900)
            .map(|i| {
                (i % 31 != 0).then(|| point(1000.0 + (i % 30) as f64 * 50.0, 2000.0 + (i / 30) as f64 * 50.0))
            })
            .collect();
        let spread = vec![
            Some(point(0., 0.)),
            None,
            Some(point(1e6, 1e6)),
            Some(point(0.5, 0.)),
        ];
        let facilities = vec![Some(point(1200., 2300.)), None, Some(point(0., 0.))];
        let sites = vec![
            Some(point(2400., 3400.)),
            Some(point(1e6, 1e6 + 0.7)),
            Some(point(1700., 2100.)),
        ];
        for (points, radius) in [(&dense, 120.0), (&spread, 1.0)] {
            let index = PointIndex::new(points, radius).unwrap();
            assert_eq!(index.radius(), radius);
            for queries in [&facilities, &sites] {
                let brute: Vec<Vec<(u32, f64)>> = queries
                    .iter()
                    .map(|q| {
                        let Some(q) = *q else { return Vec::new() };
                        (0..points.len())
                            .filter_map(|i| {
                                let p = points[i]?;
                                let (dx, dy) = (p.x() - q.x(), p.y() - q.y());
                                (dx * dx + dy * dy <= radius * radius)
                                    .then(|| (i as u32, Euclidean.distance(q, p)))
                            })
                            .collect()
                    })
                    .collect();
                assert_eq!(index.within(queries), Neighbours::from_rows(brute));
            }
        }
        let index = PointIndex::new(&dense, 120.0).unwrap();
        assert!(matches!(index.search, Search::Grid(_)));
        assert!(index.within(&facilities).n_pairs() > 10);
        assert!(matches!(
            PointIndex::new(&spread, 1.0).unwrap().search,
            Search::Tree(_)
        ));
        assert!(PointIndex::new(&dense, 0.0).is_err());
    }
}
