//! Walking distances: points snapped to the nearest street (or left off the network, and why),
//! then bounded Dijkstra from every source to the targets within reach.

use geo::{Distance, Euclidean, MultiPolygon, Point};
use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::collections::HashMap;

use super::graph::{Snap, StreetNetwork};
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
