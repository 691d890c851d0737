use super::colours::Frame;
use super::format::{n1, num_in, pct_in, sci};
use super::maps::{LONG_RING, length_label, nice_length, simplified};
use super::*;
use careblock_text::Lang;
use geo::polygon;
use geo::{Coord, LineString, MultiPolygon, Point, Rect};

fn square(x: f64, y: f64, s: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![polygon![
        (x: x, y: y), (x: x + s, y: y), (x: x + s, y: y + s), (x: x, y: y + s), (x: x, y: y)
    ]])
}

fn area(
    id: &str,
    label: &str,
    geom: Option<MultiPolygon<f64>>,
    rank: Option<u32>,
    class: Option<u32>,
) -> HtmlArea {
    HtmlArea {
        id: id.into(),
        label: Some(label.into()),
        geometry: geom,
        index: rank.map(|r| 100.0 - f64::from(r)),
        rank,
        class,
        rank_median: rank.map(f64::from),
        rank_p05: rank.map(|r| f64::from(r.saturating_sub(1).max(1))),
        rank_p95: rank.map(|r| f64::from(r + 2)),
        p_top_class: rank.map(|_| 0.5),
        contributions: vec![rank.map(|r| 60.0 - f64::from(r)), rank.map(|_| 40.0)],
    }
}

fn report() -> HtmlReport {
    HtmlReport {
        title: "Test & <city>".into(),
        method_file: "m.toml".into(),
        crs: "EPSG:9377".into(),
        area_kind: "districts".into(),
        areas: (0..5)
            .map(|i| {
                area(
                    &format!("D{i}"),
                    &format!("District {i}"),
                    Some(square(1000.0 * f64::from(i), 0.0, 1000.0)),
                    Some(i + 1),
                    Some(5 - i),
                )
            })
            .collect(),
        class_bins: vec![10.0, 20.0, 30.0, 40.0, 100.0],
        indicators: vec!["share 0–9".into(), "poverty".into()],
        draws: Some(100),
        top: 15,
        ..Default::default()
    }
}

#[test]
fn labels_from_data_are_escaped() {
    let evil = "<script>alert(1)</script> & \"x\"";
    let mut r = report();
    r.title = evil.into();
    r.method_file = evil.into();
    r.crs = evil.into();
    r.areas[0].label = Some(evil.into());
    r.areas[1].id = evil.into();
    r.conservation.push(HtmlBalance {
        variable: evil.into(),
        source_total: 1.0,
        allocated: 1.0,
        unallocated: 0.0,
        missing: 0,
        relative_error: 0.0,
    });
    r.notes.push(HtmlNote {
        source: evil.into(),
        text: evil.into(),
    });
    r.sites.push(HtmlSite {
        kind: HtmlSiteKind::Proposed,
        point: Point::new(500.0, 500.0),
        rank: Some(1),
        id: evil.into(),
        label: Some(evil.into()),
        category: evil.into(),
        gain: 3.0,
        irreplaceability: Some(1.0),
        demand: 4.0,
        robust: None,
    });
    r.siting = Some(HtmlSiting {
        radius: 800.0,
        objective: 5.0,
        bound: 6.0,
        total_demand: 10.0,
        curve: vec![
            HtmlCurveStep {
                rank: 1,
                id: evil.into(),
                label: Some(evil.into()),
                cumulative: 4.0,
                phase: Some("1".into()),
                capacity: None,
            },
            HtmlCurveStep {
                rank: 2,
                id: evil.into(),
                label: Some(evil.into()),
                cumulative: 5.0,
                phase: Some(evil.into()),
                capacity: None,
            },
        ],
        target: Some(0.45),
        kpis: vec![HtmlKpi {
            name: evil.into(),
            before: Some(0.1),
            after: Some(0.5),
        }],
        ..Default::default()
    });
    let full = render_report(&r);
    // The page's own two scripts (the viewer's data and the viewer) come last; the data holds
    // no '<', '>' or '&' (JSON \u escapes), so nothing in it can end the element.
    assert_eq!(full.matches("<script").count(), 2, "only the viewer's scripts");
    let (html, scripts) = full.split_at(full.find("<script").unwrap());
    let data = scripts
        .strip_prefix("<script type=\"application/json\" id=\"cb-data\">")
        .and_then(|d| d.split("</script>").next())
        .unwrap();
    assert!(!data.contains(['<', '>', '&']), "{data}");
    let parsed: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(
        parsed["districts"][0][1], evil,
        "the label, unescaped once parsed"
    );
    assert!(!html.contains("<script"), "unescaped script tag");
    assert!(!html.contains(evil));
    assert!(!html.contains("& \"x"));
    assert!(!html.contains("\"x\""));
    // The escaped text is there, many times (title, tooltips, tables, notes).
    let escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;";
    assert!(
        html.matches(escaped).count() >= 8,
        "{}",
        html.matches(escaped).count()
    );
    // Every '&' in the page starts an entity.
    for (i, _) in html.match_indices('&') {
        let rest = &html[i..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                .iter()
                .any(|e| rest.starts_with(e)),
            "bare & at {}",
            &rest[..rest.len().min(20)]
        );
    }
}

