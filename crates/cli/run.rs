//! `careblock run METHOD.toml`: read the method and its inputs → validate → project → index
//! (units and districts) → uncertainty → write layers, tables and the report. Nothing is
//! written until everything has been computed.

use std::path::Path;

use anyhow::{Context, Result};
use careblock_core::Layer;
use careblock_core::index::Method;
use careblock_core::index::{Assessment, Level, assess};
use careblock_core::plan::{Plan, SiteStatus, Tier, plan};
use careblock_core::polars::prelude::{Column, DataFrame};
use careblock_io::{
    GpkgLayer, InputFile, LoadOptions, load_inputs, method_inputs, qml, read_method, write_csv,
    write_geojson, write_gpkg,
};
use serde_json::json;

use crate::args::RunArgs;
use crate::progress::Stages;
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
    let mut stages = Stages::new(quiet);
    let method = read_method(&a.method)?;
    let base = a.method.parent().unwrap_or(Path::new(""));
    let input_files = method_inputs(&method, &a.method, base)?;
    let inputs = stages.run(
        "read_validate_project",
        "reading, validating and projecting the inputs",
        || {
            load_inputs(
                &method,
                base,
                &LoadOptions {
                    fix_invalid: a.fix_invalid,
                },
            )
        },
    )?;
    let result = stages.run(
        "index",
        "computing the index and its Monte Carlo uncertainty",
        || assess(&method, inputs.inputs()).map_err(anyhow::Error::from),
    )?;
    let spec = &method.spec;
    let siting = match &spec.siting {
        None => None,
        Some(_) => Some(stages.run("siting", "siting care blocks", || {
            plan(&method, inputs.plan_inputs(), &result).map_err(anyhow::Error::from)
        })?),
    };

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
    stages.run("write", "writing the layers", || -> Result<()> {
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
        crate::report_html::write(&a.out, &method, &result, &inputs, siting.as_ref())?;
        Ok(())
    })?;
    let mut report = report_json(
        &method,
        &result,
        &inputs.notes,
        inputs.crs.to_string(),
        &input_files,
    );

    if let Some(p) = &siting {
        let obj = report.as_object_mut().expect("the report is an object");
        obj.insert("objective".into(), json!(p.blocks.objective));
        obj.insert("bound".into(), json!(p.blocks.bound));
        obj.insert("gap".into(), json!(p.blocks.gap));
        obj.insert("siting".into(), siting_json(p, &inputs.units));
    }
    let text = serde_json::to_string_pretty(&report).context("serialising the report")?;
    careblock_io::write_text(&a.out.join("run.json"), &text)?;
    // Wall times change from run to run: they go to their own file and the terminal, so that
    // run.json and every layer stay byte-identical for the same inputs.
    let timings = serde_json::to_string_pretty(&stages.json()).context("serialising the timings")?;
    careblock_io::write_text(&a.out.join("timings.json"), &timings)?;
    if !quiet {
        print!("{}", summary(&result, &inputs.notes));
        if let Some(p) = &siting {
            print!("{}", siting_summary(p));
        }
        println!("timings: {}", stages.line());
        println!("wrote {}", a.out.display());
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

fn report_json(
    method: &Method,
    r: &Assessment,
    input_notes: &[String],
    crs: String,
    files: &[InputFile],
) -> serde_json::Value {
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
        "careblock": env!("CARGO_PKG_VERSION"),
        "method": method.file,
        "name": method.spec.name,
        "inputs": files.iter().map(|f| json!({"role": f.role, "path": f.path, "bytes": f.bytes, "sha256": f.sha256})).collect::<Vec<_>>(),
        "crs": crs,
        "seed": method.spec.uncertainty.seed,
        "resolved_method": serde_json::to_value(&method.spec).unwrap_or_else(|e| json!(format!("cannot serialise the method: {e}"))),
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
    // With [siting.equity], each point of the curve says why the site is there.
    let curve = |s: &careblock_core::plan::Site| {
        let mut v = json!({"rank": s.rank, "id": s.id, "gain": s.marginal_gain, "cumulative": s.cumulative});
        if p.equity.is_some()
            && let Some(obj) = v.as_object_mut()
        {
            obj.insert("placed_by".into(), json!(s.placed_by.map(|b| b.as_str())));
            obj.insert("district".into(), json!(s.district));
        }
        v
    };
    let equity = p.equity.as_ref().map(|e| {
        let (with, without) = (p.blocks.objective, e.without.objective);
        json!({
            "layer": e.layer,
            "min": e.min,
            "min_if_need_above": e.min_if_need_above,
            "max": e.max,
            "objective_with_rule": with,
            "objective_without_rule": without,
            "difference": without - with,
            "share": if without > 0.0 { (without - with) / without } else { 0.0 },
            "share_of_demand": if p.blocks.total_demand > 0.0 { (without - with) / p.blocks.total_demand } else { 0.0 },
            "bound": p.blocks.bound,
            "bound_note": "the bound is that of the siting without the rule (same candidates and limit): the rule only shrinks the feasible set, so it is an upper bound of the constrained optimum",
            "without_rule": opt(&e.without),
            "placed_by_equity": proposed.iter().filter(|s| s.placed_by == Some(careblock_core::plan::PlacedBy::Equity)).count(),
            "p_lowered_to": e.count,
            "outside": {"eligible_candidates": e.outside.0, "existing_blocks": e.outside.1},
            "short": e.districts.iter().filter_map(|d| d.short.map(|r| json!({"id": d.id, "label": d.label, "min": d.min, "existing": d.existing, "eligible": d.eligible, "blocks": d.existing + d.proposed.0, "reason": r}))).collect::<Vec<_>>(),
            "districts": e.districts.iter().map(|d| json!({
                "id": d.id, "label": d.label, "need": d.need, "min": d.min, "max": d.max,
                "existing": d.existing, "eligible": d.eligible,
                "new_with_rule": d.proposed.0, "new_without_rule": d.proposed.1, "placed_by_equity": d.by_equity,
                "demand": d.demand, "covered_with_rule": d.covered.0, "covered_without_rule": d.covered.1,
            })).collect::<Vec<_>>(),
        })
    });
    let mut out = json!({
        "radius_m": p.radius,
        "blocks": opt(&p.blocks),
        "existing": p.sites.iter().filter(|s| s.status == SiteStatus::Existing).count(),
        "proposed": proposed.len(),
        "ranking_curve": proposed.iter().map(|s| curve(s)).collect::<Vec<_>>(),
        "bus": p.bus.as_ref().map(opt),
        "bus_stops": p.sites.iter().filter(|s| s.status == SiteStatus::Bus).count(),
        "candidates": {"read": p.candidates.0, "kept_by_filters": p.candidates.1, "eligible": p.candidates.2},
        "uncovered_high_priority": p.uncovered.len(),
        "home_care_units": p.uncovered.iter().filter(|u| u.tier == Tier::HomeCare).map(|u| units.ids[u.unit].clone()).collect::<Vec<_>>(),
        "home_care_households": p.uncovered.iter().filter(|u| u.tier == Tier::HomeCare).filter_map(|u| u.households).sum::<f64>(),
        "notes": p.notes,
    });
    if let (Some(e), Some(obj)) = (equity, out.as_object_mut()) {
        obj.insert("equity".into(), e);
    }
    if let (Some(n), Some(obj)) = (&p.network, out.as_object_mut()) {
        let share = |v: f64, d: f64| if d > 0.0 { Some(v / d) } else { None };
        obj.insert(
            "network".into(),
            json!({
                "distance": "network",
                "catchments": format!("reached streets buffered by {} m (circles for sites off the network)", n.buffer),
                "covered_network": n.covered_network,
                "covered_euclidean": n.covered_euclidean,
                "share_network": share(n.covered_network, n.total_demand),
                "share_euclidean": share(n.covered_euclidean, n.total_demand),
                "fallback_units": n.fallback_units,
                "fallback_sites": n.fallback_sites,
                "districts": n.districts.iter().map(|(id, d, net, eu)| json!({
                    "id": id, "demand": d, "covered_network": net, "covered_euclidean": eu,
                    "share_network": share(*net, *d), "share_euclidean": share(*eu, *d),
                })).collect::<Vec<_>>(),
            }),
        );
    }
    out
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
            .filter(|s| s.placed_by == Some(careblock_core::plan::PlacedBy::Equity))
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
