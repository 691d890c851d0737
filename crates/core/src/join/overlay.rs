//! Intersection areas between polygons, with the shortcuts that make a census-scale join
//! cheap: an R-tree over target bounding boxes, an R-tree over target *edges* (a source whose
//! bounding box meets no edge of a candidate target lies wholly inside or wholly outside it, so
//! one point-in-polygon test replaces the polygon clipping), and, when clipping is needed,
//! both polygons first cut down to the box their bounding boxes share.

use geo::algorithm::indexed::IntervalTreeMultiPolygon;
use geo::{Area, BooleanOps, BoundingRect, Contains, Coord, LineString, MultiPolygon, Polygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

type Boxed = GeomWithData<Rectangle<[f64; 2]>, u32>;

fn aabb(r: &Rect<f64>) -> AABB<[f64; 2]> {
    AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y])
}

/// A polygon layer prepared for repeated area and containment queries.
pub struct PolygonIndex<'a> {
    polygons: &'a [MultiPolygon<f64>],
    rects: Vec<Option<Rect<f64>>>,
    boxes: RTree<Boxed>,
    edges: RTree<Boxed>,
    containment: Vec<IntervalTreeMultiPolygon<f64>>,
}

impl<'a> PolygonIndex<'a> {
    /// Builds the bounding-box, edge and containment indexes (bulk-loaded once).
    pub fn new(polygons: &'a [MultiPolygon<f64>]) -> PolygonIndex<'a> {
        let rects: Vec<Option<Rect<f64>>> = polygons.iter().map(|p| p.bounding_rect()).collect();
        let boxes = RTree::bulk_load(
            rects
                .iter()
                .enumerate()
                .filter_map(|(i, r)| r.map(|r| Boxed::new(Rectangle::from_aabb(aabb(&r)), i as u32)))
                .collect(),
        );
        let mut edge_boxes = Vec::new();
        for (i, mp) in polygons.iter().enumerate() {
            for p in mp {
                for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                    for w in ring.0.windows(2) {
                        edge_boxes.push(Boxed::new(
                            Rectangle::from_corners([w[0].x, w[0].y], [w[1].x, w[1].y]),
                            i as u32,
                        ));
                    }
                }
            }
        }
        let edges = RTree::bulk_load(edge_boxes);
        let containment = polygons.iter().map(IntervalTreeMultiPolygon::new).collect();
        PolygonIndex {
            polygons,
            rects,
            boxes,
            edges,
            containment,
        }
    }

    /// The indexed polygons.
    pub fn polygons(&self) -> &'a [MultiPolygon<f64>] {
        self.polygons
    }

    /// Indices of the polygons whose bounding box meets `rect`, in increasing order.
    pub fn candidates(&self, rect: &Rect<f64>) -> Vec<u32> {
        let mut c = Vec::new();
        self.candidates_into(rect, &mut c);
        c
    }

    fn candidates_into(&self, rect: &Rect<f64>, c: &mut Vec<u32>) {
        c.clear();
        c.extend(
            self.boxes
                .locate_in_envelope_intersecting(&aabb(rect))
                .map(|b| b.data),
        );
        c.sort_unstable();
    }

    /// Indices of the polygons with an edge whose bounding box meets `rect`, sorted, unique.
    fn crossing_into(&self, rect: &Rect<f64>, c: &mut Vec<u32>) {
        c.clear();
        c.extend(
            self.edges
                .locate_in_envelope_intersecting(&aabb(rect))
                .map(|b| b.data),
        );
        c.sort_unstable();
        c.dedup();
    }

    /// Whether polygon `j` contains the coordinate (boundary excluded).
    pub fn contains(&self, j: usize, c: Coord<f64>) -> bool {
        self.containment[j].contains(&c)
    }

    /// The areas of `shape ∩ polygon j` for every indexed polygon it overlaps, as
    /// `(j, area)` pairs with area > 0, in increasing `j`. `shape_area` is `shape`'s own area.
    pub fn overlaps(&self, shape: &MultiPolygon<f64>, shape_area: f64) -> Vec<(u32, f64)> {
        let mut out = Vec::new();
        self.overlaps_into(&shape.0, shape_area, &mut Scratch::default(), &mut out);
        out
    }

    /// [`PolygonIndex::overlaps`] of the polygons `parts` (a multipolygon's, or a single
    /// polygon as a one-element slice, so that no layer has to be copied into multipolygons),
    /// appended to `out`, with `scratch` reused between calls.
    pub(crate) fn overlaps_into(
        &self,
        parts: &[Polygon<f64>],
        shape_area: f64,
        scratch: &mut Scratch,
        out: &mut Vec<(u32, f64)>,
    ) {
        let Some(rect) = parts_rect(parts) else {
            return;
        };
        self.candidates_into(&rect, &mut scratch.candidates);
        if scratch.candidates.is_empty() {
            return;
        }
        self.crossing_into(&rect, &mut scratch.crossing);
        let probe = parts.first().and_then(|p| p.exterior().0.first().copied());
        for &j in &scratch.candidates {
            let area = if scratch.crossing.binary_search(&j).is_err() {
                // No edge of j comes near the shape: it is wholly inside j or wholly outside.
                match probe {
                    Some(c) if self.contains(j as usize, c) => shape_area,
                    _ => 0.0,
                }
            } else {
                let target_rect = self.rects[j as usize].expect("a candidate has a bounding box");
                parts_intersection_area(parts, &rect, &self.polygons[j as usize], &target_rect)
            };
            if area > 0.0 {
                out.push((j, area));
            }
        }
    }
}

