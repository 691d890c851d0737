//! A polygon validity check in O(n log n): the OGC rules that matter for area computations
//! (rings of at least three distinct points, no self-intersection, rings of one polygon that do
//! not cross or share edges, holes inside their shell, components of a multipolygon that do
//! not overlap), using an R-tree over the segments instead of comparing every pair. geo's own
//! `Validation` compares segment pairs and takes seconds on a district with 80,000 vertices.

use geo::algorithm::coordinate_position::{CoordPos, coord_pos_relative_to_ring};
use geo::algorithm::kernels::{Kernel, Orientation, RobustKernel};
use geo::line_intersection::{LineIntersection, line_intersection};
use geo::{BoundingRect, Coord, Intersects, Line, LineString, Polygon};
use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

/// Which segment: (component, ring, index within the ring). Ring 0 is the exterior.
type SegId = (u32, u32, u32);
/// A segment and where it comes from.
type Segment = (Line<f64>, SegId);
/// Number of segments of each ring of each component.
type RingCounts = Vec<Vec<u32>>;

fn describe(part: u32, ring: u32, multi: bool) -> String {
    let r = if ring == 0 {
        "exterior ring".to_string()
    } else {
        format!("interior ring {}", ring - 1)
    };
    if multi { format!("polygon {part}, {r}") } else { r }
}

fn fmt(c: Coord<f64>) -> String {
    format!("({}, {})", c.x, c.y)
}

/// The first problem of a multipolygon (a polygon is a multipolygon of one), or `None` if valid.
#[cfg(test)]
fn polygon_problem(mp: &geo::MultiPolygon<f64>) -> Option<String> {
    parts_problem(&mp.0)
}

/// The number of distinct points of a ring: repeated consecutive points count once, and so
/// does the closing point.
fn distinct_points(ring: &LineString<f64>) -> usize {
    let Some(first) = ring.0.first() else { return 0 };
    let n = 1 + ring.0.windows(2).filter(|w| w[0] != w[1]).count();
    if n > 1 && ring.0.last() == Some(first) {
        n - 1
    } else {
        n
    }
}

/// The first problem of the polygons of a multipolygon, given as a slice (a single polygon is
/// checked without being copied into a multipolygon), or `None` if valid.
pub fn parts_problem(parts: &[Polygon<f64>]) -> Option<String> {
    let multi = parts.len() > 1;
    // Rings: enough distinct points.
    for (pi, p) in parts.iter().enumerate() {
        for (ri, ring) in rings(p).enumerate() {
            if distinct_points(ring) < 3 {
                return Some(format!(
                    "{} has fewer than 3 distinct points",
                    describe(pi as u32, ri as u32, multi)
                ));
            }
        }
    }
    if let Some(p) = crossing(parts, multi) {
        return Some(p);
    }
    // Holes inside their shell, not inside each other; components not inside each other.
    if !multi && parts.iter().all(|p| p.interiors().is_empty()) {
        return None;
    }
    // Each ring is located against with a scan of its edges, or, when it is large, through
    // an index of its edges built once (a shell with many holes, a coastline with islands).
    let locators: Vec<Vec<Locator<'_>>> = parts
        .iter()
        .map(|p| rings(p).map(Locator::new).collect())
        .collect();
    for (pi, p) in parts.iter().enumerate() {
        let holes = p.interiors();
        let hole_tree = (holes.len() > 8).then(|| rect_tree(holes.iter().map(|h| h.bounding_rect())));
        let mut others = Vec::new();
        for (hi, hole) in holes.iter().enumerate() {
            let shell = &locators[pi][0];
            if let Some(c) = probe(hole, shell)
                && shell.position(c) == CoordPos::Outside
            {
                return Some(format!(
                    "{} lies outside the exterior ring",
                    describe(pi as u32, hi as u32 + 1, multi)
                ));
            }
            // Only a hole whose box meets this one's can contain a vertex of it.
            candidates(hole_tree.as_ref(), hole.bounding_rect(), holes.len(), &mut others);
            for &hj in &others {
                let other = &locators[pi][hj + 1];
                if hj != hi
                    && let Some(c) = probe(hole, other)
                    && other.position(c) == CoordPos::Inside
                {
                    return Some(format!(
                        "{} lies inside interior ring {hj}",
                        describe(pi as u32, hi as u32 + 1, multi)
                    ));
                }
            }
        }
    }
    if multi {
        let rects: Vec<_> = parts.iter().map(|p| p.bounding_rect()).collect();
        let tree = (parts.len() > 8).then(|| rect_tree(rects.iter().copied()));
        let mut others = Vec::new();
        for (a, pa) in parts.iter().enumerate() {
            let Some(ra) = rects[a] else { continue };
            candidates(tree.as_ref(), Some(ra), parts.len(), &mut others);
            for &b in &others {
                let Some(rb) = rects[b] else { continue };
                if a == b || !ra.intersects(&rb) {
                    continue;
                }
                if let Some(c) = probe(pa.exterior(), &locators[b][0])
                    && inside_polygon(c, &locators[b])
                {
                    return Some(format!("polygons {a} and {b} of the multipolygon overlap"));
                }
            }
        }
    }
    None
}

