//! Bounding boxes and the segment-against-box test the polygon joins share: boxes as rstar
//! envelopes, bulk-loaded box trees, the box of a multipolygon's parts, and whether a segment
//! may touch a box (a certain `false`, a near miss left to the exact clipping).

use geo::{Coord, Polygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

pub(super) type Boxed = GeomWithData<Rectangle<[f64; 2]>, u32>;

pub(super) fn aabb(r: &Rect<f64>) -> AABB<[f64; 2]> {
    AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y])
}

/// An R-tree of bounding boxes, each with its index in `rects` (`None`s left out).
pub(super) fn box_tree(rects: &[Option<Rect<f64>>]) -> RTree<Boxed> {
    RTree::bulk_load(
        rects
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.map(|r| Boxed::new(Rectangle::from_aabb(aabb(&r)), i as u32)))
            .collect(),
    )
}

/// The bounding box of polygons' exteriors (as geo computes a multipolygon's).
pub(crate) fn parts_rect(parts: &[Polygon<f64>]) -> Option<Rect<f64>> {
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

/// The box two bounding boxes share, `None` if it has no area (then neither do the shapes'
/// intersection).
pub(super) fn shared_box(ra: &Rect<f64>, rb: &Rect<f64>) -> Option<Rect<f64>> {
    let min = Coord {
        x: ra.min().x.max(rb.min().x),
        y: ra.min().y.max(rb.min().y),
    };
    let max = Coord {
        x: ra.max().x.min(rb.max().x),
        y: ra.max().y.min(rb.max().y),
    };
    (min.x < max.x && min.y < max.y).then(|| Rect::new(min, max))
}

/// Whether the segment `a`–`b`, whose bounding box meets the closed box `r`, may touch `r`.
/// `false` only when the four corners of `r` lie strictly on one side of the segment's line by
/// more than a rounding margin (a few micrometres at projected coordinates of millions of
/// metres), so a `false` is certain and a near miss is left to the exact clipping.
pub(super) fn segment_may_touch(a: [f64; 2], b: [f64; 2], r: &Rect<f64>) -> bool {
    segment_may_touch_within(a, b, r, 1.0)
}

/// [`segment_may_touch`] with the rounding margin multiplied by `widen` (`≥ 1`: more
/// conservative).
pub(super) fn segment_may_touch_within(a: [f64; 2], b: [f64; 2], r: &Rect<f64>, widen: f64) -> bool {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let (min, max) = (r.min(), r.max());
    let scale = [a[0], a[1], b[0], b[1], min.x, min.y, max.x, max.y]
        .iter()
        .fold(0.0f64, |m, v| m.max(v.abs()));
    let margin = (dx.abs() + dy.abs()) * scale * 1e-12 * widen;
    let side = |x: f64, y: f64| dx * (y - a[1]) - dy * (x - a[0]);
    let s = [
        side(min.x, min.y),
        side(max.x, min.y),
        side(max.x, max.y),
        side(min.x, max.y),
    ];
    !(s.iter().all(|&v| v > margin) || s.iter().all(|&v| v < -margin))
}
