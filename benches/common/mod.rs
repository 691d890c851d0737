//! What the criterion benchmarks share: reading a bundled layer and projecting it to
//! EPSG:9377 once, outside the timed loops.

use std::path::Path;

use careblock_core::Crs;
use careblock_core::project::project;
use careblock_io::{ReadOptions, read_layer};

/// The layer at `path` (relative to the repository root), ids from the field `id`, in
/// EPSG:9377.
pub fn load(path: &str, id: &str) -> careblock_core::Layer {
    let opts = ReadOptions {
        id_field: Some(id.into()),
        ..Default::default()
    };
    let (layer, _) = read_layer(&Path::new(env!("CARGO_MANIFEST_DIR")).join(path), &opts).unwrap();
    project(&layer, Crs::from_epsg(9377).unwrap()).unwrap()
}
