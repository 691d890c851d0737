//! `report.html` of `careblock run` on the bundled data, checked the way a person would check
//! it: open it in headless Chromium, take a screenshot and look at the pixels of the map (each
//! priority class colour, the existing and proposed blocks); click a district through the
//! map viewer, zoom and switch layers, with no console message. Also: the page is
//! self-contained (no http(s) resource, no script but its own inline viewer), small, and
//! byte-identical whatever the thread count. In Spanish (`--lang es`) the page and its viewer
//! speak Spanish, with decimal commas.
//!
//! Without Chromium the screenshot checks print a line and pass, unless the environment variable
//! `CI` is set, in which case they fail (CI installs the Debian package `chromium`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::browser::{Image, dom_at, screenshot, screenshot_at};
use crate::common::outputs::{BUS, CLASSES, EXISTING, MAP_BACKGROUND, PROPOSED};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `careblock run METHOD --out DIR` with the given thread count; returns the page.
fn run(method: &str, out: &Path, threads: usize) -> String {
    run_with(method, out, threads, &[])
}

/// `careblock run METHOD --out DIR EXTRA...` with the given thread count; returns the page.
fn run_with(method: &str, out: &Path, threads: usize, extra: &[&str]) -> String {
    let _ = std::fs::remove_dir_all(out);
    let o = Command::new(env!("CARGO_BIN_EXE_careblock"))
        .current_dir(root())
        .args([
            "--quiet",
            "--threads",
            &threads.to_string(),
            "run",
            method,
            "--out",
        ])
        .arg(out)
        .args(extra)
        .output()
        .expect("the careblock binary runs");
    assert!(
        o.status.success(),
        "careblock run {method} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::read_to_string(out.join("report.html")).expect("report.html was written")
}

fn tmp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("report_html")
        .join(name)
}

/// Checks that hold without a browser: self-contained, small, closed.
fn check_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    // The map viewer's data and script, inline, are the only scripts.
    assert_eq!(
        lower.matches("<script").count(),
        2,
        "the viewer's two inline scripts"
    );
    assert!(lower.contains("<script type=\"application/json\" id=\"cb-data\">"));
    for bad in [
        "http://",
        "https://",
        "<link",
        "<img",
        "<iframe",
        " src=",
        "url(",
        "@import",
        "@font-face",
    ] {
        assert!(
            !lower.contains(bad),
            "report.html contains {bad:?}: not self-contained"
        );
    }
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
    assert!(html.len() < 1_500_000, "report.html is {} bytes", html.len());
}

/// The main map: the bounding box of its background colour, which is used nowhere else.
fn map_region(img: &Image) -> (usize, usize, usize, usize) {
    let region = img
        .bbox(MAP_BACKGROUND)
        .expect("the map's background colour is on the screenshot: the map rendered");
    let (x0, y0, x1, y1) = region;
    assert!(
        x1 - x0 >= 300 && y1 - y0 >= 300,
        "the map is only {}×{} pixels",
        x1 - x0,
        y1 - y0
    );
    region
}

