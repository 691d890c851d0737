//! The siting outputs of `careblock run`: sites, catchments, assignments, uncovered units,
//! the equity table (`equity.csv`, with `[siting.equity]`), and the columns the siting adds to
//! the unit and district tables.

use std::path::Path;

use anyhow::{Context, Result};
use careblock_core::Layer;
use careblock_core::crs::Reprojection;
use careblock_core::plan::{EquityOutcome, PlacedBy, Plan, SiteStatus, Tier, circle};
use careblock_core::polars::prelude::{Column, DataFrame};
use careblock_core::{Crs, WGS84};
use careblock_io::{write_csv, write_geojson};
use geo::{Geometry, MultiPolygon};

/// Columns added to the units table.
pub fn unit_columns(plan: &Plan, units: &Layer) -> Vec<Column> {
    let mut site: Vec<Option<String>> = vec![None; units.len()];
    for a in &plan.assignments {
        site[a.unit] = Some(plan.sites[a.site].id.clone());
    }
    vec![
        Column::new("cov_before".into(), &plan.unit_coverage_before),
        Column::new("cov_after".into(), &plan.unit_coverage),
        Column::new("site".into(), site),
    ]
}

/// Columns added to the districts table (KPIs).
pub fn district_columns(plan: &Plan) -> Vec<Column> {
    let k = &plan.kpis;
    let mut cols = vec![
        Column::new(
            "need_cov_before".into(),
            k.iter().map(|x| x.demand_before).collect::<Vec<_>>(),
        ),
        Column::new(
            "need_cov_after".into(),
            k.iter().map(|x| x.demand_after).collect::<Vec<_>>(),
        ),
        Column::new(
            "pop_cov_before".into(),
            k.iter().map(|x| x.population.0).collect::<Vec<_>>(),
        ),
        Column::new(
            "pop_cov_after".into(),
            k.iter().map(|x| x.population.1).collect::<Vec<_>>(),
        ),
    ];
    for (g, name) in plan.groups.iter().enumerate() {
        cols.push(Column::new(
            format!("{name}_cov_before").into(),
            k.iter().map(|x| x.groups[g].0).collect::<Vec<_>>(),
        ));
        cols.push(Column::new(
            format!("{name}_cov_after").into(),
            k.iter().map(|x| x.groups[g].1).collect::<Vec<_>>(),
        ));
    }
    // The cost of equity: covered demand (absolute, spread by area) with and without the rule.
    if let Some(e) = &plan.equity
        && e.district_covered.len() == k.len()
    {
        cols.push(Column::new(
            "need_eq".into(),
            e.district_covered.iter().map(|c| c.0).collect::<Vec<_>>(),
        ));
        cols.push(Column::new(
            "need_noeq".into(),
            e.district_covered.iter().map(|c| c.1).collect::<Vec<_>>(),
        ));
    }
    cols
}

/// The `[siting.equity]` table: one row per district of the equity layer.
fn equity_table(e: &EquityOutcome) -> Result<DataFrame> {
    let d = &e.districts;
    DataFrame::new(
        d.len(),
        vec![
            Column::new("id".into(), d.iter().map(|x| x.id.clone()).collect::<Vec<_>>()),
            Column::new(
                "label".into(),
                d.iter().map(|x| x.label.clone()).collect::<Vec<_>>(),
            ),
            Column::new("need".into(), d.iter().map(|x| x.need).collect::<Vec<_>>()),
            Column::new("min".into(), d.iter().map(|x| x.min as u32).collect::<Vec<_>>()),
            Column::new(
                "max".into(),
                d.iter().map(|x| x.max.map(|m| m as u32)).collect::<Vec<_>>(),
            ),
            Column::new(
                "existing".into(),
                d.iter().map(|x| x.existing as u32).collect::<Vec<_>>(),
            ),
            Column::new(
                "eligible".into(),
                d.iter().map(|x| x.eligible as u32).collect::<Vec<_>>(),
            ),
            Column::new(
                "new_eq".into(),
                d.iter().map(|x| x.proposed.0 as u32).collect::<Vec<_>>(),
            ),
            Column::new(
                "new_noeq".into(),
                d.iter().map(|x| x.proposed.1 as u32).collect::<Vec<_>>(),
            ),
            Column::new(
                "by_equity".into(),
                d.iter().map(|x| x.by_equity as u32).collect::<Vec<_>>(),
            ),
            Column::new("demand".into(), d.iter().map(|x| x.demand).collect::<Vec<_>>()),
            Column::new(
                "need_eq".into(),
                d.iter().map(|x| x.covered.0).collect::<Vec<_>>(),
            ),
            Column::new(
                "need_noeq".into(),
                d.iter().map(|x| x.covered.1).collect::<Vec<_>>(),
            ),
            Column::new("short".into(), d.iter().map(|x| x.short).collect::<Vec<_>>()),
        ],
    )
    .context("building the equity table")
}

