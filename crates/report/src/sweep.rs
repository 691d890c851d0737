//! `sweep.html`: the page `careblock sweep` writes beside `sweep.csv`. One self-contained page
//! (inline CSS and SVG, no script, no network): the share of the demand covered against the
//! number of new blocks, one line per combination of the sweep keys other than `siting.p`, the
//! marginal value of each extra block along each line, the table of the scenarios (failed ones
//! with their reason) and the command that reproduces it. Every text from data is escaped; the
//! page is a pure function of its arguments, worded in `lang`.

use std::fmt::Write as _;

use careblock_pipeline::sweep::ScenarioSummary;
use careblock_text::{Arg, Lang};

use crate::html::escape;
use crate::html::format::{n1, num_in, pct_in};

/// The sweep key whose values are the chart's x (the x itself is each scenario's number of new
/// blocks, which the equity rule's maxima may make lower than its `siting.p`).
const P: &str = "siting.p";

const CSS: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#222;margin:0 auto;max-width:1180px;padding:12px 24px;line-height:1.4;background:#fff}
h1{font-size:1.5em;margin:.3em 0}h2{font-size:1.2em;border-bottom:1px solid #bbb;margin-top:1.4em}
.meta{color:#555;margin:0 0 .5em}.small{font-size:.85em;color:#555}
svg.chart{max-width:100%;height:auto;display:block;font-size:12px;overflow:hidden}
.grid{stroke:#ddd;stroke-width:1}.axis{fill:none;stroke:#333}.yt{text-anchor:end}.xt{text-anchor:middle}.xl{text-anchor:middle;fill:#444}.yl{text-anchor:middle;fill:#444}
.line{fill:none;stroke-width:2;stroke-linejoin:round}.pt{stroke:#fff;stroke-width:1}.before{fill:none;stroke-width:1.5;stroke-dasharray:6 4}.lbl{fill:#333}
table.data{border-collapse:collapse;font-size:.9em;margin:.4em 0}
table.data th,table.data td{border-bottom:1px solid #e3e3e3;padding:2px 8px;text-align:left;vertical-align:top}
table.data td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.failed td{background:#fdecea}.sw{display:inline-block;width:18px;height:0;border-top:3px solid;vertical-align:middle;margin-right:6px}
@media print{body{max-width:none;padding:0;font-size:10pt}section,svg,table{break-inside:avoid}h2{break-after:avoid}}
";

/// ColorBrewer Dark2: one colour per line, in the order the lines first appear.
const PALETTE: [&str; 8] = [
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
];

/// The colour of line `i`.
fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// A scenario that ran, as a point of the chart.
#[derive(Debug, Clone, PartialEq)]
struct Point {
    /// Its index in the rows.
    row: usize,
    /// Its number of new blocks.
    x: usize,
    /// The share of the demand covered with the new blocks.
    after: f64,
    /// The share the existing blocks cover alone.
    before: f64,
}

/// Two consecutive points of a line and the share of the demand each extra block adds.
type Step<'a> = (&'a Point, &'a Point, f64);

/// The scenarios that differ only in `siting.p`: one line of the chart.
#[derive(Debug, Clone, PartialEq)]
struct Series {
    /// `key=value` of the other sweep keys the scenarios set (empty: the method as written).
    label: String,
    /// By number of new blocks, then by scenario.
    points: Vec<Point>,
}

impl Series {
    /// The share the existing blocks cover alone (`siting.p` does not change it, so it is the
    /// same along a line: taken from its first point).
    fn before(&self) -> f64 {
        self.points.first().map_or(0.0, |p| p.before)
    }

    /// Between consecutive points with different numbers of new blocks: the two points and
    /// the share of the demand each extra block adds.
    fn marginal(&self) -> Vec<Step<'_>> {
        self.points
            .windows(2)
            .filter(|w| w[1].x != w[0].x)
            .map(|w| {
                let per_block = (w[1].after - w[0].after) / (w[1].x as f64 - w[0].x as f64);
                (&w[0], &w[1], per_block)
            })
            .collect()
    }
}

/// The lines of the chart: the scenarios that ran (with a demand to cover) grouped by their
/// values of every sweep key but `siting.p`, in the order the groups first appear.
fn series(keys: &[String], rows: &[ScenarioSummary]) -> Vec<Series> {
    let mut out: Vec<Series> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let Ok(f) = &r.outcome else {
            continue;
        };
        let f = &f.siting;
        if !(f.total_demand > 0.0 && f.total_demand.is_finite()) {
            continue;
        }
        let label = keys
            .iter()
            .zip(&r.values)
            .filter(|(k, _)| k.as_str() != P)
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
            .collect::<Vec<_>>()
            .join(", ");
        let point = Point {
            row: i,
            x: f.blocks.0,
            after: f.covered_after / f.total_demand,
            before: f.covered_before / f.total_demand,
        };
        match out.iter_mut().find(|s| s.label == label) {
            Some(s) => s.points.push(point),
            None => out.push(Series {
                label,
                points: vec![point],
            }),
        }
    }
    for s in &mut out {
        s.points.sort_by_key(|p| (p.x, p.row));
    }
    out
}

/// A line's label in `lang`, not escaped.
fn series_label(lang: Lang, s: &Series) -> String {
    if s.label.is_empty() {
        lang.t("sweep.page.base_series").to_string()
    } else {
        s.label.clone()
    }
}

/// A round step for about `target` ticks from 0 to `max`, and the last tick (≥ `max`).
fn ticks(max: f64, target: usize, whole: bool) -> (f64, f64) {
    let raw = if max > 0.0 && max.is_finite() {
        max / target as f64
    } else {
        1.0
    };
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag);
    let step = if whole { step.ceil().max(1.0) } else { step };
    (step, (max / step).ceil().max(1.0) * step)
}

/// Shortens a label to `max` characters, with an ellipsis.
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// The y of each label (sorted by wanted y), pushed apart to `gap` pixels within `[lo, hi]`.
fn spread(wanted: &[f64], gap: f64, lo: f64, hi: f64) -> Vec<f64> {
    let mut order: Vec<usize> = (0..wanted.len()).collect();
    order.sort_by(|a, b| wanted[*a].total_cmp(&wanted[*b]).then(a.cmp(b)));
    let mut ys = vec![0.0; wanted.len()];
    let mut prev = f64::NEG_INFINITY;
    for &i in &order {
        ys[i] = wanted[i].max(lo).max(prev + gap);
        prev = ys[i];
    }
    let mut next = f64::INFINITY;
    for &i in order.iter().rev() {
        ys[i] = ys[i].min(hi).min(next - gap);
        next = ys[i];
    }
    ys
}

/// The chart: the share covered against the new blocks, a polyline per line with its points
/// marked, the existing blocks' coverage dashed, and each line's label at its end.
fn chart(o: &mut String, lang: Lang, rows: &[ScenarioSummary], lines: &[Series]) {
    let pct = |v: f64, d: usize| pct_in(lang, Some(v), d);
    let row_gap = 15.0;
    let (w, l, rt, t, b) = (800.0, 60.0, 250.0, 16.0, 44.0);
    let h = f64::max(340.0, t + b + row_gap * (lines.len() as f64 + 1.0));
    let max_x = lines
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.x))
        .max()
        .unwrap_or(0) as f64;
    let top = lines
        .iter()
        .flat_map(|s| s.points.iter().flat_map(|p| [p.after, p.before]))
        .fold(0.0, f64::max);
    let (ystep, ymax) = ticks((100.0 * top).max(1.0), 5, false);
    let (xstep, xmax) = ticks(max_x.max(1.0), 10, true);
    let x = |v: f64| l + v / xmax * (w - l - rt);
    let y = |share: f64| t + (1.0 - 100.0 * share / ymax) * (h - t - b);
    let _ = write!(
        o,
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\">",
        escape(lang.t("sweep.page.chart_label")),
        h = n1(h)
    );
    let mut v = 0.0;
    while v <= ymax + 1e-9 {
        let yy = n1(y(v / 100.0));
        let _ = write!(
            o,
            "<path class=\"grid\" d=\"M{l} {yy}H{}\"/><text class=\"yt\" x=\"{}\" y=\"{yy}\" dy=\"4\">{} %</text>",
            n1(w - rt),
            n1(l - 6.0),
            num_in(lang, Some(v), if ystep < 1.0 { 1 } else { 0 })
        );
        v += ystep;
    }
    let mut i = 0.0;
    while i <= xmax + 1e-9 {
        let _ = write!(
            o,
            "<text class=\"xt\" x=\"{}\" y=\"{}\">{}</text>",
            n1(x(i)),
            n1(h - b + 16.0),
            num_in(lang, Some(i), 0)
        );
        i += xstep;
    }
    crate::html::charts::axes(
        o,
        (w, h, l, t, rt, b),
        lang.t("sweep.page.chart_x"),
        lang.t("sweep.page.chart_y"),
    );
    // The existing blocks' coverage: one grey line when every line shares it, else one per line.
    let same_before = lines
        .iter()
        .all(|s| (s.before() - lines[0].before()).abs() <= 1e-9);
    if same_before {
        let yy = n1(y(lines[0].before()));
        let text = lang.fmt(
            "sweep.page.existing_only",
            &[("share", Arg::from(pct(lines[0].before(), 1)))],
        );
        let _ = write!(
            o,
            "<path class=\"before\" stroke=\"#555\" d=\"M{l} {yy}H{}\"><title>{}</title></path><text class=\"lbl\" x=\"{}\" y=\"{yy}\" dy=\"-4\">{}</text>",
            n1(w - rt),
            escape(&text),
            n1(l + 6.0),
            escape(&text)
        );
    } else {
        for (k, s) in lines.iter().enumerate() {
            let _ = write!(
                o,
                "<path class=\"before\" stroke=\"{}\" d=\"M{l} {}H{}\"><title>{}</title></path>",
                colour(k),
                n1(y(s.before())),
                n1(w - rt),
                escape(&lang.fmt(
                    "sweep.page.existing_only_of",
                    &[
                        ("series", Arg::from(series_label(lang, s))),
                        ("share", Arg::from(pct(s.before(), 1))),
                    ]
                ))
            );
        }
    }
    for (k, s) in lines.iter().enumerate() {
        let c = colour(k);
        let points: Vec<String> = s
            .points
            .iter()
            .map(|p| format!("{},{}", n1(x(p.x as f64)), n1(y(p.after))))
            .collect();
        let _ = write!(
            o,
            "<g class=\"series\"><polyline class=\"line\" stroke=\"{c}\" points=\"{}\"/>",
            points.join(" ")
        );
        for p in &s.points {
            let tip = lang.fmt(
                "sweep.page.point_tip",
                &[
                    ("name", Arg::from(&rows[p.row].name)),
                    ("blocks", Arg::from(p.x)),
                    ("share", Arg::from(pct(p.after, 1))),
                ],
            );
            let _ = write!(
                o,
                "<circle class=\"pt\" fill=\"{c}\" cx=\"{}\" cy=\"{}\" r=\"4\"><title>{}</title></circle>",
                n1(x(p.x as f64)),
                n1(y(p.after)),
                escape(&tip)
            );
        }
        o.push_str("</g>");
    }
    // Each line's label at the right, as near its last point's height as the others allow.
    let wanted: Vec<f64> = lines
        .iter()
        .map(|s| y(s.points.last().map_or(0.0, |p| p.after)))
        .collect();
    let ys = spread(&wanted, row_gap, t + 4.0, h - b);
    for (k, (s, yy)) in lines.iter().zip(ys).enumerate() {
        let label = series_label(lang, s);
        let _ = write!(
            o,
            "<g class=\"key\"><title>{}</title><path stroke=\"{}\" stroke-width=\"3\" d=\"M{} {}h16\"/><text class=\"lbl\" x=\"{}\" y=\"{}\" dy=\"4\">{}</text></g>",
            escape(&label),
            colour(k),
            n1(w - rt + 8.0),
            n1(yy),
            n1(w - rt + 28.0),
            n1(yy),
            escape(&truncate(&label, 36))
        );
    }
    o.push_str("</svg>");
}

/// The marginal value of each extra block, per line: a table.
fn marginal_table(o: &mut String, lang: Lang, lines: &[Series]) {
    let pct = |v: f64, d: usize| pct_in(lang, Some(v), d);
    let steps: Vec<(usize, &Series, Vec<Step>)> = lines
        .iter()
        .enumerate()
        .map(|(k, s)| (k, s, s.marginal()))
        .filter(|(_, _, m)| !m.is_empty())
        .collect();
    if steps.is_empty() {
        let _ = write!(o, "<p>{}</p>", lang.t("sweep.page.no_marginal"));
        return;
    }
    let _ = write!(
        o,
        "<table class=\"data marginal\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        lang.t("sweep.page.series"),
        lang.t("sweep.page.blocks_step"),
        lang.t("sweep.page.covered_step"),
        lang.t("sweep.page.per_block"),
    );
    for (k, s, m) in steps {
        for (a, b, per_block) in m {
            let _ = write!(
                o,
                "<tr><td><span class=\"sw\" style=\"border-color:{}\"></span>{}</td><td class=\"n\">{} → {}</td><td class=\"n\">{} → {}</td><td class=\"n\">{}</td></tr>",
                colour(k),
                escape(&series_label(lang, s)),
                a.x,
                b.x,
                pct(a.after, 1),
                pct(b.after, 1),
                pct(per_block, 2)
            );
        }
    }
    o.push_str("</tbody></table>");
}

/// The table of every scenario, failed ones with their reason.
fn scenario_table(o: &mut String, lang: Lang, rows: &[ScenarioSummary]) {
    let pct = |v: f64, d: usize| pct_in(lang, Some(v), d);
    o.push_str("<table class=\"data scenarios\"><thead><tr>");
    for k in [
        "sweep.page.number",
        "sweep.page.name",
        "sweep.page.status",
        "sweep.page.covered_before",
        "sweep.page.covered_after",
        "sweep.page.bound",
        "sweep.page.gap",
        "sweep.page.new_blocks",
        "sweep.page.reason",
    ] {
        let _ = write!(o, "<th>{}</th>", lang.t(k));
    }
    o.push_str("</tr></thead><tbody>");
    for (i, r) in rows.iter().enumerate() {
        match &r.outcome {
            Ok(f) => {
                let f = &f.siting;
                let share = |v: f64| {
                    if f.total_demand > 0.0 {
                        pct(v / f.total_demand, 1)
                    } else {
                        "–".to_string()
                    }
                };
                let _ = write!(
                    o,
                    "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td></td></tr>",
                    i + 1,
                    escape(&r.name),
                    lang.t("sweep.page.status_ok"),
                    share(f.covered_before),
                    share(f.covered_after),
                    share(f.bound),
                    pct(f.gap, 3),
                    f.blocks.0
                );
            }
            Err(reason) => {
                let _ = write!(
                    o,
                    "<tr class=\"failed\"><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"n\">–</td><td class=\"n\">–</td><td class=\"n\">–</td><td class=\"n\">–</td><td class=\"n\">–</td><td>{}</td></tr>",
                    i + 1,
                    escape(&r.name),
                    lang.t("sweep.page.status_failed"),
                    escape(reason)
                );
            }
        }
    }
    o.push_str("</tbody></table>");
}

/// The whole page: `title` (the method's name), the sweep's `keys` and one row per scenario, in
/// the sweep's order, the `command` that wrote it, worded in `lang`.
pub fn sweep_page(
    title: &str,
    keys: &[String],
    rows: &[ScenarioSummary],
    command: &str,
    lang: Lang,
) -> String {
    let mut o = String::with_capacity(1 << 15);
    let title = escape(title);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">",
        lang.code()
    );
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(
        o,
        "<title>{}</title><style>{CSS}</style></head><body><h1>{title}</h1>",
        lang.fmt("sweep.page.doc_title", &[("title", Arg::from(&title))])
    );
    let failed = rows.iter().filter(|r| r.outcome.is_err()).count();
    let key_list = keys
        .iter()
        .map(|k| format!("<code>{}</code>", escape(k)))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = write!(
        o,
        "<p class=\"meta\">{}</p>",
        lang.fmt(
            "sweep.page.meta",
            &[
                ("n", Arg::from(rows.len())),
                ("failed", Arg::from(failed)),
                ("keys", Arg::from(key_list)),
            ]
        )
    );

    let _ = write!(o, "<section><h2>{}</h2>", lang.t("sweep.page.coverage_heading"));
    let lines = series(keys, rows);
    let ran: usize = lines.iter().map(|s| s.points.len()).sum();
    if !keys.iter().any(|k| k == P) {
        let _ = write!(o, "<p>{}</p></section>", lang.t("sweep.page.no_chart_no_p"));
    } else if ran < 2 {
        let _ = write!(
            o,
            "<p>{}</p></section>",
            lang.fmt(
                "sweep.page.no_chart_few",
                &[("ran", Arg::from(ran)), ("n", Arg::from(rows.len()))]
            )
        );
    } else {
        chart(&mut o, lang, rows, &lines);
        let _ = write!(
            o,
            "<p class=\"small\">{}</p></section>",
            lang.t("sweep.page.chart_note")
        );
        let _ = write!(
            o,
            "<section><h2>{}</h2><p class=\"small\">{}</p>",
            lang.t("sweep.page.marginal_heading"),
            lang.t("sweep.page.marginal_note")
        );
        marginal_table(&mut o, lang, &lines);
        o.push_str("</section>");
    }

    let _ = write!(o, "<section><h2>{}</h2>", lang.t("sweep.page.scenarios_heading"));
    scenario_table(&mut o, lang, rows);
    o.push_str("</section>");
    let _ = write!(
        o,
        "<p class=\"small\">{}</p><p class=\"small\">{}</p>",
        lang.t("sweep.page.files"),
        lang.fmt(
            "sweep.page.reproduce",
            &[("command", Arg::from(format!("<code>{}</code>", escape(command))))]
        )
    );
    o.push_str("</body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use careblock_pipeline::sweep::Figures;

    use super::*;

    /// A scenario that ran: `after` and `before` are shares of a demand of 1000.
    fn ran(name: &str, values: &[Option<&str>], blocks: usize, before: f64, after: f64) -> ScenarioSummary {
        ScenarioSummary {
            name: name.to_string(),
            values: values.iter().map(|v| v.map(str::to_string)).collect(),
            outcome: Ok(Figures {
                siting: careblock_pipeline::sweep::SitingFigures {
                    total_demand: 1000.0,
                    covered_before: 1000.0 * before,
                    covered_after: 1000.0 * after,
                    bound: 1000.0 * (after + 0.001),
                    gap: 0.00025,
                    optimal: false,
                    blocks: (blocks, 24, 0),
                },
                without_equity: None,
                index_reused: true,
                districts: Vec::new(),
            }),
        }
    }

    fn failed(name: &str, values: &[Option<&str>], reason: &str) -> ScenarioSummary {
        ScenarioSummary {
            name: name.to_string(),
            values: values.iter().map(|v| v.map(str::to_string)).collect(),
            outcome: Err(reason.to_string()),
        }
    }

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    /// `siting.p` × `siting.radius`, listed radius-major so a line's points come in no order,
    /// and one scenario that failed.
    fn p_radius() -> (Vec<String>, Vec<ScenarioSummary>) {
        let k = keys(&["siting.p", "siting.radius"]);
        let rows = vec![
            ran("p10 r500", &[Some("10"), Some("500")], 10, 0.02, 0.15),
            ran("p5 r500", &[Some("5"), Some("500")], 5, 0.02, 0.10),
            ran("p5 r800", &[Some("5"), Some("800")], 5, 0.06, 0.20),
            ran("p10 r800", &[Some("10"), Some("800")], 10, 0.06, 0.28),
            ran("p20 r800", &[Some("20"), Some("800")], 20, 0.06, 0.38),
            failed(
                "p40 r800",
                &[Some("40"), Some("800")],
                "too few candidates for p = 40 <all 31>",
            ),
        ];
        (k, rows)
    }

    fn command() -> &'static str {
        "careblock sweep m.toml s.toml --out out"
    }

    #[test]
    fn one_line_per_combination_of_the_other_keys() {
        let (k, rows) = p_radius();
        let lines = series(&k, &rows);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].label, "siting.radius=500");
        assert_eq!(lines[1].label, "siting.radius=800");
        let xs = |s: &Series| s.points.iter().map(|p| p.x).collect::<Vec<_>>();
        assert_eq!(xs(&lines[0]), [5, 10]);
        assert_eq!(xs(&lines[1]), [5, 10, 20]);
        let page = sweep_page("Bogotá", &k, &rows, command(), Lang::En);
        assert_eq!(page.matches("<polyline").count(), 2, "{page}");
        assert_eq!(page.matches("<circle class=\"pt\"").count(), 5);
        assert!(page.contains(">siting.radius=500</text>"));
        assert!(page.contains(">siting.radius=800</text>"));
        // The existing blocks' coverage differs between the lines: one dashed line each.
        assert_eq!(page.matches("class=\"before\"").count(), 2);
        assert!(page.contains("siting.radius=800, existing blocks only: 6.0 %"));
        // The chart's x is the number of new blocks: the 20 blocks are the axis' far point.
        assert!(page.contains(">20</text>"));
        assert!(!page.contains("http"), "offline");
        assert!(page.contains("<h1>Bogotá</h1>"));
        assert!(page.contains("<code>careblock sweep m.toml s.toml --out out</code>"));
    }

    #[test]
    fn the_marginal_value_of_each_extra_block() {
        let (k, rows) = p_radius();
        let lines = series(&k, &rows);
        let m: Vec<(usize, usize, f64)> = lines[1]
            .marginal()
            .into_iter()
            .map(|(a, b, v)| (a.x, b.x, v))
            .collect();
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].0, m[0].1), (5, 10));
        assert!((m[0].2 - 0.08 / 5.0).abs() < 1e-12, "{m:?}");
        assert_eq!((m[1].0, m[1].1), (10, 20));
        assert!((m[1].2 - 0.10 / 10.0).abs() < 1e-12, "{m:?}");
        let page = sweep_page("t", &k, &rows, command(), Lang::En);
        let table = &page[page.find("class=\"data marginal\"").unwrap()..];
        let table = &table[..table.find("</table>").unwrap()];
        assert_eq!(table.matches("<tr><td>").count(), 3, "{table}");
        // r500: (15 − 10) / 5 = 1 % per block; r800: 1.6 %, then 1 %.
        assert!(
            table.contains(
                "<td class=\"n\">5 → 10</td><td class=\"n\">10.0 % → 15.0 %</td><td class=\"n\">1.00 %</td>"
            ),
            "{table}"
        );
        assert!(table.contains("<td class=\"n\">20.0 % → 28.0 %</td><td class=\"n\">1.60 %</td>"));
        assert!(table.contains(
            "<td class=\"n\">10 → 20</td><td class=\"n\">28.0 % → 38.0 %</td><td class=\"n\">1.00 %</td>"
        ));
    }

    #[test]
    fn failed_scenarios_are_listed_with_their_reason() {
        let (k, rows) = p_radius();
        let page = sweep_page("t", &k, &rows, command(), Lang::En);
        assert!(page.contains("6 scenario(s) of the method, 1 failed"));
        let table = &page[page.find("class=\"data scenarios\"").unwrap()..];
        assert_eq!(table.matches("<tr class=\"failed\">").count(), 1);
        assert!(table.contains(
            "<td>p40 r800</td><td>failed</td><td class=\"n\">–</td><td class=\"n\">–</td><td class=\"n\">–</td><td class=\"n\">–</td><td class=\"n\">–</td><td>too few candidates for p = 40 &lt;all 31&gt;</td>"
        ), "{table}");
        assert!(table.contains(
            "<td class=\"n\">1</td><td>p10 r500</td><td>ok</td><td class=\"n\">2.0 %</td><td class=\"n\">15.0 %</td><td class=\"n\">15.1 %</td><td class=\"n\">0.025 %</td><td class=\"n\">10</td><td></td>"
        ), "{table}");
    }

    #[test]
    fn no_chart_without_siting_p_or_with_fewer_than_two_scenarios() {
        let k = keys(&["siting.radius"]);
        let rows = vec![
            ran("r500", &[Some("500")], 21, 0.02, 0.2),
            ran("r800", &[Some("800")], 21, 0.06, 0.4),
        ];
        let page = sweep_page("t", &k, &rows, command(), Lang::En);
        assert!(!page.contains("<svg"), "{page}");
        assert!(page.contains("No chart: the sweep does not vary <code>siting.p</code>"));
        assert!(!page.contains("Marginal value"));
        assert!(page.contains("<td>r800</td>"));

        let k = keys(&["siting.p"]);
        let rows = vec![
            ran("p5", &[Some("5")], 5, 0.02, 0.2),
            failed("p500", &[Some("500")], "too few candidates"),
        ];
        let page = sweep_page("t", &k, &rows, command(), Lang::En);
        assert!(!page.contains("<svg"));
        assert!(page.contains("No chart: fewer than two scenarios ran (1 of 2)."));
    }

    #[test]
    fn one_dashed_line_when_the_existing_blocks_cover_the_same_and_the_base_line_is_named() {
        // The fixture of the integration test: a weight scenario (no siting.p) and a product of p.
        let k = keys(&["dimensions.supply_gap.weight", "siting.p"]);
        let rows = vec![
            ran("supply gap double", &[Some("2"), None], 21, 0.05, 0.40),
            ran("siting.p=5", &[None, Some("5")], 5, 0.05, 0.17),
            ran("siting.p=21", &[None, Some("21")], 21, 0.05, 0.41),
        ];
        let lines = series(&k, &rows);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].label, "dimensions.supply_gap.weight=2");
        assert_eq!(lines[1].label, "");
        let page = sweep_page("t", &k, &rows, command(), Lang::En);
        assert_eq!(page.matches("<polyline").count(), 2);
        assert_eq!(page.matches("class=\"before\"").count(), 1);
        assert!(page.contains(">existing blocks only: 5.0 %</text>"));
        assert!(page.contains(">the method as written</text>"));
    }

    #[test]
    fn names_title_keys_and_command_are_escaped() {
        let k = keys(&["siting.p", "indicators.a<b.weight"]);
        let rows = vec![
            ran("<script>x</script>", &[Some("5"), Some("\"1\"")], 5, 0.0, 0.1),
            ran("a & b", &[Some("10"), Some("\"1\"")], 10, 0.0, 0.2),
        ];
        let page = sweep_page(
            "Title <i>&",
            &k,
            &rows,
            "careblock sweep 'a b.toml' <x>",
            Lang::En,
        );
        assert!(!page.contains("<script"));
        assert!(!page.contains("<i>"));
        assert!(page.contains("<h1>Title &lt;i&gt;&amp;</h1>"));
        assert!(page.contains("<td>&lt;script&gt;x&lt;/script&gt;</td>"));
        assert!(page.contains("<td>a &amp; b</td>"));
        assert!(page.contains("<code>indicators.a&lt;b.weight</code>"));
        assert!(page.contains("indicators.a&lt;b.weight=&quot;1&quot;"));
        assert!(page.contains("<code>careblock sweep &#39;a b.toml&#39; &lt;x&gt;</code>"));
    }

    #[test]
    fn spanish_words_and_decimal_commas() {
        let (k, rows) = p_radius();
        let page = sweep_page("Índice", &k, &rows, command(), Lang::Es);
        assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"es\">"));
        for words in [
            "6 escenario(s) del método, 1 fallido(s)",
            "Proporción de la demanda cubierta según el número de manzanas nuevas",
            "número de manzanas nuevas",
            "Valor marginal de cada manzana adicional",
            "<th>cota</th>",
            "<th>brecha</th>",
            "<td>falló</td>",
            "Para reproducirla:",
        ] {
            assert!(page.contains(words), "{words:?} missing");
        }
        assert!(page.contains("<td class=\"n\">10,0 % → 15,0 %</td><td class=\"n\">1,00 %</td>"));
        assert!(page.contains("<td class=\"n\">0,025 %</td>"));
        assert!(page.contains("siting.radius=800, solo manzanas existentes: 6,0 %"));
        // The failed scenario's reason is an error message: it stays as it is.
        assert!(page.contains("too few candidates for p = 40"));
        assert!(!page.contains("covered"), "no English word left");
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(ticks(40.0, 10, true), (5.0, 40.0));
        assert_eq!(ticks(3.0, 10, true), (1.0, 3.0));
        assert_eq!(ticks(59.1, 5, false), (20.0, 60.0));
        assert_eq!(ticks(9.5, 5, false), (2.0, 10.0));
        let ys = spread(&[100.0, 101.0, 300.0], 15.0, 10.0, 290.0);
        assert_eq!(ys, [100.0, 115.0, 290.0]);
    }
}
