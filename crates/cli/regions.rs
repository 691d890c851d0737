//! `careblock regions METHOD.toml --by ATTRIBUTE`: the inputs read, validated and projected
//! once, then each territory (the districts with one value of the attribute, their units and
//! points) run in turn as a `careblock run` of its own and written to `OUT/ATTRIBUTE=VALUE/`,
//! then `regions.csv` and `regions.json`. A missing attribute or an unknown `--only` value
//! stops before anything is written; a territory that fails is a row with its reason. Also
//! `careblock run --region ATTRIBUTE=VALUE` ([`run_one`]): one territory, the same bytes.

use std::path::Path;

use anyhow::{Context, Result};
use careblock_io::{method_inputs, read_method, write_csv, write_text};
use careblock_method::Method;
use careblock_pipeline::region::{
    RegionError, RegionSummary, Regions, failure_reason, folder_name, parse_region, regions_report,
    regions_table, run_region,
};
use careblock_pipeline::sweep::SitingFigures;
use careblock_pipeline::{LoadOptions, PipelineError, Run, load_inputs};
use careblock_report::{FormatRequest, write_outputs};
use careblock_text::{Arg, Lang, fixed, msg};

use crate::args::RegionsArgs;
use crate::progress::Stages;

/// The stages of one territory's run inside `careblock regions`: run without a spinner of their
/// own (the command shows one for all the territories).
struct Inner;

impl careblock_pipeline::Stages for Inner {
    fn stage<T: Send>(
        &mut self,
        _name: &'static str,
        _label: &str,
        work: impl FnOnce() -> Result<T, PipelineError> + Send,
    ) -> Result<T, PipelineError> {
        work()
    }
}

/// A method without `[districts]` is refused before anything is read.
fn needs_districts(method: &Method) -> Result<(), RegionError> {
    if method.spec.districts.is_none() {
        return Err(RegionError::NoDistricts {
            method: method.file.clone(),
        });
    }
    Ok(())
}

/// `careblock run --region ATTRIBUTE=VALUE`: the inputs read, the territory selected, then its
/// index and siting (the stages `careblock run` shows).
pub fn run_one(
    method: Method,
    base: &Path,
    options: &LoadOptions,
    spec: &str,
    stages: &mut Stages,
) -> Result<Run> {
    let (by, value) = parse_region(spec)?;
    needs_districts(&method)?;
    let lang = stages.lang;
    let inputs = stages.run("read_validate_project", lang.t("run.stage_read"), || {
        load_inputs(&method, base, options)
    })?;
    let regions = Regions::new(&method, &inputs, &by)?;
    let region = regions.select(&inputs, &value)?;
    drop(inputs);
    // A PipelineError stays one (exit code 1 when nothing can be sited, as `run`).
    Ok(run_region(method, region, stages)?)
}

