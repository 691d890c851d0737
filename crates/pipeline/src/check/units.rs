//! The units' columns as the method's expressions read them (leniently: a problem is recorded
//! and the value left unknown), the population rule, and how the districts cover the units.

use super::checker::{Checker, Loaded, ids_where};
use careblock_core::Layer;
use careblock_core::findings::{district_coverage, population_findings};
use careblock_core::join::{AreaTable, PolygonIndex};
use careblock_method::IndicatorKind;
use careblock_method::expr::Expr;
use geo::MultiPolygon;
use std::collections::HashMap;
use toml::Spanned;

/// Unit columns evaluated on demand (layer columns, derived expressions, coarse-rate
/// estimates), as [`careblock_index::assess`] does, recording problems instead of
/// stopping.
pub(super) struct UnitColumns<'a> {
    pub(super) units: &'a Loaded,
    /// Projected polygons of the units (when valid).
    pub(super) unit_polys: Option<Vec<MultiPolygon<f64>>>,
    /// Projected `[[coarse]]` layers (when read, valid and projected).
    pub(super) coarse: Vec<Option<Loaded>>,
    pub(super) values: HashMap<String, Option<Vec<Option<f64>>>>,
}

pub(super) enum Value {
    /// Computed.
    Known(Vec<Option<f64>>),
    /// Depends on the index (`need_mass`): columns checked, values not computed.
    Deferred,
    /// A problem was recorded.
    Failed,
}

impl UnitColumns<'_> {
    pub(super) fn get(&mut self, c: &mut Checker<'_>, name: &str, key: &str) -> Value {
        if name == "need_mass" {
            return Value::Deferred;
        }
        if let Some(v) = self.values.get(name) {
            return match v {
                Some(v) => Value::Known(v.clone()),
                None => Value::Failed,
            };
        }
        let method = c.method;
        let spec = &method.spec;
        // Cycles were refused when the method was parsed (`Method::check`).
        let v = if let Some(e) = spec.derived.get(name) {
            self.eval(c, e, &format!("derived.{name}"))
        } else if let Some((i, r)) = spec
            .coarse_rates
            .iter()
            .enumerate()
            .find(|(_, r)| r.name.get_ref() == name)
        {
            let rkey = format!("coarse_rates[{i}]");
            let base = self.eval(c, &r.base, &format!("{rkey}.base"));
            let li = spec
                .coarse
                .iter()
                .position(|l| l.name.get_ref() == r.layer.get_ref());
            match (li.and_then(|li| self.coarse[li].as_ref()), &self.unit_polys) {
                (Some(coarse), Some(unit_polys)) => {
                    let rate = c.numeric(coarse, r.rate.get_ref(), &format!("{rkey}.rate"), false);
                    match (rate, coarse.layer.polygons()) {
                        (Some(rate), Ok(cpolys)) => {
                            let unit_rate = AreaTable::build(&cpolys, unit_polys).allocate_intensive(&rate);
                            let missing = ids_where(&self.units.layer.ids, &unit_rate, |v| v.is_none());
                            if !missing.is_empty() {
                                c.warn(
                                    &coarse.layer.name,
                                    careblock_text::msg!(
                                        "data.check_rate_no_overlap",
                                        name = name,
                                        n = missing.len(),
                                        rate = format!("{:?}", r.rate.get_ref()),
                                    ),
                                    missing,
                                );
                            }
                            match base {
                                Value::Known(b) => Value::Known(
                                    unit_rate
                                        .iter()
                                        .zip(&b)
                                        .map(|(rt, b)| Some(rt.as_ref()? * r.scale * b.as_ref()?))
                                        .collect(),
                                ),
                                other => other,
                            }
                        }
                        _ => Value::Failed,
                    }
                }
                // The coarse layer or the units could not be read: already reported.
                _ => Value::Failed,
            }
        } else {
            // Every expression of a method is a count, so every unit column it reads is
            // checked as one (as `assess` does).
            let ck = c.numeric(self.units, name, key, true);
            match ck {
                Some(v) => Value::Known(v),
                None => Value::Failed,
            }
        };
        match &v {
            Value::Known(x) => {
                self.values.insert(name.to_string(), Some(x.clone()));
            }
            Value::Failed => {
                self.values.insert(name.to_string(), None);
            }
            Value::Deferred => {}
        }
        v
    }

    pub(super) fn eval(&mut self, c: &mut Checker<'_>, e: &Spanned<String>, key: &str) -> Value {
        let method = c.method;
        let expr = match method.parse_expr(e, key) {
            Ok(x) => x,
            Err(err) => {
                c.error(&method.file, err.to_string(), Vec::new());
                return Value::Failed;
            }
        };
        self.eval_expr(c, &expr, e, key)
    }

    pub(super) fn eval_expr(
        &mut self,
        c: &mut Checker<'_>,
        expr: &Expr,
        e: &Spanned<String>,
        key: &str,
    ) -> Value {
        let method = c.method;
        let mut cols: HashMap<String, Vec<Option<f64>>> = HashMap::new();
        let mut state = Value::Known(Vec::new());
        for name in expr.columns() {
            match self.get(c, name, key) {
                Value::Known(v) => {
                    cols.insert(name.to_string(), v);
                }
                Value::Deferred => {
                    if matches!(state, Value::Known(_)) {
                        state = Value::Deferred;
                    }
                }
                Value::Failed => state = Value::Failed,
            }
        }
        if !matches!(state, Value::Known(_)) {
            return state;
        }
        let ids = &self.units.layer.ids;
        let lookup = |n: &str| cols.get(n).map(Vec::as_slice);
        match expr.eval(&lookup, ids.len()) {
            Err(err) => {
                c.error(
                    &method.file,
                    method.invalid(e.span(), key, err.to_string()).to_string(),
                    Vec::new(),
                );
                Value::Failed
            }
            Ok(out) => {
                if !out.divisions_by_zero.is_empty() {
                    c.warn(
                        &method.file,
                        careblock_text::msg!(
                            "data.check_divides_by_zero",
                            key = key,
                            expr = expr.to_string(),
                            n = out.divisions_by_zero.len(),
                        ),
                        out.divisions_by_zero.iter().map(|&i| ids[i].clone()).collect(),
                    );
                }
                if !out.non_finite.is_empty() {
                    c.error(
                        &method.file,
                        method
                            .data_error(e.span(), key, format!("`{expr}` is not finite for these units"))
                            .to_string(),
                        out.non_finite.iter().map(|&i| ids[i].clone()).collect(),
                    );
                    return Value::Failed;
                }
                Value::Known(out.values)
            }
        }
    }
}

