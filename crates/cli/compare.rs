//! `careblock compare A B [--out DIR]`: reads two run output folders, prints what changed and,
//! with `--out`, writes the comparison's tables and page (`careblock_report::compare`). The
//! summary and the page are in `--lang`, else the second run's language (its `run.json`), else
//! English; the errors are in English.

use anyhow::Result;
use careblock_report::compare::{
    AreaChange, Comparison, Coverage, LevelComparison, MethodDifference, RunOutput, SiteChange, compare,
    write_comparison,
};
use careblock_text::{Arg, Lang};

use crate::args::CompareArgs;

pub fn run(a: &CompareArgs, quiet: bool) -> Result<()> {
    let first = RunOutput::read(&a.a)?;
    let second = RunOutput::read(&a.b)?;
    let lang = a.lang.or_else(|| second.lang()).unwrap_or_default();
    let c = compare(&first, &second)?;
    // Every file is rendered before any is written: an error leaves nothing behind.
    let files = match &a.out {
        Some(_) => Some(c.files(lang)?),
        None => None,
    };
    if !quiet {
        print!("{}", summary(&c, lang));
    }
    if let (Some(dir), Some(files)) = (&a.out, files) {
        let names: Vec<&str> = files.iter().map(|f| f.name()).collect();
        let line = lang.fmt(
            "compare.term.wrote",
            &[
                ("dir", Arg::from(dir.display().to_string())),
                ("files", Arg::from(names.join(", "))),
            ],
        );
        write_comparison(dir, files)?;
        if !quiet {
            println!("{line}");
        }
    } else if !quiet {
        println!("{}", lang.t("compare.term.hint_out"));
    }
    Ok(())
}

/// A share as a percentage with one decimal ("40.5 %", "40,5 %"), or "–".
fn pct(lang: Lang, v: Option<f64>) -> String {
    v.map(|v| format!("{} %", lang.fixed(100.0 * v, 1)))
        .unwrap_or_else(|| "–".into())
}

fn name(a: &AreaChange) -> String {
    match &a.label {
        Some(l) if !l.is_empty() => format!("{} ({l})", a.id),
        _ => a.id.clone(),
    }
}

/// A rank or class as it is ("3"; a tie's "2.5" with the language's separator), or "–".
fn whole(lang: Lang, v: Option<f64>) -> String {
    v.map(|x| lang.num(x)).unwrap_or_else(|| "–".into())
}

fn level_lines(s: &mut String, lang: Lang, l: &LevelComparison) {
    let fixed = |v: Option<f64>, d: usize| v.map(|v| lang.fixed(v, d)).unwrap_or_else(|| "–".into());
    s.push_str(&lang.fmt(
        "compare.term.level",
        &[
            ("level", Arg::from(l.noun(lang))),
            ("changed", Arg::from(l.rank_changed)),
            ("both", Arg::from(l.ranked_both)),
            ("mean", Arg::from(fixed(l.mean_abs_rank_change, 1))),
            ("rho", Arg::from(fixed(l.spearman, 3))),
            ("class_changed", Arg::from(l.class_changed)),
        ],
    ));
    if l.ranked_one > 0 {
        s.push_str(&lang.fmt("compare.term.ranked_one", &[("n", Arg::from(l.ranked_one))]));
    }
    s.push('\n');
    let moved = l
        .changes
        .iter()
        .filter(|a| a.rank_change().is_some_and(|d| d != 0.0));
    for a in moved.take(5) {
        let d = a.rank_change().unwrap_or(0.0);
        let n = [("n", Arg::from(lang.num(d.abs())))];
        let movement = if d < 0.0 {
            lang.fmt("compare.term.rose", &n)
        } else {
            lang.fmt("compare.term.fell", &n)
        };
        s.push_str(&lang.fmt(
            "compare.term.moved",
            &[
                ("name", Arg::from(name(a))),
                ("a", Arg::from(whole(lang, a.rank[0]))),
                ("b", Arg::from(whole(lang, a.rank[1]))),
                ("movement", Arg::from(movement)),
                ("class_a", Arg::from(whole(lang, a.class[0]))),
                ("class_b", Arg::from(whole(lang, a.class[1]))),
            ],
        ));
        s.push('\n');
    }
}

fn coverage_line(s: &mut String, lang: Lang, what: &str, c: &[Option<Coverage>; 2]) {
    if c[0].is_none() && c[1].is_none() {
        return;
    }
    let get = |i: usize, f: fn(&Coverage) -> Option<f64>| pct(lang, c[i].as_ref().and_then(f));
    s.push_str(&lang.fmt(
        "compare.term.coverage",
        &[
            ("what", Arg::from(what)),
            ("before_a", Arg::from(get(0, |x| x.before))),
            ("before_b", Arg::from(get(1, |x| x.before))),
            ("after_a", Arg::from(get(0, |x| x.after))),
            ("after_b", Arg::from(get(1, |x| x.after))),
        ],
    ));
    s.push('\n');
}

/// The terminal summary, in `lang`.
fn summary(c: &Comparison, lang: Lang) -> String {
    let mut s = lang.fmt(
        "compare.term.comparing",
        &[("a", Arg::from(&c.dirs[0])), ("b", Arg::from(&c.dirs[1]))],
    );
    s.push('\n');
    if c.method.is_empty() {
        s.push_str(lang.t("compare.term.method_same"));
    } else {
        s.push_str(&lang.fmt(
            "compare.term.method_differences",
            &[("n", Arg::from(c.method.len()))],
        ));
        for d in c.method.iter().take(10) {
            s.push_str(&format!(
                "\n    {}: {} → {}",
                d.what_in(lang),
                MethodDifference::value_in(&d.a, lang),
                MethodDifference::value_in(&d.b, lang)
            ));
        }
        if c.method.len() > 10 {
            s.push('\n');
            s.push_str(&lang.fmt(
                "compare.term.method_more",
                &[("n", Arg::from(c.method.len() - 10))],
            ));
        }
    }
    s.push('\n');
    if let Some(d) = &c.districts {
        level_lines(&mut s, lang, d);
    }
    level_lines(&mut s, lang, &c.units);
    if let Some(sites) = &c.sites {
        let count = |w: SiteChange| sites.iter().filter(|x| x.change == w).count();
        s.push_str(&lang.fmt(
            "compare.term.sites",
            &[
                ("kept", Arg::from(count(SiteChange::Kept))),
                ("added", Arg::from(count(SiteChange::Added))),
                ("removed", Arg::from(count(SiteChange::Removed))),
            ],
        ));
        s.push('\n');
    }
    coverage_line(&mut s, lang, lang.t("compare.term.blocks"), &c.blocks);
    coverage_line(&mut s, lang, lang.t("compare.term.bus"), &c.bus);
    s
}
