//! Times reading a layer and writing it in each output format, the formats alone (no index,
//! no siting): the numbers behind the writing stage of `careblock run` at scale.
//!
//! ```sh
//! cargo run --release --example formats -- LAYER ID_FIELD OUT_DIR [REPEATS]
//! ```
//!
//! LAYER is any layer careblock reads (e.g. the `units.parquet` a national run wrote); each
//! format is written REPEATS times (default 3) and the best time printed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use careblock_io::{ReadOptions, read_layer, write_flatgeobuf, write_geojson, write_geoparquet};

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
    let mut layer = None;
    let read = best(repeats, || {
        layer = Some(read_layer(path, &opts).expect("reading").0)
    });
    let layer = layer.expect("read");
    println!("{} features, {} columns", layer.len(), layer.attributes.width());
    println!("read {read:.3} s");
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