/// Checks the unit columns, expressions and the population rule; returns the population when
/// it could be computed.
pub(super) fn check_units(c: &mut Checker<'_>, cols: &mut UnitColumns<'_>) -> Option<Vec<Option<f64>>> {
    let method = c.method;
    let spec = &method.spec;
    let ids = cols.units.layer.ids.clone();
    let mut population = None;
    if let Value::Known(pop) = cols.eval(c, &spec.units.population, "units.population") {
        let name = cols.units.layer.name.clone();
        let negative = ids_where(&ids, &pop, |p| p.is_some_and(|p| p < 0.0));
        if !negative.is_empty() {
            c.error(
                &name,
                format!(
                    "units.population: {} unit(s) have a negative population, expected a count ≥ 0",
                    negative.len()
                ),
                negative,
            );
        }
        for f in population_findings(&cols.units.layer, &pop, spec.treatment.min_population) {
            c.finding(f);
        }
        population = Some(pop);
    }
    for name in spec.derived.keys() {
        cols.get(c, name, &format!("derived.{name}"));
    }
    for r in &spec.coarse_rates {
        cols.get(c, r.name.get_ref(), "coarse_rates");
    }
    for (k, ind) in spec.indicators.iter().enumerate() {
        let key = |f: &str| format!("indicators[{k}].{f}");
        match ind.kind {
            IndicatorKind::Share | IndicatorKind::Ratio => {
                let (Some(num_s), Some(den_s)) = (&ind.numerator, &ind.denominator) else {
                    continue;
                };
                let num = cols.eval(c, num_s, &key("numerator"));
                let den = cols.eval(c, den_s, &key("denominator"));
                if let (Value::Known(num), Value::Known(den)) = (num, den) {
                    let total: f64 = num.iter().zip(&den).filter_map(|(n, d)| n.and(*d)).sum();
                    if total == 0.0 {
                        c.error(
                            &method.file,
                            method
                                .data_error(
                                    den_s.span(),
                                    key("denominator"),
                                    format!(
                                        "indicator {:?}: the denominator `{}` sums to zero over every unit with data",
                                        ind.name.get_ref(),
                                        den_s.get_ref()
                                    ),
                                )
                                .to_string(),
                            Vec::new(),
                        );
                    }
                }
            }
            IndicatorKind::Density | IndicatorKind::Count => {
                if let Some(e) = &ind.count {
                    cols.eval(c, e, &key("count"));
                }
            }
            IndicatorKind::AccessGap => {
                if let Some(d) = &spec.access.demand {
                    cols.eval(c, d, "access.demand");
                }
            }
        }
    }
    if let Some(st) = &spec.siting {
        if let Some(d) = &st.demand {
            cols.eval(c, d, "siting.demand");
        }
        for (name, e) in &st.groups {
            cols.eval(c, e, &format!("siting.groups.{name}"));
        }
        if let Some(h) = st.bus.as_ref().and_then(|b| b.households.as_ref()) {
            cols.eval(c, h, "siting.bus.households");
        }
    }
    population
}

/// Coverage of the units by the districts: units partly or wholly outside every district,
/// districts with no unit, overlapping districts (the findings `careblock run` notes).
pub(super) fn coverage(
    c: &mut Checker<'_>,
    units: &Layer,
    upolys: &[MultiPolygon<f64>],
    districts: &Layer,
    population: Option<&[Option<f64>]>,
) {
    let Ok(dpolys) = districts.polygons() else {
        return;
    };
    let index = PolygonIndex::new(&dpolys);
    let table = AreaTable::build_with(upolys, &index);
    for f in district_coverage(units, districts, &dpolys, &index, &table, population).findings {
        c.finding(f);
    }
}
