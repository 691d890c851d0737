//! The interior grid: a uniform grid over a target layer whose cells are classified once, so
//! that the many sources of an areal join that lie well inside one target are assigned without
//! any R-tree query, point-in-polygon test or clipping.
//!
//! A cell that no target edge may touch (by [`segment_may_touch_within`], with twice the
//! margin the per-source test uses) lies wholly inside the same targets or wholly outside all
//! of them, and so does any closed box within such cells: a source whose bounding box lies in
//! clean cells is wholly inside exactly the targets that contain the cells. That is the answer
//! [`PolygonIndex::overlaps`] gives for it (a target none of whose edges comes near the source
//! gets the source's whole area when it contains the source's first vertex), without the cost.
//!
//! Built in two passes. Each edge marks the cells it may touch, testing only the cells of its
//! bounding box widened by `SPAN - 1` cells (a source the grid answers for spans at most `SPAN`
//! cells per axis, so every cell such a source meets is tested against every edge whose box
//! meets the source) and, row by row, only those within a cell of where the edge's line
//! crosses the row (the others are a cell's width from it). Then each run of clean cells along
//! a row takes the targets of the clean cell above it when there is one (clean neighbours share
//! a closed side no edge touches, so the same targets), else of one point-in-polygon test per
//! target whose box holds the run's first cell centre.

use std::collections::HashMap;

use geo::{Coord, Polygon, Rect};
use rayon::prelude::*;

use super::boxes::segment_may_touch_within;
use super::overlay::PolygonIndex;
use crate::layer::union_rect;

/// Cells per axis a source may span and still be answered by the grid.
const SPAN: usize = 3;
/// A cell some target edge may touch.
const DIRTY: u32 = u32::MAX;
/// A clean cell not yet given its targets (only while building).
const UNSET: u32 = u32::MAX - 1;

/// See the [module documentation](self).
pub(crate) struct InteriorGrid {
    min: Coord<f64>,
    cell: f64,
    nx: usize,
    ny: usize,
    /// Per cell (row-major): [`DIRTY`], or the index of its set of targets.
    class: Vec<u32>,
    /// Start of each set in `members` (`sets + 1` offsets).
    set_start: Vec<u32>,
    /// The targets of each set, ascending.
    members: Vec<u32>,
}

impl InteriorGrid {
    /// A grid of square cells of side `cell` (enlarged until there are at most `max_cells`)
    /// over the targets' extent; `None` without targets or for a cell side that is not finite
    /// and positive.
    pub(crate) fn new(index: &PolygonIndex<'_>, cell: f64, max_cells: usize) -> Option<InteriorGrid> {
        let extent = index.rects.iter().flatten().copied().reduce(union_rect)?;
        if !(cell.is_finite() && cell > 0.0) || max_cells == 0 {
            return None;
        }
        let (w, h) = (extent.width(), extent.height());
        if !(w.is_finite() && h.is_finite()) {
            return None;
        }
        let count = |c: f64| ((w / c).floor() + 1.0) * ((h / c).floor() + 1.0);
        let mut cell = cell;
        while count(cell) > max_cells as f64 {
            cell *= 1.5;
        }
        let (nx, ny) = ((w / cell).floor() as usize + 1, (h / cell).floor() as usize + 1);
        let mut grid = InteriorGrid {
            min: extent.min(),
            cell,
            nx,
            ny,
            class: vec![UNSET; nx * ny],
            set_start: vec![0],
            members: Vec::new(),
        };
        grid.mark_edges(index);
        grid.classify(index);
        Some(grid)
    }

    /// The column of `x` (unclamped; negative or `≥ nx` outside the grid).
    fn col(&self, x: f64) -> isize {
        ((x - self.min.x) / self.cell).floor() as isize
    }

    fn row(&self, y: f64) -> isize {
        ((y - self.min.y) / self.cell).floor() as isize
    }

    /// Left side of column `c` (the right side of column `c - 1`: the same float).
    fn x_at(&self, c: usize) -> f64 {
        self.min.x + c as f64 * self.cell
    }

    fn y_at(&self, r: usize) -> f64 {
        self.min.y + r as f64 * self.cell
    }

    fn cell_rect(&self, c: usize, r: usize) -> Rect<f64> {
        Rect::new(
            Coord {
                x: self.x_at(c),
                y: self.y_at(r),
            },
            Coord {
                x: self.x_at(c + 1),
                y: self.y_at(r + 1),
            },
        )
    }

