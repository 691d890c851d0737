//! `careblock run METHOD.toml`: the pipeline (read → validate → project → index → siting) with
//! a spinner per stage, then every output written by careblock-report, then the summary on the
//! terminal. Nothing is written until everything has been computed.

use std::path::Path;

use anyhow::{Context, Result};
use careblock_index::{Assessment, Level};
use careblock_io::{method_inputs, read_method};
use careblock_pipeline::{self as pipeline, LoadOptions};
use careblock_report::{FormatRequest, write_outputs};
use careblock_siting::plan::{Plan, SiteStatus, Tier};

use crate::args::RunArgs;
use crate::progress::Stages;

pub fn run(a: &RunArgs, quiet: bool) -> Result<()> {
    let mut stages = Stages::new(quiet);
    // A bad --format is refused before anything is read.
    let formats = FormatRequest::parse(&a.format).map_err(anyhow::Error::msg)?;
    let method = read_method(&a.method)?;
    let base = a.method.parent().unwrap_or(Path::new(""));
    let input_files = method_inputs(&method, &a.method, base)?;
    let options = LoadOptions {
        fix_invalid: a.fix_invalid,
    };
    let run = pipeline::run(method, base, &options, &mut stages)?;
    let written = stages.run("write", "writing the layers", || {
        write_outputs(&run, &a.out, &input_files, &formats)
    })?;
    // Wall times change from run to run: they go to their own file and the terminal, so that
    // run.json and every layer stay byte-identical for the same inputs.
    let timings = serde_json::to_string_pretty(&stages.json()).context("serialising the timings")?;
    careblock_io::write_text(&a.out.join("timings.json"), &timings)?;
    if !quiet {
        print!("{}", summary(&run.assessment, &run.inputs.notes));
        if let Some(p) = &run.plan {
            print!("{}", siting_summary(p));
        }
        println!("timings: {}", stages.line());
        println!("wrote {}:", a.out.display());
        for w in &written {
            println!("  {}: {} ({})", w.layer, w.files().join(", "), w.reason);
        }
        let open = |f: &str| {
            a.out
                .join(f)
                .is_file()
                .then(|| a.out.join(f).display().to_string())
        };
        if let Some(page) = open("report.html") {
            println!("  open in a browser: {page}");
        }
        if let Some(project) = open("careblock.qgs") {
            println!("  open in QGIS: {project}");
        }
    }
    if let Some(t) = run.plan.as_ref().and_then(|p| p.target.as_ref())
        && !t.reached
    {
        return Err(crate::Unreachable(format!(
            "the coverage target {:.1} % is out of reach with the candidates given: the most is {:.1} % ({} new blocks, written to {})",
            100.0 * t.share,
            if t.goal > 0.0 { 100.0 * t.share * t.best_possible / t.goal } else { 0.0 },
            t.blocks,
            a.out.display()
        ))
        .into());
    }
    Ok(())
}

