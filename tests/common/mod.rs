//! Helpers shared by the integration tests: `mod common;` at the top of a test file.
#![allow(dead_code)] // each test binary uses a different subset

pub mod shared_data;
pub mod stress;

#[allow(unused_imports)] // not every test binary uses it
pub use shared_data::shared_data;

use std::path::{Path, PathBuf};

/// A fresh, empty folder `name` under the test binary's `group` folder in Cargo's temporary
/// directory for integration tests (whatever an earlier run left there is removed).
pub fn fresh_dir(group: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(group).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
