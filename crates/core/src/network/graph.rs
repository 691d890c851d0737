//! The street graph: nodes where street ends meet (within the snap tolerance), edges with
//! their lengths and geometry, connected components, and Dijkstra over it.

use crate::crs::Crs;
use crate::layer::Layer;
use geo::{Closest, ClosestPoint, Coord, Distance, Euclidean, Geometry, Length, Line, LineString, Point};
use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet};
use thiserror::Error;

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

pub(super) type Piece = GeomWithData<Line<f64>, (u32, f64)>;

/// A routable, undirected street network (the largest connected component of a line layer).
#[derive(Debug, Clone)]
pub struct StreetNetwork {
    pub(super) nodes: Vec<Coord<f64>>,
    pub(super) edges: Vec<Edge>,
    /// CSR adjacency: for node `n`, `adj[offsets[n]..offsets[n + 1]]` = (neighbour, edge).
    pub(super) offsets: Vec<usize>,
    pub(super) adj: Vec<(u32, u32)>,
    pub(super) tree: RTree<Piece>,
    pub(super) report: ComponentReport,
    pub(super) crs: Crs,
}

/// A Dijkstra heap entry: smallest distance first, ties by node.
#[derive(Clone, Copy, PartialEq)]
pub(super) struct Entry(f64, u32);

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
pub(super) struct NodeGrid {
    pub(super) tol: f64,
    pub(super) cells: HashMap<(i64, i64), Vec<u32>>,
    pub(super) nodes: Vec<Coord<f64>>,
}

impl NodeGrid {
    pub(super) fn cell(&self, c: Coord<f64>) -> (i64, i64) {
        ((c.x / self.tol).floor() as i64, (c.y / self.tol).floor() as i64)
    }

    /// The node of `c`, and whether it was merged into a node at other coordinates.
    pub(super) fn node(&mut self, c: Coord<f64>) -> (u32, bool) {
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

pub(super) fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let p = parent[x as usize];
        parent[x as usize] = parent[p as usize];
        x = p;
    }
    x
}

pub(super) fn key(c: Coord<f64>) -> (u64, u64) {
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

    pub(super) fn assemble(
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
}