/// Boxes numbered in order.
type BoxTree = RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>;
/// Edges by their boxes.
type EdgeTree = RTree<GeomWithData<Rectangle<[f64; 2]>, (Coord<f64>, Coord<f64>)>>;

/// An R-tree of boxes numbered in order (`None` boxes left out).
fn rect_tree(rects: impl Iterator<Item = Option<geo::Rect<f64>>>) -> BoxTree {
    RTree::bulk_load(
        rects
            .enumerate()
            .filter_map(|(i, r)| {
                let r = r?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i,
                ))
            })
            .collect(),
    )
}

/// The indices, ascending, of the boxes of `tree` that meet `rect`; all of `0..n` without a
/// tree (few boxes) or without a box.
fn candidates(tree: Option<&BoxTree>, rect: Option<geo::Rect<f64>>, n: usize, out: &mut Vec<usize>) {
    out.clear();
    match (tree, rect) {
        (Some(tree), Some(r)) => {
            let env = rstar::AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
            out.extend(tree.locate_in_envelope_intersecting(&env).map(|g| g.data));
            out.sort_unstable();
        }
        _ => out.extend(0..n),
    }
}

/// Rings with more edges than this get an edge index for point location.
const INDEXED_RING: usize = 256;

/// Where a coordinate lies relative to a closed ring, as geo's `coord_pos_relative_to_ring`
/// says, for many coordinates: a small ring is scanned as geo does; a large one keeps an
/// R-tree of its edges and looks only at those that meet the horizontal ray from the
/// coordinate to the ring's right edge (the others add nothing to the winding number and
/// cannot hold the coordinate), with the same per-edge rules, so the answer is the same.
pub(crate) enum Locator<'a> {
    Scan(&'a LineString<f64>),
    Indexed { edges: EdgeTree, max_x: f64 },
}

