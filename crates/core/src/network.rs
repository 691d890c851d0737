//! Walking distance on real streets: a routable, undirected [`StreetNetwork`] built from a
//! line layer (street centrelines) in a projected CRS, snapping of points to it, and bounded
//! shortest-path searches (Dijkstra with a cut-off in metres), parallel over sources and
//! deterministic whatever the thread count.
//!
//! Building: every LineString part is a segment; its endpoints (and, optionally, interior
//! vertices that another line shares exactly) become nodes. Nodes closer than the snap
//! tolerance (default 2 m) are merged, in input order, through a grid of cells of the
//! tolerance's size: a point joins the nearest existing node within the tolerance (ties: the
//! lowest node), otherwise it starts a new node. Edge lengths are the full polyline lengths
//! in metres (the polyline's ends moved to their nodes). Only the largest connected
//! component (by total length) is kept; the others are counted in [`ComponentReport`].
//!
//! Distance from a point `s` to a point `t`: the off-network walk from `s` to its nearest
//! point on the network, plus the network distance between the two snap points (along the
//! edges, through nodes or directly along a shared edge), plus the off-network walk to `t`.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet};

use geo::{
    Buffer, Closest, ClosestPoint, Coord, Distance, Euclidean, Geometry, Length, Line, LineString,
    MultiLineString, MultiPolygon, Point,
};
use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use thiserror::Error;

use crate::crs::Crs;
use crate::layer::Layer;

/// Errors building a street network.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum NetworkError {
    /// The layer is in degrees: lengths need a projected CRS.
    #[error("{layer}: the street network must be projected to a CRS in metres, found {crs}")]
    Geographic {
        /// The layer (its file).
        layer: String,
        /// Its CRS.
        crs: String,
    },
    /// A feature that is not a line.
    #[error("{layer}: feature {id:?} is a {kind}, expected a LineString or MultiLineString street segment")]
    NotALine {
        /// The layer (its file).
        layer: String,
        /// Feature id.
        id: String,
        /// The geometry kind found.
        kind: &'static str,
    },
    /// A non-finite coordinate.
    #[error("{layer}: feature {id:?} has a non-finite coordinate")]
    NonFinite {
        /// The layer (its file).
        layer: String,
        /// Feature id.
        id: String,
    },
    /// A bad option.
    #[error("street network: {what} must be a finite number > 0, found {value}")]
    Option {
        /// The option.
        what: &'static str,
        /// Its value.
        value: f64,
    },
    /// The method walks on the network but the street layer was not given.
    #[error("the [network] street layer was not given to the computation")]
    Missing,
    /// The gap layer (not polygons, ...).
    #[error(transparent)]
    Layer(#[from] crate::error::LayerError),
    /// Nothing to route on.
    #[error("{layer}: the street network has no segment of positive length")]
    Empty {
        /// The layer (its file).
        layer: String,
    },
}

/// How to build a network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetworkOptions {
    /// Nodes closer than this many metres are merged (default 2).
    pub snap_tolerance: f64,
    /// Interior vertices that another line shares exactly (same coordinates) become nodes,
    /// splitting the lines there (default true): crossings digitised as shared vertices.
    pub split_at_shared_vertices: bool,
}

impl Default for NetworkOptions {
    fn default() -> Self {
        NetworkOptions {
            snap_tolerance: 2.0,
            split_at_shared_vertices: true,
        }
    }
}

/// Default walking speed, km/h (80 m per minute).
pub const DEFAULT_WALKING_SPEED: f64 = 4.8;

/// Metres walked in `minutes` at `speed_kmh`.
pub fn minutes_to_metres(minutes: f64, speed_kmh: f64) -> f64 {
    minutes * speed_kmh * 1000.0 / 60.0
}

/// What building dropped: components other than the largest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComponentReport {
    /// Line parts read (segments before splitting).
    pub segments_read: usize,
    /// Zero-length parts skipped.
    pub zero_length: usize,
    /// Connected components found (the kept one included).
    pub components: usize,
    /// Components dropped.
    pub dropped_components: usize,
    /// Edges in the dropped components.
    pub dropped_edges: usize,
    /// Their total length, metres.
    pub dropped_length: f64,
    /// Edges kept.
    pub kept_edges: usize,
    /// Nodes kept.
    pub kept_nodes: usize,
    /// Total kept length, metres.
    pub kept_length: f64,
    /// Endpoints merged into another node by the snap tolerance (not at the same coordinates).
    pub snapped_endpoints: usize,
}

/// One undirected edge.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// First node (where the polyline starts).
    pub a: u32,
    /// Last node.
    pub b: u32,
    /// Polyline length, metres.
    pub length: f64,
    /// The polyline, from `a` to `b`.
    pub line: LineString<f64>,
    /// Index of the feature it comes from.
    pub feature: u32,
}

/// Where a point meets the network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    /// The edge.
    pub edge: u32,
    /// Distance along the edge from its node `a`, metres.
    pub offset: f64,
    /// The nearest point on the edge.
    pub point: Point<f64>,
    /// Off-network distance from the point to `point`, metres.
    pub distance: f64,
}

type Piece = GeomWithData<Line<f64>, (u32, f64)>;

/// A routable, undirected street network (the largest connected component of a line layer).
#[derive(Debug, Clone)]
pub struct StreetNetwork {
    nodes: Vec<Coord<f64>>,
    edges: Vec<Edge>,
    /// CSR adjacency: for node `n`, `adj[offsets[n]..offsets[n + 1]]` = (neighbour, edge).
    offsets: Vec<usize>,
    adj: Vec<(u32, u32)>,
    tree: RTree<Piece>,
    report: ComponentReport,
    crs: Crs,
}

/// A Dijkstra heap entry: smallest distance first, ties by node.
#[derive(Clone, Copy, PartialEq)]
struct Entry(f64, u32);
impl Eq for Entry {}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> Ordering {
        o.0.total_cmp(&self.0).then(o.1.cmp(&self.1))
    }
}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// Merges points within a tolerance into nodes, deterministically (input order).
struct NodeGrid {
    tol: f64,
    cells: HashMap<(i64, i64), Vec<u32>>,
    nodes: Vec<Coord<f64>>,
}

