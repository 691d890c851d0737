//! Catchments drawn from the reached streets: the street vertices sampled (thinned where they
//! are closer than the buffer allows), triangulated, and the detours under each chord buffered
//! so the catchment holds the exact buffered streets.

use geo::{
    Buffer, Coord, Distance, Euclidean, Length, Line, LineString, MultiLineString, MultiPolygon, Point,
};
use std::collections::HashMap;

use super::graph::{Snap, StreetNetwork, key};
/// Longest triangle side, as a multiple of the buffer, that [`street_catchment`] fills.
pub const FILL_FACTOR: f64 = 2.0;

/// Street vertices closer than `buffer / THIN_DIVISOR` to the previous vertex kept on their
/// line are left out of [`street_catchment`]'s triangulation (the street piece they shape is
/// buffered exactly instead).
pub const THIN_DIVISOR: f64 = 4.0;

/// The street pieces under [`street_catchment`]'s chords are simplified within
/// `buffer / DETOUR_SLACK_DIVISOR` metres and buffered by that much more than `buffer`
/// (0.25 m for a 50 m buffer: the sagitta of the buffer's own round joins, 0.2 rad apart).
pub const DETOUR_SLACK_DIVISOR: f64 = 200.0;

/// The points [`street_catchment`] triangulates, and what it buffers exactly.
#[derive(Debug, Default)]
pub(super) struct Sampled {
    /// Each point once.
    pub(super) points: Vec<Coord<f64>>,
    /// Point → its index in `points`.
    pub(super) index: HashMap<(u64, u64), u32>,
    /// Per line, its points in order, each with whether the piece from the previous point is
    /// the street itself (`true`) or a chord across thinned vertices (`false`).
    pub(super) paths: Vec<Vec<(u32, bool)>>,
    /// The street pieces under the chords, as they are.
    pub(super) detours: Vec<LineString<f64>>,
}

/// Samples the reached streets for triangulation: a line's vertices are kept when at least
/// `buffer / THIN_DIVISOR` from the previous kept one (its ends always), and points are added
/// every `buffer` metres at most between kept vertices. So the number of points is bounded by
/// the streets' length over the buffer, however finely they are digitised (a street drawn with
/// a vertex every 0.5 m made the Delaunay triangulation superlinear: long arcs of many points
/// are its worst case). Lines whose vertices are all that far apart are sampled exactly as
/// they are.
pub(super) fn sample_streets(lines: &MultiLineString<f64>, buffer: f64) -> Sampled {
    let step = buffer;
    let min_gap = buffer / THIN_DIVISOR;
    let mut s = Sampled::default();
    for l in &lines.0 {
        let cs = &l.0;
        let mut path: Vec<(u32, bool)> = Vec::new();
        let mut push = |s: &mut Sampled, c: Coord<f64>, exact: bool| {
            let i = *s.index.entry(key(c)).or_insert_with(|| {
                s.points.push(c);
                s.points.len() as u32 - 1
            });
            if path.last().map(|p| p.0) != Some(i) {
                path.push((i, exact));
            }
        };
        let Some(&first) = cs.first() else {
            s.paths.push(path);
            continue;
        };
        push(&mut s, first, true);
        let mut kept = 0usize;
        let mut detour_open = false;
        for i in 1..cs.len() {
            let last = i + 1 == cs.len();
            if !last && Euclidean.distance(Point::from(cs[kept]), Point::from(cs[i])) < min_gap {
                continue;
            }
            let (a, b) = (cs[kept], cs[i]);
            let exact = i == kept + 1;
            if !exact {
                // Consecutive chords make one detour: one line to buffer, not many short ones
                // with a round cap at each end.
                match s.detours.last_mut() {
                    Some(d) if detour_open && d.0.last() == Some(&cs[kept]) => {
                        d.0.extend_from_slice(&cs[kept + 1..=i])
                    }
                    _ => s.detours.push(LineString::new(cs[kept..=i].to_vec())),
                }
            }
            detour_open = !exact;
            let k = ((Euclidean.length(&Line::new(a, b)) / step).ceil() as usize).max(1);
            for j in 1..k {
                let t = j as f64 / k as f64;
                push(
                    &mut s,
                    Coord {
                        x: a.x + t * (b.x - a.x),
                        y: a.y + t * (b.y - a.y),
                    },
                    exact,
                );
            }
            push(&mut s, b, exact);
            kept = i;
        }
        s.paths.push(path);
    }
    s
}

