//! `careblock validate`, `careblock init` and `careblock explain`, driven through the binary:
//!
//! - validate on the shared (unbundled) Bogotá data, where that folder is present, lists its
//!   known problems by id (the zero-population sectors, the school at −1.797e308, the
//!   duplicated San Cristóbal localidad) and exits 2; on the Bogotá preset it exits 0 with the 7 zero-population sectors as warnings;
//!   on a small broken layer it reports every problem and still checks the other inputs;
//! - init on the bundled Bogotá sectors and Los Lagos zones writes methods that validate and
//!   run; an unknown schema gets a guessed population and a message; no overwrite without
//!   --force;
//! - explain of a district, a unit and a site of one Bogotá run: the printed contributions sum
//!   to the printed index; an unknown id exits 2 naming it and listing close ids.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use serde_json::Value;

use crate::common;
use crate::common::careblock;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tmp(name: &str) -> PathBuf {
    common::fresh_dir("cli_commands", name)
}

fn out_text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The problems of a validate JSON report, as (severity, source, message, ids).
fn problems(report: &Value) -> Vec<(String, String, String, Vec<String>)> {
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["severity"].as_str().unwrap().to_string(),
                p["source"].as_str().unwrap().to_string(),
                p["message"].as_str().unwrap().to_string(),
                p["ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

/// Ids of the bundled Bogotá sectors whose population (STP27_PERS in the CNPV table) is 0,
/// read independently of careblock's checker.
fn zero_population_sectors() -> Vec<String> {
    let csv =
        std::fs::read_to_string(root().join("data/bogota/sociodemograficas_sector_censal.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let id = header.iter().position(|h| *h == "SETU_CCNCT").unwrap();
    let pop = header.iter().position(|h| *h == "STP27_PERS").unwrap();
    let mut out: Vec<String> = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[pop].parse::<f64>().unwrap() == 0.0)
        .map(|f| f[id].to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn validate_lists_the_known_problems_of_the_shared_bogota_data_by_id() {
    const FILES: [&str; 5] = [
        "bogota-sectores-censales-cnpv2018/sectores_censales_cnpv2018.geojson",
        "bogota-upz/upz.geojson",
        "bogota-localidad-care-indicators-cepal/tabla_indicadores_actualizada.geojson",
        "bogota-equipamientos-cuidado/colegios.geojson",
        "bogota-equipamientos-cuidado/jardin_infantil.geojson",
    ];
    let Some(paths) = FILES
        .iter()
        .map(|f| common::shared_data(f))
        .collect::<Option<Vec<_>>>()
    else {
        return;
    };
    let p = |i: usize| paths[i].display().to_string().replace('\\', "/");
    let dir = tmp("shared");
    let method = format!(
        r#"name = "shared Bogotá data, unbundled"
crs = 9377

[units]
path = "{units}"
id = "SETU_CCNCT"
population = "STP27_PERS"

[districts]
path = "{upz}"
id = "UPlCodigo"

[[coarse]]
name = "localidades"
path = "{loc}"
id = "cod_localidad"

[[coarse_rates]]
name = "people_with_disability"
layer = "localidades"
rate = "limitacion_permanente"
scale = 0.01
base = "STP27_PERS"

[[supply]]
name = "colegios"
path = "{schools}"
id = "OBJECTID"

[[supply]]
name = "jardines"
path = "{jardines}"

[[indicators]]
name = "share_0_9"
dimension = "care_demand"
kind = "share"
numerator = "STP34_1_ED"
denominator = "STP27_PERS"

[[indicators]]
name = "disability"
dimension = "care_demand"
kind = "share"
numerator = "people_with_disability"
denominator = "STP27_PERS"

[[indicators]]
name = "supply_gap"
dimension = "supply_gap"
kind = "access_gap"
"#,
        units = p(0),
        upz = p(1),
        loc = p(2),
        schools = p(3),
        jardines = p(4),
    );
    let file = dir.join("shared.toml");
    std::fs::write(&file, method).unwrap();
    let json = dir.join("report.json");
    let o = careblock(["validate", s(&file), "--json", s(&json)]);
    let (stdout, stderr) = out_text(&o);
    assert_eq!(o.status.code(), Some(2), "errors → exit 2\n{stdout}\n{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    let report = read_json(&json);
    let ps = problems(&report);

    // The school with the −DBL_MAX sentinel, by its OBJECTID, as an error naming the file.
    let school = ps
        .iter()
        .find(|(sev, src, _, _)| sev == "error" && src.ends_with("colegios.geojson"))
        .expect("the schools layer is refused");
    assert_eq!(school.3, ["385"], "{school:?}");
    assert!(school.2.contains("-1.7976931348623157e308"), "{}", school.2);
    assert!(stdout.contains("feature \"385\""), "{stdout}");

    // The duplicated San Cristóbal (cod_localidad 11001104, features 12 and 20).
    let dup = ps
        .iter()
        .find(|(sev, src, _, _)| sev == "error" && src.ends_with("tabla_indicadores_actualizada.geojson"))
        .expect("the localidad layer is refused");
    assert_eq!(dup.3, ["11001104 (features 12, 20)"], "{dup:?}");
    assert!(dup.2.contains("\"11001104\""), "{}", dup.2);

    // The other inputs were still checked: the zero-population sectors, by SETU_CCNCT.
    let zero = ps
        .iter()
        .find(|(sev, _, m, _)| sev == "warning" && m.contains("population 0"))
        .expect("zero-population warning");
    let mut ids = zero.3.clone();
    ids.sort();
    assert_eq!(ids, zero_population_sectors());
    assert_eq!(ids.len(), 7);
    for id in &ids {
        assert!(
            stdout.contains(id.as_str()),
            "{id} listed on the terminal:\n{stdout}"
        );
    }
    let inputs = report["inputs"].as_array().unwrap();
    let read: Vec<(&str, bool)> = inputs
        .iter()
        .map(|i| (i["role"].as_str().unwrap(), i["read"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        read,
        [
            ("units", true),
            ("districts", true),
            ("coarse localidades", false),
            ("supply colegios", false),
            ("supply jardines", true)
        ]
    );
    assert_eq!(inputs[4]["features"], 346);
    assert_eq!(report["errors"], 2, "{ps:?}");
}

#[test]
fn validate_accepts_the_bogota_preset_with_the_zero_population_sectors_as_warnings() {
    let dir = tmp("preset");
    let json = dir.join("report.json");
    let method = root().join("examples/bogota.toml");
    let o = careblock(["validate", s(&method), "--json", s(&json)]);
    let (stdout, stderr) = out_text(&o);
    assert_eq!(o.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("0 error(s)"), "{stdout}");
    let report = read_json(&json);
    assert_eq!(report["errors"], 0);
    let ps = problems(&report);
    let zero: Vec<_> = ps
        .iter()
        .filter(|(_, _, m, _)| m.contains("population 0"))
        .collect();
    assert_eq!(zero.len(), 1, "{ps:?}");
    assert_eq!(zero[0].0, "warning");
    let mut ids = zero[0].3.clone();
    ids.sort();
    assert_eq!(ids, zero_population_sectors());
    // Every input of the preset was read, with its feature count.
    let inputs = report["inputs"].as_array().unwrap();
    assert!(inputs.iter().all(|i| i["read"] == true));
    assert_eq!(inputs[0]["features"], 641);
    assert_eq!(inputs[1]["features"], 116);
    assert_eq!(inputs[0]["crs"], "EPSG:4326");
}

#[test]
fn validate_reports_every_problem_of_a_broken_layer_and_checks_the_rest() {
    let dir = tmp("broken");
    // u1 fine, u2 a bow-tie (make-valid repairs it), u3 no geometry, u4 a masked population;
    // the districts cover u1 and half of u2 and overlap each other; one table row matches
    // nothing; one indicator names a column that does not exist.
    let units = r#"{"type": "FeatureCollection", "features": [
  {"type": "Feature", "properties": {"code": "u1", "pop": 100, "kids": 10},
   "geometry": {"type": "Polygon", "coordinates": [[[-74.10, 4.60], [-74.09, 4.60], [-74.09, 4.61], [-74.10, 4.61], [-74.10, 4.60]]]}},
  {"type": "Feature", "properties": {"code": "u2", "pop": 50, "kids": 5},
   "geometry": {"type": "Polygon", "coordinates": [[[-74.09, 4.60], [-74.08, 4.61], [-74.08, 4.60], [-74.09, 4.61], [-74.09, 4.60]]]}},
  {"type": "Feature", "properties": {"code": "u3", "pop": 0, "kids": 0}, "geometry": null},
  {"type": "Feature", "properties": {"code": "u4", "pop": "*", "kids": 3},
   "geometry": {"type": "Polygon", "coordinates": [[[-74.07, 4.60], [-74.06, 4.60], [-74.06, 4.61], [-74.07, 4.61], [-74.07, 4.60]]]}}
]}"#;
    let districts = r#"{"type": "FeatureCollection", "features": [
  {"type": "Feature", "properties": {"d": "A"},
   "geometry": {"type": "Polygon", "coordinates": [[[-74.101, 4.599], [-74.094, 4.599], [-74.094, 4.611], [-74.101, 4.611], [-74.101, 4.599]]]}},
  {"type": "Feature", "properties": {"d": "B"},
   "geometry": {"type": "Polygon", "coordinates": [[[-74.096, 4.599], [-74.085, 4.599], [-74.085, 4.611], [-74.096, 4.611], [-74.096, 4.599]]]}},
  {"type": "Feature", "properties": {"d": "C"},
   "geometry": {"type": "Polygon", "coordinates": [[[-74.20, 4.70], [-74.19, 4.70], [-74.19, 4.71], [-74.20, 4.71], [-74.20, 4.70]]]}}
]}"#;
    std::fs::write(dir.join("units.geojson"), units).unwrap();
    std::fs::write(dir.join("districts.geojson"), districts).unwrap();
    std::fs::write(dir.join("extra.csv"), "code,elderly\nu1,7\nu2,3\nu9,1\n").unwrap();
    let method = r#"name = "broken"
crs = 9377
[units]
path = "units.geojson"
id = "code"
table = { path = "extra.csv", key = "code" }
population = "pop"
[districts]
path = "districts.geojson"
id = "d"
[[indicators]]
name = "kids"
dimension = "care_demand"
kind = "share"
numerator = "kids"
denominator = "pop"
[[indicators]]
name = "old"
dimension = "care_demand"
kind = "share"
numerator = "elderly_80"
denominator = "pop"
"#;
    let file = dir.join("m.toml");
    std::fs::write(&file, method).unwrap();
    let json = dir.join("r.json");
    let o = careblock(["validate", s(&file), "--json", s(&json)]);
    let (stdout, stderr) = out_text(&o);
    assert_eq!(o.status.code(), Some(2), "{stdout}\n{stderr}");
    let ps = problems(&read_json(&json));
    let find = |sev: &str, needle: &str| {
        ps.iter()
            .find(|(s, _, m, _)| s == sev && m.contains(needle))
            .unwrap_or_else(|| panic!("no {sev} with {needle:?} in {ps:#?}"))
            .3
            .clone()
    };
    assert_eq!(find("error", "--fix-invalid to repair them"), ["u2"]);
    assert_eq!(find("warning", "no geometry"), ["u3"]);
    assert_eq!(find("warning", "masked"), ["u4"]);
    assert_eq!(find("warning", "population 0"), ["u3"]);
    assert_eq!(find("warning", "no population value"), ["u4"]);
    assert_eq!(find("warning", "match no feature"), ["u9"]);
    assert_eq!(find("warning", "have no row in the table"), ["u3", "u4"]);
    assert!(ps.iter().any(|(s, _, m, _)| s == "error"
        && m.contains("indicators[1].numerator")
        && m.contains("elderly_80")));
    // Coverage is not computed over invalid polygons (it would be wrong), so nothing about it.
    assert!(!ps.iter().any(|(_, _, m, _)| m.contains("outside every district")));

    // With the bow-tie removed, the coverage problems show up by id.
    let fixed = units.replace(
        "[[[-74.09, 4.60], [-74.08, 4.61], [-74.08, 4.60], [-74.09, 4.61], [-74.09, 4.60]]]",
        "[[[-74.09, 4.60], [-74.08, 4.60], [-74.08, 4.61], [-74.09, 4.61], [-74.09, 4.60]]]",
    );
    std::fs::write(dir.join("units.geojson"), fixed).unwrap();
    let o = careblock(["validate", s(&file), "--json", s(&json)]);
    assert_eq!(o.status.code(), Some(2));
    let ps = problems(&read_json(&json));
    let find = |needle: &str| {
        ps.iter()
            .find(|(_, _, m, _)| m.contains(needle))
            .unwrap_or_else(|| panic!("no problem with {needle:?} in {ps:#?}"))
            .3
            .clone()
    };
    assert_eq!(find("wholly outside"), ["u4"]);
    let partly = find("partly outside");
    assert_eq!(partly.len(), 1);
    assert!(partly[0].starts_with("u2 ("), "{partly:?}");
    assert_eq!(find("contain no unit"), ["C"]);
    let overlaps = find("overlap");
    assert_eq!(overlaps.len(), 1);
    assert!(overlaps[0].starts_with("A/B"), "{overlaps:?}");
}

fn init_then_validate_and_run(name: &str, init: &[&str]) -> (PathBuf, String) {
    let dir = tmp(name);
    let method = dir.join("method.toml");
    let mut args = vec!["init"];
    args.extend_from_slice(init);
    args.extend(["--out", s(&method)]);
    let o = careblock(&args);
    let (stdout, stderr) = out_text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    let text = std::fs::read_to_string(&method).unwrap();
    assert!(
        !text.contains("../../../"),
        "a path climbs at most two folders, else it is absolute:\n{text}"
    );
    let o = careblock(["validate", s(&method)]);
    let (vout, verr) = out_text(&o);
    assert_eq!(o.status.code(), Some(0), "{text}\n{vout}\n{verr}");
    let out = dir.join("out");
    let o = careblock(["--quiet", "run", s(&method), "--out", s(&out)]);
    let (_, rerr) = out_text(&o);
    assert_eq!(o.status.code(), Some(0), "{text}\n{rerr}");
    assert!(out.join("units.csv").is_file());
    (dir, text)
}

#[test]
fn init_on_the_bundled_bogota_sectors_writes_a_method_that_validates_and_runs() {
    let d = |r: &str| root().join("data/bogota").join(r).display().to_string();
    let (dir, text) = init_then_validate_and_run(
        "init_bogota",
        &[
            "--units",
            &d("sectores_censales.shp"),
            "--units-id",
            "SETU_CCNCT",
            "--table",
            &d("sociodemograficas_sector_censal.csv"),
            "--key",
            "SETU_CCNCT",
            "--districts",
            &d("upz.geojson"),
            "--districts-id",
            "UPlCodigo",
        ],
    );
    for want in [
        "Schema recognised: DANE CNPV 2018",
        "numerator = \"STP34_9_ED\"",
        "name = \"dependency_ratio\"",
        "name = \"estrato_1_2\"",
        "name = \"ipm\"",
        "dimension = \"women_caregivers\"",
        "basis = \"documented criterion (Bogotá: % over 80)\"",
        "label = \"UPlNombre\"",
    ] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
    assert!(dir.join("out/districts.csv").is_file());
    // The method sits far from the data (under the build directory): absolute paths.
    let units = std::fs::canonicalize(root().join("data/bogota/sectores_censales.shp")).unwrap();
    assert!(
        text.contains(&format!("path = \"{}\"", units.display())),
        "{text}"
    );

    // Never overwritten without --force.
    let method = dir.join("method.toml");
    let before = std::fs::read_to_string(&method).unwrap();
    let units = d("sectores_censales.shp");
    let o = careblock(["init", "--units", &units, "--out", s(&method)]);
    let (_, stderr) = out_text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&method).unwrap(), before);
    let o = careblock(["init", "--units", &units, "--out", s(&method), "--force"]);
    assert!(o.status.success(), "{:?}", out_text(&o));
    assert_ne!(std::fs::read_to_string(&method).unwrap(), before);
}

#[test]
fn init_on_the_bundled_los_lagos_zones_writes_a_method_that_validates_and_runs() {
    let d = |r: &str| root().join("data/chile").join(r).display().to_string();
    let (_, text) = init_then_validate_and_run(
        "init_los_lagos",
        &[
            "--units",
            &d("zonas_censales_2017_los_lagos.geojson"),
            "--districts",
            &d("comunas_r10.geojson"),
            "--districts-id",
            "codigo_comuna",
        ],
    );
    for want in [
        "Schema recognised: INE Censo 2017",
        "id = \"geocodigo\"",
        "population = \"pob_total\"",
        "numerator = \"pob_0a5 + pob_6a14 + pob_65ymas\"",
        "name = \"share_0_5\"",
        "dimension = \"women_caregivers\"",
    ] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
}

#[test]
fn init_beside_the_data_writes_relative_paths_that_move_with_it() {
    let dir = tmp("init_near");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    for f in ["zonas_censales_2017_los_lagos.geojson", "comunas_r10.geojson"] {
        std::fs::copy(root().join("data/chile").join(f), data.join(f)).unwrap();
    }
    std::fs::create_dir_all(dir.join("methods")).unwrap();
    let method = dir.join("methods/method.toml");
    let o = careblock([
        "init",
        "--units",
        s(&data.join("zonas_censales_2017_los_lagos.geojson")),
        "--districts",
        s(&data.join("comunas_r10.geojson")),
        "--districts-id",
        "codigo_comuna",
        "--out",
        s(&method),
    ]);
    let (stdout, stderr) = out_text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    let text = std::fs::read_to_string(&method).unwrap();
    for want in [
        "path = \"../data/zonas_censales_2017_los_lagos.geojson\"",
        "path = \"../data/comunas_r10.geojson\"",
    ] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
    // The folder moved whole: the method still finds its data.
    let moved = tmp("init_near_moved");
    std::fs::remove_dir_all(&moved).unwrap();
    std::fs::rename(&dir, &moved).unwrap();
    let o = careblock(["validate", s(&moved.join("methods/method.toml"))]);
    let (vout, verr) = out_text(&o);
    assert_eq!(o.status.code(), Some(0), "{text}\n{vout}\n{verr}");
}

#[test]
fn init_on_an_unknown_schema_guesses_the_population_and_says_so() {
    let dir = tmp("init_unknown");
    let layer = r#"{"type": "FeatureCollection", "features": [
  {"type": "Feature", "properties": {"zona": "z1", "habitantes": 120, "hogares": 40, "nota": "x"},
   "geometry": {"type": "Polygon", "coordinates": [[[-74.10, 4.60], [-74.09, 4.60], [-74.09, 4.61], [-74.10, 4.61], [-74.10, 4.60]]]}},
  {"type": "Feature", "properties": {"zona": "z2", "habitantes": 80, "hogares": 30, "nota": "y"},
   "geometry": {"type": "Polygon", "coordinates": [[[-74.09, 4.60], [-74.08, 4.60], [-74.08, 4.61], [-74.09, 4.61], [-74.09, 4.60]]]}}
]}"#;
    std::fs::write(dir.join("zones.geojson"), layer).unwrap();
    let method = dir.join("m.toml");
    let o = careblock([
        "init",
        "--units",
        s(&dir.join("zones.geojson")),
        "--units-id",
        "zona",
        "--out",
        s(&method),
    ]);
    let (stdout, stderr) = out_text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("not recognised"), "{stdout}");
    let text = std::fs::read_to_string(&method).unwrap();
    assert!(text.contains("population = \"habitantes\""), "{text}");
    assert!(text.contains("GUESSED"), "{text}");
    assert!(
        text.contains("#   habitantes, hogares"),
        "numeric columns listed:\n{text}"
    );
    assert!(text.contains("path = \"zones.geojson\""), "{text}");
    let o = careblock(["validate", s(&method)]);
    assert_eq!(o.status.code(), Some(0), "{:?}", out_text(&o));
}