    fn clamp_col(&self, x: f64) -> usize {
        self.col(x).clamp(0, self.nx as isize - 1) as usize
    }

    fn clamp_row(&self, y: f64) -> usize {
        self.row(y).clamp(0, self.ny as isize - 1) as usize
    }

    /// Marks [`DIRTY`] every cell an edge of a target may touch. The edges are shared out
    /// among the threads, each marking its own bit set (a coastline of a million vertices is
    /// one target); the union is the same whatever the split.
    fn mark_edges(&mut self, index: &PolygonIndex<'_>) {
        let words = (self.nx * self.ny).div_ceil(64);
        let dirty = index
            .edges
            .segments()
            .par_chunks(1 << 13)
            .fold(
                || vec![0u64; words],
                |mut bits, chunk| {
                    for &(a, b) in chunk {
                        self.mark_edge(a, b, &mut bits);
                    }
                    bits
                },
            )
            .reduce(
                || vec![0u64; words],
                |mut x, y| {
                    x.iter_mut().zip(&y).for_each(|(x, y)| *x |= y);
                    x
                },
            );
        for (k, class) in self.class.iter_mut().enumerate() {
            if dirty[k / 64] & (1 << (k % 64)) != 0 {
                *class = DIRTY;
            }
        }
    }

    /// Sets in `bits` the cells that the edge from `a` to `b` may touch.
    fn mark_edge(&self, a: [f64; 2], b: [f64; 2], bits: &mut [u64]) {
        let widen = SPAN - 1;
        let (x0, x1) = (a[0].min(b[0]), a[0].max(b[0]));
        let (y0, y1) = (a[1].min(b[1]), a[1].max(b[1]));
        let c0 = self.clamp_col(x0).saturating_sub(widen);
        let c1 = (self.clamp_col(x1) + widen).min(self.nx - 1);
        let r0 = self.clamp_row(y0).saturating_sub(widen);
        let r1 = (self.clamp_row(y1) + widen).min(self.ny - 1);
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        for r in r0..=r1 {
            // Where the edge's line crosses this row, widened by a cell: every other cell of
            // the row is at least a cell's width from the line.
            let (mut from, mut to) = (c0, c1);
            if dy != 0.0 {
                let x_of = |y: f64| a[0] + (y - a[1]) * dx / dy;
                let (xa, xb) = (x_of(self.y_at(r)), x_of(self.y_at(r + 1)));
                let (lo, hi) = (xa.min(xb), xa.max(xb));
                if lo.is_finite() && hi.is_finite() {
                    let lo = (self.col(lo) - 1).max(c0 as isize);
                    let hi = (self.col(hi) + 1).min(c1 as isize);
                    if lo > hi {
                        continue;
                    }
                    (from, to) = (lo as usize, hi as usize);
                }
            }
            for c in from..=to {
                let k = r * self.nx + c;
                let bit = 1u64 << (k % 64);
                if bits[k / 64] & bit == 0 && segment_may_touch_within(a, b, &self.cell_rect(c, r), 2.0) {
                    bits[k / 64] |= bit;
                }
            }
        }
    }

    /// Gives every clean cell its set of targets.
    fn classify(&mut self, index: &PolygonIndex<'_>) {
        let mut sets: HashMap<Vec<u32>, u32> = HashMap::new();
        let mut targets = Vec::new();
        for r in 0..self.ny {
            let mut c = 0;
            while c < self.nx {
                if self.class[r * self.nx + c] == DIRTY {
                    c += 1;
                    continue;
                }
                let start = c;
                while c < self.nx && self.class[r * self.nx + c] != DIRTY {
                    c += 1;
                }
                let above = (r > 0)
                    .then(|| {
                        (start..c)
                            .map(|k| self.class[(r - 1) * self.nx + k])
                            .find(|&s| s != DIRTY)
                    })
                    .flatten();
                let set = match above {
                    Some(s) => s,
                    None => {
                        let rect = self.cell_rect(start, r);
                        let centre = Coord {
                            x: (rect.min().x + rect.max().x) / 2.0,
                            y: (rect.min().y + rect.max().y) / 2.0,
                        };
                        targets.clear();
                        targets.extend(
                            index
                                .boxes
                                .locate_all_at_point(&[centre.x, centre.y])
                                .map(|b| b.data)
                                .filter(|&j| index.contains(j as usize, centre)),
                        );
                        targets.sort_unstable();
                        let next = sets.len() as u32;
                        *sets.entry(targets.clone()).or_insert_with(|| {
                            self.members.extend(&targets);
                            self.set_start.push(self.members.len() as u32);
                            next
                        })
                    }
                };
                for k in start..c {
                    self.class[r * self.nx + k] = set;
                }
            }
        }
    }