#[test]
fn bogota_report_renders_the_map_with_every_class_and_the_blocks() {
    let out = tmp("bogota");
    let html = run("examples/bogota.toml", &out, 2);
    check_self_contained(&html);
    // Everything the page is meant to hold is there.
    for part in [
        "aria-label=\"map of the priority class\"",
        "aria-label=\"overview map\"",
        "aria-label=\"ranking curve\"",
        "aria-label=\"top districts with rank intervals\"",
        "Conservation of the counts",
        "Warnings and notes",
        "EPSG:9377",
        "upper bound",
    ] {
        assert!(html.contains(part), "report.html lacks {part:?}");
    }
    // 24 existing and 21 proposed blocks, 5 bus stops, 15 top districts, 20 balances.
    assert_eq!(html.matches("existing care block: ").count(), 24);
    assert_eq!(html.matches("proposed care block no. ").count(), 21);
    assert_eq!(html.matches("care-bus stop no. ").count(), 5);
    assert_eq!(html.matches("<path class=\"wh\"").count(), 15);
    // Every note of run.json is on the page (escaped).
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).expect("run.json"))
            .expect("JSON");
    let notes = report["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .chain(report["siting"]["notes"].as_array().expect("siting notes"));
    for n in notes {
        let n = n.as_str().expect("a note is text");
        let escaped = n
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;");
        assert!(html.contains(&escaped), "note missing from the page: {n}");
    }
    // The same bytes with one thread.
    let one = run("examples/bogota.toml", &tmp("bogota-1thread"), 1);
    assert!(one == html, "report.html differs between 1 and 2 threads");

    let Some(img) = screenshot(
        &out.join("report.html"),
        &tmp("bogota.png"),
        &tmp("chromium-profile-bogota"),
    ) else {
        return;
    };
    let map = map_region(&img);
    println!("map region {map:?}");
    for (c, colour) in CLASSES.iter().enumerate() {
        let n = img.count(map, *colour);
        println!("class {}: {n} pixels", c + 1);
        assert!(
            n >= 5000,
            "class {} colour {colour:02x?}: only {n} pixels on the map",
            c + 1
        );
    }
    let existing = img.count(map, EXISTING);
    let proposed = img.count(map, PROPOSED);
    let bus = img.count(map, BUS);
    println!("existing {existing}, proposed {proposed}, bus {bus} pixels");
    assert!(existing >= 600, "existing blocks: {existing} blue pixels");
    assert!(proposed >= 1500, "proposed blocks: {proposed} green pixels");
    assert!(bus >= 80, "bus stops: {bus} purple pixels");
}

#[test]
fn a_method_without_siting_still_gets_a_map_and_no_sites() {
    let out = tmp("los_lagos");
    let html = run("examples/los_lagos.toml", &out, 2);
    check_self_contained(&html);
    assert!(html.contains("no care blocks were sited"));
    assert!(!html.contains("aria-label=\"ranking curve\""));
    let page = &html[..html.find("<script").unwrap()];
    assert!(!page.contains("care block no. "));
    assert!(html.contains("aria-label=\"top districts with rank intervals\""));

    let Some(img) = screenshot(
        &out.join("report.html"),
        &tmp("los_lagos.png"),
        &tmp("chromium-profile-los-lagos"),
    ) else {
        return;
    };
    let map = map_region(&img);
    for (c, colour) in CLASSES.iter().enumerate() {
        let n = img.count(map, *colour);
        println!("class {}: {n} pixels", c + 1);
        assert!(
            n >= 2000,
            "class {} colour {colour:02x?}: only {n} pixels on the map",
            c + 1
        );
    }
    for (what, colour) in [("existing", EXISTING), ("proposed", PROPOSED), ("bus", BUS)] {
        assert_eq!(
            img.count(map, colour),
            0,
            "{what} site colour on a map without siting"
        );
    }
}

/// The `>text<` of the element with `id` in a DOM dump.
fn element_text<'a>(dom: &'a str, id: &str) -> &'a str {
    let at = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let rest = &dom[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest.find("</").unwrap();
    &rest[start..end]
}