/// Writes sites (.geojson, .csv), catchments, assignments and uncovered units; returns the
/// three layers written (sites, catchments, uncovered), in the working CRS.
pub fn write(
    dir: &Path,
    plan: &Plan,
    units: &Layer,
    crs: Crs,
    bus_radius: Option<f64>,
) -> Result<Vec<Layer>> {
    let to_wgs = Reprojection::new(crs, WGS84);
    let n = plan.sites.len();
    let ids: Vec<String> = plan.sites.iter().map(|s| s.id.clone()).collect();
    let mut lon = Vec::with_capacity(n);
    let mut lat = Vec::with_capacity(n);
    for s in &plan.sites {
        let c = to_wgs
            .apply(s.point.0)
            .map_err(|e| anyhow::anyhow!("site {:?}: cannot convert to lon/lat: {e}", s.id))?;
        lon.push((c.x * 1e7).round() / 1e7);
        lat.push((c.y * 1e7).round() / 1e7);
    }
    let share = |v: f64| {
        if plan.blocks.total_demand > 0.0 {
            v / plan.blocks.total_demand
        } else {
            0.0
        }
    };
    let mut cols = vec![
        Column::new(
            "status".into(),
            plan.sites.iter().map(|s| s.status.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            "rank".into(),
            plan.sites
                .iter()
                .map(|s| s.rank.map(|r| r as u32))
                .collect::<Vec<_>>(),
        ),
        Column::new("id".into(), &ids),
        Column::new(
            "kind".into(),
            plan.sites.iter().map(|s| s.kind.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "name".into(),
            plan.sites.iter().map(|s| s.label.clone()).collect::<Vec<_>>(),
        ),
        Column::new("lon".into(), &lon),
        Column::new("lat".into(), &lat),
        Column::new(
            "gain".into(),
            plan.sites.iter().map(|s| s.marginal_gain).collect::<Vec<_>>(),
        ),
        Column::new(
            "cumulative".into(),
            plan.sites.iter().map(|s| s.cumulative).collect::<Vec<_>>(),
        ),
        Column::new(
            "cum_share".into(),
            plan.sites
                .iter()
                .map(|s| (s.status != SiteStatus::Bus).then(|| share(s.cumulative)))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "irreplace".into(),
            plan.sites.iter().map(|s| s.irreplaceability).collect::<Vec<_>>(),
        ),
        Column::new(
            "demand".into(),
            plan.sites.iter().map(|s| s.demand).collect::<Vec<_>>(),
        ),
        Column::new(
            "population".into(),
            plan.sites.iter().map(|s| s.population).collect::<Vec<_>>(),
        ),
        Column::new(
            "mean_index".into(),
            plan.sites.iter().map(|s| s.mean_index).collect::<Vec<_>>(),
        ),
        Column::new(
            "n_units".into(),
            plan.sites.iter().map(|s| s.units as u32).collect::<Vec<_>>(),
        ),
    ];
    for (g, name) in plan.groups.iter().enumerate() {
        cols.push(Column::new(
            name.as_str().into(),
            plan.sites.iter().map(|s| s.groups[g]).collect::<Vec<_>>(),
        ));
    }
    if let Some(e) = &plan.equity {
        cols.push(Column::new(
            "placed_by".into(),
            plan.sites
                .iter()
                .map(|s| s.placed_by.map(PlacedBy::as_str))
                .collect::<Vec<_>>(),
        ));
        cols.push(Column::new(
            "district".into(),
            plan.sites.iter().map(|s| s.district.clone()).collect::<Vec<_>>(),
        ));
        let mut table = equity_table(e)?;
        write_csv(&dir.join("equity.csv"), &mut table)?;
    }
    let df = DataFrame::new(n, cols).context("building the sites table")?;
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

    let a = &plan.assignments;
    let mut assignments = DataFrame::new(
        a.len(),
        vec![
            Column::new(
                "site".into(),
                a.iter()
                    .map(|x| plan.sites[x.site].id.clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "site_status".into(),
                a.iter()
                    .map(|x| plan.sites[x.site].status.as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "unit".into(),
                a.iter().map(|x| units.ids[x.unit].clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                "fraction".into(),
                a.iter().map(|x| x.fraction).collect::<Vec<_>>(),
            ),
            Column::new(
                "distance_m".into(),
                a.iter().map(|x| x.distance).collect::<Vec<_>>(),
            ),
        ],
    )
    .context("building the assignments table")?;
    write_csv(&dir.join("assignments.csv"), &mut assignments)?;

    let u = &plan.uncovered;
    let tier = |t: &Tier| match t {
        Tier::Unserved => ("unserved", None),
        Tier::Bus(s) => ("bus", Some(plan.sites[*s].id.clone())),
        Tier::HomeCare => ("home_care", None),
    };
    let uncovered = Layer {
        name: "uncovered".into(),
        ids: u.iter().map(|x| units.ids[x.unit].clone()).collect(),
        geometries: u.iter().map(|x| units.geometries[x.unit].clone()).collect(),
        attributes: DataFrame::new(
            u.len(),
            vec![
                Column::new(
                    "id".into(),
                    u.iter().map(|x| units.ids[x.unit].clone()).collect::<Vec<_>>(),
                ),
                Column::new("class".into(), u.iter().map(|x| x.class).collect::<Vec<_>>()),
                Column::new(
                    "density".into(),
                    u.iter()
                        .map(|x| x.density.is_finite().then_some(x.density))
                        .collect::<Vec<_>>(),
                ),
                Column::new("demand".into(), u.iter().map(|x| x.demand).collect::<Vec<_>>()),
                Column::new(
                    "tier".into(),
                    u.iter().map(|x| tier(&x.tier).0).collect::<Vec<_>>(),
                ),
                Column::new(
                    "bus_stop".into(),
                    u.iter().map(|x| tier(&x.tier).1).collect::<Vec<_>>(),
                ),
                Column::new(
                    "households".into(),
                    u.iter().map(|x| x.households).collect::<Vec<_>>(),
                ),
            ],
        )
        .context("building the uncovered table")?,
        crs,
    };
    write_geojson(&dir.join("uncovered.geojson"), &uncovered)?;
    Ok(vec![point_layer, catchments, uncovered])
}
