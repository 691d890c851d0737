//! Helpers shared by the integration tests: `mod common;` at the top of a test file.
#![allow(dead_code)] // each test binary uses a different subset

pub mod shared_data;
pub mod stress;

#[allow(unused_imports)] // not every test binary uses it
pub use shared_data::shared_data;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the `careblock` binary with `args` and returns what it did (never panics on failure).
pub fn careblock<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_careblock"))
        .args(args)
        .output()
        .unwrap()
}

/// A file of the bundled Chilean data (`data/chile/REL`), as a path a method file can hold
/// (forward slashes on every platform).
pub fn chile(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/chile")
        .join(rel)
        .display()
        .to_string()
        .replace('\\', "/")
}

/// A fresh, empty folder `name` under the test binary's `group` folder in Cargo's temporary
/// directory for integration tests (whatever an earlier run left there is removed).
pub fn fresh_dir(group: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(group).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
