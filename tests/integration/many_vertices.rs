//! Polygons of 10^5 vertices through the built binary: `interpolate` of a huge unit onto
//! ordinary districts and of ordinary units onto a huge district, then `validate` and `run` of a
//! method whose unit and district are both huge. Every allocated count is checked against
//! weights computed here from geo's boolean intersection (the general overlay), to 1e-9 of the
//! source total. Not timed: `benches/vertices.rs` measures the cost.

use crate::common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::stress::{ORIGIN, coastline, feature_collection, tiles};
use geo::{Area, BooleanOps, Coord, Geometry, MultiPolygon, Polygon};

const N: usize = 100_000;
/// Half the side of the study area, and the huge polygons' radius (metres).
const HALF: f64 = 4_000.0;
const RADIUS: f64 = 3_000.0;

fn tmp(name: &str) -> PathBuf {
    common::fresh_dir("many_vertices", name)
}

fn careblock(args: &[&str]) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_careblock"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "careblock {args:?}:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn corner() -> Coord<f64> {
    Coord {
        x: ORIGIN.x - HALF,
        y: ORIGIN.y - HALF,
    }
}

fn far_corner() -> Coord<f64> {
    Coord {
        x: ORIGIN.x + HALF,
        y: ORIGIN.y + HALF,
    }
}

/// A square of side 400 m in corner `k` of the study area, clear of the coastlines (whose
/// radius stays below 1.18 × 3,000 m).
fn corner_square(k: usize) -> Polygon<f64> {
    let x = if k.is_multiple_of(2) {
        ORIGIN.x - HALF
    } else {
        ORIGIN.x + HALF - 400.0
    };
    let y = if k < 2 {
        ORIGIN.y - HALF
    } else {
        ORIGIN.y + HALF - 400.0
    };
    geo::Rect::new(
        Coord { x, y },
        Coord {
            x: x + 400.0,
            y: y + 400.0,
        },
    )
    .to_polygon()
}

/// One layer: `(id, polygon, population)` per feature, written to `dir/name.geojson`.
struct Polys {
    ids: Vec<String>,
    polys: Vec<MultiPolygon<f64>>,
    pop: Vec<f64>,
}

impl Polys {
    fn new(polys: Vec<Polygon<f64>>, prefix: &str) -> Polys {
        let n = polys.len();
        Polys {
            ids: (0..n).map(|i| format!("{prefix}{i:03}")).collect(),
            polys: polys.into_iter().map(|p| MultiPolygon::new(vec![p])).collect(),
            // Distinct, exactly representable counts.
            pop: (0..n).map(|i| 1000.0 + 37.0 * i as f64).collect(),
        }
    }

    fn write(&self, dir: &Path, name: &str) -> PathBuf {
        let features: Vec<_> = (0..self.ids.len())
            .map(|i| {
                let g = Geometry::Polygon(self.polys[i].0[0].clone());
                let pop = self.pop[i];
                (
                    self.ids[i].clone(),
                    g,
                    vec![("pop", pop), ("kids", (pop / 10.0).floor())],
                )
            })
            .collect();
        let path = dir.join(format!("{name}.geojson"));
        std::fs::write(&path, feature_collection(&features)).unwrap();
        path
    }
}

/// The count each target receives when every source hands its count to the targets it
/// meets in proportion to the intersection areas (careblock's default `allocate_total`), the
/// areas from geo's boolean intersection.
fn expected(units: &Polys, districts: &Polys) -> Vec<f64> {
    let mut out = vec![0.0; districts.ids.len()];
    for (u, up) in units.polys.iter().zip(&units.pop) {
        let areas: Vec<f64> = districts
            .polys
            .iter()
            .map(|d| u.intersection(d).unsigned_area())
            .collect();
        let total: f64 = areas.iter().sum();
        for (o, a) in out.iter_mut().zip(&areas) {
            if total > 0.0 {
                *o += up * a / total;
            }
        }
    }
    out
}

/// `column` of a CSV written by careblock, by the value of `key`.
fn csv_column(path: &Path, key: &str, column: &str) -> HashMap<String, f64> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let k = header
        .iter()
        .position(|h| *h == key)
        .unwrap_or_else(|| panic!("no {key} in {header:?}"));
    let c = header
        .iter()
        .position(|h| *h == column)
        .unwrap_or_else(|| panic!("no {column} in {header:?}"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[k].trim_matches('"').to_string(),
                f[c].parse().unwrap_or(f64::NAN),
            )
        })
        .collect()
}

fn check(what: &str, got: &HashMap<String, f64>, districts: &Polys, want: &[f64], total: f64) {
    for (id, w) in districts.ids.iter().zip(want) {
        let g = got.get(id).copied().unwrap_or(0.0);
        assert!(
            (g - w).abs() <= 1e-9 * total,
            "{what}: district {id} got {g}, the overlay gives {w} (difference {:e} of the total)",
            (g - w).abs() / total
        );
    }
}

fn interpolate(dir: &Path, units: &Path, districts: &Path) -> HashMap<String, f64> {
    let out = dir.join("out.csv");
    careblock(&[
        "interpolate",
        "--source",
        s(units),
        "--source-id",
        "id",
        "--target",
        s(districts),
        "--target-id",
        "id",
        "--crs",
        "9377",
        "--extensive",
        "pop",
        "--out",
        s(&out),
    ]);
    csv_column(&out, "id", "pop")
}