/// Buffers of [`PolygonIndex::overlaps_into`], kept per thread.
#[derive(Default)]
pub(crate) struct Scratch {
    candidates: Vec<u32>,
    crossing: Vec<u32>,
}

/// The bounding box of polygons' exteriors (as geo computes a multipolygon's).
fn parts_rect(parts: &[Polygon<f64>]) -> Option<Rect<f64>> {
    let mut coords = parts.iter().flat_map(|p| &p.exterior().0);
    let first = coords.next()?;
    let (mut min, mut max) = (*first, *first);
    for c in coords {
        min.x = if c.x < min.x { c.x } else { min.x };
        max.x = if c.x > max.x { c.x } else { max.x };
        min.y = if c.y < min.y { c.y } else { min.y };
        max.y = if c.y > max.y { c.y } else { max.y };
    }
    Some(Rect::new(min, max))
}

/// The unsigned area of polygons (as geo computes a multipolygon's: the sum in order).
pub(crate) fn parts_area(parts: &[Polygon<f64>]) -> f64 {
    parts.iter().fold(0.0, |total, p| total + p.unsigned_area())
}

/// Area of `a ∩ b`. Both are first clipped to the box their bounding boxes share (which holds
/// all of `a ∩ b`), so a small unit against a district with thousands of vertices costs a
/// linear scan and a small overlay, not an overlay of the whole district.
pub fn intersection_area(
    a: &MultiPolygon<f64>,
    ra: &Rect<f64>,
    b: &MultiPolygon<f64>,
    rb: &Rect<f64>,
) -> f64 {
    parts_intersection_area(&a.0, ra, b, rb)
}

/// [`intersection_area`] of the polygons `a`.
fn parts_intersection_area(a: &[Polygon<f64>], ra: &Rect<f64>, b: &MultiPolygon<f64>, rb: &Rect<f64>) -> f64 {
    let min = Coord {
        x: ra.min().x.max(rb.min().x),
        y: ra.min().y.max(rb.min().y),
    };
    let max = Coord {
        x: ra.max().x.min(rb.max().x),
        y: ra.max().y.min(rb.max().y),
    };
    if min.x >= max.x || min.y >= max.y {
        return 0.0;
    }
    let bx = Rect::new(min, max);
    let ca = clip_to_rect(a, &bx);
    let cb = clip_to_rect(&b.0, &bx);
    if ca.0.is_empty() || cb.0.is_empty() {
        return 0.0;
    }
    ca.intersection(&cb).unsigned_area()
}

/// Sutherland–Hodgman clipping of every ring to an axis-aligned box. The result may contain
/// zero-width slivers along the box's sides; they have no area and the overlay that follows
/// resolves them.
fn clip_to_rect(parts: &[Polygon<f64>], r: &Rect<f64>) -> MultiPolygon<f64> {
    let polys = parts
        .iter()
        .filter_map(|p| {
            let ext = clip_ring(p.exterior(), r)?;
            let holes = p.interiors().iter().filter_map(|h| clip_ring(h, r)).collect();
            Some(Polygon::new(ext, holes))
        })
        .collect();
    MultiPolygon::new(polys)
}

