//! The interactive map: the data the viewer shows on a click (what `careblock explain` says of
//! each district, unit and site) as JSON, the viewer itself (`viewer.js`, hand-written: pan,
//! zoom, layers and the info panel over the page's own SVG, about 10 KB, where a map library
//! would add 150 KB and a second drawing of every polygon), and the controls around the map.

use std::fmt::Write as _;

use careblock_text::Lang;
use serde_json::{Map, Value, json};

use super::format::separators;
use super::kind_word;
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

/// The viewer's words in `lang`: its templates (`{name}` placeholders, filled by the script as
/// plain text) and the number separators.
fn words(lang: Lang) -> Value {
    let (group, point) = separators(lang);
    let mut t = Map::new();
    for (name, text) in [
        ("district", lang.t("report.viewer.district")),
        ("unit", lang.t("report.viewer.unit")),
        ("not_ranked", lang.t("report.viewer.not_ranked")),
        ("rank", lang.t("report.viewer.rank")),
        ("monte_carlo", lang.t("report.viewer.monte_carlo")),
        ("indicator", lang.t("report.viewer.indicator")),
        ("contribution", lang.t("report.viewer.contribution")),
        ("sum", lang.t("report.viewer.sum")),
        ("contributions", lang.t("report.viewer.contributions")),
        ("existing", lang.t("report.viewer.existing")),
        ("proposed", lang.t("report.viewer.proposed")),
        ("bus", lang.t("report.viewer.bus")),
        ("site", lang.t("report.viewer.site")),
        ("gain", lang.t("report.viewer.gain")),
        (
            "irreplaceability_none",
            lang.t("report.viewer.irreplaceability_none"),
        ),
        ("irreplaceability", lang.t("report.viewer.irreplaceability")),
        ("demand", lang.t("report.viewer.demand")),
        ("frequency", lang.t("report.viewer.frequency")),
        ("frequency_rank", lang.t("report.viewer.frequency_rank")),
    ] {
        t.insert(name.to_string(), json!(text));
    }
    t.insert("group".to_string(), json!(group.to_string()));
    t.insert("point".to_string(), json!(point.to_string()));
    Value::Object(t)
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
        "t": words(r.lang),
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
    let lang = r.lang;
    let mut o = format!(
        "<div class=\"cb-js tools\" style=\"display:none\"><button id=\"cb-in\" title=\"{}\">+</button><button id=\"cb-out\" title=\"{}\">−</button><button id=\"cb-reset\" title=\"{}\">{}</button><span class=\"layers\">",
        lang.t("report.controls.zoom_in"),
        lang.t("report.controls.zoom_out"),
        lang.t("report.controls.whole_map"),
        lang.t("report.controls.reset")
    );
    let mut layer = |name: &str, text: &str, on: bool| {
        let _ = write!(
            o,
            "<label><input type=\"checkbox\" data-toggle=\"{name}\"{}> {}</label>",
            if on { " checked" } else { "" },
            escape(text)
        );
    };
    layer(&r.area_kind, &kind_word(lang, &r.area_kind), true);
    if !r.units.is_empty() {
        layer("units", lang.t("report.controls.units"), false);
    }
    let has = |k: HtmlSiteKind| r.sites.iter().any(|s| s.kind == k);
    if r.siting.as_ref().is_some_and(|s| s.radius > 0.0)
        && r.sites.iter().any(|s| s.kind != HtmlSiteKind::Bus)
    {
        layer("catchments", lang.t("report.controls.radius"), true);
    }
    if has(HtmlSiteKind::Existing) {
        layer("existing", lang.t("report.controls.existing"), true);
    }
    if has(HtmlSiteKind::Proposed) {
        layer("proposed", lang.t("report.controls.proposed"), true);
    }
    if has(HtmlSiteKind::Bus) {
        layer("bus", lang.t("report.controls.bus"), true);
    }
    o.push_str("</span></div>");
    o
}

/// The panel the viewer fills on a click.
pub(super) fn info(lang: Lang) -> String {
    format!(
        "<div id=\"cb-info\" class=\"cb-js info\" style=\"display:none\"><p class=\"small\">{}</p></div>",
        lang.t("report.controls.info")
    )
}
