//! The area of the intersection of two polygons, exactly and cheaply: both cut down to the box
//! their bounding boxes share, a convex source clipped against the target's rings by its
//! half-planes, a small one triangulated, and polygons of many vertices cut into [`Pieces`]
//! so that only the pieces a boundary reaches are clipped; geo's general overlay otherwise.

use geo::algorithm::kernels::{Kernel, Orientation, RobustKernel};
use geo::{Area, BooleanOps, Coord, LineString, MultiPolygon, Polygon, Rect, TriangulateEarcut};
use rstar::RTree;
use rstar::primitives::Rectangle;

use super::boxes::{Boxed, aabb, parts_rect, shared_box};

/// The unsigned area of polygons (as geo computes a multipolygon's: the sum in order).
pub fn parts_area(parts: &[Polygon<f64>]) -> f64 {
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
    let (pa, pb) = (Pieces::of_large(&a.0), Pieces::of_large(&b.0));
    side_intersection_area(&Side::of(&pa, &a.0, ra), &Side::of(&pb, &b.0, rb))
}

/// Polygons with more vertices than this (all rings of all parts) are cut into [`Pieces`]
/// before they are intersected: clipping the whole of such a polygon for every polygon it
/// meets would cost its vertex count each time. Above the largest district of the bundled
/// data (16,053 vertices), so their results are those of the plain path.
pub(crate) const LARGE: usize = 1 << 15;

/// Most vertices in one piece (unless [`MAX_DEPTH`] is reached first).
const LEAF: usize = 512;

/// Most halvings of a piece's box.
const MAX_DEPTH: u32 = 24;

/// The convex clip costs (clip vertices × clipped vertices): it is used when either side has at
/// most this many vertices, otherwise the overlay (near-linear) is.
const SMALL_CLIP: usize = 32;

/// Most (clip vertices × clipped vertices) for which the convex clip is used whatever the sizes:
/// above every pair of the bundled data (convex zones of up to 133 vertices against districts of
/// up to 16,053), so their results are those the convex clip has always given, and a few
/// milliseconds at most.
const CONVEX_WORK: usize = 1 << 22;

/// Whether the convex clip of `clip` vertices against `clipped` vertices is cheap enough: one
/// side small (then it is linear in the other), or the product bounded.
fn convex_clip_is_cheap(clip: usize, clipped: usize) -> bool {
    clip <= SMALL_CLIP || clipped <= SMALL_CLIP || clip.saturating_mul(clipped) <= CONVEX_WORK
}

/// The number of vertices of polygons (every ring, closing points included).
pub(crate) fn vertex_count(parts: &[Polygon<f64>]) -> usize {
    parts
        .iter()
        .map(|p| p.exterior().0.len() + p.interiors().iter().map(|h| h.0.len()).sum::<usize>())
        .sum()
}

/// One piece of a [`Pieces`]: polygons and their bounding box.
type Piece = (Vec<Polygon<f64>>, Rect<f64>);

/// A large polygon cut by a quadtree into pieces of at most [`LEAF`] vertices: each piece is
/// the polygon clipped (Sutherland–Hodgman) to one cell, and the cells tile the polygon's box,
/// so the area of its intersection with anything is the sum over the pieces.
pub(crate) struct Pieces {
    pub(super) pieces: Vec<Piece>,
    pub(super) tree: RTree<Boxed>,
    pub(super) rect: Rect<f64>,
}

impl Pieces {
    /// The pieces of `parts` if they have more than [`LARGE`] vertices.
    pub(crate) fn of_large(parts: &[Polygon<f64>]) -> Option<Pieces> {
        if vertex_count(parts) > LARGE {
            Pieces::new(parts, LEAF)
        } else {
            None
        }
    }

    /// The pieces of `parts` with at most `leaf` vertices each; `None` without a bounding box.
    pub(crate) fn new(parts: &[Polygon<f64>], leaf: usize) -> Option<Pieces> {
        let rect = parts_rect(parts)?;
        let mut pieces = Vec::new();
        split(parts.to_vec(), rect, leaf, 0, &mut pieces);
        let tree = RTree::bulk_load(
            pieces
                .iter()
                .enumerate()
                .map(|(i, (_, r))| Boxed::new(Rectangle::from_aabb(aabb(r)), i as u32))
                .collect(),
        );
        Some(Pieces { pieces, tree, rect })
    }

