//! From the index to proposed care blocks: candidate sites (layers, filters, the anchor rule,
//! or a hexagonal grid), existing blocks locked in, coverage sets within the walking radius,
//! the MCLP solution with its bound ([`crate`]), per-site explanations, the unit →
//! site assignment, high-priority units left uncovered, the care-bus tier and home care, and
//! coverage KPIs per district before and after.
//!
//! Layers must be validated and projected to the CRS of the assessment (metres).

use geo::{Area, Coord, LineString, MultiPolygon, Point, Polygon};
use thiserror::Error;

use crate::{
    Coverage, Limit, Options, Problem, QuotaReport, Quotas, ShortReason, SitingError, Solution, solve,
    solve_with_quotas,
};
use careblock_core::error::{JoinError, LayerError};
use careblock_core::join::interpolate::{AreaTable, check_join_inputs};
use careblock_core::join::overlay::PolygonIndex;
use careblock_core::join::points::{Neighbours, centroids, points_in_polygons, points_within_distance};
use careblock_core::layer::Layer;
use careblock_core::network::{Distances, NetworkCost, OffNetwork, PreparedNetwork, Snap};
use careblock_index::assess::Assessment;
use careblock_method::{
    CandidateInput, CoverageRule, DistanceRule, EquitySpec, ExistingInput, FilterSpec, Method, MethodError,
    SitingSpec,
};

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
    /// Objective lost if this site is forbidden and the others re-optimised.
    pub irreplaceability: f64,
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

/// The siting result.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Radius, metres.
    pub radius: f64,
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
    pub notes: Vec<String>,
    /// The `[siting.equity]` rule: per-district counts and the cost of the rule.
    pub equity: Option<EquityOutcome>,
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

fn values_match(text: &str, wanted: &toml::Value) -> bool {
    let w = match wanted {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        _ => return false,
    };
    if text == w {
        return true;
    }
    matches!((text.parse::<f64>(), w.parse::<f64>()), (Ok(a), Ok(b)) if a == b)
}

/// The features of `layer` the filter keeps (all without a filter).
fn filtered(layer: &Layer, filter: Option<&FilterSpec>) -> Result<Vec<bool>, LayerError> {
    let Some(f) = filter else {
        return Ok(vec![true; layer.len()]);
    };
    let col = layer.text_column(&f.column)?;
    Ok(col
        .iter()
        .map(|t| {
            t.as_deref()
                .is_some_and(|t| f.values.iter().any(|v| values_match(t, v)))
        })
        .collect())
}

struct Candidate {
    id: String,
    kind: String,
    label: Option<String>,
    point: Point<f64>,
    cost: f64,
    locked_in: bool,
    locked_out: bool,
}

fn label_of(layer: &Layer, label: Option<&str>) -> Result<Vec<Option<String>>, LayerError> {
    match label {
        None => Ok(vec![None; layer.len()]),
        Some(c) => layer.text_column(c),
    }
}

/// The candidate sites of the layers (filters, lock and cost columns).
fn layer_candidates(
    method: &Method,
    specs: &[CandidateInput],
    layers: &[Layer],
    notes: &mut Vec<String>,
) -> Result<(Vec<Candidate>, usize), PlanError> {
    let mut out = Vec::new();
    let mut read = 0;
    for (k, (spec, layer)) in specs.iter().zip(layers).enumerate() {
        read += layer.len();
        let keep = filtered(layer, spec.filter.as_ref())?;
        let pts = layer.points()?;
        let labels = label_of(layer, spec.label.as_deref())?;
        let costs = match &spec.cost {
            None => vec![Some(1.0); layer.len()],
            Some(c) => layer.count_column(c.get_ref()).map_err(|e| {
                method.data_error(c.span(), format!("siting.candidates[{k}].cost"), e.to_string())
            })?,
        };
        let locks = match &spec.lock {
            None => vec![None; layer.len()],
            Some(c) => layer.text_column(c)?,
        };
        let mut no_point = Vec::new();
        for i in 0..layer.len() {
            if !keep[i] {
                continue;
            }
            let Some(p) = pts[i] else {
                no_point.push(layer.ids[i].as_str());
                continue;
            };
            let lock = locks[i].as_deref().map(|s| s.trim().to_ascii_lowercase());
            let locked_in = lock.as_deref() == Some("in");
            let locked_out = lock.as_deref() == Some("out");
            let cost = match costs[i] {
                Some(c) if c > 0.0 => c,
                _ if locked_out => 1.0,
                other => {
                    return Err(method
                        .data_error(
                            spec.cost.as_ref().map(|c| c.span()).unwrap_or(0..0),
                            format!("siting.candidates[{k}].cost"),
                            format!(
                                "{}: site {:?} has cost {}, expected a number > 0",
                                layer.name,
                                layer.ids[i],
                                other.map(|c| c.to_string()).unwrap_or_else(|| "missing".into())
                            ),
                        )
                        .into());
                }
            };
            out.push(Candidate {
                id: layer.ids[i].clone(),
                kind: spec.name.clone(),
                label: labels[i].clone(),
                point: p,
                cost,
                locked_in,
                locked_out,
            });
        }
        if !no_point.is_empty() {
            notes.push(format!(
                "{}: {} candidate(s) without a location cannot be sited (first: {:?})",
                layer.name,
                no_point.len(),
                no_point[0]
            ));
        }
    }
    Ok((out, read))
}

