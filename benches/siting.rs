//! Criterion benchmarks of the siting stage on the committed 2,000-unit synthetic city
//! (`tests/fixtures/city2k`): building the coverage table (facilities as candidate sites,
//! unit centroids within 800 m), the greedy alone, and the whole solve of the peers' MCLP
//! (p = 20: greedy, interchange, iterated local search, Lagrangian bound, irreplaceability).
//! The small city is the hard case for the solver: each unit is within reach of many
//! candidates. Inputs are read and projected once, outside the timed loops.

mod common;

use careblock_core::join::{centroids, points_within_distance};
use careblock_siting::{Coverage, Limit, Options, Problem, solve};
use common::load;
use criterion::{Criterion, criterion_group, criterion_main};

fn siting(c: &mut Criterion) {
    let units = load("tests/fixtures/city2k/units.geojson", "unit_id");
    let sites = load("tests/fixtures/city2k/facilities.geojson", "facility_id");
    let (cents, points) = (centroids(&units), sites.points().unwrap());
    let young = units.count_column("pop_0_5").unwrap();
    let old = units.count_column("pop_60_plus").unwrap();
    let demand: Vec<f64> = young
        .iter()
        .zip(&old)
        .map(|(a, b)| a.unwrap_or(0.0) + b.unwrap_or(0.0))
        .collect();
    let coverage_table = || {
        let reach = points_within_distance(&points, &cents, 800.0).unwrap();
        Coverage::from_neighbours(units.len(), &reach)
    };
    c.bench_function(
        "city2k/siting coverage table (200 candidates × 2,000 units, 800 m)",
        |b| b.iter(coverage_table),
    );
    let coverage = coverage_table();
    let problem = Problem {
        demand: &demand,
        coverage: &coverage,
        limit: Limit::Count(20),
        cost: None,
        locked_in: &[],
        locked_out: &[],
    };
    let greedy_only = Options {
        swap: false,
        bound_iterations: 0,
        exact_max_nodes: 0,
        irreplaceability: false,
        search_rounds: 0,
    };
    c.bench_function("city2k/siting greedy p=20", |b| {
        b.iter(|| solve(&problem, &greedy_only).unwrap())
    });
    let mut group = c.benchmark_group("city2k");
    group.sample_size(10);
    group.bench_function("siting full solve p=20 (default options)", |b| {
        b.iter(|| solve(&problem, &Options::default()).unwrap())
    });
    group.finish();
}

criterion_group!(benches, siting);
criterion_main!(benches);
