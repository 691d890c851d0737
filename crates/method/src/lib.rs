//! The method file: a TOML document that declares the inputs, the indicators and every choice
//! of the index (treatment, normalisation, aggregation, classification, uncertainty).
//!
//! [`Method::from_toml`] parses and checks the file's structure: unknown keys, missing keys,
//! wrong types, weights ≤ 0, an indicator without the fields its kind needs, a dimension
//! without indicators, unparseable expressions. Every error names the file, the key and the
//! line. Checks that need the data (a column that does not exist or is not numeric, a
//! denominator that sums to zero) are made by `careblock-index`'s `assess` before any computation.
//!
//! Paths are kept as written; the reader (careblock-io) resolves them relative to the method
//! file.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![allow(
    clippy::result_large_err,
    reason = "errors carry the file, feature id, field and value they concern; they are built once per failed run, never in a hot loop"
)]

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use toml::Spanned;

pub mod bands;
pub mod expr;

use expr::Expr;

/// A parsed and structurally checked method file.
#[derive(Debug, Clone)]
pub struct Method {
    /// Name of the file, for messages.
    pub file: String,
    /// The file's text (to turn byte spans into line numbers in later messages).
    text: String,
    /// The declaration, as read.
    pub spec: MethodSpec,
}

/// Errors of a method file. Each names the file, and where it can the key and line.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum MethodError {
    /// The TOML is malformed, a key is unknown, a value has the wrong type, or a required key is
    /// missing.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        /// The method file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// A value that parses but is not acceptable.
    #[error("{file}:{line}: {key}: {message}")]
    Invalid {
        /// The method file.
        file: String,
        /// 1-based line of the offending value (0 when the key is absent).
        line: usize,
        /// The key, as a path (e.g. `indicators[2].weight`).
        key: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// An indicator or expression that names a column the data lacks or that is not numeric,
    /// or a denominator that sums to zero.
    #[error("{file}:{line}: {key}: {message}")]
    Data {
        /// The method file.
        file: String,
        /// 1-based line of the key.
        line: usize,
        /// The key, as a path.
        key: String,
        /// What is wrong, naming the layer and column.
        message: String,
    },
}

/// The whole method declaration (the TOML document).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MethodSpec {
    /// A title for reports.
    pub name: Option<String>,
    /// Working CRS (`9377`, `"EPSG:9377"`); default: the UTM zone of the study area.
    pub crs: Option<CrsSpec>,
    /// The census units (the finest level).
    pub units: UnitsInput,
    /// The districts the index is also computed for (UPZ, UPL, comunas, ...).
    pub districts: Option<LayerInput>,
    /// Coarser layers whose rates are allocated to units (`[[coarse]]`).
    #[serde(default)]
    pub coarse: Vec<CoarseInput>,
    /// Existing care facilities (`[[supply]]`), for the supply-gap indicator.
    #[serde(default)]
    pub supply: Vec<SupplyInput>,
    /// Derived unit columns: `name = "expression"` over unit columns (counts).
    #[serde(default)]
    pub derived: BTreeMap<String, Spanned<String>>,
    /// Counts estimated from a coarse layer's rate (`[[coarse_rates]]`).
    #[serde(default)]
    pub coarse_rates: Vec<CoarseRate>,
    /// E2SFCA settings for `access_gap` indicators.
    #[serde(default)]
    pub access: AccessSpec,
    /// The dimensions and their weights (`[dimensions.NAME]`); a dimension used by an indicator
    /// and not listed here gets weight 1.
    #[serde(default)]
    pub dimensions: BTreeMap<String, DimensionSpec>,
    /// The indicators (`[[indicators]]`), in output order.
    pub indicators: Vec<IndicatorSpec>,
    /// Data treatment.
    #[serde(default)]
    pub treatment: TreatmentSpec,
    /// Normalisation.
    #[serde(default)]
    pub normalisation: NormalisationSpec,
    /// Aggregation.
    #[serde(default)]
    pub aggregation: AggregationSpec,
    /// Classification.
    #[serde(default)]
    pub classification: ClassificationSpec,
    /// Monte Carlo uncertainty analysis.
    #[serde(default)]
    pub uncertainty: UncertaintySpec,
    /// Siting of care blocks (`[siting]`), optional.
    pub siting: Option<SitingSpec>,
    /// The street network for walking distances (`[network]`), used by `distance = "network"`
    /// in `[siting]` and `[access]`.
    pub network: Option<NetworkSpec>,
}

/// How distances between units and sites or facilities are measured.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum DistanceRule {
    /// Straight line (the default).
    #[default]
    Euclidean,
    /// Walking along the `[network]` streets (with the off-network walks at both ends).
    Network,
}

/// `[network]`: a street-centreline layer to walk on.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// The line layer (LineString / MultiLineString), relative to the method file.
    pub path: Spanned<String>,
    /// The segment id field.
    pub id: Option<String>,
    /// CRS to assume when the file declares none.
    pub crs: Option<CrsSpec>,
    /// Street ends closer than this many metres are joined (default 2).
    pub snap_tolerance: Option<Spanned<f64>>,
    /// Walking speed in km/h (default 4.8, 80 m per minute), for `minutes`.
    pub walking_speed: Option<Spanned<f64>>,
    /// When given, the siting radius is this many minutes of walking at `walking_speed`
    /// (then `siting.radius` must not be given).
    pub minutes: Option<Spanned<f64>>,
    /// A polygon layer of areas the network does not cover (relative to the method file):
    /// points inside fall back to straight-line distance, and are listed in the notes.
    pub gap: Option<Spanned<String>>,
    /// The id field of `gap`.
    pub gap_id: Option<String>,
    /// Points farther than this many metres from the network fall back to straight-line
    /// distance (default: the cut-off radius of the search).
    pub max_snap: Option<Spanned<f64>>,
    /// Reached streets are buffered by this many metres to draw a catchment (default 50).
    pub buffer: Option<Spanned<f64>>,
}

impl NetworkSpec {
    /// The snap tolerance, metres.
    pub fn snap_tolerance(&self) -> f64 {
        self.snap_tolerance.as_ref().map_or(2.0, |v| *v.get_ref())
    }
    /// The walking speed, km/h.
    pub fn walking_speed(&self) -> f64 {
        self.walking_speed
            .as_ref()
            .map_or(careblock_core::network::DEFAULT_WALKING_SPEED, |v| *v.get_ref())
    }
    /// The catchment buffer, metres.
    pub fn buffer(&self) -> f64 {
        self.buffer.as_ref().map_or(50.0, |v| *v.get_ref())
    }
    /// The options [`NetworkCost::new`](careblock_core::network::NetworkCost::new) builds the walk with.
    pub fn walk_options(&self) -> careblock_core::network::WalkOptions {
        careblock_core::network::WalkOptions {
            snap_tolerance: self.snap_tolerance(),
            max_snap: self.max_snap.as_ref().map(|v| *v.get_ref()),
            buffer: self.buffer(),
        }
    }
    /// The maximum snap distance for a search with cut-off `radius`.
    pub fn max_snap(&self, radius: f64) -> f64 {
        self.max_snap.as_ref().map_or(radius, |v| *v.get_ref())
    }
}

