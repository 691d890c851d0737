//! Helpers shared by the integration tests: `mod common;` at the top of a test file.
#![allow(dead_code)] // each test binary uses a different subset

pub mod browser;
pub mod outputs;
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

/// A small method on the bundled Los Lagos zones (one indicator, no Monte Carlo) followed by
/// `siting` (the `[siting]` section and whatever else the case needs).
pub fn los_lagos_method(siting: &str) -> String {
    format!(
        r#"crs = 32718
[units]
path = "{units}"
id = "geocodigo"
population = "pob_total"

[[indicators]]
name = "share_0_5"
dimension = "care_demand"
kind = "share"
numerator = "pob_0a5"
denominator = "pob_total"

[uncertainty]
draws = 0

{siting}"#,
        units = chile("zonas_censales_2017_los_lagos.geojson"),
    )
}

/// What `careblock run` did: exit code, stdout, stderr, and the `--out` folder.
pub type RunOutcome = (Option<i32>, String, String, PathBuf);

/// Runs `careblock run DIR/method.toml --out DIR/out`.
pub fn run_method_in(dir: &Path) -> RunOutcome {
    let out = dir.join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_careblock"))
        .arg("run")
        .arg(dir.join("method.toml"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
        out,
    )
}

/// Writes `text` as `method.toml` in the fresh folder [`fresh_dir`]`(group, name)` and runs it
/// with [`run_method_in`].
pub fn run_method(group: &str, name: &str, text: &str) -> RunOutcome {
    let dir = fresh_dir(group, name);
    std::fs::write(dir.join("method.toml"), text).unwrap();
    run_method_in(&dir)
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
    let o = interpolate_sectors_output(source, target, out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// [`interpolate_sectors`]'s command, with its outcome.
pub fn interpolate_sectors_output(source: &Path, target: &Path, out: &Path) -> Output {
    interpolate_sectors_with(source, target, out, &[])
}

/// [`interpolate_sectors_output`] with `extra` arguments after the others.
pub fn interpolate_sectors_with(source: &Path, target: &Path, out: &Path, extra: &[&str]) -> Output {
    let table = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/bogota/sociodemograficas_sector_censal.csv");
    let args = [
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
    ];
    careblock(args.into_iter().chain(extra.iter().map(OsStr::new)))
}