fn existing_blocks(
    specs: &[ExistingInput],
    layers: &[Layer],
    notes: &mut Vec<String>,
) -> Result<Vec<Candidate>, PlanError> {
    let mut out = Vec::new();
    for (spec, layer) in specs.iter().zip(layers) {
        let keep = filtered(layer, spec.filter.as_ref())?;
        let pts = layer.points()?;
        let labels = label_of(layer, spec.label.as_deref())?;
        for i in 0..layer.len() {
            if !keep[i] {
                continue;
            }
            match pts[i] {
                None => notes.push(format!(
                    "{}: existing block {:?} has no location and cannot be counted",
                    layer.name, layer.ids[i]
                )),
                Some(p) => out.push(Candidate {
                    id: layer.ids[i].clone(),
                    kind: "existing".into(),
                    label: labels[i].clone(),
                    point: p,
                    cost: 0.0,
                    locked_in: true,
                    locked_out: false,
                }),
            }
        }
    }
    Ok(out)
}

/// Hexagon centres `spacing` apart inside populated units.
fn hex_grid(units: &[MultiPolygon<f64>], populated: &[bool], spacing: f64) -> Vec<Point<f64>> {
    let mut rect: Option<geo::Rect<f64>> = None;
    for (p, &ok) in units.iter().zip(populated) {
        if !ok {
            continue;
        }
        if let Some(r) = geo::BoundingRect::bounding_rect(p) {
            rect = Some(match rect {
                None => r,
                Some(a) => careblock_core::layer::union_rect(a, r),
            });
        }
    }
    let Some(r) = rect else { return Vec::new() };
    let dy = spacing * 3f64.sqrt() / 2.0;
    let mut pts = Vec::new();
    let mut row = 0usize;
    let mut y = r.min().y + dy / 2.0;
    while y <= r.max().y {
        let mut x = r.min().x + spacing / 2.0 + if row % 2 == 1 { spacing / 2.0 } else { 0.0 };
        while x <= r.max().x {
            pts.push(Some(Point::new(x, y)));
            x += spacing;
        }
        y += dy;
        row += 1;
    }
    let owner = points_in_polygons(&pts, units);
    pts.into_iter()
        .zip(owner.polygon)
        .filter_map(|(p, o)| o.filter(|&u| populated[u as usize]).and(p))
        .collect()
}

/// A regular 64-gon of radius `r` around `c` (area within 0.2 % of the circle's): the catchment drawn for a site.
pub fn circle(c: Point<f64>, r: f64) -> Polygon<f64> {
    let n = 64;
    let ring: Vec<Coord<f64>> = (0..=n)
        .map(|k| {
            let t = std::f64::consts::TAU * (k % n) as f64 / n as f64;
            Coord {
                x: c.x() + r * t.cos(),
                y: c.y() + r * t.sin(),
            }
        })
        .collect();
    Polygon::new(LineString::new(ring), vec![])
}

/// Candidate → unit distances: straight-line, or walking on the network.
enum Near {
    Euclidean(Neighbours),
    Network(Distances),
}

impl Near {
    fn row(&self, j: usize) -> &[(u32, f64)] {
        match self {
            Near::Euclidean(n) => n.row(j),
            Near::Network(d) => &d.rows[j],
        }
    }
}

/// Coverage rows (candidate → units) and distances.
fn coverage(
    rule: CoverageRule,
    sites: &[Point<f64>],
    unit_polys: &[MultiPolygon<f64>],
    unit_centroids: &[Option<Point<f64>>],
    radius: f64,
    net: Option<&NetworkCost>,
) -> Result<(Coverage, Near), PlanError> {
    let queries: Vec<Option<Point<f64>>> = sites.iter().map(|p| Some(*p)).collect();
    if let Some(net) = net {
        // Method checks refuse the area rule with the network: centroid rule.
        let d = net.within(&queries, unit_centroids, radius);
        let rows = d
            .rows
            .iter()
            .map(|r| r.iter().map(|&(u, _)| (u, 1.0)).collect())
            .collect();
        return Ok((Coverage::from_rows(unit_polys.len(), rows)?, Near::Network(d)));
    }
    let near = points_within_distance(&queries, unit_centroids, radius)?;
    let cov = match rule {
        CoverageRule::Centroid => Coverage::from_neighbours(unit_polys.len(), &near),
        CoverageRule::Area => {
            use rayon::prelude::*;
            let index = PolygonIndex::new(unit_polys);
            let areas: Vec<f64> = unit_polys.par_iter().map(|p| p.unsigned_area()).collect();
            let rows: Vec<Vec<(u32, f64)>> = sites
                .par_iter()
                .map(|&s| {
                    let c = MultiPolygon::new(vec![circle(s, radius)]);
                    let ca = c.unsigned_area();
                    index
                        .overlaps(&c, ca)
                        .into_iter()
                        .filter(|&(u, a)| areas[u as usize] > 0.0 && a > 0.0)
                        .map(|(u, a)| (u, (a / areas[u as usize]).min(1.0)))
                        .collect()
                })
                .collect();
            Coverage::from_rows(unit_polys.len(), rows)?
        }
    };
    Ok((cov, Near::Euclidean(near)))
}