impl NodeGrid {
    fn cell(&self, c: Coord<f64>) -> (i64, i64) {
        ((c.x / self.tol).floor() as i64, (c.y / self.tol).floor() as i64)
    }

    /// The node of `c`, and whether it was merged into a node at other coordinates.
    fn node(&mut self, c: Coord<f64>) -> (u32, bool) {
        let (cx, cy) = self.cell(c);
        let mut best: Option<(f64, u32)> = None;
        for dx in -1..=1 {
            for dy in -1..=1 {
                if let Some(v) = self.cells.get(&(cx + dx, cy + dy)) {
                    for &n in v {
                        let p = self.nodes[n as usize];
                        let d = ((p.x - c.x).powi(2) + (p.y - c.y).powi(2)).sqrt();
                        if d <= self.tol && best.is_none_or(|(bd, bn)| d < bd || (d == bd && n < bn)) {
                            best = Some((d, n));
                        }
                    }
                }
            }
        }
        if let Some((d, n)) = best {
            return (n, d > 0.0);
        }
        let n = self.nodes.len() as u32;
        self.nodes.push(c);
        self.cells.entry((cx, cy)).or_default().push(n);
        (n, false)
    }
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let p = parent[x as usize];
        parent[x as usize] = parent[p as usize];
        x = p;
    }
    x
}

fn key(c: Coord<f64>) -> (u64, u64) {
    (c.x.to_bits(), c.y.to_bits())
}