/// A selection of features by the text of one column: `filter = { column = "SECTOR", values = ["1"] }`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FilterSpec {
    /// The column.
    pub column: String,
    /// Accepted values, compared as text (numbers as written, e.g. `1` matches `1` and `1.0`).
    pub values: Vec<toml::Value>,
}

/// A point layer of candidate sites for care blocks (`[[siting.candidates]]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateInput {
    /// Short name of the kind of site (e.g. "colegio público"), carried to the outputs.
    pub name: String,
    /// The point layer, relative to the method file.
    pub path: String,
    /// The id field.
    pub id: Option<String>,
    /// A column with the site's name, carried to the outputs.
    pub label: Option<String>,
    /// CRS to assume when the file declares none.
    pub crs: Option<CrsSpec>,
    /// Keep only the features whose column has one of these values.
    pub filter: Option<FilterSpec>,
    /// Cost column (for `budget`); default 1 per site.
    pub cost: Option<Spanned<String>>,
    /// Column whose value `in` locks a site in (always chosen) and `out` locks it out.
    pub lock: Option<String>,
}

/// A point layer of existing care blocks, always kept (`[[siting.existing]]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExistingInput {
    /// The point layer, relative to the method file.
    pub path: String,
    /// The id field.
    pub id: Option<String>,
    /// A column with the block's name.
    pub label: Option<String>,
    /// CRS to assume when the file declares none.
    pub crs: Option<CrsSpec>,
    /// Keep only the features whose column has one of these values (e.g. `estado = activa`).
    pub filter: Option<FilterSpec>,
}

/// How a unit counts as covered by a site.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CoverageRule {
    /// The unit's centroid is within the radius (spopt's MCLP rule).
    #[default]
    Centroid,
    /// The share of the unit's area inside the circle of the radius.
    Area,
}

/// The anchor rule: a candidate is eligible only with at least `min_facilities` care
/// facilities (the `[[supply]]` layers) within `radius` metres, itself excluded.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AnchorSpec {
    /// Minimum number of other care facilities nearby.
    pub min_facilities: usize,
    /// Radius in metres (default: the siting radius).
    pub radius: Option<Spanned<f64>>,
}

/// The hexagonal grid of candidate sites used when no candidate layer is given.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GridSpec {
    /// Distance between neighbouring hexagon centres, metres.
    pub spacing: Spanned<f64>,
}

/// The care-bus tier.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BusSpec {
    /// Number of bus stops to choose.
    pub p: Spanned<usize>,
    /// Radius of a stop, metres (default 2000).
    #[serde(default = "bus_radius")]
    pub radius: Spanned<f64>,
    /// Units of high priority left uncovered qualify when their density is below this many
    /// persons per hectare (default 50).
    #[serde(default = "bus_density")]
    pub max_density: f64,
    /// Households of the units still uncovered after the buses (home-care tier), an expression
    /// (default: the population).
    pub households: Option<Spanned<String>>,
}

fn bus_radius() -> Spanned<f64> {
    Spanned::new(0..0, 2000.0)
}

fn bus_density() -> f64 {
    50.0
}

/// `[siting]`: where to put new care blocks.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SitingSpec {
    /// Walking radius in metres (default 800: Bogotá's 15–20 minute walk).
    #[serde(default = "siting_radius")]
    pub radius: Spanned<f64>,
    /// `centroid` (default) or `area`.
    #[serde(default)]
    pub coverage: CoverageRule,
    /// `euclidean` (default) or `network` (walking on the `[network]` streets).
    pub distance: Option<Spanned<DistanceRule>>,
    /// Number of new blocks.
    pub p: Option<Spanned<usize>>,
    /// Or: a budget in the units of the candidates' `cost` column.
    pub budget: Option<Spanned<f64>>,
    /// Demand per unit, an expression over unit columns; `need_mass` (the default) is
    /// population × index / 100 from the index.
    pub demand: Option<Spanned<String>>,
    /// Candidate layers.
    #[serde(default)]
    pub candidates: Vec<CandidateInput>,
    /// Hexagonal grid of candidates when no candidate layer is given.
    pub grid: Option<GridSpec>,
    /// Existing care blocks, locked in.
    #[serde(default)]
    pub existing: Vec<ExistingInput>,
    /// The anchor rule.
    pub anchor: Option<AnchorSpec>,
    /// Groups whose coverage is reported per site and district: `name = "expression"`.
    #[serde(default)]
    pub groups: BTreeMap<String, Spanned<String>>,
    /// Classes counted as high priority for the uncovered list and buses (default: the top two).
    pub priority_classes: Option<Vec<u32>>,
    /// Prove optimality by branch and bound up to this many nodes (0 = heuristic and bound only).
    #[serde(default)]
    pub exact_max_nodes: usize,
    /// The care-bus tier.
    pub bus: Option<BusSpec>,
    /// Territorial equity: a minimum (and maximum) number of blocks per district.
    pub equity: Option<EquitySpec>,
}

fn siting_radius() -> Spanned<f64> {
    Spanned::new(0..0, 800.0)
}

/// `[siting.equity]`: at least `min` (and at most `max`) care blocks per district of a polygon
/// layer, existing blocks included. A site belongs to the district whose polygon contains it;
/// a site in no district is unconstrained.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EquitySpec {
    /// `"districts"` (the `[districts]` layer) or the name of a `[[coarse]]` layer.
    pub layer: Option<Spanned<String>>,
    /// Or a polygon layer of its own, relative to the method file.
    pub path: Option<Spanned<String>>,
    /// The id field of `path`.
    pub id: Option<String>,
    /// A column with each district's name (for the notes and the equity table).
    pub label: Option<String>,
    /// CRS to assume when the `path` file declares none.
    pub crs: Option<CrsSpec>,
    /// Minimum number of blocks per district, existing ones included (default 1).
    #[serde(default = "one_block")]
    pub min: Spanned<usize>,
    /// Maximum number of blocks per district, existing ones included (default: none).
    pub max: Option<Spanned<usize>>,
    /// The minimum applies only to the districts whose need exceeds this: the need of a
    /// district is the population-weighted mean index of the units over it, on the index scale
    /// (each unit with an index weighted by its population times the fraction of its area that
    /// lies in the district, out of its area in all districts of the layer). Districts are also
    /// served in decreasing order of this need when `p` or the budget cannot cover every
    /// minimum.
    pub min_if_need_above: Option<Spanned<f64>>,
}

fn one_block() -> Spanned<usize> {
    Spanned::new(0..0, 1)
}

impl EquitySpec {
    /// The `layer` value, `None` when the equity layer has its own `path`.
    pub fn layer_name(&self) -> Option<&str> {
        self.layer.as_ref().map(|l| l.get_ref().as_str())
    }
}

