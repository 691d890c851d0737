//! The units' population and indicator columns: expressions evaluated over unit columns,
//! ratios, densities and counts.

use super::IndexError;
use super::columns::Columns;
use crate::access::supply_gap;
use careblock_core::findings::population_findings;
use careblock_core::layer::Layer;
use careblock_method::{IndicatorKind, Method};
use std::borrow::Cow;

use careblock_core::join::parts_area;
use geo::Polygon;

/// The units' population (a count ≥ 0 where known) and which units are ranked (population
/// at least `[treatment] min_population`), with the population findings as warnings.
pub(super) fn population(
    cols: &mut Columns<'_>,
    method: &Method,
    units: &Layer,
) -> Result<(Vec<Option<f64>>, Vec<bool>), IndexError> {
    let spec = &method.spec;
    let population = cols.eval_spanned(&spec.units.population, "units.population")?;
    if let Some((v, id)) = population
        .iter()
        .zip(&units.ids)
        .find(|(v, _)| v.is_some_and(|x| x.is_nan() || x < 0.0))
    {
        return Err(method
            .data_error(
                spec.units.population.span(),
                "units.population",
                format!(
                    "{}: unit {id:?} has population {}, expected a count ≥ 0",
                    units.name,
                    v.unwrap_or(f64::NAN)
                ),
            )
            .into());
    }
    let min_pop = spec.treatment.min_population;
    let eligible: Vec<bool> = population
        .iter()
        .map(|p| p.is_some_and(|p| p >= min_pop))
        .collect();
    for f in population_findings(units, &population, min_pop) {
        cols.warn(f);
    }
    Ok((population, eligible))
}

/// Each indicator's unit columns, from expressions over unit columns (a denominator summing to
/// zero refused, a share above 1 noted).
pub(super) fn build(
    cols: &mut Columns<'_>,
    method: &Method,
    units: &Layer,
) -> Result<Vec<Built>, IndexError> {
    let spec = &method.spec;
    let mut built = Vec::with_capacity(spec.indicators.len());
    for (k, ind) in spec.indicators.iter().enumerate() {
        let key = |f: &str| format!("indicators[{k}].{f}");
        let b = match ind.kind {
            IndicatorKind::Share | IndicatorKind::Ratio => {
                let num_s = ind.numerator.as_ref().expect("checked when parsed");
                let den_s = ind.denominator.as_ref().expect("checked when parsed");
                let num = cols.eval_spanned(num_s, &key("numerator"))?;
                let den = cols.eval_spanned(den_s, &key("denominator"))?;
                let total: f64 = num.iter().zip(&den).filter_map(|(n, d)| n.and(*d)).sum();
                if total == 0.0 {
                    return Err(method
                        .data_error(
                            den_s.span(),
                            key("denominator"),
                            format!(
                                "indicator {:?}: the denominator `{}` sums to zero over every unit with data: division by a zero total",
                                ind.name.get_ref(),
                                den_s.get_ref()
                            ),
                        )
                        .into());
                }
                if ind.kind == IndicatorKind::Share {
                    // A share above 1 means a sub-group larger than its total (women counted
                    // above the persons, say): kept as it is, but named.
                    let over: Vec<&str> = num
                        .iter()
                        .zip(&den)
                        .zip(&units.ids)
                        .filter(|((n, d), _)| matches!((n, d), (Some(n), Some(d)) if n > d))
                        .map(|(_, id)| id.as_str())
                        .collect();
                    if let Some(first) = over.first() {
                        cols.notes.push(careblock_text::msg!(
                            "data.share_above_one",
                            indicator = format!("{:?}", ind.name.get_ref()),
                            num = num_s.get_ref(),
                            den = den_s.get_ref(),
                            n = over.len(),
                            first = format!("{first:?}"),
                        ));
                    }
                }
                Built::Ratio { num, den }
            }
            IndicatorKind::Density => Built::Density {
                count: cols.eval_spanned(ind.count.as_ref().expect("checked when parsed"), &key("count"))?,
            },
            IndicatorKind::Count => Built::Count {
                count: cols.eval_spanned(ind.count.as_ref().expect("checked when parsed"), &key("count"))?,
            },
            IndicatorKind::AccessGap => Built::Gap,
        };
        built.push(b);
    }
    Ok(built)
}

/// The units' raw indicator values (ratios only for ranked units, densities per km²).
pub(super) fn unit_raw(
    built: &[Built],
    eligible: &[bool],
    unit_polys: &[Cow<'_, [Polygon<f64>]>],
    unit_access: Option<&Vec<Option<f64>>>,
) -> Vec<Vec<Option<f64>>> {
    let unit_area = area_km2(unit_polys.iter().map(|p| p.as_ref()));
    built
        .iter()
        .map(|b| match b {
            Built::Ratio { num, den } => ratio(num, den)
                .into_iter()
                .zip(eligible)
                .map(|(v, &e)| v.filter(|_| e))
                .collect(),
            Built::Density { count } => count
                .iter()
                .zip(&unit_area)
                .map(|(c, &a)| c.filter(|_| a > 0.0).map(|c| c / a))
                .collect(),
            Built::Count { count } => count.clone(),
            Built::Gap => supply_gap(unit_access.expect("computed above")),
        })
        .collect()
}

/// How one indicator is built, with its evaluated unit columns.
pub(super) enum Built {
    Ratio {
        num: Vec<Option<f64>>,
        den: Vec<Option<f64>>,
    },
    Density {
        count: Vec<Option<f64>>,
    },
    Count {
        count: Vec<Option<f64>>,
    },
    Gap,
}

/// Each feature's area in km² (its polygons' areas summed in order, as geo sums a
/// multipolygon's).
pub(super) fn area_km2<'p>(polys: impl Iterator<Item = &'p [Polygon<f64>]>) -> Vec<f64> {
    polys.map(|parts| parts_area(parts) / 1e6).collect()
}

pub(super) fn ratio(num: &[Option<f64>], den: &[Option<f64>]) -> Vec<Option<f64>> {
    num.iter()
        .zip(den)
        .map(|(n, d)| match (n, d) {
            (Some(n), Some(d)) if *d != 0.0 => Some(n / d),
            _ => None,
        })
        .collect()
}