    /// Appends `(j, shape_area)` for every target `j` that wholly holds the polygons `parts`
    /// (their bounding box `rect`) when the grid's clean cells decide it, and says whether they did: no target edge comes
    /// near the shape, so it lies wholly inside these targets and outside the others, as a
    /// point-in-polygon test would find ([`PolygonIndex::overlaps_into`] decides the rest).
    pub(crate) fn answer(
        &self,
        parts: &[Polygon<f64>],
        rect: &Rect<f64>,
        shape_area: f64,
        out: &mut Vec<(u32, f64)>,
    ) -> bool {
        let has_vertex = parts.first().is_some_and(|p| !p.exterior().0.is_empty());
        let Some(inside) = self.interior(rect).filter(|_| has_vertex) else {
            return false;
        };
        if shape_area > 0.0 {
            out.extend(inside.iter().map(|&j| (j, shape_area)));
        }
        true
    }

    /// The targets wholly containing `rect`, when the grid can tell: `rect` lies in at most
    /// `SPAN` × `SPAN` cells of the grid, all clean. `None` means "ask the index".
    pub(crate) fn interior(&self, rect: &Rect<f64>) -> Option<&[u32]> {
        let (c0, c1) = (self.col(rect.min().x), self.col(rect.max().x));
        let (r0, r1) = (self.row(rect.min().y), self.row(rect.max().y));
        if c0 < 0 || r0 < 0 || c1 >= self.nx as isize || r1 >= self.ny as isize {
            return None;
        }
        let (c0, c1, r0, r1) = (c0 as usize, c1 as usize, r0 as usize, r1 as usize);
        if c1 - c0 >= SPAN || r1 - r0 >= SPAN {
            return None;
        }
        // The cells' own float bounds must hold the box (rounding in `col` could say otherwise).
        if !(self.x_at(c0) <= rect.min().x
            && rect.max().x <= self.x_at(c1 + 1)
            && self.y_at(r0) <= rect.min().y
            && rect.max().y <= self.y_at(r1 + 1))
        {
            return None;
        }
        let set = self.class[r0 * self.nx + c0];
        if set == DIRTY {
            return None;
        }
        for r in r0..=r1 {
            if self.class[r * self.nx + c0..=r * self.nx + c1]
                .iter()
                .any(|&s| s != set)
            {
                return None;
            }
        }
        let s = set as usize;
        Some(&self.members[self.set_start[s] as usize..self.set_start[s + 1] as usize])
    }

    /// Side of the cells.
    #[cfg(test)]
    pub(crate) fn cell(&self) -> f64 {
        self.cell
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::join::AreaTable;
    use geo::{LineString, MultiPolygon, Polygon};

    /// xorshift, so the test needs no crate.
    fn rng(seed: &mut u64) -> f64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    fn ring(points: &[(f64, f64)], x0: f64, y0: f64) -> LineString<f64> {
        let mut v: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (x0 + x, y0 + y)).collect();
        v.push(v[0]);
        LineString::from(v)
    }