impl<'a> Locator<'a> {
    pub(crate) fn new(ring: &'a LineString<f64>) -> Locator<'a> {
        if ring.0.len() <= INDEXED_RING + 1 || !ring.is_closed() {
            return Locator::Scan(ring);
        }
        let max_x = ring.0.iter().fold(f64::NEG_INFINITY, |m, c| m.max(c.x));
        let edges = RTree::bulk_load(
            ring.0
                .windows(2)
                .map(|w| {
                    GeomWithData::new(
                        Rectangle::from_corners([w[0].x, w[0].y], [w[1].x, w[1].y]),
                        (w[0], w[1]),
                    )
                })
                .collect(),
        );
        Locator::Indexed { edges, max_x }
    }

    pub(crate) fn position(&self, c: Coord<f64>) -> CoordPos {
        let (edges, max_x) = match self {
            Locator::Scan(ring) => return coord_pos_relative_to_ring(c, ring),
            Locator::Indexed { edges, max_x } => (edges, *max_x),
        };
        if c.x > max_x {
            return CoordPos::Outside;
        }
        let env = rstar::AABB::from_corners([c.x, c.y], [max_x, c.y]);
        let mut winding = 0;
        for e in edges.locate_in_envelope_intersecting(&env) {
            let (start, end) = e.data;
            // geo's winding-number rules, edge by edge.
            if start.y <= c.y {
                if end.y >= c.y {
                    let o = RobustKernel::orient2d(start, end, c);
                    if o == Orientation::CounterClockwise && end.y != c.y {
                        winding += 1;
                    } else if o == Orientation::Collinear && between(c.x, start.x, end.x) {
                        return CoordPos::OnBoundary;
                    }
                }
            } else if end.y <= c.y {
                let o = RobustKernel::orient2d(start, end, c);
                if o == Orientation::Clockwise {
                    winding -= 1;
                } else if o == Orientation::Collinear && between(c.x, start.x, end.x) {
                    return CoordPos::OnBoundary;
                }
            }
        }
        if winding == 0 {
            CoordPos::Outside
        } else {
            CoordPos::Inside
        }
    }
}

/// `x` within `[a, b]` or `[b, a]` (geo's `value_in_between`).
fn between(x: f64, a: f64, b: f64) -> bool {
    x >= a.min(b) && x <= a.max(b)
}

fn rings(p: &Polygon<f64>) -> impl Iterator<Item = &LineString<f64>> {
    std::iter::once(p.exterior()).chain(p.interiors())
}

/// A vertex of `ring` that is not on `other` (to test which side of `other` the ring is on).
fn probe(ring: &LineString<f64>, other: &Locator<'_>) -> Option<Coord<f64>> {
    ring.0
        .iter()
        .copied()
        .find(|&c| other.position(c) != CoordPos::OnBoundary)
}

/// Whether `c` is inside the polygon whose rings (exterior first) `rings` locates against.
fn inside_polygon(c: Coord<f64>, rings: &[Locator<'_>]) -> bool {
    rings[0].position(c) == CoordPos::Inside && rings[1..].iter().all(|h| h.position(c) == CoordPos::Outside)
}

/// The non-degenerate segments of every ring, numbered within their ring (zero-length segments
/// from repeated points are skipped, so that neighbours keep consecutive numbers), and the
/// number of segments of each ring.
fn segments(parts: &[Polygon<f64>]) -> (Vec<Segment>, RingCounts) {
    let mut out = Vec::new();
    let mut counts = Vec::with_capacity(parts.len());
    for (pi, p) in parts.iter().enumerate() {
        let mut ring_counts = Vec::new();
        for (ri, ring) in rings(p).enumerate() {
            let mut k = 0u32;
            for w in ring.0.windows(2) {
                if w[0] != w[1] {
                    out.push((Line::new(w[0], w[1]), (pi as u32, ri as u32, k)));
                    k += 1;
                }
            }
            ring_counts.push(k);
        }
        counts.push(ring_counts);
    }
    (out, counts)
}

/// Whether two segments of the same ring are neighbours (consecutive, or last and first).
fn adjacent(a: SegId, b: SegId, ring_segments: u32) -> bool {
    let (i, j) = (a.2, b.2);
    i.abs_diff(j) == 1 || (i.min(j) == 0 && i.max(j) == ring_segments - 1)
}

fn proper_cross(p: Line<f64>, q: Line<f64>) -> bool {
    let o = |a, b, c| RobustKernel::orient2d(a, b, c);
    let opposite = |x: Orientation, y: Orientation| {
        matches!(
            (x, y),
            (Orientation::Clockwise, Orientation::CounterClockwise)
                | (Orientation::CounterClockwise, Orientation::Clockwise)
        )
    };
    opposite(o(p.start, p.end, q.start), o(p.start, p.end, q.end))
        && opposite(o(q.start, q.end, p.start), o(q.start, q.end, p.end))
}

/// Whether two segments are neighbours in their ring that share their vertex and do not lie
/// on one line: they meet only there, which is allowed (the commonest pair by far, answered
/// without computing the intersection).
fn clean_neighbours(
    counts: &impl Fn(u32, u32) -> u32,
    (p, a): (Line<f64>, SegId),
    (q, b): (Line<f64>, SegId),
) -> bool {
    a.0 == b.0
        && a.1 == b.1
        && adjacent(a, b, counts(a.0, a.1))
        && (p.end == q.start || q.end == p.start)
        && RobustKernel::orient2d(p.start, p.end, if p.end == q.start { q.end } else { q.start })
            != Orientation::Collinear
}

/// The first forbidden contact between two segments.
fn conflict(
    counts: impl Fn(u32, u32) -> u32,
    multi: bool,
    (p, a): (Line<f64>, SegId),
    (q, b): (Line<f64>, SegId),
) -> Option<String> {
    if clean_neighbours(&counts, (p, a), (q, b)) {
        return None;
    }
    let same_ring = a.0 == b.0 && a.1 == b.1;
    let hit = line_intersection(p, q)?;
    let overlap =
        matches!(hit, LineIntersection::Collinear { intersection } if intersection.start != intersection.end);
    if same_ring {
        if adjacent(a, b, counts(a.0, a.1)) && !overlap {
            return None;
        }
        let at = match hit {
            LineIntersection::SinglePoint { intersection, .. } => intersection,
            LineIntersection::Collinear { intersection } => intersection.start,
        };
        let what = if overlap {
            "doubles back on itself (a spike or repeated edge)"
        } else {
            "self-intersects"
        };
        return Some(format!("{} {what} at {}", describe(a.0, a.1, multi), fmt(at)));
    }
    if overlap || proper_cross(p, q) {
        let at = match hit {
            LineIntersection::SinglePoint { intersection, .. } => intersection,
            LineIntersection::Collinear { intersection } => intersection.start,
        };
        let how = if overlap { "shares an edge with" } else { "crosses" };
        return Some(format!(
            "{} {how} {} at {}",
            describe(a.0, a.1, multi),
            describe(b.0, b.1, multi),
            fmt(at)
        ));
    }
    None
}

/// Whether a closed ring turns strictly the same way at every vertex (repeated points skipped)
/// and winds once, decided with exact predicates: then it is a convex polygon, which has no
/// self-intersection (a census block usually is one, so the pairwise check is skipped). A
/// direction that only ever turns one way crosses the vertical twice per turn, so winding once
/// is two changes of sign of the edges' x-component; collinear vertices (a spike included) and
/// rings that wind more than once (a pentagram) are left to the full check.
fn strictly_convex(ring: &[Coord<f64>]) -> bool {
    let mut pts = [Coord { x: 0.0, y: 0.0 }; SMALL_RING];
    let mut n = 0;
    for &c in ring {
        if n == 0 || pts[n - 1] != c {
            if n == SMALL_RING {
                return false;
            }
            pts[n] = c;
            n += 1;
        }
    }
    if n > 1 && pts[0] == pts[n - 1] {
        n -= 1;
    }
    if n < 3 {
        return false;
    }
    let turn = RobustKernel::orient2d(pts[0], pts[1], pts[2]);
    if turn == Orientation::Collinear {
        return false;
    }
    let (mut changes, mut last_dx) = (0, 0.0f64);
    for i in 0..n {
        let (p, q, r) = (pts[i], pts[(i + 1) % n], pts[(i + 2) % n]);
        if RobustKernel::orient2d(p, q, r) != turn {
            return false;
        }
        let dx = q.x - p.x;
        if dx != 0.0 {
            if last_dx != 0.0 && (dx > 0.0) != (last_dx > 0.0) {
                changes += 1;
            }
            last_dx = dx;
        }
    }
    // Close the count over the wrap-around (the first edge with a non-zero dx).
    if let Some(first) = (0..n).map(|i| pts[(i + 1) % n].x - pts[i].x).find(|&d| d != 0.0)
        && (first > 0.0) != (last_dx > 0.0)
    {
        changes += 1;
    }
    changes == 2
}

/// Segments of a ring checked pairwise on the stack (a census block has a handful).
const SMALL_RING: usize = 32;

/// The first crossing of one ring of at most `SMALL_RING + 1` points, pair by pair.
fn small_ring_crossing(ring: &[Coord<f64>], multi: bool) -> Option<String> {
    let mut segs = [(Line::new(ring[0], ring[0]), (0u32, 0u32, 0u32)); SMALL_RING];
    let mut k = 0;
    for w in ring.windows(2) {
        if w[0] != w[1] {
            segs[k] = (Line::new(w[0], w[1]), (0, 0, k as u32));
            k += 1;
        }
    }
    let n = k as u32;
    for i in 0..k {
        for j in i + 1..k {
            if let Some(p) = conflict(|_, _| n, multi, segs[i], segs[j]) {
                return Some(p);
            }
        }
    }
    None
}

fn crossing(parts: &[Polygon<f64>], multi: bool) -> Option<String> {
    if let [p] = parts
        && p.interiors().is_empty()
        && p.exterior().0.len() <= SMALL_RING + 1
    {
        // One small ring: convex (no crossing possible), or the same segments and pairs as
        // below, without allocating.
        let ring = &p.exterior().0;
        if strictly_convex(ring) {
            return None;
        }
        return small_ring_crossing(ring, multi);
    }
    let (segs, counts) = segments(parts);
    let counts = |p: u32, r: u32| counts[p as usize][r as usize];
    if segs.len() <= 48 {
        for i in 0..segs.len() {
            for j in i + 1..segs.len() {
                if let Some(p) = conflict(counts, multi, segs[i], segs[j]) {
                    return Some(p);
                }
            }
        }
        return None;
    }
    let mut pairs = touching_pairs(&segs, |i, j| clean_neighbours(&counts, segs[i], segs[j]));
    // Checked in the order a pair-by-pair scan would meet them, so the problem reported is the
    // same whatever the thread count.
    pairs.par_sort_unstable();
    pairs
        .par_iter()
        .find_map_first(|&(i, j)| conflict(counts, multi, segs[i as usize], segs[j as usize]))
}

/// Consecutive segments grouped under one box in [`touching_pairs`]: an R-tree of a ring's
/// segments one by one costs more to walk than the pairs it finds, while a ring's consecutive
/// segments lie close together.
const CHUNK: usize = 8;

/// The box of a segment.
fn seg_box(l: &Line<f64>) -> [f64; 4] {
    [
        l.start.x.min(l.end.x),
        l.start.y.min(l.end.y),
        l.start.x.max(l.end.x),
        l.start.y.max(l.end.y),
    ]
}

fn boxes_meet(a: &[f64; 4], b: &[f64; 4]) -> bool {
    a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]
}

/// Every pair `(i, j)`, `i < j`, of segments whose (closed) boxes meet and that `allowed` does
/// not clear, in no particular order: segments in chunks of [`CHUNK`] consecutive ones, an
/// R-tree of the chunks' boxes joined with itself, and the segments of each pair of meeting
/// chunks compared box by box.
fn touching_pairs(segs: &[Segment], allowed: impl Fn(usize, usize) -> bool + Sync) -> Vec<(u32, u32)> {
    let boxes: Vec<[f64; 4]> = segs.iter().map(|(l, _)| seg_box(l)).collect();
    let range = |c: usize| c * CHUNK..((c + 1) * CHUNK).min(boxes.len());
    let chunk_box = |c: usize| {
        boxes[range(c)].iter().fold(
            [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY],
            |m, b| [m[0].min(b[0]), m[1].min(b[1]), m[2].max(b[2]), m[3].max(b[3])],
        )
    };
    let chunks = boxes.len().div_ceil(CHUNK);
    let chunk_boxes: Vec<[f64; 4]> = (0..chunks).map(chunk_box).collect();
    let tree = RTree::bulk_load(
        chunk_boxes
            .iter()
            .enumerate()
            .map(|(c, b)| GeomWithData::new(Rectangle::from_corners([b[0], b[1]], [b[2], b[3]]), c as u32))
            .collect(),
    );
    let mut chunk_pairs: Vec<(u32, u32)> = tree
        .intersection_candidates_with_other_tree(&tree)
        .filter_map(|(a, b)| (a.data < b.data).then_some((a.data, b.data)))
        .collect();
    chunk_pairs.extend((0..chunks as u32).map(|c| (c, c)));
    chunk_pairs
        .par_iter()
        .fold(Vec::new, |mut out, &(a, b)| {
            let (a, b) = (a as usize, b as usize);
            let mut push = |i: usize, j: usize| {
                if boxes_meet(&boxes[i], &boxes[j]) && !allowed(i, j) {
                    out.push((i as u32, j as u32));
                }
            };
            if a == b {
                for i in range(a) {
                    for j in i + 1..range(a).end {
                        push(i, j);
                    }
                }
            } else {
                // Only the segments of each chunk that meet the other chunk's box can meet
                // one of its segments (usually one or two of each).
                let near = |c: usize, other: usize| {
                    let mut v = [0usize; CHUNK];
                    let mut n = 0;
                    for i in range(c) {
                        if boxes_meet(&boxes[i], &chunk_boxes[other]) {
                            v[n] = i;
                            n += 1;
                        }
                    }
                    (v, n)
                };
                let ((va, na), (vb, nb)) = (near(a, b), near(b, a));
                for &i in &va[..na] {
                    for &j in &vb[..nb] {
                        push(i, j);
                    }
                }
            }
            out
        })
        .reduce(Vec::new, |mut x, mut y| {
            x.append(&mut y);
            x
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, Validation, polygon};

    fn mp(p: Polygon<f64>) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![p])
    }

