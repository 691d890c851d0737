//! The charts: the coverage curve of the sites and the top areas with their Monte Carlo ranges.

use std::fmt::Write as _;

use careblock_text::{Arg, Lang};

use super::format::{area_name, n1, num_in, pct_in, site_name};
use super::kind_word;
use super::maps::nice_length;
use super::model::{HtmlArea, HtmlReport, HtmlSiting, escape};

/// Round axis ticks from 0 to at least `max`: (step, last).
pub(super) fn ticks(max: f64, target: usize) -> (f64, f64) {
    let raw = if max > 0.0 && max.is_finite() {
        max / target as f64
    } else {
        1.0
    };
    let step = nice_length(raw);
    let step = if step < raw { step * 2.0 } else { step };
    (step, (max / step).ceil().max(1.0) * step)
}

/// The ranking curve: share of the demand covered vs number of proposed blocks.
pub(super) fn curve_svg(out: &mut String, lang: Lang, s: &HtmlSiting) {
    let num = |v: Option<f64>, d: usize| num_in(lang, v, d);
    let pct = |v: Option<f64>, d: usize| pct_in(lang, v, d);
    let share_arg = |v: f64| [("share", Arg::from(pct(Some(v), 1)))];
    let total = s.total_demand;
    if !total.is_finite() || total <= 0.0 {
        let _ = write!(out, "<p>{}</p>", lang.t("report.chart.no_demand"));
        return;
    }
    let (w, h) = (760.0, 330.0);
    let (l, rt, t, b) = (60.0, 150.0, 16.0, 44.0);
    let n = s.curve.len().max(1) as f64;
    let share = |v: f64| 100.0 * v / total;
    let top = s
        .curve
        .iter()
        .map(|c| share(c.cumulative))
        .fold(share(s.bound), f64::max);
    let (ystep, ymax) = ticks(top.max(1.0), 5);
    let x = |i: f64| l + i / n * (w - l - rt);
    let y = |v: f64| t + (1.0 - v / ymax) * (h - t - b);
    let _ = write!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\">",
        lang.t("report.chart.curve_label")
    );
    let mut v = 0.0;
    while v <= ymax + 1e-9 {
        let yy = n1(y(v));
        let _ = write!(
            out,
            "<path class=\"grid\" d=\"M{l} {yy}H{}\"/><text class=\"yt\" x=\"{}\" y=\"{yy}\" dy=\"4\">{} %</text>",
            n1(w - rt),
            n1(l - 6.0),
            num(Some(v), if ystep < 1.0 { 1 } else { 0 })
        );
        v += ystep;
    }
    let (xstep, _) = ticks(n, 10);
    let xstep = xstep.max(1.0);
    let mut i = 0.0;
    while i <= n + 1e-9 {
        let _ = write!(
            out,
            "<text class=\"xt\" x=\"{}\" y=\"{}\">{}</text>",
            n1(x(i)),
            n1(h - b + 16.0),
            num(Some(i), 0)
        );
        i += xstep;
    }
    axes(
        out,
        (w, h, l, t, rt, b),
        lang.t("report.chart.curve_x"),
        lang.t("report.chart.curve_y"),
    );
    // Bound.
    let yb = n1(y(share(s.bound)));
    let _ = write!(
        out,
        "<path class=\"bound\" d=\"M{l} {yb}H{}\"/><text class=\"lbl\" x=\"{}\" y=\"{yb}\" dy=\"-5\">{}</text>",
        n1(w - rt),
        n1(w - rt + 6.0),
        lang.fmt("report.chart.upper_bound", &share_arg(s.bound / total))
    );
    if let Some(target) = s.target {
        let yt = n1(y(100.0 * target));
        let _ = write!(
            out,
            "<path class=\"bound\" style=\"stroke:#1b7837\" d=\"M{l} {yt}H{}\"/><text class=\"lbl\" x=\"{}\" y=\"{yt}\" dy=\"14\">{}</text>",
            n1(w - rt),
            n1(w - rt + 6.0),
            lang.fmt("report.chart.target", &share_arg(target))
        );
    }
    // Phase boundaries: a vertical line before the first block of each phase after the first.
    for i in 1..s.curve.len() {
        if let (Some(before), Some(name)) = (&s.curve[i - 1].phase, &s.curve[i].phase)
            && before != name
        {
            let xx = n1(x(i as f64 + 0.5));
            let _ = write!(
                out,
                "<path class=\"grid\" style=\"stroke-dasharray:3 3\" d=\"M{xx} {t}V{}\"/><text class=\"lbl\" x=\"{xx}\" y=\"{}\" dx=\"3\">{}</text>",
                n1(h - b),
                n1(t + 10.0),
                escape(name)
            );
        }
    }
    if let Some(first) = s.curve.first().and_then(|c| c.phase.as_ref()) {
        let _ = write!(
            out,
            "<text class=\"lbl\" x=\"{}\" y=\"{}\" dx=\"3\">{}</text>",
            n1(x(0.5)),
            n1(t + 10.0),
            escape(first)
        );
    }
    // Curve from the existing blocks' coverage.
    let mut pts = vec![(0.0, share(s.locked_in))];
    pts.extend(
        s.curve
            .iter()
            .enumerate()
            .map(|(i, c)| ((i + 1) as f64, share(c.cumulative))),
    );
    let mut d = String::new();
    for (i, (a, v)) in pts.iter().enumerate() {
        let _ = write!(d, "{}{} {}", if i == 0 { "M" } else { "L" }, n1(x(*a)), n1(y(*v)));
    }
    let _ = write!(out, "<path class=\"curve\" d=\"{d}\"/>");
    let _ = write!(
        out,
        "<circle class=\"pt0\" cx=\"{}\" cy=\"{}\" r=\"4\"><title>{}</title></circle>",
        n1(x(0.0)),
        n1(y(share(s.locked_in))),
        lang.fmt("report.chart.existing_only", &share_arg(s.locked_in / total))
    );
    for (i, c) in s.curve.iter().enumerate() {
        let _ = write!(
            out,
            "<circle class=\"pt\" cx=\"{}\" cy=\"{}\" r=\"3.5\"><title>{}. {}: {}</title></circle>",
            n1(x((i + 1) as f64)),
            n1(y(share(c.cumulative))),
            c.rank,
            escape(&site_name(&c.id, c.label.as_deref())),
            pct(Some(c.cumulative / total), 1)
        );
    }
    if let Some(last) = pts.last() {
        let _ = write!(
            out,
            "<text class=\"lbl\" x=\"{}\" y=\"{}\" dy=\"15\">{}</text>",
            n1(w - rt + 6.0),
            n1(y(last.1)),
            lang.fmt(
                "report.chart.with_blocks",
                &[
                    ("n", Arg::from(s.curve.len())),
                    ("share", Arg::from(pct(Some(last.1 / 100.0), 1)))
                ]
            )
        );
    }
    out.push_str("</svg>");
}

