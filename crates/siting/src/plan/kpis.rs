//! Coverage KPIs per district before and after the plan: unit values spread by the area table
//! (each unit's weights summing to 1).

use careblock_core::join::interpolate::AreaTable;
use careblock_core::layer::Layer;
use careblock_index::assess::Assessment;

use super::spread::{normalised_rows, spread};
use super::types::{DistrictKpi, PlanError};
use super::units::Units;
use crate::{QuotaSolution, Solution};

/// Per district, the covered demand with the equity rule and without it.
pub(super) type DistrictCovered = Vec<(f64, f64)>;

/// The KPIs per district, and (under the equity rule) the covered demand per district with and
/// without the rule.
pub(super) fn district_kpis(
    districts: Option<&Layer>,
    assessment: &Assessment,
    units: &Units<'_>,
    before: &[f64],
    sol: &Solution,
    quota: Option<&QuotaSolution>,
) -> Result<(Vec<DistrictKpi>, DistrictCovered), PlanError> {
    let n = units.len();
    let mut district_covered = Vec::new();
    let kpis = match districts {
        None => Vec::new(),
        Some(dl) => {
            let built;
            let table = match &assessment.district_table {
                Some(t) => t,
                None => {
                    built = AreaTable::build_from_parts(&units.polys, &dl.polygons()?);
                    &built
                }
            };
            let m = dl.len();
            let share = |values: &[f64], cover: &[f64]| -> Vec<Option<f64>> {
                let mut num = vec![0.0; m];
                let mut den = vec![0.0; m];
                for u in 0..n {
                    let row = table.row(u);
                    let tot: f64 = row.iter().map(|e| e.1).sum();
                    if tot <= 0.0 {
                        continue;
                    }
                    for &(j, a) in row {
                        let w = a / tot * values[u];
                        den[j as usize] += w;
                        num[j as usize] += w * cover[u].min(1.0);
                    }
                }
                num.iter()
                    .zip(&den)
                    .map(|(a, b)| (*b > 0.0).then(|| a / b))
                    .collect()
            };
            let after = &sol.unit_coverage;
            if let Some(q) = quota {
                let weights = normalised_rows(table, n);
                district_covered = spread(&weights, m, |u| units.demand[u] * after[u].min(1.0))
                    .into_iter()
                    .zip(spread(&weights, m, |u| {
                        units.demand[u] * q.unconstrained.unit_coverage[u].min(1.0)
                    }))
                    .collect();
            }
            let (db, da) = (share(&units.demand, before), share(&units.demand, after));
            let (pb, pa) = (share(&units.population, before), share(&units.population, after));
            /// A group's shares per district, before and after.
            type Shares = (Vec<Option<f64>>, Vec<Option<f64>>);
            let gs: Vec<Shares> = units
                .group_values
                .iter()
                .map(|g| (share(g, before), share(g, after)))
                .collect();
            (0..m)
                .map(|j| DistrictKpi {
                    demand_before: db[j],
                    demand_after: da[j],
                    population: (pb[j], pa[j]),
                    groups: gs.iter().map(|(b, a)| (b[j], a[j])).collect(),
                })
                .collect()
        }
    };
    Ok((kpis, district_covered))
}