/// One run of the Bogotá preset, shared by the explain tests.
fn bogota_run() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tmp("explain").join("out");
        let o = careblock([
            "--quiet",
            "run",
            s(&root().join("examples/bogota.toml")),
            "--out",
            s(&dir),
        ]);
        assert!(o.status.success(), "{:?}", out_text(&o));
        dir
    })
}

/// First data row of a CSV whose column `col` equals `value`, as a header → value map.
fn csv_row(path: &Path, col: &str, value: &str) -> std::collections::HashMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(str::to_string).collect();
    let k = header.iter().position(|h| h == col).unwrap();
    let row = lines
        .map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>())
        .find(|f| f[k] == value)
        .unwrap();
    header.into_iter().zip(row).collect()
}

/// Checks that the printed contributions add up to the printed index; returns the index.
fn contributions_sum_to_index(stdout: &str) -> f64 {
    let index: f64 = stdout
        .lines()
        .find(|l| l.contains(" of ") && l.contains("index "))
        .and_then(|l| l.rsplit("index ").next())
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let mut in_table = false;
    let mut sum = 0.0;
    let mut n = 0;
    for line in stdout.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.first() == Some(&"indicator") {
            in_table = true;
            continue;
        }
        if f.first() == Some(&"sum") {
            break;
        }
        if in_table && f.len() >= 4 {
            sum += f[3].parse::<f64>().unwrap_or(0.0);
            n += 1;
        }
    }
    assert_eq!(n, 10, "the preset's 10 indicators:\n{stdout}");
    assert!(
        (sum - index).abs() < 1e-3,
        "Σ contributions {sum} vs index {index}\n{stdout}"
    );
    index
}

