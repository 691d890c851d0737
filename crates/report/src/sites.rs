//! The siting outputs of `careblock run`: sites, catchments, assignments, uncovered units, the
//! equity table (`equity.csv`, with `[siting.equity]`) and the robust siting's tables
//! (`robust.csv`, `robust_districts.csv`, with `[siting.robust]`). The tables themselves are built by
//! `careblock_pipeline::results` (shared with the Python bindings).

use std::path::Path;

use careblock_core::Crs;
use careblock_core::Layer;
use careblock_core::polars::prelude::DataFrame;
use careblock_io::IoError;
use careblock_io::write_csv;
use careblock_pipeline::results::{
    assignments_table, equity_table, robust_districts_table, robust_table, sites_table, uncovered_table,
};
use careblock_siting::plan::{Plan, SiteStatus, circle};
use geo::{Geometry, MultiPolygon};

/// The siting's tables that go to CSV only (the layers go to the GeoPackage too).
pub struct Tables {
    assignments: DataFrame,
    equity: Option<DataFrame>,
    /// `robust.csv` and, with districts, `robust_districts.csv`.
    robust: Option<(DataFrame, Option<DataFrame>)>,
}

/// Builds the siting outputs without writing anything: three layers (sites and catchments in
/// the working CRS `crs`; the uncovered units with their geometries taken from
/// `unit_geometries`, one per unit, in its CRS) and the CSV-only tables.
pub fn outputs(
    plan: &Plan,
    units: &Layer,
    crs: Crs,
    unit_geometries: (&[Option<Geometry<f64>>], Crs),
    bus_radius: Option<f64>,
) -> Result<([Layer; 3], Tables), IoError> {
    let ids: Vec<String> = plan.sites.iter().map(|s| s.id.clone()).collect();
    let equity = plan.equity.as_ref().map(equity_table).transpose()?;
    let robust = match &plan.robust {
        None => None,
        Some(r) => Some((
            robust_table(r, crs)?,
            (!r.districts.is_empty())
                .then(|| robust_districts_table(r))
                .transpose()?,
        )),
    };
    let df = sites_table(plan, crs)?;
    let radius_of = |s: SiteStatus| match s {
        SiteStatus::Bus => bus_radius.unwrap_or(plan.radius),
        _ => plan.radius,
    };
    let catchments = Layer {
        name: "catchments".into(),
        ids: ids.clone(),
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
            .map_err(|e| IoError::table("catchments", e))?,
        crs,
    };
    let point_layer = Layer {
        name: "sites".into(),
        ids,
        geometries: plan
            .sites
            .iter()
            .map(|s| Some(Geometry::Point(s.point)))
            .collect(),
        attributes: df,
        crs,
    };
    let assignments = assignments_table(plan, units)?;
    let u = &plan.uncovered;
    let uncovered = Layer {
        name: "uncovered".into(),
        ids: u.iter().map(|x| units.ids[x.unit].clone()).collect(),
        geometries: {
            use rayon::prelude::*;
            let mut g = Vec::with_capacity(u.len());
            u.par_iter()
                .map(|x| unit_geometries.0[x.unit].clone())
                .collect_into_vec(&mut g);
            g
        },
        attributes: uncovered_table(plan, units)?,
        crs: unit_geometries.1,
    };
    Ok((
        [point_layer, catchments, uncovered],
        Tables {
            assignments,
            equity,
            robust,
        },
    ))
}

/// Writes the siting's tables: assignments (.csv) and, with the equity rule, equity.csv (the
/// three layers of [`outputs`] are written with the others).
pub fn write_tables(dir: &Path, t: &Tables) -> Result<(), IoError> {
    if let Some(e) = &t.equity {
        write_csv(&dir.join("equity.csv"), &mut e.clone())?;
    }
    if let Some((r, d)) = &t.robust {
        write_csv(&dir.join("robust.csv"), &mut r.clone())?;
        if let Some(d) = d {
            write_csv(&dir.join("robust_districts.csv"), &mut d.clone())?;
        }
    }
    write_csv(&dir.join("assignments.csv"), &mut t.assignments.clone())?;
    Ok(())
}