#[test]
fn world_to_svg_flips_y_and_keeps_the_aspect() {
    // 4 km wide, 2 km tall, into at most 820 x 900 px with 10 px padding.
    let world = Rect::new(Coord { x: 1000.0, y: 5000.0 }, Coord { x: 5000.0, y: 7000.0 });
    let f = Frame::fit(world, 820.0, 900.0, 10.0);
    assert!((f.width - 820.0).abs() < 1e-9);
    assert!((f.height - (10.0 + 400.0 + 10.0)).abs() < 1e-9, "{}", f.height);
    // North-west corner → top left, south-east → bottom right.
    let (x, y) = f.apply(Coord { x: 1000.0, y: 7000.0 });
    assert!((x - 10.0).abs() < 1e-9 && (y - 10.0).abs() < 1e-9);
    let (x, y) = f.apply(Coord { x: 5000.0, y: 5000.0 });
    assert!((x - 810.0).abs() < 1e-9 && (y - 410.0).abs() < 1e-9);
    // Going north goes up on the screen; the same distance is the same length both ways.
    let (_, ya) = f.apply(Coord { x: 2000.0, y: 6000.0 });
    let (_, yb) = f.apply(Coord { x: 2000.0, y: 6500.0 });
    let (xa, _) = f.apply(Coord { x: 2000.0, y: 6000.0 });
    let (xb, _) = f.apply(Coord { x: 2500.0, y: 6000.0 });
    assert!(yb < ya);
    assert!(((ya - yb) - (xb - xa)).abs() < 1e-9);
    // A tall world is limited by the height.
    let tall = Rect::new(
        Coord { x: 0.0, y: 0.0 },
        Coord {
            x: 1000.0,
            y: 10_000.0,
        },
    );
    let f = Frame::fit(tall, 820.0, 900.0, 10.0);
    assert!((f.height - 900.0).abs() < 1e-9 && f.width < 820.0);
    // Every point of the world lands inside the viewBox.
    for (wx, wy) in [(0.0, 0.0), (1000.0, 10_000.0), (500.0, 5000.0), (0.0, 10_000.0)] {
        let (x, y) = f.apply(Coord { x: wx, y: wy });
        assert!(x >= 0.0 && x <= f.width && y >= 0.0 && y <= f.height, "{x} {y}");
    }
    // A single point gets a frame too.
    let p = Rect::new(Coord { x: 3.0, y: 4.0 }, Coord { x: 3.0, y: 4.0 });
    let f = Frame::fit(p, 300.0, 300.0, 5.0);
    let (x, y) = f.apply(Coord { x: 3.0, y: 4.0 });
    assert!(f.scale.is_finite() && (x - 150.0).abs() < 1e-9 && (y - 150.0).abs() < 1e-9);
}

/// The numbers of every `d="M..."` of the area paths and every circle centre.
fn svg_numbers(html: &str, key: &str) -> Vec<f64> {
    let mut out = Vec::new();
    for part in html.split(key).skip(1) {
        let end = part.find('"').unwrap_or(part.len());
        out.extend(
            part[..end]
                .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
                .filter(|s| !s.is_empty())
                .filter_map(|s| s.parse::<f64>().ok()),
        );
    }
    out
}

