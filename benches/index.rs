//! Criterion benchmarks of the index on the Bogotá preset (bundled data): the Monte Carlo
//! uncertainty analysis over 1000 draws on the 116 UPZ/UPR (weights perturbed, normalisation
//! and aggregation drawn), one reference scoring of the 641 census sectors, and the whole
//! `assess` (columns, coarse rates, E2SFCA, district sums, scores; no Monte Carlo). Inputs are
//! read and projected once, outside the timed loops.

use std::path::Path;

use careblock_index::assess;
use careblock_index::assess::composite;
use careblock_index::compute::score;
use careblock_index::uncertainty::{MonteCarlo, monte_carlo};
use careblock_io::read_method;
use careblock_pipeline::{LoadOptions, load_inputs};
use criterion::{Criterion, criterion_group, criterion_main};

fn index(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bogota.toml");
    let mut method = read_method(&path).unwrap();
    let inputs = load_inputs(&method, path.parent().unwrap(), &LoadOptions::default()).unwrap();
    let draws = method.spec.uncertainty.draws;
    method.spec.uncertainty.draws = 0;
    let a = assess(&method, inputs.inputs()).unwrap();
    let reference = composite(&method);
    let u = &method.spec.uncertainty;
    let mc = MonteCarlo {
        draws,
        seed: u.seed,
        weight_noise: *u.weight_noise.get_ref(),
        normalisations: u.normalisations.clone(),
        aggregations: u.aggregations.clone(),
    };
    let d = a.districts.as_ref().unwrap();
    c.bench_function("bogota/monte carlo 1000 draws, 116 UPZ", |b| {
        b.iter(|| monte_carlo(&d.treated, &d.eligible, &d.ids, &reference, &d.scores.rank, &mc))
    });
    let units = &a.units;
    c.bench_function("bogota/score 641 sectors (reference method)", |b| {
        b.iter(|| score(&units.treated, &units.eligible, &units.ids, &reference))
    });
    let mut group = c.benchmark_group("bogota");
    group.sample_size(10);
    group.bench_function("assess sectors+upz (no Monte Carlo)", |b| {
        b.iter(|| assess(&method, inputs.inputs()).unwrap())
    });
    group.finish();
}

criterion_group!(benches, index);
criterion_main!(benches);
