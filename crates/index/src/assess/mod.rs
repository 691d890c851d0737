//! The index pipeline over layers: columns and expressions → coarse rates → access (E2SFCA) →
//! raw indicators per unit → counts interpolated to districts (ratio of sums) → treatment →
//! scores → uncertainty.
//!
//! Every input layer must already be validated and projected to the same CRS in metres (the
//! readers in careblock-io and the CLI do that). Every count summed to districts is checked for
//! conservation, and the balance is part of the result.

use std::collections::HashMap;

use thiserror::Error;

use crate::Direction;
use crate::access::AccessError;
use crate::classify::Classification;
use crate::compute::{Composite, DimensionDef, IndicatorDef, Scores, score};
use crate::treat::winsorise;
use crate::uncertainty::{MonteCarlo, Uncertainty, monte_carlo};
use careblock_core::checks::Finding;
use careblock_core::error::{JoinError, LayerError};
use careblock_core::join::interpolate::{AreaTable, Balance, OutsideSource, check_join};
use careblock_core::layer::Layer;
use careblock_core::polars::prelude::DataFrame;
use careblock_method::{IndicatorKind, LevelName, Method, MethodError, NormalisationName, SitingSpec};

mod columns;
mod districts;
mod indicators;
mod supply;

use columns::Columns;
use indicators::Built;

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

impl IndexError {
    /// What the user can do about this error, if careblock knows.
    pub fn hint(&self) -> Option<careblock_core::Hint> {
        match self {
            IndexError::Join(e) => e.hint(),
            _ => None,
        }
    }
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
    /// Whether the polygon layers (units, districts, coarse) have passed
    /// [`careblock_core::validate`] already, as careblock-pipeline's load checks them: then only
    /// their CRSs are checked here (and the point layers' geometries). `false`: every layer is
    /// validated before the joins.
    pub validated: bool,
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
    /// Feature ids: the level's layer's, in its order. Empty once the units' output table has
    /// taken them (`careblock_pipeline::results::units_table_releasing`, with the columns only
    /// that table reads); [`Level::len`] still counts the rows.
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

impl Level {
    /// The number of rows (features), also once the ids have been released.
    pub fn len(&self) -> usize {
        self.eligible.len()
    }

