//! The interactive map: the data the viewer shows on a click (what `careblock explain` says of
//! each district, unit and site) as JSON, the viewer itself (`viewer.js`, hand-written: pan,
//! zoom, layers and the info panel over the page's own SVG, about 10 KB, where a map library
//! would add 150 KB and a second drawing of every polygon), and the controls around the map.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::model::{HtmlArea, HtmlReport, HtmlSiteKind, escape};

/// The viewer's script.
const VIEWER: &str = include_str!("viewer.js");

fn area_row(a: &HtmlArea) -> Value {
    json!([
        a.id,
        a.label,
        a.index,
        a.rank,
        a.class,
        a.rank_median,
        a.rank_p05,
        a.rank_p95,
        a.p_top_class,
        a.contributions
    ])
}

fn status(kind: HtmlSiteKind) -> &'static str {
    match kind {
        HtmlSiteKind::Existing => "existing",
        HtmlSiteKind::Proposed => "proposed",
        HtmlSiteKind::Bus => "bus",
    }
}

/// JSON that is safe inside a `<script>` element: no `<`, `>` or `&` outside `\u` escapes.
fn script_safe(v: &Value) -> String {
    serde_json::to_string(v)
        .expect("a JSON value serialises")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The data element and the viewer's script, for the end of the page.
pub(super) fn scripts(r: &HtmlReport, px_per_m: f64) -> String {
    // The map's area layers by name: the mapped areas (districts, or the units when there are
    // none), and the units as a second layer when there are.
    let mut layers = vec![(r.area_kind.as_str(), &r.areas)];
    if !r.units.is_empty() {
        layers.push(("units", &r.units));
    }
    let mut data = json!({
        "classes": r.class_bins.len(),
        "draws": r.draws,
        "indicators": r.indicators,
        "ranked": layers
            .iter()
            .map(|(name, areas)| (name.to_string(), json!(areas.iter().filter(|a| a.rank.is_some()).count())))
            .collect::<serde_json::Map<_, _>>(),
        "sites": r.sites.iter().map(|s| json!([status(s.kind), s.rank, s.id, s.label, s.category, s.gain, s.irreplaceability, s.demand, s.robust.map(|r| r.0), s.robust.and_then(|r| r.1)])).collect::<Vec<_>>(),
        "robust_draws": r.siting.as_ref().and_then(|s| s.robust.as_ref()).map(|x| x.draws),
        "total_demand": r.siting.as_ref().map(|s| s.total_demand),
        "px_per_m": px_per_m,
    });
    for (name, areas) in layers {
        data[name] = areas.iter().map(area_row).collect();
    }
    format!(
        "<script type=\"application/json\" id=\"cb-data\">{}</script><script>{VIEWER}</script>",
        script_safe(&data)
    )
}

/// The zoom buttons and layer switches above the map (shown by the viewer; hidden without
/// script and in print).
pub(super) fn controls(r: &HtmlReport) -> String {
    let mut o = String::from(
        "<div class=\"cb-js tools\" style=\"display:none\"><button id=\"cb-in\" title=\"zoom in\">+</button><button id=\"cb-out\" title=\"zoom out\">−</button><button id=\"cb-reset\" title=\"whole map\">reset</button><span class=\"layers\">",
    );
    let mut layer = |name: &str, text: &str, on: bool| {
        let _ = write!(
            o,
            "<label><input type=\"checkbox\" data-toggle=\"{name}\"{}> {}</label>",
            if on { " checked" } else { "" },
            escape(text)
        );
    };
    layer(&r.area_kind, &r.area_kind, true);
    if !r.units.is_empty() {
        layer("units", "units", false);
    }
    let has = |k: HtmlSiteKind| r.sites.iter().any(|s| s.kind == k);
    if r.siting.as_ref().is_some_and(|s| s.radius > 0.0)
        && r.sites.iter().any(|s| s.kind != HtmlSiteKind::Bus)
    {
        layer("catchments", "walking radius", true);
    }
    if has(HtmlSiteKind::Existing) {
        layer("existing", "existing blocks", true);
    }
    if has(HtmlSiteKind::Proposed) {
        layer("proposed", "proposed blocks", true);
    }
    if has(HtmlSiteKind::Bus) {
        layer("bus", "bus stops", true);
    }
    o.push_str("</span></div>");
    o
}

/// The panel the viewer fills on a click.
pub(super) const INFO: &str = "<div id=\"cb-info\" class=\"cb-js info\" style=\"display:none\"><p class=\"small\">Click a district, a unit or a site on the map to see why it ranks where it does, or what it covers. Drag to pan, scroll or double-click to zoom.</p></div>";
