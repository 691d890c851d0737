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

/// Whether ogrinfo (gdal-bin) can be run. Without it the GDAL checks print a line and are
/// skipped, unless `CI` is set: then this panics.
pub fn have_ogrinfo() -> bool {
    match Command::new("ogrinfo").arg("--version").output() {
        Ok(o) if o.status.success() => true,
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "ogrinfo (gdal-bin) is missing on CI"
            );
            println!("ogrinfo not found (install gdal-bin): skipping the GDAL checks");
            false
        }
    }
}

/// Runs ogrinfo; asserts exit 0 and an empty stderr (no GDAL warning); returns stdout.
pub fn ogrinfo(args: &[&str], file: &Path) -> String {
    let o = Command::new("ogrinfo").args(args).arg(file).output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success(),
        "ogrinfo {args:?} {}: {stderr}",
        file.display()
    );
    assert!(
        stderr.trim().is_empty(),
        "ogrinfo {args:?} {} warned: {stderr}",
        file.display()
    );
    String::from_utf8(o.stdout).unwrap()
}

/// `careblock interpolate` of the Bogotá sectors (`source`, with the bundled census table) to
/// the UPZ (`target`): four counts and a rate, written to `out` (its format by its
/// extension); panics unless it succeeds.
pub fn interpolate_sectors(source: &Path, target: &Path, out: &Path) {
    let table = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/bogota/sociodemograficas_sector_censal.csv");
    let o = careblock([
        OsStr::new("interpolate"),
        OsStr::new("--source"),
        source.as_os_str(),
        OsStr::new("--source-id"),
        OsStr::new("SETU_CCNCT"),
        OsStr::new("--source-table"),
        table.as_os_str(),
        OsStr::new("--table-key"),
        OsStr::new("SETU_CCNCT"),
        OsStr::new("--target"),
        target.as_os_str(),
        OsStr::new("--target-id"),
        OsStr::new("UPlCodigo"),
        OsStr::new("--extensive"),
        OsStr::new("STP27_PERS,STP32_1_SE,STP32_2_SE,STVIVIENDA"),
        OsStr::new("--intensive"),
        OsStr::new("IPM_PROMEDIO"),
        OsStr::new("--crs"),
        OsStr::new("9377"),
        OsStr::new("--out"),
        out.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
