//! `report.html`: one self-contained page a planner can mail (inline CSS, SVG and the map
//! viewer of [`viewer`]; no network), rendered from plain structs so the page depends on nothing
//! but its inputs.
//!
//! The page holds a choropleth of the priority class with the existing, proposed and bus sites
//! (with the units as a second layer, pan, zoom and a click on any feature through the viewer),
//! the ranking curve of the proposed blocks, the top areas with their Monte Carlo rank bands,
//! the siting summary, the conservation report and every note. Geometries are in the projected
//! working CRS (metres); they are simplified to about 1/1500 of the map extent and written with
//! one decimal, and every text that comes from data is escaped. The output is a pure function of
//! the inputs (no timestamps), so it is byte-identical between runs.

use std::fmt::Write as _;

use careblock_text::{Arg, Lang};
use charts::top_svg;
use colours::{Frame, MAP_BACKGROUND, OVERVIEW_BACKGROUND, UNRANKED};
use format::{num_in, sci};
use maps::{extents, legend, main_map, overview_map};
use siting::siting_section;

pub(crate) mod charts;
pub(crate) mod colours;
pub(crate) mod format;
pub(crate) mod maps;
mod model;
mod siting;
mod viewer;

pub use colours::class_colours;
pub use model::{
    HtmlArea, HtmlBalance, HtmlCapacity, HtmlCurveStep, HtmlKpi, HtmlNote, HtmlReport, HtmlRobust,
    HtmlRobustSite, HtmlSite, HtmlSiteKind, HtmlSiting, escape,
};

