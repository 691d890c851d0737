//! The project's larger shared data (`../shared/data` beside the checkout), which is never
//! bundled: most of it has no stated licence, and all of it is too large for the repository.
//! A test that needs it asks [`shared_data`] and skips, with one printed line, where the folder
//! is absent, as on a fresh clone. Where `CAREBLOCK_SHARED_DATA` names the folder (CI sets
//! it), the file must be there: a missing file fails the test instead of skipping it.
//!
//! Included by path from the crates' own tests as well, so it depends on nothing but `std`.

use std::path::{Path, PathBuf};

/// The environment variable that names the shared data folder and makes it required.
pub const SHARED_DATA_VAR: &str = "CAREBLOCK_SHARED_DATA";

/// The repository root: the first ancestor of the package's manifest directory that holds the
/// workspace's `Cargo.lock`.
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .find(|d| d.join("Cargo.lock").is_file() && d.join("crates").is_dir())
        .unwrap_or(manifest)
        .to_path_buf()
}

/// `rel` inside the shared data folder, or `None` after printing why the caller skips.
/// Panics when `CAREBLOCK_SHARED_DATA` is set and the file is not there.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(SHARED_DATA_VAR) {
        let path = Path::new(&dir).join(rel);
        assert!(
            path.exists(),
            "{} is missing, and {SHARED_DATA_VAR} requires the shared data",
            path.display()
        );
        return Some(std::fs::canonicalize(&path).unwrap_or(path));
    }
    let path = repo_root().join("../shared/data").join(rel);
    if path.exists() {
        return Some(std::fs::canonicalize(&path).unwrap_or(path));
    }
    println!(
        "skipped: needs {rel} from the shared data folder (../shared/data beside the checkout, \
         or {SHARED_DATA_VAR}), which a fresh clone does not have"
    );
    None
}