#[test]
fn the_interactive_map_answers_a_click_zooms_and_switches_layers() {
    let out = tmp("bogota-viewer");
    let html = run("examples/bogota.toml", &out, 2);
    check_self_contained(&html);
    assert!(
        html.len() < 5_000_000,
        "the Bogotá report is {} bytes",
        html.len()
    );
    // The units are a second, hidden layer; every district and unit can be clicked.
    assert!(html.contains("data-layer=\"units\" style=\"display:none\""));
    let group = |layer: &str| {
        let at = html
            .find(&format!("data-layer=\"{layer}\""))
            .unwrap_or_else(|| panic!("no {layer} layer"));
        let rest = &html[at..];
        rest[..rest.find("</g>").unwrap()].matches(" data-i=\"").count()
    };
    assert_eq!(group("districts"), 116, "every district can be clicked");
    assert!(
        group("units") >= 600,
        "the units in view can be clicked: {}",
        group("units")
    );
    assert_eq!(group("existing") + group("bus"), 24 + 5);
    assert_eq!(html.matches("<g data-i=\"").count(), 21, "the proposed blocks");
    // The district ranked first, from districts.csv.
    let districts = std::fs::read_to_string(out.join("districts.csv")).unwrap();
    let mut lines = districts.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let (id_col, rank_col) = (
        header.iter().position(|h| *h == "id").unwrap(),
        header.iter().position(|h| *h == "rank").unwrap(),
    );
    let first = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f[rank_col] == "1")
        .map(|f| f[id_col].to_string())
        .unwrap();
    let report = out.join("report.html");
    let Some((dom, console)) = dom_at(
        &report,
        &format!("click=districts:{first}"),
        &tmp("chromium-profile-click"),
    ) else {
        return;
    };
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(!dom.contains("data-js-error=\""), "a script error");
    let info = &dom[dom.find("id=\"cb-info\"").unwrap()..];
    let info = &info[..info.find("<h3>Overview").unwrap_or(info.len())];
    assert!(info.contains(&format!("District {first}")), "{info}");
    assert!(
        info.contains("Rank 1 of 116 (1 = highest need), class 5 of 5"),
        "{info}"
    );
    assert!(info.contains("Monte Carlo (1000 draws): median rank"), "{info}");
    assert_eq!(
        info.matches("<td class=\"n\">").count(),
        10 + 1,
        "10 contributions and their sum: {info}"
    );

    // Zoom 4× on the centre: the view is scaled and the scale bar shortens.
    let bar = element_text(&html, "cb-bar-text").to_string();
    let (dom, console) = dom_at(&report, "zoom=4", &tmp("chromium-profile-zoom")).unwrap();
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(dom.contains("scale(4)"), "the view is zoomed");
    let zoomed = element_text(&dom, "cb-bar-text");
    assert_ne!(zoomed, bar, "the scale bar follows the zoom ({bar} before)");

    // Only the units: their classes are drawn, no site.
    let Some(img) = screenshot_at(
        &report,
        "layers=units",
        &tmp("bogota-units.png"),
        &tmp("chromium-profile-units"),
    ) else {
        return;
    };
    let map = map_region(&img);
    for (c, colour) in CLASSES.iter().enumerate() {
        let n = img.count(map, *colour);
        assert!(n >= 3000, "units class {}: only {n} pixels", c + 1);
    }
    for (what, colour) in [("existing", EXISTING), ("proposed", PROPOSED), ("bus", BUS)] {
        assert_eq!(img.count(map, colour), 0, "{what} sites switched off but drawn");
    }
}

/// The page's viewer data (the JSON in `#cb-data`).
fn viewer_data(html: &str) -> serde_json::Value {
    let data = html
        .split("<script type=\"application/json\" id=\"cb-data\">")
        .nth(1)
        .and_then(|d| d.split("</script>").next())
        .expect("the viewer's data");
    serde_json::from_str(data).expect("the viewer's data is JSON")
}