/// Runs the siting the method's `[siting]` declares, on an assessment of the same inputs.
pub fn plan(method: &Method, inputs: PlanInputs<'_>, assessment: &Assessment) -> Result<Plan, PlanError> {
    let st: &SitingSpec = method
        .spec
        .siting
        .as_ref()
        .ok_or_else(|| PlanError::Infeasible("the method has no [siting] section".into()))?;
    let units = inputs.units;
    for l in inputs
        .candidates
        .iter()
        .chain(inputs.existing)
        .chain(inputs.supply)
    {
        check_join_inputs(units, l)?;
    }
    let mut notes = Vec::new();
    let radius = st.effective_radius(method.spec.network.as_ref());
    let mut built = None;
    let net: Option<&NetworkCost> = match (st.distance(), &method.spec.network) {
        (DistanceRule::Network, Some(ns)) => {
            let cost = PreparedNetwork::or_build(
                inputs.prepared_network,
                &mut built,
                &ns.walk_options(),
                inputs.network,
                inputs.network_gap,
            )?;
            notes.push(format!(
                "siting: walking distances on the street network; {}",
                cost.graph_note()
            ));
            if ns.minutes.is_some() {
                notes.push(format!(
                    "siting: radius {radius:.0} m = {} min at {} km/h",
                    ns.minutes.as_ref().map_or(0.0, |m| *m.get_ref()),
                    ns.walking_speed()
                ));
            }
            Some(cost)
        }
        _ => None,
    };
    let n = units.len();
    let unit_polys = units.polygons()?;
    let unit_centroids = centroids(units);
    let column = |name: &str| {
        assessment
            .siting_columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    };
    let demand: Vec<f64> = column("demand")
        .expect("assess evaluates the siting demand")
        .iter()
        .map(|v| v.unwrap_or(0.0))
        .collect();
    let total_demand: f64 = demand.iter().sum();
    if total_demand <= 0.0 {
        return Err(PlanError::Infeasible(
            "the siting demand is zero in every unit (the default demand, need_mass, needs an index on a 0–100 scale: min-max, rank or goalposts, not Mazziotta–Pareto)".into(),
        ));
    }
    let population: Vec<f64> = assessment
        .units
        .population
        .iter()
        .map(|p| p.unwrap_or(0.0))
        .collect();
    let groups: Vec<String> = st.groups.keys().cloned().collect();
    let group_values: Vec<Vec<f64>> = groups
        .iter()
        .map(|g| {
            column(&format!("group:{g}"))
                .expect("assess evaluates every group")
                .iter()
                .map(|v| v.unwrap_or(0.0))
                .collect()
        })
        .collect();

    // Candidates: layers (or a grid), then the existing blocks.
    let (mut cands, read) = layer_candidates(method, &st.candidates, inputs.candidates, &mut notes)?;
    let kept = cands.len();
    if st.candidates.is_empty()
        && let Some(g) = &st.grid
    {
        let populated: Vec<bool> = population.iter().map(|p| *p > 0.0).collect();
        for (k, p) in hex_grid(&unit_polys, &populated, *g.spacing.get_ref())
            .into_iter()
            .enumerate()
        {
            cands.push(Candidate {
                id: format!("G{:05}", k + 1),
                kind: "grid".into(),
                label: None,
                point: p,
                cost: 1.0,
                locked_in: false,
                locked_out: false,
            });
        }
    }
    let n_layer_cands = cands.len();
    // Anchor rule.
    let mut anchor_rejected = 0;
    if let Some(a) = &st.anchor
        && a.min_facilities > 0
    {
        let r = a.radius.as_ref().map(|r| *r.get_ref()).unwrap_or(radius);
        let mut facilities = Vec::new();
        for l in inputs.supply {
            facilities.extend(l.points()?);
        }
        let q: Vec<Option<Point<f64>>> = cands.iter().map(|c| Some(c.point)).collect();
        let near = points_within_distance(&q, &facilities, r)?;
        for (i, c) in cands.iter_mut().enumerate() {
            // A facility within a metre of the site is the site itself (the same centre listed
            // in a candidate layer and a supply layer).
            let others = near.row(i).iter().filter(|(_, d)| *d > 1.0).count();
            if others < a.min_facilities && !c.locked_in {
                c.locked_out = true;
                anchor_rejected += 1;
            }
        }
        notes.push(format!(
            "anchor rule: {anchor_rejected} of {n_layer_cands} candidate(s) have fewer than {} other care facilities within {r} m and are not eligible",
            a.min_facilities
        ));
    }
    let existing = existing_blocks(&st.existing, inputs.existing, &mut notes)?;
    let n_existing = existing.len();
    cands.extend(existing);
    let eligible = cands.iter().filter(|c| !c.locked_out && !c.locked_in).count();
    if eligible == 0 {
        return Err(PlanError::Infeasible(format!(
            "no eligible candidate site ({read} read, {kept} kept by the filters, {anchor_rejected} rejected by the anchor rule)"
        )));
    }

    let points: Vec<Point<f64>> = cands.iter().map(|c| c.point).collect();
    let (cov, near) = coverage(st.coverage, &points, &unit_polys, &unit_centroids, radius, net)?;
    let mut fallback = (0, 0);
    if let (Some(c), Near::Network(d)) = (net, &near) {
        let ids: Vec<String> = cands.iter().map(|c| c.id.clone()).collect();
        fallback = (
            d.targets
                .off_network()
                .filter(|x| x.1 != OffNetwork::NoPoint)
                .count(),
            d.sources
                .off_network()
                .filter(|x| x.1 != OffNetwork::NoPoint)
                .count(),
        );
        notes.extend(
            [
                c.fallback_note("unit centroids", &d.targets, &units.ids, d.max_snap),
                c.fallback_note("candidate and existing sites", &d.sources, &ids, d.max_snap),
            ]
            .into_iter()
            .flatten()
            .map(|n| format!("siting: {n}")),
        );
    }
    let locked_in: Vec<bool> = cands.iter().map(|c| c.locked_in).collect();
    let locked_out: Vec<bool> = cands.iter().map(|c| c.locked_out).collect();
    let cost: Vec<f64> = cands
        .iter()
        .map(|c| if c.locked_in { 0.0 } else { c.cost })
        .collect();
    let limit = match (&st.p, &st.budget) {
        (Some(p), _) => Limit::Count(*p.get_ref()),
        (None, Some(b)) => Limit::Budget(*b.get_ref()),
        (None, None) => unreachable!("checked when the method was parsed"),
    };
    let problem = Problem {
        demand: &demand,
        coverage: &cov,
        limit,
        cost: st.budget.as_ref().map(|_| cost.as_slice()),
        locked_in: &locked_in,
        locked_out: &locked_out,
    };
    let options = Options {
        exact_max_nodes: st.exact_max_nodes,
        ..Options::default()
    };
    let setup = match &st.equity {
        None => None,
        Some(e) => Some(equity_setup(
            method,
            e,
            &inputs,
            &unit_polys,
            assessment,
            &points,
            &population,
        )?),
    };
    let (sol, quota): (Solution, _) = match &setup {
        None => (solve(&problem, &options)?, None),
        Some(q) => {
            let r = solve_with_quotas(
                &problem,
                &Quotas {
                    district: &q.of_candidate,
                    min: &q.min,
                    max: &q.max,
                    priority: &q.priority,
                },
                &options,
            )?;
            (r.solution.clone(), Some(r))
        }
    };
    let district_of = |j: usize| -> Option<String> {
        let q = setup.as_ref()?;
        q.of_candidate[j].map(|d| q.layer.ids[d as usize].clone())
    };

    // Sites: existing, then proposed in rank order.
    let explain = |j: usize, cov: &Coverage| -> (f64, f64, Vec<f64>, Option<f64>, usize) {
        let row = cov.row(j);
        let mut d = 0.0;
        let mut pop = 0.0;
        let mut g = vec![0.0; groups.len()];
        let (mut wi, mut w) = (0.0, 0.0);
        for &(u, f) in row {
            let u = u as usize;
            d += f * demand[u];
            pop += f * population[u];
            for (k, gv) in group_values.iter().enumerate() {
                g[k] += f * gv[u];
            }
            if let Some(ix) = assessment.units.scores.index[u] {
                wi += f * population[u] * ix;
                w += f * population[u];
            }
        }
        (d, pop, g, (w > 0.0).then(|| wi / w), row.len())
    };
    let mut sites = Vec::new();
    let mut site_of_candidate = vec![usize::MAX; cands.len()];
    for (j, c) in cands.iter().enumerate().filter(|(_, c)| c.locked_in) {
        let (d, pop, g, mi, nu) = explain(j, &cov);
        site_of_candidate[j] = sites.len();
        sites.push(Site {
            status: SiteStatus::Existing,
            rank: None,
            id: c.id.clone(),
            kind: c.kind.clone(),
            label: c.label.clone(),
            point: c.point,
            marginal_gain: 0.0,
            cumulative: sol.locked_in_coverage,
            irreplaceability: 0.0,
            demand: d,
            population: pop,
            groups: g,
            mean_index: mi,
            units: nu,
            placed_by: None,
            district: district_of(j),
        });
    }
    for (r, &j) in sol.selected.iter().enumerate() {
        let c = &cands[j];
        let (d, pop, g, mi, nu) = explain(j, &cov);
        site_of_candidate[j] = sites.len();
        sites.push(Site {
            status: SiteStatus::Proposed,
            rank: Some(r + 1),
            id: c.id.clone(),
            kind: c.kind.clone(),
            label: c.label.clone(),
            point: c.point,
            marginal_gain: sol.marginal_gain[r],
            cumulative: sol.cumulative[r],
            irreplaceability: sol.irreplaceability.get(r).copied().unwrap_or(0.0),
            demand: d,
            population: pop,
            groups: g,
            mean_index: mi,
            units: nu,
            placed_by: Some(match &quota {
                Some(q) if q.equity[r] => PlacedBy::Equity,
                _ => PlacedBy::Coverage,
            }),
            district: district_of(j),
        });
    }

    // Assignments and coverage before/after.
    let mut assignments = Vec::new();
    for (u, s) in sol.unit_site.iter().enumerate() {
        let Some(j) = *s else { continue };
        let distance = near
            .row(j)
            .iter()
            .find(|(v, _)| *v as usize == u)
            .map(|(_, d)| *d)
            .or_else(|| {
                unit_centroids[u].map(|c| geo::Distance::distance(&geo::Euclidean, c, cands[j].point))
            })
            .unwrap_or(f64::NAN);
        assignments.push(Assignment {
            unit: u,
            site: site_of_candidate[j],
            fraction: sol.unit_coverage[u],
            distance,
        });
    }
    let mut before = vec![0.0f64; n];
    for j in (0..cands.len()).filter(|&j| locked_in[j]) {
        for &(u, f) in cov.row(j) {
            before[u as usize] = before[u as usize].max(f);
        }
    }

    // High-priority units left uncovered, and the bus tier.
    let k = *method.spec.classification.classes.get_ref() as u32;
    let priority: Vec<u32> = st
        .priority_classes
        .clone()
        .unwrap_or_else(|| vec![k.saturating_sub(1).max(1), k]);
    let threshold = match st.coverage {
        CoverageRule::Centroid => 1.0,
        CoverageRule::Area => 0.5,
    };
    let unit_area_ha: Vec<f64> = unit_polys.iter().map(|p| p.unsigned_area() / 1e4).collect();
    let households = column("households");
    let mut uncovered: Vec<Uncovered> = (0..n)
        .filter_map(|u| {
            let class = assessment.units.scores.class[u]?;
            if !priority.contains(&class) || sol.unit_coverage[u] >= threshold - 1e-12 {
                return None;
            }
            let density = if unit_area_ha[u] > 0.0 {
                population[u] / unit_area_ha[u]
            } else {
                f64::INFINITY
            };
            Some(Uncovered {
                unit: u,
                class,
                density,
                demand: demand[u],
                tier: Tier::Unserved,
                households: households.map_or(Some(population[u]), |h| h[u]),
            })
        })
        .collect();
    let mut bus = None;
    let mut bus_snaps = Vec::new();
    if let Some(b) = &st.bus {
        let bus_demand: Vec<f64> = {
            let mut v = vec![0.0; n];
            for x in &uncovered {
                if x.density < b.max_density {
                    v[x.unit] = x.demand.max(0.0);
                }
            }
            v
        };
        let bus_total: f64 = bus_demand.iter().sum();
        if bus_total > 0.0 {
            // Stops: every candidate location not chosen as a block (no anchor rule for a bus).
            let stops: Vec<usize> = (0..n_layer_cands)
                .filter(|j| site_of_candidate[*j] == usize::MAX)
                .collect();
            let stop_points: Vec<Point<f64>> = stops.iter().map(|&j| cands[j].point).collect();
            let br = *b.radius.get_ref();
            let (bcov, bnear) = coverage(st.coverage, &stop_points, &unit_polys, &unit_centroids, br, net)?;
            let no = vec![false; stops.len()];
            let p = (*b.p.get_ref()).min(stops.len());
            let bsol = solve(
                &Problem {
                    demand: &bus_demand,
                    coverage: &bcov,
                    limit: Limit::Count(p),
                    cost: None,
                    locked_in: &no,
                    locked_out: &no,
                },
                &options,
            )?;
            let mut stop_site = vec![usize::MAX; stops.len()];
            for (r, &s) in bsol.selected.iter().enumerate() {
                let c = &cands[stops[s]];
                stop_site[s] = sites.len();
                let row = bcov.row(s);
                sites.push(Site {
                    status: SiteStatus::Bus,
                    rank: Some(r + 1),
                    id: c.id.clone(),
                    kind: c.kind.clone(),
                    label: c.label.clone(),
                    point: c.point,
                    marginal_gain: bsol.marginal_gain[r],
                    cumulative: bsol.cumulative[r],
                    irreplaceability: bsol.irreplaceability.get(r).copied().unwrap_or(0.0),
                    demand: row.iter().map(|&(u, f)| f * bus_demand[u as usize]).sum(),
                    population: row.iter().map(|&(u, f)| f * population[u as usize]).sum(),
                    groups: group_values
                        .iter()
                        .map(|g| row.iter().map(|&(u, f)| f * g[u as usize]).sum())
                        .collect(),
                    mean_index: None,
                    units: row.len(),
                    placed_by: None,
                    district: None,
                });
            }
            if let Near::Network(d) = &bnear {
                for &s in &bsol.selected {
                    bus_snaps.push(d.sources.snaps[s]);
                }
            }
            for x in uncovered.iter_mut() {
                if bus_demand[x.unit] <= 0.0 && x.density >= b.max_density {
                    continue;
                }
                x.tier = match bsol.unit_site[x.unit] {
                    Some(s) if bsol.unit_coverage[x.unit] >= threshold - 1e-12 => Tier::Bus(stop_site[s]),
                    _ => Tier::HomeCare,
                };
            }
            bus = Some(Optimum {
                objective: bsol.objective,
                bound: bsol.bound,
                gap: bsol.gap,
                optimal: bsol.optimal,
                locked_in: 0.0,
                total_demand: bus_total,
            });
        } else {
            notes.push("care buses: no high-priority uncovered unit is below the density threshold".into());
        }
    }

    // KPIs per district: unit values spread by the area table (each unit's weights sum to 1).
    let mut district_covered = Vec::new();
    let kpis = match inputs.districts {
        None => Vec::new(),
        Some(dl) => {
            let built;
            let table = match &assessment.district_table {
                Some(t) => t,
                None => {
                    built = AreaTable::build(&unit_polys, &dl.polygons()?);
                    &built
                }
            };
            let m = dl.len();
            let share = |values: &[f64], cover: &[f64]| -> Vec<Option<f64>> {
                let mut num = vec![0.0; m];
                let mut den = vec![0.0; m];
                for u in 0..n {
                    let row = table.row(u);
                    let tot: f64 = row.iter().map(|e| e.1).sum();
                    if tot <= 0.0 {
                        continue;
                    }
                    for &(j, a) in row {
                        let w = a / tot * values[u];
                        den[j as usize] += w;
                        num[j as usize] += w * cover[u].min(1.0);
                    }
                }
                num.iter()
                    .zip(&den)
                    .map(|(a, b)| (*b > 0.0).then(|| a / b))
                    .collect()
            };
            let after = &sol.unit_coverage;
            if let Some(q) = &quota {
                let weights = normalised_rows(table, n);
                district_covered = spread(&weights, m, |u| demand[u] * after[u].min(1.0))
                    .into_iter()
                    .zip(spread(&weights, m, |u| {
                        demand[u] * q.unconstrained.unit_coverage[u].min(1.0)
                    }))
                    .collect();
            }
            let (db, da) = (share(&demand, &before), share(&demand, after));
            let (pb, pa) = (share(&population, &before), share(&population, after));
            /// A group's shares per district, before and after.
            type Shares = (Vec<Option<f64>>, Vec<Option<f64>>);
            let gs: Vec<Shares> = group_values
                .iter()
                .map(|g| (share(g, &before), share(g, after)))
                .collect();
            (0..m)
                .map(|j| DistrictKpi {
                    demand_before: db[j],
                    demand_after: da[j],
                    population: (pb[j], pa[j]),
                    groups: gs.iter().map(|(b, a)| (b[j], a[j])).collect(),
                })
                .collect()
        }
    };
    if n_existing > 0 {
        notes.push(format!(
            "{n_existing} existing care block(s) locked in; they cover {:.1} % of the demand",
            100.0 * sol.locked_in_coverage / total_demand
        ));
    }
    let equity = match (&setup, &quota, &st.equity) {
        (Some(q), Some(r), Some(e)) => Some(equity_outcome(
            e,
            q,
            r,
            limit,
            &demand,
            total_demand,
            &locked_in,
            &cands.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            district_covered,
            &mut notes,
        )),
        _ => None,
    };
    let (network, catchments) = match (net, &near) {
        (Some(c), Near::Network(d)) => {
            let comparison = compare_with_circles(
                &CompareInputs {
                    points: &points,
                    unit_polys: &unit_polys,
                    unit_centroids: &unit_centroids,
                    radius,
                    demand: &demand,
                    locked_in: &locked_in,
                    selected: &sol.selected,
                    unit_coverage: &sol.unit_coverage,
                    districts: inputs.districts,
                    table: assessment.district_table.as_ref(),
                },
                fallback,
                c.buffer,
                total_demand,
            )?;
            notes.push(format!(
                "siting: walking on the streets the sites cover {:.1} % of the demand; circles of {radius} m around the same sites would cover {:.1} %",
                100.0 * comparison.covered_network / total_demand,
                100.0 * comparison.covered_euclidean / total_demand
            ));
            // Snaps of the sites in `sites` order: existing, proposed, bus stops.
            let mut snaps: Vec<Result<Snap, OffNetwork>> = Vec::new();
            for (j, _) in cands.iter().enumerate().filter(|(_, c)| c.locked_in) {
                snaps.push(d.sources.snaps[j]);
            }
            for &j in &sol.selected {
                snaps.push(d.sources.snaps[j]);
            }
            snaps.extend(bus_snaps.iter().copied());
            let bus_radius = st.bus.as_ref().map_or(radius, |b| *b.radius.get_ref());
            let catchments = {
                use rayon::prelude::*;
                snaps
                    .par_iter()
                    .zip(sites.par_iter())
                    .map(|(s, site)| {
                        let r = if site.status == SiteStatus::Bus {
                            bus_radius
                        } else {
                            radius
                        };
                        c.catchment(s, r)
                    })
                    .collect()
            };
            (Some(comparison), catchments)
        }
        _ => (None, vec![None; sites.len()]),
    };
    Ok(Plan {
        network,
        catchments,
        radius,
        sites,
        blocks: Optimum {
            objective: sol.objective,
            bound: sol.bound,
            gap: sol.gap,
            optimal: sol.optimal,
            locked_in: sol.locked_in_coverage,
            total_demand,
        },
        bus,
        assignments,
        unit_coverage: sol.unit_coverage.clone(),
        unit_coverage_before: before,
        uncovered,
        groups,
        kpis,
        candidates: (read, kept, eligible),
        notes,
        equity,
    })
}

