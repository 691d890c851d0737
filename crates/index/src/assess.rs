//! The index pipeline over layers: columns and expressions → coarse rates → access (E2SFCA) →
//! raw indicators per unit → counts interpolated to districts (ratio of sums) → treatment →
//! scores → uncertainty.
//!
//! Every input layer must already be validated and projected to the same CRS in metres (the
//! readers in careblock-io and the CLI do that). Every count summed to districts is checked for
//! conservation, and the balance is part of the result.

use std::collections::HashMap;

use geo::{Area, MultiPolygon, Point};
use thiserror::Error;

use super::Direction;
use super::access::{AccessError, e2sfca, supply_gap};
use super::classify::Classification;
use super::compute::{Composite, DimensionDef, IndicatorDef, Scores, score};
use super::treat::winsorise;
use super::uncertainty::{MonteCarlo, Uncertainty, monte_carlo};
use careblock_core::checks::{Finding, Use};
use careblock_core::error::{JoinError, LayerError};
use careblock_core::findings::{district_coverage, population_findings};
use careblock_core::join::interpolate::{AreaTable, Balance, OutsideSource, check_join_inputs};
use careblock_core::join::overlay::PolygonIndex;
use careblock_core::join::points::{Neighbours, centroids, points_within_distance};
use careblock_core::layer::Layer;
use careblock_core::network::PreparedNetwork;
use careblock_method::bands::DistanceBands;
use careblock_method::expr::Expr;
use careblock_method::{DistanceRule, IndicatorKind, LevelName, Method, MethodError, NormalisationName};

/// Errors of the index pipeline.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum IndexError {
    /// The method file, or a column it names.
    #[error(transparent)]
    Method(#[from] MethodError),
    /// A layer problem (wrong geometry kind, non-numeric value).
    #[error(transparent)]
    Layer(#[from] LayerError),
    /// A join problem (CRS, invalid geometry).
    #[error(transparent)]
    Join(#[from] JoinError),
    /// The access computation.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The street network.
    #[error(transparent)]
    Network(#[from] careblock_core::network::NetworkError),
    /// A value of a column the method reads that careblock refuses: non-numeric text, or a
    /// negative or non-finite count ([`careblock_core::checks`]), with the method key that reads it.
    #[error("{file}:{line}: {key}: {error}")]
    Value {
        /// The method file.
        file: String,
        /// 1-based line of the key.
        line: usize,
        /// The key that reads the column (e.g. `indicators[0].numerator`).
        key: String,
        /// The value refused, naming the layer (file), feature id, field and value.
        error: LayerError,
    },
}

/// A column error at a method key: a refused value as [`IndexError::Value`], anything else
/// (a missing column, a column type careblock cannot read) as [`MethodError::Data`].
fn column_error(
    method: &Method,
    span: std::ops::Range<usize>,
    key: impl Into<String>,
    error: LayerError,
) -> IndexError {
    match error {
        LayerError::NotNumeric { .. } | LayerError::InvalidCount { .. } => IndexError::Value {
            file: method.file.clone(),
            line: method.line_of(span),
            key: key.into(),
            error,
        },
        other => method.data_error(span, key, other.to_string()).into(),
    }
}

/// The layers a method reads, already validated and projected to one CRS in metres.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The census units.
    pub units: &'a Layer,
    /// The districts, if the method declares them.
    pub districts: Option<&'a Layer>,
    /// The `[[coarse]]` layers, in the method's order.
    pub coarse: &'a [Layer],
    /// The `[[supply]]` layers, in the method's order.
    pub supply: &'a [Layer],
    /// The `[network]` street layer, when the method declares one.
    pub network: Option<&'a Layer>,
    /// The `[network] gap` polygon layer.
    pub network_gap: Option<&'a Layer>,
    /// The network built from `network` once for both the index and the siting (`None`: each
    /// builds its own).
    pub prepared_network: Option<&'a careblock_core::network::PreparedNetwork>,
}

/// Everything about one indicator that outputs need.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorInfo {
    /// Name.
    pub name: String,
    /// Description.
    pub label: Option<String>,
    /// Dimension name.
    pub dimension: String,
    /// Kind.
    pub kind: IndicatorKind,
    /// Direction.
    pub direction: Direction,
    /// Weight within the dimension.
    pub weight: f64,
    /// Documented criterion or proxy, as the method says.
    pub basis: Option<String>,
}

/// The index of one level (units or districts).
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    /// Feature ids.
    pub ids: Vec<String>,
    /// Population per row.
    pub population: Vec<Option<f64>>,
    /// Whether the row is ranked (population ≥ the minimum).
    pub eligible: Vec<bool>,
    /// Raw indicator values (outer: indicator).
    pub raw: Vec<Vec<Option<f64>>>,
    /// After winsorisation.
    pub treated: Vec<Vec<Option<f64>>>,
    /// How many values winsorisation clipped, per indicator (low, high).
    pub clipped: Vec<(usize, usize)>,
    /// Scores, index, rank, class, contributions.
    pub scores: Scores,
    /// Need mass `population × index / 100` (when the index is on a 0–100 scale).
    pub need_mass: Vec<Option<f64>>,
    /// Extra per-row columns (coarse-rate estimates, E2SFCA access), by name.
    pub extra: Vec<(String, Vec<Option<f64>>)>,
    /// Monte Carlo outcome, when `uncertainty.draws > 0`.
    pub uncertainty: Option<Uncertainty>,
}