impl StreetNetwork {
    /// Builds the network from a line layer projected to a CRS in metres.
    pub fn from_layer(layer: &Layer, opts: &NetworkOptions) -> Result<StreetNetwork, NetworkError> {
        if !(opts.snap_tolerance.is_finite() && opts.snap_tolerance > 0.0) {
            return Err(NetworkError::Option {
                what: "snap_tolerance",
                value: opts.snap_tolerance,
            });
        }
        if layer.crs.is_geographic() {
            return Err(NetworkError::Geographic {
                layer: layer.name.clone(),
                crs: layer.crs.to_string(),
            });
        }
        // Line parts, with their feature.
        let mut parts: Vec<(u32, &LineString<f64>)> = Vec::new();
        for (i, g) in layer.geometries.iter().enumerate() {
            let id = || layer.ids[i].clone();
            match g {
                None => {}
                Some(Geometry::LineString(l)) => parts.push((i as u32, l)),
                Some(Geometry::MultiLineString(m)) => parts.extend(m.0.iter().map(|l| (i as u32, l))),
                Some(other) => {
                    return Err(NetworkError::NotALine {
                        layer: layer.name.clone(),
                        id: id(),
                        kind: crate::layer::geometry_kind(other),
                    });
                }
            }
            let finite = parts
                .iter()
                .rev()
                .take_while(|(f, _)| *f == i as u32)
                .all(|(_, l)| l.0.iter().all(|c| c.x.is_finite() && c.y.is_finite()));
            if !finite {
                return Err(NetworkError::NonFinite {
                    layer: layer.name.clone(),
                    id: id(),
                });
            }
        }
        let mut report = ComponentReport {
            segments_read: parts.len(),
            ..ComponentReport::default()
        };
        // Interior vertices shared with another line (or with an endpoint) become nodes. They
        // are found by sorting every vertex's key, not by counting in a map of every vertex: a
        // map of millions of vertices is probed at random, out of cache.
        let mut shared: HashSet<(u64, u64)> = HashSet::new();
        if opts.split_at_shared_vertices {
            let mut keys: Vec<(u64, u64)> = parts
                .par_iter()
                .flat_map_iter(|(_, l)| {
                    let n = l.0.len();
                    // A closed ring's repeated end is one vertex.
                    let closed = n > 1 && l.0[0] == l.0[n - 1];
                    l.0[..n - usize::from(closed)].iter().map(|&c| key(c))
                })
                .collect();
            keys.par_sort_unstable();
            shared.extend(keys.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]));
        }
        let mut grid = NodeGrid {
            tol: opts.snap_tolerance,
            cells: HashMap::new(),
            nodes: Vec::new(),
        };
        let mut raw: Vec<Edge> = Vec::new();
        for (f, l) in &parts {
            if l.0.len() < 2 {
                report.zero_length += 1;
                continue;
            }
            let mut start = 0usize;
            let last = l.0.len() - 1;
            for k in 1..=last {
                let split = k == last || shared.contains(&key(l.0[k]));
                if !split {
                    continue;
                }
                let (a, ma) = grid.node(l.0[start]);
                let (b, mb) = grid.node(l.0[k]);
                report.snapped_endpoints += usize::from(ma) + usize::from(mb);
                let mut coords: Vec<Coord<f64>> = l.0[start..=k].to_vec();
                coords[0] = grid.nodes[a as usize];
                let e = coords.len() - 1;
                coords[e] = grid.nodes[b as usize];
                let line = LineString::new(coords);
                let length = Euclidean.length(&line);
                start = k;
                if length <= 0.0 {
                    report.zero_length += 1;
                    continue;
                }
                raw.push(Edge {
                    a,
                    b,
                    length,
                    line,
                    feature: *f,
                });
            }
        }
        if raw.is_empty() {
            return Err(NetworkError::Empty {
                layer: layer.name.clone(),
            });
        }
        // Components (union-find), the largest by length kept.
        let nn = grid.nodes.len();
        let mut parent: Vec<u32> = (0..nn as u32).collect();
        for e in &raw {
            let (ra, rb) = (find(&mut parent, e.a), find(&mut parent, e.b));
            if ra != rb {
                let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
                parent[hi as usize] = lo;
            }
        }
        let mut comp_len: HashMap<u32, (f64, usize)> = HashMap::new();
        for e in &raw {
            let r = find(&mut parent, e.a);
            let c = comp_len.entry(r).or_insert((0.0, 0));
            c.0 += e.length;
            c.1 += 1;
        }
        let mut comps: Vec<(u32, f64, usize)> = comp_len.into_iter().map(|(r, (l, n))| (r, l, n)).collect();
        comps.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        let keep = comps[0].0;
        report.components = comps.len();
        report.dropped_components = comps.len() - 1;
        report.dropped_edges = comps[1..].iter().map(|c| c.2).sum();
        report.dropped_length = comps[1..].iter().map(|c| c.1).sum();
        // Renumber the kept nodes in order of first appearance.
        let mut new_id = vec![u32::MAX; nn];
        let mut nodes = Vec::new();
        let mut edges = Vec::new();
        for mut e in raw {
            if find(&mut parent, e.a) != keep {
                continue;
            }
            for n in [e.a, e.b] {
                if new_id[n as usize] == u32::MAX {
                    new_id[n as usize] = nodes.len() as u32;
                    nodes.push(grid.nodes[n as usize]);
                }
            }
            e.a = new_id[e.a as usize];
            e.b = new_id[e.b as usize];
            edges.push(e);
        }
        report.kept_edges = edges.len();
        report.kept_nodes = nodes.len();
        report.kept_length = edges.iter().map(|e| e.length).sum();
        Ok(Self::assemble(nodes, edges, report, layer.crs))
    }

    fn assemble(
        nodes: Vec<Coord<f64>>,
        edges: Vec<Edge>,
        report: ComponentReport,
        crs: Crs,
    ) -> StreetNetwork {
        let mut degree = vec![0usize; nodes.len() + 1];
        for e in &edges {
            degree[e.a as usize] += 1;
            if e.b != e.a {
                degree[e.b as usize] += 1;
            }
        }
        let mut offsets = Vec::with_capacity(nodes.len() + 1);
        offsets.push(0);
        for d in &degree[..nodes.len()] {
            offsets.push(offsets[offsets.len() - 1] + d);
        }
        let mut fill = offsets.clone();
        let mut adj = vec![(0u32, 0u32); offsets[nodes.len()]];
        for (k, e) in edges.iter().enumerate() {
            adj[fill[e.a as usize]] = (e.b, k as u32);
            fill[e.a as usize] += 1;
            if e.b != e.a {
                adj[fill[e.b as usize]] = (e.a, k as u32);
                fill[e.b as usize] += 1;
            }
        }
        let mut pieces = Vec::new();
        for (k, e) in edges.iter().enumerate() {
            let mut off = 0.0;
            for l in e.line.lines() {
                pieces.push(GeomWithData::new(l, (k as u32, off)));
                off += Euclidean.length(&l);
            }
        }
        StreetNetwork {
            nodes,
            edges,
            offsets,
            adj,
            tree: RTree::bulk_load(pieces),
            report,
            crs,
        }
    }

    /// The kept nodes.
    pub fn nodes(&self) -> &[Coord<f64>] {
        &self.nodes
    }

    /// The kept edges.
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// What was kept and dropped.
    pub fn report(&self) -> &ComponentReport {
        &self.report
    }

    /// The CRS (metres).
    pub fn crs(&self) -> Crs {
        self.crs
    }

    /// `(neighbour, edge)` pairs of node `n`.
    pub fn neighbours(&self, n: u32) -> &[(u32, u32)] {
        &self.adj[self.offsets[n as usize]..self.offsets[n as usize + 1]]
    }

    /// The nearest point of the network to `p` (ties: whichever the R-tree meets first, the
    /// same every run).
    pub fn snap(&self, p: Point<f64>) -> Option<Snap> {
        let piece = self.tree.nearest_neighbor(&p)?;
        let line = piece.geom();
        let (edge, start) = piece.data;
        let q = match line.closest_point(&p) {
            Closest::Intersection(q) | Closest::SinglePoint(q) => q,
            Closest::Indeterminate => line.start_point(),
        };
        let along = Euclidean.distance(line.start_point(), q);
        let len = self.edges[edge as usize].length;
        Some(Snap {
            edge,
            offset: (start + along).min(len),
            point: q,
            distance: Euclidean.distance(p, q),
        })
    }

    /// Network distances from a snap point to the nodes reached within `cutoff` metres
    /// (along the network only; the snap's off-network walk not included), sorted by node.
    pub fn node_distances(&self, source: &Snap, cutoff: f64) -> Vec<(u32, f64)> {
        let e = &self.edges[source.edge as usize];
        let mut dist: HashMap<u32, f64> = HashMap::new();
        let mut heap = BinaryHeap::new();
        for (n, d) in [(e.a, source.offset), (e.b, e.length - source.offset)] {
            if d <= cutoff && dist.get(&n).is_none_or(|&x| d < x) {
                dist.insert(n, d);
                heap.push(Entry(d, n));
            }
        }
        while let Some(Entry(d, n)) = heap.pop() {
            if dist.get(&n).is_some_and(|&x| d > x) {
                continue;
            }
            for &(m, k) in self.neighbours(n) {
                let nd = d + self.edges[k as usize].length;
                if nd <= cutoff && dist.get(&m).is_none_or(|&x| nd < x) {
                    dist.insert(m, nd);
                    heap.push(Entry(nd, m));
                }
            }
        }
        let mut out: Vec<(u32, f64)> = dist.into_iter().collect();
        out.sort_unstable_by_key(|x| x.0);
        out
    }

    /// Network distance between two snap points given the source's node distances (from
    /// [`StreetNetwork::node_distances`]); `None` when not reached. Off-network walks not included.
    pub fn snap_distance(&self, reached: &[(u32, f64)], source: &Snap, target: &Snap) -> Option<f64> {
        let e = &self.edges[target.edge as usize];
        let at = |n: u32| {
            reached
                .binary_search_by_key(&n, |x| x.0)
                .ok()
                .map(|i| reached[i].1)
        };
        let mut best = None::<f64>;
        let mut take = |d: f64| {
            if best.is_none_or(|b| d < b) {
                best = Some(d);
            }
        };
        if source.edge == target.edge {
            take((source.offset - target.offset).abs());
        }
        if let Some(d) = at(e.a) {
            take(d + target.offset);
        }
        if let Some(d) = at(e.b) {
            take(d + (e.length - target.offset));
        }
        best
    }

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
struct Sampled {
    /// Each point once.
    points: Vec<Coord<f64>>,
    /// Point → its index in `points`.
    index: HashMap<(u64, u64), u32>,
    /// Per line, its points in order, each with whether the piece from the previous point is
    /// the street itself (`true`) or a chord across thinned vertices (`false`).
    paths: Vec<Vec<(u32, bool)>>,
    /// The street pieces under the chords, as they are.
    detours: Vec<LineString<f64>>,
}

