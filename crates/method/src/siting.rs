//! `[siting]` and its subsections: candidates and their filters, existing blocks, the coverage
//! rule, the anchor rule, the grid, care buses and `[siting.equity]`.

use std::collections::BTreeMap;

use crate::inputs::CrsSpec;
use crate::network::{DistanceRule, NetworkSpec};
use serde::{Deserialize, Serialize};
use toml::Spanned;

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
    /// The geometry column of a Parquet file, when it is not the GeoParquet primary column or
    /// the file has no `geo` metadata (its values are then read as WKB).
    pub geometry: Option<String>,
    /// Keep only the features whose column has one of these values.
    pub filter: Option<FilterSpec>,
    /// Cost column (for `budget`); default 1 per site.
    pub cost: Option<Spanned<String>>,
    /// Column whose value `in` locks a site in (always chosen) and `out` locks it out.
    pub lock: Option<String>,
    /// Capacity of each site, in persons of demand: a number, or a column of the layer.
    pub capacity: Option<Spanned<Capacity>>,
}

/// A capacity in persons of demand: the same number for every site of a layer, or a column.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Capacity {
    /// Every site serves this many.
    Persons(f64),
    /// A numeric column of the layer.
    Column(String),
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
    /// The geometry column of a Parquet file, when it is not the GeoParquet primary column or
    /// the file has no `geo` metadata (its values are then read as WKB).
    pub geometry: Option<String>,
    /// Keep only the features whose column has one of these values (e.g. `estado = activa`).
    pub filter: Option<FilterSpec>,
    /// Capacity of each block, in persons of demand: a number, or a column of the layer.
    pub capacity: Option<Spanned<Capacity>>,
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

pub(super) fn bus_radius() -> Spanned<f64> {
    Spanned::new(0..0, 2000.0)
}

pub(super) fn bus_density() -> f64 {
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
    /// Or: opening phases, each with its number of blocks or budget (`[siting.phases]`).
    pub phases: Option<PhasesSpec>,
    /// Or: a coverage target, the share (in (0, 1]) of the siting demand the fewest new blocks
    /// must reach (with `demand` set to the population column, a share of the population).
    pub target_share: Option<Spanned<f64>>,
    /// With `target_share`: what the plan reaching it minimises, `"count"` (the fewest new
    /// blocks, the default) or `"cost"` (the least total of the candidates' `cost` column).
    pub target_minimise: Option<Spanned<TargetMinimise>>,
    /// Capacitated siting: the capacity of every site (persons of demand) that its layer does
    /// not set with its own `capacity`.
    pub capacity: Option<Spanned<f64>>,
    /// Capacitated siting: stop tightening the certified bound once the gap between the bound
    /// and the demand assigned is at most this share (in [0, 1); e.g. 0.01). Default: as tight
    /// as the bound gets.
    pub capacity_gap: Option<Spanned<f64>>,
    /// A travel-cost table that replaces the radius rule: a unit is covered by a site when the
    /// table's cost is at most `radius`, in the table's unit (metres, minutes, ...).
    pub costs: Option<CostsSpec>,
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
    /// Robust siting: the siting repeated once per Monte Carlo draw of the index.
    pub robust: Option<RobustSpec>,
}

/// What a coverage target minimises (`target_minimise`).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum TargetMinimise {
    /// The fewest new blocks.
    #[default]
    Count,
    /// The least total cost of the new blocks (the candidates' `cost` column).
    Cost,
}

/// `[siting.robust]`: the siting repeated once per Monte Carlo draw of the index (the draws of
/// `[uncertainty]`: its seed, weight noise, normalisations and aggregations; draw `d` is the
/// same draw as the rank intervals' `d`), each draw's need mass as the demand, to report how
/// often each candidate is chosen (its selection frequency).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RobustSpec {
    /// Number of index draws, each followed by a siting (≥ 1).
    pub draws: Spanned<usize>,
}

/// `costs = { path = "od.csv", unit = "unit_id", site = "site_id", cost = "minutes" }`: a
/// long-format cost table (CSV or Parquet), one row per (unit, site) pair, computed elsewhere
/// (r5py/R5, OSRM, a GIS). Units and sites are matched by their ids; rows for other ids are
/// counted in the notes.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CostsSpec {
    /// The table, relative to the method file.
    pub path: Spanned<String>,
    /// The column with the unit id (the `[units]` id field's values).
    pub unit: String,
    /// The column with the site id (the candidate and existing layers' id values).
    pub site: String,
    /// The column with the cost.
    pub cost: String,
}

/// `[siting.phases]`: new blocks opened phase by phase (year by year). Each phase maximises
/// its own coverage given the blocks of the earlier ones (the plan is nested).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PhasesSpec {
    /// New blocks per phase.
    pub blocks: Option<Spanned<Vec<usize>>>,
    /// Or a budget per phase, in the units of the candidates' `cost` column.
    pub budget: Option<Spanned<Vec<f64>>>,
    /// A name per phase (e.g. the year); default `1`, `2`, ...
    pub names: Option<Spanned<Vec<String>>>,
}

impl PhasesSpec {
    /// The number of phases.
    pub fn len(&self) -> usize {
        match (&self.blocks, &self.budget) {
            (Some(b), _) => b.get_ref().len(),
            (None, Some(b)) => b.get_ref().len(),
            (None, None) => 0,
        }
    }

    /// Whether no phase is given.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name of phase `k` (0-based).
    pub fn name(&self, k: usize) -> String {
        self.names
            .as_ref()
            .and_then(|n| n.get_ref().get(k).cloned())
            .unwrap_or_else(|| (k + 1).to_string())
    }
}

pub(super) fn siting_radius() -> Spanned<f64> {
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
    /// The geometry column of a Parquet file, when it is not the GeoParquet primary column or
    /// the file has no `geo` metadata (its values are then read as WKB).
    pub geometry: Option<String>,
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

pub(super) fn one_block() -> Spanned<usize> {
    Spanned::new(0..0, 1)
}

impl EquitySpec {
    /// The `layer` value, `None` when the equity layer has its own `path`.
    pub fn layer_name(&self) -> Option<&str> {
        self.layer.as_ref().map(|l| l.get_ref().as_str())
    }
}

impl SitingSpec {
    /// Whether the siting is capacitated: a `capacity` default or on any site layer.
    pub fn capacitated(&self) -> bool {
        self.capacity.is_some()
            || self.candidates.iter().any(|c| c.capacity.is_some())
            || self.existing.iter().any(|e| e.capacity.is_some())
    }

    /// Whether the coverage target minimises the cost of the new blocks
    /// (`target_minimise = "cost"`).
    pub fn least_cost_target(&self) -> bool {
        self.target_share.is_some()
            && self
                .target_minimise
                .as_ref()
                .is_some_and(|t| *t.get_ref() == TargetMinimise::Cost)
    }

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