    /// Whether the level has no rows.
    pub fn is_empty(&self) -> bool {
        self.eligible.is_empty()
    }
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
    pub notes: Vec<careblock_text::Msg>,
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

/// Runs the whole index on the inputs.
pub fn assess(method: &Method, inputs: Inputs<'_>) -> Result<Assessment, IndexError> {
    assess_inner(method, inputs, None)
}

/// [`assess`], the units' attribute table given apart, taken out of `inputs.units` (whose own
/// table the index then does not read): it is dropped once every unit expression is evaluated,
/// before the levels are scored, rather than held to the end. At 500,000 units of a census
/// file, tens of megabytes off the index's peak. (When the siting's expressions read the need
/// mass, they are evaluated after the units' level, and the table is held until then.)
pub fn assess_with_unit_attributes(
    method: &Method,
    inputs: Inputs<'_>,
    attributes: DataFrame,
) -> Result<Assessment, IndexError> {
    assess_inner(method, inputs, Some(attributes))
}

fn assess_inner(
    method: &Method,
    inputs: Inputs<'_>,
    attributes: Option<DataFrame>,
) -> Result<Assessment, IndexError> {
    let spec = &method.spec;
    let units = inputs.units;
    // Polygon layers the load validated are not validated again (a national layer's half a
    // million polygons); the supply points are.
    let v = inputs.validated;
    match inputs.districts {
        Some(d) => check_join(units, d, (v, v))?,
        None => check_join(units, units, (v, v))?,
    }
    for layer in inputs.coarse {
        check_join(layer, units, (v, v))?;
    }
    for layer in inputs.supply {
        check_join(layer, units, (false, v))?;
    }
    // The units' polygons where they lie (a copy of every polygon otherwise).
    let unit_polys = units.polygon_parts()?;
    let mut cols = Columns {
        method,
        units,
        attributes,
        coarse: inputs.coarse,
        values: HashMap::new(),
        tables: HashMap::new(),
        notes: Vec::new(),
        warnings: Vec::new(),
    };

    let (population, eligible) = indicators::population(&mut cols, method, units)?;
    let _min_pop = spec.treatment.min_population;

    let built = indicators::build(&mut cols, method, units)?;

    // Access to existing supply (E2SFCA), once for every access_gap indicator.
    let unit_access = if built.iter().any(|b| matches!(b, Built::Gap)) {
        Some(supply::unit_access(&mut cols, method, &inputs, &population)?)
    } else {
        None
    };
    let mut extra: Vec<(String, Vec<Option<f64>>)> = Vec::new();
    if let Some(a) = &unit_access {
        extra.push(("access_e2sfca".to_string(), a.clone()));
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

    let composite = composite(method);
    let mc = monte_carlo_spec(method);
    // The units' raw indicators and the districts' level (a join and the Monte Carlo) depend
    // on nothing of each other: they are computed side by side. The evaluated unit columns
    // (`built`) are then released before the units' level is scored, so that they and the
    // level's columns are never held together (at 500,000 units, some 50 MB when the index's
    // memory peaks). The districts' notes follow the siting's, and an error of the siting's
    // columns is reported before one of the districts', as when they ran one after the other.
    let (mut district_notes, mut district_warnings) = (Vec::new(), Vec::new());
    // The siting's columns are evaluated before the levels when none reads the need mass
    // (which the units' level gives): the evaluated unit columns are then released before the
    // levels are computed (at 500,000 units, some 50 MB when the index's memory peaks).
    let siting_reads_need_mass = match &spec.siting {
        None => false,
        Some(st) => {
            let mut reads = st.demand.is_none();
            for (e, key, _) in siting_expressions(st) {
                reads |= method.parse_expr(e, &key)?.columns().contains(&"need_mass");
            }
            reads
        }
    };
    let mut siting_columns = Vec::new();
    if !siting_reads_need_mass {
        if let Some(st) = &spec.siting {
            siting_columns = siting_columns_of(&mut cols, st, None)?;
        }
        cols.values = HashMap::new();
        // Every unit expression is evaluated.
        cols.attributes = None;
    }
    let (unit_raw, district_result) = rayon::join(
        || indicators::unit_raw(&built, &eligible, &unit_polys, unit_access.as_ref()),
        || {
            districts::district_level(
                method,
                &inputs,
                &unit_polys,
                &population,
                &built,
                unit_access.as_ref(),
                &composite,
                mc.as_ref(),
                &mut district_notes,
                &mut district_warnings,
            )
        },
    );
    drop(built);
    drop(unit_access);
    // 24 bytes a unit, not needed by the levels.
    drop(unit_polys);
    let unit_level = level(
        method,
        units.ids.clone(),
        population,
        eligible,
        unit_raw,
        extra,
        &composite,
        mc.as_ref()
            .filter(|_| method.spec.uncertainty.covers(LevelName::Units)),
    );

    // The siting's columns that read the need mass.
    if let Some(st) = spec.siting.as_ref().filter(|_| siting_reads_need_mass) {
        cols.values
            .insert("need_mass".to_string(), unit_level.need_mass.clone());
        siting_columns = siting_columns_of(&mut cols, st, Some(&unit_level.need_mass))?;
    }
    if spec.siting.is_some() {
        notes.append(&mut cols.notes);
        warnings.append(&mut cols.warnings);
    }

    let districts::Districts {
        level: districts,
        table: district_table,
        conservation,
        outside,
    } = district_result?;
    notes.append(&mut district_notes);
    warnings.append(&mut district_warnings);

    let indicators = spec
        .indicators
        .iter()
        .map(|i| IndicatorInfo {
            name: i.name.get_ref().clone(),
            label: i.label.as_ref().map(|l| l.get(spec.lang).to_string()),
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

/// Unit columns by name, in order.
type NamedColumns = Vec<(String, Vec<Option<f64>>)>;

/// The siting's expressions over unit columns, with their method keys and the names of the
/// columns they give: the demand, each group, the bus households.
fn siting_expressions(st: &SitingSpec) -> Vec<(&toml::Spanned<String>, String, String)> {
    let mut out = Vec::new();
    if let Some(d) = &st.demand {
        out.push((d, "siting.demand".to_string(), "demand".to_string()));
    }
    for (name, e) in &st.groups {
        out.push((e, format!("siting.groups.{name}"), format!("group:{name}")));
    }
    if let Some(h) = st.bus.as_ref().and_then(|b| b.households.as_ref()) {
        out.push((h, "siting.bus.households".to_string(), "households".to_string()));
    }
    out
}

/// The columns the siting reads: `demand` (the method's expression, else the need mass),
/// `group:NAME` for each group, `households` for the buses. `need_mass` is given when the
/// units' level is computed (it is needed only when an expression or the default demand reads
/// it).
fn siting_columns_of(
    cols: &mut Columns<'_>,
    st: &SitingSpec,
    need_mass: Option<&Vec<Option<f64>>>,
) -> Result<NamedColumns, IndexError> {
    let mut out = Vec::new();
    if st.demand.is_none() {
        let demand = need_mass.expect("the default demand is the need mass").clone();
        out.push(("demand".to_string(), demand));
    }
    for (e, key, column) in siting_expressions(st) {
        out.push((column, cols.eval_spanned(e, &key)?));
    }
    Ok(out)
}

fn monte_carlo_spec(method: &Method) -> Option<MonteCarlo> {
    (method.spec.uncertainty.draws > 0).then(|| monte_carlo_settings(method))
}

/// The method's `[uncertainty]` as a Monte Carlo, whatever its number of draws.
fn monte_carlo_settings(method: &Method) -> MonteCarlo {
    let u = &method.spec.uncertainty;
    MonteCarlo {
        draws: u.draws,
        seed: u.seed,
        weight_noise: *u.weight_noise.get_ref(),
        normalisations: u.normalisations.clone(),
        aggregations: u.aggregations.clone(),
    }
}

/// The need mass of each row of `level` (the units) under draw `d` of the method's Monte Carlo
/// (`[uncertainty]`'s seed, weight noise, normalisations and aggregations; the draw `d` of the
/// rank intervals): population × index / 100. A draw whose normalisation or aggregation does not
/// put the index on a 0–100 scale (z-scores, Mazziotta–Pareto) has its index rescaled min–max to
/// 0–100 over the rows it ranks first, so that every draw weighs need the same way. `None` where
/// the draw gives no index.
///
/// With `wanted`, only the rows it marks are computed (the others may be `None`), equal bit for
/// bit on those rows: robust siting asks only for the units some candidate covers. A draw whose
/// index is rescaled to 0–100 still computes every row, since the rescaling spans them all.
pub fn draw_need_mass(method: &Method, level: &Level, d: usize, wanted: Option<&[bool]>) -> Vec<Option<f64>> {
    let mc = monte_carlo_settings(method);
    let c = crate::uncertainty::draw_composite(&composite(method), &mc, d);
    let hundred = matches!(
        c.normalisation,
        NormalisationName::MinMax | NormalisationName::Rank | NormalisationName::Goalposts
    ) && c.aggregation != careblock_method::AggregationName::MazziottaPareto;
    let drawn = crate::compute::index_only(&level.treated, &level.eligible, &c, wanted.filter(|_| hundred));
    let index: Vec<Option<f64>> = if hundred {
        drawn
    } else {
        let (lo, hi) = drawn
            .iter()
            .flatten()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        let span = hi - lo;
        drawn
            .iter()
            .map(|v| {
                v.map(|v| {
                    if span > 0.0 {
                        100.0 * (v - lo) / span
                    } else {
                        100.0
                    }
                })
            })
            .collect()
    };
    index
        .iter()
        .zip(&level.population)
        .map(|(i, p)| Some(i.as_ref()? * p.as_ref()? / 100.0))
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use careblock_core::Crs;
    use careblock_text::Lang;
    use geo::{Coord, Geometry, LineString, Polygon};
    use polars::prelude::{Column, DataFrame};

    const M: Crs = Crs::Projected { epsg: 9377 };

    const METHOD: &str = r#"name = "notes"
crs = 9377

[units]
path = "units.geojson"
id = "code"
population = "pop"

[districts]
path = "districts.geojson"
id = "d"

[derived]
per_home = "kids / homes"

[[indicators]]
name = "kids_share"
dimension = "care_demand"
kind = "share"
numerator = "kids"
denominator = "pop"

[[indicators]]
name = "kids_per_home"
dimension = "care_demand"
kind = "count"
count = "per_home"
"#;

    fn square(x: f64, s: f64) -> Option<Geometry<f64>> {
        let ring = vec![
            Coord { x, y: 0.0 },
            Coord { x: x + s, y: 0.0 },
            Coord { x: x + s, y: s },
            Coord { x, y: s },
            Coord { x, y: 0.0 },
        ];
        Some(Polygon::new(LineString(ring), vec![]).into())
    }

    /// Four units in a row; u1's kids outnumber its people, u2 has no homes; the second
    /// district holds only u3's 20 people (below the default minimum of 30).
    fn notes() -> Vec<careblock_text::Msg> {
        let method = Method::parse("notes.toml", METHOD).unwrap();
        let df = DataFrame::new(
            4,
            vec![
                Column::new("pop".into(), vec![100.0, 50.0, 80.0, 20.0]),
                Column::new("kids".into(), vec![20.0, 60.0, 10.0, 5.0]),
                Column::new("homes".into(), vec![30.0, 20.0, 0.0, 6.0]),
            ],
        )
        .unwrap();
        let ids = (0..4).map(|i| format!("u{i}")).collect();
        let geoms = (0..4).map(|i| square(f64::from(i) * 100.0, 100.0)).collect();
        let units = Layer::new("units.geojson", ids, geoms, df, M).unwrap();
        let districts = Layer::new(
            "districts.geojson",
            vec!["d0".into(), "d1".into()],
            vec![square(0.0, 300.0), square(300.0, 100.0)],
            DataFrame::empty_with_height(2),
            M,
        )
        .unwrap();
        let inputs = Inputs {
            units: &units,
            districts: Some(&districts),
            coarse: &[],
            supply: &[],
            network: None,
            network_gap: None,
            prepared_network: None,
            validated: false,
        };
        assess(&method, inputs).unwrap().notes
    }

    fn find(notes: &[careblock_text::Msg], key: &str) -> careblock_text::Msg {
        notes
            .iter()
            .find(|n| n.key == key)
            .unwrap_or_else(|| panic!("no note {key} in {notes:?}"))
            .clone()
    }

    #[test]
    fn the_index_notes_are_worded_in_english_and_spanish() {
        let notes = notes();
        let share = find(&notes, "data.share_above_one");
        assert_eq!(
            share.to_string(),
            "indicator \"kids_share\": the numerator `kids` exceeds the denominator `pop` in 1 unit(s), a \
             sub-group larger than its total; their share is above 1 and kept as it is (first: \"u1\")"
        );
        assert_eq!(
            Lang::Es.render(&share),
            "indicador \"kids_share\": el numerador `kids` supera al denominador `pop` en 1 unidad(es), un \
             subgrupo mayor que su total; su proporción es mayor que 1 y se conserva tal cual (primera: \"u1\")"
        );
        let zero = find(&notes, "data.divides_by_zero");
        assert_eq!(
            zero.to_string(),
            "derived.per_home: `kids / homes` divides by zero for 1 unit(s) (first: \"u2\"); their value is missing"
        );
        assert_eq!(
            Lang::Es.render(&zero),
            "derived.per_home: `kids / homes` divide por cero en 1 unidad(es) (primera: \"u2\"); falta su valor"
        );
        let small = find(&notes, "data.districts_small");
        assert_eq!(
            small.to_string(),
            "1 district(s) hold fewer than 30 people from the units and are not ranked (first: \"d1\")"
        );
        assert_eq!(
            Lang::Es.render(&small),
            "1 distrito(s) reúnen menos de 30 personas de las unidades y no se ordenan (primero: \"d1\")"
        );
    }

    #[test]
    fn bands_are_listed_with_the_language_s_decimal_separator() {
        let m = careblock_text::msg!(
            "data.access_bands",
            minutes = supply::slash_list(vec![5.0.into(), 7.5.into(), 15.0.into()]),
            speed = 4.8,
            metres = supply::slash_list(vec![
                careblock_text::fixed(400.0, 0),
                careblock_text::fixed(600.4, 0)
            ]),
        );
        assert_eq!(
            m.to_string(),
            "access: bands of 5/7.5/15 min at 4.8 km/h = 400/600 m"
        );
        assert_eq!(
            Lang::Es.render(&m),
            "acceso: bandas de 5/7,5/15 min a 4,8 km/h = 400/600 m"
        );
    }
}