struct CompareInputs<'a> {
    points: &'a [Point<f64>],
    unit_polys: &'a [MultiPolygon<f64>],
    unit_centroids: &'a [Option<Point<f64>>],
    radius: f64,
    demand: &'a [f64],
    locked_in: &'a [bool],
    selected: &'a [usize],
    unit_coverage: &'a [f64],
    districts: Option<&'a Layer>,
    table: Option<&'a AreaTable>,
}

/// Straight-line coverage of the sites the network siting chose, overall and per district.
fn compare_with_circles(
    c: &CompareInputs<'_>,
    fallback: (usize, usize),
    buffer: f64,
    total_demand: f64,
) -> Result<NetworkComparison, PlanError> {
    let open: Vec<usize> = (0..c.points.len())
        .filter(|&j| c.locked_in[j])
        .chain(c.selected.iter().copied())
        .collect();
    let queries: Vec<Option<Point<f64>>> = open.iter().map(|&j| Some(c.points[j])).collect();
    let near = points_within_distance(&queries, c.unit_centroids, c.radius)?;
    let n = c.unit_polys.len();
    let mut euclid = vec![0.0f64; n];
    for k in 0..open.len() {
        for &(u, _) in near.row(k) {
            euclid[u as usize] = 1.0;
        }
    }
    let covered_euclidean: f64 = (0..n).map(|u| c.demand[u] * euclid[u]).sum();
    let covered_network: f64 = (0..n).map(|u| c.demand[u] * c.unit_coverage[u].min(1.0)).sum();
    let districts = match c.districts {
        None => Vec::new(),
        Some(dl) => {
            let built;
            let table = match c.table {
                Some(t) => t,
                None => {
                    built = AreaTable::build(c.unit_polys, &dl.polygons()?);
                    &built
                }
            };
            let w = normalised_rows(table, n);
            let m = dl.len();
            let dem = spread(&w, m, |u| c.demand[u]);
            let net = spread(&w, m, |u| c.demand[u] * c.unit_coverage[u].min(1.0));
            let eu = spread(&w, m, |u| c.demand[u] * euclid[u]);
            (0..m)
                .map(|d| (dl.ids[d].clone(), dem[d], net[d], eu[d]))
                .collect()
        }
    };
    Ok(NetworkComparison {
        covered_network,
        covered_euclidean,
        total_demand,
        districts,
        fallback_units: fallback.0,
        fallback_sites: fallback.1,
        buffer,
    })
}

