//! Criterion benchmarks of walking distances.
//!
//! - `network`: the bundled Bogotá street slice (39,332 segments of Bosa, Kennedy and Ciudad
//!   Bolívar): building the graph, and for 2,000 candidate sites spread over it, the 800 m
//!   walking coverage of the census-sector centroids and the catchment polygons.
//! - `network-full`: the whole shared Malla Vial Integral (`../shared/data/bogota-malla-vial-integral`,
//!   110,807 segments; skipped with a message when it is absent): building the graph, 2,000
//!   bounded searches (800 m) from candidates sampled deterministically on the network to the
//!   census-sector centroids, 2,000 catchment polygons (the fast method of
//!   `StreetNetwork::catchment`), and for reference 200 exact buffered unions
//!   (`StreetNetwork::catchment_exact`).
//!
//! Inputs are read and projected once, outside the timed loops.

use std::path::{Path, PathBuf};

use careblock_core::Crs;
use careblock_core::join::centroids;
use careblock_core::network::{NetworkOptions, StreetNetwork, snap_points, within_distance};
use careblock_core::project::project;
use careblock_io::{ReadOptions, read_layer};
use criterion::{Criterion, criterion_group, criterion_main};
use geo::Point;
use rayon::prelude::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load(path: &Path, id: Option<&str>) -> careblock_core::Layer {
    let opts = ReadOptions {
        id_field: id.map(String::from),
        ..Default::default()
    };
    let (layer, _) = read_layer(path, &opts).unwrap();
    project(&layer, Crs::from_epsg(9377).unwrap()).unwrap()
}

/// `count` candidate sites: nodes taken at even steps through the network's node list,
/// moved 20 m off the street (deterministic).
fn sites(net: &StreetNetwork, count: usize) -> Vec<Option<Point<f64>>> {
    let n = net.nodes().len();
    (0..count)
        .map(|k| {
            let c = net.nodes()[k * n / count];
            Some(Point::new(c.x + 20.0, c.y))
        })
        .collect()
}

/// Benchmarks one street layer under `group`.
fn bench_layer(c: &mut Criterion, group: &str, streets: &careblock_core::Layer, exact: usize) {
    let sectors = load(
        &root().join("data/bogota/sectores_censales.shp"),
        Some("SETU_CCNCT"),
    );
    let opts = NetworkOptions::default();
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    let net = StreetNetwork::from_layer(streets, &opts).unwrap();
    let segments = net.report().segments_read;
    g.bench_function(format!("build {segments} segments"), |b| {
        b.iter(|| StreetNetwork::from_layer(streets, &opts).unwrap())
    });
    let sites = sites(&net, 2000);
    let units = centroids(&sectors);
    g.bench_function(
        format!("2000 searches → {} sectors within 800 m", units.len()),
        |b| {
            b.iter(|| {
                let s = snap_points(&net, &sites, &[], 800.0);
                let t = snap_points(&net, &units, &[], 800.0);
                within_distance(&net, &sites, &s, &units, &t, 800.0)
            })
        },
    );
    let snaps = snap_points(&net, &sites, &[], 800.0);
    g.bench_function("catchments 2000 sites, 800 m, buffer 50 m", |b| {
        b.iter(|| {
            snaps
                .snaps
                .par_iter()
                .filter_map(|s| s.as_ref().ok())
                .map(|s| net.catchment(s, 800.0 - s.distance, 50.0))
                .collect::<Vec<_>>()
        })
    });
    if let Some(step) = snaps.snaps.len().checked_div(exact) {
        g.bench_function(format!("exact buffered union {exact} sites (reference)"), |b| {
            b.iter(|| {
                snaps
                    .snaps
                    .par_iter()
                    .step_by(step)
                    .filter_map(|s| s.as_ref().ok())
                    .map(|s| net.catchment_exact(s, 800.0 - s.distance, 50.0))
                    .collect::<Vec<_>>()
            })
        });
    }
    g.finish();
}

fn network(c: &mut Criterion) {
    let streets = load(
        &root().join("data/bogota/streets_bosa_kennedy_ciudad_bolivar.geojson"),
        Some("cell"),
    );
    bench_layer(c, "network", &streets, 0);
}

fn network_full(c: &mut Criterion) {
    let path = root().join("../shared/data/bogota-malla-vial-integral/bogota_malla_vial_integral.geojson");
    if !path.exists() {
        eprintln!(
            "network-full skipped: {} is absent (the shared Malla Vial Integral)",
            path.display()
        );
        return;
    }
    let streets = load(&path, Some("fid"));
    bench_layer(c, "network-full", &streets, 200);
}

criterion_group!(benches, network, network_full);
criterion_main!(benches);