    /// Indices of the pieces whose box meets `rect`, in increasing order.
    pub(super) fn meeting(&self, rect: &Rect<f64>) -> Vec<u32> {
        let mut c: Vec<u32> = self
            .tree
            .locate_in_envelope_intersecting(&aabb(rect))
            .map(|b| b.data)
            .collect();
        c.sort_unstable();
        c
    }
}

/// Cuts `parts` (within `rect`) into the four quadrants of `rect` until a piece has at most
/// `leaf` vertices, appending the pieces with their bounding boxes.
///
/// A piece also stops when at most `leaf / 4` of its vertices lie strictly inside its box: the
/// others are made by the clipping and lie on the box's sides (a hole's edge running along a
/// cell, say), and every halving would make as many again, so splitting such a piece would
/// multiply pieces without shrinking them.
fn split(parts: Vec<Polygon<f64>>, rect: Rect<f64>, leaf: usize, depth: u32, out: &mut Vec<Piece>) {
    if vertex_count(&parts) <= leaf || depth >= MAX_DEPTH || inside_count(&parts, &rect) <= leaf / 4 {
        if let Some(r) = parts_rect(&parts) {
            out.push((parts, r));
        }
        return;
    }
    // The four quadrants of `rect`, as halves of halves: the parts already lie in `rect`, so
    // each quadrant needs only the two cuts through its centre (bottom-left, bottom-right,
    // top-left, top-right).
    let mid = rect.center();
    for half in [
        clip_half(&parts, Axis::Y, mid.y, false),
        clip_half(&parts, Axis::Y, mid.y, true),
    ] {
        for quadrant in [
            clip_half(&half, Axis::X, mid.x, false),
            clip_half(&half, Axis::X, mid.x, true),
        ] {
            if let Some(r) = parts_rect(&quadrant) {
                split(quadrant, r, leaf, depth + 1, out);
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Axis {
    X,
    Y,
}

/// Sutherland–Hodgman clipping of every ring to one side of the line `axis = v`: the side
/// below it, or above it if `above` (points on the line kept on both). A polygon whose exterior
/// keeps fewer than three points is dropped, and so is such a hole.
fn clip_half(parts: &[Polygon<f64>], axis: Axis, v: f64, above: bool) -> Vec<Polygon<f64>> {
    let ring = |ring: &LineString<f64>| -> Option<LineString<f64>> {
        let mut pts: &[Coord<f64>] = &ring.0;
        if pts.len() > 1 && pts.first() == pts.last() {
            pts = &pts[..pts.len() - 1];
        }
        let at = |c: &Coord<f64>| match axis {
            Axis::X => c.x,
            Axis::Y => c.y,
        };
        let inside = |c: &Coord<f64>| if above { at(c) >= v } else { at(c) <= v };
        if pts.iter().all(inside) {
            return (pts.len() >= 3).then(|| ring.clone());
        }
        let cut = |a: &Coord<f64>, b: &Coord<f64>| match axis {
            Axis::X => Coord {
                x: v,
                y: a.y + (v - a.x) / (b.x - a.x) * (b.y - a.y),
            },
            Axis::Y => Coord {
                x: a.x + (v - a.y) / (b.y - a.y) * (b.x - a.x),
                y: v,
            },
        };
        let mut out = Vec::with_capacity(pts.len() / 2 + 4);
        let mut prev = pts.last()?;
        let mut prev_in = inside(prev);
        for cur in pts {
            let cur_in = inside(cur);
            if cur_in != prev_in {
                out.push(cut(prev, cur));
            }
            if cur_in {
                out.push(*cur);
            }
            prev = cur;
            prev_in = cur_in;
        }
        (out.len() >= 3).then(|| LineString::from(out))
    };
    parts
        .iter()
        .filter_map(|p| {
            let ext = ring(p.exterior())?;
            Some(Polygon::new(ext, p.interiors().iter().filter_map(ring).collect()))
        })
        .collect()
}

/// The number of vertices of `parts` strictly inside `rect` (closing points not counted).
fn inside_count(parts: &[Polygon<f64>], rect: &Rect<f64>) -> usize {
    let (min, max) = (rect.min(), rect.max());
    let inside = |ring: &LineString<f64>| {
        let n = ring.0.len().saturating_sub(1);
        ring.0[..n]
            .iter()
            .filter(|c| c.x > min.x && c.x < max.x && c.y > min.y && c.y < max.y)
            .count()
    };
    parts
        .iter()
        .map(|p| inside(p.exterior()) + p.interiors().iter().map(inside).sum::<usize>())
        .sum()
}

/// One side of an intersection: a polygon as it is, or cut into pieces.
pub(super) enum Side<'a> {
    Whole(&'a [Polygon<f64>], Rect<f64>),
    Cut(&'a Pieces),
}

impl<'a> Side<'a> {
    /// The pieces if there are any, else the whole polygons.
    pub(super) fn of(pieces: &'a Option<Pieces>, whole: &'a [Polygon<f64>], rect: &Rect<f64>) -> Side<'a> {
        match pieces {
            Some(p) => Side::Cut(p),
            None => Side::Whole(whole, *rect),
        }
    }

    pub(super) fn rect(&self) -> Rect<f64> {
        match self {
            Side::Whole(_, r) => *r,
            Side::Cut(p) => p.rect,
        }
    }

    /// The polygons and boxes of this side that meet `window`, in a fixed order.
    pub(super) fn chunks(&self, window: &Rect<f64>) -> Vec<(&'a [Polygon<f64>], Rect<f64>)> {
        match self {
            Side::Whole(p, r) => vec![(*p, *r)],
            Side::Cut(p) => {
                let p: &'a Pieces = p;
                p.meeting(window)
                    .into_iter()
                    .map(|i| {
                        let (polys, r) = &p.pieces[i as usize];
                        (polys.as_slice(), *r)
                    })
                    .collect()
            }
        }
    }
}

/// Area of `a ∩ b`: of the whole polygons when neither is cut, otherwise the sum over the pairs
/// of pieces whose boxes meet (pieces tile their polygon, so the sum is the area).
pub(super) fn side_intersection_area(a: &Side<'_>, b: &Side<'_>) -> f64 {
    if let (Side::Whole(pa, ra), Side::Whole(pb, rb)) = (a, b) {
        return parts_intersection_area(pa, ra, pb, rb);
    }
    let rb = b.rect();
    let mut total = 0.0;
    for (pa, ra) in a.chunks(&rb) {
        for (pb, rb) in b.chunks(&ra) {
            total += piece_intersection_area(pa, &ra, pb, &rb);
        }
    }
    total
}

/// Most vertices of a polygon that [`piece_intersection_area`] triangulates.
const TRIANGULATED: usize = 64;

/// [`parts_intersection_area`] where one side is a piece of a large polygon (so never on a
/// polygon of [`LARGE`] vertices or fewer): when either side has at most [`TRIANGULATED`]
/// vertices, it is cut into triangles and the other side clipped by each (convex) triangle,
/// which costs (triangles × the other's vertices) instead of a general overlay of hundreds of
/// vertices; a small census unit that meets a detailed coastline's boundary meets thousands
/// of its vertices.
pub(super) fn piece_intersection_area(
    a: &[Polygon<f64>],
    ra: &Rect<f64>,
    b: &[Polygon<f64>],
    rb: &Rect<f64>,
) -> f64 {
    let Some(bx) = shared_box(ra, rb) else {
        return 0.0;
    };
    let (small, big) = if vertex_count(a) <= vertex_count(b) {
        (a, b)
    } else {
        (b, a)
    };
    if vertex_count(small) <= TRIANGULATED {
        let cb = clip_to_rect(big, &bx);
        if cb.0.is_empty() {
            return 0.0;
        }
        if let Some(area) = triangulated_clip_area(small, &cb.0) {
            return area;
        }
    }
    parts_intersection_area(a, ra, b, rb)
}

/// Area of `small ∩ other`: the sum over the triangles of `small` (ear cutting) of the convex
/// clip of `other` by each. `None` if the triangles' areas do not add up to `small`'s (a
/// triangulation that failed on a degenerate ring), for the caller to fall back on the overlay.
fn triangulated_clip_area(small: &[Polygon<f64>], other: &[Polygon<f64>]) -> Option<f64> {
    let (mut total, mut covered) = (0.0, 0.0);
    for p in small {
        for t in p.earcut_triangles_iter() {
            let [p0, p1, p2] = [t.v1(), t.v2(), t.v3()];
            let tri = match RobustKernel::orient2d(p0, p1, p2) {
                Orientation::Collinear => continue,
                Orientation::CounterClockwise => [p0, p1, p2],
                Orientation::Clockwise => [p0, p2, p1],
            };
            covered += t.unsigned_area();
            total += convex_clip_area(other, &tri);
        }
    }
    let area = parts_area(small);
    ((covered - area).abs() <= 1e-9 * area.max(f64::MIN_POSITIVE)).then_some(total)
}

/// [`intersection_area`] of the polygons `a`.
fn parts_intersection_area(a: &[Polygon<f64>], ra: &Rect<f64>, b: &[Polygon<f64>], rb: &Rect<f64>) -> f64 {
    let Some(bx) = shared_box(ra, rb) else {
        return 0.0;
    };
    let cb = clip_to_rect(b, &bx);
    if let [p] = a
        && p.interiors().is_empty()
        && let Some(clip) = convex_ring(p.exterior())
    {
        // A convex polygon of many vertices is first cut to the shared box (still convex), so
        // that only its vertices near `b` become half-planes.
        let clip = if clip.len() > BOXED_CONVEX {
            match convex_in_box(&clip, &bx) {
                Some(c) => c,
                None => return 0.0,
            }
        } else {
            clip
        };
        if convex_clip_is_cheap(clip.len(), vertex_count(&cb.0)) {
            return convex_clip_area(&cb.0, &clip);
        }
    }
    let ca = clip_to_rect(a, &bx);
    if ca.0.is_empty() || cb.0.is_empty() {
        return 0.0;
    }
    ca.intersection(&cb).unsigned_area()
}

/// Convex clip rings with more vertices than this are cut to the shared box before clipping:
/// above the convex units of the bundled data (133 vertices at most), whose results are
/// those the uncut ring gives.
const BOXED_CONVEX: usize = 256;

/// The convex ring `clip` (counter-clockwise, no closing point) cut to the box `r`: convex and
/// counter-clockwise, without repeated points; `None` if less than a triangle is left.
fn convex_in_box(clip: &[Coord<f64>], r: &Rect<f64>) -> Option<Vec<Coord<f64>>> {
    let mut ring = clip.to_vec();
    ring.push(clip[0]);
    let pts = distinct_open(&clip_ring(&LineString::new(ring), r)?.0);
    (pts.len() >= 3).then_some(pts)
}

/// The points of a ring without repeated consecutive points and without the closing point.
fn distinct_open(ring: &[Coord<f64>]) -> Vec<Coord<f64>> {
    let mut pts: Vec<Coord<f64>> = Vec::with_capacity(ring.len());
    for &c in ring {
        if pts.last() != Some(&c) {
            pts.push(c);
        }
    }
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    pts
}

/// The vertices of a convex ring in counter-clockwise order without the closing repeat and
/// without repeated points, or `None` if the ring is not convex. Orientation is decided with
/// exact predicates, so a ring with a reflex vertex is never taken for convex (collinear
/// vertices are allowed). A ring that turns the same way at every vertex but winds more than
/// once (a pentagram) is refused by counting the changes of direction along x, and so is a ring
/// that turns back on itself at a collinear vertex.
fn convex_ring(ring: &LineString<f64>) -> Option<Vec<Coord<f64>>> {
    let mut pts = distinct_open(&ring.0);
    let n = pts.len();
    if n < 3 {
        return None;
    }
    let mut turn = Orientation::Collinear;
    let mut x_changes = 0;
    let mut last_dx = 0.0f64;
    for i in 0..n {
        let (p, q, r) = (pts[i], pts[(i + 1) % n], pts[(i + 2) % n]);
        match RobustKernel::orient2d(p, q, r) {
            // A collinear vertex where the ring turns back (a spike, or the zero-width bridge
            // of a clipped ring) would give opposite half-planes: not convex.
            Orientation::Collinear if (q.x - p.x) * (r.x - q.x) + (q.y - p.y) * (r.y - q.y) < 0.0 => {
                return None;
            }
            Orientation::Collinear => {}
            o if turn == Orientation::Collinear => turn = o,
            o if o != turn => return None,
            _ => {}
        }
        let dx = q.x - p.x;
        if dx != 0.0 {
            if last_dx != 0.0 && (dx > 0.0) != (last_dx > 0.0) {
                x_changes += 1;
            }
            last_dx = dx;
        }
    }
    // Close the count over the wrap-around (the first edge with a non-zero dx).
    if let Some(first) = (0..n).map(|i| pts[(i + 1) % n].x - pts[i].x).find(|&d| d != 0.0)
        && (first > 0.0) != (last_dx > 0.0)
    {
        x_changes += 1;
    }
    match turn {
        Orientation::Collinear => None,
        _ if x_changes > 2 => None,
        Orientation::Clockwise => {
            pts.reverse();
            Some(pts)
        }
        Orientation::CounterClockwise => Some(pts),
    }
}

/// Area of `polygons ∩ clip`, `clip` a convex ring in counter-clockwise order: each ring of the
/// polygons is clipped by the half-planes of `clip`'s edges (Sutherland–Hodgman). The clipped
/// ring of a simple ring may have zero-width bridges along `clip`'s sides, but its shoelace area
/// is exactly the area of the ring's interior inside `clip` (cutting off what lies beyond a
/// half-plane keeps the winding number of every point inside it), so the result is the
/// exteriors' areas minus the holes', for any (convex or not) polygons. Computed relative to
/// `clip`'s first vertex, for precision at projected coordinates of millions of metres.
fn convex_clip_area(polygons: &[Polygon<f64>], clip: &[Coord<f64>]) -> f64 {
    let origin = clip[0];
    let local: Vec<Coord<f64>> = clip.iter().map(|&c| c - origin).collect();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let mut total = 0.0;
    for p in polygons {
        let mut part = ring_clip_area(p.exterior(), origin, &local, &mut a, &mut b);
        for h in p.interiors() {
            part -= ring_clip_area(h, origin, &local, &mut a, &mut b);
        }
        total += part.max(0.0);
    }
    total
}

/// |area| of one ring clipped by the convex ring `clip` (both relative to `origin`).
fn ring_clip_area(
    ring: &LineString<f64>,
    origin: Coord<f64>,
    clip: &[Coord<f64>],
    a: &mut Vec<Coord<f64>>,
    b: &mut Vec<Coord<f64>>,
) -> f64 {
    a.clear();
    a.extend(ring.0.iter().map(|&c| c - origin));
    if a.len() > 1 && a.first() == a.last() {
        a.pop();
    }
    for (k, &p) in clip.iter().enumerate() {
        if a.len() < 3 {
            return 0.0;
        }
        let q = clip[(k + 1) % clip.len()];
        let (ex, ey) = (q.x - p.x, q.y - p.y);
        let side = |c: Coord<f64>| ex * (c.y - p.y) - ey * (c.x - p.x);
        b.clear();
        let mut prev = a[a.len() - 1];
        let mut sp = side(prev);
        for &cur in a.iter() {
            let sc = side(cur);
            if (sc >= 0.0) != (sp >= 0.0) {
                let t = sp / (sp - sc);
                b.push(Coord {
                    x: prev.x + t * (cur.x - prev.x),
                    y: prev.y + t * (cur.y - prev.y),
                });
            }
            if sc >= 0.0 {
                b.push(cur);
            }
            prev = cur;
            sp = sc;
        }
        std::mem::swap(a, b);
    }
    if a.len() < 3 {
        return 0.0;
    }
    let mut twice = 0.0;
    let mut prev = a[a.len() - 1];
    for &cur in a.iter() {
        twice += prev.x * cur.y - cur.x * prev.y;
        prev = cur;
    }
    (twice / 2.0).abs()
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
pub(super) mod tests {
    use super::*;
    use geo::{BoundingRect, polygon};

    pub(crate) fn mp(p: Polygon<f64>) -> MultiPolygon<f64> {
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

    /// A small deterministic generator (xorshift), so the test needs no crate.
    pub(crate) fn rng(seed: &mut u64) -> f64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn convex_clipping_equals_the_overlay_for_jittered_quads_and_triangles() {
        // A concave district with a hole, at projected-coordinate magnitudes.
        let (x0, y0) = (4_880_000.0, 2_070_000.0);
        let shift = |v: Vec<(f64, f64)>| {
            LineString::from(v.into_iter().map(|(x, y)| (x0 + x, y0 + y)).collect::<Vec<_>>())
        };
        let district = mp(Polygon::new(
            shift(vec![
                (0., 0.),
                (300., 0.),
                (300., 300.),
                (200., 300.),
                (200., 100.),
                (100., 100.),
                (100., 300.),
                (0., 300.),
                (0., 0.),
            ]),
            vec![shift(vec![
                (20., 20.),
                (60., 20.),
                (60., 60.),
                (20., 60.),
                (20., 20.),
            ])],
        ));
        let rd = district.bounding_rect().unwrap();
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut convex = 0;
        for k in 0..400 {
            let (cx, cy) = (
                x0 - 20.0 + 340.0 * rng(&mut seed),
                y0 - 20.0 + 340.0 * rng(&mut seed),
            );
            let s = 25.0;
            let mut j = |v: f64| v + s * 0.4 * (rng(&mut seed) - 0.5);
            let mut ring = vec![(j(cx), j(cy)), (j(cx + s), j(cy)), (j(cx + s), j(cy + s))];
            if k % 3 != 0 {
                ring.push((j(cx), j(cy + s)));
            }
            if k % 2 == 0 {
                ring.reverse();
            }
            ring.push(ring[0]);
            let unit = mp(Polygon::new(LineString::from(ring), vec![]));
            convex += usize::from(convex_ring(unit.0[0].exterior()).is_some());
            let ru = unit.bounding_rect().unwrap();
            // The reference: geo's overlay of both cut down to their shared box (the general
            // path). The overlay snaps to an integer grid over the pair's box, so it is only
            // good to about 1e-9 of a unit's area; over the whole district it would be worse.
            let expected = shared_box(&ru, &rd).map_or(0.0, |bx| {
                clip_to_rect(&unit.0, &bx)
                    .intersection(&clip_to_rect(&district.0, &bx))
                    .unsigned_area()
            });
            let got = intersection_area(&unit, &ru, &district, &rd);
            assert!(
                (got - expected).abs() <= 1e-8 * unit.unsigned_area(),
                "unit {k}: {got} vs {expected}"
            );
        }
        assert_eq!(convex, 400, "every jittered quad and triangle here is convex");
    }

    #[test]
    fn convexity_is_decided_exactly() {
        let ring = |v: Vec<(f64, f64)>| LineString::from(v);
        // counter-clockwise, clockwise (reversed), repeated and collinear points: convex
        let ccw = convex_ring(&ring(vec![(0., 0.), (2., 0.), (2., 2.), (0., 2.), (0., 0.)])).unwrap();
        assert_eq!(ccw.len(), 4);
        let cw = convex_ring(&ring(vec![(0., 0.), (0., 2.), (2., 2.), (2., 0.), (0., 0.)])).unwrap();
        assert_eq!(
            cw,
            vec![
                Coord { x: 2., y: 0. },
                Coord { x: 2., y: 2. },
                Coord { x: 0., y: 2. },
                Coord { x: 0., y: 0. }
            ]
        );
        assert!(
            convex_ring(&ring(vec![
                (0., 0.),
                (1., 0.),
                (1., 0.),
                (2., 0.),
                (2., 2.),
                (0., 2.),
                (0., 0.)
            ]))
            .is_some()
        );
        // a reflex vertex, however shallow; a pentagram; a degenerate ring
        assert!(
            convex_ring(&ring(vec![
                (0., 0.),
                (1., 1e-9),
                (2., 0.),
                (2., 2.),
                (0., 2.),
                (0., 0.)
            ]))
            .is_none()
        );
        let star: Vec<(f64, f64)> = (0..=5)
            .map(|i| {
                let t = std::f64::consts::PI * 2.0 * f64::from(i * 2 % 5) / 5.0;
                (t.cos(), t.sin())
            })
            .collect();
        assert!(convex_ring(&ring(star)).is_none());
        assert!(convex_ring(&ring(vec![(0., 0.), (1., 0.), (2., 0.), (0., 0.)])).is_none());
    }

    /// A star with `tips` tips and a noisy radius: concave at every other vertex.
    pub(crate) fn noisy_star(cx: f64, cy: f64, r: f64, tips: usize, seed: &mut u64) -> Polygon<f64> {
        let n = 2 * tips;
        let pts: Vec<(f64, f64)> = (0..=n)
            .map(|k| {
                let k = k % n;
                let t = std::f64::consts::PI * 2.0 * k as f64 / n as f64;
                let rr = r * if k.is_multiple_of(2) { 1.0 } else { 0.55 } * (0.9 + 0.2 * rng(seed));
                (cx + rr * t.cos(), cy + rr * t.sin())
            })
            .collect();
        Polygon::new(LineString::from(pts), vec![])
    }

    /// A square with a square hole (clockwise) in its middle.
    pub(crate) fn holed_square(cx: f64, cy: f64, r: f64) -> Polygon<f64> {
        let sq = |h: f64, ccw: bool| {
            let mut v = vec![
                (cx - h, cy - h),
                (cx + h, cy - h),
                (cx + h, cy + h),
                (cx - h, cy + h),
            ];
            if !ccw {
                v.reverse();
            }
            v.push(v[0]);
            LineString::from(v)
        };
        Polygon::new(sq(r, true), vec![sq(r / 3.0, false)])
    }

    pub(crate) fn perimeter(ring: &LineString<f64>) -> f64 {
        ring.lines().map(|l| l.dx().hypot(l.dy())).sum()
    }

    /// The reference: geo's overlay of both cut to their shared box.
    pub(crate) fn overlay_area(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> f64 {
        let (ra, rb) = (a.bounding_rect().unwrap(), b.bounding_rect().unwrap());
        shared_box(&ra, &rb).map_or(0.0, |bx| {
            clip_to_rect(&a.0, &bx)
                .intersection(&clip_to_rect(&b.0, &bx))
                .unsigned_area()
        })
    }

    #[test]
    fn convex_and_general_paths_agree_on_concave_and_holed_targets() {
        let (x0, y0) = (4_880_000.0, 2_070_000.0);
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let targets = [
            mp(noisy_star(x0, y0, 100.0, 9, &mut seed)),
            mp(holed_square(x0, y0, 100.0)),
            MultiPolygon::new(vec![
                noisy_star(x0 - 60.0, y0, 40.0, 5, &mut seed),
                holed_square(x0 + 60.0, y0, 40.0),
            ]),
        ];
        for target in &targets {
            let rt = target.bounding_rect().unwrap();
            for k in 0..300 {
                // A random convex polygon of 3 to 12 vertices (sorted angles on an ellipse).
                let n = 3 + k % 10;
                let (cx, cy) = (
                    x0 - 120.0 + 240.0 * rng(&mut seed),
                    y0 - 120.0 + 240.0 * rng(&mut seed),
                );
                let (ax, ay) = (10.0 + 60.0 * rng(&mut seed), 10.0 + 60.0 * rng(&mut seed));
                let mut angles: Vec<f64> = (0..n).map(|_| std::f64::consts::TAU * rng(&mut seed)).collect();
                angles.sort_by(f64::total_cmp);
                let mut ring: Vec<(f64, f64)> = angles
                    .iter()
                    .map(|t| (cx + ax * t.cos(), cy + ay * t.sin()))
                    .collect();
                ring.push(ring[0]);
                let unit = mp(Polygon::new(LineString::from(ring), vec![]));
                let Some(clip) = convex_ring(unit.0[0].exterior()) else {
                    continue;
                };
                let ru = unit.bounding_rect().unwrap();
                let convex = shared_box(&ru, &rt)
                    .map_or(0.0, |bx| convex_clip_area(&clip_to_rect(&target.0, &bx).0, &clip));
                let general = overlay_area(&unit, target);
                // geo's overlay rounds the vertices it makes to a fixed grid (a unit of 12.8 m²
                // wholly inside the target came out 3e-7 m² short), so its error grows with the
                // unit's perimeter, not its area: allow 1e-7 m² per metre of perimeter.
                let tol = 1e-8 * unit.unsigned_area() + 1e-7 * perimeter(unit.0[0].exterior());
                assert!(
                    (convex - general).abs() <= tol,
                    "unit {k}: convex {convex} vs overlay {general}"
                );
                // Concave and holed sources go through the overlay; swapping the roles agrees.
                let swapped = intersection_area(target, &rt, &unit, &ru);
                assert!((swapped - general).abs() <= tol);
            }
        }
    }

    #[test]
    fn pieces_tile_their_polygon_and_give_the_same_intersections() {
        let (x0, y0) = (4_880_000.0, 2_070_000.0);
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let shapes = [
            mp(noisy_star(x0, y0, 1000.0, 700, &mut seed)),
            mp(holed_square(x0, y0, 1000.0)),
            MultiPolygon::new(
                (0..40)
                    .map(|i| {
                        noisy_star(
                            x0 + 150.0 * f64::from(i % 8),
                            y0 + 150.0 * f64::from(i / 8),
                            60.0,
                            20,
                            &mut seed,
                        )
                    })
                    .collect(),
            ),
        ];
        for shape in &shapes {
            let pieces = Pieces::new(&shape.0, 64).unwrap();
            // At most 64 vertices, or at most 16 not made by the clipping (see `split`).
            assert!(
                pieces
                    .pieces
                    .iter()
                    .all(|(p, r)| vertex_count(p) <= 64 || inside_count(p, r) <= 16)
            );
            let total: f64 = pieces.pieces.iter().map(|(p, _)| parts_area(p)).sum();
            let area = shape.unsigned_area();
            assert!((total - area).abs() <= 1e-9 * area, "{total} vs {area}");
            let rs = shape.bounding_rect().unwrap();
            for k in 0..200 {
                let (cx, cy) = (
                    x0 - 1100.0 + 2200.0 * rng(&mut seed),
                    y0 - 1100.0 + 2200.0 * rng(&mut seed),
                );
                let s = 20.0 + 300.0 * rng(&mut seed);
                let other = match k % 3 {
                    0 => mp(
                        polygon![(x: cx, y: cy), (x: cx + s, y: cy), (x: cx + s, y: cy + s), (x: cx, y: cy + s)],
                    ),
                    1 => mp(noisy_star(cx, cy, s, 7, &mut seed)),
                    _ => mp(holed_square(cx, cy, s)),
                };
                let ro = other.bounding_rect().unwrap();
                let whole = side_intersection_area(&Side::Whole(&other.0, ro), &Side::Whole(&shape.0, rs));
                let cut = side_intersection_area(&Side::Whole(&other.0, ro), &Side::Cut(&pieces));
                let cut_source = side_intersection_area(&Side::Cut(&pieces), &Side::Whole(&other.0, ro));
                let both = side_intersection_area(
                    &Side::Cut(&pieces),
                    &Side::Cut(&Pieces::new(&other.0, 8).unwrap()),
                );
                let tol = 1e-8 * other.unsigned_area();
                for (what, v) in [
                    ("cut target", cut),
                    ("cut source", cut_source),
                    ("both cut", both),
                ] {
                    assert!((v - whole).abs() <= tol, "case {k}, {what}: {v} vs {whole}");
                }
            }
        }
    }

    #[test]
    fn a_ring_that_turns_back_is_not_convex() {
        // A square with a spike along the inside of its bottom side: every turn is left or
        // straight, but the spike's two edges would give opposite half-planes.
        let spike = LineString::from(vec![
            (0., 0.),
            (1., 0.),
            (1., 0.5),
            (1., 0.),
            (2., 0.),
            (2., 2.),
            (0., 2.),
            (0., 0.),
        ]);
        assert!(convex_ring(&spike).is_none());
    }

    #[test]
    fn triangulated_clipping_equals_the_overlay() {
        let mut seed = 0xfeed_u64;
        for k in 0..40 {
            let (x, y) = (100.0 * rng(&mut seed), 100.0 * rng(&mut seed));
            let small = noisy_star(x, y, 5.0 + 20.0 * rng(&mut seed), 3 + k % 12, &mut seed);
            let big = if k % 3 == 0 {
                holed_square(50.0, 50.0, 45.0)
            } else {
                noisy_star(50.0, 50.0, 60.0, 40 + k, &mut seed)
            };
            let got = triangulated_clip_area(std::slice::from_ref(&small), std::slice::from_ref(&big))
                .expect("a valid star triangulates");
            // The overlay snaps to a grid: its error grows with the perimeter, not the area.
            let want = overlay_area(&mp(small.clone()), &mp(big.clone()));
            let tol = 1e-8 * want + 1e-7 * perimeter(small.exterior());
            assert!((got - want).abs() <= tol, "case {k}: {got} vs {want}");
        }
    }

    #[test]
    fn a_convex_ring_of_many_vertices_cut_to_the_box_gives_the_overlay_area() {
        let mut seed = 0x0c1c_u64;
        let n = 4 * BOXED_CONVEX;
        let ring: Vec<(f64, f64)> = (0..=n)
            .map(|k| {
                let t = std::f64::consts::TAU * (k % n) as f64 / n as f64;
                (500.0 + 400.0 * t.cos(), 500.0 + 400.0 * t.sin())
            })
            .collect();
        let circle = Polygon::new(LineString::from(ring), vec![]);
        let rc = circle.bounding_rect().unwrap();
        for k in 0..30 {
            let (x, y) = (1000.0 * rng(&mut seed), 1000.0 * rng(&mut seed));
            let other = if k % 4 == 0 {
                holed_square(x, y, 60.0 + 100.0 * rng(&mut seed))
            } else {
                noisy_star(x, y, 50.0 + 150.0 * rng(&mut seed), 5 + k, &mut seed)
            };
            let ro = other.bounding_rect().unwrap();
            let got = parts_intersection_area(
                std::slice::from_ref(&circle),
                &rc,
                std::slice::from_ref(&other),
                &ro,
            );
            let want = overlay_area(&mp(circle.clone()), &mp(other.clone()));
            let tol = 1e-8 * want + 1e-7 * perimeter(other.exterior());
            assert!((got - want).abs() <= tol, "case {k}: {got} vs {want}");
        }
    }
}
