//! `careblock.qgs` opened in QGIS itself: Debian's `python3-qgis` (QGIS 3.22), headless, runs
//! `tests/qgis/check_project.py` on the Bogotá preset's outputs, in English and in Spanish
//! (`--lang es`). Every layer must be found, valid, titled and in its group and order in the
//! run's language, with the renderer and classes of its style, the legend in that language
//! (decimal commas in Spanish) and an alias for every field; the same style, legend and
//! aliases must come back from the GeoJSON with its `.qml` and from the GeoPackage's
//! `layer_styles`; and the map QGIS renders must show each priority class and the blocks in
//! their colours.
//!
//! Without QGIS the checks in QGIS print a line and pass, unless `CI` is set (CI installs
//! `python3-qgis`). `QGIS_PYTHON` names the Python that has QGIS (default `/usr/bin/python3`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::browser::Image;
use crate::common::outputs::{CLASSES, EXISTING, PROPOSED};
use crate::common::{careblock, fresh_dir};

fn qgis_python() -> Option<PathBuf> {
    let python = PathBuf::from(std::env::var_os("QGIS_PYTHON").unwrap_or_else(|| "/usr/bin/python3".into()));
    let ok = Command::new(&python)
        .args(["-c", "import qgis.core"])
        .env("QT_QPA_PLATFORM", "offscreen")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but {} cannot import qgis.core (install the Debian package python3-qgis)",
        python.display()
    );
    println!(
        "skipping the QGIS checks: {} cannot import qgis.core (install python3-qgis, or set QGIS_PYTHON)",
        python.display()
    );
    None
}

fn check_in_qgis(python: &Path, project: &Path, png: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/qgis/check_project.py");
    let o = Command::new(python)
        .arg(script)
        .arg(project)
        .arg(png)
        .env("QT_QPA_PLATFORM", "offscreen")
        .env("XDG_RUNTIME_DIR", png.parent().unwrap())
        .output()
        .expect("python runs");
    assert!(
        o.status.success(),
        "check_project.py failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no report: {stdout}"));
    serde_json::from_str(line).unwrap()
}

/// Runs the Bogotá preset (with `extra` arguments) into `<dir>/out`; returns the folder and
/// its `run.json`.
fn run_bogota(dir: &Path, extra: &[&str]) -> (PathBuf, Value) {
    let out = dir.join("out");
    let method = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bogota.toml");
    let mut args: Vec<&std::ffi::OsStr> = vec!["--quiet".as_ref(), "run".as_ref(), method.as_os_str()];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    args.extend(["--out".as_ref(), out.as_os_str()]);
    let o = careblock(args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(out.join("careblock.qgs")).expect("careblock.qgs is written");
    assert!(
        text.contains("<datasource>./careblock.gpkg|layername=districts</datasource>"),
        "relative path"
    );
    let run: Value = serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["qgis_project"], "careblock.qgs");
    (out, run)
}

