//! The result tables of `careblock run`, as polars DataFrames (no I/O): the unit and district
//! tables, the columns the siting adds to them, the sites, assignments, uncovered units and
//! equity tables, and `run.json`'s content. The CLI writes them; the Python bindings return
//! them, so both give exactly the same columns.

use std::borrow::Cow;

use careblock_core::polars::prelude::{Column, DataFrame};
use careblock_core::{Crs, Layer, Reprojection, WGS84};
use careblock_index::{Assessment, Level};
use careblock_method::Method;
use careblock_siting::plan::{EquityOutcome, PlacedBy, Plan, RobustOutcome, SiteStatus, Tier};
use serde_json::json;

use careblock_core::join::ConservationReport;

use careblock_io::{InputFile, IoError};

use crate::load::LoadedInputs;

/// The names of the output columns that more than one part of careblock reads (the tables are
/// built here; `careblock explain` reads them back from the CSVs).
pub mod column {
    /// `id`.
    pub const ID: &str = "id";
    /// `label`.
    pub const LABEL: &str = "label";
    /// `population`.
    pub const POPULATION: &str = "population";
    /// `index`.
    pub const INDEX: &str = "index";
    /// `rank`.
    pub const RANK: &str = "rank";
    /// `class`.
    pub const CLASS: &str = "class";
    /// `rank_median`.
    pub const RANK_MEDIAN: &str = "rank_median";
    /// `rank_p05`.
    pub const RANK_P05: &str = "rank_p05";
    /// `rank_p95`.
    pub const RANK_P95: &str = "rank_p95";
    /// `p_top_class`.
    pub const P_TOP_CLASS: &str = "p_top_class";
    /// `imbalance_penalty`.
    pub const IMBALANCE_PENALTY: &str = "imbalance_penalty";
    /// `status`.
    pub const STATUS: &str = "status";
    /// `kind`.
    pub const KIND: &str = "kind";
    /// `name`.
    pub const NAME: &str = "name";
    /// `lon`.
    pub const LON: &str = "lon";
    /// `lat`.
    pub const LAT: &str = "lat";
    /// `gain`.
    pub const GAIN: &str = "gain";
    /// `cumulative`.
    pub const CUMULATIVE: &str = "cumulative";
    /// `cum_share`.
    pub const CUM_SHARE: &str = "cum_share";
    /// `irreplace`.
    pub const IRREPLACE: &str = "irreplace";
    /// `demand`.
    pub const DEMAND: &str = "demand";
    /// `mean_index`.
    pub const MEAN_INDEX: &str = "mean_index";
    /// `n_units`.
    pub const N_UNITS: &str = "n_units";
    /// `site`.
    pub const SITE: &str = "site";
    /// An indicator's normalised score.
    pub fn score(indicator: &str) -> String {
        format!("{indicator}_score")
    }
    /// An indicator's contribution to the index.
    pub fn contrib(indicator: &str) -> String {
        format!("{indicator}_contrib")
    }
    /// A dimension's score.
    pub fn dim(dimension: &str) -> String {
        format!("dim_{dimension}")
    }
}

/// The output table of one level (`units.csv`, `districts.csv` before the siting columns):
/// id, label, population, ranked, index, rank, class, need mass, the Monte Carlo columns,
/// dimension scores, and per indicator its raw value, score and contribution.
pub fn level_table(
    a: &Assessment,
    level: &Level,
    layer: &Layer,
    label: Option<&str>,
) -> Result<DataFrame, IoError> {
    table_of(a, level, TableColumns::borrowed(level), layer, label)
}

/// [`level_table`] of the units, taking out of `a.units` the columns only the table reads
/// ([`TableColumns::take`]), each dropped as soon as its table column is built: the level's
/// columns and the table's are not all held at once.
pub fn units_table_releasing(
    a: &mut Assessment,
    layer: &Layer,
    label: Option<&str>,
) -> Result<DataFrame, IoError> {
    let taken = TableColumns::take(&mut a.units);
    table_of(a, &a.units, taken, layer, label)
}

/// A level column the table reads: borrowed from the level, or taken out of it (and dropped
/// once its table column is built).
type Values<'a> = Cow<'a, [Option<f64>]>;

/// The table column `name` of `values`, the values taken being dropped here.
fn values_column(name: &str, values: Values<'_>) -> Column {
    Column::new(name.into(), values.as_ref())
}

/// The level columns that only the output tables read.
struct TableColumns<'a> {
    /// The level's ids, for the id column.
    ids: Cow<'a, [String]>,
    need_mass: Values<'a>,
    dimensions: Vec<Values<'a>>,
    raw: Vec<Values<'a>>,
    normalised: Vec<Values<'a>>,
    contributions: Vec<Values<'a>>,
    penalty: Values<'a>,
    extra: Vec<(String, Values<'a>)>,
}

