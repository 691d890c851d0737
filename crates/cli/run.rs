//! `careblock run METHOD.toml`: read the method and its inputs → validate → project → index
//! (units and districts) → uncertainty → write layers, tables and the report. Nothing is
//! written until everything has been computed.

use std::path::Path;

use anyhow::{Context, Result};
use careblock_core::Layer;
use careblock_core::index::{Assessment, Level, assess};
use careblock_core::plan::{Plan, PlanInputs, SiteStatus, Tier, plan};
use careblock_core::polars::prelude::{Column, DataFrame};
use careblock_io::{
    GpkgLayer, LoadOptions, load_inputs, qml, read_method, write_csv, write_geojson, write_gpkg,
};
use serde_json::json;

use crate::args::RunArgs;
use crate::sites;

/// The output table of one level.
fn table(a: &Assessment, level: &Level, layer: &Layer, label: Option<&str>) -> Result<DataFrame> {
    let n = level.ids.len();
    let mut cols: Vec<Column> = vec![Column::new("id".into(), &level.ids)];
    if let Some(label) = label {
        let c = layer
            .attributes
            .column(label)
            .with_context(|| format!("{}: no label column {label:?}", layer.name))?;
        cols.push(c.clone().with_name("label".into()));
    }
    cols.push(Column::new("population".into(), &level.population));
    cols.push(Column::new("ranked".into(), &level.eligible));
    let s = &level.scores;
    cols.push(Column::new("index".into(), &s.index));
    cols.push(Column::new("rank".into(), &s.rank));
    cols.push(Column::new("class".into(), &s.class));
    cols.push(Column::new("need_mass".into(), &level.need_mass));
    if let Some(u) = &level.uncertainty {
        cols.push(Column::new("rank_median".into(), &u.median_rank));
        cols.push(Column::new("rank_p05".into(), &u.p05_rank));
        cols.push(Column::new("rank_p95".into(), &u.p95_rank));
        cols.push(Column::new("p_top_class".into(), &u.p_top_class));
        cols.push(Column::new("rank_shift_mean".into(), &u.mean_abs_shift));
    }
    for (d, (name, _, _)) in a.dimensions.iter().enumerate() {
        cols.push(Column::new(format!("dim_{name}").into(), &s.dimensions[d]));
    }
    for (k, ind) in a.indicators.iter().enumerate() {
        cols.push(Column::new(ind.name.as_str().into(), &level.raw[k]));
        cols.push(Column::new(
            format!("{}_score", ind.name).into(),
            &s.normalised[k],
        ));
        cols.push(Column::new(
            format!("{}_contrib", ind.name).into(),
            &s.contributions[k],
        ));
    }
    if s.penalty.iter().any(|p| p.is_some_and(|p| p != 0.0)) {
        cols.push(Column::new("imbalance_penalty".into(), &s.penalty));
    }
    for (name, values) in &level.extra {
        cols.push(Column::new(name.as_str().into(), values));
    }
    DataFrame::new(n, cols).context("building the output table")
}

/// Writes one level as CSV and GeoJSON; returns the output layer (in the working CRS).
fn write_level(dir: &Path, stem: &str, layer: &Layer, df: DataFrame) -> Result<Layer> {
    let mut csv = df.clone();
    write_csv(&dir.join(format!("{stem}.csv")), &mut csv)?;
    let out = Layer {
        name: stem.to_string(),
        ids: layer.ids.clone(),
        geometries: layer.geometries.clone(),
        attributes: df,
        crs: layer.crs,
    };
    write_geojson(&dir.join(format!("{stem}.geojson")), &out)?;
    Ok(out)
}