/// A CRS given as an EPSG number or a text such as `"EPSG:9377"`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum CrsSpec {
    /// `crs = 9377`.
    Code(u32),
    /// `crs = "EPSG:9377"`.
    Text(String),
}

impl fmt::Display for CrsSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CrsSpec::Code(c) => write!(f, "{c}"),
            CrsSpec::Text(t) => f.write_str(t),
        }
    }
}

/// An attribute table joined to a layer by a key column.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TableInput {
    /// CSV or Parquet file, relative to the method file.
    pub path: String,
    /// Key column of the table, matched to the layer's id.
    pub key: String,
}

/// A polygon layer input.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LayerInput {
    /// The layer file, relative to the method file.
    pub path: String,
    /// The id field (default: the GeoJSON `id`, else the feature index).
    pub id: Option<String>,
    /// A column with a human-readable name for each feature, carried to the outputs.
    pub label: Option<String>,
    /// CRS to assume when the file declares none.
    pub crs: Option<CrsSpec>,
    /// An attribute table joined on the id.
    pub table: Option<TableInput>,
}

/// The census units: a polygon layer plus the population column.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UnitsInput {
    /// The layer file, relative to the method file.
    pub path: String,
    /// The id field.
    pub id: Option<String>,
    /// A column with a human-readable name, carried to the outputs.
    pub label: Option<String>,
    /// CRS to assume when the file declares none.
    pub crs: Option<CrsSpec>,
    /// An attribute table joined on the id.
    pub table: Option<TableInput>,
    /// The total-population column (an expression is allowed).
    pub population: Spanned<String>,
}

impl UnitsInput {
    /// The layer part of the units input.
    pub fn layer(&self) -> LayerInput {
        LayerInput {
            path: self.path.clone(),
            id: self.id.clone(),
            label: self.label.clone(),
            crs: self.crs.clone(),
            table: self.table.clone(),
        }
    }
}

/// A coarse layer (e.g. localidades with survey rates).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CoarseInput {
    /// The name `coarse_rates` refer to.
    pub name: Spanned<String>,
    /// The layer file, relative to the method file.
    pub path: String,
    /// The id field.
    pub id: Option<String>,
    /// CRS to assume when the file declares none.
    pub crs: Option<CrsSpec>,
    /// An attribute table joined on the id.
    pub table: Option<TableInput>,
}

/// A layer of existing care facilities (points).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SupplyInput {
    /// A short name for reports.
    pub name: String,
    /// The point layer, relative to the method file.
    pub path: String,
    /// The id field.
    pub id: Option<String>,
    /// CRS to assume when the file declares none.
    pub crs: Option<CrsSpec>,
    /// Capacity column (default: every facility has capacity 1).
    pub capacity: Option<Spanned<String>>,
}

/// An estimated count per unit from a coarse rate: `rate × scale × base`, where the unit's
/// rate is the area-weighted mean of the rates of the coarse polygons it overlaps.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CoarseRate {
    /// The new unit column.
    pub name: Spanned<String>,
    /// The `[[coarse]]` layer it comes from.
    pub layer: Spanned<String>,
    /// The rate column of the coarse layer.
    pub rate: Spanned<String>,
    /// Factor turning the rate into a fraction (`0.01` for percentages).
    #[serde(default = "one")]
    pub scale: f64,
    /// The unit count the rate applies to (an expression over unit columns).
    pub base: Spanned<String>,
}

fn one() -> f64 {
    1.0
}

/// E2SFCA settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AccessSpec {
    /// Demand per unit (expression; default: the population).
    pub demand: Option<Spanned<String>>,
    /// Distance bands `[[upper_m, weight], ...]`; default 400/800/1200 m with 1/0.68/0.22.
    pub bands: Option<Spanned<Vec<[f64; 2]>>>,
    /// `euclidean` (default) or `network` (walking on the `[network]` streets).
    pub distance: Option<Spanned<DistanceRule>>,
    /// Or walking-time bands `[[upper_minutes, weight], ...]`, walked on the `[network]`
    /// streets at its `walking_speed` (needs `distance = "network"`; not with `bands`).
    pub minutes: Option<Spanned<Vec<[f64; 2]>>>,
}

impl AccessSpec {
    /// The distance rule.
    pub fn distance(&self) -> DistanceRule {
        self.distance
            .as_ref()
            .map_or(DistanceRule::Euclidean, |d| *d.get_ref())
    }

    /// The `(upper bound in metres, weight)` bands given: `bands`, or `minutes` converted at
    /// the `[network]` walking speed (the default speed without a `[network]`); `None` when
    /// neither is given (the default bands).
    pub fn band_metres(&self, network: Option<&NetworkSpec>) -> Option<Vec<(f64, f64)>> {
        let speed = network.map_or(
            careblock_core::network::DEFAULT_WALKING_SPEED,
            NetworkSpec::walking_speed,
        );
        match (&self.bands, &self.minutes) {
            (Some(b), _) => Some(b.get_ref().iter().map(|[d, w]| (*d, *w)).collect()),
            (None, Some(m)) => Some(
                m.get_ref()
                    .iter()
                    .map(|[t, w]| (careblock_core::network::minutes_to_metres(*t, speed), *w))
                    .collect(),
            ),
            (None, None) => None,
        }
    }
}

impl SitingSpec {
    /// The distance rule.
    pub fn distance(&self) -> DistanceRule {
        self.distance
            .as_ref()
            .map_or(DistanceRule::Euclidean, |d| *d.get_ref())
    }

    /// The walking radius in metres: `radius`, or `[network] minutes` at the walking speed
    /// when the siting walks on the network.
    pub fn effective_radius(&self, network: Option<&NetworkSpec>) -> f64 {
        match network.and_then(|n| n.minutes.as_ref().map(|m| (n, *m.get_ref()))) {
            Some((n, m)) if self.distance() == DistanceRule::Network => {
                careblock_core::network::minutes_to_metres(m, n.walking_speed())
            }
            _ => *self.radius.get_ref(),
        }
    }
}

/// A dimension's weight and label.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionSpec {
    /// Weight (> 0); default 1.
    pub weight: Option<Spanned<f64>>,
    /// Human-readable name.
    pub label: Option<String>,
}

/// How an indicator is built from columns.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// `numerator / denominator`, a part of a whole (e.g. children 0–9 / persons).
    Share,
    /// `numerator / denominator`, any ratio (e.g. dependency ratio).
    Ratio,
    /// `count / area in km²` (projected area).
    Density,
    /// A count as is.
    Count,
    /// Supply gap from E2SFCA access: `1 − A / max(A)`.
    AccessGap,
}

/// `"+"`/`"-"` (or `positive`/`negative`) in the file.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum DirectionSpec {
    /// More of it, more need.
    #[serde(rename = "+", alias = "positive")]
    Positive,
    /// More of it, less need.
    #[serde(rename = "-", alias = "negative")]
    Negative,
}