/// The result of [`assess`].
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// The indicators, in method order.
    pub indicators: Vec<IndicatorInfo>,
    /// Dimensions: name, weight, label.
    pub dimensions: Vec<(String, f64, Option<String>)>,
    /// The units' index.
    pub units: Level,
    /// The districts' index.
    pub districts: Option<Level>,
    /// Balance of every count interpolated from units to districts.
    pub conservation: Vec<(String, Balance)>,
    /// Units partly or wholly outside every district.
    pub outside: Vec<OutsideSource>,
    /// Plain-language notes on what was excluded or estimated (never silent); each of
    /// `warnings` is one of them, with its first ids.
    pub notes: Vec<String>,
    /// The warnings about the data, each with every id concerned ([`careblock_core::checks`]): missing
    /// values by column, units the population rule leaves unranked, and the coverage of the
    /// units by the districts (units outside, districts with no unit, overlaps).
    pub warnings: Vec<Finding>,
    /// Unit columns the siting needs, evaluated from the method's expressions: `demand`,
    /// `group:NAME` for each `[siting.groups]` entry, and `households` for the bus tier.
    pub siting_columns: Vec<(String, Vec<Option<f64>>)>,
    /// The area table units → districts the district sums were made with (reused by the
    /// siting's district KPIs).
    pub district_table: Option<AreaTable>,
}

/// Column values of the units, computed on demand: layer columns, derived expressions and
/// coarse-rate estimates, with the method key that asked for each (for messages).
struct Columns<'a> {
    method: &'a Method,
    units: &'a Layer,
    unit_polys: &'a [MultiPolygon<f64>],
    coarse: &'a [Layer],
    values: HashMap<String, Vec<Option<f64>>>,
    /// Area tables coarse layer → units, built once per coarse layer.
    tables: HashMap<usize, AreaTable>,
    in_progress: Vec<String>,
    notes: Vec<String>,
    warnings: Vec<Finding>,
}

impl<'a> Columns<'a> {
    /// A warning, kept whole and as a note.
    fn warn(&mut self, f: Finding) {
        self.notes.push(f.note());
        self.warnings.push(f);
    }