    fn ring(c: &[(f64, f64)]) -> LineString<f64> {
        LineString::from(c.to_vec())
    }

    #[test]
    fn agrees_with_geo_validation_on_the_classic_cases() {
        let square = ring(&[(0., 0.), (10., 0.), (10., 10.), (0., 10.), (0., 0.)]);
        let cases: Vec<(&str, Polygon<f64>)> = vec![
            ("valid square", Polygon::new(square.clone(), vec![])),
            (
                "valid with hole",
                Polygon::new(
                    square.clone(),
                    vec![ring(&[(2., 2.), (4., 2.), (4., 4.), (2., 4.), (2., 2.)])],
                ),
            ),
            (
                "hole touching shell at a point",
                Polygon::new(
                    square.clone(),
                    vec![ring(&[(0., 5.), (4., 2.), (4., 8.), (0., 5.)])],
                ),
            ),
            (
                "bow-tie",
                polygon![(x: 0., y: 0.), (x: 0., y: 10.), (x: 10., y: 0.), (x: 10., y: 10.)],
            ),
            (
                "spike",
                Polygon::new(
                    ring(&[
                        (0., 0.),
                        (10., 0.),
                        (15., 5.),
                        (10., 0.),
                        (10., 10.),
                        (0., 10.),
                        (0., 0.),
                    ]),
                    vec![],
                ),
            ),
            (
                "hole outside",
                Polygon::new(
                    square.clone(),
                    vec![ring(&[(20., 20.), (24., 20.), (24., 24.), (20., 20.)])],
                ),
            ),
            (
                "hole crossing shell",
                Polygon::new(
                    square.clone(),
                    vec![ring(&[(8., 2.), (12., 2.), (12., 4.), (8., 4.), (8., 2.)])],
                ),
            ),
            (
                "too few points",
                Polygon::new(ring(&[(0., 0.), (1., 1.), (0., 0.)]), vec![]),
            ),
            (
                "hole inside hole",
                Polygon::new(
                    square.clone(),
                    vec![
                        ring(&[(1., 1.), (9., 1.), (9., 9.), (1., 9.), (1., 1.)]),
                        ring(&[(2., 2.), (4., 2.), (4., 4.), (2., 2.)]),
                    ],
                ),
            ),
        ];
        for (name, p) in cases {
            let ours = polygon_problem(&mp(p.clone()));
            assert_eq!(
                ours.is_none(),
                p.is_valid(),
                "{name}: ours {ours:?}, geo {:?}",
                p.validation_errors()
            );
        }
    }

