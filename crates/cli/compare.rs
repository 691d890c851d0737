//! `careblock compare A B [--out DIR]`: reads two run output folders, prints what changed and,
//! with `--out`, writes the comparison's tables and page (`careblock_report::compare`).

use anyhow::Result;
use careblock_report::compare::{
    AreaChange, Comparison, Coverage, LevelComparison, RunOutput, SiteChange, compare, write_comparison,
};

use crate::args::CompareArgs;

pub fn run(a: &CompareArgs, quiet: bool) -> Result<()> {
    let first = RunOutput::read(&a.a)?;
    let second = RunOutput::read(&a.b)?;
    let c = compare(&first, &second)?;
    // Every file is rendered before any is written: an error leaves nothing behind.
    let files = match &a.out {
        Some(_) => Some(c.files()?),
        None => None,
    };
    if !quiet {
        print!("{}", summary(&c));
    }
    if let (Some(dir), Some(files)) = (&a.out, files) {
        let names: Vec<&str> = files.iter().map(|f| f.name()).collect();
        let line = format!("wrote {}: {}", dir.display(), names.join(", "));
        write_comparison(dir, files)?;
        if !quiet {
            println!("{line}");
        }
    } else if !quiet {
        println!("(--out DIR writes the tables, compare.json and compare.html)");
    }
    Ok(())
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.1} %", 100.0 * v))
        .unwrap_or_else(|| "–".into())
}

fn name(a: &AreaChange) -> String {
    match &a.label {
        Some(l) if !l.is_empty() => format!("{} ({l})", a.id),
        _ => a.id.clone(),
    }
}

fn whole(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_else(|| "–".into())
}

fn level_lines(s: &mut String, l: &LevelComparison) {
    s.push_str(&format!(
        "{}: {} of {} ranked in both changed rank (mean {} places, Spearman's rho {}), {} changed class",
        l.level,
        l.rank_changed,
        l.ranked_both,
        l.mean_abs_rank_change
            .map(|m| format!("{m:.1}"))
            .unwrap_or_else(|| "–".into()),
        l.spearman
            .map(|r| format!("{r:.3}"))
            .unwrap_or_else(|| "–".into()),
        l.class_changed
    ));
    if l.ranked_one > 0 {
        s.push_str(&format!(", {} ranked in one run only", l.ranked_one));
    }
    s.push('\n');
    let moved = l
        .changes
        .iter()
        .filter(|a| a.rank_change().is_some_and(|d| d != 0.0));
    for a in moved.take(5) {
        let d = a.rank_change().unwrap_or(0.0);
        s.push_str(&format!(
            "    {}  rank {} → {} ({} {}), class {} → {}\n",
            name(a),
            whole(a.rank[0]),
            whole(a.rank[1]),
            if d < 0.0 { "rose" } else { "fell" },
            d.abs(),
            whole(a.class[0]),
            whole(a.class[1])
        ));
    }
}

fn coverage_line(s: &mut String, what: &str, c: &[Option<Coverage>; 2]) {
    if c[0].is_none() && c[1].is_none() {
        return;
    }
    let get = |i: usize, f: fn(&Coverage) -> Option<f64>| pct(c[i].as_ref().and_then(f));
    s.push_str(&format!(
        "{what}: coverage by the existing {} → {}, with the proposed {} → {}\n",
        get(0, |x| x.before),
        get(1, |x| x.before),
        get(0, |x| x.after),
        get(1, |x| x.after)
    ));
}

/// The terminal summary.
fn summary(c: &Comparison) -> String {
    let mut s = format!("comparing {} (first) with {} (second)\n", c.dirs[0], c.dirs[1]);
    if c.method.is_empty() {
        s.push_str("method and inputs: the same\n");
    } else {
        s.push_str(&format!("method and inputs: {} difference(s)\n", c.method.len()));
        for d in c.method.iter().take(10) {
            s.push_str(&format!("    {}: {} → {}\n", d.what, d.a, d.b));
        }
        if c.method.len() > 10 {
            s.push_str(&format!(
                "    and {} more (method_changes.csv)\n",
                c.method.len() - 10
            ));
        }
    }
    if let Some(d) = &c.districts {
        level_lines(&mut s, d);
    }
    level_lines(&mut s, &c.units);
    if let Some(sites) = &c.sites {
        let count = |w: SiteChange| sites.iter().filter(|x| x.change == w).count();
        s.push_str(&format!(
            "sites: {} kept, {} added, {} removed\n",
            count(SiteChange::Kept),
            count(SiteChange::Added),
            count(SiteChange::Removed)
        ));
    }
    coverage_line(&mut s, "care blocks", &c.blocks);
    coverage_line(&mut s, "bus stops", &c.bus);
    s
}