/// Samples the reached streets for triangulation: a line's vertices are kept when at least
/// `buffer / THIN_DIVISOR` from the previous kept one (its ends always), and points are added
/// every `buffer` metres at most between kept vertices. So the number of points is bounded by
/// the streets' length over the buffer, however finely they are digitised (a street drawn with
/// a vertex every 0.5 m made the Delaunay triangulation superlinear: long arcs of many points
/// are its worst case). Lines whose vertices are all that far apart are sampled exactly as
/// they are.
fn sample_streets(lines: &MultiLineString<f64>, buffer: f64) -> Sampled {
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
fn sub_line(line: &LineString<f64>, a: f64, b: f64) -> LineString<f64> {
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

/// Why a point does not use the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffNetwork {
    /// No location.
    NoPoint,
    /// Inside a coverage-gap polygon.
    Gap,
    /// Farther than the maximum snap distance from the network.
    TooFar,
}

/// Where a set of points meets the network.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapped {
    /// Per point: its snap, or why it falls back to straight-line distance.
    pub snaps: Vec<Result<Snap, OffNetwork>>,
}

impl Snapped {
    /// Indices of the points that fall back, with the reason.
    pub fn off_network(&self) -> impl Iterator<Item = (usize, OffNetwork)> + '_ {
        self.snaps
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().err().map(|r| (i, *r)))
    }

    /// How many points fall back for `reason`.
    pub fn count(&self, reason: OffNetwork) -> usize {
        self.off_network().filter(|(_, r)| *r == reason).count()
    }
}

/// Snaps points; points in a `gap` polygon or farther than `max_snap` metres are off the
/// network.
pub fn snap_points(
    net: &StreetNetwork,
    points: &[Option<Point<f64>>],
    gap: &[MultiPolygon<f64>],
    max_snap: f64,
) -> Snapped {
    let in_gap = crate::join::points::points_in_polygons(points, gap);
    let snaps = points
        .par_iter()
        .zip(in_gap.polygon.par_iter())
        .map(|(p, g)| {
            let Some(p) = p else {
                return Err(OffNetwork::NoPoint);
            };
            if g.is_some() {
                return Err(OffNetwork::Gap);
            }
            match net.snap(*p) {
                Some(s) if s.distance <= max_snap => Ok(s),
                _ => Err(OffNetwork::TooFar),
            }
        })
        .collect();
    Snapped { snaps }
}

/// For each source, the targets within `radius` metres and their distances, nearest first
/// (ties by index): the off-network walks plus the network distance when both points are on
/// the network, the straight-line distance when either falls back (see [`Snapped`]).
/// Parallel over sources; the result does not depend on the thread count.
pub fn within_distance(
    net: &StreetNetwork,
    sources: &[Option<Point<f64>>],
    source_snaps: &Snapped,
    targets: &[Option<Point<f64>>],
    target_snaps: &Snapped,
    radius: f64,
) -> Vec<Vec<(u32, f64)>> {
    // Targets on the network, by edge; the others for the straight-line fallback.
    let mut on_edge: HashMap<u32, Vec<u32>> = HashMap::new();
    let mut fallback_pts = Vec::new();
    for (t, s) in target_snaps.snaps.iter().enumerate() {
        match s {
            Ok(s) => on_edge.entry(s.edge).or_default().push(t as u32),
            Err(OffNetwork::NoPoint) => {}
            Err(_) => fallback_pts.push(t as u32),
        }
    }
    let fallback_tree: RTree<GeomWithData<[f64; 2], u32>> = RTree::bulk_load(
        fallback_pts
            .iter()
            .filter_map(|&t| targets[t as usize].map(|p| GeomWithData::new([p.x(), p.y()], t)))
            .collect(),
    );
    let all_tree: RTree<GeomWithData<[f64; 2], u32>> = RTree::bulk_load(
        targets
            .iter()
            .enumerate()
            .filter_map(|(t, p)| p.map(|p| GeomWithData::new([p.x(), p.y()], t as u32)))
            .collect(),
    );
    sources
        .par_iter()
        .zip(source_snaps.snaps.par_iter())
        .map(|(p, s)| {
            let Some(p) = p else { return Vec::new() };
            let q = [p.x(), p.y()];
            let euclid = |g: &GeomWithData<[f64; 2], u32>| {
                (
                    g.data,
                    Euclidean.distance(*p, Point::new(g.geom()[0], g.geom()[1])),
                )
            };
            let mut row: Vec<(u32, f64)> = match s {
                Err(_) => all_tree
                    .locate_within_distance(q, radius * radius)
                    .map(euclid)
                    .filter(|x| x.1 <= radius)
                    .collect(),
                Ok(s) => {
                    let mut row: Vec<(u32, f64)> = fallback_tree
                        .locate_within_distance(q, radius * radius)
                        .map(euclid)
                        .filter(|x| x.1 <= radius)
                        .collect();
                    let budget = radius - s.distance;
                    if budget >= 0.0 {
                        let reached = net.node_distances(s, budget);
                        let mut edges: Vec<u32> = vec![s.edge];
                        for &(n, _) in &reached {
                            edges.extend(net.neighbours(n).iter().map(|x| x.1));
                        }
                        edges.sort_unstable();
                        edges.dedup();
                        for k in edges {
                            for &t in on_edge.get(&k).map(Vec::as_slice).unwrap_or(&[]) {
                                let ts = match &target_snaps.snaps[t as usize] {
                                    Ok(ts) => ts,
                                    Err(_) => continue,
                                };
                                if let Some(d) = net.snap_distance(&reached, s, ts) {
                                    let total = s.distance + d + ts.distance;
                                    if total <= radius {
                                        row.push((t, total));
                                    }
                                }
                            }
                        }
                    }
                    row
                }
            };
            row.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            row
        })
        .collect()
}

