//! What a plan is made of: its inputs, its sites, assignments, uncovered units, KPIs, equity
//! outcome and network comparison, and its errors.

use crate::SitingError;
use careblock_core::error::{JoinError, LayerError};
use careblock_core::layer::Layer;
use careblock_method::MethodError;
use geo::{MultiPolygon, Point};
use thiserror::Error;

/// Errors of the siting pipeline.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum PlanError {
    /// The method (a key, a column).
    #[error(transparent)]
    Method(#[from] MethodError),
    /// A layer problem.
    #[error(transparent)]
    Layer(#[from] LayerError),
    /// A join problem (CRS, invalid geometry).
    #[error(transparent)]
    Join(#[from] JoinError),
    /// The optimisation (no eligible candidate, p too large, ...).
    #[error(transparent)]
    Siting(#[from] SitingError),
    /// The street network.
    #[error(transparent)]
    Network(#[from] careblock_core::network::NetworkError),
    /// Nothing can be sited: no demand, or no candidate left.
    #[error("nothing to site: {0}")]
    Infeasible(String),
    /// A method key whose value the data cannot satisfy (e.g. phases asking for more blocks
    /// than there are eligible candidates).
    #[error("{key}: {message}")]
    Key {
        /// The key, e.g. `siting.phases.blocks`.
        key: &'static str,
        /// What is wrong, with the values.
        message: String,
    },
    /// Draws or per-draw choices that do not fit a robust siting's setup (a front end that
    /// splits its draws into blocks asked for draws it does not have, or merged choices that
    /// are not one per draw).
    #[error("robust siting: {0}")]
    Robust(String),
}

impl PlanError {
    /// What the user can do about this error, if careblock knows.
    pub fn hint(&self) -> Option<careblock_core::Hint> {
        match self {
            PlanError::Join(e) => e.hint(),
            _ => None,
        }
    }
}

/// The layers the siting reads, validated and projected like the assessment's.
#[derive(Debug, Clone, Copy)]
pub struct PlanInputs<'a> {
    /// The census units (as assessed).
    pub units: &'a Layer,
    /// The districts (as assessed), for the KPIs.
    pub districts: Option<&'a Layer>,
    /// The `[[supply]]` layers (for the anchor rule).
    pub supply: &'a [Layer],
    /// The `[[siting.candidates]]` layers, in the method's order.
    pub candidates: &'a [Layer],
    /// The `[[siting.existing]]` layers, in the method's order.
    pub existing: &'a [Layer],
    /// The `[siting.equity]` polygon layer when it is not the districts (a `[[coarse]]` layer
    /// or one of its own `path`).
    pub equity: Option<&'a Layer>,
    /// The `[network]` street layer, when the method declares one.
    pub network: Option<&'a Layer>,
    /// The `[network] gap` polygon layer.
    pub network_gap: Option<&'a Layer>,
    /// The network built from `network` once for both the index and the siting (`None`: each
    /// builds its own).
    pub prepared_network: Option<&'a careblock_core::network::PreparedNetwork>,
    /// The `[siting] costs` table, when the method gives one.
    pub costs: Option<&'a crate::CostTable>,
    /// The units' polygons and centroids computed once for several plans (`None`: the plan
    /// computes them).
    pub unit_shapes: Option<&'a super::UnitShapes>,
    /// Whether the polygon layers (units, districts, equity) have passed
    /// [`careblock_core::validate`] already, as careblock-pipeline's load checks them: then only
    /// their CRSs are checked here (the point layers are validated). `false`: every layer is.
    pub validated: bool,
}

/// What a site is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteStatus {
    /// An existing care block (locked in).
    Existing,
    /// A proposed care block.
    Proposed,
    /// A proposed care-bus stop.
    Bus,
}

impl SiteStatus {
    /// `existing`, `proposed` or `bus`.
    pub fn as_str(self) -> &'static str {
        match self {
            SiteStatus::Existing => "existing",
            SiteStatus::Proposed => "proposed",
            SiteStatus::Bus => "bus",
        }
    }
}

/// One existing, proposed or bus site with its explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// Existing, proposed or bus.
    pub status: SiteStatus,
    /// Rank among the proposed (or bus) sites, 1 = chosen first; `None` for existing blocks.
    pub rank: Option<usize>,
    /// Id in its layer.
    pub id: String,
    /// Kind: the candidate layer's `name`, `existing` or `grid`.
    pub kind: String,
    /// Name, from the layer's label column.
    pub label: Option<String>,
    /// Location (working CRS).
    pub point: Point<f64>,
    /// Demand it adds given the existing blocks and the sites ranked before it.
    pub marginal_gain: f64,
    /// Demand covered by the existing blocks and every site up to this one.
    pub cumulative: f64,
    /// Objective lost if this site is forbidden and the others re-optimised; `None` where it is
    /// not computed (existing blocks, capacitated siting, coverage targets).
    pub irreplaceability: Option<f64>,
    /// Demand in its catchment (overlaps with other catchments included).
    pub demand: f64,
    /// Population in its catchment.
    pub population: f64,
    /// Each `[siting.groups]` value in its catchment, in the method's (sorted) order.
    pub groups: Vec<f64>,
    /// Population-weighted mean unit index in its catchment.
    pub mean_index: Option<f64>,
    /// Number of units in its catchment.
    pub units: usize,
    /// For proposed blocks: placed by the equity rule or by coverage (`None` for existing blocks
    /// and bus stops).
    pub placed_by: Option<PlacedBy>,
    /// Id of the `[siting.equity]` district containing the site (`None` without the rule, or
    /// outside every district).
    pub district: Option<String>,
    /// With `[siting.phases]`: the name of the phase that opens this proposed block.
    pub phase: Option<String>,
    /// Capacitated siting: the persons of demand it can serve, and those assigned to it.
    pub capacity: Option<(f64, f64)>,
    /// `[siting.robust]`: the share of the index draws whose siting chose it, and its mean rank
    /// in those (proposed blocks only).
    pub robust: Option<(f64, Option<f64>)>,
}