impl<'a> TableColumns<'a> {
    fn borrowed(level: &'a Level) -> TableColumns<'a> {
        let s = &level.scores;
        let each = |cols: &'a [Vec<Option<f64>>]| cols.iter().map(|c| Cow::Borrowed(c.as_slice())).collect();
        TableColumns {
            ids: Cow::Borrowed(&level.ids),
            need_mass: Cow::Borrowed(&level.need_mass),
            dimensions: each(&s.dimensions),
            raw: each(&level.raw),
            normalised: each(&s.normalised),
            contributions: each(&s.contributions),
            penalty: Cow::Borrowed(&s.penalty),
            extra: level
                .extra
                .iter()
                .map(|(n, v)| (n.clone(), Cow::Borrowed(v.as_slice())))
                .collect(),
        }
    }

    /// Takes them out of `level`, leaving them empty, and empties the treated indicators,
    /// which no table reads. What stays is what the siting, `run.json`, the report (when its
    /// map leaves the units out) and the terminal read: population, eligibility, clipping,
    /// index, rank, class, class bins and the Monte Carlo outcome. The ids go too: they are the
    /// layer's ([`Level::len`] still counts the rows).
    fn take(level: &mut Level) -> TableColumns<'static> {
        level.treated = Vec::new();
        let s = &mut level.scores;
        let each = |cols: Vec<Vec<Option<f64>>>| cols.into_iter().map(Cow::Owned).collect();
        TableColumns {
            ids: Cow::Owned(std::mem::take(&mut level.ids)),
            need_mass: Cow::Owned(std::mem::take(&mut level.need_mass)),
            dimensions: each(std::mem::take(&mut s.dimensions)),
            raw: each(std::mem::take(&mut level.raw)),
            normalised: each(std::mem::take(&mut s.normalised)),
            contributions: each(std::mem::take(&mut s.contributions)),
            penalty: Cow::Owned(std::mem::take(&mut s.penalty)),
            extra: std::mem::take(&mut level.extra)
                .into_iter()
                .map(|(n, v)| (n, Cow::Owned(v)))
                .collect(),
        }
    }
}

fn table_of(
    a: &Assessment,
    level: &Level,
    taken: TableColumns<'_>,
    layer: &Layer,
    label: Option<&str>,
) -> Result<DataFrame, IoError> {
    let n = level.len();
    let TableColumns {
        ids,
        need_mass,
        dimensions,
        raw,
        normalised,
        contributions,
        penalty,
        extra,
    } = taken;
    // Each column is built by one task (a national level's columns in parallel), in this order.
    type Make<'a> = Box<dyn FnOnce() -> Column + Send + 'a>;
    let mut cols: Vec<Make<'_>> = vec![Box::new(move || Column::new(column::ID.into(), ids.as_ref()))];
    if let Some(label) = label {
        let c = layer
            .attributes
            .column(label)
            .map_err(|e| IoError::table(&layer.name, format!("no label column {label:?}: {e}")))?;
        cols.push(Box::new(move || c.clone().with_name(column::LABEL.into())));
    }
    cols.push(Box::new(|| {
        Column::new(column::POPULATION.into(), &level.population)
    }));
    cols.push(Box::new(|| Column::new("ranked".into(), &level.eligible)));
    let s = &level.scores;
    cols.push(Box::new(|| Column::new(column::INDEX.into(), &s.index)));
    cols.push(Box::new(|| Column::new(column::RANK.into(), &s.rank)));
    cols.push(Box::new(|| Column::new(column::CLASS.into(), &s.class)));
    debug_assert!(dimensions.len() == a.dimensions.len() && raw.len() == a.indicators.len());
    cols.push(Box::new(|| values_column("need_mass", need_mass)));
    if let Some(u) = &level.uncertainty {
        cols.push(Box::new(|| {
            Column::new(column::RANK_MEDIAN.into(), &u.median_rank)
        }));
        cols.push(Box::new(|| Column::new(column::RANK_P05.into(), &u.p05_rank)));
        cols.push(Box::new(|| Column::new(column::RANK_P95.into(), &u.p95_rank)));
        cols.push(Box::new(|| {
            Column::new(column::P_TOP_CLASS.into(), &u.p_top_class)
        }));
        cols.push(Box::new(|| {
            Column::new("rank_shift_mean".into(), &u.mean_abs_shift)
        }));
    }
    for ((name, _, _), values) in a.dimensions.iter().zip(dimensions) {
        cols.push(Box::new(move || values_column(&column::dim(name), values)));
    }
    for (((ind, raw), normalised), contributions) in
        a.indicators.iter().zip(raw).zip(normalised).zip(contributions)
    {
        cols.push(Box::new(move || values_column(&ind.name, raw)));
        cols.push(Box::new(move || {
            values_column(&column::score(&ind.name), normalised)
        }));
        cols.push(Box::new(move || {
            values_column(&column::contrib(&ind.name), contributions)
        }));
    }
    if penalty.iter().any(|p| p.is_some_and(|p| p != 0.0)) {
        cols.push(Box::new(|| values_column(column::IMBALANCE_PENALTY, penalty)));
    }
    for (name, values) in extra {
        cols.push(Box::new(move || values_column(&name, values)));
    }
    let cols: Vec<Column> = {
        use rayon::prelude::*;
        cols.into_par_iter().with_max_len(1).map(|make| make()).collect()
    };
    DataFrame::new(n, cols)
        .map_err(|e| IoError::table(&layer.name, format!("building the output table: {e}")))
}