/// Each unit's row of an area table, normalised to sum to 1 (empty for units in no polygon).
fn normalised_rows(table: &AreaTable, n: usize) -> Vec<Vec<(u32, f64)>> {
    (0..n)
        .map(|u| {
            let row = table.row(u);
            let tot: f64 = row.iter().map(|e| e.1).sum();
            if tot > 0.0 {
                row.iter().map(|&(j, a)| (j, a / tot)).collect()
            } else {
                Vec::new()
            }
        })
        .collect()
}

/// `Σ_u w_ud · value(u)` per district, in unit order.
fn spread(weights: &[Vec<(u32, f64)>], m: usize, value: impl Fn(usize) -> f64) -> Vec<f64> {
    let mut out = vec![0.0; m];
    for (u, row) in weights.iter().enumerate() {
        let v = value(u);
        for &(d, w) in row {
            out[d as usize] += w * v;
        }
    }
    out
}

/// The `[siting.equity]` districts as the solver needs them.
struct EquitySetup<'l> {
    layer: &'l Layer,
    labels: Vec<Option<String>>,
    /// District of each candidate.
    of_candidate: Vec<Option<u32>>,
    /// Unit → district weights (area shares, each unit's summing to 1).
    weights: Vec<Vec<(u32, f64)>>,
    /// Population-weighted mean unit index per district.
    need: Vec<Option<f64>>,
    min: Vec<usize>,
    max: Vec<usize>,
    /// Districts by decreasing need (no index last), ties by layer order.
    priority: Vec<usize>,
    /// Candidates in two districts or more (assigned to the first).
    ambiguous: usize,
}

