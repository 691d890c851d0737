//! Criterion benchmarks of the spatial joins on real and synthetic fixtures: the area table
//! (intersection areas) and interpolation of the Bogotá census sectors onto UPZ, the same on
//! the 2,000-unit synthetic city, and the within-distance coverage of the city's facilities.
//! Inputs are read and projected once, outside the timed loops.

mod common;

use careblock_core::join::{
    AreaTable, InterpolateOptions, area_interpolate, centroids, points_within_distance,
};
use common::load;
use criterion::{Criterion, criterion_group, criterion_main};

fn joins(c: &mut Criterion) {
    let sectors = load("data/bogota/sectores_censales.shp", "SETU_CCNCT");
    let upz = load("data/bogota/upz.geojson", "UPlCodigo");
    let (s, t) = (sectors.polygons().unwrap(), upz.polygons().unwrap());
    c.bench_function("bogota/area_table sectors→upz", |b| {
        b.iter(|| AreaTable::build(&s, &t))
    });
    c.bench_function("bogota/interpolate sectors→upz (3 vars, checks, report)", |b| {
        b.iter(|| {
            area_interpolate(
                &sectors,
                &upz,
                &["STP27_PERS", "STP32_1_SE", "STP32_2_SE"],
                &[],
                InterpolateOptions::default(),
            )
            .unwrap()
        })
    });

    let units = load("tests/fixtures/city2k/units.geojson", "unit_id");
    let districts = load("tests/fixtures/city2k/districts.geojson", "district_id");
    let facilities = load("tests/fixtures/city2k/facilities.geojson", "facility_id");
    let (u, d) = (units.polygons().unwrap(), districts.polygons().unwrap());
    c.bench_function("city2k/area_table units→districts", |b| {
        b.iter(|| AreaTable::build(&u, &d))
    });
    let (f, cents) = (facilities.points().unwrap(), centroids(&units));
    c.bench_function("city2k/coverage facilities×centroids 800 m", |b| {
        b.iter(|| points_within_distance(&f, &cents, 800.0).unwrap())
    });
}

criterion_group!(benches, joins);
criterion_main!(benches);
