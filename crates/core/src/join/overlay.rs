//! Intersection areas between polygons, with the shortcuts that make a census-scale join
//! cheap: an R-tree over target bounding boxes, an R-tree over target *edges* (a source whose
//! bounding box meets no edge of a candidate target lies wholly inside or wholly outside it, so
//! one point-in-polygon test replaces the polygon clipping; edges whose box meets the source's
//! but which pass clear of it are discarded by an exact side test, so long diagonal district
//! edges do not send every unit under their box to the clipper), and, when clipping is needed,
//! both polygons first cut down to the box their bounding boxes share. A source polygon that is
//! convex (a census block usually is) is then intersected by clipping the target's rings with
//! its half-planes, which is exact for any target and much cheaper than a general overlay.

use geo::algorithm::indexed::IntervalTreeMultiPolygon;
use geo::{BoundingRect, Contains, Coord, MultiPolygon, Polygon, Rect};
use rayon::prelude::*;
use rstar::RTree;

use super::boxes::{Boxed, aabb, box_tree, parts_rect};
use super::clip::{Pieces, Side, parts_area, piece_intersection_area, side_intersection_area};
use super::edges::EdgeIndex;

/// A polygon layer prepared for repeated area and containment queries.
pub struct PolygonIndex<'a> {
    polygons: &'a [MultiPolygon<f64>],
    pub(super) rects: Vec<Option<Rect<f64>>>,
    pub(super) boxes: RTree<Boxed>,
    pub(super) edges: EdgeIndex,
    containment: Vec<IntervalTreeMultiPolygon<f64>>,
    /// The pieces of each target with more than [`LARGE`] vertices.
    pieces: Vec<Option<Pieces>>,
}