fn equity_setup<'l>(
    method: &Method,
    e: &EquitySpec,
    inputs: &PlanInputs<'l>,
    unit_polys: &[MultiPolygon<f64>],
    assessment: &Assessment,
    points: &[Point<f64>],
    population: &[f64],
) -> Result<EquitySetup<'l>, PlanError> {
    let key = "siting.equity.layer";
    let span = e
        .layer
        .as_ref()
        .map(|l| l.span())
        .or(e.path.as_ref().map(|p| p.span()))
        .unwrap_or(0..0);
    let is_districts = e.layer_name() == Some("districts");
    let layer = if is_districts {
        inputs.districts.ok_or_else(|| {
            method.data_error(
                span.clone(),
                key,
                "the districts layer was not given to the siting".to_string(),
            )
        })?
    } else {
        inputs.equity.ok_or_else(|| {
            method.data_error(
                span.clone(),
                key,
                "the equity layer was not given to the siting".to_string(),
            )
        })?
    };
    check_join_inputs(inputs.units, layer)?;
    let polys = layer.polygons()?;
    let label = e.label.clone().or_else(|| {
        is_districts
            .then(|| method.spec.districts.as_ref().and_then(|d| d.label.clone()))
            .flatten()
    });
    let labels = label_of(layer, label.as_deref())?;
    let owner = points_in_polygons(&points.iter().map(|p| Some(*p)).collect::<Vec<_>>(), &polys);
    let built;
    let table = match (&assessment.district_table, is_districts) {
        (Some(t), true) => t,
        _ => {
            built = AreaTable::build(unit_polys, &polys);
            &built
        }
    };
    let n = unit_polys.len();
    let weights = normalised_rows(table, n);
    let m = layer.len();
    let index = &assessment.units.scores.index;
    let num = spread(&weights, m, |u| index[u].map_or(0.0, |i| i * population[u]));
    let den = spread(
        &weights,
        m,
        |u| if index[u].is_some() { population[u] } else { 0.0 },
    );
    let need: Vec<Option<f64>> = (0..m).map(|d| (den[d] > 0.0).then(|| num[d] / den[d])).collect();
    let lo = *e.min.get_ref();
    let min: Vec<usize> = match &e.min_if_need_above {
        None => vec![lo; m],
        Some(t) => need
            .iter()
            .map(|v| {
                if v.is_some_and(|v| v > *t.get_ref()) {
                    lo
                } else {
                    0
                }
            })
            .collect(),
    };
    let max = vec![e.max.as_ref().map_or(usize::MAX, |x| *x.get_ref()); m];
    let mut priority: Vec<usize> = (0..m).collect();
    priority.sort_by(|&a, &b| match (need[a], need[b]) {
        (Some(x), Some(y)) => y.total_cmp(&x).then(a.cmp(&b)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(&b),
    });
    Ok(EquitySetup {
        layer,
        labels,
        of_candidate: owner.polygon,
        weights,
        need,
        min,
        max,
        priority,
        ambiguous: owner.ambiguous.len(),
    })
}

