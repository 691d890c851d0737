//! The siting outputs of `careblock run`: sites, catchments, assignments, uncovered units and
//! the equity table (`equity.csv`, with `[siting.equity]`). The tables themselves are built by
//! `careblock_io::results` (shared with the Python bindings).

use std::path::Path;

use anyhow::{Context, Result};
use careblock_core::Crs;
use careblock_core::Layer;
use careblock_core::plan::{Plan, SiteStatus, circle};
use careblock_io::results::{assignments_table, equity_table, sites_table, uncovered_table};
use careblock_io::{write_csv, write_geojson};
use geo::{Geometry, MultiPolygon};

/// Writes sites (.geojson, .csv), catchments, assignments and uncovered units; returns the
/// three layers written (sites, catchments, uncovered), in the working CRS.
pub fn write(
    dir: &Path,
    plan: &Plan,
    units: &Layer,
    crs: Crs,
    bus_radius: Option<f64>,
) -> Result<Vec<Layer>> {
    let ids: Vec<String> = plan.sites.iter().map(|s| s.id.clone()).collect();
    if let Some(e) = &plan.equity {
        let mut table = equity_table(e)?;
        write_csv(&dir.join("equity.csv"), &mut table)?;
    }
    let df = sites_table(plan, crs)?;
    let mut csv = df.clone();
    write_csv(&dir.join("sites.csv"), &mut csv)?;
    let point_layer = Layer {
        name: "sites".into(),
        ids: ids.clone(),
        geometries: plan
            .sites
            .iter()
            .map(|s| Some(Geometry::Point(s.point)))
            .collect(),
        attributes: df.clone(),
        crs,
    };
    write_geojson(&dir.join("sites.geojson"), &point_layer)?;
    let radius_of = |s: SiteStatus| match s {
        SiteStatus::Bus => bus_radius.unwrap_or(plan.radius),
        _ => plan.radius,
    };
    let catchments = Layer {
        name: "catchments".into(),
        ids,
        geometries: plan
            .sites
            .iter()
            .enumerate()
            .map(|(k, s)| {
                // Walking on the network: the buffered reached streets; otherwise (or for a
                // site off the network) the circle.
                Some(Geometry::MultiPolygon(
                    match plan.catchments.get(k).cloned().flatten() {
                        Some(c) => c,
                        None => MultiPolygon::new(vec![circle(s.point, radius_of(s.status))]),
                    },
                ))
            })
            .collect(),
        attributes: df
            .select(["status", "rank", "id", "kind", "name", "demand", "population"])
            .context("catchment attributes")?,
        crs,
    };
    write_geojson(&dir.join("catchments.geojson"), &catchments)?;

    let mut assignments = assignments_table(plan, units)?;
    write_csv(&dir.join("assignments.csv"), &mut assignments)?;

    let u = &plan.uncovered;
    let uncovered = Layer {
        name: "uncovered".into(),
        ids: u.iter().map(|x| units.ids[x.unit].clone()).collect(),
        geometries: u.iter().map(|x| units.geometries[x.unit].clone()).collect(),
        attributes: uncovered_table(plan, units)?,
        crs,
    };
    write_geojson(&dir.join("uncovered.geojson"), &uncovered)?;
    Ok(vec![point_layer, catchments, uncovered])
}
