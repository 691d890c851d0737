//! The siting section: the optimum and its bound, the sites table, the district KPIs.

use std::fmt::Write as _;

use super::charts::curve_svg;
use super::format::{num, pct, site_name};
use super::model::{HtmlSite, HtmlSiteKind, HtmlSiting, escape};

pub(super) fn siting_section(out: &mut String, s: &HtmlSiting, sites: &[HtmlSite]) {
    let n = |kind| sites.iter().filter(|s| s.kind == kind).count();
    let share = |v: f64| {
        if s.total_demand > 0.0 {
            Some(v / s.total_demand)
        } else {
            None
        }
    };
    out.push_str("<section><h2>Siting</h2><div class=\"cols\"><table class=\"kv\">");
    // Capacitated: the objective is demand assigned within the blocks' capacities.
    let served = if s.capacity.is_some() {
        "assigned"
    } else {
        "covered"
    };
    let mut rows: Vec<(String, String)> = vec![
        ("walking radius".into(), format!("{} m", num(Some(s.radius), 0))),
        (
            "existing blocks (locked in)".into(),
            n(HtmlSiteKind::Existing).to_string(),
        ),
        ("proposed blocks".into(), n(HtmlSiteKind::Proposed).to_string()),
        ("care-bus stops".into(), n(HtmlSiteKind::Bus).to_string()),
        (
            format!("demand {served} by the existing blocks"),
            format!("{} ({})", num(Some(s.locked_in), 0), pct(share(s.locked_in), 1)),
        ),
        (
            format!("objective: demand {served} with the proposed blocks"),
            format!("{} ({})", num(Some(s.objective), 0), pct(share(s.objective), 1)),
        ),
        (
            "upper bound".into(),
            format!("{} ({})", num(Some(s.bound), 0), pct(share(s.bound), 1)),
        ),
        (
            "gap (bound − objective) / bound".into(),
            format!(
                "{}{}",
                pct(Some(s.gap), 3),
                if s.optimal { ", proven optimal" } else { "" }
            ),
        ),
        ("total demand".into(), num(Some(s.total_demand), 0)),
    ];
    if let Some(c) = &s.capacity {
        rows.push(("capacity of the open blocks".into(), num(Some(c.capacity), 0)));
        rows.push((
            "demand within their reach (capacities ignored)".into(),
            format!(
                "{} ({})",
                num(Some(c.within_reach), 0),
                pct(share(c.within_reach), 1)
            ),
        ));
        if let Some(g) = c.gap_asked {
            rows.push(("search stopped at a gap of".into(), pct(Some(g), 2)));
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
            "<tr><th>sparse uncovered high-priority demand reached by the bus stops</th><td class=\"n\">{}</td></tr>",
            pct(Some(b), 1)
        );
    }
    let _ = write!(
        out,
        "<tr><th>high-priority units left for home care</th><td class=\"n\">{}</td></tr></table>",
        s.home_care_units
    );
    if !s.kpis.is_empty() {
        out.push_str(
            "<table class=\"data\"><thead><tr><th>within reach of a care block</th><th>before</th><th>after</th></tr></thead><tbody>",
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
    out.push_str(
        "<h3>Ranking curve</h3><p class=\"small\">Share of the demand within reach as the proposed blocks open in their rank order, starting from the existing blocks' coverage; the dashed line is the certified upper bound for this number of blocks.</p>",
    );
    curve_svg(out, s);
    let phased = s.curve.iter().any(|c| c.phase.is_some());
    let capacitated = s.curve.iter().any(|c| c.capacity.is_some());
    if !s.curve.is_empty() {
        out.push_str("<table class=\"data\"><thead><tr><th>rank</th>");
        if phased {
            out.push_str("<th>phase</th>");
        }
        out.push_str(
            "<th>proposed block</th><th>kind</th><th>marginal gain</th><th>cumulative coverage</th>",
        );
        if capacitated {
            out.push_str("<th>capacity</th><th>load (utilisation)</th>");
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
        robust_table(out, r);
    }
    out.push_str("</section>");
}

/// How many candidates the robust siting's table lists.
const ROBUST_ROWS: usize = 30;

/// The robust siting: the candidates most often chosen over the index's draws.
fn robust_table(out: &mut String, r: &super::model::HtmlRobust) {
    let _ = write!(
        out,
        "<h3>Robust sites</h3><p class=\"small\">The siting repeated once for each of {} Monte Carlo draws of the index (its weights, normalisation and aggregation drawn as for the rank intervals), with each draw's need mass as the demand. Selection frequency: the share of the draws whose siting chose the site; a proposed block chosen in nearly every draw does not depend on the method's debatable choices. Every candidate is in <code>robust.csv</code>.</p>",
        r.draws
    );
    out.push_str("<table class=\"data\"><thead><tr><th>site</th><th>kind</th><th>selection frequency</th><th>mean rank when chosen</th><th>in the plan</th></tr></thead><tbody>");
    for c in r.candidates.iter().take(ROBUST_ROWS) {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            escape(&site_name(&c.id, c.label.as_deref())),
            escape(&c.kind),
            pct(Some(c.frequency), 0),
            num(c.mean_rank, 1),
            if c.in_plan { "yes" } else { "no" }
        );
    }
    out.push_str("</tbody></table>");
}