    fn get(&mut self, name: &str, key: &str, span: std::ops::Range<usize>) -> Result<(), IndexError> {
        if self.values.contains_key(name) {
            return Ok(());
        }
        if self.in_progress.iter().any(|n| n == name) {
            return Err(self
                .method
                .invalid(
                    span,
                    key,
                    format!(
                        "derived column {name:?} refers to itself (cycle: {})",
                        self.in_progress.join(" → ")
                    ),
                )
                .into());
        }
        let spec = &self.method.spec;
        if let Some(e) = spec.derived.get(name) {
            self.in_progress.push(name.to_string());
            let dkey = format!("derived.{name}");
            let v = self.eval_spanned(e, &dkey)?;
            self.in_progress.pop();
            self.values.insert(name.to_string(), v);
            return Ok(());
        }
        if let Some((i, r)) = spec
            .coarse_rates
            .iter()
            .enumerate()
            .find(|(_, r)| r.name.get_ref() == name)
        {
            self.in_progress.push(name.to_string());
            let rkey = format!("coarse_rates[{i}]");
            let base = self.eval_spanned(&r.base, &format!("{rkey}.base"))?;
            self.in_progress.pop();
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
                let table = AreaTable::build(&layer.polygons()?, self.unit_polys);
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
                self.notes.push(format!(
                    "{name}: {} unit(s) overlap no {} polygon with a value of {:?}, so their estimate is missing (first: {:?})",
                    missing.len(),
                    layer.name,
                    r.rate.get_ref(),
                    missing[0]
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
        let (v, check) = self
            .units
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

    fn eval_spanned(&mut self, e: &toml::Spanned<String>, key: &str) -> Result<Vec<Option<f64>>, IndexError> {
        let expr = self.method.parse_expr(e, key)?;
        self.eval(&expr, key, e.span())
    }

    fn eval(
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
            self.notes.push(format!(
                "{key}: `{expr}` divides by zero for {} unit(s) (first: {:?}); their value is missing",
                out.divisions_by_zero.len(),
                self.units.ids[out.divisions_by_zero[0]]
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

/// How one indicator is built, with its evaluated unit columns.
enum Built {
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

fn area_km2(polys: &[MultiPolygon<f64>]) -> Vec<f64> {
    polys.iter().map(|p| p.unsigned_area() / 1e6).collect()
}

fn ratio(num: &[Option<f64>], den: &[Option<f64>]) -> Vec<Option<f64>> {
    num.iter()
        .zip(den)
        .map(|(n, d)| match (n, d) {
            (Some(n), Some(d)) if *d != 0.0 => Some(n / d),
            _ => None,
        })
        .collect()
}

/// Runs the whole index on the inputs.
pub fn assess(method: &Method, inputs: Inputs<'_>) -> Result<Assessment, IndexError> {
    let spec = &method.spec;
    let units = inputs.units;
    if let Some(d) = inputs.districts {
        check_join_inputs(units, d)?;
    } else {
        check_join_inputs(units, units)?;
    }
    for layer in inputs.coarse.iter().chain(inputs.supply) {
        check_join_inputs(layer, units)?;
    }
    let unit_polys = units.polygons()?;
    let mut cols = Columns {
        method,
        units,
        unit_polys: &unit_polys,
        coarse: inputs.coarse,
        values: HashMap::new(),
        tables: HashMap::new(),
        in_progress: Vec::new(),
        notes: Vec::new(),
        warnings: Vec::new(),
    };

    // Population and eligibility.
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

    // Indicators, built from expressions over unit columns.
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
                        cols.notes.push(format!(
                            "indicator {:?}: the numerator `{}` exceeds the denominator `{}` in {} unit(s), a sub-group larger than its total; their share is above 1 and kept as it is (first: {first:?})",
                            ind.name.get_ref(),
                            num_s.get_ref(),
                            den_s.get_ref(),
                            over.len()
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

    // Access to existing supply (E2SFCA), once for every access_gap indicator.
    let needs_access = built.iter().any(|b| matches!(b, Built::Gap));
    let mut unit_access: Option<Vec<Option<f64>>> = None;
    let mut extra: Vec<(String, Vec<Option<f64>>)> = Vec::new();
    if needs_access {
        let bands = match spec.access.band_metres(spec.network.as_ref()) {
            Some(b) => DistanceBands::new(b).map_err(AccessError::from)?,
            None => DistanceBands::default(),
        };
        if let (Some(m), Some(ns)) = (&spec.access.minutes, &spec.network) {
            let list = |v: Vec<String>| v.join("/");
            cols.notes.push(format!(
                "access: bands of {} min at {} km/h = {} m",
                list(m.get_ref().iter().map(|[t, _]| format!("{t}")).collect()),
                ns.walking_speed(),
                list(bands.bands().iter().map(|(d, _)| format!("{d:.0}")).collect())
            ));
        }
        let demand = match &spec.access.demand {
            Some(d) => cols.eval_spanned(d, "access.demand")?,
            None => population.clone(),
        };
        let mut points: Vec<Option<Point<f64>>> = Vec::new();
        let mut capacity: Vec<f64> = Vec::new();
        for (s, layer) in spec.supply.iter().zip(inputs.supply) {
            let pts = layer.points()?;
            let no_geometry: Vec<&str> = pts
                .iter()
                .zip(&layer.ids)
                .filter(|(p, _)| p.is_none())
                .map(|(_, id)| id.as_str())
                .collect();
            if !no_geometry.is_empty() {
                cols.notes.push(format!(
                    "{}: {} facilit(ies) without a location cannot be reached and are left out of access (first: {:?})",
                    layer.name,
                    no_geometry.len(),
                    no_geometry[0]
                ));
            }
            let caps = match &s.capacity {
                None => vec![1.0; layer.len()],
                Some(c) => {
                    let key = format!("supply.{}.capacity", s.name);
                    let (v, check) = layer
                        .checked_column(c.get_ref(), Use::Count)
                        .map_err(|e| column_error(method, c.span(), &key, e))?;
                    if let Some(e) = check.error(&layer.ids) {
                        return Err(column_error(method, c.span(), key, e));
                    }
                    for f in check.findings(&layer.ids, &key) {
                        cols.warn(f);
                    }
                    v.into_iter().map(|x| x.unwrap_or(0.0)).collect()
                }
            };
            points.extend(pts);
            capacity.extend(caps);
        }
        let access = match (spec.access.distance(), &spec.network) {
            (DistanceRule::Network, Some(ns)) => {
                let mut built = None;
                let cost = PreparedNetwork::or_build(
                    inputs.prepared_network,
                    &mut built,
                    &ns.walk_options(),
                    inputs.network,
                    inputs.network_gap,
                )?;
                let d = cost.within(&centroids(units), &points, bands.max_distance());
                cols.notes.push(format!(
                    "access: walking distances on the street network; {}",
                    cost.graph_note()
                ));
                let mut facility_ids = Vec::new();
                for layer in inputs.supply {
                    facility_ids.extend(layer.ids.iter().cloned());
                }
                let notes = [
                    cost.fallback_note("unit centroids", &d.sources, &units.ids, d.max_snap),
                    cost.fallback_note("care facilities", &d.targets, &facility_ids, d.max_snap),
                ];
                cols.notes
                    .extend(notes.into_iter().flatten().map(|n| format!("access: {n}")));
                // Rows are unit → facilities, as E2SFCA wants.
                e2sfca(&demand, &capacity, &Neighbours::from_rows(d.rows), &bands)?
            }
            _ => {
                let neighbours = points_within_distance(&centroids(units), &points, bands.max_distance())?;
                e2sfca(&demand, &capacity, &neighbours, &bands)?
            }
        };
        extra.push(("access_e2sfca".to_string(), access.unit_access.clone()));
        unit_access = Some(access.unit_access);
    }
    for r in &spec.coarse_rates {
        let name = r.name.get_ref();
        if let (Some(rate), Some(est)) = (cols.values.get(&format!("{name}:rate")), cols.values.get(name)) {
            extra.push((format!("{name}_rate"), rate.clone()));
            extra.push((name.clone(), est.clone()));
        }
    }
    let mut notes = std::mem::take(&mut cols.notes);
    let mut warnings = std::mem::take(&mut cols.warnings);

    // Unit-level raw indicators.
    let unit_area = area_km2(&unit_polys);
    let unit_raw: Vec<Vec<Option<f64>>> = built
        .iter()
        .map(|b| match b {
            Built::Ratio { num, den } => ratio(num, den)
                .into_iter()
                .zip(&eligible)
                .map(|(v, &e)| v.filter(|_| e))
                .collect(),
            Built::Density { count } => count
                .iter()
                .zip(&unit_area)
                .map(|(c, &a)| c.filter(|_| a > 0.0).map(|c| c / a))
                .collect(),
            Built::Count { count } => count.clone(),
            Built::Gap => supply_gap(unit_access.as_ref().expect("computed above")),
        })
        .collect();

    let composite = composite(method);
    let mc = monte_carlo_spec(method);
    let unit_level = level(
        method,
        units.ids.clone(),
        population.clone(),
        eligible.clone(),
        unit_raw,
        extra,
        &composite,
        mc.as_ref()
            .filter(|_| method.spec.uncertainty.covers(LevelName::Units)),
    );

    // Columns the siting needs (they may use the need mass).
    cols.values
        .insert("need_mass".to_string(), unit_level.need_mass.clone());
    let mut siting_columns = Vec::new();
    if let Some(st) = &spec.siting {
        let demand = match &st.demand {
            Some(d) => cols.eval_spanned(d, "siting.demand")?,
            None => unit_level.need_mass.clone(),
        };
        siting_columns.push(("demand".to_string(), demand));
        for (name, e) in &st.groups {
            let v = cols.eval_spanned(e, &format!("siting.groups.{name}"))?;
            siting_columns.push((format!("group:{name}"), v));
        }
        if let Some(h) = st.bus.as_ref().and_then(|b| b.households.as_ref()) {
            siting_columns.push((
                "households".to_string(),
                cols.eval_spanned(h, "siting.bus.households")?,
            ));
        }
        notes.append(&mut cols.notes);
        warnings.append(&mut cols.warnings);
    }

    // Districts: counts interpolated, indicators recomputed from sums.
    let mut conservation = Vec::new();
    let mut outside = Vec::new();
    let (districts, district_table) = match inputs.districts {
        None => (None, None),
        Some(dl) => {
            let dpolys = dl.polygons()?;
            let index = PolygonIndex::new(&dpolys);
            let table = AreaTable::build_with(&unit_polys, &index);
            let coverage = district_coverage(units, dl, &dpolys, &index, &table, Some(&population));
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
            let dpop_raw = allocate("population".to_string(), &population);
            let dpop: Vec<Option<f64>> = dpop_raw.iter().map(|p| Some(*p)).collect();
            let d_eligible: Vec<bool> = dpop_raw.iter().map(|&p| p >= min_pop).collect();
            let darea = area_km2(&dpolys);
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
                        let acc = unit_access.as_ref().expect("computed above");
                        let both: Vec<bool> = acc
                            .iter()
                            .zip(&population)
                            .map(|(a, p)| a.is_some() && p.is_some())
                            .collect();
                        let mass: Vec<Option<f64>> = acc
                            .iter()
                            .zip(&population)
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
                notes.push(format!(
                    "{small} district(s) hold fewer than {min_pop} people from the units and are not ranked (first: {first:?})"
                ));
            }
            let l = level(
                method,
                dl.ids.clone(),
                dpop,
                d_eligible,
                draw,
                Vec::new(),
                &composite,
                mc.as_ref()
                    .filter(|_| method.spec.uncertainty.covers(LevelName::Districts)),
            );
            (Some(l), Some(table))
        }
    };

    let indicators = spec
        .indicators
        .iter()
        .map(|i| IndicatorInfo {
            name: i.name.get_ref().clone(),
            label: i.label.clone(),
            dimension: i.dimension.get_ref().clone(),
            kind: i.kind,
            direction: i.direction.map(Direction::from).unwrap_or_default(),
            weight: i.weight.as_ref().map(|w| *w.get_ref()).unwrap_or(1.0),
            basis: i.basis.clone(),
        })
        .collect();
    Ok(Assessment {
        indicators,
        dimensions: method.dimensions(),
        units: unit_level,
        districts,
        conservation,
        outside,
        notes,
        warnings,
        siting_columns,
        district_table,
    })
}

/// The reference composite the method declares.
pub fn composite(method: &Method) -> Composite {
    let spec = &method.spec;
    let dims = method.dimensions();
    Composite {
        indicators: spec
            .indicators
            .iter()
            .map(|i| IndicatorDef {
                name: i.name.get_ref().clone(),
                dimension: dims
                    .iter()
                    .position(|d| d.0 == *i.dimension.get_ref())
                    .expect("every indicator's dimension is listed"),
                direction: i.direction.map(Direction::from).unwrap_or_default(),
                weight: i.weight.as_ref().map(|w| *w.get_ref()).unwrap_or(1.0),
                goalposts: i.goalposts.as_ref().map(|g| *g.get_ref()),
            })
            .collect(),
        dimensions: dims
            .iter()
            .map(|(name, weight, _)| DimensionDef {
                name: name.clone(),
                weight: *weight,
            })
            .collect(),
        normalisation: spec.normalisation.method,
        aggregation: spec.aggregation.method,
        min_available: spec.treatment.min_available,
        classification: Classification::from(&spec.classification),
    }
}

fn monte_carlo_spec(method: &Method) -> Option<MonteCarlo> {
    let u = &method.spec.uncertainty;
    (u.draws > 0).then(|| MonteCarlo {
        draws: u.draws,
        seed: u.seed,
        weight_noise: *u.weight_noise.get_ref(),
        normalisations: u.normalisations.clone(),
        aggregations: u.aggregations.clone(),
    })
}

#[allow(
    clippy::too_many_arguments,
    reason = "one private step of the pipeline, called twice"
)]
fn level(
    method: &Method,
    ids: Vec<String>,
    population: Vec<Option<f64>>,
    eligible: Vec<bool>,
    raw: Vec<Vec<Option<f64>>>,
    extra: Vec<(String, Vec<Option<f64>>)>,
    composite: &Composite,
    mc: Option<&MonteCarlo>,
) -> Level {
    let spec = &method.spec;
    let mut treated = Vec::with_capacity(raw.len());
    let mut clipped = Vec::with_capacity(raw.len());
    for col in &raw {
        let masked: Vec<Option<f64>> = col.iter().zip(&eligible).map(|(v, &e)| v.filter(|_| e)).collect();
        match spec.treatment.winsorise.percentiles() {
            Some((lo, hi)) => {
                let w = winsorise(&masked, lo, hi);
                clipped.push((w.clipped_low, w.clipped_high));
                treated.push(w.values);
            }
            None => {
                clipped.push((0, 0));
                treated.push(masked);
            }
        }
    }
    let scores = score(&treated, &eligible, &ids, composite);
    let hundred_scale = matches!(
        spec.normalisation.method,
        NormalisationName::MinMax | NormalisationName::Rank | NormalisationName::Goalposts
    ) && composite.aggregation != careblock_method::AggregationName::MazziottaPareto;
    let need_mass = scores
        .index
        .iter()
        .zip(&population)
        .map(|(i, p)| {
            if hundred_scale {
                Some(i.as_ref()? * p.as_ref()? / 100.0)
            } else {
                None
            }
        })
        .collect();
    let uncertainty = mc.map(|mc| monte_carlo(&treated, &eligible, &ids, composite, &scores.rank, mc));
    Level {
        ids,
        population,
        eligible,
        raw,
        treated,
        clipped,
        scores,
        need_mass,
        extra,
        uncertainty,
    }
}