    #[test]
    fn repeated_vertices_do_not_make_neighbours_look_apart() {
        // Real layers (Bogotá's localidades) repeat vertices; the segments around a repeat are
        // still neighbours.
        let p = Polygon::new(
            ring(&[
                (0., 0.),
                (10., 0.),
                (10., 0.),
                (10., 10.),
                (0., 10.),
                (0., 10.),
                (0., 0.),
            ]),
            vec![],
        );
        assert!(p.is_valid());
        assert_eq!(polygon_problem(&mp(p)), None);
    }

    #[test]
    fn multipolygon_components_must_not_overlap() {
        let a = polygon![(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.)];
        let b = polygon![(x: 5., y: 5.), (x: 15., y: 5.), (x: 15., y: 15.), (x: 5., y: 15.)];
        let c = polygon![(x: 2., y: 2.), (x: 3., y: 2.), (x: 3., y: 3.), (x: 2., y: 3.)];
        let d = polygon![(x: 20., y: 0.), (x: 30., y: 0.), (x: 30., y: 10.), (x: 20., y: 10.)];
        assert!(polygon_problem(&MultiPolygon::new(vec![a.clone(), d])).is_none());
        assert!(
            polygon_problem(&MultiPolygon::new(vec![a.clone(), b]))
                .unwrap()
                .contains("crosses")
        );
        assert!(
            polygon_problem(&MultiPolygon::new(vec![a, c]))
                .unwrap()
                .contains("overlap")
        );
    }

