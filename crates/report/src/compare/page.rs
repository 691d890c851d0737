//! `compare.html`: one self-contained page (inline CSS and SVG, no script, no network) with the
//! summary, a map of the rank changes with the sites added and removed, the largest changes,
//! the class changes, the sites and the method's differences. Every text from data is escaped;
//! the page is a pure function of the comparison.

use std::fmt::Write as _;

use geo::{Area, BoundingRect, Geometry, MultiPolygon, Rect};

use super::diff::{AreaChange, Comparison, Coverage, LevelComparison, SiteChange};
use crate::html::colours::{Frame, UNRANKED};
use crate::html::escape;
use crate::html::format::{n1, num, pct};
use crate::html::maps::{framing, polygon_path};

const CSS: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#222;margin:0 auto;max-width:1180px;padding:12px 24px;line-height:1.4;background:#fff}
h1{font-size:1.5em;margin:.3em 0}h2{font-size:1.2em;border-bottom:1px solid #bbb;margin-top:1.4em}h3{font-size:1em;margin:.8em 0 .3em}
.meta{color:#555;margin:0 0 .5em}.small{font-size:.85em;color:#555}
.mapwrap{display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap}
svg.map{border:1px solid #999;max-width:100%;height:auto;display:block;background:#e8f0f5}
.areas path{stroke:#555;stroke-width:.4;fill-rule:evenodd;stroke-linejoin:round}
.kept circle{fill:#555;stroke:#fff;stroke-width:.8}.added circle{fill:#1a9850;stroke:#000;stroke-width:1.2}
.removed circle{fill:#fff;fill-opacity:.6;stroke:#d73027;stroke-width:2}.removed path{stroke:#d73027;stroke-width:2}
table.data,table.kv{border-collapse:collapse;font-size:.9em;margin:.4em 0}
table.data th,table.data td,table.kv th,table.kv td{border-bottom:1px solid #e3e3e3;padding:2px 8px;text-align:left}
table.kv th{font-weight:normal;color:#444}td.n{text-align:right;font-variant-numeric:tabular-nums}
.legend{max-width:330px}.legend table{border-collapse:collapse;font-size:.9em}.legend td{padding:1px 6px 1px 0;vertical-align:middle}
.sw{display:inline-block;width:22px;height:14px;border:1px solid #777;vertical-align:middle}
@media print{body{max-width:none;padding:0;font-size:10pt}section,svg,table{break-inside:avoid}h2{break-after:avoid}}
";

/// The rank-change classes: (class, legend text, colour), rose most first. `rank_change` is
/// second − first, so rising in priority is negative.
fn bins(n: usize) -> (f64, f64, Vec<(&'static str, String, &'static str)>) {
    let mid = ((0.02 * n as f64).ceil()).max(2.0);
    let big = ((0.1 * n as f64).ceil()).max(mid + 1.0);
    let range = |lo: f64, hi: f64| {
        if lo == hi {
            format!("{lo}")
        } else {
            format!("{lo}–{hi}")
        }
    };
    let classes = vec![
        ("r3", format!("rose {big} places or more"), "#b2182b"),
        ("r2", format!("rose {} places", range(mid, big - 1.0)), "#ef8a62"),
        (
            "r1",
            format!("rose {} place(s)", range(1.0, mid - 1.0)),
            "#fddbc7",
        ),
        ("r0", "same rank".to_string(), "#f7f7f7"),
        (
            "f1",
            format!("fell {} place(s)", range(1.0, mid - 1.0)),
            "#d1e5f0",
        ),
        ("f2", format!("fell {} places", range(mid, big - 1.0)), "#67a9cf"),
        ("f3", format!("fell {big} places or more"), "#2166ac"),
        ("u", "ranked in one run only, or in neither".to_string(), UNRANKED),
    ];
    (mid, big, classes)
}

fn class_of(c: &AreaChange, mid: f64, big: f64) -> &'static str {
    let Some(d) = c.rank_change() else {
        return "u";
    };
    let m = d.abs();
    match (d < 0.0, m) {
        (_, 0.0) => "r0",
        (true, m) if m >= big => "r3",
        (true, m) if m >= mid => "r2",
        (true, _) => "r1",
        (false, m) if m >= big => "f3",
        (false, m) if m >= mid => "f2",
        _ => "f1",
    }
}

/// "rose 7 places", "fell 1 place", "same rank", or what is missing.
fn movement(c: &AreaChange) -> String {
    match (c.rank, c.rank_change()) {
        (_, Some(0.0)) => "same rank".into(),
        (_, Some(d)) => format!(
            "{} {} place{}",
            if d < 0.0 { "rose" } else { "fell" },
            d.abs(),
            if d.abs() == 1.0 { "" } else { "s" }
        ),
        ([Some(_), None], _) => "ranked in the first run only".into(),
        ([None, Some(_)], _) => "ranked in the second run only".into(),
        _ => "ranked in neither run".into(),
    }
}

fn whole(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_else(|| "–".into())
}

fn name_of(c: &AreaChange) -> String {
    match &c.label {
        Some(l) if !l.is_empty() => format!("{} ({})", escape(l), escape(&c.id)),
        _ => escape(&c.id),
    }
}

fn as_multi(g: &Geometry<f64>) -> Option<MultiPolygon<f64>> {
    match g {
        Geometry::Polygon(p) => Some(MultiPolygon::new(vec![p.clone()])),
        Geometry::MultiPolygon(m) => Some(m.clone()),
        _ => None,
    }
}

/// The map: each polygon filled by its rank-change class (its title says the change), the
/// sites kept, added and removed on top. Framed as the report's map (a rural district dwarfing
/// the city is cut at the frame).
fn map(o: &mut String, c: &Comparison) {
    let Some(m) = &c.map else {
        o.push_str("<p>No map: the first run wrote no polygons careblock reads (GeoJSON, GeoParquet, FlatGeobuf), or works in a geographic CRS.</p>");
        return;
    };
    let level = c.mapped();
    let by_id: std::collections::HashMap<&str, &AreaChange> =
        level.changes.iter().map(|a| (a.id.as_str(), a)).collect();
    let shapes: Vec<(MultiPolygon<f64>, Option<&AreaChange>)> = m
        .polygons
        .ids
        .iter()
        .zip(&m.polygons.geometries)
        .filter_map(|(id, g)| Some((as_multi(g.as_ref()?)?, by_id.get(id.as_str()).copied())))
        .collect();
    let sized: Vec<(f64, Rect<f64>)> = shapes
        .iter()
        .filter_map(|(g, _)| Some((g.unsigned_area(), g.bounding_rect()?)))
        .collect();
    let Some((_, focus)) = framing(&sized, &[]) else {
        o.push_str("<p>No map: no polygon to draw.</p>");
        return;
    };
    let frame = Frame::fit(focus, 760.0, 900.0, 12.0);
    let eps = focus.width().max(focus.height()) / 1500.0;
    let (mid, big, classes) = bins(level.ranked_both);
    let _ = write!(
        o,
        "<div class=\"mapwrap\"><svg class=\"map\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"change in rank of the {level}\"><style>",
        w = n1(frame.width),
        h = n1(frame.height),
        level = level.level
    );
    for (k, _, colour) in &classes {
        let _ = write!(o, ".{k}{{fill:{colour}}}");
    }
    o.push_str("</style><g class=\"areas\">");
    for (g, change) in &shapes {
        let d = polygon_path(g, &frame, eps);
        if d.is_empty() {
            continue;
        }
        match change {
            Some(a) => {
                let _ = write!(
                    o,
                    "<path class=\"{}\" d=\"{d}\"><title>{}: rank {} → {} ({}), class {} → {}</title></path>",
                    class_of(a, mid, big),
                    name_of(a),
                    whole(a.rank[0]),
                    whole(a.rank[1]),
                    movement(a),
                    whole(a.class[0]),
                    whole(a.class[1]),
                );
            }
            None => {
                let _ = write!(o, "<path class=\"u\" d=\"{d}\"/>");
            }
        }
    }
    o.push_str("</g>");
    if let Some(sites) = &c.sites {
        for change in [SiteChange::Kept, SiteChange::Removed, SiteChange::Added] {
            let _ = write!(o, "<g class=\"{}\">", change.word());
            for (s, p) in sites.iter().zip(&m.points) {
                let Some(p) = p.filter(|_| s.change == change) else {
                    continue;
                };
                let (x, y) = frame.apply(p);
                let title = format!(
                    "{} {} site {}{}",
                    change.word(),
                    s.row().status,
                    s.row().id,
                    s.row()
                        .name
                        .as_ref()
                        .map(|n| format!(" ({n})"))
                        .unwrap_or_default()
                );
                let r = if change == SiteChange::Kept { 3.0 } else { 5.0 };
                let _ = write!(
                    o,
                    "<circle cx=\"{}\" cy=\"{}\" r=\"{r}\"><title>{}</title></circle>",
                    n1(x),
                    n1(y),
                    escape(&title)
                );
                if change == SiteChange::Removed {
                    let _ = write!(
                        o,
                        "<path d=\"M{} {}L{} {}\"/>",
                        n1(x - 3.5),
                        n1(y - 3.5),
                        n1(x + 3.5),
                        n1(y + 3.5)
                    );
                }
            }
            o.push_str("</g>");
        }
    }
    o.push_str("</svg><div class=\"legend\"><h3>Change in rank</h3><table>");
    for (k, text, colour) in &classes {
        let n = level
            .changes
            .iter()
            .filter(|a| class_of(a, mid, big) == *k)
            .count();
        let _ = write!(
            o,
            "<tr><td><span class=\"sw\" style=\"background:{colour}\"></span></td><td>{}</td><td class=\"n\">{n}</td></tr>",
            escape(text)
        );
    }
    o.push_str("</table>");
    if c.sites.is_some() {
        o.push_str("<h3>Sites</h3><svg width=\"140\" height=\"62\">");
        o.push_str("<g class=\"added\"><circle cx=\"10\" cy=\"10\" r=\"5\"/></g><text x=\"22\" y=\"14\" font-size=\"12\">added</text>");
        o.push_str("<g class=\"removed\"><circle cx=\"10\" cy=\"30\" r=\"5\"/><path d=\"M6.5 26.5L13.5 33.5\"/></g><text x=\"22\" y=\"34\" font-size=\"12\">removed</text>");
        o.push_str("<g class=\"kept\"><circle cx=\"10\" cy=\"50\" r=\"3\"/></g><text x=\"22\" y=\"54\" font-size=\"12\">kept</text></svg>");
    }
    o.push_str("<p class=\"small\">Rank 1 = highest need; “rose” = closer to rank 1 in the second run. Hover a polygon or a site for its values.</p></div></div>");
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn level_rows(o: &mut String, l: &LevelComparison) {
    let n = l.changes.len();
    let _ = write!(
        o,
        "<tr><th>{} whose rank changed</th><td class=\"n\">{} of {}</td><td>mean change {} places; Spearman's ρ {}{}</td></tr>",
        capital(l.level),
        l.rank_changed,
        l.ranked_both,
        num(l.mean_abs_rank_change, 1),
        num(l.spearman, 3),
        if l.ranked_one > 0 {
            format!("; {} ranked in one run only", l.ranked_one)
        } else {
            String::new()
        }
    );
    let _ = write!(
        o,
        "<tr><th>{} whose class changed</th><td class=\"n\">{} of {n}</td><td></td></tr>",
        capital(l.level),
        l.class_changed
    );
}

fn coverage_rows(o: &mut String, what: &str, c: &[Option<Coverage>; 2]) {
    if c[0].is_none() && c[1].is_none() {
        return;
    }
    let get = |i: usize, f: fn(&Coverage) -> Option<f64>| pct(c[i].as_ref().and_then(f), 1);
    let count = |i: usize| {
        c[i].as_ref()
            .and_then(|x| x.proposed)
            .map(|p| p.to_string())
            .unwrap_or_else(|| "–".into())
    };
    let _ = write!(
        o,
        "<tr><th>{what}: coverage by the existing sites</th><td class=\"n\">{} → {}</td><td></td></tr>",
        get(0, |x| x.before),
        get(1, |x| x.before)
    );
    let _ = write!(
        o,
        "<tr><th>{what}: coverage with the proposed sites</th><td class=\"n\">{} → {}</td><td>proposed {} → {}; bound {} → {}</td></tr>",
        get(0, |x| x.after),
        get(1, |x| x.after),
        count(0),
        count(1),
        get(0, |x| x.bound),
        get(1, |x| x.bound)
    );
}

fn change_table(o: &mut String, rows: &[&AreaChange]) {
    o.push_str("<table class=\"data\"><tr><th>Area</th><th>Rank</th><th>Change</th><th>Class</th><th>Index</th></tr>");
    for a in rows {
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"n\">{} → {}</td><td>{}</td><td class=\"n\">{} → {}</td><td class=\"n\">{} → {}</td></tr>",
            name_of(a),
            whole(a.rank[0]),
            whole(a.rank[1]),
            movement(a),
            whole(a.class[0]),
            whole(a.class[1]),
            num(a.index[0], 1),
            num(a.index[1], 1)
        );
    }
    o.push_str("</table>");
}

const TOP: usize = 20;
const MAX_ROWS: usize = 200;

/// The whole page.
pub(super) fn render(c: &Comparison) -> String {
    let mut o = String::with_capacity(1 << 18);
    let title = |i: usize| c.names[i].clone().unwrap_or_else(|| c.dirs[i].clone());
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(
        o,
        "<title>careblock compare: {} → {}</title><style>{CSS}</style></head><body>",
        escape(&title(0)),
        escape(&title(1))
    );
    o.push_str("<h1>What changed between two runs</h1>");
    for (i, which) in ["First", "Second"].iter().enumerate() {
        let _ = write!(
            o,
            "<p class=\"meta\">{which} run (<b>{}</b>): <code>{}</code>{}</p>",
            ["A", "B"][i],
            escape(&c.dirs[i]),
            c.names[i]
                .as_ref()
                .map(|n| format!(" — {}", escape(n)))
                .unwrap_or_default()
        );
    }

    o.push_str("<section><h2>Summary</h2><table class=\"kv\">");
    let _ = write!(
        o,
        "<tr><th>Differences of method and inputs</th><td class=\"n\">{}</td><td>{}</td></tr>",
        c.method.len(),
        if c.method.is_empty() {
            "same method, same input files"
        } else {
            "listed below"
        }
    );
    if let Some(d) = &c.districts {
        level_rows(&mut o, d);
    }
    level_rows(&mut o, &c.units);
    coverage_rows(&mut o, "Care blocks", &c.blocks);
    coverage_rows(&mut o, "Bus stops", &c.bus);
    if let Some(s) = &c.sites {
        let count = |w: SiteChange| s.iter().filter(|x| x.change == w).count();
        let _ = write!(
            o,
            "<tr><th>Sites (existing, proposed, bus)</th><td class=\"n\">{} kept</td><td>{} added, {} removed</td></tr>",
            count(SiteChange::Kept),
            count(SiteChange::Added),
            count(SiteChange::Removed)
        );
    }
    o.push_str("</table></section>");

    let level = c.mapped();
    let _ = write!(o, "<section><h2>Change in rank of the {}</h2>", level.level);
    map(&mut o, c);
    o.push_str("</section>");

    let _ = write!(o, "<section><h2>Largest rank changes ({})</h2>", level.level);
    let moved: Vec<&AreaChange> = level
        .changes
        .iter()
        .filter(|a| a.rank_change().is_some_and(|d| d != 0.0))
        .take(TOP)
        .collect();
    if moved.is_empty() {
        o.push_str("<p>No rank changed.</p>");
    } else {
        change_table(&mut o, &moved);
    }
    o.push_str("</section>");

    let _ = write!(o, "<section><h2>Class changes ({})</h2>", level.level);
    let mut reclassed: Vec<&AreaChange> = level
        .changes
        .iter()
        .filter(|a| a.class[0] != a.class[1])
        .collect();
    reclassed.sort_by(|x, y| {
        let k = |a: &AreaChange| a.class_change().map(f64::abs).unwrap_or(f64::INFINITY);
        k(y).total_cmp(&k(x)).then_with(|| x.id.cmp(&y.id))
    });
    if reclassed.is_empty() {
        o.push_str("<p>No class changed.</p>");
    } else {
        change_table(&mut o, &reclassed[..reclassed.len().min(MAX_ROWS)]);
        if reclassed.len() > MAX_ROWS {
            let _ = write!(
                o,
                "<p class=\"small\">{} more in the CSV table.</p>",
                reclassed.len() - MAX_ROWS
            );
        }
    }
    o.push_str("</section>");

    if let Some(sites) = &c.sites {
        o.push_str("<section><h2>Sites added and removed</h2>");
        let changed: Vec<_> = sites.iter().filter(|s| s.change != SiteChange::Kept).collect();
        if changed.is_empty() {
            o.push_str("<p>The same sites in both runs.</p>");
        } else {
            o.push_str("<table class=\"data\"><tr><th>Change</th><th>Status</th><th>Site</th><th>Kind</th><th>Order</th><th>Demand gained</th></tr>");
            for s in changed.iter().take(MAX_ROWS) {
                let r = s.row();
                let _ = write!(
                    o,
                    "<tr><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                    s.change.word(),
                    escape(&r.status),
                    escape(&r.id),
                    r.name
                        .as_ref()
                        .map(|n| format!(" ({})", escape(n)))
                        .unwrap_or_default(),
                    escape(r.kind.as_deref().unwrap_or("")),
                    whole(r.rank),
                    num(r.gain, 0)
                );
            }
            o.push_str("</table>");
            if changed.len() > MAX_ROWS {
                let _ = write!(
                    o,
                    "<p class=\"small\">{} more in the CSV table.</p>",
                    changed.len() - MAX_ROWS
                );
            }
        }
        o.push_str("</section>");
    }

    o.push_str("<section><h2>Differences of method and inputs</h2>");
    if c.method.is_empty() {
        o.push_str("<p>None: the same resolved method and the same input files (by SHA-256).</p>");
    } else {
        o.push_str("<table class=\"data\"><tr><th>Setting or input</th><th>A</th><th>B</th></tr>");
        for d in c.method.iter().take(MAX_ROWS) {
            let _ = write!(
                o,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                escape(&d.what),
                escape(&d.a),
                escape(&d.b)
            );
        }
        o.push_str("</table>");
        if c.method.len() > MAX_ROWS {
            let _ = write!(
                o,
                "<p class=\"small\">{} more in method_changes.csv.</p>",
                c.method.len() - MAX_ROWS
            );
        }
    }
    o.push_str("</section>");
    o.push_str("<p class=\"small\">Every row is in the CSV tables beside this page: <code>districts_changes.csv</code>, <code>units_changes.csv</code>, <code>sites_changes.csv</code>, <code>method_changes.csv</code>; the counts in <code>compare.json</code>. Written by <code>careblock compare</code>.</p>");
    o.push_str("</body></html>\n");
    o
}