impl<'a> PolygonIndex<'a> {
    /// Builds the bounding-box, edge and containment indexes (bulk-loaded once).
    pub fn new(polygons: &'a [MultiPolygon<f64>]) -> PolygonIndex<'a> {
        let rects: Vec<Option<Rect<f64>>> = polygons.iter().map(|p| p.bounding_rect()).collect();
        let boxes = box_tree(&rects);
        // Three independent structures, built side by side (a layer with one polygon of a
        // million vertices spends most of its indexing time in these).
        let (edges, (containment, pieces)) = rayon::join(
            || EdgeIndex::new(polygons),
            || {
                rayon::join(
                    || polygons.par_iter().map(IntervalTreeMultiPolygon::new).collect(),
                    || polygons.par_iter().map(|p| Pieces::of_large(&p.0)).collect(),
                )
            },
        );
        PolygonIndex {
            polygons,
            rects,
            boxes,
            edges,
            containment,
            pieces,
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

    /// Indices of the polygons with an edge that may touch `rect` (its bounding box meets
    /// `rect` and [`segment_may_touch`] cannot rule it out), sorted, unique.
    fn crossing_into(&self, rect: &Rect<f64>, c: &mut Vec<u32>) {
        c.clear();
        self.edges.touching_into(rect, c);
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
        self.overlaps_from(shape, shape_area, 0)
    }

    /// [`PolygonIndex::overlaps`] with the indexed polygons numbered `first` and above only
    /// (the others are not intersected at all: pairs of a layer with itself, each once).
    pub fn overlaps_from(&self, shape: &MultiPolygon<f64>, shape_area: f64, first: u32) -> Vec<(u32, f64)> {
        let mut out = Vec::new();
        if let Some(rect) = parts_rect(&shape.0) {
            self.overlaps_into(
                &shape.0,
                rect,
                shape_area,
                first,
                &mut Scratch::default(),
                &mut out,
            );
        }
        out
    }

    /// [`PolygonIndex::overlaps`] of the polygons `parts` (a multipolygon's, or a single
    /// polygon as a one-element slice, so that no layer has to be copied into multipolygons),
    /// appended to `out`, with `scratch` reused between calls: only the polygons numbered
    /// `first` and above. `rect` is the parts' bounding box ([`parts_rect`]).
    pub(crate) fn overlaps_into(
        &self,
        parts: &[Polygon<f64>],
        rect: Rect<f64>,
        shape_area: f64,
        first: u32,
        scratch: &mut Scratch,
        out: &mut Vec<(u32, f64)>,
    ) {
        let probe = parts.first().and_then(|p| p.exterior().0.first().copied());
        self.candidates_into(&rect, &mut scratch.candidates);
        scratch.candidates.retain(|&j| j >= first);
        if scratch.candidates.is_empty() {
            return;
        }
        self.crossing_into(&rect, &mut scratch.crossing);
        // A large source is cut into pieces once, and only if some target's edges come near it.
        let source_pieces = if scratch.crossing.is_empty() {
            None
        } else {
            Pieces::of_large(parts)
        };
        let source = Side::Whole(parts, rect);
        for &j in &scratch.candidates {
            let area = if scratch.crossing.binary_search(&j).is_err() {
                // No edge of j comes near the shape: it is wholly inside j or wholly outside.
                match probe {
                    Some(c) if self.contains(j as usize, c) => shape_area,
                    _ => 0.0,
                }
            } else {
                let target_rect = self.rects[j as usize].expect("a candidate has a bounding box");
                let target = match &self.pieces[j as usize] {
                    Some(p) => Side::Cut(p),
                    None => Side::Whole(&self.polygons[j as usize].0, target_rect),
                };
                match &source_pieces {
                    Some(pieces) => self.pieces_area(pieces, j, &target),
                    None => side_intersection_area(&source, &target),
                }
            };
            if area > 0.0 {
                out.push((j, area));
            }
        }
    }
}

impl PolygonIndex<'_> {
    /// Area of (the polygon cut into `pieces`) ∩ polygon `j` (`target`, cut or whole): the sum
    /// over the pieces whose box meets `j`'s. A piece that no edge of `j` comes near lies
    /// wholly inside `j` or wholly outside it, so one point-in-polygon test at its box's centre
    /// stands for the clipping; along a long boundary most pieces are such, and only the few
    /// that `j`'s edges reach are intersected.
    fn pieces_area(&self, pieces: &Pieces, j: u32, target: &Side<'_>) -> f64 {
        let target_rect = target.rect();
        let mut total = 0.0;
        for i in pieces.meeting(&target_rect) {
            let (polys, rect) = &pieces.pieces[i as usize];
            let reached = self.edges.reaches(j, rect);
            total += if reached {
                target.chunks(rect).into_iter().fold(0.0, |sum, (tp, tr)| {
                    sum + piece_intersection_area(polys, rect, tp, &tr)
                })
            } else if self.contains(j as usize, rect.center()) {
                parts_area(polys)
            } else {
                0.0
            };
        }
        total
    }
}

/// Buffers of [`PolygonIndex::overlaps_into`], kept per thread.
#[derive(Default)]
pub(crate) struct Scratch {
    candidates: Vec<u32>,
    crossing: Vec<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::join::boxes::segment_may_touch;
    use crate::join::clip::LARGE;
    use crate::join::clip::tests::{holed_square, mp, noisy_star, overlay_area, rng};
    use geo::polygon;
    use geo::{Area, LineString};

    #[test]
    fn an_edge_whose_box_meets_the_shape_but_passes_clear_is_not_a_crossing() {
        let r = Rect::new(Coord { x: 0., y: 0. }, Coord { x: 1., y: 1. });
        // the diagonal from (-10, 2) to (2, -10) passes below-left of the box corner (0, 0)
        assert!(!segment_may_touch([-10., 2.], [2., -10.], &r));
        // through the box, touching a corner, along a side
        assert!(segment_may_touch([-10., 0.5], [10., 0.5], &r));
        assert!(segment_may_touch([-1., 1.], [1., -1.], &r));
        assert!(segment_may_touch([1., -5.], [1., 5.], &r));
        // a unit under the box of a long diagonal district edge is inside, not clipped
        let districts = vec![mp(polygon![(x: 0., y: 0.), (x: 1000., y: 0.), (x: 0., y: 1000.)])];
        let index = PolygonIndex::new(&districts);
        let unit =
            mp(polygon![(x: 100., y: 100.), (x: 110., y: 100.), (x: 110., y: 110.), (x: 100., y: 110.)]);
        let mut scratch = Scratch::default();
        index.crossing_into(&unit.bounding_rect().unwrap(), &mut scratch.crossing);
        assert!(scratch.crossing.is_empty());
        assert_eq!(index.overlaps(&unit, 100.0), vec![(0, 100.0)]);
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

    #[test]
    fn a_large_source_cut_into_pieces_gives_the_overlay_areas() {
        // A source of more than LARGE vertices is cut into pieces; most of them lie wholly
        // inside or outside each target and are answered by one point test.
        let mut seed = 0xabcd_u64;
        let n = LARGE + 1000;
        let ring: Vec<Coord<f64>> = (0..n)
            .map(|k| {
                let t = std::f64::consts::TAU * k as f64 / n as f64;
                let r = 1000.0 * (1.0 + 0.1 * (3.0 * t).sin()) + 0.05 * (rng(&mut seed) - 0.5);
                Coord {
                    x: 5_000_000.0 + r * t.cos(),
                    y: 2_000_000.0 + r * t.sin(),
                }
            })
            .collect();
        let source = mp(Polygon::new(LineString::new(ring), vec![]));
        let targets: Vec<MultiPolygon<f64>> = (0..6)
            .map(|k| {
                let (cx, cy) = (
                    5_000_000.0 - 1200.0 + 480.0 * k as f64,
                    2_000_000.0 + 300.0 * (k % 2) as f64,
                );
                if k % 2 == 0 {
                    mp(holed_square(cx, cy, 300.0))
                } else {
                    mp(noisy_star(cx, cy, 400.0, 9, &mut seed))
                }
            })
            .collect();
        let index = PolygonIndex::new(&targets);
        let got = index.overlaps(&source, source.unsigned_area());
        let want: Vec<(u32, f64)> = targets
            .iter()
            .enumerate()
            .map(|(j, t)| (j as u32, overlay_area(&source, t)))
            .filter(|&(_, a)| a > 0.0)
            .collect();
        assert_eq!(got.len(), want.len());
        for ((gj, ga), (wj, wa)) in got.iter().zip(&want) {
            assert_eq!(gj, wj);
            assert!((ga - wa).abs() <= 1e-8 * wa, "target {gj}: {ga} vs {wa}");
        }
    }
}