/// The units and districts tables of `careblock run` (what `units.csv` and `districts.csv`
/// hold): [`index_tables`], plus, with a plan, the siting's columns ([`with_plan_columns`]).
pub fn level_tables(
    a: &Assessment,
    method: &Method,
    inputs: &LoadedInputs,
    plan: Option<&Plan>,
) -> Result<(DataFrame, Option<DataFrame>), IoError> {
    let tables = index_tables(a, method, inputs)?;
    match plan {
        Some(p) => with_plan_columns(tables, inputs, p),
        None => Ok(tables),
    }
}

/// The index's part of [`level_tables`]: [`level_table`] for the units and the districts.
pub fn index_tables(
    a: &Assessment,
    method: &Method,
    inputs: &LoadedInputs,
) -> Result<(DataFrame, Option<DataFrame>), IoError> {
    let units = level_table(a, &a.units, &inputs.units, method.spec.units.label.as_deref())?;
    Ok((units, districts_table(a, method, inputs)?))
}

/// [`index_tables`], the units' table taking the level columns it copies out of `a`
/// ([`units_table_releasing`]).
pub fn index_tables_releasing(
    a: &mut Assessment,
    method: &Method,
    inputs: &LoadedInputs,
) -> Result<(DataFrame, Option<DataFrame>), IoError> {
    let units = units_table_releasing(a, &inputs.units, method.spec.units.label.as_deref())?;
    Ok((units, districts_table(a, method, inputs)?))
}

/// The districts' [`level_table`], when the run has districts.
fn districts_table(
    a: &Assessment,
    method: &Method,
    inputs: &LoadedInputs,
) -> Result<Option<DataFrame>, IoError> {
    match (&a.districts, &inputs.districts) {
        (Some(level), Some(layer)) => {
            let label = method.spec.districts.as_ref().and_then(|d| d.label.as_deref());
            level_table(a, level, layer, label).map(Some)
        }
        _ => Ok(None),
    }
}

/// [`index_tables`] with the siting's columns added: the units' coverage ([`unit_columns`])
/// and the districts' KPIs ([`district_columns`]).
pub fn with_plan_columns(
    (mut units, mut districts): (DataFrame, Option<DataFrame>),
    inputs: &LoadedInputs,
    plan: &Plan,
) -> Result<(DataFrame, Option<DataFrame>), IoError> {
    for c in unit_columns(plan, &inputs.units) {
        units
            .with_column(c)
            .map_err(|e| IoError::table(&inputs.units.name, format!("adding the coverage columns: {e}")))?;
    }
    if let (Some(df), Some(layer)) = (districts.as_mut(), &inputs.districts) {
        for c in district_columns(plan) {
            df.with_column(c)
                .map_err(|e| IoError::table(&layer.name, format!("adding the coverage KPIs: {e}")))?;
        }
    }
    Ok((units, districts))
}

/// The conservation report of an interpolation as JSON (`careblock interpolate --report`,
/// and `.attrs["conservation"]` in Python): per variable Σ source, allocated, unallocated and
/// missing, the sources outside every target, and overlapping targets.
pub fn conservation_json(r: &ConservationReport, crs: Crs) -> serde_json::Value {
    json!({
        "crs": crs.to_string(),
        "allocate_total": r.allocate_total,
        "variables": r.variables.iter().map(|(name, b)| json!({
            "name": name,
            "source_total": b.source_total,
            "allocated": b.allocated,
            "unallocated": b.unallocated,
            "missing": b.missing,
            "relative_error": b.relative_error(),
        })).collect::<Vec<_>>(),
        "outside": r.outside.iter().map(|o| json!({"id": o.id, "covered_fraction": o.covered_fraction})).collect::<Vec<_>>(),
        "overlaps": r.overlaps.iter().map(|o| json!({"a": o.a, "b": o.b, "area_m2": o.area})).collect::<Vec<_>>(),
    })
}

/// Columns added to the units table by the siting: `cov_before`, `cov_after`, `site`.
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