#[test]
fn map_coordinates_stay_in_the_view_box_with_one_decimal() {
    let mut r = report();
    r.sites.push(HtmlSite {
        kind: HtmlSiteKind::Existing,
        point: Point::new(4999.0, 999.0),
        rank: None,
        id: "e".into(),
        label: None,
        category: "existing".into(),
        gain: 0.0,
        irreplaceability: None,
        demand: 2.0,
        robust: None,
    });
    let html = render_report(&r);
    let vb = html.split("viewBox=\"0 0 ").nth(1).unwrap_or("");
    let dims: Vec<f64> = vb
        .split('"')
        .next()
        .unwrap_or("")
        .split(' ')
        .filter_map(|s| s.parse().ok())
        .collect();
    assert_eq!(dims.len(), 2);
    let map = html.split("class=\"areas\"").nth(1).unwrap_or("");
    let coords = svg_numbers(map.split("</g>").next().unwrap_or(""), " d=\"M");
    assert!(coords.len() >= 5 * 8, "{coords:?}");
    for c in &coords {
        assert!(*c >= 0.0 && *c <= dims[0].max(dims[1]), "{c} outside {dims:?}");
        assert!(
            ((c * 10.0).round() - c * 10.0).abs() < 1e-6,
            "{c} has more than one decimal"
        );
    }
    let cx = svg_numbers(&html, "<circle cx=\"");
    assert!(!cx.is_empty() && cx.iter().all(|x| *x >= 0.0 && *x <= dims[0]));
}

#[test]
fn areas_without_geometry_or_rank_do_not_break_the_page() {
    let mut r = report();
    r.areas
        .push(area("NOGEOM", "No geometry", None, Some(6), Some(5)));
    r.areas.push(area(
        "EMPTY",
        "Empty",
        Some(MultiPolygon::new(vec![])),
        None,
        None,
    ));
    r.areas.push(area(
        "UNRANKED",
        "Unranked",
        Some(square(0.0, 1000.0, 1000.0)),
        None,
        None,
    ));
    r.areas.push(area(
        "BADCLASS",
        "Bad class",
        Some(square(1000.0, 1000.0, 1000.0)),
        Some(7),
        Some(9),
    ));
    let html = render_report(&r);
    assert!(html.ends_with("</html>\n"));
    // Unranked and out-of-range classes are drawn grey; the one without geometry is not drawn
    // but is still charted among the top areas.
    assert_eq!(html.matches("<path class=\"c0\"").count(), 2);
    assert!(html.contains("Unranked (UNRANKED): not ranked"));
    assert!(!html.contains("<path class=\"c5\" d=\"\""));
    assert!(html.contains("6. No geometry (NOGEOM)"));
    // Five classes drawn once each, plus two grey.
    for c in 1..=5 {
        assert_eq!(
            html.matches(&format!("<path class=\"c{c}\"")).count(),
            1,
            "class {c}"
        );
    }
    // A page with no geometry at all still renders.
    let mut r = report();
    for a in &mut r.areas {
        a.geometry = None;
        a.rank = None;
        a.class = None;
    }
    let html = render_report(&r);
    assert!(html.contains("No geometry to map.") && html.contains("Nothing is ranked."));
}

#[test]
fn without_siting_there_is_a_map_but_no_curve() {
    let html = render_report(&report());
    assert!(html.contains("class=\"map\""));
    assert!(html.contains("no care blocks were sited"));
    assert!(!html.contains("ranking curve"));
    assert!(!html.contains("class=\"pr\"") || !html.contains("<circle cx"));
    // Same inputs → same bytes.
    assert_eq!(html, render_report(&report()));
    // Siting with no proposed block: a curve of one point, no table rows.
    let mut r = report();
    r.siting = Some(HtmlSiting {
        radius: 800.0,
        objective: 2.0,
        bound: 2.0,
        locked_in: 2.0,
        total_demand: 10.0,
        optimal: true,
        ..Default::default()
    });
    let html = render_report(&r);
    assert!(html.contains("aria-label=\"ranking curve\""));
    assert!(html.contains("existing blocks only: 20.0 %"));
    assert!(html.contains("proven optimal"));
}

#[test]
fn capacities_are_shown_as_assigned_demand_and_loads() {
    let mut r = report();
    r.siting = Some(HtmlSiting {
        radius: 800.0,
        objective: 9.0,
        bound: 9.5,
        locked_in: 3.0,
        total_demand: 20.0,
        curve: vec![HtmlCurveStep {
            rank: 1,
            id: "s1".into(),
            label: None,
            cumulative: 9.0,
            phase: None,
            capacity: Some((8.0, 6.0)),
        }],
        capacity: Some(HtmlCapacity {
            capacity: 12.0,
            within_reach: 14.0,
            assigned_before: 3.0,
            gap_asked: Some(0.01),
        }),
        ..Default::default()
    });
    let html = render_report(&r);
    assert!(html.contains("objective: demand assigned with the proposed blocks"));
    assert!(html.contains("<th>capacity of the open blocks</th><td class=\"n\">12</td>"));
    assert!(html.contains("demand within their reach (capacities ignored)"));
    assert!(html.contains("<th>load (utilisation)</th>"));
    assert!(
        html.contains("<td class=\"n\">8</td><td class=\"n\">6 (75 %)</td>"),
        "{html}"
    );
    assert!(html.contains("search stopped at a gap of"));
}