/// A catchment drawn from reached streets, fast: the streets are sampled (see below), the
/// points are triangulated (Delaunay), the triangles whose three sides are at most
/// [`FILL_FACTOR`] × `buffer` are unioned, the street pieces left outside them are added as
/// lines, and the result is buffered by `buffer` metres.
///
/// Sampling: a street's vertices are kept when at least `buffer / `[`THIN_DIVISOR`] metres
/// from the previous kept one (its ends always), and points are added every `buffer` metres at
/// most between them. The street pieces under a chord across left-out vertices are simplified
/// within `slack = buffer / `[`DETOUR_SLACK_DIVISOR`] metres and buffered by `buffer + slack`.
/// So the cost follows the streets' length, not how finely they are digitised; streets whose
/// vertices are all farther apart than that are sampled exactly as they are.
///
/// It contains the exact buffered union of the streets (every street piece is a side of a
/// filled triangle or buffered itself), and every point of it lies within
/// `FILL_FACTOR × buffer / √3 + buffer` metres of a reached street point, plus `slack` near
/// finely drawn streets (a triangle with sides
/// ≤ L has every point within L/√3 of a corner), so it never bridges an unreached area wider
/// than `FILL_FACTOR × buffer` (a river, a park, the coverage gap): such areas stay outside or
/// become holes. Deterministic (the same lines give the same polygon).
pub fn street_catchment(lines: &MultiLineString<f64>, buffer: f64) -> MultiPolygon<f64> {
    use geo::{BooleanOps, Polygon, Simplify, Triangle};
    use spade::handles::FixedVertexHandle;
    use spade::{DelaunayTriangulation, Point2, Triangulation};

    if lines.0.is_empty() || !(buffer > 0.0 && buffer.is_finite()) {
        return MultiPolygon::new(Vec::new());
    }
    let max_side = FILL_FACTOR * buffer;
    let Sampled {
        points,
        index,
        paths,
        detours,
    } = sample_streets(lines, buffer);
    let pos = |i: u32| points[i as usize];
    let Ok(dt) = DelaunayTriangulation::<Point2<f64>>::bulk_load(
        points.iter().map(|c| Point2::new(c.x, c.y)).collect(),
    ) else {
        // Spade refuses only coordinates it cannot represent: buffer exactly then.
        return lines.buffer(buffer);
    };
    // Our point index → the triangulation's vertex (bulk loading reorders them).
    let mut vertex: Vec<Option<FixedVertexHandle>> = vec![None; points.len()];
    for v in dt.vertices() {
        let p = v.position();
        if let Some(&i) = index.get(&key(Coord { x: p.x, y: p.y })) {
            vertex[i as usize] = Some(v.fix());
        }
    }
    let side = |a: Point2<f64>, b: Point2<f64>| ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
    let mut kept = vec![false; dt.num_all_faces()];
    let mut triangles: Vec<Polygon<f64>> = Vec::new();
    for f in dt.inner_faces() {
        let [a, b, c] = f.positions();
        if side(a, b) <= max_side && side(b, c) <= max_side && side(c, a) <= max_side {
            kept[f.fix().index()] = true;
            let co = |p: Point2<f64>| Coord { x: p.x, y: p.y };
            triangles.push(Triangle::new(co(a), co(b), co(c)).to_polygon());
        }
    }
    // Street pieces not on a side of a filled triangle, as polylines; the pieces under chords
    // are buffered as they are (`detours`), whether their chord is covered or not.
    let mut loose: Vec<LineString<f64>> = Vec::new();
    for path in &paths {
        let mut run: Vec<Coord<f64>> = Vec::new();
        for w in path.windows(2) {
            let ((p, _), (q, exact)) = (w[0], w[1]);
            let covered = !exact
                || match (vertex[p as usize], vertex[q as usize]) {
                    (Some(a), Some(b)) => dt
                        .get_edge_from_neighbors(a, b)
                        .is_some_and(|e| kept[e.face().fix().index()] || kept[e.rev().face().fix().index()]),
                    _ => false,
                };
            if covered {
                if run.len() >= 2 {
                    loose.push(LineString::new(std::mem::take(&mut run)));
                }
                run.clear();
            } else {
                if run.is_empty() {
                    run.push(pos(p));
                }
                run.push(pos(q));
            }
        }
        if run.len() >= 2 {
            loose.push(LineString::new(run));
        }
        if path.len() == 1 {
            loose.push(LineString::new(vec![pos(path[0].0); 2]));
        }
    }
    let mut out = geo::unary_union(triangles.iter()).buffer(buffer);
    if !loose.is_empty() {
        out = out.union(&MultiLineString::new(loose).buffer(buffer));
    }
    if !detours.is_empty() {
        // Buffering a line costs its vertices times the neighbours each one's buffer meets,
        // so a street drawn every 0.5 m is simplified first (Douglas-Peucker, within `slack`
        // metres) and buffered by `buffer + slack`: the result still contains the street's
        // exact buffer, and `slack` is the size of the buffer's own arc-chord error.
        let slack = buffer / DETOUR_SLACK_DIVISOR;
        let simplified: Vec<LineString<f64>> = detours.iter().map(|d| d.simplify(slack)).collect();
        out = out.union(&MultiLineString::new(simplified).buffer(buffer + slack));
    }
    out
}