    #[test]
    fn the_convex_shortcut_only_passes_rings_the_pairwise_check_passes() {
        // Random rings of 3 to 8 points (most self-intersect), jittered quads (convex), a
        // pentagram, a ring with a spike and one with collinear vertices.
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut rings: Vec<Vec<Coord<f64>>> = Vec::new();
        for k in 0..3000 {
            let (x0, y0) = (4_880_000.0 + 1000.0 * next(), 2_070_000.0 + 1000.0 * next());
            let pts: Vec<Coord<f64>> = if k % 2 == 0 {
                (0..3 + k % 6)
                    .map(|_| Coord {
                        x: x0 + 100.0 * next(),
                        y: y0 + 100.0 * next(),
                    })
                    .collect()
            } else {
                let mut j = |v: f64| v + 30.0 * (next() - 0.5);
                let mut q = vec![
                    Coord { x: j(x0), y: j(y0) },
                    Coord {
                        x: j(x0 + 100.0),
                        y: j(y0),
                    },
                    Coord {
                        x: j(x0 + 100.0),
                        y: j(y0 + 100.0),
                    },
                    Coord {
                        x: j(x0),
                        y: j(y0 + 100.0),
                    },
                ];
                if k % 4 == 1 {
                    q.reverse();
                }
                q
            };
            rings.push(pts);
        }
        let star: Vec<Coord<f64>> = (0..5)
            .map(|i| {
                let t = std::f64::consts::TAU * f64::from(i * 2 % 5) / 5.0;
                Coord {
                    x: t.cos(),
                    y: t.sin(),
                }
            })
            .collect();
        rings.push(star);
        rings.push(vec![
            (0., 0.).into(),
            (10., 0.).into(),
            (15., 0.).into(),
            (10., 0.).into(),
            (10., 10.).into(),
        ]);
        rings.push(vec![
            (0., 0.).into(),
            (5., 0.).into(),
            (10., 0.).into(),
            (10., 10.).into(),
            (0., 10.).into(),
        ]);
        let (mut convex, mut crossing) = (0, 0);
        for mut r in rings {
            r.push(r[0]);
            let fast = strictly_convex(&r);
            let pairwise = small_ring_crossing(&r, false);
            assert!(!fast || pairwise.is_none(), "{r:?}: convex but {pairwise:?}");
            let p = Polygon::new(LineString::from(r.clone()), vec![]);
            assert_eq!(polygon_problem(&mp(p.clone())).is_none(), p.is_valid(), "{r:?}");
            convex += usize::from(fast);
            crossing += usize::from(pairwise.is_some());
        }
        // Every jittered quad is convex; many random rings cross.
        assert!(convex >= 1500, "{convex}");
        assert!(crossing > 500, "{crossing}");
    }

