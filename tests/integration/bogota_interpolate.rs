//! End-to-end: `careblock interpolate` on the bundled real Bogotá data (641 CNPV 2018 census
//! sectors, as a shapefile joined to the CSV on SETU_CCNCT → 116 UPZ/UPR): every count that
//! enters leaves, the sectors outside every UPZ are listed by SETU_CCNCT, and the output does
//! not depend on the number of threads.

use std::path::{Path, PathBuf};
use std::process::Command;

const VARIABLES: [&str; 12] = [
    "STP34_1_ED",
    "STP34_2_ED",
    "STP34_3_ED",
    "STP34_4_ED",
    "STP34_5_ED",
    "STP34_6_ED",
    "STP34_7_ED",
    "STP34_8_ED",
    "STP34_9_ED",
    "STP32_1_SE",
    "STP32_2_SE",
    "STVIVIENDA",
];

fn data(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/bogota")
        .join(file)
}

fn out_dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs the interpolation with `threads` rayon threads, set through `RAYON_NUM_THREADS` (what
/// a user of the library would set) or, with `flag`, through `--threads`.
fn run(out: &Path, report: &Path, threads: usize, flag: bool) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_careblock"));
    if flag {
        cmd.args(["--threads", &threads.to_string()]);
    } else {
        cmd.env("RAYON_NUM_THREADS", threads.to_string());
    }
    let o = cmd
        .arg("interpolate")
        .arg("--source")
        .arg(data("sectores_censales.shp"))
        .args([
            "--source-id",
            "SETU_CCNCT",
            "--table-key",
            "SETU_CCNCT",
            "--source-table",
        ])
        .arg(data("sociodemograficas_sector_censal.csv"))
        .arg("--target")
        .arg(data("upz.geojson"))
        .args([
            "--target-id",
            "UPlCodigo",
            "--crs",
            "EPSG:9377",
            "--intensive",
            "IPM_PROMEDIO",
        ])
        .arg("--extensive")
        .arg(VARIABLES.join(","))
        .arg("--out")
        .arg(out)
        .arg("--report")
        .arg(report)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "careblock failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn interpolate(out: &Path, report: &Path, threads: usize) -> String {
    run(out, report, threads, true)
}

#[test]
fn sectors_to_upz_conserve_every_count_and_list_the_outsiders() {
    let dir = out_dir("bogota-sectors-upz");
    let stdout = interpolate(&dir.join("upz.csv"), &dir.join("report.json"), 2);
    assert!(stdout.contains("conservation"), "{stdout}");

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    let vars = report["variables"].as_array().unwrap();
    assert_eq!(vars.len(), VARIABLES.len());
    let mut persons = 0.0;
    for (v, name) in vars.iter().zip(VARIABLES) {
        assert_eq!(v["name"], name);
        let (s, a, u) = (
            v["source_total"].as_f64().unwrap(),
            v["allocated"].as_f64().unwrap(),
            v["unallocated"].as_f64().unwrap(),
        );
        assert!(((a + u) - s).abs() <= 1e-9 * s, "{name}: {s} != {a} + {u}");
        assert!(
            a > 0.99 * s,
            "{name}: almost everything lies in some UPZ ({a} of {s})"
        );
        if name.starts_with("STP34") {
            persons += s;
        }
    }
    assert_eq!(
        persons, 7_136_912.0,
        "the nine age bands add up to the census total"
    );
    assert_eq!(vars[11]["source_total"].as_f64().unwrap(), 2_517_733.0);

    // The outsiders are named by their 18-character national sector code.
    let outside = report["outside"].as_array().unwrap();
    assert!(!outside.is_empty());
    for o in outside {
        let id = o["id"].as_str().unwrap();
        assert!(id.len() == 18 && id.starts_with("11001"), "{id}");
    }
    // With allocate_total, only sectors wholly outside every UPZ leave anything unallocated.
    let wholly = outside
        .iter()
        .filter(|o| o["covered_fraction"].as_f64().unwrap() == 0.0)
        .count();
    let unallocated = vars[0]["unallocated"].as_f64().unwrap();
    assert_eq!(
        wholly == 0,
        unallocated.abs() <= 1e-9 * 7_136_912.0,
        "{wholly} wholly outside, {unallocated} unallocated"
    );

    // The CSV holds the target id and one column per variable, and adds up to the report.
    let csv = std::fs::read_to_string(dir.join("upz.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[0], "UPlCodigo");
    assert_eq!(&header[1..13], &VARIABLES);
    assert_eq!(header[13], "IPM_PROMEDIO");
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 116);
    let total: f64 = rows.iter().map(|r| r[1].parse::<f64>().unwrap()).sum();
    let allocated = vars[0]["allocated"].as_f64().unwrap();
    assert!((total - allocated).abs() <= 1e-9 * allocated);
}

#[test]
fn output_is_byte_identical_whatever_the_thread_count() {
    let dir = out_dir("bogota-threads");
    for ext in ["csv", "geojson"] {
        let one = dir.join(format!("one.{ext}"));
        let two = dir.join(format!("two.{ext}"));
        run(&one, &dir.join("r1.json"), 1, false);
        run(&two, &dir.join("r2.json"), 2, false);
        assert_eq!(
            std::fs::read(&one).unwrap(),
            std::fs::read(&two).unwrap(),
            "{ext} differs"
        );
        assert_eq!(
            std::fs::read(dir.join("r1.json")).unwrap(),
            std::fs::read(dir.join("r2.json")).unwrap()
        );
    }
    // The --threads flag gives the same bytes as the environment variable.
    let flag = dir.join("flag.csv");
    interpolate(&flag, &dir.join("r3.json"), 1);
    assert_eq!(
        std::fs::read(&flag).unwrap(),
        std::fs::read(dir.join("one.csv")).unwrap()
    );
}

#[test]
fn a_bad_input_is_one_line_naming_the_file_and_exit_code_2() {
    let dir = out_dir("bogota-bad");
    let bad = dir.join("units.geojson");
    std::fs::write(&bad, r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"a","properties":{"pop":1},"geometry":{"type":"Polygon","coordinates":[[[4880000,2066000],[4881000,2066000],[4881000,2067000],[4880000,2066000]]]}}]}"#).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_careblock"))
        .args(["interpolate", "--extensive", "pop", "--source"])
        .arg(&bad)
        .arg("--target")
        .arg(data("upz.geojson"))
        .arg("--out")
        .arg(dir.join("out.csv"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("units.geojson") && err.contains("\"a\"") && err.contains("4880000"),
        "{err}"
    );
    assert!(!dir.join("out.csv").exists(), "no output after a failed run");
}