/// The part of `line` between distances `a` and `b` along it.
pub(super) fn sub_line(line: &LineString<f64>, a: f64, b: f64) -> LineString<f64> {
    let mut out: Vec<Coord<f64>> = Vec::new();
    let mut pos = 0.0;
    for l in line.lines() {
        let len = Euclidean.length(&l);
        let end = pos + len;
        if end >= a && pos <= b && len > 0.0 {
            let t0 = ((a - pos) / len).clamp(0.0, 1.0);
            let t1 = ((b - pos) / len).clamp(0.0, 1.0);
            let p = |t: f64| Coord {
                x: l.start.x + t * (l.end.x - l.start.x),
                y: l.start.y + t * (l.end.y - l.start.y),
            };
            let c0 = p(t0);
            if out.last() != Some(&c0) {
                out.push(c0);
            }
            out.push(p(t1));
        }
        pos = end;
    }
    if out.len() == 1 {
        out.push(out[0]);
    }
    LineString::new(out)
}

impl StreetNetwork {
    /// The parts of the network within `cutoff` metres of a snap point (network distance),
    /// one polyline per reached edge part.
    pub fn reached_lines(&self, source: &Snap, cutoff: f64) -> MultiLineString<f64> {
        let reached = self.node_distances(source, cutoff);
        // Per edge: the covered intervals along it, merged.
        let mut spans: std::collections::BTreeMap<u32, Vec<(f64, f64)>> = std::collections::BTreeMap::new();
        {
            let s = &self.edges[source.edge as usize];
            let lo = (source.offset - cutoff).max(0.0);
            let hi = (source.offset + cutoff).min(s.length);
            spans.entry(source.edge).or_default().push((lo, hi));
        }
        for &(n, d) in &reached {
            let left = cutoff - d;
            for &(_, k) in self.neighbours(n) {
                let e = &self.edges[k as usize];
                let v = spans.entry(k).or_default();
                if e.a == n {
                    v.push((0.0, left.min(e.length)));
                }
                if e.b == n {
                    v.push(((e.length - left).max(0.0), e.length));
                }
            }
        }
        let mut out = Vec::new();
        for (k, mut v) in spans {
            v.sort_by(|x, y| x.0.total_cmp(&y.0));
            let mut merged: Vec<(f64, f64)> = Vec::new();
            for (a, b) in v {
                match merged.last_mut() {
                    Some(m) if a <= m.1 => m.1 = m.1.max(b),
                    _ => merged.push((a, b)),
                }
            }
            for (a, b) in merged {
                if b > a {
                    out.push(sub_line(&self.edges[k as usize].line, a, b));
                }
            }
        }
        MultiLineString::new(out)
    }

    /// The catchment polygon of a snap point: the network reached within `cutoff` metres,
    /// with the gaps between reached streets narrower than `2 × buffer` filled, buffered by
    /// `buffer` metres (see [`street_catchment`]). Contains [`StreetNetwork::catchment_exact`].
    pub fn catchment(&self, source: &Snap, cutoff: f64, buffer: f64) -> MultiPolygon<f64> {
        street_catchment(&self.reached_lines(source, cutoff), buffer)
    }

    /// The exact buffered catchment: the network reached within `cutoff` metres, every reached
    /// street buffered by `buffer` metres and the buffers unioned (slow: tens of milliseconds
    /// per site in a dense grid; a reference for [`StreetNetwork::catchment`]).
    pub fn catchment_exact(&self, source: &Snap, cutoff: f64, buffer: f64) -> MultiPolygon<f64> {
        let lines = self.reached_lines(source, cutoff);
        if lines.0.is_empty() || buffer.is_nan() || buffer <= 0.0 {
            return MultiPolygon::new(Vec::new());
        }
        lines.buffer(buffer)
    }
}