#[test]
fn number_formats() {
    assert_eq!(n1(12.345), "12.3");
    assert_eq!(n1(12.0), "12");
    assert_eq!(n1(-0.04), "0");
    assert_eq!(num_in(Lang::En, Some(7_136_912.0), 0), "7,136,912");
    assert_eq!(num_in(Lang::En, Some(-1234.56), 1), "-1,234.6");
    assert_eq!(num_in(Lang::En, Some(-0.00004), 1), "0.0");
    assert_eq!(num_in(Lang::En, None, 1), "–");
    assert_eq!(pct_in(Lang::En, Some(0.4052), 1), "40.5 %");
    // Spanish: decimal comma, full stop between thousands (as Colombia writes them).
    assert_eq!(num_in(Lang::Es, Some(7_136_912.26), 1), "7.136.912,3");
    assert_eq!(num_in(Lang::Es, Some(-1234.56), 0), "-1.235");
    assert_eq!(pct_in(Lang::Es, Some(0.4052), 1), "40,5 %");
    assert_eq!(sci(Lang::Es, 1.2e-16), "1,2e-16");
    assert_eq!(sci(Lang::En, 1.2e-16), "1.2e-16");
    assert_eq!(sci(Lang::Es, 0.0), "0");
    assert_eq!(nice_length(3700.0), 2000.0);
    assert_eq!(nice_length(6000.0), 5000.0);
    assert_eq!(length_label(Lang::En, 5000.0), "5 km");
    assert_eq!(length_label(Lang::En, 500.0), "500 m");
    assert_eq!(length_label(Lang::Es, 2500.0), "2,5 km");
    assert_eq!(
        class_colours(5),
        ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]
    );
    let c12 = class_colours(12);
    assert_eq!(c12.len(), 12);
    assert_eq!((c12[0].as_str(), c12[11].as_str()), ("#ffffcc", "#800026"));
}

#[test]
fn a_long_ring_is_simplified_within_the_tolerance() {
    use geo::{Distance, Euclidean, Point};
    let n = LONG_RING * 2 + 11;
    let ring: LineString<f64> = (0..=n)
        .map(|i| {
            let t = std::f64::consts::TAU * (i % n) as f64 / n as f64;
            let r = 1000.0 + 0.5 * ((i * 7919) % 13) as f64 / 13.0 + 40.0 * (5.0 * t).sin();
            (r * t.cos(), r * t.sin())
        })
        .collect();
    let eps = 2.0;
    let s = simplified(&ring, eps);
    assert_eq!((s.0.first(), s.0.last()), (ring.0.first(), ring.0.last()));
    assert!(s.0.len() > 4 && s.0.len() < n / 20, "{} vertices kept", s.0.len());
    for (i, c) in ring.0.iter().enumerate().step_by(97) {
        let d = Euclidean.distance(&Point(*c), &s);
        assert!(d <= eps + 1e-9, "vertex {i} is {d} from the simplified ring");
    }
}

#[test]
fn the_viewer_gets_the_mapped_units_when_there_are_no_districts() {
    let mut r = report();
    r.area_kind = "units".into();
    let html = render_report(&r);
    let data = html
        .split("<script type=\"application/json\" id=\"cb-data\">")
        .nth(1)
        .and_then(|d| d.split("</script>").next())
        .unwrap();
    let parsed: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(parsed["units"].as_array().map(Vec::len), Some(5), "{parsed}");
    assert_eq!(parsed["ranked"]["units"], 5);
    assert!(parsed.get("districts").is_none());
}