/// Columns added to the districts table by the siting (KPIs).
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
pub fn equity_table(e: &EquityOutcome) -> Result<DataFrame, IoError> {
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
    .map_err(|e| IoError::table("equity", format!("building the equity table: {e}")))
}

/// The longitudes and latitudes (EPSG:4326, 7 decimals) of `sites` (id, point in `crs`), for
/// the table `table`.
fn lon_lat<'a>(
    table: &str,
    sites: impl Iterator<Item = (&'a String, geo::Point<f64>)>,
    crs: Crs,
) -> Result<(Vec<f64>, Vec<f64>), IoError> {
    let to_wgs = Reprojection::new(crs, WGS84);
    let (mut lon, mut lat) = (Vec::new(), Vec::new());
    for (id, point) in sites {
        let c = to_wgs
            .apply(point.0)
            .map_err(|e| IoError::table(table, format!("site {id:?}: cannot convert to lon/lat: {e}")))?;
        lon.push((c.x * 1e7).round() / 1e7);
        lat.push((c.y * 1e7).round() / 1e7);
    }
    Ok((lon, lat))
}

/// The sites table (`sites.csv`): existing, proposed and bus sites with status, rank, id, kind,
/// name, lon/lat (EPSG:4326, 7 decimals), gain, cumulative coverage and its share,
/// irreplaceability, demand, population, mean index, units, each group, and with equity
/// `placed_by` and `district`. `crs` is the working CRS of the plan.
pub fn sites_table(plan: &Plan, crs: Crs) -> Result<DataFrame, IoError> {
    let n = plan.sites.len();
    let ids: Vec<String> = plan.sites.iter().map(|s| s.id.clone()).collect();
    let (lon, lat) = lon_lat("sites", plan.sites.iter().map(|s| (&s.id, s.point)), crs)?;
    let share = |v: f64| {
        if plan.blocks.total_demand > 0.0 {
            v / plan.blocks.total_demand
        } else {
            0.0
        }
    };
    let mut cols = vec![
        Column::new(
            column::STATUS.into(),
            plan.sites.iter().map(|s| s.status.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            column::RANK.into(),
            plan.sites
                .iter()
                .map(|s| s.rank.map(|r| r as u32))
                .collect::<Vec<_>>(),
        ),
        Column::new(column::ID.into(), &ids),
        Column::new(
            column::KIND.into(),
            plan.sites.iter().map(|s| s.kind.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            column::NAME.into(),
            plan.sites.iter().map(|s| s.label.clone()).collect::<Vec<_>>(),
        ),
        Column::new(column::LON.into(), &lon),
        Column::new(column::LAT.into(), &lat),
        Column::new(
            column::GAIN.into(),
            plan.sites.iter().map(|s| s.marginal_gain).collect::<Vec<_>>(),
        ),
        Column::new(
            column::CUMULATIVE.into(),
            plan.sites.iter().map(|s| s.cumulative).collect::<Vec<_>>(),
        ),
        Column::new(
            column::CUM_SHARE.into(),
            plan.sites
                .iter()
                .map(|s| (s.status != SiteStatus::Bus).then(|| share(s.cumulative)))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            column::IRREPLACE.into(),
            plan.sites.iter().map(|s| s.irreplaceability).collect::<Vec<_>>(),
        ),
        Column::new(
            column::DEMAND.into(),
            plan.sites.iter().map(|s| s.demand).collect::<Vec<_>>(),
        ),
        Column::new(
            column::POPULATION.into(),
            plan.sites.iter().map(|s| s.population).collect::<Vec<_>>(),
        ),
        Column::new(
            column::MEAN_INDEX.into(),
            plan.sites.iter().map(|s| s.mean_index).collect::<Vec<_>>(),
        ),
        Column::new(
            column::N_UNITS.into(),
            plan.sites.iter().map(|s| s.units as u32).collect::<Vec<_>>(),
        ),
    ];
    for (g, name) in plan.groups.iter().enumerate() {
        cols.push(Column::new(
            name.as_str().into(),
            plan.sites.iter().map(|s| s.groups[g]).collect::<Vec<_>>(),
        ));
    }
    if plan.capacity.is_some() {
        let cap = |f: fn((f64, f64)) -> f64| plan.sites.iter().map(|s| s.capacity.map(f)).collect::<Vec<_>>();
        cols.push(Column::new("capacity".into(), cap(|c| c.0)));
        cols.push(Column::new("load".into(), cap(|c| c.1)));
        cols.push(Column::new(
            "utilisation".into(),
            cap(|c| if c.0 > 0.0 { c.1 / c.0 } else { 0.0 }),
        ));
    }
    if plan.robust.is_some() {
        cols.push(Column::new(
            "sel_freq".into(),
            plan.sites
                .iter()
                .map(|s| s.robust.map(|r| r.0))
                .collect::<Vec<_>>(),
        ));
        cols.push(Column::new(
            "sel_rank".into(),
            plan.sites
                .iter()
                .map(|s| s.robust.and_then(|r| r.1))
                .collect::<Vec<_>>(),
        ));
    }
    if plan.phases.is_some() {
        cols.push(Column::new(
            "phase".into(),
            plan.sites.iter().map(|s| s.phase.clone()).collect::<Vec<_>>(),
        ));
    }
    if plan.equity.is_some() {
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
    }
    DataFrame::new(n, cols).map_err(|e| IoError::table("sites", format!("building the sites table: {e}")))
}

/// The robust siting's candidates (`robust.csv`): every candidate chosen in an index draw or
/// by the plan, most often chosen first: id, kind, name, lon/lat, `sel_freq` (share of the
/// draws), `sel_rank` (mean rank when chosen), `in_plan`.
pub fn robust_table(r: &RobustOutcome, crs: Crs) -> Result<DataFrame, IoError> {
    let c = &r.candidates;
    let (lon, lat) = lon_lat("robust", c.iter().map(|x| (&x.id, x.point)), crs)?;
    DataFrame::new(
        c.len(),
        vec![
            Column::new(
                column::ID.into(),
                c.iter().map(|x| x.id.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                column::KIND.into(),
                c.iter().map(|x| x.kind.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                column::NAME.into(),
                c.iter().map(|x| x.label.clone()).collect::<Vec<_>>(),
            ),
            Column::new(column::LON.into(), lon),
            Column::new(column::LAT.into(), lat),
            Column::new(
                "sel_freq".into(),
                c.iter().map(|x| x.frequency).collect::<Vec<_>>(),
            ),
            Column::new(
                "sel_rank".into(),
                c.iter().map(|x| x.mean_rank).collect::<Vec<_>>(),
            ),
            Column::new("in_plan".into(), c.iter().map(|x| x.in_plan).collect::<Vec<_>>()),
        ],
    )
    .map_err(|e| IoError::table("robust", format!("building the robust table: {e}")))
}

/// New blocks per district over the robust siting's draws (`robust_districts.csv`): district
/// id and name, the plan's count, and over the draws the mean, minimum, 5th and 95th
/// percentiles and maximum.
pub fn robust_districts_table(r: &RobustOutcome) -> Result<DataFrame, IoError> {
    let d = &r.districts;
    let whole = |f: fn(&careblock_siting::plan::RobustDistrict) -> usize| {
        d.iter().map(|x| f(x) as u32).collect::<Vec<_>>()
    };
    DataFrame::new(
        d.len(),
        vec![
            Column::new(
                "district".into(),
                d.iter().map(|x| x.id.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                column::LABEL.into(),
                d.iter().map(|x| x.label.clone()).collect::<Vec<_>>(),
            ),
            Column::new("in_plan".into(), whole(|x| x.in_plan)),
            Column::new("mean".into(), d.iter().map(|x| x.mean).collect::<Vec<_>>()),
            Column::new("min".into(), whole(|x| x.min)),
            Column::new("p05".into(), whole(|x| x.p05)),
            Column::new("p95".into(), whole(|x| x.p95)),
            Column::new("max".into(), whole(|x| x.max)),
        ],
    )
    .map_err(|e| IoError::table("robust_districts", format!("building the table: {e}")))
}

/// The assignments table (`assignments.csv`): unit → best site, its status, covered fraction
/// and distance.
pub fn assignments_table(plan: &Plan, units: &Layer) -> Result<DataFrame, IoError> {
    let a = &plan.assignments;
    DataFrame::new(
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
                if plan.costs.is_some() {
                    "cost"
                } else {
                    "distance_m"
                }
                .into(),
                a.iter().map(|x| x.distance).collect::<Vec<_>>(),
            ),
        ]
        .into_iter()
        .chain(plan.capacity.is_some().then(|| {
            Column::new(
                "assigned".into(),
                a.iter().map(|x| x.assigned).collect::<Vec<_>>(),
            )
        }))
        .collect(),
    )
    .map_err(|e| IoError::table("assignments", format!("building the assignments table: {e}")))
}

/// The attributes of `uncovered.geojson`: high-priority units out of reach with their class,
/// density, demand, tier (bus, home care, unserved), bus stop and households (rows in the
/// order of [`Plan::uncovered`]).
pub fn uncovered_table(plan: &Plan, units: &Layer) -> Result<DataFrame, IoError> {
    let u = &plan.uncovered;
    let tier = |t: &Tier| match t {
        Tier::Unserved => ("unserved", None),
        Tier::Bus(s) => ("bus", Some(plan.sites[*s].id.clone())),
        Tier::HomeCare => ("home_care", None),
    };
    DataFrame::new(
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
    .map_err(|e| IoError::table("uncovered", format!("building the uncovered table: {e}")))
}

/// `run.json` without the siting: version, inputs with checksums, the method as parsed, seed,
/// CRS, indicators, class bins, conservation, units outside every district, notes, and the
/// warnings about the data with every id (the notes name the first few).
pub fn report_json(
    method: &Method,
    r: &Assessment,
    input_notes: &[careblock_text::Msg],
    crs: String,
    files: &[InputFile],
) -> serde_json::Value {
    let level = |l: &Level| {
        json!({
            "features": l.len(),
            "ranked": l.eligible.iter().filter(|e| **e).count(),
            "with_index": l.scores.index.iter().filter(|i| i.is_some()).count(),
            "class_bins": l.scores.bins,
            "winsorised": r.indicators.iter().zip(&l.clipped).map(|(i, (lo, hi))| json!({"indicator": i.name, "low": lo, "high": hi})).collect::<Vec<_>>(),
            "mean_rank_shift": l.uncertainty.as_ref().map(|u| u.mean_rank_shift),
            "draws": l.uncertainty.as_ref().map(|u| u.draws),
        })
    };
    let lang = method.spec.lang;
    json!({
        "careblock": env!("CARGO_PKG_VERSION"),
        "method": method.file,
        "name": method.spec.name.as_ref().map(|l| l.get(method.spec.lang)),
        "lang": method.spec.lang,
        "inputs": files.iter().map(|f| json!({"role": f.role, "path": f.path, "bytes": f.bytes, "sha256": f.sha256})).collect::<Vec<_>>(),
        "crs": crs,
        "seed": method.spec.uncertainty.seed,
        "resolved_method": serde_json::to_value(&method.spec).unwrap_or_else(|e| json!(format!("cannot serialise the method: {e}"))),
        "dimensions": r.dimensions.iter().map(|(n, w, l)| json!({"name": n, "weight": w, "label": l})).collect::<Vec<_>>(),
        "indicators": r.indicators.iter().map(|i| json!({
            "name": i.name, "label": i.label, "dimension": i.dimension, "kind": format!("{:?}", i.kind),
            "direction": if i.direction.sign() > 0.0 { "+" } else { "-" }, "weight": i.weight, "basis": i.basis,
        })).collect::<Vec<_>>(),
        "units": level(&r.units),
        "districts": r.districts.as_ref().map(level),
        "conservation": r.conservation.iter().map(|(name, b)| json!({
            "variable": name, "source_total": b.source_total, "allocated": b.allocated,
            "unallocated": b.unallocated, "missing": b.missing, "relative_error": b.relative_error(),
        })).collect::<Vec<_>>(),
        "units_outside_districts": r.outside.iter().map(|o| json!({"id": o.id, "covered_fraction": o.covered_fraction})).collect::<Vec<_>>(),
        "notes": input_notes.iter().chain(&r.notes).map(|n| lang.render(n)).collect::<Vec<_>>(),
        "warnings": r.warnings.iter().map(|w| json!({
            "source": w.source, "message": lang.render(&w.message), "count": w.ids.len(), "ids": w.ids,
        })).collect::<Vec<_>>(),
    })
}

/// The `siting` member of `run.json`.
pub fn siting_json(p: &Plan, units: &careblock_core::Layer, lang: careblock_text::Lang) -> serde_json::Value {
    let opt = |o: &careblock_siting::plan::Optimum| {
        json!({
            "objective": o.objective, "bound": o.bound, "gap": o.gap, "optimal": o.optimal,
            "locked_in": o.locked_in, "total_demand": o.total_demand,
        })
    };
    let proposed: Vec<_> = p
        .sites
        .iter()
        .filter(|s| s.status == SiteStatus::Proposed)
        .collect();
    // With [siting.equity], each point of the curve says why the site is there.
    let curve = |s: &careblock_siting::plan::Site| {
        let mut v = json!({"rank": s.rank, "id": s.id, "gain": s.marginal_gain, "cumulative": s.cumulative});
        if p.equity.is_some()
            && let Some(obj) = v.as_object_mut()
        {
            obj.insert("placed_by".into(), json!(s.placed_by.map(|b| b.as_str())));
            obj.insert("district".into(), json!(s.district));
        }
        if p.phases.is_some()
            && let Some(obj) = v.as_object_mut()
        {
            obj.insert("phase".into(), json!(s.phase));
        }
        v
    };
    let equity = p.equity.as_ref().map(|e| {
        let (with, without) = (p.blocks.objective, e.without.objective);
        json!({
            "layer": e.layer,
            "min": e.min,
            "min_if_need_above": e.min_if_need_above,
            "max": e.max,
            "objective_with_rule": with,
            "objective_without_rule": without,
            "difference": without - with,
            "share": if without > 0.0 { (without - with) / without } else { 0.0 },
            "share_of_demand": if p.blocks.total_demand > 0.0 { (without - with) / p.blocks.total_demand } else { 0.0 },
            "bound": p.blocks.bound,
            "bound_note": "the bound is that of the siting without the rule (same candidates and limit): the rule only shrinks the feasible set, so it is an upper bound of the constrained optimum",
            "without_rule": opt(&e.without),
            "placed_by_equity": proposed.iter().filter(|s| s.placed_by == Some(careblock_siting::plan::PlacedBy::Equity)).count(),
            "p_lowered_to": e.count,
            "outside": {"eligible_candidates": e.outside.0, "existing_blocks": e.outside.1},
            "short": e.districts.iter().filter_map(|d| d.short.map(|r| json!({"id": d.id, "label": d.label, "min": d.min, "existing": d.existing, "eligible": d.eligible, "blocks": d.existing + d.proposed.0, "reason": r}))).collect::<Vec<_>>(),
            "districts": e.districts.iter().map(|d| json!({
                "id": d.id, "label": d.label, "need": d.need, "min": d.min, "max": d.max,
                "existing": d.existing, "eligible": d.eligible,
                "new_with_rule": d.proposed.0, "new_without_rule": d.proposed.1, "placed_by_equity": d.by_equity,
                "demand": d.demand, "covered_with_rule": d.covered.0, "covered_without_rule": d.covered.1,
            })).collect::<Vec<_>>(),
        })
    });
    let mut out = json!({
        "radius_m": p.radius,
        "costs": p.costs.as_ref().map(|f| json!({"table": f, "radius": p.radius, "note": "coverage from the cost table: radius_m and the assignments' cost are in the table's unit"})),
        "blocks": opt(&p.blocks),
        "existing": p.sites.iter().filter(|s| s.status == SiteStatus::Existing).count(),
        "proposed": proposed.len(),
        "ranking_curve": proposed.iter().map(|s| curve(s)).collect::<Vec<_>>(),
        "bus": p.bus.as_ref().map(opt),
        "bus_stops": p.sites.iter().filter(|s| s.status == SiteStatus::Bus).count(),
        "candidates": {"read": p.candidates.0, "kept_by_filters": p.candidates.1, "eligible": p.candidates.2},
        "uncovered_high_priority": p.uncovered.len(),
        "home_care_units": p.uncovered.iter().filter(|u| u.tier == Tier::HomeCare).map(|u| units.ids[u.unit].clone()).collect::<Vec<_>>(),
        "home_care_households": p.uncovered.iter().filter(|u| u.tier == Tier::HomeCare).filter_map(|u| u.households).sum::<f64>(),
        "notes": p.notes.iter().map(|n| lang.render(n)).collect::<Vec<_>>(),
    });
    if let (Some(e), Some(obj)) = (equity, out.as_object_mut()) {
        obj.insert("equity".into(), e);
    }
    if let (Some(r), Some(obj)) = (&p.robust, out.as_object_mut()) {
        let in_plan: Vec<&careblock_siting::plan::RobustCandidate> =
            r.candidates.iter().filter(|c| c.in_plan).collect();
        obj.insert(
            "robust".into(),
            json!({
                "draws": r.draws,
                "seed": r.seed,
                "demand": "each draw's need mass (population × index / 100; the index rescaled to 0–100 in draws not on that scale)",
                "proposed_chosen_in_90pct": in_plan.iter().filter(|c| c.frequency >= 0.9).count(),
                "proposed_mean_frequency": if in_plan.is_empty() { 0.0 } else { in_plan.iter().map(|c| c.frequency).sum::<f64>() / in_plan.len() as f64 },
                "candidates_chosen": r.candidates.iter().filter(|c| c.frequency > 0.0).count(),
                "tables": if r.districts.is_empty() { json!(["robust.csv"]) } else { json!(["robust.csv", "robust_districts.csv"]) },
            }),
        );
    }
    if let (Some(ph), Some(obj)) = (&p.phases, out.as_object_mut()) {
        let last = ph.phases.last().map_or(0.0, |x| x.optimum.objective);
        obj.insert(
            "phases".into(),
            json!({
                "phases": ph.phases.iter().map(|x| json!({
                    "name": x.name, "blocks": x.blocks,
                    "budget": x.budget.map(|b| b.0), "cost": x.budget.map(|b| b.1),
                    "covered_before": x.optimum.locked_in, "covered_after": x.optimum.objective,
                    "bound": x.optimum.bound, "gap": x.optimum.gap, "optimal": x.optimum.optimal,
                })).collect::<Vec<_>>(),
                "bound_note": "each phase's bound bounds what that phase could reach given the blocks of the earlier phases; the plan's bound is the last phase's",
                "unphased": opt(&ph.unphased),
                "cost_of_phasing": ph.unphased.objective - last,
                "cost_of_phasing_share_of_demand": if p.blocks.total_demand > 0.0 { (ph.unphased.objective - last) / p.blocks.total_demand } else { 0.0 },
            }),
        );
    }
    if let (Some(c), Some(obj)) = (&p.capacity, out.as_object_mut()) {
        obj.insert(
            "capacity".into(),
            json!({
                "capacity_of_open_blocks": c.capacity,
                "assigned": c.assigned,
                "assigned_by_existing_blocks": c.assigned_before,
                "within_reach_of_open_blocks": c.within_reach,
                "assigned_share_of_demand": if p.blocks.total_demand > 0.0 { c.assigned / p.blocks.total_demand } else { 0.0 },
                "gap_asked": c.gap_asked,
                "note": "objective, bound and gap are in assigned demand; the bound is the LP relaxation's (Lagrangian on the units' demand constraints); irreplaceability is the assigned demand lost when the block closes and the others stay, completed by the greedy within the same limit (not a full re-solve; not computed for phases, targets or [siting.equity])",
                "sites": p.sites.iter().filter_map(|s| s.capacity.map(|(cap, load)| json!({"id": s.id, "status": s.status.as_str(), "capacity": cap, "load": load, "utilisation": if cap > 0.0 { load / cap } else { 0.0 }}))).collect::<Vec<_>>(),
            }),
        );
    }
    if let (Some(t), Some(obj)) = (&p.target, out.as_object_mut()) {
        obj.insert(
            "target".into(),
            json!({
                "share": t.share, "goal": t.goal, "reached": t.reached,
                "blocks": t.blocks, "lower_bound_blocks": t.lower, "blocks_without_rule": t.without_rule,
                "fewest_proven": t.reached && t.lower >= t.blocks,
                "best_possible": t.best_possible,
                "best_possible_share": if p.blocks.total_demand > 0.0 { t.best_possible / p.blocks.total_demand } else { 0.0 },
                "eligible_candidates": t.eligible,
                "solves": {"full": t.solves.0, "bound_only": t.solves.1},
                "minimise": if t.cost.is_some() { "cost" } else { "count" },
                "cost": t.cost.map(|c| json!({
                    "spent": c.spent,
                    "lower_bound": if c.lower.is_finite() { Some(c.lower) } else { None },
                    "gap": c.gap(),
                    "eligible_cost": c.eligible_cost,
                    "note": "the least total cost of new blocks reaching the goal is at least lower_bound: under every smaller budget the certified coverage bound (greedy and Lagrangian, whose site choice is a fractional knapsack) is below the goal; lower_bound_blocks is then 1",
                })),
            }),
        );
    }
    if let (Some(n), Some(obj)) = (&p.network, out.as_object_mut()) {
        let share = |v: f64, d: f64| if d > 0.0 { Some(v / d) } else { None };
        obj.insert(
            "network".into(),
            json!({
                "distance": "network",
                "catchments": format!("reached streets with gaps narrower than {} m filled, buffered by {} m (circles for sites off the network)", 2.0 * n.buffer, n.buffer),
                "covered_network": n.covered_network,
                "covered_euclidean": n.covered_euclidean,
                "share_network": share(n.covered_network, n.total_demand),
                "share_euclidean": share(n.covered_euclidean, n.total_demand),
                "fallback_units": n.fallback_units,
                "fallback_sites": n.fallback_sites,
                "districts": n.districts.iter().map(|(id, d, net, eu)| json!({
                    "id": id, "demand": d, "covered_network": net, "covered_euclidean": eu,
                    "share_network": share(*net, *d), "share_euclidean": share(*eu, *d),
                })).collect::<Vec<_>>(),
            }),
        );
    }
    out
}

/// The whole of `run.json`: [`report_json`], and with a siting plan (and the unit layer) its
/// `objective`, `bound`, `gap` and [`siting_json`].
pub fn run_report(
    method: &Method,
    r: &Assessment,
    input_notes: &[careblock_text::Msg],
    crs: String,
    files: &[InputFile],
    siting: Option<(&Plan, &Layer)>,
) -> serde_json::Value {
    let mut report = report_json(method, r, input_notes, crs, files);
    if let (Some((p, units)), Some(obj)) = (siting, report.as_object_mut()) {
        obj.insert("objective".into(), json!(p.blocks.objective));
        obj.insert("bound".into(), json!(p.blocks.bound));
        obj.insert("gap".into(), json!(p.blocks.gap));
        obj.insert("siting".into(), siting_json(p, units, method.spec.lang));
    }
    report
}