/// A street network ready to measure walking distances for a method: the graph, the
/// coverage-gap polygons, and the maximum snap distance.
#[derive(Debug, Clone)]
pub struct NetworkCost {
    /// The graph.
    pub net: StreetNetwork,
    /// Areas the network does not cover.
    pub gap: Vec<MultiPolygon<f64>>,
    /// The gap layer's name (file), if any.
    pub gap_layer: Option<String>,
    /// The street layer's name (file).
    pub layer: String,
    /// Points farther than this from the network fall back (`None`: the search radius).
    pub max_snap: Option<f64>,
    /// Catchment buffer, metres.
    pub buffer: f64,
}

/// Walking distances from sources to targets (see [`within_distance`]), with how every point
/// met the network.
#[derive(Debug, Clone, PartialEq)]
pub struct Distances {
    /// Per source: `(target, metres)` within the radius, nearest first.
    pub rows: Vec<Vec<(u32, f64)>>,
    /// How the sources met the network.
    pub sources: Snapped,
    /// How the targets met the network.
    pub targets: Snapped,
    /// The maximum snap distance used.
    pub max_snap: f64,
}

/// What the walk needs of a method's `[network]` section (`NetworkSpec::walk_options`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WalkOptions {
    /// Street ends closer than this many metres are joined.
    pub snap_tolerance: f64,
    /// Points farther than this from the network walk in a straight line (`None`: the
    /// cut-off radius of each search).
    pub max_snap: Option<f64>,
    /// Reached streets are buffered by this many metres to draw a catchment.
    pub buffer: f64,
}

/// A method's street network built once for every step that walks on it (the index's access
/// and the siting), however many of them do: build it with [`PreparedNetwork::get_or_build`].
/// It belongs to one method's loaded inputs (the `[network]` section is the method's).
#[derive(Debug, Clone, Default)]
pub struct PreparedNetwork(std::sync::OnceLock<NetworkCost>);

impl PreparedNetwork {
    /// The network from `prepared` when the caller has one (built there once), else built
    /// into `built` for this caller alone.
    pub fn or_build<'a>(
        prepared: Option<&'a PreparedNetwork>,
        built: &'a mut Option<NetworkCost>,
        spec: &WalkOptions,
        streets: Option<&Layer>,
        gap: Option<&Layer>,
    ) -> Result<&'a NetworkCost, NetworkError> {
        match prepared {
            Some(p) => p.get_or_build(spec, streets, gap),
            None => Ok(built.insert(NetworkCost::new(spec, streets, gap)?)),
        }
    }

    /// The network, built by [`NetworkCost::new`] on the first call and kept for later ones.
    pub fn get_or_build(
        &self,
        spec: &WalkOptions,
        streets: Option<&Layer>,
        gap: Option<&Layer>,
    ) -> Result<&NetworkCost, NetworkError> {
        if let Some(c) = self.0.get() {
            return Ok(c);
        }
        let built = NetworkCost::new(spec, streets, gap)?;
        Ok(self.0.get_or_init(|| built))
    }
}

impl NetworkCost {
    /// Builds the network of a method's `[network]` section from its layers (projected).
    pub fn new(
        spec: &WalkOptions,
        streets: Option<&Layer>,
        gap: Option<&Layer>,
    ) -> Result<NetworkCost, NetworkError> {
        let streets = streets.ok_or(NetworkError::Missing)?;
        let net = StreetNetwork::from_layer(
            streets,
            &NetworkOptions {
                snap_tolerance: spec.snap_tolerance,
                ..NetworkOptions::default()
            },
        )?;
        let gap_polys = match gap {
            Some(g) => g.polygons()?,
            None => Vec::new(),
        };
        Ok(NetworkCost {
            net,
            gap: gap_polys,
            gap_layer: gap.map(|g| g.name.clone()),
            layer: streets.name.clone(),
            max_snap: spec.max_snap,
            buffer: spec.buffer,
        })
    }

    /// Walking distances within `radius` metres from every source to every target.
    pub fn within(
        &self,
        sources: &[Option<Point<f64>>],
        targets: &[Option<Point<f64>>],
        radius: f64,
    ) -> Distances {
        let max_snap = self.max_snap.unwrap_or(radius);
        let ss = snap_points(&self.net, sources, &self.gap, max_snap);
        let ts = snap_points(&self.net, targets, &self.gap, max_snap);
        let rows = within_distance(&self.net, sources, &ss, targets, &ts, radius);
        Distances {
            rows,
            sources: ss,
            targets: ts,
            max_snap,
        }
    }

    /// The catchment of a point: the streets reached within `radius` metres (off-network walk
    /// included), gaps narrower than twice the buffer filled, buffered (see
    /// [`street_catchment`]), or `None` when the point is off the network.
    pub fn catchment(&self, snap: &Result<Snap, OffNetwork>, radius: f64) -> Option<MultiPolygon<f64>> {
        let s = snap.as_ref().ok()?;
        Some(self.net.catchment(s, (radius - s.distance).max(0.0), self.buffer))
    }

    /// A plain-language note on the graph: kept and dropped components.
    pub fn graph_note(&self) -> String {
        let r = self.net.report();
        format!(
            "network {}: {} segment(s) read → {} edge(s), {} node(s), {:.1} km kept (largest connected component); {} other component(s) dropped ({} edge(s), {:.1} km); {} street end(s) joined within the snap tolerance",
            self.layer,
            r.segments_read,
            r.kept_edges,
            r.kept_nodes,
            r.kept_length / 1000.0,
            r.dropped_components,
            r.dropped_edges,
            r.dropped_length / 1000.0,
            r.snapped_endpoints
        )
    }

