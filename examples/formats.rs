//! Times reading a layer and writing it in each output format, the formats alone (no index,
//! no siting): the numbers behind the writing stage of `careblock run` at scale.
//!
//! ```sh
//! cargo run --release --example formats -- LAYER ID_FIELD OUT_DIR [REPEATS]
//! ```
//!
//! LAYER is any layer careblock reads (e.g. the `units.parquet` a national run wrote); each
//! format is written REPEATS times (default 3) and the best time printed. `FORMATS_READ_ONLY=1`
//! stops after the reading, `FORMATS_GEOJSON=1` also writes GeoJSON.

use std::path::{Path, PathBuf};
use std::time::Instant;

use careblock_io::{ReadOptions, read_layer, write_flatgeobuf, write_geojson, write_geoparquet};

/// The allocator and memory set-up of the `careblock` binary, so that the times are the run's.
#[path = "../crates/cli/memory.rs"]
mod memory;

fn best(repeats: usize, mut f: impl FnMut()) -> f64 {
    (0..repeats)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    memory::no_huge_pages();
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: formats LAYER ID_FIELD OUT_DIR [REPEATS]");
        std::process::exit(2);
    }
    let (path, id, out) = (Path::new(&args[1]), &args[2], PathBuf::from(&args[3]));
    let repeats: usize = args.get(4).and_then(|r| r.parse().ok()).unwrap_or(3);
    std::fs::create_dir_all(&out).expect("creating OUT_DIR");
    let opts = ReadOptions {
        id_field: Some(id.clone()),
        ..ReadOptions::default()
    };
    // Each read's layer is dropped after its timer stops: a run reads once and frees late.
    let mut read = f64::INFINITY;
    let mut layer = None;
    for _ in 0..repeats {
        drop(layer.take());
        let t = Instant::now();
        layer = Some(read_layer(path, &opts).expect("reading").0);
        read = read.min(t.elapsed().as_secs_f64());
    }
    let layer = layer.expect("read");
    println!("{} features, {} columns", layer.len(), layer.attributes.width());
    println!("read {read:.3} s");
    if std::env::var_os("FORMATS_READ_ONLY").is_some() {
        return;
    }
    let fgb = best(repeats, || {
        write_flatgeobuf(&out.join("layer.fgb"), &layer, "id").expect("fgb")
    });
    println!("write FlatGeobuf {fgb:.3} s");
    let pq = best(repeats, || {
        write_geoparquet(&out.join("layer.parquet"), &layer, "id").expect("parquet")
    });
    println!("write GeoParquet {pq:.3} s");
    if std::env::var_os("FORMATS_GEOJSON").is_some() {
        let gj = best(repeats, || {
            write_geojson(&out.join("layer.geojson"), &layer).expect("geojson")
        });
        println!("write GeoJSON {gj:.3} s");
    }
}