fn siting_summary(p: &Plan) -> String {
    let b = &p.blocks;
    let pct = |v: f64| {
        if b.total_demand > 0.0 {
            100.0 * v / b.total_demand
        } else {
            0.0
        }
    };
    let mut s = format!(
        "siting ({} m): existing blocks cover {:.1} % of the demand; with {} proposed blocks {:.1} % (bound {:.1} %, gap {:.3} %{})\n",
        p.radius,
        pct(b.locked_in),
        p.sites
            .iter()
            .filter(|s| s.status == SiteStatus::Proposed)
            .count(),
        pct(b.objective),
        pct(b.bound),
        100.0 * b.gap,
        if b.optimal { ", optimal" } else { "" }
    );
    for site in p
        .sites
        .iter()
        .filter(|s| s.status == SiteStatus::Proposed)
        .take(5)
    {
        s.push_str(&format!(
            "  {:>3}. {} {} ({})  +{:.1} % of the demand{}\n",
            site.rank.unwrap_or(0),
            site.kind,
            site.id,
            site.label.as_deref().unwrap_or("-"),
            pct(site.marginal_gain),
            match (&p.equity, site.placed_by) {
                (Some(_), Some(b)) => format!("  [{}]", b.as_str()),
                _ => String::new(),
            }
        ));
    }
    if let Some(e) = &p.equity {
        let by_rule = p
            .sites
            .iter()
            .filter(|s| s.placed_by == Some(careblock_siting::plan::PlacedBy::Equity))
            .count();
        let short: Vec<&str> = e
            .districts
            .iter()
            .filter(|d| d.short.is_some())
            .map(|d| d.id.as_str())
            .collect();
        s.push_str(&format!(
            "equity ({}: at least {}{} block(s) per district{}): {by_rule} block(s) placed by the rule; covered demand {:.1} % with the rule, {:.1} % without (cost {:.2} % of the demand, {:.2} % of the coverage without the rule){}\n",
            e.layer,
            e.min,
            e.min_if_need_above.map(|t| format!(" where the need exceeds {t}")).unwrap_or_default(),
            e.max.map(|m| format!(", at most {m}")).unwrap_or_default(),
            pct(b.objective),
            pct(e.without.objective),
            pct(e.without.objective - b.objective),
            if e.without.objective > 0.0 { 100.0 * (e.without.objective - b.objective) / e.without.objective } else { 0.0 },
            if short.is_empty() { String::new() } else { format!("; below the minimum: {}", short.join(", ")) }
        ));
    }
    if let Some(c) = &p.capacity {
        s.push_str(&format!(
            "capacity: the open blocks can serve {:.0} persons of demand; {:.1} % of the demand is within their reach, {:.1} % assigned (existing blocks alone: {:.1} %)\n",
            c.capacity,
            pct(c.within_reach),
            pct(c.assigned),
            pct(c.assigned_before)
        ));
    }
    if let Some(bus) = &p.bus {
        s.push_str(&format!(
            "care buses: {} stops cover {:.1} % of the sparse uncovered high-priority demand; {} unit(s) left for home care\n",
            p.sites.iter().filter(|s| s.status == SiteStatus::Bus).count(),
            if bus.total_demand > 0.0 { 100.0 * bus.objective / bus.total_demand } else { 0.0 },
            p.uncovered.iter().filter(|u| u.tier == Tier::HomeCare).count()
        ));
    }
    if let Some(n) = &p.network {
        s.push_str(&format!(
            "walking vs circles ({} m, same sites): covered demand {:.1} % on the streets, {:.1} % with circles\n",
            p.radius,
            pct(n.covered_network),
            pct(n.covered_euclidean)
        ));
        // The districts where walking changes coverage most.
        let mut d: Vec<&(String, f64, f64, f64)> = n.districts.iter().filter(|x| x.1 > 0.0).collect();
        d.sort_by(|a, b| {
            ((b.3 - b.2) / b.1)
                .total_cmp(&((a.3 - a.2) / a.1))
                .then(a.0.cmp(&b.0))
        });
        for (id, dem, net, eu) in d.into_iter().take(5).filter(|x| x.3 > x.2) {
            s.push_str(&format!(
                "  {id}: {:.1} % walking, {:.1} % with circles\n",
                100.0 * net / dem,
                100.0 * eu / dem
            ));
        }
    }
    for n in &p.notes {
        s.push_str(&format!("note: {n}\n"));
    }
    s
}

fn summary(r: &Assessment, input_notes: &[String]) -> String {
    let mut s = String::new();
    let top = |l: &Level, what: &str, s: &mut String| {
        let mut order: Vec<usize> = (0..l.ids.len()).filter(|&i| l.scores.rank[i].is_some()).collect();
        order.sort_by_key(|&i| l.scores.rank[i]);
        s.push_str(&format!(
            "{what}: {} ranked of {}; highest need:\n",
            order.len(),
            l.ids.len()
        ));
        for &i in order.iter().take(5) {
            let interval = l
                .uncertainty
                .as_ref()
                .and_then(|u| {
                    Some(format!(
                        " (Monte Carlo 5–95%: {:.0}–{:.0})",
                        u.p05_rank[i]?, u.p95_rank[i]?
                    ))
                })
                .unwrap_or_default();
            s.push_str(&format!(
                "  {:>3}. {}  index {:.1}{}\n",
                l.scores.rank[i].unwrap_or(0),
                l.ids[i],
                l.scores.index[i].unwrap_or(f64::NAN),
                interval
            ));
        }
    };
    top(&r.units, "units", &mut s);
    if let Some(d) = &r.districts {
        top(d, "districts", &mut s);
    }
    let worst = r
        .conservation
        .iter()
        .map(|(_, b)| b.relative_error())
        .fold(0.0_f64, f64::max);
    if !r.conservation.is_empty() {
        s.push_str(&format!(
            "conservation: {} counts summed to districts, largest relative error {worst:.1e}\n",
            r.conservation.len()
        ));
    }
    for n in input_notes.iter().chain(&r.notes) {
        s.push_str(&format!("note: {n}\n"));
    }
    s
}
