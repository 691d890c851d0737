//! The siting section: the optimum and its bound, the sites table, the district KPIs.

use std::fmt::Write as _;

use careblock_text::{Arg, Lang, key};

use super::charts::curve_svg;
use super::format::{num_in, pct_in, site_name};
use super::model::{HtmlSite, HtmlSiteKind, HtmlSiting, escape};

pub(super) fn siting_section(out: &mut String, lang: Lang, s: &HtmlSiting, sites: &[HtmlSite]) {
    let num = |v: Option<f64>, d: usize| num_in(lang, v, d);
    let pct = |v: Option<f64>, d: usize| pct_in(lang, v, d);
    let t = |k: &'static str| lang.t(k).to_string();
    let value_share = |v: f64, share: Option<f64>| {
        lang.fmt(
            "report.siting.value_share",
            &[
                ("value", Arg::from(num(Some(v), 0))),
                ("share", Arg::from(pct(share, 1))),
            ],
        )
    };
    let n = |kind| sites.iter().filter(|s| s.kind == kind).count();
    let share = |v: f64| {
        if s.total_demand > 0.0 {
            Some(v / s.total_demand)
        } else {
            None
        }
    };
    let _ = write!(
        out,
        "<section><h2>{}</h2><div class=\"cols\"><table class=\"kv\">",
        lang.t("report.siting_heading")
    );
    // Capacitated: the objective is demand assigned within the blocks' capacities.
    let served = [(
        "served",
        if s.capacity.is_some() {
            key("report.siting.assigned")
        } else {
            key("report.siting.covered")
        },
    )];
    let mut rows: Vec<(String, String)> = vec![
        (
            t("report.siting.radius"),
            lang.fmt(
                "report.siting.metres",
                &[("metres", Arg::from(num(Some(s.radius), 0)))],
            ),
        ),
        (t("report.siting.existing"), n(HtmlSiteKind::Existing).to_string()),
        (t("report.siting.proposed"), n(HtmlSiteKind::Proposed).to_string()),
        (t("report.siting.bus"), n(HtmlSiteKind::Bus).to_string()),
        (
            lang.fmt("report.siting.before", &served),
            value_share(s.locked_in, share(s.locked_in)),
        ),
        (
            lang.fmt("report.siting.objective", &served),
            value_share(s.objective, share(s.objective)),
        ),
        (t("report.siting.bound"), value_share(s.bound, share(s.bound))),
        (
            t("report.siting.gap"),
            format!(
                "{}{}",
                pct(Some(s.gap), 3),
                if s.optimal {
                    lang.t("report.siting.optimal")
                } else {
                    ""
                }
            ),
        ),
        (t("report.siting.total"), num(Some(s.total_demand), 0)),
    ];
    if let Some(c) = &s.capacity {
        rows.push((t("report.siting.capacity"), num(Some(c.capacity), 0)));
        rows.push((
            t("report.siting.within_reach"),
            value_share(c.within_reach, share(c.within_reach)),
        ));
        if let Some(g) = c.gap_asked {
            rows.push((t("report.siting.gap_asked"), pct(Some(g), 2)));
        }
    }
    for (k, v) in rows {
        let _ = write!(
            out,
            "<tr><th>{}</th><td class=\"n\">{}</td></tr>",
            escape(&k),
            escape(&v)
        );
    }
    if let Some(b) = s.bus_share {
        let _ = write!(
            out,
            "<tr><th>{}</th><td class=\"n\">{}</td></tr>",
            lang.t("report.siting.bus_share"),
            pct(Some(b), 1)
        );
    }
    let _ = write!(
        out,
        "<tr><th>{}</th><td class=\"n\">{}</td></tr></table>",
        lang.t("report.siting.home_care"),
        s.home_care_units
    );
    if !s.kpis.is_empty() {
        let _ = write!(
            out,
            "<table class=\"data\"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            lang.t("report.siting.kpi_heading"),
            lang.t("report.siting.kpi_before"),
            lang.t("report.siting.kpi_after")
        );
        for k in &s.kpis {
            let _ = write!(
                out,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(&k.name),
                pct(k.before, 1),
                pct(k.after, 1)
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</div>");
    let _ = write!(
        out,
        "<h3>{}</h3><p class=\"small\">{}</p>",
        lang.t("report.siting.curve_heading"),
        lang.t("report.siting.curve_note")
    );
    curve_svg(out, lang, s);
    let phased = s.curve.iter().any(|c| c.phase.is_some());
    let capacitated = s.curve.iter().any(|c| c.capacity.is_some());
    if !s.curve.is_empty() {
        let th = |out: &mut String, k: &'static str| {
            let _ = write!(out, "<th>{}</th>", lang.t(k));
        };
        out.push_str("<table class=\"data\"><thead><tr>");
        th(out, "report.siting.col_rank");
        if phased {
            th(out, "report.siting.col_phase");
        }
        th(out, "report.siting.col_block");
        th(out, "report.siting.col_kind");
        th(out, "report.siting.col_gain");
        th(out, "report.siting.col_cumulative");
        if capacitated {
            th(out, "report.siting.col_capacity");
            th(out, "report.siting.col_load");
        }
        out.push_str("</tr></thead><tbody>");
        let mut previous = s.locked_in;
        for c in &s.curve {
            let category = sites
                .iter()
                .find(|x| x.kind == HtmlSiteKind::Proposed && x.rank == Some(c.rank))
                .map(|x| x.category.as_str())
                .unwrap_or("");
            let load = match c.capacity {
                Some((cap, load)) => format!(
                    "<td class=\"n\">{}</td><td class=\"n\">{} ({})</td>",
                    num(Some(cap), 0),
                    num(Some(load), 0),
                    pct((cap > 0.0).then(|| load / cap), 0)
                ),
                None if capacitated => "<td></td><td></td>".to_string(),
                None => String::new(),
            };
            let _ = write!(
                out,
                "<tr><td class=\"n\">{}</td>{}<td>{}</td><td>{}</td><td class=\"n\">+{}</td><td class=\"n\">{}</td>{load}</tr>",
                c.rank,
                if phased {
                    format!("<td>{}</td>", escape(c.phase.as_deref().unwrap_or("")))
                } else {
                    String::new()
                },
                escape(&site_name(&c.id, c.label.as_deref())),
                escape(category),
                pct(share(c.cumulative - previous), 1),
                pct(share(c.cumulative), 1)
            );
            previous = c.cumulative;
        }
        out.push_str("</tbody></table>");
    }
    if let Some(r) = &s.robust {
        robust_table(out, lang, r);
    }
    out.push_str("</section>");
}

/// How many candidates the robust siting's table lists.
const ROBUST_ROWS: usize = 30;

/// The robust siting: the candidates most often chosen over the index's draws.
fn robust_table(out: &mut String, lang: Lang, r: &super::model::HtmlRobust) {
    let _ = write!(
        out,
        "<h3>{}</h3><p class=\"small\">{}</p>",
        lang.t("report.siting.robust_heading"),
        lang.fmt("report.siting.robust_note", &[("draws", Arg::from(r.draws))])
    );
    let _ = write!(
        out,
        "<table class=\"data\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        lang.t("report.siting.col_site"),
        lang.t("report.siting.col_kind"),
        lang.t("report.siting.col_frequency"),
        lang.t("report.siting.col_mean_rank"),
        lang.t("report.siting.col_in_plan")
    );
    for c in r.candidates.iter().take(ROBUST_ROWS) {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            escape(&site_name(&c.id, c.label.as_deref())),
            escape(&c.kind),
            pct_in(lang, Some(c.frequency), 0),
            num_in(lang, c.mean_rank, 1),
            if c.in_plan {
                lang.t("report.siting.yes")
            } else {
                lang.t("report.siting.no")
            }
        );
    }
    out.push_str("</tbody></table>");
}