    /// Targets with long diagonal edges, a hole, a two-part multipolygon, an overlap and a
    /// null-like empty target, at projected-coordinate magnitudes; sources are jittered quads
    /// and triangles of every size around the median, inside, across and outside the targets.
    fn case(seed: u64) -> (Vec<MultiPolygon<f64>>, Vec<MultiPolygon<f64>>) {
        let (x0, y0) = (4_880_000.0, 2_070_000.0);
        let targets = vec![
            MultiPolygon::new(vec![Polygon::new(
                ring(&[(0., 0.), (5000., 0.), (3100., 2900.), (0., 4000.)], x0, y0),
                vec![ring(&[(800., 800.), (1600., 900.), (1200., 1700.)], x0, y0)],
            )]),
            MultiPolygon::new(vec![Polygon::new(
                ring(
                    &[(5000., 0.), (9000., 0.), (9000., 5000.), (3100., 2900.)],
                    x0,
                    y0,
                ),
                vec![],
            )]),
            MultiPolygon::new(vec![
                Polygon::new(
                    ring(
                        &[(0., 4000.), (3100., 2900.), (9000., 5000.), (0., 9000.)],
                        x0,
                        y0,
                    ),
                    vec![],
                ),
                Polygon::new(
                    ring(&[(9500., 6000.), (11000., 6000.), (11000., 9000.)], x0, y0),
                    vec![],
                ),
            ]),
            // overlaps the first and the third
            MultiPolygon::new(vec![Polygon::new(
                ring(
                    &[(1500., 2500.), (4500., 2600.), (4000., 6000.), (1400., 5500.)],
                    x0,
                    y0,
                ),
                vec![],
            )]),
            MultiPolygon::new(vec![]),
        ];
        let mut s = seed;
        let sources = (0..3000)
            .map(|k| {
                let (cx, cy) = (
                    x0 - 500.0 + 12_000.0 * rng(&mut s),
                    y0 - 500.0 + 10_000.0 * rng(&mut s),
                );
                let size = 60.0 * (0.3 + 2.5 * rng(&mut s));
                let mut j = |v: f64| v + size * 0.3 * (rng(&mut s) - 0.5);
                let mut pts = vec![
                    (j(cx), j(cy)),
                    (j(cx + size), j(cy)),
                    (j(cx + size), j(cy + size)),
                ];
                if k % 4 != 0 {
                    pts.push((j(cx), j(cy + size)));
                }
                let mut v = pts.clone();
                v.push(pts[0]);
                MultiPolygon::new(vec![Polygon::new(LineString::from(v), vec![])])
            })
            .collect();
        (targets, sources)
    }

    #[test]
    fn the_grid_gives_exactly_what_the_index_gives() {
        for seed in [1u64, 0x9E37_79B9_7F4A_7C15, 12345] {
            let (targets, sources) = case(seed);
            let index = PolygonIndex::new(&targets);
            let table = AreaTable::build_with(&sources, &index);
            let grid = InteriorGrid::new(&index, 60.0, 1 << 20).expect("targets have an extent");
            assert_eq!(grid.cell(), 60.0);
            let mut answered = 0;
            for (i, s) in sources.iter().enumerate() {
                use geo::{Area, BoundingRect};
                let expected = index.overlaps(s, s.unsigned_area());
                assert_eq!(table.row(i), expected.as_slice(), "seed {seed}, source {i}");
                if let Some(inside) = grid.interior(&s.bounding_rect().unwrap()) {
                    answered += 1;
                    let from_index: Vec<u32> = expected.iter().map(|e| e.0).collect();
                    assert_eq!(inside, from_index.as_slice(), "seed {seed}, source {i}");
                }
            }
            // Most sources are answered by the grid, some inside two targets at once.
            assert!(answered > sources.len() / 2, "seed {seed}: {answered}");
            assert!(
                grid.members.len() > grid.set_start.len() - 1,
                "an overlap set exists"
            );
        }
    }

    #[test]
    fn the_grid_is_capped_and_refuses_what_it_cannot_answer() {
        let (targets, _) = case(3);
        let index = PolygonIndex::new(&targets);
        let grid = InteriorGrid::new(&index, 1.0, 10_000).unwrap();
        assert!(grid.nx * grid.ny <= 10_000, "{} x {}", grid.nx, grid.ny);
        assert!(InteriorGrid::new(&index, 0.0, 100).is_none());
        assert!(InteriorGrid::new(&index, f64::NAN, 100).is_none());
        assert!(InteriorGrid::new(&PolygonIndex::new(&[]), 10.0, 100).is_none());
        let grid = InteriorGrid::new(&index, 100.0, 1 << 20).unwrap();
        let (x0, y0) = (4_880_000.0, 2_070_000.0);
        let rect = |x: f64, y: f64, s: f64| {
            Rect::new(
                Coord { x: x0 + x, y: y0 + y },
                Coord {
                    x: x0 + x + s,
                    y: y0 + y + s,
                },
            )
        };
        // well inside target 1; too large for the grid; outside its extent; on an edge
        assert_eq!(grid.interior(&rect(8000., 1000., 50.)), Some(&[1u32][..]));
        assert_eq!(grid.interior(&rect(7000., 500., 400.)), None);
        assert_eq!(grid.interior(&rect(-900., 100., 50.)), None);
        assert_eq!(grid.interior(&rect(4990., 100., 20.)), None);
    }
}
