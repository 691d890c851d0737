//! Time per vertex of the geometric steps on one polygon of 10^4, 10^5 and 10^6 vertices (a
//! noisy coastline, concave almost everywhere, and a fine convex circle): the area table of one
//! huge unit against 100 ordinary districts and of 10,000 ordinary units against one huge
//! district, validation, centroids and point-in-polygon of 100,000 points; and a street network
//! of 40 long streets of as many vertices in all: building the graph, snapping 100,000 points
//! and 2,000 walking catchments. Criterion reports
//! the time of one call; the throughput line is vertices per second, so a flat slope is a
//! constant throughput from 10^4 to 10^6.
//!
//! `cargo bench --bench vertices` (append `-- coastline` etc. to filter).

#[path = "../tests/common/stress.rs"]
mod stress;

use std::time::Duration;

use careblock_core::join::{AreaTable, points_in_polygons};
use careblock_core::network::{NetworkOptions, StreetNetwork, snap_points};
use careblock_core::{Crs, Layer};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use geo::{Centroid, Coord, Geometry, MultiPolygon, Point, Polygon};
use stress::{ORIGIN, Rng, circle, coastline, streets, tiles};

const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];
/// Radius of the huge polygon (metres): a rural unit or a district.
const RADIUS: f64 = 5_000.0;

fn extent() -> (Coord<f64>, Coord<f64>) {
    let r = RADIUS * 1.3;
    (
        Coord {
            x: ORIGIN.x - r,
            y: ORIGIN.y - r,
        },
        Coord {
            x: ORIGIN.x + r,
            y: ORIGIN.y + r,
        },
    )
}

fn shapes(n: usize) -> [(&'static str, Polygon<f64>); 2] {
    [
        ("coastline", coastline(ORIGIN, RADIUS, n, 7)),
        ("circle", circle(ORIGIN, RADIUS, n)),
    ]
}

fn multi(ps: Vec<Polygon<f64>>) -> Vec<MultiPolygon<f64>> {
    ps.into_iter().map(|p| MultiPolygon::new(vec![p])).collect()
}

fn layer(ps: &[MultiPolygon<f64>]) -> Layer {
    Layer::new(
        "stress",
        (0..ps.len()).map(|i| i.to_string()).collect(),
        ps.iter()
            .map(|p| Some(Geometry::MultiPolygon(p.clone())))
            .collect(),
        careblock_core::polars::prelude::DataFrame::empty_with_height(ps.len()),
        Crs::from_epsg(9377).unwrap(),
    )
    .unwrap()
}

fn vertices(c: &mut Criterion) {
    let (min, max) = extent();
    // 100 districts of 4 × 40 vertices; 10,000 units of 4 × 4.
    let districts = multi(tiles(min, max, 10, 10, 40));
    let units = multi(tiles(min, max, 100, 100, 4));
    let mut rng = Rng::new(11);
    let points: Vec<Option<Point<f64>>> = (0..100_000)
        .map(|_| {
            Some(Point::new(
                min.x + (max.x - min.x) * rng.unit(),
                min.y + (max.y - min.y) * rng.unit(),
            ))
        })
        .collect();

    let mut g = c.benchmark_group("vertices");
    g.sample_size(10).warm_up_time(Duration::from_millis(500));
    for n in SIZES {
        g.throughput(Throughput::Elements(n as u64));
        for (name, shape) in shapes(n) {
            let huge = vec![MultiPolygon::new(vec![shape])];
            g.bench_function(
                BenchmarkId::new(format!("{name}/area_table huge unit→100 districts"), n),
                |b| b.iter(|| AreaTable::build(&huge, &districts)),
            );
            g.bench_function(
                BenchmarkId::new(format!("{name}/area_table 10k units→huge district"), n),
                |b| b.iter(|| AreaTable::build(&units, &huge)),
            );
            let huge_layer = layer(&huge);
            g.bench_function(BenchmarkId::new(format!("{name}/validate"), n), |b| {
                b.iter(|| careblock_core::validate::validate(&huge_layer))
            });
            g.bench_function(BenchmarkId::new(format!("{name}/centroid"), n), |b| {
                b.iter(|| huge[0].centroid())
            });
            g.bench_function(
                BenchmarkId::new(format!("{name}/points_in_polygons 100k points"), n),
                |b| b.iter(|| points_in_polygons(&points, &huge)),
            );
        }
    }
    // The street network: 40 wavy streets across the extent, of n/40 vertices each.
    let sites: Vec<Option<Point<f64>>> = points.iter().step_by(50).copied().collect();
    for n in SIZES {
        g.throughput(Throughput::Elements(n as u64));
        let lines = streets(min, max, 40, n / 40, 5);
        let layer = Layer::new(
            "streets",
            (0..lines.len()).map(|i| i.to_string()).collect(),
            lines.into_iter().map(|l| Some(Geometry::LineString(l))).collect(),
            careblock_core::polars::prelude::DataFrame::empty_with_height(40),
            Crs::from_epsg(9377).unwrap(),
        )
        .unwrap();
        let opts = NetworkOptions::default();
        g.bench_function(BenchmarkId::new("streets/build network", n), |b| {
            b.iter(|| StreetNetwork::from_layer(&layer, &opts).unwrap())
        });
        let net = StreetNetwork::from_layer(&layer, &opts).unwrap();
        g.bench_function(BenchmarkId::new("streets/snap 100k points", n), |b| {
            b.iter(|| snap_points(&net, &points, &[], 2_000.0))
        });
        let snaps = snap_points(&net, &sites, &[], 2_000.0);
        g.bench_function(BenchmarkId::new("streets/2000 catchments, 800 m", n), |b| {
            b.iter(|| {
                snaps
                    .snaps
                    .iter()
                    .filter_map(|s| s.as_ref().ok())
                    .map(|s| net.catchment(s, 800.0, 50.0))
                    .collect::<Vec<_>>()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, vertices);
criterion_main!(benches);