/// One indicator.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorSpec {
    /// Short name (output column prefix).
    pub name: Spanned<String>,
    /// Human-readable description.
    pub label: Option<String>,
    /// The dimension it belongs to.
    pub dimension: Spanned<String>,
    /// How it is built.
    pub kind: IndicatorKind,
    /// For `share`/`ratio`: the numerator expression.
    pub numerator: Option<Spanned<String>>,
    /// For `share`/`ratio`: the denominator expression.
    pub denominator: Option<Spanned<String>>,
    /// For `density`/`count`: the count expression.
    pub count: Option<Spanned<String>>,
    /// `"+"` (default) or `"-"`.
    pub direction: Option<DirectionSpec>,
    /// Weight within its dimension (> 0, default 1).
    pub weight: Option<Spanned<f64>>,
    /// Goalposts `[low, high]` in raw units, for `normalisation.method = "goalposts"`.
    pub goalposts: Option<Spanned<[f64; 2]>>,
    /// Whether this is the documented criterion or a stated proxy, in words (for reports).
    pub basis: Option<String>,
}

/// Data treatment.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TreatmentSpec {
    /// Winsorisation percentiles `[low, high]`, or `false` for none. Default `[1, 99]`.
    pub winsorise: WinsoriseSpec,
    /// Units with fewer people get no shares/ratios and no index. Default 30.
    pub min_population: f64,
    /// Minimum share of a dimension's indicators (and of the index's dimensions) that must be
    /// present for a score. Default 0.5.
    pub min_available: f64,
}

impl Default for TreatmentSpec {
    fn default() -> Self {
        TreatmentSpec {
            winsorise: WinsoriseSpec::Percentiles([1.0, 99.0]),
            min_population: 30.0,
            min_available: 0.5,
        }
    }
}

/// `winsorise = [1, 99]` or `winsorise = false`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum WinsoriseSpec {
    /// Percentiles.
    Percentiles([f64; 2]),
    /// `false`: no winsorisation (`true` means the default `[1, 99]`).
    Flag(bool),
}

impl WinsoriseSpec {
    /// The percentiles to clip at, if any.
    pub fn percentiles(&self) -> Option<(f64, f64)> {
        match self {
            WinsoriseSpec::Percentiles([a, b]) => Some((*a, *b)),
            WinsoriseSpec::Flag(true) => Some((1.0, 99.0)),
            WinsoriseSpec::Flag(false) => None,
        }
    }
}

/// Normalisation method names in the file.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum NormalisationName {
    /// Min-max to 0–100.
    #[default]
    MinMax,
    /// z-scores.
    ZScore,
    /// Percentile ranks 0–100.
    Rank,
    /// Goalposts from each indicator's `goalposts`, 0–100.
    Goalposts,
}

/// `[normalisation]`.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct NormalisationSpec {
    /// `min-max` (default), `z-score`, `rank` or `goalposts`.
    pub method: NormalisationName,
}

/// Aggregation method names in the file.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum AggregationName {
    /// Weighted arithmetic mean.
    #[default]
    Arithmetic,
    /// Weighted geometric mean (scores rescaled to 1–100 first).
    Geometric,
    /// Mazziotta–Pareto index.
    MazziottaPareto,
}

/// `[aggregation]`.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AggregationSpec {
    /// `arithmetic` (default), `geometric` or `mazziotta-pareto`.
    pub method: AggregationName,
}

/// Classification method names in the file.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ClassificationName {
    /// Quantiles (mapclassify `Quantiles`).
    #[default]
    Quantiles,
    /// Fisher–Jenks natural breaks (mapclassify `FisherJenks`).
    Jenks,
    /// Equal intervals (mapclassify `EqualInterval`).
    EqualInterval,
}

/// `[classification]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClassificationSpec {
    /// `quantiles` (default), `jenks` or `equal-interval`.
    pub method: ClassificationName,
    /// Number of classes (default 5; class `k` is the highest need).
    pub classes: Spanned<usize>,
}

impl Default for ClassificationSpec {
    fn default() -> Self {
        ClassificationSpec {
            method: ClassificationName::Quantiles,
            classes: Spanned::new(0..0, 5),
        }
    }
}

/// `[uncertainty]`: Monte Carlo over weights, normalisation and aggregation.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct UncertaintySpec {
    /// Number of draws (default 1000; 0 turns the analysis off).
    pub draws: usize,
    /// Seed of the random draws (default 2018, the census year).
    pub seed: u64,
    /// Each weight is multiplied by `1 + noise·U(−1, 1)` (default 0.25).
    pub weight_noise: Spanned<f64>,
    /// Normalisations to draw from (default `["min-max", "z-score", "rank"]`).
    pub normalisations: Vec<NormalisationName>,
    /// Aggregations to draw from (default `["arithmetic", "geometric"]`).
    pub aggregations: Vec<AggregationName>,
    /// The levels whose index gets the analysis (default `["units", "districts"]`). Each draw
    /// ranks every row of a level, and the per-row percentiles keep one rank per draw and row
    /// (4 bytes each: 2 GB for 1,000 draws over 500,000 units), so a national run can keep
    /// the analysis to the districts.
    pub levels: Vec<LevelName>,
}

/// The two levels of the index, as named in the method file.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum LevelName {
    /// The census units.
    Units,
    /// The districts.
    Districts,
}

impl UncertaintySpec {
    /// Whether the Monte Carlo runs on this level.
    pub fn covers(&self, level: LevelName) -> bool {
        self.draws > 0 && self.levels.contains(&level)
    }
}

impl Default for UncertaintySpec {
    fn default() -> Self {
        UncertaintySpec {
            draws: 1000,
            seed: 2018,
            weight_noise: Spanned::new(0..0, 0.25),
            normalisations: vec![
                NormalisationName::MinMax,
                NormalisationName::ZScore,
                NormalisationName::Rank,
            ],
            aggregations: vec![AggregationName::Arithmetic, AggregationName::Geometric],
            levels: vec![LevelName::Units, LevelName::Districts],
        }
    }
}

