//! `careblock run METHOD.toml`: the pipeline (read → validate → project → index → siting) with
//! a spinner per stage, then every output written by careblock-report, then the summary on the
//! terminal. Nothing is written until everything has been computed.

use std::path::Path;

use anyhow::{Context, Result};
use careblock_index::{Assessment, Level};
use careblock_io::{method_inputs, read_method};
use careblock_pipeline::{self as pipeline, LoadOptions};
use careblock_report::{FormatRequest, write_outputs};
use careblock_siting::plan::{PlacedBy, Plan, SiteStatus, Tier};
use careblock_text::{Arg, Lang, Msg, fixed, key, msg};

use crate::args::RunArgs;
use crate::progress::Stages;

pub fn run(a: &RunArgs, quiet: bool) -> Result<()> {
    let mut stages = Stages::new(quiet);
    // A bad --format is refused before anything is read.
    let formats = FormatRequest::parse(&a.format).map_err(anyhow::Error::msg)?;
    let mut method = read_method(&a.method)?;
    // --lang overrides the method's language for everything this run writes for people.
    if let Some(lang) = a.lang {
        method.spec.lang = lang;
    }
    let lang = method.spec.lang;
    stages.lang = lang;
    let base = a.method.parent().unwrap_or(Path::new(""));
    let options = LoadOptions {
        fix_invalid: a.fix_invalid,
    };
    // The inputs' checksums (for run.json) are computed while they are read: a missing or
    // unreadable input is still reported as the checksums' error, before the run's.
    let for_checksums = method.clone();
    let (input_files, run) = rayon::join(
        || method_inputs(&for_checksums, &a.method, base),
        || match &a.region {
            None => pipeline::run(method, base, &options, &mut stages).map_err(anyhow::Error::from),
            Some(region) => crate::regions::run_one(method, base, &options, region, &mut stages),
        },
    );
    let input_files = input_files?;
    let mut run = run?;
    // Nothing after the writing reads the inputs or the units' indicator columns: what no
    // output needs is released first.
    careblock_report::release_for_writing(&mut run, &formats)?;
    // ... and handed back before the writers allocate (crate::memory::release_freed).
    crate::memory::release_freed();
    let written = stages.run("write", lang.t("run.stage_write"), || {
        write_outputs(&run, &a.out, &input_files, &formats)
    })?;
    // Wall times change from run to run: they go to their own file and the terminal, so that
    // run.json and every layer stay byte-identical for the same inputs.
    let timings = serde_json::to_string_pretty(&stages.json()).context("serialising the timings")?;
    careblock_io::write_text(&a.out.join("timings.json"), &timings)?;
    if !quiet {
        print!(
            "{}",
            summary(&run.assessment, &run.inputs.units.ids, &run.inputs.notes, lang)
        );
        if let Some(p) = &run.plan {
            print!("{}", siting_summary(p, lang));
        }
        println!(
            "{}",
            lang.fmt("run.timings", &[("stages", Arg::Text(stages.line()))])
        );
        println!(
            "{}",
            lang.fmt("run.wrote", &[("dir", Arg::Text(a.out.display().to_string()))])
        );
        for w in &written {
            println!(
                "  {}: {} ({})",
                w.layer,
                w.files().join(", "),
                lang.render(&w.reason)
            );
        }
        let open = |f: &str| {
            a.out
                .join(f)
                .is_file()
                .then(|| a.out.join(f).display().to_string())
        };
        if let Some(page) = open("report.html") {
            println!("  {}", lang.fmt("run.open_browser", &[("path", Arg::Text(page))]));
        }
        if let Some(project) = open("careblock.qgs") {
            println!("  {}", lang.fmt("run.open_qgis", &[("path", Arg::Text(project))]));
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
    // The process ends here: its memory goes back to the system whole, without freeing a
    // national run's millions of geometries one by one (0.03–0.05 s at 500k units).
    std::mem::forget(run);
    Ok(())
}

fn siting_summary(p: &Plan, lang: Lang) -> String {
    let b = &p.blocks;
    let pct = |v: f64| {
        fixed(
            if b.total_demand > 0.0 {
                100.0 * v / b.total_demand
            } else {
                0.0
            },
            1,
        )
    };
    let line = |m: Msg| format!("{}\n", lang.render(&m));
    let mut s = line(msg!(
        "run.siting",
        radius = p.radius,
        existing = pct(b.locked_in),
        proposed = p
            .sites
            .iter()
            .filter(|s| s.status == SiteStatus::Proposed)
            .count(),
        covered = pct(b.objective),
        bound = pct(b.bound),
        gap = fixed(100.0 * b.gap, 3),
        optimal = if b.optimal {
            key("run.optimal")
        } else {
            Arg::Text(String::new())
        },
    ));
    for site in p
        .sites
        .iter()
        .filter(|s| s.status == SiteStatus::Proposed)
        .take(5)
    {
        s.push_str(&line(msg!(
            "run.site",
            rank = format!("{:>3}", site.rank.unwrap_or(0)),
            kind = &site.kind,
            id = &site.id,
            label = site.label.as_deref().unwrap_or("-"),
            gain = pct(site.marginal_gain),
            placed_by = match (&p.equity, site.placed_by) {
                (Some(_), Some(PlacedBy::Equity)) => key("run.placed_by_equity"),
                (Some(_), Some(PlacedBy::Coverage)) => key("run.placed_by_coverage"),
                _ => Arg::Text(String::new()),
            },
        )));
    }
    if let Some(e) = &p.equity {
        let by_rule = p
            .sites
            .iter()
            .filter(|s| s.placed_by == Some(PlacedBy::Equity))
            .count();
        let short: Vec<&str> = e
            .districts
            .iter()
            .filter(|d| d.short.is_some())
            .map(|d| d.id.as_str())
            .collect();
        let cost = e.without.objective - b.objective;
        s.push_str(&line(msg!(
            "run.equity",
            layer = &e.layer,
            min = e.min,
            need = match e.min_if_need_above {
                Some(t) => msg!("run.equity_need", threshold = t).into(),
                None => Arg::Text(String::new()),
            },
            max = match e.max {
                Some(m) => msg!("run.equity_max", max = m).into(),
                None => Arg::Text(String::new()),
            },
            by_rule = by_rule,
            with_rule = pct(b.objective),
            without_rule = pct(e.without.objective),
            cost = fixed(
                if b.total_demand > 0.0 {
                    100.0 * cost / b.total_demand
                } else {
                    0.0
                },
                2
            ),
            cost_share = fixed(
                if e.without.objective > 0.0 {
                    100.0 * cost / e.without.objective
                } else {
                    0.0
                },
                2
            ),
            short = if short.is_empty() {
                Arg::Text(String::new())
            } else {
                msg!("run.equity_short", districts = short.join(", ")).into()
            },
        )));
    }
    if let Some(c) = &p.capacity {
        s.push_str(&line(msg!(
            "run.capacity",
            capacity = fixed(c.capacity, 0),
            reach = pct(c.within_reach),
            assigned = pct(c.assigned),
            before = pct(c.assigned_before),
        )));
    }
    if let Some(bus) = &p.bus {
        s.push_str(&line(msg!(
            "run.buses",
            stops = p.sites.iter().filter(|s| s.status == SiteStatus::Bus).count(),
            covered = fixed(
                if bus.total_demand > 0.0 {
                    100.0 * bus.objective / bus.total_demand
                } else {
                    0.0
                },
                1
            ),
            home = p.uncovered.iter().filter(|u| u.tier == Tier::HomeCare).count(),
        )));
    }
    if let Some(n) = &p.network {
        s.push_str(&line(msg!(
            "run.walking",
            radius = p.radius,
            network = pct(n.covered_network),
            circles = pct(n.covered_euclidean),
        )));
        // The districts where walking changes coverage most.
        let mut d: Vec<&(String, f64, f64, f64)> = n.districts.iter().filter(|x| x.1 > 0.0).collect();
        d.sort_by(|a, b| {
            ((b.3 - b.2) / b.1)
                .total_cmp(&((a.3 - a.2) / a.1))
                .then(a.0.cmp(&b.0))
        });
        for (id, dem, net, eu) in d.into_iter().take(5).filter(|x| x.3 > x.2) {
            s.push_str(&line(msg!(
                "run.walking_district",
                id = id,
                network = fixed(100.0 * net / dem, 1),
                circles = fixed(100.0 * eu / dem, 1),
            )));
        }
    }
    for n in &p.notes {
        s.push_str(&line(msg!("run.note", note = n.clone())));
    }
    s
}

/// The terminal's summary of the index: the first five units and districts, the conservation of
/// the counts and the notes. `unit_ids` are the units layer's (the units' level may have given
/// its own to the output table).
fn summary(r: &Assessment, unit_ids: &[String], input_notes: &[Msg], lang: Lang) -> String {
    let mut s = String::new();
    let line = |m: Msg| format!("{}\n", lang.render(&m));
    let top = |l: &Level, ids: &[String], what: &'static str, s: &mut String| {
        let mut order: Vec<usize> = (0..l.len()).filter(|&i| l.scores.rank[i].is_some()).collect();
        let ranked = order.len();
        // The first five by rank (ties in row order), without sorting a national layer whole.
        let by_rank = |&i: &usize| (l.scores.rank[i], i);
        if order.len() > 5 {
            order.select_nth_unstable_by_key(4, by_rank);
            order.truncate(5);
        }
        order.sort_unstable_by_key(by_rank);
        s.push_str(&line(msg!(
            "run.top",
            what = key(what),
            ranked = ranked,
            of = l.len(),
        )));
        for &i in order.iter().take(5) {
            let interval = l
                .uncertainty
                .as_ref()
                .and_then(|u| {
                    Some(Arg::from(msg!(
                        "run.top_interval",
                        low = fixed(u.p05_rank[i]?, 0),
                        high = fixed(u.p95_rank[i]?, 0),
                    )))
                })
                .unwrap_or(Arg::Text(String::new()));
            s.push_str(&line(msg!(
                "run.top_row",
                rank = format!("{:>3}", l.scores.rank[i].unwrap_or(0)),
                id = &ids[i],
                index = fixed(l.scores.index[i].unwrap_or(f64::NAN), 1),
                interval = interval,
            )));
        }
    };
    top(&r.units, unit_ids, "run.units", &mut s);
    if let Some(d) = &r.districts {
        top(d, &d.ids, "run.districts", &mut s);
    }
    let worst = r
        .conservation
        .iter()
        .map(|(_, b)| b.relative_error())
        .fold(0.0_f64, f64::max);
    if !r.conservation.is_empty() {
        s.push_str(&line(msg!(
            "run.conservation",
            n = r.conservation.len(),
            error = lang.sci(worst, 1),
        )));
    }
    for n in input_notes.iter().chain(&r.notes) {
        s.push_str(&line(msg!("run.note", note = n.clone())));
    }
    s
}
