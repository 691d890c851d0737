//! `report.html` of `careblock run`: fills the plain page structs of [`crate::html`] from the
//! assessment, the plan and the layers, renders the page and writes it atomically.

use std::path::Path;

use careblock_core::Layer;
use careblock_index::{Assessment, Level};
use careblock_io::IoError;
use careblock_pipeline::LoadedInputs;

use crate::html::{
    HtmlArea, HtmlBalance, HtmlCapacity, HtmlCurveStep, HtmlKpi, HtmlNote, HtmlReport, HtmlRobust,
    HtmlRobustSite, HtmlSite, HtmlSiteKind, HtmlSiting, render_report,
};
use careblock_method::Method;
use careblock_siting::plan::{Plan, SiteStatus, Tier};
use geo::{Geometry, MultiPolygon};

/// How many of the top areas the uncertainty chart shows.
const TOP: usize = 15;

/// Writes `DIR/report.html`.
pub fn write(
    dir: &Path,
    method: &Method,
    result: &Assessment,
    inputs: &LoadedInputs,
    plan: Option<&Plan>,
) -> Result<(), IoError> {
    let report = build(method, result, inputs, plan)?;
    careblock_io::write_text(&dir.join("report.html"), &render_report(&report))?;
    Ok(())
}

/// Whether the report's map leaves the units out: it shows districts, and the units are more
/// than it draws ([`careblock_pipeline::MAX_UNITS_ON_MAP`]; beyond, the layer is left to the
/// other outputs and the page says so).
pub(crate) fn units_omitted_from_map(result: &Assessment) -> bool {
    !careblock_pipeline::units_on_map(result)
}

/// The page's content: the districts when the method has them, else the units.
pub fn build(
    method: &Method,
    result: &Assessment,
    inputs: &LoadedInputs,
    plan: Option<&Plan>,
) -> Result<HtmlReport, IoError> {
    let spec = &method.spec;
    // The units as a second layer of the interactive map, when the map shows districts and the
    // units are few enough to draw (a page of a few MB).
    let (units, units_omitted) = match &result.districts {
        Some(_) if !units_omitted_from_map(result) => (
            areas(&result.units, &inputs.units, spec.units.label.as_deref())?,
            None,
        ),
        Some(_) => (Vec::new(), Some(result.units.len())),
        None => (Vec::new(), None),
    };
    let (level, layer, label, kind) = match (&result.districts, &inputs.districts) {
        (Some(level), Some(layer)) => (
            level,
            layer,
            spec.districts.as_ref().and_then(|d| d.label.as_deref()),
            "districts",
        ),
        _ => (&result.units, &inputs.units, spec.units.label.as_deref(), "units"),
    };
    let mut notes: Vec<HtmlNote> = Vec::new();
    let mut note = |source: &str, text: &careblock_text::Msg| {
        notes.push(HtmlNote {
            source: source.to_string(),
            text: spec.lang.render(text),
        })
    };
    let lang = spec.lang;
    for n in &inputs.notes {
        note(lang.t("report.source.inputs"), n);
    }
    for n in &result.notes {
        note(lang.t("report.source.index"), n);
    }
    // (Units outside every district are among the index's notes, from `result.warnings`.)
    if let Some(p) = plan {
        for n in &p.notes {
            note(lang.t("report.source.siting"), n);
        }
    }
    Ok(HtmlReport {
        lang,
        title: spec
            .name
            .as_ref()
            .map_or_else(|| method.file.clone(), |l| l.get(spec.lang).to_string()),
        method_file: method.file.clone(),
        crs: inputs.crs.to_string(),
        area_kind: kind.to_string(),
        areas: areas(level, layer, label)?,
        units,
        units_omitted,
        indicators: result
            .indicators
            .iter()
            .map(|i| i.label.clone().unwrap_or_else(|| i.name.clone()))
            .collect(),
        class_bins: level.scores.bins.clone(),
        draws: level.uncertainty.as_ref().map(|u| u.draws),
        top: TOP,
        sites: plan.map(|p| sites(p, spec.lang)).unwrap_or_default(),
        siting: plan.map(|p| siting(p, &result.units, lang)),
        conservation: result
            .conservation
            .iter()
            .map(|(name, b)| HtmlBalance {
                variable: name.clone(),
                source_total: b.source_total,
                allocated: b.allocated,
                unallocated: b.unallocated,
                missing: b.missing,
                relative_error: b.relative_error(),
            })
            .collect(),
        notes,
    })
}

