//! `careblock sweep METHOD.toml SWEEP.toml`: every scenario's method built first (an unknown
//! key or a refused override stops before anything is read), the inputs read, validated and
//! projected once, each scenario's index (the base method's when only `[siting]` changes) and
//! siting in turn, then the summary tables, `sweep.html` and each scenario's sites, written
//! together. The terminal lines and the page are in `--lang`, else the method's `lang`.

use std::path::Path;

use anyhow::{Context, Result};
use careblock_io::{InputFile, method_inputs, read_method, sha256_file, write_csv, write_text};
use careblock_method::Method;
use careblock_method::sweep::Sweep;
use careblock_pipeline::results::sites_table;
use careblock_pipeline::sweep::{
    Figures, ScenarioSummary, Sweeper, districts_table, key_values, summary_table,
};
use careblock_pipeline::{LoadOptions, load_inputs};
use careblock_report::sweep::sweep_page;
use careblock_text::{Arg, fixed};
use serde_json::json;

use crate::args::SweepArgs;
use crate::progress::Stages;

pub fn run(a: &SweepArgs, quiet: bool) -> Result<()> {
    let mut stages = Stages::new(quiet);
    let mut method = read_method(&a.method)?;
    // --lang overrides the method's language; the scenarios' methods inherit it.
    if let Some(lang) = a.lang {
        method.spec.lang = lang;
    }
    let lang = method.spec.lang;
    stages.lang = lang;
    let sweep_name = a.sweep.display().to_string();
    let text = std::fs::read_to_string(&a.sweep).with_context(|| format!("cannot read {sweep_name}"))?;
    let sweep = Sweep::from_toml(&sweep_name, &text)?;
    let keys = sweep.keys();
    let methods: Vec<Method> = sweep
        .scenarios
        .iter()
        .map(|s| s.apply(&method).map_err(anyhow::Error::from))
        .collect::<Result<_, _>>()?;
    let base = a.method.parent().unwrap_or(Path::new(""));
    let files = method_inputs(&method, &a.method, base)?;
    let options = LoadOptions {
        fix_invalid: a.fix_invalid,
    };
    let inputs = stages.run("read_validate_project", lang.t("sweep.stage_read"), || {
        load_inputs(&method, base, &options)
    })?;
    let mut sweeper = Sweeper::new(&method, &inputs)?;
    let mut rows = Vec::with_capacity(methods.len());
    let mut sites = Vec::with_capacity(methods.len());
    let total = methods.len();
    let label = lang.fmt("sweep.stage_scenarios", &[("n", Arg::from(total))]);
    stages.run("scenarios", &label, || -> Result<()> {
        for (i, (scenario, m)) in sweep.scenarios.iter().zip(&methods).enumerate() {
            let scenario_keys: Vec<String> = scenario.overrides.iter().map(|(k, _)| k.clone()).collect();
            let label = lang.fmt(
                "sweep.scenario",
                &[
                    ("i", Arg::from(i + 1)),
                    ("n", Arg::from(total)),
                    ("name", Arg::from(&scenario.name)),
                ],
            );
            let run = sweeper.run(m, &scenario_keys);
            let summary = ScenarioSummary::of(&scenario.name, key_values(&keys, &scenario.overrides), &run);
            let table = match (&summary.outcome, &run) {
                (Ok(_), Ok(r)) => r.plan.as_ref().map(|p| sites_table(p, inputs.crs)).transpose()?,
                _ => None,
            };
            if !quiet {
                let line = match &summary.outcome {
                    Ok(Figures { siting: f, .. }) => lang.fmt(
                        "sweep.scenario_ok",
                        &[
                            ("scenario", Arg::from(&label)),
                            ("before", fixed(pct(f.covered_before, f.total_demand), 1)),
                            ("after", fixed(pct(f.covered_after, f.total_demand), 1)),
                            ("bound", fixed(pct(f.bound, f.total_demand), 1)),
                            ("gap", fixed(100.0 * f.gap, 3)),
                            ("blocks", Arg::from(f.blocks.0)),
                        ],
                    ),
                    Err(reason) => lang.fmt(
                        "sweep.scenario_failed",
                        &[("scenario", Arg::from(&label)), ("reason", Arg::from(reason))],
                    ),
                };
                println!("{line}");
            }
            rows.push(summary);
            sites.push(table);
        }
        Ok(())
    })?;
    let mut summary = summary_table(&keys, &rows)?;
    let mut districts = districts_table(&rows)?;
    let (bytes, sha256) = sha256_file(&a.sweep)?;
    let sweep_file = InputFile {
        role: "sweep".into(),
        path: sweep_name.clone(),
        bytes,
        sha256,
    };
    let report = json!({
        "careblock": env!("CARGO_PKG_VERSION"),
        "method": method.file,
        "sweep": sweep_name,
        "inputs": files.iter().chain([&sweep_file]).map(|f| json!({"role": f.role, "path": f.path, "bytes": f.bytes, "sha256": f.sha256})).collect::<Vec<_>>(),
        "keys": keys,
        "scenarios": sweep.scenarios.iter().zip(&rows).enumerate().map(|(i, (s, r))| json!({
            "scenario": i + 1,
            "name": s.name,
            "overrides": s.overrides.iter().map(|(k, v)| (k.clone(), toml_json(v))).collect::<serde_json::Map<_, _>>(),
            "status": if r.outcome.is_ok() { "ok" } else { "failed" },
            "reason": r.outcome.as_ref().err(),
            "sites": r.outcome.is_ok().then(|| format!("scenarios/{}/sites.csv", i + 1)),
        })).collect::<Vec<_>>(),
    });
    let title = match &method.spec.name {
        Some(name) => name.get(lang).to_string(),
        None => lang.fmt("sweep.untitled", &[("file", Arg::from(method.file.as_str()))]),
    };
    stages.run("write", lang.t("sweep.stage_write"), || -> Result<()> {
        std::fs::create_dir_all(&a.out).with_context(|| format!("cannot create {}", a.out.display()))?;
        for (i, t) in sites.iter_mut().enumerate() {
            if let Some(t) = t {
                let dir = a.out.join("scenarios").join((i + 1).to_string());
                std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
                write_csv(&dir.join("sites.csv"), t)?;
            }
        }
        write_csv(&a.out.join("sweep_districts.csv"), &mut districts)?;
        write_csv(&a.out.join("sweep.csv"), &mut summary)?;
        write_text(
            &a.out.join("sweep.json"),
            &serde_json::to_string_pretty(&report).context("serialising sweep.json")?,
        )?;
        write_text(
            &a.out.join("sweep.html"),
            &sweep_page(&title, &keys, &rows, &command(a), lang),
        )?;
        Ok(())
    })?;
    if !quiet {
        let failed = rows.iter().filter(|r| r.outcome.is_err()).count();
        println!(
            "{}",
            lang.fmt(
                "sweep.done",
                &[
                    ("n", Arg::from(rows.len())),
                    ("failed", Arg::from(failed)),
                    ("stages", Arg::from(stages.line())),
                ]
            )
        );
        println!(
            "{}",
            lang.fmt("sweep.wrote", &[("dir", Arg::from(a.out.display().to_string()))])
        );
        println!(
            "  {}",
            lang.fmt(
                "sweep.open_browser",
                &[("path", Arg::from(a.out.join("sweep.html").display().to_string()))]
            )
        );
    }
    Ok(())
}

/// The command that writes this sweep again, for the page: `careblock sweep METHOD SWEEP --out
/// DIR` with the flags given (a word with a space or a shell character in single quotes).
fn command(a: &SweepArgs) -> String {
    let quote = |p: &Path| {
        let s = p.display().to_string();
        if !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=+,@%".contains(c) || !c.is_ascii())
        {
            s
        } else {
            format!("'{}'", s.replace('\'', "'\\''"))
        }
    };
    let mut words = vec![
        "careblock sweep".to_string(),
        quote(&a.method),
        quote(&a.sweep),
        "--out".to_string(),
        quote(&a.out),
    ];
    if a.fix_invalid {
        words.push("--fix-invalid".to_string());
    }
    if let Some(lang) = a.lang {
        words.push(format!("--lang {lang}"));
    }
    words.join(" ")
}

fn pct(v: f64, total: f64) -> f64 {
    if total > 0.0 { 100.0 * v / total } else { 0.0 }
}

/// A TOML value as JSON (for `sweep.json`).
fn toml_json(v: &toml::Value) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}