impl Method {
    /// Parses and structurally checks a method file. `file` is its name for messages.
    pub fn from_toml(file: &str, text: &str) -> Result<Method, MethodError> {
        let spec: MethodSpec = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
            MethodError::Syntax {
                file: file.to_string(),
                line,
                column,
                message: e.message().trim().replace('\n', " "),
            }
        })?;
        let method = Method {
            file: file.to_string(),
            text: text.to_string(),
            spec,
        };
        method.check()?;
        Ok(method)
    }

    /// The 1-based line of a byte offset in the file (0 for a default value with no span).
    pub fn line_of(&self, span: std::ops::Range<usize>) -> usize {
        if span.is_empty() && span.start == 0 {
            0
        } else {
            line_col(&self.text, span.start).0
        }
    }

    /// An [`MethodError::Invalid`] at a span.
    pub fn invalid(
        &self,
        span: std::ops::Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> MethodError {
        MethodError::Invalid {
            file: self.file.clone(),
            line: self.line_of(span),
            key: key.into(),
            message: message.into(),
        }
    }

    /// A [`MethodError::Data`] at a span.
    pub fn data_error(
        &self,
        span: std::ops::Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> MethodError {
        MethodError::Data {
            file: self.file.clone(),
            line: self.line_of(span),
            key: key.into(),
            message: message.into(),
        }
    }

    /// The dimensions in output order: first appearance among the indicators, with weights.
    pub fn dimensions(&self) -> Vec<(String, f64, Option<String>)> {
        let mut out: Vec<(String, f64, Option<String>)> = Vec::new();
        for ind in &self.spec.indicators {
            let d = ind.dimension.get_ref();
            if out.iter().any(|(n, _, _)| n == d) {
                continue;
            }
            let spec = self.spec.dimensions.get(d);
            let w = spec
                .and_then(|s| s.weight.as_ref())
                .map(|w| *w.get_ref())
                .unwrap_or(1.0);
            out.push((d.clone(), w, spec.and_then(|s| s.label.clone())));
        }
        out
    }

    fn check(&self) -> Result<(), MethodError> {
        let s = &self.spec;
        if s.indicators.is_empty() {
            return Err(self.invalid(0..0, "indicators", "the method declares no [[indicators]]"));
        }
        let weight_ok = |w: f64| w.is_finite() && w > 0.0;
        let mut names: Vec<&str> = Vec::new();
        for (i, ind) in s.indicators.iter().enumerate() {
            let key = |k: &str| format!("indicators[{i}].{k}");
            let name = ind.name.get_ref();
            if name.trim().is_empty() {
                return Err(self.invalid(ind.name.span(), key("name"), "the name is empty"));
            }
            if names.contains(&name.as_str()) {
                return Err(self.invalid(
                    ind.name.span(),
                    key("name"),
                    format!("indicator {name:?} is declared twice"),
                ));
            }
            names.push(name);
            if let Some(w) = &ind.weight
                && !weight_ok(*w.get_ref())
            {
                return Err(self.invalid(
                    w.span(),
                    key("weight"),
                    format!(
                        "weight {} of indicator {name:?} must be a number > 0",
                        w.get_ref()
                    ),
                ));
            }
            let need = |field: &Option<Spanned<String>>, k: &str| -> Result<(), MethodError> {
                match field {
                    None => Err(self.invalid(
                        ind.name.span(),
                        key(k),
                        format!("indicator {name:?} of kind {:?} needs `{k}`", ind.kind),
                    )),
                    Some(e) => self.parse_expr(e, &key(k)).map(|_| ()),
                }
            };
            let forbid = |field: &Option<Spanned<String>>, k: &str| -> Result<(), MethodError> {
                match field {
                    Some(e) => Err(self.invalid(
                        e.span(),
                        key(k),
                        format!("indicator {name:?} of kind {:?} does not use `{k}`", ind.kind),
                    )),
                    None => Ok(()),
                }
            };
            match ind.kind {
                IndicatorKind::Share | IndicatorKind::Ratio => {
                    need(&ind.numerator, "numerator")?;
                    need(&ind.denominator, "denominator")?;
                    forbid(&ind.count, "count")?;
                }
                IndicatorKind::Density | IndicatorKind::Count => {
                    need(&ind.count, "count")?;
                    forbid(&ind.numerator, "numerator")?;
                    forbid(&ind.denominator, "denominator")?;
                }
                IndicatorKind::AccessGap => {
                    forbid(&ind.count, "count")?;
                    forbid(&ind.numerator, "numerator")?;
                    forbid(&ind.denominator, "denominator")?;
                    if s.supply.is_empty() {
                        return Err(self.invalid(
                            ind.name.span(),
                            key("kind"),
                            format!("indicator {name:?} is an access_gap but the method declares no [[supply]] layer"),
                        ));
                    }
                }
            }
            if let Some(g) = &ind.goalposts {
                let [lo, hi] = *g.get_ref();
                if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                    return Err(self.invalid(
                        g.span(),
                        key("goalposts"),
                        format!("goalposts must be two finite numbers [low, high] with low < high, found [{lo}, {hi}]"),
                    ));
                }
            } else if s.normalisation.method == NormalisationName::Goalposts {
                return Err(self.invalid(
                    ind.name.span(),
                    key("goalposts"),
                    format!("normalisation is \"goalposts\" but indicator {name:?} has no `goalposts = [low, high]`"),
                ));
            }
        }
        if s.uncertainty
            .normalisations
            .contains(&NormalisationName::Goalposts)
            && s.indicators.iter().any(|i| i.goalposts.is_none())
        {
            return Err(self.invalid(
                0..0,
                "uncertainty.normalisations",
                "\"goalposts\" is listed but not every indicator has `goalposts`",
            ));
        }
        for (d, spec) in &s.dimensions {
            if !s.indicators.iter().any(|i| i.dimension.get_ref() == d) {
                let span = spec.weight.as_ref().map(|w| w.span()).unwrap_or(0..0);
                return Err(self.invalid(
                    span,
                    format!("dimensions.{d}"),
                    format!("dimension {d:?} has no indicator"),
                ));
            }
            if let Some(w) = &spec.weight
                && !weight_ok(*w.get_ref())
            {
                return Err(self.invalid(
                    w.span(),
                    format!("dimensions.{d}.weight"),
                    format!("weight {} of dimension {d:?} must be a number > 0", w.get_ref()),
                ));
            }
        }
        let t = &s.treatment;
        if let Some((lo, hi)) = t.winsorise.percentiles()
            && !(0.0 <= lo && lo < hi && hi <= 100.0)
        {
            return Err(self.invalid(
                0..0,
                "treatment.winsorise",
                format!("percentiles must satisfy 0 ≤ low < high ≤ 100, found [{lo}, {hi}]"),
            ));
        }
        if !(t.min_population.is_finite() && t.min_population >= 0.0) {
            return Err(self.invalid(0..0, "treatment.min_population", "must be a number ≥ 0"));
        }
        if !(t.min_available > 0.0 && t.min_available <= 1.0) {
            return Err(self.invalid(0..0, "treatment.min_available", "must be in (0, 1]"));
        }
        let k = &s.classification.classes;
        if *k.get_ref() < 2 {
            return Err(self.invalid(
                k.span(),
                "classification.classes",
                "at least 2 classes are needed",
            ));
        }
        let u = &s.uncertainty;
        let noise = *u.weight_noise.get_ref();
        if !(noise.is_finite() && (0.0..1.0).contains(&noise)) {
            return Err(self.invalid(
                u.weight_noise.span(),
                "uncertainty.weight_noise",
                format!("must be in [0, 1) so that weights stay > 0, found {noise}"),
            ));
        }
        if u.draws > 0 && (u.normalisations.is_empty() || u.aggregations.is_empty()) {
            return Err(self.invalid(
                0..0,
                "uncertainty",
                "normalisations and aggregations must each list at least one method",
            ));
        }
        if u.draws > 0 && u.levels.is_empty() {
            return Err(self.invalid(
                0..0,
                "uncertainty.levels",
                "must list \"units\", \"districts\" or both (or set draws = 0)",
            ));
        }
        if let Some(st) = &s.siting {
            self.check_siting(st)?;
        }
        self.check_network()?;
        self.parse_expr(&s.units.population, "units.population")?;
        for (name, e) in &s.derived {
            self.parse_expr(e, &format!("derived.{name}"))?;
        }
        if let Some(d) = &s.access.demand {
            self.parse_expr(d, "access.demand")?;
        }
        if let Some(b) = &s.access.bands
            && let Err(e) =
                crate::bands::DistanceBands::new(b.get_ref().iter().map(|[d, w]| (*d, *w)).collect())
        {
            return Err(self.invalid(b.span(), "access.bands", e.to_string()));
        }
        if let Some(m) = &s.access.minutes {
            if s.access.bands.is_some() {
                return Err(self.invalid(
                    m.span(),
                    "access.minutes",
                    "give either `access.bands` (metres) or `access.minutes`, not both",
                ));
            }
            if s.access.distance() != DistanceRule::Network {
                return Err(self.invalid(
                    m.span(),
                    "access.minutes",
                    "walking-time bands need distance = \"network\" in [access] (and a [network])",
                ));
            }
            if let Err(e) =
                crate::bands::DistanceBands::new(m.get_ref().iter().map(|[t, w]| (*t, *w)).collect())
            {
                // The band errors speak of metres: these bounds are minutes.
                let text = format!("{e} ")
                    .replace("metres", "minutes")
                    .replace(" m ", " min ");
                return Err(self.invalid(m.span(), "access.minutes", text.trim_end().to_string()));
            }
        }
        for (i, r) in s.coarse_rates.iter().enumerate() {
            self.parse_expr(&r.base, &format!("coarse_rates[{i}].base"))?;
            if !s.coarse.iter().any(|c| c.name.get_ref() == r.layer.get_ref()) {
                return Err(self.invalid(
                    r.layer.span(),
                    format!("coarse_rates[{i}].layer"),
                    format!("no [[coarse]] layer is named {:?}", r.layer.get_ref()),
                ));
            }
            if !(r.scale.is_finite() && r.scale > 0.0) {
                return Err(self.invalid(
                    r.name.span(),
                    format!("coarse_rates[{i}].scale"),
                    "must be a number > 0",
                ));
            }
        }
        Ok(())
    }

    fn check_siting(&self, st: &SitingSpec) -> Result<(), MethodError> {
        let positive = |v: &Spanned<f64>, key: &str| -> Result<(), MethodError> {
            let x = *v.get_ref();
            if x.is_finite() && x > 0.0 {
                Ok(())
            } else {
                Err(self.invalid(
                    v.span(),
                    key,
                    format!("must be a number of metres > 0, found {x}"),
                ))
            }
        };
        positive(&st.radius, "siting.radius")?;
        match (&st.p, &st.budget) {
            (Some(_), Some(b)) => {
                return Err(self.invalid(b.span(), "siting.budget", "give either `p` or `budget`, not both"));
            }
            (None, None) => {
                return Err(self.invalid(
                    0..0,
                    "siting.p",
                    "give the number of new blocks `p` or a `budget`",
                ));
            }
            (None, Some(b)) => {
                let x = *b.get_ref();
                if !(x.is_finite() && x > 0.0) {
                    return Err(self.invalid(
                        b.span(),
                        "siting.budget",
                        format!("must be a number > 0, found {x}"),
                    ));
                }
            }
            (Some(_), None) => {}
        }
        if st.candidates.is_empty() && st.grid.is_none() {
            return Err(self.invalid(
                0..0,
                "siting.candidates",
                "give at least one [[siting.candidates]] layer, or a [siting.grid] of candidate sites",
            ));
        }
        if let Some(g) = &st.grid {
            positive(&g.spacing, "siting.grid.spacing")?;
        }
        if let Some(a) = &st.anchor {
            if let Some(r) = &a.radius {
                positive(r, "siting.anchor.radius")?;
            }
            if a.min_facilities > 0 && self.spec.supply.is_empty() {
                return Err(self.invalid(
                    0..0,
                    "siting.anchor",
                    "the anchor rule counts the [[supply]] facilities, but the method declares none",
                ));
            }
        }
        if let Some(d) = &st.demand {
            self.parse_expr(d, "siting.demand")?;
        }
        for (name, e) in &st.groups {
            self.parse_expr(e, &format!("siting.groups.{name}"))?;
        }
        if let Some(b) = &st.bus {
            positive(&b.radius, "siting.bus.radius")?;
            if let Some(h) = &b.households {
                self.parse_expr(h, "siting.bus.households")?;
            }
        }
        if let Some(e) = &st.equity {
            self.check_equity(e)?;
        }
        if let Some(pc) = &st.priority_classes {
            let k = *self.spec.classification.classes.get_ref() as u32;
            if let Some(bad) = pc.iter().find(|c| **c == 0 || **c > k) {
                return Err(self.invalid(
                    0..0,
                    "siting.priority_classes",
                    format!("class {bad} does not exist: classes run from 1 to {k}"),
                ));
            }
        }
        Ok(())
    }

    fn check_network(&self) -> Result<(), MethodError> {
        let s = &self.spec;
        let uses = |d: &Option<Spanned<DistanceRule>>, key: &str| -> Result<(), MethodError> {
            match d {
                Some(d) if *d.get_ref() == DistanceRule::Network && s.network.is_none() => Err(self.invalid(
                    d.span(),
                    key,
                    "distance = \"network\" needs a [network] section with the street layer `path`",
                )),
                _ => Ok(()),
            }
        };
        uses(&s.access.distance, "access.distance")?;
        if let Some(st) = &s.siting {
            uses(&st.distance, "siting.distance")?;
            if st.distance() == DistanceRule::Network && st.coverage == CoverageRule::Area {
                return Err(self.invalid(
                    st.distance.as_ref().map_or(0..0, |d| d.span()),
                    "siting.coverage",
                    "coverage = \"area\" is not available with distance = \"network\": use the centroid rule",
                ));
            }
        }
        let Some(n) = &s.network else { return Ok(()) };
        if n.path.get_ref().trim().is_empty() {
            return Err(self.invalid(n.path.span(), "network.path", "the street layer path is empty"));
        }
        let positive = |v: &Option<Spanned<f64>>, key: &str, unit: &str| -> Result<(), MethodError> {
            match v {
                Some(v) if !(v.get_ref().is_finite() && *v.get_ref() > 0.0) => Err(self.invalid(
                    v.span(),
                    key,
                    format!("must be a number of {unit} > 0, found {}", v.get_ref()),
                )),
                _ => Ok(()),
            }
        };
        positive(&n.snap_tolerance, "network.snap_tolerance", "metres")?;
        positive(&n.walking_speed, "network.walking_speed", "km/h")?;
        positive(&n.minutes, "network.minutes", "minutes")?;
        positive(&n.max_snap, "network.max_snap", "metres")?;
        positive(&n.buffer, "network.buffer", "metres")?;
        if let (Some(m), Some(st)) = (&n.minutes, &s.siting)
            && !(st.radius.span().is_empty() && st.radius.span().start == 0)
        {
            return Err(self.invalid(
                m.span(),
                "network.minutes",
                "give either `siting.radius` (metres) or `network.minutes`, not both",
            ));
        }
        if s.siting
            .as_ref()
            .is_none_or(|st| st.distance() != DistanceRule::Network)
            && s.access.distance() != DistanceRule::Network
        {
            return Err(self.invalid(
                n.path.span(),
                "network",
                "the [network] is not used: set distance = \"network\" in [siting] or [access]",
            ));
        }
        Ok(())
    }

    fn check_equity(&self, e: &EquitySpec) -> Result<(), MethodError> {
        match (&e.layer, &e.path) {
            (Some(_), Some(p)) => {
                return Err(self.invalid(
                    p.span(),
                    "siting.equity.path",
                    "give either `layer` (\"districts\" or a [[coarse]] name) or `path`, not both",
                ));
            }
            (None, None) => {
                return Err(self.invalid(
                    0..0,
                    "siting.equity.layer",
                    "give the district layer: `layer = \"districts\"`, the name of a [[coarse]] layer, or `path`",
                ));
            }
            (Some(l), None) => {
                let name = l.get_ref();
                let known = if name == "districts" {
                    self.spec.districts.is_some()
                } else {
                    self.spec.coarse.iter().any(|c| c.name.get_ref() == name)
                };
                if !known {
                    let coarse: Vec<&str> = self
                        .spec
                        .coarse
                        .iter()
                        .map(|c| c.name.get_ref().as_str())
                        .collect();
                    return Err(self.invalid(
                        l.span(),
                        "siting.equity.layer",
                        format!(
                            "no polygon layer is named {name:?}: use \"districts\"{} or the name of a [[coarse]] layer{}",
                            if self.spec.districts.is_some() { "" } else { " (but the method has no [districts])" },
                            if coarse.is_empty() { String::new() } else { format!(" ({})", coarse.join(", ")) }
                        ),
                    ));
                }
                if e.id.is_some() || e.crs.is_some() {
                    return Err(self.invalid(
                        l.span(),
                        "siting.equity.id",
                        "`id` and `crs` go with `path`; the named layer has its own",
                    ));
                }
            }
            (None, Some(_)) => {}
        }
        if let Some(max) = &e.max
            && *max.get_ref() < *e.min.get_ref()
        {
            return Err(self.invalid(
                max.span(),
                "siting.equity.max",
                format!(
                    "the maximum {} blocks per district is below the minimum {}",
                    max.get_ref(),
                    e.min.get_ref()
                ),
            ));
        }
        if let Some(t) = &e.min_if_need_above
            && !t.get_ref().is_finite()
        {
            return Err(self.invalid(
                t.span(),
                "siting.equity.min_if_need_above",
                format!(
                    "must be a finite number on the index scale, found {}",
                    t.get_ref()
                ),
            ));
        }
        Ok(())
    }

    /// Parses an expression field, naming the key and line on error.
    pub fn parse_expr(&self, e: &Spanned<String>, key: &str) -> Result<Expr, MethodError> {
        Expr::parse(e.get_ref()).map_err(|err| self.invalid(e.span(), key, err.to_string()))
    }
}

