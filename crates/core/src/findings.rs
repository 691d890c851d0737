//! The warnings about the data that every entry point shares: missing values by column, the
//! population floor, units outside every district, districts with no unit, overlapping
//! districts, each a [`Finding`] with its complete id list.

use careblock_text::{Arg, Msg, fixed, msg};
use geo::MultiPolygon;

use crate::checks::{Finding, Use};
use crate::error::LayerError;
use crate::join::interpolate::{AreaTable, OutsideSource, target_overlaps};
use crate::join::overlay::PolygonIndex;
use crate::layer::Layer;

/// The missing values of the columns an areal interpolation reads (the extensive ones as
/// counts, the intensive ones as values), which it counts but does not name. Refused values
/// are [`crate::join::area_interpolate`]'s errors, not findings.
pub fn interpolation_findings(
    source: &Layer,
    extensive: &[&str],
    intensive: &[&str],
) -> Result<Vec<Finding>, LayerError> {
    let mut out = Vec::new();
    for (columns, used_as, used_by) in [
        (extensive, Use::Count, "extensive"),
        (intensive, Use::Value, "intensive"),
    ] {
        for c in columns {
            let (_, check) = source.checked_column(c, used_as)?;
            out.extend(check.findings(&source.ids, used_by));
        }
    }
    Ok(out)
}

/// The units that the population rule leaves unranked: population 0 (when the minimum is above
/// 0), above 0 but below the minimum, and no population value. Negative populations are errors,
/// not findings.
pub fn population_findings(units: &Layer, population: &[Option<f64>], min: f64) -> Vec<Finding> {
    let ids_where = |f: &dyn Fn(Option<f64>) -> bool| -> Vec<String> {
        units
            .ids
            .iter()
            .zip(population)
            .filter(|(_, p)| f(**p))
            .map(|(id, _)| id.clone())
            .collect()
    };
    let mut out = Vec::new();
    let mut push = |message: Msg, ids: Vec<String>| {
        if !ids.is_empty() {
            out.push(Finding {
                source: units.name.clone(),
                message,
                ids,
            });
        }
    };
    if min > 0.0 {
        let zero = ids_where(&|p| p == Some(0.0));
        push(msg!("findings.population_zero", n = zero.len()), zero);
    }
    let small = ids_where(&|p| p.is_some_and(|p| p > 0.0 && p < min));
    push(
        msg!("findings.population_small", n = small.len(), min = min),
        small,
    );
    let none = ids_where(&|p| p.is_none());
    push(msg!("findings.population_none", n = none.len()), none);
    out
}

/// How the districts cover the units, from the area table units → districts: units wholly or
/// partly outside every district (with the share of the population they hold, when it is
/// known), districts that contain no unit, and overlapping districts.
pub struct DistrictCoverage {
    /// Units with some area outside every district (covered fraction below 1 − 1e-9), as
    /// `run.json` lists them.
    pub outside: Vec<OutsideSource>,
    /// The warnings.
    pub findings: Vec<Finding>,
}

/// Share of the area within which a unit counts as wholly inside or wholly outside, and the
/// relative area below which two districts are not said to overlap.
const COVERAGE_TOLERANCE: f64 = 1e-6;

/// The share of a unit inside the districts, for its id in a list: whole percents, without a
/// decimal separator, so that the list reads the same in every language ("<1 %" and ">99 %"
/// for the shares a rounding would show as 0 or 100).
fn share_inside(f: f64) -> String {
    let p = 100.0 * f;
    if p < 1.0 {
        "<1 %".to_string()
    } else if p > 99.0 {
        ">99 %".to_string()
    } else {
        format!("{p:.0} %")
    }
}