fn areas(level: &Level, layer: &Layer, label: Option<&str>) -> Result<Vec<HtmlArea>, IoError> {
    let labels = match label {
        Some(col) => Some(layer.text_column(col).map_err(|e| {
            IoError::table(
                &layer.name,
                format!("the label column {col:?} for report.html: {e}"),
            )
        })?),
        None => None,
    };
    let s = &level.scores;
    let u = level.uncertainty.as_ref();
    let at = |v: Option<&Vec<Option<f64>>>, i: usize| v.and_then(|v| v.get(i).copied().flatten());
    Ok((0..level.ids.len())
        .map(|i| HtmlArea {
            id: level.ids[i].clone(),
            label: labels.as_ref().and_then(|l| l.get(i).cloned().flatten()),
            geometry: match layer.geometries.get(i) {
                Some(Some(Geometry::Polygon(p))) => Some(MultiPolygon::new(vec![p.clone()])),
                Some(Some(Geometry::MultiPolygon(mp))) => Some(mp.clone()),
                _ => None,
            },
            index: s.index.get(i).copied().flatten(),
            rank: s.rank.get(i).copied().flatten(),
            class: s.class.get(i).copied().flatten(),
            rank_median: at(u.map(|u| &u.median_rank), i),
            rank_p05: at(u.map(|u| &u.p05_rank), i),
            rank_p95: at(u.map(|u| &u.p95_rank), i),
            p_top_class: at(u.map(|u| &u.p_top_class), i),
            contributions: s
                .contributions
                .iter()
                .map(|c| c.get(i).copied().flatten())
                .collect(),
        })
        .collect())
}

/// The plan's sites for the page; the kinds siting names itself (existing blocks, grid
/// candidates) worded, a candidate layer's own name as it is.
fn sites(p: &Plan, lang: careblock_text::Lang) -> Vec<HtmlSite> {
    p.sites
        .iter()
        .map(|s| HtmlSite {
            kind: match s.status {
                SiteStatus::Existing => HtmlSiteKind::Existing,
                SiteStatus::Proposed => HtmlSiteKind::Proposed,
                SiteStatus::Bus => HtmlSiteKind::Bus,
            },
            point: s.point,
            rank: s.rank,
            id: s.id.clone(),
            label: s.label.clone(),
            category: careblock_siting::plan::kind_key(&s.kind)
                .map_or_else(|| s.kind.clone(), |k| lang.t(k).to_string()),
            gain: s.marginal_gain,
            irreplaceability: s.irreplaceability,
            demand: s.demand,
            robust: s.robust,
        })
        .collect()
}

/// Σ population × covered fraction / Σ population over the units.
fn population_share(units: &Level, coverage: &[f64]) -> Option<f64> {
    let (mut covered, mut total) = (0.0, 0.0);
    for (pop, cov) in units.population.iter().zip(coverage) {
        if let Some(pop) = pop.filter(|p| p.is_finite()) {
            covered += pop * cov;
            total += pop;
        }
    }
    (total > 0.0).then(|| covered / total)
}

fn siting(p: &Plan, units: &Level, lang: careblock_text::Lang) -> HtmlSiting {
    let b = &p.blocks;
    let share = |v: f64| (b.total_demand > 0.0).then(|| v / b.total_demand);
    HtmlSiting {
        radius: p.radius,
        objective: b.objective,
        bound: b.bound,
        gap: b.gap,
        optimal: b.optimal,
        locked_in: b.locked_in,
        total_demand: b.total_demand,
        curve: p
            .sites
            .iter()
            .filter(|s| s.status == SiteStatus::Proposed)
            .map(|s| HtmlCurveStep {
                rank: s.rank.unwrap_or(0),
                id: s.id.clone(),
                label: s.label.clone(),
                cumulative: s.cumulative,
                phase: s.phase.clone(),
                capacity: s.capacity,
            })
            .collect(),
        kpis: vec![
            HtmlKpi {
                name: lang.t("report.siting.kpi_demand").to_string(),
                before: share(b.locked_in),
                after: share(b.objective),
            },
            HtmlKpi {
                name: lang.t("report.siting.kpi_population").to_string(),
                before: population_share(units, &p.unit_coverage_before),
                after: population_share(units, &p.unit_coverage),
            },
        ],
        bus_share: p
            .bus
            .as_ref()
            .and_then(|o| (o.total_demand > 0.0).then(|| o.objective / o.total_demand)),
        home_care_units: p.uncovered.iter().filter(|u| u.tier == Tier::HomeCare).count(),
        target: p.target.as_ref().map(|t| t.share),
        robust: p.robust.as_ref().map(|r| HtmlRobust {
            draws: r.draws,
            candidates: r
                .candidates
                .iter()
                .map(|c| HtmlRobustSite {
                    id: c.id.clone(),
                    label: c.label.clone(),
                    kind: c.kind.clone(),
                    frequency: c.frequency,
                    mean_rank: c.mean_rank,
                    in_plan: c.in_plan,
                })
                .collect(),
        }),
        capacity: p.capacity.as_ref().map(|c| HtmlCapacity {
            capacity: c.capacity,
            within_reach: c.within_reach,
            assigned_before: c.assigned_before,
            gap_asked: c.gap_asked,
        }),
    }
}