/// Truncates a label to `max` characters, with an ellipsis.
pub(super) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// The top areas with their Monte Carlo rank bands (dot and whisker).
pub(super) fn top_svg(out: &mut String, r: &HtmlReport) {
    let lang = r.lang;
    let num = |v: Option<f64>, d: usize| num_in(lang, v, d);
    let kind = escape(&kind_word(lang, &r.area_kind));
    let mut order: Vec<&HtmlArea> = r.areas.iter().filter(|a| a.rank.is_some()).collect();
    order.sort_by_key(|a| (a.rank, a.id.clone()));
    let ranked = order.len();
    order.truncate(r.top.max(1));
    if order.is_empty() {
        let _ = write!(out, "<p>{}</p>", lang.t("report.chart.nothing_ranked"));
        return;
    }
    let max_rank = order
        .iter()
        .filter_map(|a| a.rank_p95)
        .chain(order.iter().filter_map(|a| a.rank.map(f64::from)))
        .fold(1.0, f64::max);
    let row = 24.0;
    let (w, l, rt, t) = (1000.0, 290.0, 150.0, 38.0);
    let h = t + row * order.len() as f64 + 36.0;
    let (step, xmax) = ticks(max_rank, 8);
    let x = |v: f64| l + (v - 1.0).max(0.0) / (xmax - 1.0).max(1.0) * (w - l - rt);
    let _ = write!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {w} {}\" width=\"{w}\" height=\"{}\" role=\"img\" aria-label=\"{}\">",
        n1(h),
        n1(h),
        lang.fmt("report.chart.top_label", &[("kind", Arg::from(&kind))])
    );
    let _ = write!(
        out,
        "<text class=\"hd\" x=\"{}\" y=\"14\">{}</text><text class=\"hd\" x=\"{}\" y=\"14\" text-anchor=\"end\">{}</text><text class=\"hd\" x=\"{}\" y=\"14\" text-anchor=\"end\">{}</text>",
        0,
        kind,
        n1(w - rt + 44.0),
        lang.t("report.chart.index"),
        n1(w - 4.0),
        lang.t("report.chart.p_top")
    );
    let bottom = t + row * order.len() as f64;
    let mut v = 1.0;
    let mut first = true;
    while v <= xmax + 1e-9 {
        let xx = n1(x(v));
        let _ = write!(
            out,
            "<path class=\"grid\" d=\"M{xx} {}V{}\"/><text class=\"xt\" x=\"{xx}\" y=\"{}\">{}</text>",
            n1(t - 6.0),
            n1(bottom),
            n1(bottom + 16.0),
            num(Some(v), 0)
        );
        v = if first { step } else { v + step };
        first = false;
    }
    let _ = write!(
        out,
        "<text class=\"xl\" x=\"{}\" y=\"{}\">{}</text>",
        n1((l + w - rt) / 2.0),
        n1(bottom + 32.0),
        lang.fmt(
            "report.chart.rank_axis",
            &[("ranked", Arg::from(ranked)), ("kind", Arg::from(&kind))]
        )
    );
    for (i, a) in order.iter().enumerate() {
        let cy = t + row * (i as f64 + 0.5);
        let yy = n1(cy);
        let name = area_name(a);
        let rank = a.rank.unwrap_or(0);
        let interval = match (a.rank_p05, a.rank_p95) {
            (Some(lo), Some(hi)) => lang.fmt(
                "report.chart.interval_tip",
                &[
                    ("median", Arg::from(num(a.rank_median, 0))),
                    ("lo", Arg::from(num(Some(lo), 0))),
                    ("hi", Arg::from(num(Some(hi), 0))),
                ],
            ),
            _ => String::new(),
        };
        let _ = write!(
            out,
            "<g><title>{}</title>",
            escape(&lang.fmt(
                "report.chart.rank_tip",
                &[
                    ("name", Arg::from(&name)),
                    ("rank", Arg::from(rank)),
                    ("interval", Arg::from(interval))
                ]
            ))
        );
        if i % 2 == 0 {
            let _ = write!(
                out,
                "<rect class=\"band\" x=\"0\" y=\"{}\" width=\"{w}\" height=\"{row}\"/>",
                n1(cy - row / 2.0)
            );
        }
        let _ = write!(
            out,
            "<text class=\"nm\" x=\"0\" y=\"{yy}\" dy=\"4\">{}. {}</text>",
            rank,
            escape(&truncate(&name, 40))
        );
        if let (Some(lo), Some(hi)) = (a.rank_p05, a.rank_p95) {
            let _ = write!(
                out,
                "<path class=\"wh\" d=\"M{} {yy}H{}M{} {}v10M{} {}v10\"/>",
                n1(x(lo)),
                n1(x(hi)),
                n1(x(lo)),
                n1(cy - 5.0),
                n1(x(hi)),
                n1(cy - 5.0)
            );
        }
        if let Some(m) = a.rank_median {
            let _ = write!(
                out,
                "<circle class=\"med\" cx=\"{}\" cy=\"{yy}\" r=\"4.5\"/>",
                n1(x(m))
            );
        }
        let rx = x(f64::from(rank));
        let _ = write!(
            out,
            "<path class=\"ref\" d=\"M{} {}l4.5 4.5-4.5 4.5-4.5-4.5z\"/>",
            n1(rx),
            n1(cy - 4.5)
        );
        let _ = write!(
            out,
            "<text class=\"v\" x=\"{}\" y=\"{yy}\" dy=\"4\">{}</text><text class=\"v\" x=\"{}\" y=\"{yy}\" dy=\"4\">{}</text></g>",
            n1(w - rt + 44.0),
            num(a.index, 1),
            n1(w - 4.0),
            pct_in(lang, a.p_top_class, 0)
        );
    }
    out.push_str("</svg>");
}

/// The axes of a chart `w` × `h` with margins left `l`, top `t`, right `rt`, bottom `b`, and
/// their titles (the text is escaped by the caller's catalogue: templates hold no markup here).
pub(crate) fn axes(
    out: &mut String,
    (w, h, l, t, rt, b): (f64, f64, f64, f64, f64, f64),
    x_title: &str,
    y_title: &str,
) {
    let _ = write!(
        out,
        "<path class=\"axis\" d=\"M{l} {t}V{}H{}\"/><text class=\"xl\" x=\"{}\" y=\"{}\">{}</text><text class=\"yl\" transform=\"translate(14 {}) rotate(-90)\">{}</text>",
        n1(h - b),
        n1(w - rt),
        n1((l + w - rt) / 2.0),
        n1(h - 6.0),
        x_title,
        n1((t + h - b) / 2.0),
        y_title
    );
}