    #[test]
    fn a_large_ring_uses_the_tree_and_finds_its_crossing() {
        // A 400-gon approximating a circle, with two vertices swapped to make a crossing.
        let n = 400;
        let mut pts: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let t = i as f64 / n as f64 * std::f64::consts::TAU;
                (100.0 * t.cos(), 100.0 * t.sin())
            })
            .collect();
        let ok = Polygon::new(ring(&[pts.clone(), vec![pts[0]]].concat()), vec![]);
        assert!(polygon_problem(&mp(ok)).is_none());
        pts.swap(100, 101);
        let bad = Polygon::new(ring(&[pts.clone(), vec![pts[0]]].concat()), vec![]);
        assert!(polygon_problem(&mp(bad)).unwrap().contains("self-intersects"));
    }

    /// A deterministic xorshift in [0, 1).
    fn rng(seed: &mut u64) -> f64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A star-shaped ring of `n` vertices with a noisy radius, on a 1/8 m grid so that
    /// coordinates repeat and edges are often horizontal or vertical.
    fn noisy_ring(n: usize, r: f64, seed: &mut u64, clockwise: bool) -> LineString<f64> {
        let mut pts: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let t = i as f64 / n as f64 * std::f64::consts::TAU;
                let rr = r * (0.8 + 0.2 * rng(seed));
                (
                    (rr * t.cos() * 8.0).round() / 8.0,
                    (rr * t.sin() * 8.0).round() / 8.0,
                )
            })
            .collect();
        pts.dedup();
        if clockwise {
            pts.reverse();
        }
        pts.push(pts[0]);
        ring(&pts)
    }

    #[test]
    fn the_indexed_locator_answers_as_geo_does() {
        let mut seed = 0x1234_5678_9ABC_DEF1u64;
        for clockwise in [false, true] {
            let r = noisy_ring(2000, 100.0, &mut seed, clockwise);
            let located = Locator::new(&r);
            assert!(matches!(located, Locator::Indexed { .. }));
            // Random points, the vertices, edge midpoints and points level with vertices.
            let mut probes: Vec<Coord<f64>> = (0..3000)
                .map(|_| Coord {
                    x: ((rng(&mut seed) * 260.0 - 130.0) * 8.0).round() / 8.0,
                    y: ((rng(&mut seed) * 260.0 - 130.0) * 8.0).round() / 8.0,
                })
                .collect();
            for w in r.0.windows(2) {
                probes.push(w[0]);
                probes.push(Coord {
                    x: (w[0].x + w[1].x) / 2.0,
                    y: (w[0].y + w[1].y) / 2.0,
                });
                probes.push(Coord {
                    x: w[0].x - 3.0,
                    y: w[0].y,
                });
            }
            let mut seen = [0; 3];
            for c in probes {
                let want = coord_pos_relative_to_ring(c, &r);
                assert_eq!(located.position(c), want, "at {c:?}");
                seen[want as usize] += 1;
            }
            assert!(seen.iter().all(|&k| k > 100), "{seen:?}");
        }
    }

    #[test]
    fn many_holes_and_parts_give_the_first_problem_as_before() {
        // A shell with 10 × 10 holes; then one hole moved inside another, one outside.
        let square = |x: f64, y: f64, s: f64| ring(&[(x, y), (x, y + s), (x + s, y + s), (x + s, y), (x, y)]);
        let shell = ring(&[(0., 0.), (100., 0.), (100., 100.), (0., 100.), (0., 0.)]);
        let mut holes: Vec<LineString<f64>> = (0..100)
            .map(|k| {
                square(
                    2.0 + 10.0 * f64::from(k % 10),
                    2.0 + 10.0 * f64::from(k / 10),
                    5.0,
                )
            })
            .collect();
        assert!(parts_problem(&[Polygon::new(shell.clone(), holes.clone())]).is_none());
        holes[57] = square(53.0, 73.0, 1.0);
        assert_eq!(
            parts_problem(&[Polygon::new(shell.clone(), holes.clone())]).unwrap(),
            "interior ring 57 lies inside interior ring 75"
        );
        holes[90] = square(200.0, 200.0, 1.0);
        assert_eq!(
            parts_problem(&[Polygon::new(shell.clone(), holes)]).unwrap(),
            "interior ring 57 lies inside interior ring 75"
        );
        // 30 parts in a row; then part 20 inside the hole-free part 3 (of 2000 vertices).
        let mut seed = 7u64;
        let mut parts: Vec<Polygon<f64>> = (0..30)
            .map(|k| Polygon::new(square(300.0 * f64::from(k), 0.0, 10.0), vec![]))
            .collect();
        parts[3] = Polygon::new(
            LineString::from(
                noisy_ring(2000, 100.0, &mut seed, false)
                    .0
                    .iter()
                    .map(|c| (c.x + 900.0, c.y))
                    .collect::<Vec<_>>(),
            ),
            vec![],
        );
        assert!(parts_problem(&parts).is_none());
        parts[20] = Polygon::new(square(895.0, -5.0, 10.0), vec![]);
        assert_eq!(
            parts_problem(&parts).unwrap(),
            "polygons 20 and 3 of the multipolygon overlap"
        );
    }

    #[test]
    fn touching_pairs_are_exactly_the_pairs_whose_boxes_meet() {
        let mut seed = 0x5eed_u64;
        for (n, r) in [(60, 50.0), (500, 200.0), (3000, 40.0)] {
            let p = Polygon::new(
                noisy_ring(n, r, &mut seed, false),
                vec![noisy_ring(n / 3, r / 4.0, &mut seed, true)],
            );
            let (segs, _) = segments(std::slice::from_ref(&p));
            let skip = |i: usize, j: usize| (i + j).is_multiple_of(7);
            let mut got = touching_pairs(&segs, skip);
            got.sort_unstable();
            let mut want = Vec::new();
            for i in 0..segs.len() {
                for j in i + 1..segs.len() {
                    if boxes_meet(&seg_box(&segs[i].0), &seg_box(&segs[j].0)) && !skip(i, j) {
                        want.push((i as u32, j as u32));
                    }
                }
            }
            assert_eq!(got, want, "{n} vertices");
        }
    }
}