    /// A note on the points of one kind that fall back to straight-line distance (`None` when
    /// none does). `ids` names them.
    pub fn fallback_note(
        &self,
        what: &str,
        snapped: &Snapped,
        ids: &[String],
        max_snap: f64,
    ) -> Option<String> {
        let off: Vec<(usize, OffNetwork)> = snapped
            .off_network()
            .filter(|(_, r)| *r != OffNetwork::NoPoint)
            .collect();
        let first = off.first()?;
        Some(format!(
            "network: {} of {} {what} use straight-line distance instead of walking: {} inside the coverage gap{}, {} farther than {max_snap} m from the kept network (first: {:?})",
            off.len(),
            snapped.snaps.len(),
            snapped.count(OffNetwork::Gap),
            self.gap_layer
                .as_ref()
                .map(|g| format!(" ({g})"))
                .unwrap_or_default(),
            snapped.count(OffNetwork::TooFar),
            ids.get(first.0).map(String::as_str).unwrap_or("?")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;
    use polars::prelude::DataFrame;

    fn layer(lines: Vec<Vec<(f64, f64)>>) -> Layer {
        let n = lines.len();
        Layer::new(
            "streets",
            (0..n).map(|i| format!("s{i}")).collect(),
            lines
                .into_iter()
                .map(|l| Some(Geometry::LineString(LineString::from(l))))
                .collect(),
            DataFrame::empty_with_height(n),
            Crs::from_epsg(9377).unwrap(),
        )
        .unwrap()
    }

    fn build(lines: Vec<Vec<(f64, f64)>>) -> StreetNetwork {
        StreetNetwork::from_layer(&layer(lines), &NetworkOptions::default()).unwrap()
    }

    #[test]
    fn endpoints_within_tolerance_are_merged_and_lengths_are_polyline_lengths() {
        // Two segments whose ends are 1.5 m apart: one node. An L-shaped polyline: 30 + 40.
        let net = build(vec![
            vec![(0.0, 0.0), (100.0, 0.0)],
            vec![(101.5, 0.0), (101.5, 30.0), (141.5, 30.0)],
        ]);
        assert_eq!(net.nodes().len(), 3);
        assert_eq!(net.report().snapped_endpoints, 1);
        assert_eq!(net.edges()[0].b, net.edges()[1].a);
        // The second polyline starts at the merged node (100, 0): 1.5 + ~30 ... recomputed.
        let l = net.edges()[1].length;
        let expected = (1.5f64.powi(2) + 30f64.powi(2)).sqrt() + 40.0;
        assert!((l - expected).abs() < 1e-9, "{l} vs {expected}");
        // 2.5 m apart: not merged, two components; the shorter is dropped and reported.
        let net = build(vec![
            vec![(0.0, 0.0), (100.0, 0.0)],
            vec![(102.5, 0.0), (150.0, 0.0)],
        ]);
        assert_eq!(net.report().components, 2);
        assert_eq!(net.report().dropped_components, 1);
        assert_eq!(net.report().dropped_edges, 1);
        assert!((net.report().dropped_length - 47.5).abs() < 1e-9);
        assert_eq!(net.edges().len(), 1);
    }

    #[test]
    fn shared_interior_vertices_become_nodes() {
        // A cross digitised as two lines sharing the vertex (50, 0).
        let lines = vec![
            vec![(0.0, 0.0), (50.0, 0.0), (100.0, 0.0)],
            vec![(50.0, -50.0), (50.0, 0.0), (50.0, 50.0)],
        ];
        let net = build(lines.clone());
        assert_eq!(net.edges().len(), 4);
        assert_eq!(net.report().components, 1);
        let off = StreetNetwork::from_layer(
            &layer(lines),
            &NetworkOptions {
                split_at_shared_vertices: false,
                ..NetworkOptions::default()
            },
        )
        .unwrap();
        assert_eq!(off.edges().len(), 1, "without splitting the lines do not meet");
        assert_eq!(off.report().components, 2);
    }

    #[test]
    fn snap_mid_edge_and_cutoff() {
        // A path 0 —100— 1 —100— 2 —100— 3 and a detour 0 —(500)— 3.
        let net = build(vec![
            vec![(0.0, 0.0), (100.0, 0.0)],
            vec![(100.0, 0.0), (200.0, 0.0)],
            vec![(200.0, 0.0), (300.0, 0.0)],
            vec![
                (0.0, 0.0),
                (0.0, 200.0),
                (100.0, 200.0),
                (300.0, 200.0),
                (300.0, 100.0),
                (300.0, 0.0),
            ],
        ]);
        let s = net.snap(Point::new(130.0, 7.0)).unwrap();
        assert_eq!(s.edge, 1);
        assert!((s.offset - 30.0).abs() < 1e-12 && (s.distance - 7.0).abs() < 1e-12);
        let reached = net.node_distances(&s, 150.0);
        // Nodes 1 (30 m) and 2 (70 m) reached, 0 at 130 m, 3 at 170 m is beyond the cut-off.
        let d: Vec<f64> = reached.iter().map(|x| x.1).collect();
        assert_eq!(reached.len(), 3);
        assert!(d.contains(&30.0) && d.contains(&70.0) && d.contains(&130.0));
        // A target on the same edge: straight along it.
        let t = net.snap(Point::new(190.0, -3.0)).unwrap();
        assert!((net.snap_distance(&reached, &s, &t).unwrap() - 60.0).abs() < 1e-9);
        // A target on the detour, 50 m from node 0 along it: 130 + 50.
        let u = net.snap(Point::new(-4.0, 50.0)).unwrap();
        let far = net.node_distances(&s, 1000.0);
        assert!((net.snap_distance(&far, &s, &u).unwrap() - 180.0).abs() < 1e-9);
        assert_eq!(net.snap_distance(&reached, &s, &u), Some(180.0));
        let short = net.node_distances(&s, 100.0);
        assert_eq!(net.snap_distance(&short, &s, &u), None);
        // within_distance adds the off-network walks and applies the radius to the total.
        let pts = vec![Some(Point::new(130.0, 7.0))];
        let tg = vec![Some(Point::new(190.0, -3.0)), Some(Point::new(-4.0, 50.0)), None];
        let ss = snap_points(&net, &pts, &[], 100.0);
        let ts = snap_points(&net, &tg, &[], 100.0);
        let rows = within_distance(&net, &pts, &ss, &tg, &ts, 190.0);
        assert_eq!(rows[0].len(), 1, "191 m is beyond 190 m");
        assert_eq!(rows[0][0].0, 0);
        assert!((rows[0][0].1 - (7.0 + 60.0 + 3.0)).abs() < 1e-9);
        let rows = within_distance(&net, &pts, &ss, &tg, &ts, 191.0);
        assert_eq!(rows[0].len(), 2);
        assert!((rows[0][1].1 - 191.0).abs() < 1e-9);
    }

    #[test]
    fn radius_is_on_the_total_and_fallback_is_straight_line() {
        let net = build(vec![vec![(0.0, 0.0), (1000.0, 0.0)]]);
        let src = vec![Some(Point::new(0.0, 10.0))];
        let tg = vec![
            Some(Point::new(500.0, 20.0)),  // 10 + 500 + 20 = 530
            Some(Point::new(500.0, 900.0)), // too far from the network: 500²+890² straight
            Some(Point::new(300.0, -5.0)),  // in the gap: straight line
        ];
        let gap = vec![MultiPolygon::new(vec![polygon![
            (x: 250.0, y: -50.0), (x: 350.0, y: -50.0), (x: 350.0, y: -1.0), (x: 250.0, y: -1.0)
        ]])];
        let ss = snap_points(&net, &src, &gap, 100.0);
        let ts = snap_points(&net, &tg, &gap, 100.0);
        assert_eq!(ts.count(OffNetwork::TooFar), 1);
        assert_eq!(ts.count(OffNetwork::Gap), 1);
        let rows = within_distance(&net, &src, &ss, &tg, &ts, 1100.0);
        let d = |t: u32| rows[0].iter().find(|x| x.0 == t).map(|x| x.1);
        assert!((d(0).unwrap() - 530.0).abs() < 1e-9);
        assert!((d(1).unwrap() - (500f64.powi(2) + 890f64.powi(2)).sqrt()).abs() < 1e-9);
        assert!((d(2).unwrap() - (300f64.powi(2) + 15f64.powi(2)).sqrt()).abs() < 1e-9);
        let rows = within_distance(&net, &src, &ss, &tg, &ts, 529.0);
        assert!(rows[0].iter().all(|x| x.0 != 0), "530 m is beyond 529 m");
        let rows = within_distance(&net, &src, &ss, &tg, &ts, 530.0 + 1e-9);
        assert!(rows[0].iter().any(|x| x.0 == 0));
    }

    #[test]
    fn reached_lines_stop_at_the_cutoff() {
        // A T: 0—(100)—1, 1—(100)—2, 1—(50)—3.
        let net = build(vec![
            vec![(0.0, 0.0), (100.0, 0.0)],
            vec![(100.0, 0.0), (200.0, 0.0)],
            vec![(100.0, 0.0), (100.0, 50.0)],
        ]);
        let s = net.snap(Point::new(20.0, 0.0)).unwrap();
        let lines = net.reached_lines(&s, 120.0);
        let total: f64 = lines.0.iter().map(|l| Euclidean.length(l)).sum();
        // Back to 0 (20), forward to 1 (80), then 40 on each branch.
        assert!((total - (20.0 + 80.0 + 40.0 + 40.0)).abs() < 1e-9, "{total}");
        let c = net.catchment(&s, 120.0, 10.0);
        let a = geo::Area::unsigned_area(&c);
        assert!(a > 0.0 && a < 200.0 * 100.0);
        // A T has no block to fill: the fast catchment is the exact one, up to the arcs
        let exact = geo::Area::unsigned_area(&net.catchment_exact(&s, 120.0, 10.0));
        // (the corners of the T, narrower than 2 × buffer, are filled).
        assert!(a >= exact * 0.999 && a <= exact * 1.03, "{a} vs {exact}");
    }

    /// Two street grids (100 m blocks, 6 × 6 blocks each) 300 m apart across a "river",
    /// joined by a single bridge.
    fn two_grids() -> StreetNetwork {
        let mut lines = Vec::new();
        for x0 in [0.0, 900.0] {
            for i in 0..=6 {
                for j in 0..6 {
                    let (u, v, w) = (i as f64 * 100.0, j as f64 * 100.0, (j + 1) as f64 * 100.0);
                    lines.push(vec![(x0 + u, v), (x0 + u, w)]);
                    lines.push(vec![(x0 + v, u), (x0 + w, u)]);
                }
            }
        }
        lines.push(vec![(600.0, 300.0), (900.0, 300.0)]);
        build(lines)
    }

    #[test]
    fn fast_catchment_covers_the_reached_streets_and_stays_within_reach() {
        use geo::{Area, BooleanOps, Contains};
        let net = two_grids();
        for (p, cutoff, buffer) in [
            (Point::new(550.0, 310.0), 700.0, 50.0),
            (Point::new(250.0, 250.0), 400.0, 50.0),
            (Point::new(1000.0, 5.0), 800.0, 30.0),
        ] {
            let s = net.snap(p).unwrap();
            let fast = net.catchment(&s, cutoff, buffer);
            let exact = net.catchment_exact(&s, cutoff, buffer);
            // Every reached street point (vertices and points along them) is inside.
            for l in &net.reached_lines(&s, cutoff).0 {
                for seg in l.lines() {
                    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
                        let q = Point::new(
                            seg.start.x + t * (seg.end.x - seg.start.x),
                            seg.start.y + t * (seg.end.y - seg.start.y),
                        );
                        assert!(fast.contains(&q), "{q:?} reached from {p:?} is outside");
                    }
                }
            }
            // It lies within the reach (off-network walk + cut-off) plus the buffer.
            let reach = s.distance + cutoff + buffer;
            for c in fast.0.iter().flat_map(|poly| poly.exterior().0.iter()) {
                let d = Euclidean.distance(p, Point::from(*c));
                assert!(d <= reach + 1e-6, "{c:?} is {d} m from {p:?}, reach {reach}");
            }
            // It contains the exact buffered union (up to the arcs' chords) and adds little.
            let missing = exact.difference(&fast).unsigned_area();
            let (fa, ea) = (fast.unsigned_area(), exact.unsigned_area());
            assert!(missing < 1e-3 * ea, "{missing} m² of the exact catchment missing");
            assert!(fa >= ea * 0.999 && fa <= ea * 1.25, "fast {fa} vs exact {ea}");
        }
    }

    /// A wavy street drawn with a vertex every `spacing` metres, `length` metres long.
    fn wavy(y0: f64, length: f64, spacing: f64) -> Vec<(f64, f64)> {
        let n = (length / spacing) as usize;
        (0..=n)
            .map(|i| {
                let x = i as f64 * spacing;
                (x, y0 + 40.0 * (x / 150.0).sin())
            })
            .collect()
    }

    #[test]
    fn over_digitised_streets_are_thinned_for_the_triangulation_only() {
        use geo::{Area, BooleanOps, Contains};
        // Three parallel wavy streets 2 km long with a vertex every 0.25 m, and cross streets.
        let mut lines: Vec<Vec<(f64, f64)>> = [0.0, 90.0, 180.0]
            .iter()
            .map(|&y| wavy(y, 2_000.0, 0.25))
            .collect();
        for x in [300.0, 900.0, 1_500.0] {
            lines.push(vec![(x, -100.0), (x, 300.0)]);
        }
        let net = build(lines);
        let (cutoff, buffer) = (900.0, 50.0);
        let s = net.snap(Point::new(900.0, 90.0)).unwrap();
        let reached = net.reached_lines(&s, cutoff);
        let vertices: usize = reached.0.iter().map(|l| l.0.len()).sum();
        let length: f64 = reached.0.iter().map(|l| Euclidean.length(l)).sum();
        // The triangulated points follow the length, not the digitisation.
        let sampled = sample_streets(&reached, buffer);
        let bound = reached.0.len() * 2 + (THIN_DIVISOR * length / buffer).ceil() as usize;
        assert!(vertices > 5_000, "{vertices} reached vertices");
        assert!(
            sampled.points.len() <= bound,
            "{} points, bound {bound}",
            sampled.points.len()
        );
        assert!(!sampled.detours.is_empty());
        // Every street vertex is inside, and so is the exact buffered union.
        let fast = net.catchment(&s, cutoff, buffer);
        for l in &reached.0 {
            for c in l.0.iter().step_by(7) {
                assert!(fast.contains(&Point::from(*c)), "{c:?} is outside");
            }
        }
        let exact = net.catchment_exact(&s, cutoff, buffer);
        let missing = exact.difference(&fast).unsigned_area();
        assert!(
            missing < 1e-3 * exact.unsigned_area(),
            "{missing} m² of the exact catchment missing"
        );
        // And nothing lies farther than the stated bound from a reached street vertex.
        let reach = FILL_FACTOR * buffer / 3f64.sqrt() + buffer + buffer / DETOUR_SLACK_DIVISOR;
        let tree = RTree::bulk_load(
            reached
                .0
                .iter()
                .flat_map(|l| l.0.iter().map(|c| [c.x, c.y]))
                .collect(),
        );
        for c in fast.0.iter().flat_map(|p| p.exterior().0.iter()) {
            let q = tree.nearest_neighbor(&[c.x, c.y]).unwrap();
            let d = ((q[0] - c.x).powi(2) + (q[1] - c.y).powi(2)).sqrt();
            assert!(
                d <= reach + 1e-6,
                "{c:?} is {d} m from the streets, bound {reach}"
            );
        }
    }

    #[test]
    fn streets_with_vertices_far_apart_are_sampled_as_they_are() {
        // Vertices at least buffer / THIN_DIVISOR apart: no chord, no detour, every vertex kept.
        let line = LineString::from(vec![(0.0, 0.0), (13.0, 0.0), (13.0, 100.0), (40.0, 120.0)]);
        let s = sample_streets(&MultiLineString::new(vec![line.clone()]), 50.0);
        assert!(s.detours.is_empty());
        assert!(s.paths[0].iter().all(|&(_, exact)| exact));
        for c in &line.0 {
            assert!(s.points.contains(c), "{c:?} dropped");
        }
        // A vertex 1 m from the previous one is left out, and the piece under its chord kept.
        let line = LineString::from(vec![(0.0, 0.0), (1.0, 0.5), (30.0, 0.0)]);
        let s = sample_streets(&MultiLineString::new(vec![line.clone()]), 50.0);
        assert!(!s.points.contains(&Coord { x: 1.0, y: 0.5 }));
        assert_eq!(s.detours, vec![line]);
    }

    #[test]
    fn fast_catchment_does_not_bridge_the_river() {
        use geo::Contains;
        let net = two_grids();
        // From the bridge head, 700 m reaches deep into both grids.
        let s = net.snap(Point::new(600.0, 300.0)).unwrap();
        let c = net.catchment(&s, 700.0, 50.0);
        // The river 100 m away from the bridge, on either side: no street within 100 m.
        for q in [Point::new(750.0, 150.0), Point::new(750.0, 450.0)] {
            assert!(!c.contains(&q), "{q:?} in the river is inside the catchment");
        }
        // The bridge itself and a block between reached streets are inside.
        assert!(c.contains(&Point::new(750.0, 300.0)));
        assert!(c.contains(&Point::new(450.0, 250.0)));
        // Determinism: the same polygon twice.
        assert_eq!(c, net.catchment(&s, 700.0, 50.0));
    }
}