#[test]
fn a_spanish_report_and_its_viewer_speak_spanish() {
    let out = tmp("bogota-es");
    let html = run_with("examples/bogota.toml", &out, 2, &["--lang", "es"]);
    check_self_contained(&html);
    assert!(html.contains("<html lang=\"es\">"));
    let page = &html[..html.find("<script").unwrap()];
    for part in [
        "<h2>Clase de prioridad de los distritos</h2>",
        "<h2>Los 15 distritos de mayor necesidad y la incertidumbre de su puesto</h2>",
        "<h2>Localización de manzanas del cuidado</h2>",
        "<h2>Conservación de los conteos sumados a los distritos</h2>",
        "<h2>Advertencias y notas (",
        "<h3>Curva de priorización</h3>",
        "aria-label=\"mapa de la clase de prioridad\"",
        "aria-label=\"curva de priorización\"",
        "aria-label=\"distritos de mayor necesidad con intervalos de puesto\"",
        "SRC de trabajo EPSG:9377 (metros) · 116 distritos, 116 con puesto · 1000 sorteos de Monte Carlo",
        "title=\"acercar\"",
    ] {
        assert!(page.contains(part), "the Spanish report lacks {part:?}");
    }
    assert_eq!(page.matches("manzana del cuidado existente: ").count(), 24);
    assert_eq!(page.matches("manzana del cuidado propuesta n.º ").count(), 21);
    assert_eq!(page.matches("parada del bus del cuidado n.º ").count(), 5);
    for english in [
        "Priority class",
        "Conservation of",
        "Warnings and notes",
        "Ranking curve",
        "existing care block",
        "proposed care block",
        "care-bus stop",
        "walking radius",
        "upper bound",
        "Red diamond",
        "Method file",
        "not ranked",
        "zoom in",
    ] {
        assert!(
            !page.contains(english),
            "English left in the Spanish report: {english:?}"
        );
    }
    // Numbers shown as text have a decimal comma (the map's coordinates keep their points).
    // (Up to the notes, which the libraries word.)
    let page = &page[..page.find("<ul class=\"notes\">").unwrap_or(page.len())];
    let decimals = |sep: u8| {
        let b = page.as_bytes();
        (1..b.len().saturating_sub(3))
            .filter(|&i| b[i] == sep && b[i - 1].is_ascii_digit() && b[i + 1].is_ascii_digit())
            .filter(|&i| {
                let rest = &page[i + 1..];
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                rest[digits..].starts_with(" %")
            })
            .count()
    };
    assert!(
        decimals(b',') >= 20,
        "percentages with a decimal comma: {}",
        decimals(b',')
    );
    assert_eq!(decimals(b'.'), 0, "percentages with a decimal point");
    let data = viewer_data(&html);
    assert_eq!(data["t"]["point"], ",");

    // Click the district ranked first and the first proposed block through the viewer.
    let first = data["districts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d[3] == 1)
        .map(|d| d[0].as_str().unwrap().to_string())
        .expect("a district ranked first");
    let block = data["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s[0] == "proposed" && s[1] == 1)
        .map(|s| s[2].as_str().unwrap().to_string())
        .expect("a proposed block ranked first");
    let report = out.join("report.html");
    let Some((dom, console)) = dom_at(
        &report,
        &format!("click=districts:{first}"),
        &tmp("chromium-profile-es-district"),
    ) else {
        return;
    };
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(!dom.contains("data-js-error=\""), "a script error");
    let info = &dom[dom.find("id=\"cb-info\"").unwrap()..];
    let info = &info[..info.find("<h3>Vista general").unwrap_or(info.len())];
    assert!(info.contains(&format!("<h3>Distrito {first}")), "{info}");
    assert!(
        info.contains("Puesto 1 de 116 (1 = mayor necesidad), clase 5 de 5 (5 = mayor necesidad), índice "),
        "{info}"
    );
    assert!(
        info.contains("Monte Carlo (1000 sorteos): puesto mediano "),
        "{info}"
    );
    assert!(info.contains("<th>indicador</th><th>aporte</th>"), "{info}");
    assert!(info.contains("<td>suma</td>"), "{info}");
    // The index with two decimals, after a comma.
    let index = &info[info.find("índice ").unwrap() + "índice ".len()..];
    let index = &index[..index.find('.').unwrap()];
    assert!(
        index.len() >= 4 && index.as_bytes()[index.len() - 3] == b',',
        "index {index:?}"
    );
    assert!(!info.contains("Rank ") && !info.contains("District "), "{info}");

    let (dom, console) = dom_at(
        &report,
        &format!("click=sites:{block}"),
        &tmp("chromium-profile-es-site"),
    )
    .expect("a browser");
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(!dom.contains("data-js-error=\""), "a script error");
    let info = &dom[dom.find("id=\"cb-info\"").unwrap()..];
    let info = &info[..info.find("<h3>Vista general").unwrap_or(info.len())];
    assert!(
        info.contains(&format!("<h3>Manzana del cuidado propuesta n.º 1: {block}")),
        "{info}"
    );
    assert!(info.contains("Ganancia: "), "{info}");
    assert!(info.contains("Demanda al alcance: "), "{info}");
    assert!(info.contains("Irremplazabilidad: "), "{info}");
}
