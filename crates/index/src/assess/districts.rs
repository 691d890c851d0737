//! The districts' level of the index, from the units through the area table.

use super::indicators::{Built, area_km2};
use super::{IndexError, Inputs, Level, level};
use crate::access::supply_gap;
use crate::compute::Composite;
use crate::uncertainty::MonteCarlo;
use careblock_core::checks::Finding;
use careblock_core::findings::district_coverage;
use careblock_core::join::interpolate::{AreaTable, Balance, OutsideSource};
use careblock_core::join::overlay::PolygonIndex;
use careblock_method::{LevelName, Method};
use std::borrow::Cow;

use geo::Polygon;

/// The districts' level: counts interpolated from the units through the area table (each
/// balance recorded), indicators recomputed from the sums, the coverage findings noted.
#[allow(clippy::too_many_arguments)]
pub(super) fn district_level(
    method: &Method,
    inputs: &Inputs<'_>,
    unit_polys: &[Cow<'_, [Polygon<f64>]>],
    population: &[Option<f64>],
    built: &[Built],
    unit_access: Option<&Vec<Option<f64>>>,
    composite: &Composite,
    mc: Option<&MonteCarlo>,
    notes: &mut Vec<careblock_text::Msg>,
    warnings: &mut Vec<Finding>,
) -> Result<Districts, IndexError> {
    let spec = &method.spec;
    let units = inputs.units;
    let min_pop = spec.treatment.min_population;
    let mut conservation = Vec::new();
    let mut outside = Vec::new();
    let (level, table) = match inputs.districts {
        None => (None, None),
        Some(dl) => {
            let dpolys = dl.polygons()?;
            let index = PolygonIndex::new(&dpolys);
            let table = AreaTable::build_parts(unit_polys, |p| p.as_ref(), &index);
            let coverage = district_coverage(units, dl, &dpolys, &index, &table, Some(population));
            outside = coverage.outside;
            for f in coverage.findings {
                notes.push(f.note());
                warnings.push(f);
            }
            let mut allocate = |name: String, values: &[Option<f64>]| -> Vec<f64> {
                let (out, balance) = table.allocate_extensive(values, true);
                conservation.push((name, balance));
                out
            };
            let dpop_raw = allocate("population".to_string(), population);
            let dpop: Vec<Option<f64>> = dpop_raw.iter().map(|p| Some(*p)).collect();
            let d_eligible: Vec<bool> = dpop_raw.iter().map(|&p| p >= min_pop).collect();
            let darea = area_km2(dpolys.iter().map(|p| p.0.as_slice()));
            let mut draw = Vec::with_capacity(built.len());
            for (b, ind) in built.iter().zip(&spec.indicators) {
                let name = ind.name.get_ref();
                let v: Vec<Option<f64>> = match b {
                    Built::Ratio { num, den } => {
                        // Pairwise complete: a unit counts only where both are known.
                        let both: Vec<bool> = num
                            .iter()
                            .zip(den)
                            .map(|(n, d)| n.is_some() && d.is_some())
                            .collect();
                        let n: Vec<Option<f64>> =
                            num.iter().zip(&both).map(|(v, &b)| v.filter(|_| b)).collect();
                        let d: Vec<Option<f64>> =
                            den.iter().zip(&both).map(|(v, &b)| v.filter(|_| b)).collect();
                        let sn = allocate(format!("{name}.numerator"), &n);
                        let sd = allocate(format!("{name}.denominator"), &d);
                        sn.iter()
                            .zip(&sd)
                            .zip(&d_eligible)
                            .map(|((n, d), &e)| (e && *d != 0.0).then(|| n / d))
                            .collect()
                    }
                    Built::Density { count } => {
                        let s = allocate(format!("{name}.count"), count);
                        s.iter()
                            .zip(&darea)
                            .map(|(c, &a)| (a > 0.0).then(|| c / a))
                            .collect()
                    }
                    Built::Count { count } => allocate(format!("{name}.count"), count)
                        .into_iter()
                        .map(Some)
                        .collect(),
                    Built::Gap => {
                        let acc = unit_access.expect("computed above");
                        let both: Vec<bool> = acc
                            .iter()
                            .zip(population)
                            .map(|(a, p)| a.is_some() && p.is_some())
                            .collect();
                        let mass: Vec<Option<f64>> = acc
                            .iter()
                            .zip(population)
                            .zip(&both)
                            .map(|((a, p), &b)| {
                                if b {
                                    Some(a.unwrap_or(0.0) * p.unwrap_or(0.0))
                                } else {
                                    None
                                }
                            })
                            .collect();
                        let pop: Vec<Option<f64>> = population
                            .iter()
                            .zip(&both)
                            .map(|(p, &b)| p.filter(|_| b))
                            .collect();
                        let sm = allocate(format!("{name}.access_mass"), &mass);
                        let sp = allocate(format!("{name}.population"), &pop);
                        let mean: Vec<Option<f64>> = sm
                            .iter()
                            .zip(&sp)
                            .map(|(m, p)| (*p > 0.0).then(|| m / p))
                            .collect();
                        supply_gap(&mean)
                    }
                };
                draw.push(v);
            }
            let small = d_eligible.iter().filter(|e| !**e).count();
            if small > 0 {
                let first = dl.ids[d_eligible.iter().position(|e| !e).unwrap_or(0)].clone();
                notes.push(careblock_text::msg!(
                    "data.districts_small",
                    n = small,
                    min = min_pop,
                    first = format!("{first:?}"),
                ));
            }
            let l = level(
                method,
                dl.ids.clone(),
                dpop,
                d_eligible,
                draw,
                Vec::new(),
                composite,
                mc.filter(|_| method.spec.uncertainty.covers(LevelName::Districts)),
            );
            (Some(l), Some(table))
        }
    };
    Ok(Districts {
        level,
        table,
        conservation,
        outside,
    })
}

/// What [`district_level`] gives.
pub(super) struct Districts {
    pub(super) level: Option<Level>,
    pub(super) table: Option<AreaTable>,
    pub(super) conservation: Vec<(String, Balance)>,
    pub(super) outside: Vec<OutsideSource>,
}