/// A page with every section: sites of each kind, a capacitated, phased and robust siting, the
/// units as a second layer, conservation and notes.
fn full_report(lang: Lang) -> HtmlReport {
    let mut r = report();
    r.lang = lang;
    r.units = r.areas.clone();
    let site = |kind, x: f64, rank: Option<usize>, id: &str| HtmlSite {
        kind,
        point: Point::new(x, 500.0),
        rank,
        id: id.into(),
        label: Some(format!("Sitio {id}")),
        category: "colegio público".into(),
        gain: 3.0,
        irreplaceability: Some(1.5),
        demand: 1234.5,
        robust: Some((0.8, Some(1.2))),
    };
    r.sites = vec![
        site(HtmlSiteKind::Existing, 500.0, None, "E1"),
        site(HtmlSiteKind::Proposed, 1500.0, Some(1), "P1"),
        site(HtmlSiteKind::Proposed, 2500.0, Some(2), "P2"),
        site(HtmlSiteKind::Bus, 3500.0, Some(1), "B1"),
    ];
    let step = |rank: usize, id: &str, cumulative: f64, phase: &str| HtmlCurveStep {
        rank,
        id: id.into(),
        label: None,
        cumulative,
        phase: Some(phase.into()),
        capacity: Some((8.0, 6.0)),
    };
    r.siting = Some(HtmlSiting {
        radius: 800.0,
        objective: 9000.0,
        bound: 9500.0,
        gap: 0.0123,
        optimal: true,
        locked_in: 3000.0,
        total_demand: 20000.0,
        curve: vec![step(1, "P1", 6000.0, "2025"), step(2, "P2", 9000.0, "2026")],
        kpis: vec![HtmlKpi {
            name: lang.t("report.siting.kpi_population").into(),
            before: Some(0.1),
            after: Some(0.405),
        }],
        bus_share: Some(0.25),
        home_care_units: 3,
        target: Some(0.45),
        capacity: Some(HtmlCapacity {
            capacity: 12.0,
            within_reach: 14.0,
            assigned_before: 3.0,
            gap_asked: Some(0.01),
        }),
        robust: Some(HtmlRobust {
            draws: 50,
            candidates: vec![HtmlRobustSite {
                id: "P1".into(),
                label: None,
                kind: "colegio público".into(),
                frequency: 0.8,
                mean_rank: Some(1.2),
                in_plan: true,
            }],
        }),
    });
    r.conservation.push(HtmlBalance {
        variable: "pop_total".into(),
        source_total: 7_136_912.5,
        allocated: 7_136_912.5,
        unallocated: 0.0,
        missing: 2,
        relative_error: 1.2e-16,
    });
    r.notes.push(HtmlNote {
        source: lang.t("report.source.inputs").into(),
        text: "una nota".into(),
    });
    r
}

/// The page without its scripts, and the viewer's words from its data.
fn page_and_words(html: &str) -> (&str, serde_json::Value) {
    let at = html.find("<script").unwrap();
    let data = html[at..]
        .strip_prefix("<script type=\"application/json\" id=\"cb-data\">")
        .and_then(|d| d.split("</script>").next())
        .unwrap();
    let parsed: serde_json::Value = serde_json::from_str(data).unwrap();
    (&html[..at], parsed["t"].clone())
}