/// What a language changes in QGIS: the layers' titles (top first) and their groups.
struct Words {
    titles: [&'static str; 5],
    siting: &'static str,
    index: &'static str,
}

/// The checks of every language on QGIS' report `r` of the project in `out`: every layer found,
/// valid, titled, in its group and order, with the renderer and classes of its style; an
/// alias for every column of every layer; the same style, legend, aliases and value maps from
/// the GeoJSON with its `.qml` and from the GeoPackage's `layer_styles`; and the map QGIS
/// rendered to `png` shows each priority class and the blocks in their colours.
fn check_layers(r: &Value, out: &Path, run: &Value, png: &Path, words: &Words) {
    assert_eq!(r["read"], true, "{r}");
    assert_eq!(r["crs"], "EPSG:9377");
    let layers = r["layers"].as_array().unwrap();
    let ids: Vec<&str> = layers.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "careblock_sites",
            "careblock_catchments",
            "careblock_uncovered",
            "careblock_districts",
            "careblock_units"
        ]
    );
    let sites = std::fs::read_to_string(out.join("sites.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    let expected = [
        (words.siting, true, sites, "categorizedSymbol", 3),
        (words.siting, true, sites, "categorizedSymbol", 3),
        (
            words.siting,
            false,
            run["siting"]["uncovered_high_priority"].as_u64().unwrap() as usize,
            "categorizedSymbol",
            3,
        ),
        (words.index, true, 116, "graduatedSymbol", 6),
        (words.index, false, 641, "graduatedSymbol", 6),
    ];
    for ((l, (group, on, features, renderer, classes)), title) in
        layers.iter().zip(expected).zip(words.titles)
    {
        let id = &l["id"];
        assert_eq!(l["found"], true, "{id}: the layer tree finds the layer");
        assert_eq!(l["valid"], true, "{id}: QGIS reads its data source");
        assert_eq!(l["title"], title, "{id}");
        assert_eq!(l["group"], group, "{id}");
        assert_eq!(l["on"], on, "{id}");
        assert_eq!(l["features"].as_u64(), Some(features as u64), "{id}");
        assert_eq!(l["renderer"], renderer, "{id}");
        assert_eq!(l["classes"].as_array().unwrap().len(), classes, "{id}");
        // Every column careblock wrote has an alias (the field names stay).
        let name = id.as_str().unwrap().trim_start_matches("careblock_");
        let geojson: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join(format!("{name}.geojson"))).unwrap())
                .unwrap();
        let aliases = l["aliases"].as_object().unwrap();
        for column in geojson["features"][0]["properties"].as_object().unwrap().keys() {
            assert!(
                aliases.contains_key(column),
                "{id}: no alias for {column}: {aliases:?}"
            );
        }
        let labels: Vec<&Value> = l["classes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["label"])
            .collect();
        for other in ["geojson_qml", "gpkg_default_style"] {
            let s = &l[other];
            assert_eq!(s["valid"], true, "{id} {other}");
            assert_eq!(s["renderer"], renderer, "{id} {other}: the same style");
            assert_eq!(s["classes"].as_u64(), Some(classes as u64), "{id} {other}");
            let other_labels: Vec<&Value> = s["labels"].as_array().unwrap().iter().collect();
            assert_eq!(other_labels, labels, "{id} {other}: the same legend");
            assert_eq!(s["aliases"], l["aliases"], "{id} {other}: the same aliases");
            assert_eq!(
                s["value_maps"], l["value_maps"],
                "{id} {other}: the same value maps"
            );
        }
    }
    // The districts' classes: unranked grey, then YlOrRd from class 1 to 5.
    let colours: Vec<&str> = layers[3]["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["color"].as_str().unwrap())
        .collect();
    assert_eq!(
        colours,
        ["#cccccc", "#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]
    );

    assert_eq!(r["rendered"], true, "{r}");
    assert_eq!(r["errors"].as_array().map(Vec::len), Some(0), "{r}");
    let img = Image::decode(png);
    let all = (0, 0, img.width, img.height);
    for (c, colour) in CLASSES.iter().enumerate() {
        let n = img.count(all, *colour);
        assert!(
            n >= 2000,
            "class {} colour {colour:02x?}: {n} pixels in QGIS' map",
            c + 1
        );
    }
    for (what, colour) in [("existing", EXISTING), ("proposed", PROPOSED)] {
        let n = img.count(all, colour);
        assert!(n >= 100, "{what} blocks: {n} pixels in QGIS' map");
    }
}

/// The legend labels of a level's classes in QGIS' report (the unranked range first).
fn legend(layer: &Value) -> Vec<String> {
    layer["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap().to_string())
        .collect()
}

/// A level's class bins from run.json, with two decimals.
fn bins(run: &Value, level: &str) -> Vec<String> {
    run[level]["class_bins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| format!("{:.2}", b.as_f64().unwrap()))
        .collect()
}

fn alias<'a>(layer: &'a Value, field: &str) -> &'a str {
    layer["aliases"][field]
        .as_str()
        .unwrap_or_else(|| panic!("{}: no alias for {field}", layer["id"]))
}

#[test]
fn the_bogota_project_opens_in_qgis_with_every_layer_styled_and_renders_its_colours() {
    let dir = fresh_dir("qgis_project", "bogota");
    let (out, run) = run_bogota(&dir, &[]);
    let units_qml = std::fs::read_to_string(out.join("units.qml")).unwrap();
    assert!(units_qml.contains("<alias field=\"index\" name=\"Care prioritization index\"/>"));

    let Some(python) = qgis_python() else {
        return;
    };
    let png = dir.join("qgis.png");
    let r = check_in_qgis(&python, &out.join("careblock.qgs"), &png);
    let words = Words {
        titles: [
            "Care blocks and bus stops",
            "Walking catchments",
            "High-priority units out of reach",
            "Districts: care priority class",
            "Census units: care priority class",
        ],
        siting: "Siting",
        index: "Care prioritization index",
    };
    check_layers(&r, &out, &run, &png, &words);
    let layers = r["layers"].as_array().unwrap();
    // English legends, decimal points; the bounds are the run's class bins.
    for (layer, level) in [(&layers[3], "districts"), (&layers[4], "units")] {
        let labels = legend(layer);
        let b = bins(&run, level);
        assert_eq!(labels[0], "unranked (no index)");
        assert!(labels[1].starts_with("1 (lowest need): "), "{labels:?}");
        assert!(labels[1].ends_with(&format!(" – {}", b[0])), "{labels:?}");
        assert_eq!(labels[3], format!("3: {} – {}", b[1], b[2]));
        assert_eq!(labels[5], format!("5 (highest need): {} – {}", b[3], b[4]));
    }
    assert_eq!(alias(&layers[4], "rank"), "Rank (1 = highest need)");
    assert_eq!(alias(&layers[3], "class"), "Priority class (5 = highest need)");
    assert_eq!(
        alias(&layers[3], "share_0_9_score"),
        "Share of persons aged 0–9 (normalised score)"
    );
    assert_eq!(alias(&layers[0], "rank"), "Order of selection (1 = chosen first)");
    assert_eq!(
        layers[0]["value_maps"]["status"]["proposed"],
        "proposed care block"
    );
}

#[test]
fn a_spanish_run_opens_in_qgis_with_spanish_titles_legends_and_aliases() {
    let dir = fresh_dir("qgis_project", "bogota_es");
    let (out, run) = run_bogota(&dir, &["--lang", "es"]);
    assert_eq!(run["lang"], "es", "run.json records the language");
    // The styles beside the layers are Spanish without QGIS too.
    let districts_qml = std::fs::read_to_string(out.join("districts.qml")).unwrap();
    assert!(districts_qml.contains("<alias field=\"index\" name=\"Índice de priorización del cuidado\"/>"));
    assert!(districts_qml.contains("label=\"sin puesto (sin índice)\""));

    let Some(python) = qgis_python() else {
        return;
    };
    let png = dir.join("qgis.png");
    let r = check_in_qgis(&python, &out.join("careblock.qgs"), &png);
    let words = Words {
        titles: [
            "Manzanas del cuidado y paradas de los buses del cuidado",
            "Áreas de cobertura a pie",
            "Unidades censales de alta prioridad sin cobertura",
            "Distritos: clase de prioridad del cuidado",
            "Unidades censales: clase de prioridad del cuidado",
        ],
        siting: "Localización de manzanas del cuidado",
        index: "Índice de priorización del cuidado",
    };
    check_layers(&r, &out, &run, &png, &words);
    let layers = r["layers"].as_array().unwrap();
    // Spanish legends with decimal commas; the bounds are the run's class bins.
    for (layer, level) in [(&layers[3], "districts"), (&layers[4], "units")] {
        let labels = legend(layer);
        let b: Vec<String> = bins(&run, level).iter().map(|v| v.replace('.', ",")).collect();
        assert_eq!(labels[0], "sin puesto (sin índice)");
        assert!(labels[1].starts_with("1 (menor necesidad): de "), "{labels:?}");
        assert!(labels[1].ends_with(&format!(" a {}", b[0])), "{labels:?}");
        assert_eq!(labels[3], format!("3: de {} a {}", b[1], b[2]));
        assert_eq!(labels[5], format!("5 (mayor necesidad): de {} a {}", b[3], b[4]));
        assert!(
            labels.iter().all(|l| !l.contains('.')),
            "decimal commas: {labels:?}"
        );
    }
    let sites_legend = legend(&layers[0]);
    assert_eq!(
        sites_legend,
        [
            "manzana del cuidado existente",
            "manzana del cuidado propuesta (tamaño: orden de selección)",
            "parada del bus del cuidado"
        ]
    );
    assert_eq!(
        legend(&layers[2]),
        [
            "al alcance de una parada del bus del cuidado",
            "atención domiciliaria",
            "sin atención"
        ]
    );
    for (layer, field, expect) in [
        (3, "index", "Índice de priorización del cuidado"),
        (4, "rank", "Puesto (1 = mayor necesidad)"),
        (3, "class", "Clase de prioridad (5 = mayor necesidad)"),
        (3, "label", "Nombre"),
        (4, "population", "Población"),
        (
            4,
            "p_top_class",
            "Probabilidad de la clase de mayor necesidad (Monte Carlo)",
        ),
        (4, "site", "Manzana del cuidado asignada"),
        (0, "rank", "Orden de selección (1 = la primera elegida)"),
        (0, "demand", "Demanda en el área de cobertura"),
        (1, "status", "Estado"),
        (2, "demand", "Demanda no cubierta"),
        (2, "tier", "Modalidad de atención"),
    ] {
        assert_eq!(alias(&layers[layer], field), expect, "{}", layers[layer]["id"]);
    }
    // The method's indicators and dimensions are named by their labels in Spanish.
    assert!(alias(&layers[3], "share_0_9_score").ends_with(" (puntaje normalizado)"));
    assert!(alias(&layers[3], "dim_care_demand").starts_with("Dimensión: "));
    // The attribute table shows the values in words; the values themselves stay.
    assert_eq!(
        layers[0]["value_maps"]["status"]["proposed"],
        "manzana del cuidado propuesta"
    );
    assert_eq!(
        layers[2]["value_maps"]["tier"]["home_care"],
        "atención domiciliaria"
    );
}