/// Per-district counts, the cost of the rule, and the notes on what could not be met.
#[allow(clippy::too_many_arguments)]
fn equity_outcome(
    e: &EquitySpec,
    q: &EquitySetup<'_>,
    r: &crate::QuotaSolution,
    limit: Limit,
    demand: &[f64],
    total_demand: f64,
    locked_in: &[bool],
    ids: &[&str],
    district_covered: Vec<(f64, f64)>,
    notes: &mut Vec<String>,
) -> EquityOutcome {
    let m = q.layer.len();
    let rep: &QuotaReport = &r.report;
    let name = |d: usize| match &q.labels[d] {
        Some(l) => format!("{} ({l})", q.layer.ids[d]),
        None => q.layer.ids[d].clone(),
    };
    let count = |sites: &[usize]| {
        let mut c = vec![0usize; m];
        for &j in sites {
            if let Some(d) = q.of_candidate[j] {
                c[d as usize] += 1;
            }
        }
        c
    };
    let with = count(&r.solution.selected);
    let without = count(&r.unconstrained.selected);
    let mut by_equity = vec![0usize; m];
    for (k, &j) in r.solution.selected.iter().enumerate() {
        if let (true, Some(d)) = (r.equity[k], q.of_candidate[j]) {
            by_equity[d as usize] += 1;
        }
    }
    let dem = spread(&q.weights, m, |u| demand[u]);
    let cov_with = spread(&q.weights, m, |u| {
        demand[u] * r.solution.unit_coverage[u].min(1.0)
    });
    let cov_without = spread(&q.weights, m, |u| {
        demand[u] * r.unconstrained.unit_coverage[u].min(1.0)
    });
    let mut short = vec![None; m];
    for s in &rep.short {
        short[s.district] = Some(match s.reason {
            ShortReason::Candidates => "candidates",
            ShortReason::Limit => "limit",
        });
    }
    let layer = &q.layer.name;
    // Notes: what could not be met, by district id; never silent.
    for s in rep.short.iter().filter(|s| s.reason == ShortReason::Candidates) {
        notes.push(format!(
            "equity: district {} of {layer} cannot reach its minimum of {} block(s): {} existing and {} eligible candidate(s) in it; it gets {}",
            name(s.district),
            s.min,
            rep.locked_in[s.district],
            rep.eligible[s.district],
            s.reachable
        ));
    }
    let by_limit: Vec<String> = rep
        .short
        .iter()
        .filter(|s| s.reason == ShortReason::Limit)
        .map(|s| name(s.district))
        .collect();
    if !by_limit.is_empty() {
        let missing: usize = (0..m)
            .map(|d| q.min[d].saturating_sub(rep.locked_in[d]).min(rep.eligible[d]))
            .sum();
        notes.push(format!(
            "equity: {} cannot give every district of {layer} its minimum ({missing} new block(s) needed); districts were served in order of need (mean index), and {} get fewer than the minimum",
            match limit {
                Limit::Count(p) => format!("p = {p}"),
                Limit::Budget(b) => format!("the budget {b}"),
            },
            by_limit.join(", ")
        ));
    }
    for &d in &rep.over {
        notes.push(format!(
            "equity: district {} of {layer} already has {} existing block(s), above the maximum {}: no new block there",
            name(d),
            rep.locked_in[d],
            q.max[d]
        ));
    }
    if let (Some(c), Limit::Count(p)) = (rep.count, limit) {
        notes.push(format!(
            "equity: the maxima per district of {layer} leave room for {c} new block(s) only: p lowered from {p} to {c}"
        ));
    }
    let outside: Vec<usize> = (0..locked_in.len())
        .filter(|&j| locked_in[j] && q.of_candidate[j].is_none())
        .collect();
    let outside_existing = outside.len();
    if rep.outside > 0 || outside_existing > 0 {
        notes.push(format!(
            "equity: {} eligible candidate(s) and {outside_existing} existing block(s){} lie in no district of {layer}: they are unconstrained",
            rep.outside,
            if outside.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    outside.iter().map(|&j| format!("{:?}", ids[j])).collect::<Vec<_>>().join(", ")
                )
            }
        ));
    }
    if q.ambiguous > 0 {
        notes.push(format!(
            "equity: {} site(s) lie in more than one district of {layer} (overlapping polygons); each counts for the first",
            q.ambiguous
        ));
    }
    let (a, b) = (r.solution.objective, r.unconstrained.objective);
    notes.push(format!(
        "equity: {} block(s) placed by the rule; covered demand {:.1} % with it, {:.1} % without it (same limit)",
        r.equity.iter().filter(|&&x| x).count(),
        100.0 * a / total_demand,
        100.0 * b / total_demand
    ));
    let u = &r.unconstrained;
    EquityOutcome {
        layer: layer.clone(),
        min: *e.min.get_ref(),
        min_if_need_above: e.min_if_need_above.as_ref().map(|t| *t.get_ref()),
        max: e.max.as_ref().map(|x| *x.get_ref()),
        districts: (0..m)
            .map(|d| EquityDistrict {
                id: q.layer.ids[d].clone(),
                label: q.labels[d].clone(),
                need: q.need[d],
                min: q.min[d],
                max: (q.max[d] != usize::MAX).then_some(q.max[d]),
                existing: rep.locked_in[d],
                eligible: rep.eligible[d],
                proposed: (with[d], without[d]),
                by_equity: by_equity[d],
                demand: dem[d],
                covered: (cov_with[d], cov_without[d]),
                short: short[d],
            })
            .collect(),
        without: Optimum {
            objective: u.objective,
            bound: u.bound,
            gap: u.gap,
            optimal: u.optimal,
            locked_in: u.locked_in_coverage,
            total_demand,
        },
        count: rep.count,
        outside: (rep.outside, outside_existing),
        district_covered,
    }
}
