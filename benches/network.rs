//! Criterion benchmarks of walking distances on the bundled Bogotá street slice (39,332
//! segments of Bosa, Kennedy and Ciudad Bolívar): building the graph, and for 2,000 candidate
//! sites spread over it, the 800 m walking coverage of the census-sector centroids and the
//! catchment polygons (reached streets buffered by 50 m). Inputs are read and projected once,
//! outside the timed loops. On the full 110,807-segment shared layer, build it from
//! `../shared/data/bogota-malla-vial-integral` the same way (not bundled).

use std::path::Path;

use careblock_core::Crs;
use careblock_core::crs::project;
use careblock_core::join::centroids;
use careblock_core::network::{NetworkOptions, StreetNetwork, snap_points, within_distance};
use careblock_io::{ReadOptions, read_layer};
use criterion::{Criterion, criterion_group, criterion_main};
use geo::Point;
use rayon::prelude::*;

fn load(path: &str, id: Option<&str>) -> careblock_core::Layer {
    let opts = ReadOptions {
        id_field: id.map(String::from),
        ..Default::default()
    };
    let (layer, _) = read_layer(&Path::new(env!("CARGO_MANIFEST_DIR")).join(path), &opts).unwrap();
    project(&layer, Crs::from_epsg(9377).unwrap()).unwrap()
}

fn network(c: &mut Criterion) {
    let streets = load(
        "data/bogota/streets_bosa_kennedy_ciudad_bolivar.geojson",
        Some("cell"),
    );
    let sectors = load("data/bogota/sectores_censales.shp", Some("SETU_CCNCT"));
    let opts = NetworkOptions::default();
    let mut g = c.benchmark_group("network");
    g.sample_size(10);
    g.bench_function("build 39k segments", |b| {
        b.iter(|| StreetNetwork::from_layer(&streets, &opts).unwrap())
    });
    let net = StreetNetwork::from_layer(&streets, &opts).unwrap();
    // 2,000 candidates: nodes spread over the network, moved 20 m off the street.
    let n = net.nodes().len();
    let sites: Vec<Option<Point<f64>>> = (0..2000)
        .map(|k| {
            let c = net.nodes()[k * n / 2000];
            Some(Point::new(c.x + 20.0, c.y))
        })
        .collect();
    let units = centroids(&sectors);
    g.bench_function("coverage 2000 sites → 641 sectors within 800 m", |b| {
        b.iter(|| {
            let s = snap_points(&net, &sites, &[], 800.0);
            let t = snap_points(&net, &units, &[], 800.0);
            within_distance(&net, &sites, &s, &units, &t, 800.0)
        })
    });
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
    g.finish();
}

criterion_group!(benches, network);
criterion_main!(benches);