/// The literal pieces of a template (between its placeholders and markup) of two words or more.
fn phrases(template: &str) -> Vec<String> {
    template
        .split(['{', '}', '<', '>'])
        .map(str::trim)
        .filter(|p| {
            p.split_whitespace()
                .filter(|w| w.chars().any(char::is_alphabetic))
                .count()
                >= 2
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn a_spanish_page_has_no_english_left() {
    let html = render_report(&full_report(Lang::Es));
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"es\">"));
    let (page, words) = page_and_words(&html);
    for part in [
        "<h2>Clase de prioridad de los distritos</h2>",
        "<h2>Los 5 distritos de mayor necesidad y la incertidumbre de su puesto</h2>",
        "<h2>Localización de manzanas del cuidado</h2>",
        "<h2>Conservación de los conteos sumados a los distritos</h2>",
        "<h2>Advertencias y notas (1)</h2>",
        "<h3>Curva de priorización</h3>",
        "<h3>Sitios robustos</h3>",
        "<h3>Clase de prioridad</h3>",
        "aria-label=\"mapa de la clase de prioridad\"",
        "aria-label=\"curva de priorización\"",
        "aria-label=\"distritos de mayor necesidad con intervalos de puesto\"",
        "Archivo de método <code>m.toml</code> · SRC de trabajo EPSG:9377 (metros) · 5 distritos, 5 con puesto · 100 sorteos de Monte Carlo",
        "<th>radio a pie</th><td class=\"n\">800 m</td>",
        "<th>objetivo: demanda asignada con las manzanas propuestas</th><td class=\"n\">9.000 (45,0 %)</td>",
        "<th>brecha de optimalidad (cota − objetivo) / cota</th><td class=\"n\">1,230 %, óptimo demostrado</td>",
        "<td>población</td><td class=\"n\">10,0 %</td><td class=\"n\">40,5 %</td>",
        "manzana del cuidado propuesta n.º 1: Sitio P1 (P1) — colegio público",
        "parada del bus del cuidado n.º 1",
        "solo manzanas existentes: 15,0 %",
        "cota superior 47,5 %",
        "meta 45,0 %",
        "<td>pop_total</td><td class=\"n\">7.136.912,5</td>",
        "<td class=\"n\">1,2e-16</td>",
        "<td class=\"n\">80 %</td><td class=\"n\">1,2</td><td>sí</td>",
        "&gt; 10,0 – 20,0",
        "<span class=\"src\">entradas</span> una nota",
        "District 0 (D0): índice 99,0, puesto 1, clase 5, P(clase más alta) 50 %",
        "title=\"acercar\"",
        "> unidades censales</label>",
        "Haga clic en un distrito",
    ] {
        assert!(page.contains(part), "the Spanish page lacks {part:?}");
    }
    // No English heading, label or sentence of the page is left, in the page or in the
    // viewer's words.
    let english = [
        "Priority class",
        "Top 5",
        "Siting",
        "Conservation of the counts",
        "Warnings and notes",
        "Overview",
        "Ranking curve",
        "Robust sites",
        "Method file",
        "working CRS",
        "upper bound",
        "walking radius",
        "existing care block",
        "proposed care block",
        "care-bus stop",
        "not ranked",
        "Hover over",
        "Click a district",
        "zoom in",
        "Red diamond",
        "Made by careblock",
        "source total",
        "marginal gain",
        "in the plan",
        "highest need",
    ];
    let t = words.to_string();
    for e in english {
        assert!(!page.contains(e), "English left in the Spanish page: {e:?}");
        assert!(!t.contains(e), "English left in the viewer's words: {e:?}");
    }
    // Every phrase of every English template of the page is absent, unless Spanish has it too.
    for k in careblock_text::keys(Lang::En)
        .into_iter()
        .filter(|k| k.starts_with("report."))
    {
        let es = Lang::Es.t(k);
        for p in phrases(Lang::En.t(k))
            .into_iter()
            .filter(|p| !es.contains(p.as_str()))
        {
            assert!(!page.contains(&p), "{k}: English {p:?} in the Spanish page");
            assert!(!t.contains(&p), "{k}: English {p:?} in the viewer's words");
        }
    }
    assert_eq!(words["rank"], Lang::Es.t("report.viewer.rank"));
    assert_eq!(
        (words["group"].as_str(), words["point"].as_str()),
        (Some("."), Some(","))
    );
}

#[test]
fn an_english_page_keeps_its_wording() {
    let html = render_report(&full_report(Lang::En));
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    let (page, words) = page_and_words(&html);
    for part in [
        "<h2>Priority class of the districts</h2>",
        "<h2>Top 5 districts and the uncertainty of their rank</h2>",
        "<h2>Siting</h2>",
        "<h2>Conservation of the counts summed to the districts</h2>",
        "Method file <code>m.toml</code> · working CRS EPSG:9377 (metres) · 5 districts, 5 ranked · Monte Carlo over 100 draws",
        "<th>objective: demand assigned with the proposed blocks</th><td class=\"n\">9,000 (45.0 %)</td>",
        "<td>pop_total</td><td class=\"n\">7,136,912.5</td>",
        "<td class=\"n\">1.2e-16</td>",
        "proposed care block no. 1: Sitio P1 (P1) — colegio público",
        "rank (1 = highest need) of 5 ranked districts",
        "<span class=\"src\">inputs</span> una nota",
    ] {
        assert!(page.contains(part), "the English page lacks {part:?}");
    }
    assert_eq!(
        words["rank"],
        "Rank {rank} of {ranked} (1 = highest need), class {class} of {classes} ({classes} = highest need), index {index}."
    );
}

#[test]
fn the_spanish_page_words_the_units_with_their_article() {
    let mut r = report();
    r.lang = Lang::Es;
    r.area_kind = "units".into();
    let html = render_report(&r);
    assert!(html.contains("<h2>Clase de prioridad de las unidades censales</h2>"));
    assert!(html.contains("última columna: número de unidades censales."));
    assert!(html.contains("El método no tiene sección <code>[siting]</code>"));
}