/// Why a proposed block is in the solution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlacedBy {
    /// The district needed it to reach its minimum (see [`crate::QuotaSolution::equity`]).
    Equity,
    /// Chosen for the demand it covers.
    Coverage,
}

impl PlacedBy {
    /// `equity` or `coverage`.
    pub fn as_str(self) -> &'static str {
        match self {
            PlacedBy::Equity => "equity",
            PlacedBy::Coverage => "coverage",
        }
    }
}

/// One district of the `[siting.equity]` layer.
#[derive(Debug, Clone, PartialEq)]
pub struct EquityDistrict {
    /// Id in the equity layer.
    pub id: String,
    /// Name, from the `label` column.
    pub label: Option<String>,
    /// Population-weighted mean unit index over the district (what `min_if_need_above` is
    /// compared with, and the order in which districts get their minimum when `p` is short).
    pub need: Option<f64>,
    /// Its minimum (0 when below `min_if_need_above`) and maximum (`None`: no maximum).
    pub min: usize,
    /// Its maximum.
    pub max: Option<usize>,
    /// Existing blocks in it.
    pub existing: usize,
    /// Eligible candidates in it.
    pub eligible: usize,
    /// New blocks in it, with the rule and without.
    pub proposed: (usize, usize),
    /// Of which placed by the rule.
    pub by_equity: usize,
    /// Siting demand of the units over it (spread by area like the KPIs).
    pub demand: f64,
    /// Covered demand in it with the rule and without.
    pub covered: (f64, f64),
    /// Why it cannot reach its minimum, if it cannot: `candidates` (too few eligible
    /// candidates) or `limit` (`p` or the budget does not reach it in order of need).
    pub short: Option<&'static str>,
}

/// The equity rule's outcome and its cost.
#[derive(Debug, Clone, PartialEq)]
pub struct EquityOutcome {
    /// The layer the districts come from (its file).
    pub layer: String,
    /// The minimum per district as declared.
    pub min: usize,
    /// `min_if_need_above`.
    pub min_if_need_above: Option<f64>,
    /// The maximum per district.
    pub max: Option<usize>,
    /// Per district of the equity layer.
    pub districts: Vec<EquityDistrict>,
    /// The same siting without the rule (same `p` or budget). Its bound is also a bound of the
    /// constrained optimum (constraints only shrink the feasible set), and the plan's bound is
    /// the smaller of the two.
    pub without: Optimum,
    /// `p` lowered to this when the maxima leave fewer places.
    pub count: Option<usize>,
    /// Eligible candidates in no district (unconstrained) and existing blocks in none.
    pub outside: (usize, usize),
    /// Covered demand with and without the rule per district of the `[districts]` layer
    /// (same order; empty without it).
    pub district_covered: Vec<(f64, f64)>,
}

/// One opening phase of `[siting.phases]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseOutcome {
    /// Its name (e.g. the year).
    pub name: String,
    /// New blocks opened in it.
    pub blocks: usize,
    /// Its budget (with `budget = [...]`) and what its blocks cost.
    pub budget: Option<(f64, f64)>,
    /// The phase's optimisation given the blocks of the earlier phases: `locked_in` is the
    /// demand covered before it, `objective` after it, `bound` bounds what the phase could
    /// reach given the earlier phases.
    pub optimum: Optimum,
}

/// `[siting.phases]`: the plan phase by phase, and the cost of phasing.
#[derive(Debug, Clone, PartialEq)]
pub struct PhasesOutcome {
    /// Per phase, in order.
    pub phases: Vec<PhaseOutcome>,
    /// The same total (blocks or budget) sited at once.
    pub unphased: Optimum,
}