#[test]
fn explain_a_district_and_a_unit_contributions_sum_to_the_index() {
    let dir = bogota_run();
    // The district ranked 1st.
    let top = csv_row(&dir.join("districts.csv"), "rank", "1");
    let id = &top["id"];
    let o = careblock(["explain", s(dir), "--district", id]);
    let (stdout, stderr) = out_text(&o);
    assert!(o.status.success(), "{stderr}");
    let index = contributions_sum_to_index(&stdout);
    assert!((index - top["index"].parse::<f64>().unwrap()).abs() < 1e-4);
    assert!(stdout.contains("rank 1 of 116"), "{stdout}");
    assert!(stdout.contains("ranks 1st of 116 mainly because of"), "{stdout}");
    assert!(stdout.contains(&format!(
        "median rank {:.0}",
        top["rank_median"].parse::<f64>().unwrap()
    )));

    let unit = csv_row(&dir.join("units.csv"), "rank", "3");
    let json = dir.parent().unwrap().join("unit.json");
    let o = careblock(["explain", s(dir), "--unit", &unit["id"], "--json", s(&json)]);
    let (stdout, stderr) = out_text(&o);
    assert!(o.status.success(), "{stderr}");
    contributions_sum_to_index(&stdout);
    assert!(stdout.contains("ranks 3rd of"), "{stdout}");
    let j = read_json(&json);
    assert_eq!(j["rank"], 3.0);
    let sum: f64 = j["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["contribution"].as_f64())
        .sum();
    assert!((sum - j["index"].as_f64().unwrap()).abs() < 1e-9);
}

#[test]
fn explain_a_site_and_an_unknown_id() {
    let dir = bogota_run();
    let site = csv_row(&dir.join("sites.csv"), "rank", "1");
    let o = careblock(["explain", s(dir), "--site", &site["id"]]);
    let (stdout, stderr) = out_text(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(stdout.contains("proposed, rank 1"), "{stdout}");
    let gain: f64 = site["gain"].parse().unwrap();
    assert!(stdout.contains(&format!("marginal gain {gain:.4}")), "{stdout}");
    assert!(stdout.contains("irreplaceability"), "{stdout}");
    assert!(stdout.contains(&format!("{:.0} unit(s)", site["n_units"].parse::<f64>().unwrap())));

    let o = careblock(["explain", s(dir), "--district", "UPZ1000"]);
    let (stdout, stderr) = out_text(&o);
    assert_eq!(o.status.code(), Some(2), "{stdout}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("\"UPZ1000\""), "{stderr}");
    assert!(stderr.contains("close ids: UPZ100"), "{stderr}");
    let o = careblock(["explain", s(dir), "--site", "no-such-site"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn validate_reports_an_unreadable_method_file_with_its_line() {
    let dir = tmp("bad_method");
    let file = dir.join("m.toml");
    std::fs::write(
        &file,
        "name = \"x\"\n[units]\npath = \"u.geojson\"\npopulaton = \"pop\"\n",
    )
    .unwrap();
    let json = dir.join("r.json");
    let o = careblock(["validate", s(&file), "--json", s(&json)]);
    let (stdout, stderr) = out_text(&o);
    assert_eq!(o.status.code(), Some(2), "{stdout}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    let ps = problems(&read_json(&json));
    assert_eq!(ps.len(), 1, "{ps:?}");
    assert!(
        ps[0].2.contains(":4:"),
        "the line of the unknown key: {}",
        ps[0].2
    );
    assert!(ps[0].2.contains("populaton"), "{}", ps[0].2);

    // A method whose inputs do not exist: each missing file is its own error.
    std::fs::write(
        &file,
        "[units]\npath = \"none.geojson\"\npopulation = \"pop\"\n[districts]\npath = \"nothing.geojson\"\n\
         [[indicators]]\nname = \"d\"\ndimension = \"x\"\nkind = \"density\"\ncount = \"pop\"\n",
    )
    .unwrap();
    let o = careblock(["validate", s(&file), "--json", s(&json)]);
    assert_eq!(o.status.code(), Some(2));
    let ps = problems(&read_json(&json));
    let missing: Vec<&str> = ps.iter().map(|p| p.1.as_str()).collect();
    assert_eq!(missing.len(), 2, "{ps:?}");
    assert!(
        missing[0].ends_with("none.geojson") && missing[1].ends_with("nothing.geojson"),
        "{ps:?}"
    );

    // Problems in independent sections are each listed (`run` names the first and stops).
    std::fs::write(
        &file,
        "[units]\npath = \"none.geojson\"\npopulation = \"pop\"\n\
         [[indicators]]\nname = \"d\"\ndimension = \"x\"\nkind = \"density\"\ncount = \"pop\"\n\
         [derived]\na = \"b\"\nb = \"a\"\n\
         [[coarse_rates]]\nname = \"r\"\nlayer = \"nowhere\"\nrate = \"x\"\nbase = \"pop\"\n",
    )
    .unwrap();
    let o = careblock(["validate", s(&file), "--json", s(&json)]);
    assert_eq!(o.status.code(), Some(2));
    let ps = problems(&read_json(&json));
    assert_eq!(ps.len(), 2, "{ps:?}");
    assert!(
        ps[0].2.contains("derived.b") && ps[0].2.contains("cycle: a → b → a"),
        "{ps:?}"
    );
    assert!(ps[1].2.contains("coarse_rates[0].layer"), "{ps:?}");
    let o = careblock(["run", s(&file), "--out", s(&dir.join("out"))]);
    let (_, stderr) = out_text(&o);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cycle: a → b → a") && !stderr.contains("coarse_rates"),
        "{stderr}"
    );
    assert!(!dir.join("out").exists(), "nothing written");
}

/// `interpolate` in Mexico: units in lon/lat, districts in EPSG:6372 (Mexico ITRF2008 / LCC,
/// from the EPSG database, not careblock's own table) named by the GeoJSON `crs` member; the
/// working CRS is the districts' one. A CRS in US feet and an unknown code are refused by name.
#[test]
fn interpolate_measures_in_any_metre_crs_of_the_epsg_database() {
    use careblock_core::Crs;
    use careblock_core::crs::Reprojection;
    let dir = tmp("any_epsg");
    let square = |x0: f64| {
        format!(
            "[[[{x0}, 19.43], [{x1}, 19.43], [{x1}, 19.44], [{x0}, 19.44], [{x0}, 19.43]]]",
            x1 = x0 + 0.01
        )
    };
    let units = format!(
        r#"{{"type": "FeatureCollection", "features": [
  {{"type": "Feature", "properties": {{"u": "west", "pop": 100}}, "geometry": {{"type": "Polygon", "coordinates": {}}}}},
  {{"type": "Feature", "properties": {{"u": "east", "pop": 100}}, "geometry": {{"type": "Polygon", "coordinates": {}}}}}
]}}"#,
        square(-99.14),
        square(-99.13)
    );
    std::fs::write(dir.join("units.geojson"), units).unwrap();
    // The district: the west square and the west half of the east one, in EPSG:6372 metres.
    let lcc = Reprojection::new(careblock_core::WGS84, Crs::from_epsg(6372).unwrap());
    let corners: Vec<String> = [
        (-99.14, 19.43),
        (-99.125, 19.43),
        (-99.125, 19.44),
        (-99.14, 19.44),
        (-99.14, 19.43),
    ]
    .iter()
    .map(|&(x, y)| {
        let p = lcc.apply(geo::Coord { x, y }).unwrap();
        format!("[{}, {}]", p.x, p.y)
    })
    .collect();
    let districts = format!(
        r#"{{"type": "FeatureCollection", "crs": {{"type": "name", "properties": {{"name": "urn:ogc:def:crs:EPSG::6372"}}}}, "features": [
  {{"type": "Feature", "properties": {{"d": "D1"}}, "geometry": {{"type": "Polygon", "coordinates": [[{}]]}}}}
]}}"#,
        corners.join(", ")
    );
    std::fs::write(dir.join("districts.geojson"), districts).unwrap();
    let run = |extra: &[&str]| {
        let (u, d, out) = (
            dir.join("units.geojson"),
            dir.join("districts.geojson"),
            dir.join("out.csv"),
        );
        let mut args = vec![
            "interpolate",
            "--source",
            s(&u),
            "--source-id",
            "u",
            "--target",
            s(&d),
            "--target-id",
            "d",
            "--extensive",
            "pop",
            "--out",
            s(&out),
        ];
        args.extend_from_slice(extra);
        let _ = std::fs::remove_file(&out);
        let o = careblock(&args);
        (o, std::fs::read_to_string(&out).ok())
    };
    // Without allocate_total, so that the east unit's half outside the district stays out.
    let (o, csv) = run(&["--no-allocate-total"]);
    let (stdout, stderr) = out_text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("EPSG:6372"), "the working CRS is said: {stdout}");
    let csv = csv.unwrap();
    let row = csv.lines().nth(1).unwrap();
    let pop: f64 = row.split(',').nth(1).unwrap().parse().unwrap();
    assert!((pop - 150.0).abs() < 0.05, "{csv}");

    for (code, want) in [
        (
            "EPSG:2263",
            "EPSG:2263 cannot be used: its unit is the US survey foot",
        ),
        ("EPSG:99999", "EPSG:99999 is not a CRS code careblock knows"),
    ] {
        let (o, csv) = run(&["--crs", code]);
        let (_, stderr) = out_text(&o);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(want), "{stderr}");
        assert!(csv.is_none(), "nothing written on error");
    }
}
