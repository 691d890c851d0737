//! `compare.html`: one self-contained page (inline CSS and SVG, no script, no network) with the
//! summary, a map of the rank changes with the sites added and removed, the largest changes,
//! the class changes, the sites and the method's differences. Every text from data is escaped;
//! the page is a pure function of the comparison and the language it is worded in.

use std::fmt::Write as _;

use careblock_text::{Arg, Lang};
use geo::{Area, BoundingRect, Geometry, MultiPolygon, Rect};

use super::diff::{AreaChange, Comparison, Coverage, LevelComparison, MethodDifference, SiteChange};
use crate::html::colours::{Frame, UNRANKED};
use crate::html::escape;
use crate::html::format::{n1, num_in, pct_in};
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
fn bins(lang: Lang, n: usize) -> (f64, f64, Vec<(&'static str, String, &'static str)>) {
    let mid = ((0.02 * n as f64).ceil()).max(2.0);
    let big = ((0.1 * n as f64).ceil()).max(mid + 1.0);
    let range = |lo: f64, hi: f64| {
        if lo == hi {
            lang.num(lo)
        } else {
            format!("{}–{}", lang.num(lo), lang.num(hi))
        }
    };
    let places = |key: &'static str, n: f64| lang.fmt(key, &[("n", Arg::from(lang.num(n)))]);
    let r = |key: &'static str, lo: f64, hi: f64| lang.fmt(key, &[("range", Arg::from(range(lo, hi)))]);
    let classes = vec![
        ("r3", places("compare.page.bin_rose_big", big), "#b2182b"),
        ("r2", r("compare.page.bin_rose", mid, big - 1.0), "#ef8a62"),
        ("r1", r("compare.page.bin_rose_few", 1.0, mid - 1.0), "#fddbc7"),
        ("r0", lang.t("compare.page.bin_same").to_string(), "#f7f7f7"),
        ("f1", r("compare.page.bin_fell_few", 1.0, mid - 1.0), "#d1e5f0"),
        ("f2", r("compare.page.bin_fell", mid, big - 1.0), "#67a9cf"),
        ("f3", places("compare.page.bin_fell_big", big), "#2166ac"),
        ("u", lang.t("compare.page.bin_unranked").to_string(), UNRANKED),
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

/// "rose 7 places", "fell 1 place", "same rank", or what is missing, in `lang`.
fn movement(lang: Lang, c: &AreaChange) -> String {
    let places = |one: &'static str, many: &'static str, d: f64| {
        if d == 1.0 {
            lang.t(one).to_string()
        } else {
            lang.fmt(many, &[("n", Arg::from(lang.num(d)))])
        }
    };
    match (c.rank, c.rank_change()) {
        (_, Some(0.0)) => lang.t("compare.movement.same").into(),
        (_, Some(d)) if d < 0.0 => places("compare.movement.rose_one", "compare.movement.rose", -d),
        (_, Some(d)) => places("compare.movement.fell_one", "compare.movement.fell", d),
        ([Some(_), None], _) => lang.t("compare.movement.first_only").into(),
        ([None, Some(_)], _) => lang.t("compare.movement.second_only").into(),
        _ => lang.t("compare.movement.neither").into(),
    }
}

/// A rank or class ("3", "2,5" in Spanish for a tie), or "–".
fn whole(lang: Lang, v: Option<f64>) -> String {
    v.map(|x| lang.num(x)).unwrap_or_else(|| "–".into())
}

/// A site's status (`existing`, `proposed`, `bus` in sites.csv) in `lang`; another as it is.
fn status_in(lang: Lang, status: &str) -> String {
    match status {
        "existing" => lang.t("compare.status.existing").into(),
        "proposed" => lang.t("compare.status.proposed").into(),
        "bus" => lang.t("compare.status.bus").into(),
        other => other.to_string(),
    }
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
fn map(o: &mut String, lang: Lang, c: &Comparison) {
    let Some(m) = &c.map else {
        let _ = write!(o, "<p>{}</p>", lang.t("compare.page.no_map"));
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
        let _ = write!(o, "<p>{}</p>", lang.t("compare.page.no_polygon"));
        return;
    };
    let frame = Frame::fit(focus, 760.0, 900.0, 12.0);
    let eps = focus.width().max(focus.height()) / 1500.0;
    let (mid, big, classes) = bins(lang, level.ranked_both);
    let _ = write!(
        o,
        "<div class=\"mapwrap\"><svg class=\"map\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{label}\"><style>",
        w = n1(frame.width),
        h = n1(frame.height),
        label = escape(&lang.fmt(
            "compare.page.map_label",
            &[("level", Arg::from(level.the_noun(lang)))]
        ))
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
                let tip = lang.fmt(
                    "compare.page.area_tip",
                    &[
                        ("name", Arg::from(name_of(a))),
                        ("a", Arg::from(whole(lang, a.rank[0]))),
                        ("b", Arg::from(whole(lang, a.rank[1]))),
                        ("movement", Arg::from(escape(&movement(lang, a)))),
                        ("class_a", Arg::from(whole(lang, a.class[0]))),
                        ("class_b", Arg::from(whole(lang, a.class[1]))),
                    ],
                );
                let _ = write!(
                    o,
                    "<path class=\"{}\" d=\"{d}\"><title>{tip}</title></path>",
                    class_of(a, mid, big),
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
                let title = lang.fmt(
                    "compare.page.site_tip",
                    &[
                        ("change", Arg::from(change.label(lang))),
                        ("status", Arg::from(status_in(lang, &s.row().status))),
                        ("id", Arg::from(&s.row().id)),
                        (
                            "name",
                            Arg::from(
                                s.row()
                                    .name
                                    .as_ref()
                                    .map(|n| format!(" ({n})"))
                                    .unwrap_or_default(),
                            ),
                        ),
                    ],
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
    let _ = write!(
        o,
        "</svg><div class=\"legend\"><h3>{}</h3><table>",
        lang.t("compare.page.legend_heading")
    );
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
        let _ = write!(
            o,
            "<h3>{}</h3><svg width=\"140\" height=\"62\">",
            lang.t("compare.page.legend_sites")
        );
        let _ = write!(
            o,
            "<g class=\"added\"><circle cx=\"10\" cy=\"10\" r=\"5\"/></g><text x=\"22\" y=\"14\" font-size=\"12\">{}</text>",
            escape(SiteChange::Added.legend(lang))
        );
        let _ = write!(
            o,
            "<g class=\"removed\"><circle cx=\"10\" cy=\"30\" r=\"5\"/><path d=\"M6.5 26.5L13.5 33.5\"/></g><text x=\"22\" y=\"34\" font-size=\"12\">{}</text>",
            escape(SiteChange::Removed.legend(lang))
        );
        let _ = write!(
            o,
            "<g class=\"kept\"><circle cx=\"10\" cy=\"50\" r=\"3\"/></g><text x=\"22\" y=\"54\" font-size=\"12\">{}</text></svg>",
            escape(SiteChange::Kept.legend(lang))
        );
    }
    let _ = write!(
        o,
        "<p class=\"small\">{}</p></div></div>",
        lang.t("compare.page.map_note")
    );
}

fn level_rows(o: &mut String, lang: Lang, l: &LevelComparison) {
    let n = l.changes.len();
    let level = Arg::from(l.noun_cap(lang));
    let mut detail = lang.fmt(
        "compare.page.rank_detail",
        &[
            ("mean", Arg::from(num_in(lang, l.mean_abs_rank_change, 1))),
            ("rho", Arg::from(num_in(lang, l.spearman, 3))),
        ],
    );
    if l.ranked_one > 0 {
        detail.push_str(&lang.fmt("compare.page.ranked_one", &[("n", Arg::from(l.ranked_one))]));
    }
    let _ = write!(
        o,
        "<tr><th>{}</th><td class=\"n\">{}</td><td>{}</td></tr>",
        lang.fmt("compare.page.rank_changed", &[("level", level.clone())]),
        lang.fmt(
            "compare.page.n_of",
            &[
                ("n", Arg::from(l.rank_changed)),
                ("total", Arg::from(l.ranked_both))
            ]
        ),
        detail
    );
    let _ = write!(
        o,
        "<tr><th>{}</th><td class=\"n\">{}</td><td></td></tr>",
        lang.fmt("compare.page.class_changed", &[("level", level)]),
        lang.fmt(
            "compare.page.n_of",
            &[("n", Arg::from(l.class_changed)), ("total", Arg::from(n))]
        ),
    );
}

fn coverage_rows(o: &mut String, lang: Lang, what: &str, c: &[Option<Coverage>; 2]) {
    if c[0].is_none() && c[1].is_none() {
        return;
    }
    let get = |i: usize, f: fn(&Coverage) -> Option<f64>| pct_in(lang, c[i].as_ref().and_then(f), 1);
    let count = |i: usize| {
        c[i].as_ref()
            .and_then(|x| x.proposed)
            .map(|p| p.to_string())
            .unwrap_or_else(|| "–".into())
    };
    let what = [("what", Arg::from(what))];
    let _ = write!(
        o,
        "<tr><th>{}</th><td class=\"n\">{} → {}</td><td></td></tr>",
        lang.fmt("compare.page.coverage_before", &what),
        get(0, |x| x.before),
        get(1, |x| x.before)
    );
    let _ = write!(
        o,
        "<tr><th>{}</th><td class=\"n\">{} → {}</td><td>{}</td></tr>",
        lang.fmt("compare.page.coverage_after", &what),
        get(0, |x| x.after),
        get(1, |x| x.after),
        lang.fmt(
            "compare.page.coverage_detail",
            &[
                ("proposed_a", Arg::from(count(0))),
                ("proposed_b", Arg::from(count(1))),
                ("bound_a", Arg::from(get(0, |x| x.bound))),
                ("bound_b", Arg::from(get(1, |x| x.bound))),
            ]
        )
    );
}

fn change_table(o: &mut String, lang: Lang, rows: &[&AreaChange]) {
    o.push_str("<table class=\"data\"><tr>");
    for k in [
        lang.t("compare.page.col_area"),
        lang.t("compare.page.col_rank"),
        lang.t("compare.page.col_change"),
        lang.t("compare.page.col_class"),
        lang.t("compare.page.col_index"),
    ] {
        let _ = write!(o, "<th>{k}</th>");
    }
    o.push_str("</tr>");
    for a in rows {
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"n\">{} → {}</td><td>{}</td><td class=\"n\">{} → {}</td><td class=\"n\">{} → {}</td></tr>",
            name_of(a),
            whole(lang, a.rank[0]),
            whole(lang, a.rank[1]),
            escape(&movement(lang, a)),
            whole(lang, a.class[0]),
            whole(lang, a.class[1]),
            num_in(lang, a.index[0], 1),
            num_in(lang, a.index[1], 1)
        );
    }
    o.push_str("</table>");
}

/// "N more in the CSV table." under a table cut at [`MAX_ROWS`].
fn more(o: &mut String, lang: Lang, key: &'static str, n: usize) {
    if n > MAX_ROWS {
        let _ = write!(
            o,
            "<p class=\"small\">{}</p>",
            lang.fmt(key, &[("n", Arg::from(n - MAX_ROWS))])
        );
    }
}

const TOP: usize = 20;
const MAX_ROWS: usize = 200;

/// The whole page, worded in `lang`.
pub(super) fn render(c: &Comparison, lang: Lang) -> String {
    let mut o = String::with_capacity(1 << 18);
    let title = |i: usize| c.name_in(i, lang).unwrap_or_else(|| c.dirs[i].clone());
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">",
        lang.code()
    );
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(
        o,
        "<title>{}</title><style>{CSS}</style></head><body>",
        lang.fmt(
            "compare.page.doc_title",
            &[
                ("a", Arg::from(escape(&title(0)))),
                ("b", Arg::from(escape(&title(1))))
            ]
        )
    );
    let _ = write!(o, "<h1>{}</h1>", lang.t("compare.page.heading"));
    for (i, key) in ["compare.page.first_run", "compare.page.second_run"]
        .into_iter()
        .enumerate()
    {
        let name = c
            .name_in(i, lang)
            .as_ref()
            .map(|n| format!(" — {}", escape(n)))
            .unwrap_or_default();
        let _ = write!(
            o,
            "<p class=\"meta\">{}</p>",
            lang.fmt(
                key,
                &[("dir", Arg::from(escape(&c.dirs[i]))), ("name", Arg::from(name))]
            )
        );
    }

    let _ = write!(
        o,
        "<section><h2>{}</h2><table class=\"kv\">",
        lang.t("compare.page.summary")
    );
    let _ = write!(
        o,
        "<tr><th>{}</th><td class=\"n\">{}</td><td>{}</td></tr>",
        lang.t("compare.page.method_differences"),
        c.method.len(),
        if c.method.is_empty() {
            lang.t("compare.page.method_same")
        } else {
            lang.t("compare.page.method_listed")
        }
    );
    if let Some(d) = &c.districts {
        level_rows(&mut o, lang, d);
    }
    level_rows(&mut o, lang, &c.units);
    coverage_rows(&mut o, lang, lang.t("compare.page.blocks"), &c.blocks);
    coverage_rows(&mut o, lang, lang.t("compare.page.bus"), &c.bus);
    if let Some(s) = &c.sites {
        let count = |w: SiteChange| s.iter().filter(|x| x.change == w).count();
        let _ = write!(
            o,
            "<tr><th>{}</th><td class=\"n\">{}</td><td>{}</td></tr>",
            lang.t("compare.page.sites_row"),
            lang.fmt(
                "compare.page.sites_kept",
                &[("n", Arg::from(count(SiteChange::Kept)))]
            ),
            lang.fmt(
                "compare.page.sites_added_removed",
                &[
                    ("added", Arg::from(count(SiteChange::Added))),
                    ("removed", Arg::from(count(SiteChange::Removed))),
                ]
            )
        );
    }
    o.push_str("</table></section>");

    let level = c.mapped();
    let noun = [("level", Arg::from(level.noun(lang)))];
    let _ = write!(
        o,
        "<section><h2>{}</h2>",
        lang.fmt(
            "compare.page.map_heading",
            &[("level", Arg::from(level.the_noun(lang)))]
        )
    );
    map(&mut o, lang, c);
    o.push_str("</section>");

    let _ = write!(
        o,
        "<section><h2>{}</h2>",
        lang.fmt("compare.page.largest_heading", &noun)
    );
    let moved: Vec<&AreaChange> = level
        .changes
        .iter()
        .filter(|a| a.rank_change().is_some_and(|d| d != 0.0))
        .take(TOP)
        .collect();
    if moved.is_empty() {
        let _ = write!(o, "<p>{}</p>", lang.t("compare.page.no_rank_changed"));
    } else {
        change_table(&mut o, lang, &moved);
    }
    o.push_str("</section>");

    let _ = write!(
        o,
        "<section><h2>{}</h2>",
        lang.fmt("compare.page.class_heading", &noun)
    );
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
        let _ = write!(o, "<p>{}</p>", lang.t("compare.page.no_class_changed"));
    } else {
        change_table(&mut o, lang, &reclassed[..reclassed.len().min(MAX_ROWS)]);
        more(&mut o, lang, "compare.page.more_csv", reclassed.len());
    }
    o.push_str("</section>");

    if let Some(sites) = &c.sites {
        let _ = write!(o, "<section><h2>{}</h2>", lang.t("compare.page.sites_heading"));
        let changed: Vec<_> = sites.iter().filter(|s| s.change != SiteChange::Kept).collect();
        if changed.is_empty() {
            let _ = write!(o, "<p>{}</p>", lang.t("compare.page.same_sites"));
        } else {
            o.push_str("<table class=\"data\"><tr>");
            for k in [
                lang.t("compare.page.col_change"),
                lang.t("compare.page.col_status"),
                lang.t("compare.page.col_site"),
                lang.t("compare.page.col_kind"),
                lang.t("compare.page.col_order"),
                lang.t("compare.page.col_gain"),
            ] {
                let _ = write!(o, "<th>{k}</th>");
            }
            o.push_str("</tr>");
            for s in changed.iter().take(MAX_ROWS) {
                let r = s.row();
                let _ = write!(
                    o,
                    "<tr><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                    escape(s.change.label(lang)),
                    escape(&status_in(lang, &r.status)),
                    escape(&r.id),
                    r.name
                        .as_ref()
                        .map(|n| format!(" ({})", escape(n)))
                        .unwrap_or_default(),
                    escape(r.kind.as_deref().unwrap_or("")),
                    whole(lang, r.rank),
                    num_in(lang, r.gain, 0)
                );
            }
            o.push_str("</table>");
            more(&mut o, lang, "compare.page.more_csv", changed.len());
        }
        o.push_str("</section>");
    }

    let _ = write!(
        o,
        "<section><h2>{}</h2>",
        lang.t("compare.page.method_differences")
    );
    if c.method.is_empty() {
        let _ = write!(o, "<p>{}</p>", lang.t("compare.page.method_none"));
    } else {
        let _ = write!(
            o,
            "<table class=\"data\"><tr><th>{}</th><th>A</th><th>B</th></tr>",
            lang.t("compare.page.col_setting")
        );
        for d in c.method.iter().take(MAX_ROWS) {
            let _ = write!(
                o,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                escape(&d.what_in(lang)),
                escape(&MethodDifference::value_in(&d.a, lang)),
                escape(&MethodDifference::value_in(&d.b, lang))
            );
        }
        o.push_str("</table>");
        more(&mut o, lang, "compare.page.method_more", c.method.len());
    }
    o.push_str("</section>");
    let _ = write!(o, "<p class=\"small\">{}</p>", lang.t("compare.page.footer"));
    o.push_str("</body></html>\n");
    o
}