/// 1-based (line, column) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
[units]
path = "u.geojson"
population = "pop"

[[indicators]]
name = "young"
dimension = "demand"
kind = "share"
numerator = "pop_0_9"
denominator = "pop"
"#;

    fn err(text: &str) -> String {
        Method::from_toml("m.toml", text).unwrap_err().to_string()
    }

    #[test]
    fn access_minutes_are_walking_time_bands_on_the_network() {
        let net = "[network]\npath = \"s.geojson\"\nwalking_speed = 6\n";
        let m = Method::from_toml(
            "m.toml",
            &format!("{BASE}[access]\ndistance = \"network\"\nminutes = [[5, 1.0], [10, 0.5]]\n{net}"),
        )
        .unwrap();
        // 6 km/h = 100 m per minute.
        assert_eq!(
            m.spec.access.band_metres(m.spec.network.as_ref()),
            Some(vec![(500.0, 1.0), (1000.0, 0.5)])
        );
        let e = err(&format!(
            "{BASE}[access]\ndistance = \"network\"\nbands = [[400, 1.0]]\nminutes = [[5, 1.0]]\n{net}"
        ));
        assert!(
            e.contains("m.toml:15: access.minutes") && e.contains("not both"),
            "{e}"
        );
        let e = err(&format!("{BASE}[access]\nminutes = [[5, 1.0]]\n"));
        assert!(
            e.contains("access.minutes") && e.contains("distance = \"network\""),
            "{e}"
        );
        let e = err(&format!(
            "{BASE}[access]\ndistance = \"network\"\nminutes = [[10, 1.0], [5, 0.5]]\n{net}"
        ));
        assert!(
            e.contains("access.minutes") && e.contains("5.0 min does not exceed the previous bound 10.0 min"),
            "{e}"
        );
    }

    #[test]
    fn network_options_are_checked_with_key_and_line() {
        let siting = "[siting]\np = 1\ngrid = { spacing = 500 }\ndistance = \"network\"\n";
        let e = err(&format!("{BASE}{siting}"));
        assert!(
            e.contains("m.toml:15: siting.distance") && e.contains("[network]"),
            "{e}"
        );
        let e = err(&format!("{BASE}[access]\ndistance = \"network\"\n"));
        assert!(e.contains("m.toml:13: access.distance"), "{e}");
        let net = "[network]\npath = \"streets.geojson\"\nsnap_tolerance = -1\n";
        let e = err(&format!("{BASE}{siting}{net}"));
        assert!(
            e.contains("m.toml:18: network.snap_tolerance") && e.contains("> 0"),
            "{e}"
        );
        let e = err(&format!(
            "{BASE}{siting}[network]\npath = \"s.geojson\"\nspeed = 4\n"
        ));
        assert!(e.contains("unknown field `speed`"), "{e}");
        let e = err(&format!("{BASE}[network]\npath = \"s.geojson\"\n"));
        assert!(e.contains("network: the [network] is not used"), "{e}");
        let e = err(&format!(
            "{BASE}{siting}radius = 900\n[network]\npath = \"s.geojson\"\nminutes = 10\n"
        ));
        assert!(e.contains("network.minutes") && e.contains("not both"), "{e}");
        let e = err(&format!(
            "{BASE}{siting}coverage = \"area\"\n[network]\npath = \"s.geojson\"\n"
        ));
        assert!(e.contains("siting.coverage"), "{e}");
        let m = Method::from_toml(
            "m.toml",
            &format!("{BASE}{siting}[network]\npath = \"s.geojson\"\nminutes = 10\n"),
        )
        .unwrap();
        let st = m.spec.siting.as_ref().unwrap();
        assert_eq!(st.distance(), DistanceRule::Network);
        assert_eq!(st.effective_radius(m.spec.network.as_ref()), 800.0);
        let n = m.spec.network.as_ref().unwrap();
        assert_eq!(
            (
                n.snap_tolerance(),
                n.walking_speed(),
                n.buffer(),
                n.max_snap(800.0)
            ),
            (2.0, 4.8, 50.0, 800.0)
        );
        assert_eq!(m.spec.access.distance(), DistanceRule::Euclidean);
        assert_eq!(m.spec.access.band_metres(m.spec.network.as_ref()), None);
    }

    #[test]
    fn a_minimal_method_gets_the_documented_defaults() {
        let m = Method::from_toml("m.toml", BASE).unwrap();
        let s = &m.spec;
        assert_eq!(s.treatment.winsorise.percentiles(), Some((1.0, 99.0)));
        assert_eq!(s.treatment.min_population, 30.0);
        assert_eq!(s.normalisation.method, NormalisationName::MinMax);
        assert_eq!(s.aggregation.method, AggregationName::Arithmetic);
        assert_eq!(s.classification.method, ClassificationName::Quantiles);
        assert_eq!(*s.classification.classes.get_ref(), 5);
        assert_eq!(s.uncertainty.draws, 1000);
        assert!(s.uncertainty.covers(LevelName::Units) && s.uncertainty.covers(LevelName::Districts));
        assert_eq!(m.dimensions(), vec![("demand".to_string(), 1.0, None)]);
    }

    #[test]
    fn the_monte_carlo_can_be_kept_to_one_level() {
        let m = Method::from_toml(
            "m.toml",
            &format!("{BASE}\n[uncertainty]\ndraws = 10\nlevels = [\"districts\"]\n"),
        )
        .unwrap();
        let u = &m.spec.uncertainty;
        assert!(u.covers(LevelName::Districts) && !u.covers(LevelName::Units));
        let e = err(&format!("{BASE}\n[uncertainty]\nlevels = []\n"));
        assert!(e.contains("uncertainty.levels"), "{e}");
        let e = err(&format!("{BASE}\n[uncertainty]\nlevels = [\"blocks\"]\n"));
        assert!(e.contains("blocks"), "{e}");
    }

    #[test]
    fn structural_errors_name_key_and_line() {
        let e = err(&BASE.replace("kind = \"share\"", "kind = \"shares\""));
        assert!(e.starts_with("m.toml:9:8:"), "{e}");
        let e = err(&format!("{BASE}weight = -1\n"));
        assert!(e.contains("m.toml:12: indicators[0].weight"), "{e}");
        let e = err(&BASE.replace("numerator = \"pop_0_9\"\n", ""));
        assert!(
            e.contains("indicators[0].numerator") && e.contains("needs"),
            "{e}"
        );
        let e = err(&format!("{BASE}count = \"pop\"\n"));
        assert!(e.contains("does not use `count`"), "{e}");
        let e = err(&format!("{BASE}[dimensions.other]\nweight = 2\n"));
        assert!(e.contains("dimension \"other\" has no indicator"), "{e}");
        let e = err(&format!(
            "{BASE}[[indicators]]\nname = \"young\"\ndimension = \"d\"\nkind = \"count\"\ncount = \"pop\"\n"
        ));
        assert!(e.contains("declared twice"), "{e}");
        let e = err(&BASE.replace("\"pop_0_9\"", "\"pop_0_9 *\""));
        assert!(e.contains("indicators[0].numerator"), "{e}");
        let e = err(&format!("{BASE}[normalisation]\nmethod = \"goalposts\"\n"));
        assert!(e.contains("goalposts"), "{e}");
        let e = err(&format!(
            "{BASE}[[indicators]]\nname = \"gap\"\ndimension = \"s\"\nkind = \"access_gap\"\n"
        ));
        assert!(e.contains("no [[supply]]"), "{e}");
        let e = err(&format!("{BASE}[uncertainty]\nweight_noise = 1.5\n"));
        assert!(e.contains("uncertainty.weight_noise"), "{e}");
    }

    const SITING: &str = "[siting]\np = 2\n[siting.grid]\nspacing = 500\n";

    #[test]
    fn equity_options_are_checked_with_key_and_line() {
        let with = |equity: &str| {
            format!("{BASE}[districts]\npath = \"d.geojson\"\n{SITING}[siting.equity]\n{equity}")
        };
        let m = Method::from_toml("m.toml", &with("layer = \"districts\"\n")).unwrap();
        let e = m.spec.siting.as_ref().unwrap().equity.as_ref().unwrap();
        assert_eq!(
            (*e.min.get_ref(), e.max.is_none(), e.layer_name()),
            (1, true, Some("districts"))
        );
        // min > max, on the line of max.
        let text = with("layer = \"districts\"\nmin = 2\nmax = 1\n");
        let line = text.lines().position(|l| l == "max = 1").unwrap() + 1;
        let msg = err(&text);
        assert!(
            msg.contains(&format!("m.toml:{line}: siting.equity.max")) && msg.contains("below the minimum 2"),
            "{msg}"
        );
        // An unknown layer names the layers there are.
        let text = with("layer = \"localidades\"\n");
        let line = text.lines().position(|l| l.starts_with("layer = ")).unwrap() + 1;
        let msg = err(&text);
        assert!(
            msg.contains(&format!("m.toml:{line}: siting.equity.layer")) && msg.contains("\"localidades\""),
            "{msg}"
        );
        assert!(err(&with("")).contains("siting.equity.layer"));
        assert!(err(&with("layer = \"districts\"\npath = \"x.geojson\"\n")).contains("not both"));
        assert!(err(&with("layer = \"districts\"\nid = \"x\"\n")).contains("go with `path`"));
        assert!(err(&with("layer = \"districts\"\nmin_if_need_above = nan\n")).contains("min_if_need_above"));
        assert!(err(&with("layer = \"districts\"\nminimum = 1\n")).contains("unknown field"));
        // Without [districts], "districts" is unknown; a coarse layer or a path is fine.
        let msg = err(&format!("{BASE}{SITING}[siting.equity]\nlayer = \"districts\"\n"));
        assert!(msg.contains("no [districts]"), "{msg}");
        let coarse = format!(
            "{BASE}[[coarse]]\nname = \"loc\"\npath = \"l.geojson\"\n{SITING}[siting.equity]\nlayer = \"loc\"\nmax = 3\n"
        );
        assert!(Method::from_toml("m.toml", &coarse).is_ok());
        let own = format!(
            "{BASE}{SITING}[siting.equity]\npath = \"l.geojson\"\nid = \"c\"\nmin_if_need_above = 60\n"
        );
        assert!(Method::from_toml("m.toml", &own).is_ok());
    }

    #[test]
    fn coarse_rates_must_name_a_coarse_layer() {
        let e = err(&format!(
            "{BASE}[[coarse_rates]]\nname = \"w\"\nlayer = \"localidades\"\nrate = \"r\"\nbase = \"pop\"\n"
        ));
        assert!(e.contains("no [[coarse]] layer is named \"localidades\""), "{e}");
    }
}