pub fn run(a: &RegionsArgs, quiet: bool) -> Result<()> {
    let mut stages = Stages::new(quiet);
    // A bad --format is refused before anything is read.
    let formats = FormatRequest::parse(&a.format).map_err(anyhow::Error::msg)?;
    let mut method = read_method(&a.method)?;
    if let Some(lang) = a.lang {
        method.spec.lang = lang;
    }
    let lang = method.spec.lang;
    stages.lang = lang;
    needs_districts(&method)?;
    let base = a.method.parent().unwrap_or(Path::new(""));
    let files = method_inputs(&method, &a.method, base)?;
    let options = LoadOptions {
        fix_invalid: a.fix_invalid,
    };
    let inputs = stages.run("read_validate_project", lang.t("regions.stage_read"), || {
        load_inputs(&method, base, &options)
    })?;
    let regions = Regions::new(&method, &inputs, &a.by)?;
    let values: Vec<String> = if a.only.is_empty() {
        regions.values().to_vec()
    } else {
        let mut v = a.only.clone();
        v.sort();
        v.dedup();
        for value in &v {
            regions.check(value)?;
        }
        v
    };
    let total = values.len();
    let label = lang.fmt("regions.stage_regions", &[("n", Arg::from(total))]);
    let rows = stages.run("regions", &label, || -> Result<Vec<RegionSummary>> {
        let mut rows = Vec::with_capacity(total);
        for (i, value) in values.iter().enumerate() {
            let name = lang.fmt(
                "regions.region",
                &[
                    ("i", Arg::from(i + 1)),
                    ("n", Arg::from(total)),
                    ("by", Arg::from(a.by.as_str())),
                    ("value", Arg::from(value.as_str())),
                ],
            );
            // The reason in regions.csv is English (the table does not depend on the
            // language); on the terminal a territory without units is worded in `lang`.
            let mut worded = None;
            let outcome: Result<Run, String> = match regions.select(&inputs, value) {
                Err(e) => {
                    if let RegionError::NoUnits { districts, .. } = &e {
                        worded = Some(lang.render(&msg!("regions.no_units", districts = *districts)));
                    }
                    Err(failure_reason(&e))
                }
                // Each run owns its method, as `careblock run`'s.
                Ok(region) => run_region(method.clone(), region, &mut Inner).map_err(|e| e.to_string()),
            };
            let row = match &outcome {
                Ok(run) => {
                    let dir = a.out.join(folder_name(&a.by, value));
                    write_outputs(run, &dir, &files, &formats)?;
                    RegionSummary::of_run(&a.by, value, run)
                }
                Err(reason) => RegionSummary::failed(value, &regions, reason),
            };
            drop(outcome);
            if !quiet {
                println!("{}", line(&name, &row, worded.as_deref(), lang));
            }
            rows.push(row);
        }
        Ok(rows)
    })?;
    let mut table = regions_table(&rows)?;
    let report = regions_report(&method, &a.by, &files, regions.unassigned(), &rows);
    std::fs::create_dir_all(&a.out).with_context(|| format!("cannot create {}", a.out.display()))?;
    write_csv(&a.out.join("regions.csv"), &mut table)?;
    write_text(&a.out.join("regions.json"), &report)?;
    if !quiet {
        let failed = rows.iter().filter(|r| r.outcome.is_err()).count();
        println!(
            "{}",
            lang.fmt(
                "regions.done",
                &[
                    ("n", Arg::from(rows.len())),
                    ("failed", Arg::from(failed)),
                    ("stages", Arg::from(stages.line())),
                ]
            )
        );
        println!(
            "{}",
            lang.fmt(
                "regions.wrote",
                &[
                    ("dir", Arg::from(a.out.display().to_string())),
                    ("by", Arg::from(a.by.as_str())),
                ]
            )
        );
    }
    Ok(())
}

/// The terminal line of one territory.
fn line(name: &str, row: &RegionSummary, worded: Option<&str>, lang: Lang) -> String {
    let pct = |v: f64, f: &SitingFigures| {
        fixed(
            if f.total_demand > 0.0 {
                100.0 * v / f.total_demand
            } else {
                0.0
            },
            1,
        )
    };
    match &row.outcome {
        Ok(Some(f)) => lang.fmt(
            "regions.region_ok",
            &[
                ("region", Arg::from(name)),
                ("units", Arg::from(row.units)),
                ("districts", Arg::from(row.districts)),
                ("before", pct(f.covered_before, f)),
                ("after", pct(f.covered_after, f)),
                ("bound", pct(f.bound, f)),
                ("gap", fixed(100.0 * f.gap, 3)),
                ("blocks", Arg::from(f.blocks.0)),
            ],
        ),
        Ok(None) => lang.fmt(
            "regions.region_index",
            &[
                ("region", Arg::from(name)),
                ("units", Arg::from(row.units)),
                ("districts", Arg::from(row.districts)),
            ],
        ),
        Err(reason) => lang.fmt(
            "regions.region_failed",
            &[
                ("region", Arg::from(name)),
                ("reason", Arg::from(worded.unwrap_or(reason.as_str()))),
            ],
        ),
    }
}
