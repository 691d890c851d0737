//! Keeps the SQLite that rusqlite compiles in (feature `bundled`) private to careblock's
//! binaries and tests on Linux. Without this, GNU ld exports the bundled `sqlite3_*` symbols
//! because libgdal (feature `gdal`) references them, and libgdal/libproj then call a mixture of
//! the bundled and the system libsqlite3 on the same connection, which crashes. With
//! `--exclude-libs,ALL` nothing from a static archive is exported: GDAL and PROJ use the
//! system SQLite, the GeoPackage writer the bundled one.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg=-Wl,--exclude-libs,ALL");
    }
}