#[test]
fn interpolate_a_huge_unit_onto_ordinary_districts() {
    let dir = tmp("huge_unit");
    let mut polys = vec![coastline(ORIGIN, RADIUS, N, 1)];
    polys.extend((0..4).map(corner_square));
    let units = Polys::new(polys, "u");
    let districts = Polys::new(tiles(corner(), far_corner(), 4, 4, 40), "d");
    interpolate_and_check(&dir, &units, &districts);
}

#[test]
fn interpolate_ordinary_units_onto_a_huge_district() {
    let dir = tmp("huge_district");
    let units = Polys::new(tiles(corner(), far_corner(), 6, 6, 4), "u");
    let districts = Polys::new(vec![coastline(ORIGIN, RADIUS, N, 2), corner_square(3)], "d");
    interpolate_and_check(&dir, &units, &districts);
}

/// `careblock interpolate` of the units' population onto the districts, checked against the
/// general overlay.
fn interpolate_and_check(dir: &Path, units: &Polys, districts: &Polys) {
    let got = interpolate(
        dir,
        &units.write(dir, "units"),
        &districts.write(dir, "districts"),
    );
    let total: f64 = units.pop.iter().sum();
    check("interpolate", &got, districts, &expected(units, districts), total);
}

#[test]
fn validate_and_run_a_method_whose_unit_and_district_are_huge() {
    let dir = tmp("method");
    let mut polys = vec![coastline(ORIGIN, RADIUS, N, 1)];
    polys.extend((0..4).map(corner_square));
    let units = Polys::new(polys, "u");
    let districts = Polys::new(vec![coastline(ORIGIN, RADIUS, N, 2), corner_square(3)], "d");
    units.write(&dir, "units");
    districts.write(&dir, "districts");
    let method = r#"name = "many vertices"
crs = 9377
[units]
path = "units.geojson"
id = "id"
population = "pop"
[districts]
path = "districts.geojson"
id = "id"
[[indicators]]
name = "kids"
dimension = "care_demand"
kind = "share"
numerator = "kids"
denominator = "pop"
"#;
    let file = dir.join("method.toml");
    std::fs::write(&file, method).unwrap();
    careblock(&["validate", s(&file)]);
    let out = dir.join("out");
    careblock(&["run", s(&file), "--out", s(&out)]);
    let got = csv_column(&out.join("districts.csv"), "id", "population");
    let total: f64 = units.pop.iter().sum();
    check("run", &got, &districts, &expected(&units, &districts), total);
}

/// Writes the stress layers used to time the CLI (not a check): in `$CAREBLOCK_STRESS_DIR`
/// (default `target/tmp/many_vertices/stress`), with `$CAREBLOCK_STRESS_N` vertices (default
/// 10^6) per huge polygon: `units_{coastline,circle}.geojson` (the huge unit and four corner
/// units), `districts_tiles.geojson` (100 districts of 160 vertices), `units_tiles.geojson`
/// (10,000 units), `districts_{coastline,circle}.geojson` (the huge district and a corner one)
/// and a method per pair. Run with `cargo test --test many_vertices -- --ignored`.
#[test]
#[ignore]
fn write_stress_layers() {
    let dir = match std::env::var_os("CAREBLOCK_STRESS_DIR") {
        Some(d) => PathBuf::from(d),
        None => tmp("stress"),
    };
    std::fs::create_dir_all(&dir).unwrap();
    let n: usize = std::env::var("CAREBLOCK_STRESS_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    for (name, unit, district) in [
        (
            "coastline",
            coastline(ORIGIN, RADIUS, n, 1),
            coastline(ORIGIN, RADIUS, n, 2),
        ),
        (
            "circle",
            common::stress::circle(ORIGIN, RADIUS, n),
            common::stress::circle(ORIGIN, RADIUS * 0.9, n),
        ),
    ] {
        let mut polys = vec![unit];
        polys.extend((0..4).map(corner_square));
        Polys::new(polys, "u").write(&dir, &format!("units_{name}"));
        Polys::new(vec![district, corner_square(3)], "d").write(&dir, &format!("districts_{name}"));
        for (units, districts) in [
            (format!("units_{name}"), "districts_tiles".to_string()),
            ("units_tiles".to_string(), format!("districts_{name}")),
            (format!("units_{name}"), format!("districts_{name}")),
        ] {
            let method = format!(
                "name = \"stress\"\ncrs = 9377\n[units]\npath = \"{units}.geojson\"\nid = \"id\"\npopulation = \"pop\"\n\
                 [districts]\npath = \"{districts}.geojson\"\nid = \"id\"\n[[indicators]]\nname = \"kids\"\n\
                 dimension = \"care_demand\"\nkind = \"share\"\nnumerator = \"kids\"\ndenominator = \"pop\"\n"
            );
            std::fs::write(dir.join(format!("{units}-{districts}.toml")), method).unwrap();
        }
    }
    Polys::new(tiles(corner(), far_corner(), 10, 10, 40), "d").write(&dir, "districts_tiles");
    Polys::new(tiles(corner(), far_corner(), 100, 100, 4), "u").write(&dir, "units_tiles");
}
