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

use charts::top_svg;
use colours::{Frame, MAP_BACKGROUND, OVERVIEW_BACKGROUND, UNRANKED};
use format::num;
use maps::{extents, legend, main_map, overview_map};
use siting::siting_section;

mod charts;
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

/// Renders the whole page.
pub fn render_report(r: &HtmlReport) -> String {
    let mut o = String::with_capacity(1 << 20);
    let k = r.class_bins.len();
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
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
    let _ = write!(
        o,
        "<p class=\"meta\">Method file <code>{}</code> · working CRS {} (metres) · {} {}, {} ranked{}</p>",
        escape(&r.method_file),
        escape(&r.crs),
        r.areas.len(),
        escape(&r.area_kind),
        ranked,
        r.draws
            .map(|d| format!(" · Monte Carlo over {d} draws"))
            .unwrap_or_default()
    );

    // Map.
    let _ = write!(
        o,
        "<section><h2>Priority class of the {}</h2>",
        escape(&r.area_kind)
    );
    let mut px_per_m = 0.0;
    match extents(r) {
        None => o.push_str("<p>No geometry to map.</p>"),
        Some((full, focus)) => {
            o.push_str("<div class=\"mapwrap\"><div>");
            let main = Frame::fit(focus, 800.0, 1000.0, 14.0);
            o.push_str(&viewer::controls(r));
            main_map(&mut o, r, &main);
            o.push_str("</div><div class=\"side\">");
            o.push_str(viewer::INFO);
            px_per_m = main.scale;
            if focus != full {
                let ov = Frame::fit(full, 300.0, 360.0, 6.0);
                o.push_str("<div><h3>Overview</h3>");
                overview_map(&mut o, r, &ov, &main.visible());
                o.push_str("<p class=\"small\">The dashed rectangle is the main map.</p></div>");
            }
            legend(&mut o, r);
            if let Some(n) = r.units_omitted {
                let _ = write!(
                    o,
                    "<p class=\"small\">The {n} units are not drawn here (too many for a page): open them from <code>careblock.gpkg</code> or the units layer files.</p>"
                );
            } else if !r.units.is_empty() {
                o.push_str("<p class=\"small\">The units layer uses the same colours by class; its class bounds are the units' own (<code>run.json</code>).</p>");
            }
            o.push_str("</div></div>");
        }
    }
    o.push_str("</section>");

    // Top areas.
    let _ = write!(
        o,
        "<section><h2>Top {} {} and the uncertainty of their rank</h2>",
        r.top.min(ranked),
        escape(&r.area_kind)
    );
    if r.draws.is_some() {
        o.push_str(
            "<p class=\"small\">Red diamond: rank with the method as declared. White dot and whisker: median and 5–95 % interval of the rank when the weights, the normalisation and the aggregation are drawn at random. P(top class): share of the draws in which the area is in the highest-need class.</p>",
        );
    } else {
        o.push_str(
            "<p class=\"small\">Red diamond: rank with the method as declared (no Monte Carlo was run).</p>",
        );
    }
    top_svg(&mut o, r);
    o.push_str("</section>");

    // Siting.
    match &r.siting {
        Some(s) => siting_section(&mut o, s, &r.sites),
        None => o.push_str("<section><h2>Siting</h2><p>The method has no <code>[siting]</code> section: no care blocks were sited.</p></section>"),
    }

    // Conservation.
    let _ = write!(
        o,
        "<section><h2>Conservation of the counts summed to the {}</h2>",
        escape(&r.area_kind)
    );
    if r.conservation.is_empty() {
        o.push_str("<p>No count was summed.</p>");
    } else {
        o.push_str("<table class=\"data\"><thead><tr><th>count</th><th>source total</th><th>allocated</th><th>unallocated</th><th>missing values</th><th>relative error</th></tr></thead><tbody>");
        for b in &r.conservation {
            let _ = write!(
                o,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(&b.variable),
                num(Some(b.source_total), 1),
                num(Some(b.allocated), 1),
                num(Some(b.unallocated), 1),
                b.missing,
                if b.relative_error == 0.0 {
                    "0".to_string()
                } else if b.relative_error.is_finite() {
                    format!("{:.1e}", b.relative_error)
                } else {
                    "–".to_string()
                }
            );
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</section>");

    // Notes.
    let _ = write!(o, "<section><h2>Warnings and notes ({})</h2>", r.notes.len());
    if r.notes.is_empty() {
        o.push_str("<p>None.</p>");
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
    o.push_str("<p class=\"small\">Made by careblock from the method file above; the same inputs give the same page.</p>");
    o.push_str(&viewer::scripts(r, px_per_m));
    o.push_str("</body></html>\n");
    o
}

#[cfg(test)]
mod tests;