/// `target_share`: the fewest new blocks reaching a share of the demand.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetOutcome {
    /// The share asked for.
    pub share: f64,
    /// The goal, in demand.
    pub goal: f64,
    /// Whether the candidates can reach it.
    pub reached: bool,
    /// New blocks in the plan: the fewest found that reach the goal or, when it is out of
    /// reach, the fewest found that reach the best possible share.
    pub blocks: usize,
    /// Proven: at least this many new blocks are needed to reach the goal (more than the
    /// eligible candidates when it is out of reach).
    pub lower: usize,
    /// Covered demand with every eligible candidate open: the most any plan reaches.
    pub best_possible: f64,
    /// Eligible candidates that cover some unit.
    pub eligible: usize,
    /// Full solves and bound-only solves run.
    pub solves: (usize, usize),
    /// A least-cost target (`target_minimise = "cost"`): the cost of the plan's new blocks and
    /// the proven lower bound on the least cost reaching the goal (`blocks` and `lower` are then
    /// the plan's count and 1).
    pub cost: Option<crate::TargetCost>,
    /// Under `[siting.equity]`: the fewest new blocks found that reach the goal without the rule.
    pub without_rule: Option<usize>,
}

/// A unit's best site.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// Unit index.
    pub unit: usize,
    /// Index into [`Plan::sites`].
    pub site: usize,
    /// Covered share of the unit (1 with the centroid rule).
    pub fraction: f64,
    /// Distance from the site to the unit's centroid, metres.
    pub distance: f64,
    /// Capacitated siting: the unit's demand assigned to this site (a unit may be split
    /// across sites; `fraction` is then that share of its demand).
    pub assigned: Option<f64>,
}

/// Capacitated siting: how much of the demand within reach the blocks can serve.
#[derive(Debug, Clone, PartialEq)]
pub struct CapacityOutcome {
    /// Capacity of the open blocks (existing and proposed).
    pub capacity: f64,
    /// Demand assigned to them (the objective).
    pub assigned: f64,
    /// Demand within reach of the same blocks, capacities ignored.
    pub within_reach: f64,
    /// Demand the existing blocks alone can serve.
    pub assigned_before: f64,
    /// The gap at which the bound stopped being tightened (`[siting] capacity_gap`), if given.
    pub gap_asked: Option<f64>,
}

/// What happens to a high-priority unit the care blocks leave uncovered.
#[derive(Debug, Clone, PartialEq)]
pub enum Tier {
    /// Dense enough to wait for a block (not a bus candidate).
    Unserved,
    /// Reached by this bus stop (index into [`Plan::sites`]).
    Bus(usize),
    /// Sparse and out of reach of every bus stop: home care.
    HomeCare,
}

/// A high-priority unit left uncovered by the care blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Uncovered {
    /// Unit index.
    pub unit: usize,
    /// Its priority class.
    pub class: u32,
    /// Persons per hectare.
    pub density: f64,
    /// Its siting demand.
    pub demand: f64,
    /// Bus, home care, or unserved.
    pub tier: Tier,
    /// Households (the bus tier's `households` expression, else the population).
    pub households: Option<f64>,
}

/// Coverage KPIs of one district: shares within reach of a care block.
#[derive(Debug, Clone, PartialEq)]
pub struct DistrictKpi {
    /// Share of the siting demand covered by the existing blocks.
    pub demand_before: Option<f64>,
    /// ... by existing and proposed blocks.
    pub demand_after: Option<f64>,
    /// Share of the population, before and after.
    pub population: (Option<f64>, Option<f64>),
    /// Each group's share, before and after.
    pub groups: Vec<(Option<f64>, Option<f64>)>,
}

/// Objective, bound and gap of one optimisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Optimum {
    /// Covered demand of the solution.
    pub objective: f64,
    /// An upper bound on the optimum.
    pub bound: f64,
    /// `(bound − objective) / bound`.
    pub gap: f64,
    /// Whether optimality is proven.
    pub optimal: bool,
    /// Demand covered by the locked-in sites alone.
    pub locked_in: f64,
    /// Total demand.
    pub total_demand: f64,
}

/// One candidate of the robust siting: chosen in at least one draw, or by the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct RobustCandidate {
    /// Its index among the candidates.
    pub candidate: usize,
    /// Id in its layer.
    pub id: String,
    /// Kind (its candidate layer's name).
    pub kind: String,
    /// Name.
    pub label: Option<String>,
    /// Location (working CRS).
    pub point: Point<f64>,
    /// Share of the draws whose siting chose it.
    pub frequency: f64,
    /// Its mean rank among the new sites of the draws that chose it.
    pub mean_rank: Option<f64>,
    /// Whether the plan (the reference index) chose it.
    pub in_plan: bool,
}

