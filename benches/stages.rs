//! Criterion benchmarks of the first two stages of the reference workload, on committed files:
//! reading GeoJSON (the 2,000-unit synthetic city, whose features all take the fast reader, and
//! Bogotá's 116 UPZ, large polygons) and projecting the read layers from lon/lat to EPSG:9377.
//! The files are read into memory once, and the layers copied for each projection, outside the
//! timed loops.

use std::path::Path;

use careblock_core::Crs;
use careblock_core::project::project_into;
use careblock_io::{ReadOptions, parse_geojson};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

fn stages(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let to = Crs::from_epsg(9377).unwrap();
    for (label, path, id) in [
        ("city2k units", "tests/fixtures/city2k/units.geojson", "unit_id"),
        ("bogota upz", "data/bogota/upz.geojson", "UPlCodigo"),
    ] {
        let bytes = std::fs::read(root.join(path)).unwrap();
        let opts = ReadOptions {
            id_field: Some(id.into()),
            ..Default::default()
        };
        c.bench_function(
            &format!("read/{label} ({} kB GeoJSON)", bytes.len() / 1000),
            |b| b.iter(|| parse_geojson(path, &bytes, &opts).unwrap()),
        );
        let (layer, _) = parse_geojson(path, &bytes, &opts).unwrap();
        c.bench_function(&format!("project/{label} → EPSG:9377"), |b| {
            b.iter_batched(
                || layer.clone(),
                |l| project_into(l, to).unwrap(),
                BatchSize::LargeInput,
            )
        });
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
