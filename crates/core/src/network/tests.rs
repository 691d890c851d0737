use geo::{Coord, Distance, Euclidean, Geometry, Length, LineString, MultiLineString, MultiPolygon, Point};
use rstar::RTree;

use super::catchment::sample_streets;
use super::catchment::*;
use super::graph::*;
use super::walk::*;
use crate::crs::Crs;
use crate::layer::Layer;
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