const CSS: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#222;margin:0 auto;max-width:1180px;padding:12px 24px;line-height:1.4;background:#fff}
h1{font-size:1.5em;margin:.3em 0}h2{font-size:1.2em;border-bottom:1px solid #bbb;margin-top:1.4em}h3{font-size:1em;margin:.8em 0 .3em}
.meta{color:#555;margin:0 0 .5em}.small{font-size:.85em;color:#555}
.mapwrap{display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap}.side{width:300px}
svg{overflow:hidden}svg.map{border:1px solid #999;max-width:100%;height:auto;display:block}
svg.chart{max-width:100%;height:auto;display:block;font-size:12px}
.bg{fill:" ;

const CSS2: &str = "}
.areas path{stroke:#555;stroke-width:.4;fill-rule:evenodd;stroke-linejoin:round}
.c0{fill:#cccccc}
.catch circle{fill:none;stroke:#333;stroke-width:.7;stroke-dasharray:2 2;stroke-opacity:.7}
.ex circle{fill:#2166ac;stroke:#fff;stroke-width:1}
.bus path{fill:#762a83;stroke:#fff;stroke-width:1}
.pr circle{fill:#1a9850;stroke:#000;stroke-width:1.2}
.pr text{fill:#fff;font-size:9.5px;font-weight:bold;text-anchor:middle}
.scale rect{fill:#fff;fill-opacity:.9}.scale path{fill:none;stroke:#000;stroke-width:1.5}.scale text{font-size:11px}
.north{font-size:12px;font-weight:bold;text-anchor:end}
.focus{fill:none;stroke:#000;stroke-width:1.2;stroke-dasharray:4 2}
.legend{max-width:320px}.legend table{border-collapse:collapse;font-size:.9em}.legend td{padding:1px 6px 1px 0;vertical-align:middle}
.sw{display:inline-block;width:22px;height:14px;border:1px solid #777;vertical-align:middle}
.grid{stroke:#ddd;stroke-width:1}.axis{fill:none;stroke:#333}.yt{text-anchor:end}.xt{text-anchor:middle}.xl{text-anchor:middle;fill:#444}.yl{text-anchor:middle;fill:#444}
.curve{fill:none;stroke:#333;stroke-width:2}.pt{fill:#333}.pt0{fill:#2166ac}.bound{stroke:#b2182b;stroke-width:1.5;stroke-dasharray:6 4}.lbl{fill:#333}
.band{fill:#f3f3f3}.hd{font-weight:bold}.nm{fill:#222}.v{text-anchor:end}
.wh{stroke:#666;stroke-width:2;fill:none}.med{fill:#fff;stroke:#222;stroke-width:1.5}.ref{fill:#b2182b}
table.data,table.kv{border-collapse:collapse;font-size:.9em;margin:.4em 0}
table.data th,table.data td,table.kv th,table.kv td{border-bottom:1px solid #e3e3e3;padding:2px 8px;text-align:left}
table.kv th{font-weight:normal;color:#444}table.data td.n,table.kv td.n,.legend td.n{text-align:right;font-variant-numeric:tabular-nums}
.cols{display:flex;gap:32px;flex-wrap:wrap;align-items:flex-start}
ul.notes li{margin:.2em 0}.src{display:inline-block;min-width:4.5em;color:#666;font-size:.85em}
@media print,(max-width:1160px){.side{width:auto;display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}}
.tools{margin:0 0 4px;font-size:.9em}.tools button{min-width:2.2em;margin-right:3px}.tools .layers label{margin-left:10px;white-space:nowrap}
.info{border:1px solid #bbb;padding:4px 10px;margin-bottom:10px;background:#fafafa}.info h3{margin:.3em 0}.info table.data{font-size:.85em}.info tr.sum td{font-weight:bold}
#cb-view path,#cb-view circle{vector-effect:non-scaling-stroke}#cb-map{cursor:grab;touch-action:none}#cb-view .sel{stroke:#000;stroke-width:2.5}
@media print{.cb-js{display:none!important}body{max-width:none;padding:0;font-size:10pt}section,figure,svg,table{break-inside:avoid}h2{break-after:avoid}}
";

/// The plural noun of the mapped areas in `lang` ("districts", "unidades censales"), or `kind`
/// itself when it is neither.
pub(super) fn kind_word(lang: Lang, kind: &str) -> String {
    match kind {
        "districts" => lang.t("report.kind.districts").to_string(),
        "units" => lang.t("report.kind.units").to_string(),
        other => other.to_string(),
    }
}

/// The mapped areas with their article ("the districts", "las unidades censales").
pub(super) fn the_kind(lang: Lang, kind: &str) -> String {
    match kind {
        "districts" => lang.t("report.kind.the_districts").to_string(),
        "units" => lang.t("report.kind.the_units").to_string(),
        other => other.to_string(),
    }
}

/// Renders the whole page, in `r.lang`.
pub fn render_report(r: &HtmlReport) -> String {
    let lang = r.lang;
    let mut o = String::with_capacity(1 << 20);
    let k = r.class_bins.len();
    let kind = escape(&kind_word(lang, &r.area_kind));
    let the = escape(&the_kind(lang, &r.area_kind));
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">",
        lang.code()
    );
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(o, "<title>{}</title><style>", escape(&r.title));
    o.push_str(CSS);
    o.push_str(MAP_BACKGROUND);
    o.push_str(CSS2);
    let _ = writeln!(o, ".bg.ov{{fill:{OVERVIEW_BACKGROUND}}}");
    for (i, c) in class_colours(k).iter().enumerate() {
        let _ = writeln!(o, ".c{}{{fill:{c};background:{c}}}", i + 1);
    }
    let _ = write!(o, ".sw.c0{{background:{UNRANKED}}}");
    o.push_str("</style></head><body>");
    let _ = write!(o, "<h1>{}</h1>", escape(&r.title));
    let ranked = r.areas.iter().filter(|a| a.rank.is_some()).count();
    let draws = match r.draws {
        Some(d) => lang.fmt("report.meta_draws", &[("draws", Arg::from(d))]),
        None => String::new(),
    };
    let _ = write!(
        o,
        "<p class=\"meta\">{}</p>",
        lang.fmt(
            "report.meta",
            &[
                (
                    "file",
                    Arg::from(format!("<code>{}</code>", escape(&r.method_file)))
                ),
                ("crs", Arg::from(escape(&r.crs))),
                ("n", Arg::from(r.areas.len())),
                ("kind", Arg::from(&kind)),
                ("ranked", Arg::from(ranked)),
                ("draws", Arg::from(draws)),
            ]
        )
    );

    // Map.
    let _ = write!(
        o,
        "<section><h2>{}</h2>",
        lang.fmt("report.map_heading", &[("kind", Arg::from(&the))])
    );
    let mut px_per_m = 0.0;
    match extents(r) {
        None => {
            let _ = write!(o, "<p>{}</p>", lang.t("report.no_geometry"));
        }
        Some((full, focus)) => {
            o.push_str("<div class=\"mapwrap\"><div>");
            let main = Frame::fit(focus, 800.0, 1000.0, 14.0);
            o.push_str(&viewer::controls(r));
            main_map(&mut o, r, &main);
            o.push_str("</div><div class=\"side\">");
            o.push_str(&viewer::info(lang));
            px_per_m = main.scale;
            if focus != full {
                let ov = Frame::fit(full, 300.0, 360.0, 6.0);
                let _ = write!(o, "<div><h3>{}</h3>", lang.t("report.overview"));
                overview_map(&mut o, r, &ov, &main.visible());
                let _ = write!(
                    o,
                    "<p class=\"small\">{}</p></div>",
                    lang.t("report.overview_note")
                );
            }
            legend(&mut o, r);
            if let Some(n) = r.units_omitted {
                let _ = write!(
                    o,
                    "<p class=\"small\">{}</p>",
                    lang.fmt("report.units_omitted", &[("n", Arg::from(n))])
                );
            } else if !r.units.is_empty() {
                let _ = write!(o, "<p class=\"small\">{}</p>", lang.t("report.units_layer_note"));
            }
            o.push_str("</div></div>");
        }
    }
    o.push_str("</section>");

    // Top areas.
    let _ = write!(
        o,
        "<section><h2>{}</h2>",
        lang.fmt(
            "report.top_heading",
            &[("n", Arg::from(r.top.min(ranked))), ("kind", Arg::from(&kind))]
        )
    );
    let _ = write!(
        o,
        "<p class=\"small\">{}</p>",
        if r.draws.is_some() {
            lang.t("report.top_note_mc")
        } else {
            lang.t("report.top_note")
        }
    );
    top_svg(&mut o, r);
    o.push_str("</section>");

    // Siting.
    match &r.siting {
        Some(s) => siting_section(&mut o, lang, s, &r.sites),
        None => {
            let _ = write!(
                o,
                "<section><h2>{}</h2><p>{}</p></section>",
                lang.t("report.siting_heading"),
                lang.t("report.no_siting")
            );
        }
    }

    // Conservation.
    let _ = write!(
        o,
        "<section><h2>{}</h2>",
        lang.fmt("report.conservation_heading", &[("kind", Arg::from(&the))])
    );
    if r.conservation.is_empty() {
        let _ = write!(o, "<p>{}</p>", lang.t("report.no_count"));
    } else {
        let _ = write!(
            o,
            "<table class=\"data\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            lang.t("report.conservation.count"),
            lang.t("report.conservation.source_total"),
            lang.t("report.conservation.allocated"),
            lang.t("report.conservation.unallocated"),
            lang.t("report.conservation.missing"),
            lang.t("report.conservation.relative_error"),
        );
        for b in &r.conservation {
            let _ = write!(
                o,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(&b.variable),
                num_in(lang, Some(b.source_total), 1),
                num_in(lang, Some(b.allocated), 1),
                num_in(lang, Some(b.unallocated), 1),
                b.missing,
                sci(lang, b.relative_error)
            );
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</section>");

    // Notes.
    let _ = write!(
        o,
        "<section><h2>{}</h2>",
        lang.fmt("report.notes_heading", &[("n", Arg::from(r.notes.len()))])
    );
    if r.notes.is_empty() {
        let _ = write!(o, "<p>{}</p>", lang.t("report.no_notes"));
    } else {
        o.push_str("<ul class=\"notes\">");
        for n in &r.notes {
            let _ = write!(
                o,
                "<li><span class=\"src\">{}</span> {}</li>",
                escape(&n.source),
                escape(&n.text)
            );
        }
        o.push_str("</ul>");
    }
    o.push_str("</section>");
    let _ = write!(o, "<p class=\"small\">{}</p>", lang.t("report.footer"));
    o.push_str(&viewer::scripts(r, px_per_m));
    o.push_str("</body></html>\n");
    o
}

#[cfg(test)]
mod tests;
