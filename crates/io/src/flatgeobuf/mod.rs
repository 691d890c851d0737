//! FlatGeobuf (`.fgb`): a reader and a writer, pure Rust with the `flatgeobuf` crate's
//! FlatBuffers tables and packed Hilbert R-tree, without GDAL.
//!
//! How, and why:
//!
//! - The reader walks the file itself: the magic bytes, the header (verified by the FlatBuffers
//!   verifier), the index (skipped: careblock reads every feature), then each size-prefixed
//!   feature, bounds-checked and verified before any field is read, across the threads. The
//!   crate's own feature iterator and property decoder are not used: they trust the sizes and
//!   offsets in the file (a garbage size is a multi-gigabyte allocation, a short property an
//!   out-of-bounds panic), and a truncated or corrupt file must be a one-line error.
//! - The writer builds the header and features with the crate's generated FlatBuffers tables
//!   and writes the index of the crate's own `FgbWriter` (its Hilbert order and packed tree,
//!   byte for byte, checked against `packed_r_tree` in the tests) straight from the sorted
//!   leaves, without the crate's copy of them into a tree. `FgbWriter` itself is not used: it
//!   cannot write a null geometry (every feature gets one, if empty) and it spools features
//!   through a temporary file of the system temp directory; building the features here also
//!   lets them be encoded in parallel.
//! - FlatGeobuf's spatial index cannot hold a feature without geometry (GDAL refuses to write
//!   one, "NULL geometry not supported with spatial index"); careblock keeps null geometries,
//!   so a layer with a null or empty geometry is written without the index, in layer order.

mod read;
mod write;

#[cfg(test)]
mod tests;

pub use read::read_flatgeobuf;
pub use write::write_flatgeobuf;

/// The first bytes of a FlatGeobuf file: `fgb`, the major version (3), `fgb`, the patch level.
const MAGIC: [u8; 8] = [b'f', b'g', b'b', 3, b'f', b'g', b'b', 0];

/// The branching factor of the index the writer writes (GDAL's and the crate's default).
const NODE_SIZE: u16 = 16;

/// Bytes of one index node: min x, min y, max x, max y (f64) and an offset (u64).
const NODE_BYTES: u64 = 40;

/// The size in bytes of the packed R-tree of `features` features with `node_size` children
/// per node (0 when there is no index); `None` when it does not fit in 64 bits.
fn index_size(features: u64, node_size: u16) -> Option<u64> {
    if node_size == 0 || features == 0 {
        return Some(0);
    }
    let node_size = u64::from(node_size.max(2));
    let (mut n, mut nodes) = (features, features);
    loop {
        n = n.div_ceil(node_size);
        nodes = nodes.checked_add(n)?;
        if n == 1 {
            break;
        }
    }
    nodes.checked_mul(NODE_BYTES)
}