fn clip_ring(ring: &LineString<f64>, r: &Rect<f64>) -> Option<LineString<f64>> {
    let (min, max) = (r.min(), r.max());
    let mut pts: Vec<Coord<f64>> = ring.0.clone();
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    // Fast path: ring wholly inside the box.
    if pts
        .iter()
        .all(|c| c.x >= min.x && c.x <= max.x && c.y >= min.y && c.y <= max.y)
    {
        return (pts.len() >= 3).then(|| ring.clone());
    }
    // (inside test, intersection) for each of the four half-planes.
    let planes: [(u8, f64); 4] = [(0, min.x), (1, max.x), (2, min.y), (3, max.y)];
    for (side, v) in planes {
        if pts.is_empty() {
            break;
        }
        let inside = |c: &Coord<f64>| match side {
            0 => c.x >= v,
            1 => c.x <= v,
            2 => c.y >= v,
            _ => c.y <= v,
        };
        let cut = |a: &Coord<f64>, b: &Coord<f64>| {
            if side < 2 {
                let t = (v - a.x) / (b.x - a.x);
                Coord {
                    x: v,
                    y: a.y + t * (b.y - a.y),
                }
            } else {
                let t = (v - a.y) / (b.y - a.y);
                Coord {
                    x: a.x + t * (b.x - a.x),
                    y: v,
                }
            }
        };
        let mut out = Vec::with_capacity(pts.len() + 4);
        for i in 0..pts.len() {
            let cur = &pts[i];
            let prev = &pts[(i + pts.len() - 1) % pts.len()];
            match (inside(prev), inside(cur)) {
                (true, true) => out.push(*cur),
                (true, false) => out.push(cut(prev, cur)),
                (false, true) => {
                    out.push(cut(prev, cur));
                    out.push(*cur);
                }
                (false, false) => {}
            }
        }
        pts = out;
    }
    (pts.len() >= 3).then(|| LineString::from(pts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn mp(p: Polygon<f64>) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![p])
    }

    #[test]
    fn clipped_overlay_equals_plain_overlay() {
        // A concave district (U shape) with a hole, against units in every position.
        let district = mp(Polygon::new(
            LineString::from(vec![
                (0., 0.),
                (30., 0.),
                (30., 30.),
                (20., 30.),
                (20., 10.),
                (10., 10.),
                (10., 30.),
                (0., 30.),
                (0., 0.),
            ]),
            vec![LineString::from(vec![
                (2., 2.),
                (4., 2.),
                (4., 4.),
                (2., 4.),
                (2., 2.),
            ])],
        ));
        let rd = district.bounding_rect().unwrap();
        for (x, y) in [
            (-5., -5.),
            (1., 1.),
            (5., 5.),
            (8., 8.),
            (12., 12.),
            (15., 25.),
            (25., 25.),
            (28., 28.),
            (3., 3.),
        ] {
            let unit =
                mp(polygon![(x: x, y: y), (x: x + 6., y: y), (x: x + 6., y: y + 4.), (x: x, y: y + 4.)]);
            let ru = unit.bounding_rect().unwrap();
            let expected = unit.intersection(&district).unsigned_area();
            let got = intersection_area(&unit, &ru, &district, &rd);
            assert!((got - expected).abs() < 1e-9, "at ({x},{y}): {got} vs {expected}");
        }
    }

    #[test]
    fn fast_path_and_clipping_agree() {
        let districts = vec![
            mp(polygon![(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.)]),
            mp(polygon![(x: 10., y: 0.), (x: 20., y: 0.), (x: 20., y: 10.), (x: 10., y: 10.)]),
        ];
        let index = PolygonIndex::new(&districts);
        let inside = mp(polygon![(x: 2., y: 2.), (x: 4., y: 2.), (x: 4., y: 4.), (x: 2., y: 4.)]);
        assert_eq!(index.overlaps(&inside, 4.0), vec![(0, 4.0)]);
        let straddling = mp(polygon![(x: 8., y: 2.), (x: 12., y: 2.), (x: 12., y: 4.), (x: 8., y: 4.)]);
        let got = index.overlaps(&straddling, 8.0);
        assert_eq!(got.len(), 2);
        assert!((got[0].1 - 4.0).abs() < 1e-12 && (got[1].1 - 4.0).abs() < 1e-12);
        let outside = mp(polygon![(x: 30., y: 2.), (x: 32., y: 2.), (x: 32., y: 4.), (x: 30., y: 4.)]);
        assert!(index.overlaps(&outside, 4.0).is_empty());
    }
}