/// New blocks in one district over the robust siting's draws.
#[derive(Debug, Clone, PartialEq)]
pub struct RobustDistrict {
    /// District id.
    pub id: String,
    /// District name.
    pub label: Option<String>,
    /// New blocks the plan puts there.
    pub in_plan: usize,
    /// Mean over the draws.
    pub mean: f64,
    /// Fewest in a draw.
    pub min: usize,
    /// 5th percentile over the draws (nearest rank).
    pub p05: usize,
    /// 95th percentile.
    pub p95: usize,
    /// Most in a draw.
    pub max: usize,
}

/// `[siting.robust]`: the siting over the index's Monte Carlo draws.
#[derive(Debug, Clone, PartialEq)]
pub struct RobustOutcome {
    /// Draws, each followed by a siting.
    pub draws: usize,
    /// The Monte Carlo's seed.
    pub seed: u64,
    /// Every candidate chosen in a draw or by the plan, most often chosen first (then by mean
    /// rank, then by candidate order).
    pub candidates: Vec<RobustCandidate>,
    /// Per district with a new block in the plan or a draw (districts' order); empty without
    /// districts.
    pub districts: Vec<RobustDistrict>,
}

/// The siting result.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Radius, metres.
    pub radius: f64,
    /// The care buses' radius, metres (with `[siting.bus]`).
    pub bus_radius: Option<f64>,
    /// The cost table the coverage came from (`None`: circles or the street network). The
    /// radius and the assignments' distances are then in the table's unit.
    pub costs: Option<String>,
    /// Existing blocks, then proposed sites in rank order, then bus stops in rank order.
    pub sites: Vec<Site>,
    /// The care blocks' optimisation.
    pub blocks: Optimum,
    /// The bus tier's optimisation, if any.
    pub bus: Option<Optimum>,
    /// Each covered unit's best block (bus stops not included).
    pub assignments: Vec<Assignment>,
    /// Coverage of every unit by the blocks (existing + proposed).
    pub unit_coverage: Vec<f64>,
    /// Coverage of every unit by the existing blocks alone.
    pub unit_coverage_before: Vec<f64>,
    /// High-priority units the blocks leave uncovered.
    pub uncovered: Vec<Uncovered>,
    /// Group names, in order.
    pub groups: Vec<String>,
    /// KPIs per district (same order as the district layer).
    pub kpis: Vec<DistrictKpi>,
    /// Candidate counts: read, kept by the filters, eligible by the anchor rule.
    pub candidates: (usize, usize, usize),
    /// Plain-language notes.
    pub notes: Vec<careblock_text::Msg>,
    /// The `[siting.equity]` rule: per-district counts and the cost of the rule.
    pub equity: Option<EquityOutcome>,
    /// `[siting.phases]`: each phase and the cost of phasing.
    pub phases: Option<PhasesOutcome>,
    /// `target_share`: the fewest blocks reaching it.
    pub target: Option<TargetOutcome>,
    /// Capacitated siting (`capacity`): capacity, assigned demand and demand within reach.
    pub capacity: Option<CapacityOutcome>,
    /// `[siting.robust]`: the siting over the index's Monte Carlo draws.
    pub robust: Option<RobustOutcome>,
    /// With `distance = "network"`: walking coverage against straight-line coverage of the
    /// same sites.
    pub network: Option<NetworkComparison>,
    /// Per site (same order as [`Plan::sites`]): the catchment drawn from the reached streets
    /// (`None`: draw the circle, without the network or for a site off the network).
    pub catchments: Vec<Option<MultiPolygon<f64>>>,
}

/// Walking (network) against straight-line coverage of the same sites (existing and proposed).
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkComparison {
    /// Covered demand walking on the network (the plan's objective).
    pub covered_network: f64,
    /// Covered demand by circles of the same radius around the same sites.
    pub covered_euclidean: f64,
    /// Total demand.
    pub total_demand: f64,
    /// Per district of the `[districts]` layer (same order; empty without it): id, demand,
    /// covered demand walking, covered demand with circles.
    pub districts: Vec<(String, f64, f64, f64)>,
    /// Unit centroids and sites that fell back to straight-line distance.
    pub fallback_units: usize,
    /// Sites (candidates and existing blocks) that fell back.
    pub fallback_sites: usize,
    /// The catchment buffer, metres.
    pub buffer: f64,
}

/// The catalogue key of a site kind siting names itself (`existing` blocks, `grid`
/// candidates); `None` for a candidate layer's own name, which is shown as the method gives it.
pub fn kind_key(kind: &str) -> Option<&'static str> {
    match kind {
        "existing" => Some("common.kind_existing"),
        "grid" => Some("common.kind_grid"),
        _ => None,
    }
}
