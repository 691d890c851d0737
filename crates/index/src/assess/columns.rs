//! Unit columns as the method's expressions see them: layer columns, derived columns, coarse
//! rates, each evaluated once and kept, with the notes and warnings gathered on the way.

use super::{IndexError, column_error};
use careblock_core::checks::{Finding, Use};
use careblock_core::join::interpolate::AreaTable;
use careblock_core::layer::{Layer, LayerView};
use careblock_core::polars::prelude::DataFrame;
use careblock_method::Method;
use careblock_method::expr::Expr;
use careblock_text::msg;
use std::collections::HashMap;

/// Column values of the units, computed on demand: layer columns, derived expressions and
/// coarse-rate estimates, with the method key that asked for each (for messages).
pub(super) struct Columns<'a> {
    pub(super) method: &'a Method,
    pub(super) units: &'a Layer,
    /// The units' attribute table when given apart from the layer
    /// ([`super::assess_with_unit_attributes`]), until it is released; else the layer's.
    pub(super) attributes: Option<DataFrame>,
    pub(super) coarse: &'a [Layer],
    pub(super) values: HashMap<String, Vec<Option<f64>>>,
    /// Area tables coarse layer → units, built once per coarse layer.
    pub(super) tables: HashMap<usize, AreaTable>,
    pub(super) notes: Vec<careblock_text::Msg>,
    pub(super) warnings: Vec<Finding>,
}

impl<'a> Columns<'a> {
    /// A warning, kept whole and as a note.
    pub(super) fn warn(&mut self, f: Finding) {
        self.notes.push(f.note());
        self.warnings.push(f);
    }

    pub(super) fn get(
        &mut self,
        name: &str,
        key: &str,
        span: std::ops::Range<usize>,
    ) -> Result<(), IndexError> {
        if self.values.contains_key(name) {
            return Ok(());
        }
        // Cycles were refused when the method was parsed (`Method::check`).
        let spec = &self.method.spec;
        if let Some(e) = spec.derived.get(name) {
            let dkey = format!("derived.{name}");
            let v = self.eval_spanned(e, &dkey)?;
            self.values.insert(name.to_string(), v);
            return Ok(());
        }
        if let Some((i, r)) = spec
            .coarse_rates
            .iter()
            .enumerate()
            .find(|(_, r)| r.name.get_ref() == name)
        {
            let rkey = format!("coarse_rates[{i}]");
            let base = self.eval_spanned(&r.base, &format!("{rkey}.base"))?;
            let li = spec
                .coarse
                .iter()
                .position(|c| c.name.get_ref() == r.layer.get_ref())
                .expect("checked when the method was parsed");
            let layer = &self.coarse[li];
            // A rate is not a count: any number is kept, missing values are named.
            let (rate, check) = layer
                .checked_column(r.rate.get_ref(), Use::Value)
                .map_err(|e| column_error(self.method, r.rate.span(), format!("{rkey}.rate"), e))?;
            for f in check.findings(&layer.ids, &format!("{rkey}.rate")) {
                self.warn(f);
            }
            if !self.tables.contains_key(&li) {
                let table = AreaTable::build(&layer.polygons()?, &self.units.polygons()?);
                self.tables.insert(li, table);
            }
            let unit_rate = self.tables[&li].allocate_intensive(&rate);
            let missing: Vec<&str> = unit_rate
                .iter()
                .zip(&self.units.ids)
                .filter(|(v, _)| v.is_none())
                .map(|(_, id)| id.as_str())
                .collect();
            if !missing.is_empty() {
                self.notes.push(msg!(
                    "data.rate_no_overlap",
                    name = name,
                    n = missing.len(),
                    layer = &layer.name,
                    rate = format!("{:?}", r.rate.get_ref()),
                    first = format!("{:?}", missing[0]),
                ));
            }
            let est: Vec<Option<f64>> = unit_rate
                .iter()
                .zip(&base)
                .map(|(rt, b)| Some(rt.as_ref()? * r.scale * b.as_ref()?))
                .collect();
            self.values.insert(format!("{name}:rate"), unit_rate);
            self.values.insert(name.to_string(), est);
            return Ok(());
        }
        // Every expression of a method is a count (a population, numerator, denominator,
        // density count, coarse-rate base, demand, group or household count, or a derived
        // column they use), so every unit column it reads is checked as one.
        let units = LayerView {
            attributes: self.attributes.as_ref().unwrap_or(&self.units.attributes),
            ..LayerView::from(self.units)
        };
        let (v, check) = units
            .checked_column(name, Use::Count)
            .map_err(|e| column_error(self.method, span.clone(), key, e))?;
        if let Some(e) = check.error(&self.units.ids) {
            return Err(column_error(self.method, span, key, e));
        }
        for f in check.findings(&self.units.ids, key) {
            self.warn(f);
        }
        self.values.insert(name.to_string(), v);
        Ok(())
    }

    pub(super) fn eval_spanned(
        &mut self,
        e: &toml::Spanned<String>,
        key: &str,
    ) -> Result<Vec<Option<f64>>, IndexError> {
        let expr = self.method.parse_expr(e, key)?;
        self.eval(&expr, key, e.span())
    }

    pub(super) fn eval(
        &mut self,
        expr: &Expr,
        key: &str,
        span: std::ops::Range<usize>,
    ) -> Result<Vec<Option<f64>>, IndexError> {
        for c in expr.columns() {
            self.get(c, key, span.clone())?;
        }
        let values = &self.values;
        let lookup = |c: &str| values.get(c).map(Vec::as_slice);
        let out = expr
            .eval(&lookup, self.units.len())
            .map_err(|e| self.method.invalid(span.clone(), key, e.to_string()))?;
        if !out.divisions_by_zero.is_empty() {
            self.notes.push(msg!(
                "data.divides_by_zero",
                key = key,
                expr = expr.to_string(),
                n = out.divisions_by_zero.len(),
                first = format!("{:?}", self.units.ids[out.divisions_by_zero[0]]),
            ));
        }
        if let Some(&i) = out.non_finite.first() {
            return Err(self.method.data_error(
                span,
                key,
                format!("`{expr}` is not finite for unit {:?}", self.units.ids[i]),
            ))?;
        }
        Ok(out.values)
    }
}