pub fn run(a: &RunArgs, quiet: bool) -> Result<()> {
    let clock = std::time::Instant::now();
    let mut timings: Vec<(&str, f64)> = Vec::new();
    let lap = |name: &'static str, timings: &mut Vec<(&str, f64)>, last: &mut f64| {
        let now = clock.elapsed().as_secs_f64();
        timings.push((name, now - *last));
        *last = now;
    };
    let mut last = 0.0;
    let method = read_method(&a.method)?;
    let base = a.method.parent().unwrap_or(Path::new(""));
    let inputs = load_inputs(
        &method,
        base,
        &LoadOptions {
            fix_invalid: a.fix_invalid,
        },
    )?;
    lap("read_validate_project", &mut timings, &mut last);
    let result = assess(&method, inputs.inputs())?;
    lap("index", &mut timings, &mut last);
    let spec = &method.spec;
    let siting = match &spec.siting {
        None => None,
        Some(_) => Some(plan(
            &method,
            PlanInputs {
                units: &inputs.units,
                districts: inputs.districts.as_ref(),
                supply: &inputs.supply,
                candidates: &inputs.candidates,
                existing: &inputs.existing,
            },
            &result,
        )?),
    };
    if siting.is_some() {
        lap("siting", &mut timings, &mut last);
    }

    let mut units_df = table(&result, &result.units, &inputs.units, spec.units.label.as_deref())?;
    let mut districts_df = match (&result.districts, &inputs.districts) {
        (Some(level), Some(layer)) => Some(table(
            &result,
            level,
            layer,
            spec.districts.as_ref().and_then(|d| d.label.as_deref()),
        )?),
        _ => None,
    };
    if let Some(p) = &siting {
        for c in sites::unit_columns(p, &inputs.units) {
            units_df.with_column(c).context("adding the coverage columns")?;
        }
        if let Some(df) = districts_df.as_mut() {
            for c in sites::district_columns(p) {
                df.with_column(c).context("adding the coverage KPIs")?;
            }
        }
    }

    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("{}: cannot create the output directory", a.out.display()))?;
    let mut layers = vec![write_level(&a.out, "units", &inputs.units, units_df)?];
    if let (Some(df), Some(layer)) = (districts_df, &inputs.districts) {
        layers.push(write_level(&a.out, "districts", layer, df)?);
    }
    if let Some(p) = &siting {
        let bus_radius = spec
            .siting
            .as_ref()
            .and_then(|s| s.bus.as_ref())
            .map(|b| *b.radius.get_ref());
        layers.extend(sites::write(&a.out, p, &inputs.units, inputs.crs, bus_radius)?);
    }
    write_qgis(&a.out, &layers, &result, siting.as_ref())?;
    lap("write", &mut timings, &mut last);
    let mut report = report_json(&method.file, &result, &inputs.notes, inputs.crs.to_string());

    if let Some(p) = &siting {
        let obj = report.as_object_mut().expect("the report is an object");
        obj.insert("objective".into(), json!(p.blocks.objective));
        obj.insert("bound".into(), json!(p.blocks.bound));
        obj.insert("gap".into(), json!(p.blocks.gap));
        obj.insert("siting".into(), siting_json(p, &inputs.units));
    }
    let text = serde_json::to_string_pretty(&report).context("serialising the report")?;
    careblock_io::write_text(&a.out.join("run.json"), &text)?;
    if !quiet {
        print!("{}", summary(&result, &inputs.notes, &a.out));
        if let Some(p) = &siting {
            print!("{}", siting_summary(p));
        }
        // Wall times go to the terminal only: the files stay byte-identical between runs.
        let t: Vec<String> = timings.iter().map(|(k, v)| format!("{k} {v:.2} s")).collect();
        println!("timings: {}", t.join(", "));
    }
    Ok(())
}

/// The QGIS outputs: `<name>.qml` beside each GeoJSON and `careblock.gpkg` with every layer
/// (in the working CRS) and the same styles as their defaults.
fn write_qgis(dir: &Path, layers: &[Layer], r: &Assessment, siting: Option<&Plan>) -> Result<()> {
    let level_style = |level: &Level| qml::index_classes("index", &level.scores.index, &level.scores.bins);
    let styles = layers
        .iter()
        .map(|l| {
            Ok(match l.name.as_str() {
                "units" => level_style(&r.units),
                "districts" => level_style(
                    r.districts
                        .as_ref()
                        .context("a districts layer without districts")?,
                ),
                "sites" => qml::sites(
                    siting
                        .into_iter()
                        .flat_map(|p| &p.sites)
                        .filter(|s| s.status == SiteStatus::Proposed)
                        .filter_map(|s| s.rank)
                        .max()
                        .and_then(|m| u32::try_from(m).ok()),
                ),
                "catchments" => qml::catchments(),
                "uncovered" => qml::uncovered(),
                other => anyhow::bail!("no QGIS style for the output layer {other:?}"),
            })
        })
        .collect::<Result<Vec<String>>>()?;
    for (l, style) in layers.iter().zip(&styles) {
        careblock_io::write_text(&dir.join(format!("{}.qml", l.name)), style)?;
    }
    let gpkg: Vec<GpkgLayer<'_>> = layers
        .iter()
        .zip(&styles)
        .map(|(l, style)| GpkgLayer {
            name: &l.name,
            layer: l,
            style: Some(style),
        })
        .collect();
    write_gpkg(&dir.join("careblock.gpkg"), &gpkg)?;
    Ok(())
}