/// Checks the coverage of `units` (their polygons `upolys`, in the working CRS) by `districts`
/// (`index` over their polygons `dpolys`), with `table` built from them.
pub fn district_coverage(
    units: &Layer,
    districts: &Layer,
    dpolys: &[MultiPolygon<f64>],
    index: &PolygonIndex<'_>,
    table: &AreaTable,
    population: Option<&[Option<f64>]>,
) -> DistrictCoverage {
    let tol = COVERAGE_TOLERANCE;
    let mut outside = Vec::new();
    let (mut wholly, mut partly) = (Vec::new(), Vec::new());
    let (mut pop_wholly, mut pop_partly) = (0.0, 0.0);
    let mut used = vec![false; dpolys.len()];
    for (i, id) in units.ids.iter().enumerate() {
        for &(j, _) in table.row(i) {
            used[j as usize] = true;
        }
        if table.source_area(i) <= 0.0 {
            continue;
        }
        let f = table.covered_fraction(i);
        if f < 1.0 - 1e-9 {
            outside.push(OutsideSource {
                id: id.clone(),
                covered_fraction: f,
            });
        }
        let pop = population.and_then(|p| p[i]).unwrap_or(0.0);
        if f <= tol {
            wholly.push(id.clone());
            pop_wholly += pop;
        } else if f < 1.0 - tol {
            partly.push(format!("{id} ({})", share_inside(f)));
            pop_partly += pop;
        }
    }
    let total: f64 = population.map_or(0.0, |p| p.iter().flatten().sum());
    let share = |pop: f64| -> Arg {
        if population.is_some() && total > 0.0 {
            msg!("findings.of_population", share = fixed(100.0 * pop / total, 1)).into()
        } else {
            Arg::Text(String::new())
        }
    };
    let mut findings = Vec::new();
    if !wholly.is_empty() {
        findings.push(Finding {
            source: units.name.clone(),
            message: msg!(
                "findings.units_wholly_outside",
                n = wholly.len(),
                share = share(pop_wholly),
                districts = &districts.name,
            ),
            ids: wholly,
        });
    }
    if !partly.is_empty() {
        findings.push(Finding {
            source: units.name.clone(),
            message: msg!(
                "findings.units_partly_outside",
                n = partly.len(),
                share = share(pop_partly),
                districts = &districts.name,
            ),
            ids: partly,
        });
    }
    let empty: Vec<String> = districts
        .ids
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(id, _)| id.clone())
        .collect();
    if !empty.is_empty() {
        findings.push(Finding {
            source: districts.name.clone(),
            message: msg!("findings.districts_empty", n = empty.len()),
            ids: empty,
        });
    }
    let overlaps = target_overlaps(districts, dpolys, index, tol);
    if !overlaps.is_empty() {
        findings.push(Finding {
            source: districts.name.clone(),
            message: msg!("findings.districts_overlap", n = overlaps.len()),
            ids: overlaps
                .iter()
                .map(|o| format!("{}/{} ({:.0} m²)", o.a, o.b, o.area))
                .collect(),
        });
    }
    DistrictCoverage { outside, findings }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Geometry, polygon};
    use polars::prelude::*;

    fn layer(name: &str, geometries: Vec<Geometry<f64>>) -> Layer {
        let n = geometries.len();
        let prefix = &name[..1];
        Layer::new(
            name,
            (0..n).map(|i| format!("{prefix}{i}")).collect(),
            geometries.into_iter().map(Some).collect(),
            DataFrame::empty_with_height(n),
            crate::crs::Crs::Projected { epsg: 9377 },
        )
        .unwrap()
    }

    fn square(x: f64, y: f64, s: f64) -> Geometry<f64> {
        polygon![(x: x, y: y), (x: x + s, y: y), (x: x + s, y: y + s), (x: x, y: y + s)].into()
    }

    #[test]
    fn population_floor_findings() {
        let units = layer("units", vec![square(0.0, 0.0, 1.0); 5]);
        let pop = [Some(0.0), Some(12.0), None, Some(40.0), Some(0.0)];
        let f = population_findings(&units, &pop, 30.0);
        assert_eq!(f.len(), 3);
        assert!(
            f[0].message.to_string().contains("population 0"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].ids, ["u0", "u4"]);
        assert!(
            f[1].message.to_string().contains("population below 30"),
            "{}",
            f[1].message
        );
        assert_eq!(f[1].ids, ["u1"]);
        assert!(f[2].message.to_string().contains("no population value"));
        assert_eq!(f[2].ids, ["u2"]);
        // With no minimum, a unit of population 0 is ranked: nothing to say about it.
        assert_eq!(population_findings(&units, &pop, 0.0).len(), 1);
    }

    #[test]
    fn coverage_findings_name_outsiders_empty_and_overlapping_districts() {
        // u0 inside A, u1 half in B, u2 outside; A and B overlap; C is empty.
        let units = layer(
            "units",
            vec![
                square(0.0, 0.0, 10.0),
                square(20.0, 0.0, 10.0),
                square(100.0, 0.0, 10.0),
            ],
        );
        let districts = layer(
            "districts",
            vec![
                square(-1.0, -1.0, 18.0),
                square(15.0, -1.0, 10.0),
                square(500.0, 0.0, 5.0),
            ],
        );
        let upolys = units.polygons().unwrap();
        let dpolys = districts.polygons().unwrap();
        let index = PolygonIndex::new(&dpolys);
        let table = AreaTable::build_with(&upolys, &index);
        let pop = [Some(100.0), Some(300.0), Some(600.0)];
        let c = district_coverage(&units, &districts, &dpolys, &index, &table, Some(&pop));
        let ids: Vec<&str> = c.outside.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["u1", "u2"]);
        let messages: Vec<String> = c.findings.iter().map(|f| f.message.to_string()).collect();
        assert_eq!(c.findings.len(), 4, "{messages:#?}");
        assert!(messages[0].starts_with("1 unit(s) (60.0 % of the population) lie wholly outside"));
        assert_eq!(c.findings[0].ids, ["u2"]);
        assert!(messages[1].starts_with("1 unit(s) (30.0 % of the population) lie partly outside"));
        assert_eq!(c.findings[1].ids, ["u1 (45 %)"]);
        assert_eq!(share_inside(0.004), "<1 %");
        assert_eq!(share_inside(0.993), ">99 %");
        assert_eq!(share_inside(0.386), "39 %");
        assert!(messages[2].contains("contain no unit"));
        assert_eq!(c.findings[2].ids, ["d2"]);
        assert!(messages[3].contains("overlap"));
        assert_eq!(c.findings[3].ids, ["d0/d1 (20 m²)"]);
        // Without the population, the same findings without the share.
        let c = district_coverage(&units, &districts, &dpolys, &index, &table, None);
        assert!(
            c.findings[0]
                .message
                .to_string()
                .starts_with("1 unit(s) lie wholly outside")
        );
    }
}
