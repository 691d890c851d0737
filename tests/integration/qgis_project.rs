//! `careblock.qgs` opened in QGIS itself: Debian's `python3-qgis` (QGIS 3.22), headless, runs
//! `tests/qgis/check_project.py` on the Bogotá preset's outputs. Every layer must be found,
//! valid, in its group and order, with the renderer and classes of its style; the same style
//! must come back from the GeoJSON with its `.qml` and from the GeoPackage's `layer_styles`; and
//! the map QGIS renders must show each priority class and the blocks in their colours.
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

#[test]
fn the_bogota_project_opens_in_qgis_with_every_layer_styled_and_renders_its_colours() {
    let dir = fresh_dir("qgis_project", "bogota");
    let out = dir.join("out");
    let method = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bogota.toml");
    let o = careblock([
        "--quiet".as_ref(),
        "run".as_ref(),
        method.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let project = out.join("careblock.qgs");
    let text = std::fs::read_to_string(&project).expect("careblock.qgs is written");
    assert!(
        text.contains("<datasource>./careblock.gpkg|layername=districts</datasource>"),
        "relative path"
    );
    let run: Value = serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["qgis_project"], "careblock.qgs");

    let Some(python) = qgis_python() else {
        return;
    };
    let png = dir.join("qgis.png");
    let r = check_in_qgis(&python, &project, &png);
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
        ("Siting", true, sites, "categorizedSymbol", 3),
        ("Siting", true, sites, "categorizedSymbol", 3),
        (
            "Siting",
            false,
            run["siting"]["uncovered_high_priority"].as_u64().unwrap() as usize,
            "categorizedSymbol",
            3,
        ),
        ("Care prioritization index", true, 116, "graduatedSymbol", 6),
        ("Care prioritization index", false, 641, "graduatedSymbol", 6),
    ];
    for (l, (group, on, features, renderer, classes)) in layers.iter().zip(expected) {
        let id = &l["id"];
        assert_eq!(l["found"], true, "{id}: the layer tree finds the layer");
        assert_eq!(l["valid"], true, "{id}: QGIS reads its data source");
        assert_eq!(l["group"], group, "{id}");
        assert_eq!(l["on"], on, "{id}");
        assert_eq!(l["features"].as_u64(), Some(features as u64), "{id}");
        assert_eq!(l["renderer"], renderer, "{id}");
        assert_eq!(l["classes"].as_array().unwrap().len(), classes, "{id}");
        for other in ["geojson_qml", "gpkg_default_style"] {
            let s = &l[other];
            assert_eq!(s["valid"], true, "{id} {other}");
            assert_eq!(s["renderer"], renderer, "{id} {other}: the same style");
            assert_eq!(s["classes"].as_u64(), Some(classes as u64), "{id} {other}");
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
    let img = Image::decode(&png);
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