fn report_json(method: &str, r: &Assessment, input_notes: &[String], crs: String) -> serde_json::Value {
    let level = |l: &Level| {
        json!({
            "features": l.ids.len(),
            "ranked": l.eligible.iter().filter(|e| **e).count(),
            "with_index": l.scores.index.iter().filter(|i| i.is_some()).count(),
            "class_bins": l.scores.bins,
            "winsorised": r.indicators.iter().zip(&l.clipped).map(|(i, (lo, hi))| json!({"indicator": i.name, "low": lo, "high": hi})).collect::<Vec<_>>(),
            "mean_rank_shift": l.uncertainty.as_ref().map(|u| u.mean_rank_shift),
            "draws": l.uncertainty.as_ref().map(|u| u.draws),
        })
    };
    json!({
        "method": method,
        "crs": crs,
        "dimensions": r.dimensions.iter().map(|(n, w, l)| json!({"name": n, "weight": w, "label": l})).collect::<Vec<_>>(),
        "indicators": r.indicators.iter().map(|i| json!({
            "name": i.name, "label": i.label, "dimension": i.dimension, "kind": format!("{:?}", i.kind),
            "direction": if i.direction.sign() > 0.0 { "+" } else { "-" }, "weight": i.weight, "basis": i.basis,
        })).collect::<Vec<_>>(),
        "units": level(&r.units),
        "districts": r.districts.as_ref().map(level),
        "conservation": r.conservation.iter().map(|(name, b)| json!({
            "variable": name, "source_total": b.source_total, "allocated": b.allocated,
            "unallocated": b.unallocated, "missing": b.missing, "relative_error": b.relative_error(),
        })).collect::<Vec<_>>(),
        "units_outside_districts": r.outside.iter().map(|o| json!({"id": o.id, "covered_fraction": o.covered_fraction})).collect::<Vec<_>>(),
        "notes": input_notes.iter().chain(&r.notes).collect::<Vec<_>>(),
    })
}

fn siting_json(p: &Plan, units: &careblock_core::Layer) -> serde_json::Value {
    let opt = |o: &careblock_core::plan::Optimum| {
        json!({
            "objective": o.objective, "bound": o.bound, "gap": o.gap, "optimal": o.optimal,
            "locked_in": o.locked_in, "total_demand": o.total_demand,
        })
    };
    let proposed: Vec<_> = p
        .sites
        .iter()
        .filter(|s| s.status == SiteStatus::Proposed)
        .collect();
    json!({
        "radius_m": p.radius,
        "blocks": opt(&p.blocks),
        "existing": p.sites.iter().filter(|s| s.status == SiteStatus::Existing).count(),
        "proposed": proposed.len(),
        "ranking_curve": proposed.iter().map(|s| json!({"rank": s.rank, "id": s.id, "gain": s.marginal_gain, "cumulative": s.cumulative})).collect::<Vec<_>>(),
        "bus": p.bus.as_ref().map(opt),
        "bus_stops": p.sites.iter().filter(|s| s.status == SiteStatus::Bus).count(),
        "candidates": {"read": p.candidates.0, "kept_by_filters": p.candidates.1, "eligible": p.candidates.2},
        "uncovered_high_priority": p.uncovered.len(),
        "home_care_units": p.uncovered.iter().filter(|u| u.tier == Tier::HomeCare).map(|u| units.ids[u.unit].clone()).collect::<Vec<_>>(),
        "home_care_households": p.uncovered.iter().filter(|u| u.tier == Tier::HomeCare).filter_map(|u| u.households).sum::<f64>(),
        "notes": p.notes,
    })
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
            "  {:>3}. {} {} ({})  +{:.1} % of the demand\n",
            site.rank.unwrap_or(0),
            site.kind,
            site.id,
            site.label.as_deref().unwrap_or("-"),
            pct(site.marginal_gain)
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
    for n in &p.notes {
        s.push_str(&format!("note: {n}\n"));
    }
    s
}

fn summary(r: &Assessment, input_notes: &[String], out: &Path) -> String {
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
    s.push_str(&format!("wrote {}\n", out.display()));
    s
}
