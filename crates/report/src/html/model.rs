//! The page's content as plain structs, filled by [`crate::page`] and rendered by
//! [`render_report`](super::render_report); and the HTML escaping of every text.

use careblock_text::Lang;
use geo::{MultiPolygon, Point};

/// Everything the page shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HtmlReport {
    /// The language of the page (every heading, label and number of it; the notes and the
    /// indicators' labels arrive already worded in it).
    pub lang: Lang,
    /// The page title (the method's name, or its file).
    pub title: String,
    /// The method file, as given.
    pub method_file: String,
    /// The working CRS (e.g. `EPSG:9377`); coordinates below are in it, in metres.
    pub crs: String,
    /// What the mapped areas are: `districts` or `units`, the name of their layer in the page's
    /// data (the page words it in its language).
    pub area_kind: String,
    /// The mapped and ranked areas.
    pub areas: Vec<HtmlArea>,
    /// The units, as a second layer of the interactive map, when `areas` are districts (empty
    /// otherwise, or when there are too many units to draw: see `units_omitted`).
    pub units: Vec<HtmlArea>,
    /// How many units were left off the map for their number, if any.
    pub units_omitted: Option<usize>,
    /// The indicators' labels, in the order of [`HtmlArea::contributions`].
    pub indicators: Vec<String>,
    /// Upper bounds of the classes (mapclassify's bins), class 1 first; class `k` = highest need.
    pub class_bins: Vec<f64>,
    /// How many Monte Carlo draws the rank intervals come from, if any.
    pub draws: Option<usize>,
    /// How many of the top areas to chart.
    pub top: usize,
    /// Existing, proposed and bus sites (empty without siting).
    pub sites: Vec<HtmlSite>,
    /// The siting summary and ranking curve (`None` without `[siting]`).
    pub siting: Option<HtmlSiting>,
    /// The balance of every count summed to the areas.
    pub conservation: Vec<HtmlBalance>,
    /// Every warning and note, with where it comes from.
    pub notes: Vec<HtmlNote>,
}

/// One area (district or unit) of the map and of the ranking.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HtmlArea {
    /// Its id.
    pub id: String,
    /// Its name, if the method names a label column.
    pub label: Option<String>,
    /// Its polygons in the working CRS; `None` (or empty) → listed but not drawn.
    pub geometry: Option<MultiPolygon<f64>>,
    /// The index (0–100).
    pub index: Option<f64>,
    /// Rank, 1 = highest need; `None` = not ranked.
    pub rank: Option<u32>,
    /// Class, 1..=k with k = highest need; `None` = unranked (drawn grey).
    pub class: Option<u32>,
    /// Monte Carlo median rank.
    pub rank_median: Option<f64>,
    /// Monte Carlo 5 % rank.
    pub rank_p05: Option<f64>,
    /// Monte Carlo 95 % rank.
    pub rank_p95: Option<f64>,
    /// Probability of being in the top class.
    pub p_top_class: Option<f64>,
    /// Each indicator's contribution to the index (in the order of
    /// [`HtmlReport::indicators`]).
    pub contributions: Vec<Option<f64>>,
}

/// What a site is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HtmlSiteKind {
    /// An existing care block (blue circle).
    Existing,
    /// A proposed care block (green circle with its rank).
    Proposed,
    /// A care-bus stop (purple triangle).
    Bus,
}

/// One site on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct HtmlSite {
    /// Existing, proposed or bus.
    pub kind: HtmlSiteKind,
    /// Where, in the working CRS.
    pub point: Point<f64>,
    /// Selection order (proposed and bus sites).
    pub rank: Option<usize>,
    /// Its id.
    pub id: String,
    /// Its name.
    pub label: Option<String>,
    /// The kind of place (e.g. "colegio público").
    pub category: String,
    /// Demand it adds, in the order of selection (0 for existing sites).
    pub gain: f64,
    /// Objective lost if it were forbidden and the others re-optimised; `None` where not
    /// computed (existing blocks, capacitated siting, coverage targets).
    pub irreplaceability: Option<f64>,
    /// Demand within its reach.
    pub demand: f64,
    /// `[siting.robust]`: the share of the index draws whose siting chose it, and its mean rank
    /// in those.
    pub robust: Option<(f64, Option<f64>)>,
}

/// One step of the ranking curve: the demand covered once the proposed blocks up to `rank`
/// are open (existing blocks included).
#[derive(Debug, Clone, PartialEq)]
pub struct HtmlCurveStep {
    /// 1-based selection order.
    pub rank: usize,
    /// The site's id.
    pub id: String,
    /// The site's name.
    pub label: Option<String>,
    /// Demand covered so far (same unit as [`HtmlSiting::total_demand`]).
    pub cumulative: f64,
    /// With opening phases: the phase that opens it.
    pub phase: Option<String>,
    /// Capacitated siting: its capacity and the demand assigned to it.
    pub capacity: Option<(f64, f64)>,
}

/// Capacitated siting: what the open blocks can take and take.
#[derive(Debug, Clone, PartialEq)]
pub struct HtmlCapacity {
    /// Capacity of the open blocks (existing and proposed).
    pub capacity: f64,
    /// Demand within their reach, capacities ignored.
    pub within_reach: f64,
    /// Demand the existing blocks alone take.
    pub assigned_before: f64,
    /// The gap asked for (`capacity_gap`), if any.
    pub gap_asked: Option<f64>,
}

/// A coverage KPI over the whole study area, before (existing blocks) and after.
#[derive(Debug, Clone, PartialEq)]
pub struct HtmlKpi {
    /// What is covered ("demand", "population", ...; worded in the page's language).
    pub name: String,
    /// Share covered by the existing blocks (0–1).
    pub before: Option<f64>,
    /// Share covered with the proposed blocks (0–1).
    pub after: Option<f64>,
}

/// The siting results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HtmlSiting {
    /// Walking radius, metres.
    pub radius: f64,
    /// Demand covered by the solution (existing + proposed).
    pub objective: f64,
    /// Certified upper bound of the demand any solution could cover.
    pub bound: f64,
    /// Relative gap (bound − objective) / bound.
    pub gap: f64,
    /// Whether optimality was proven.
    pub optimal: bool,
    /// Demand covered by the existing blocks alone.
    pub locked_in: f64,
    /// All the demand.
    pub total_demand: f64,
    /// The ranking curve, in selection order.
    pub curve: Vec<HtmlCurveStep>,
    /// Coverage KPIs before/after.
    pub kpis: Vec<HtmlKpi>,
    /// Share of the sparse uncovered high-priority demand the bus stops reach, if buses ran.
    pub bus_share: Option<f64>,
    /// High-priority units left for home care.
    pub home_care_units: usize,
    /// A coverage target (share of the demand, 0–1), drawn on the ranking curve.
    pub target: Option<f64>,
    /// Capacitated siting: the objective is the demand assigned within capacities.
    pub capacity: Option<HtmlCapacity>,
    /// `[siting.robust]`: the siting over the index's draws.
    pub robust: Option<HtmlRobust>,
}

/// The robust siting: how often each candidate is chosen over the index's draws.
#[derive(Debug, Clone, PartialEq)]
pub struct HtmlRobust {
    /// Index draws, each followed by a siting.
    pub draws: usize,
    /// Candidates chosen in a draw or by the plan, most often chosen first.
    pub candidates: Vec<HtmlRobustSite>,
}

/// One candidate of the robust siting.
#[derive(Debug, Clone, PartialEq)]
pub struct HtmlRobustSite {
    /// Its id.
    pub id: String,
    /// Its name.
    pub label: Option<String>,
    /// The kind of place.
    pub kind: String,
    /// Share of the draws whose siting chose it.
    pub frequency: f64,
    /// Mean rank in those draws.
    pub mean_rank: Option<f64>,
    /// Whether the plan chose it.
    pub in_plan: bool,
}

/// The balance of one count summed from units to areas.
#[derive(Debug, Clone, PartialEq)]
pub struct HtmlBalance {
    /// The count.
    pub variable: String,
    /// Σ over the sources.
    pub source_total: f64,
    /// Σ allocated to the areas.
    pub allocated: f64,
    /// Σ left outside every area.
    pub unallocated: f64,
    /// Sources with a missing value.
    pub missing: usize,
    /// |source − allocated − unallocated| / |source|.
    pub relative_error: f64,
}

/// A warning or note, with its origin ("inputs", "index", "siting", worded in the page's language).
#[derive(Debug, Clone, PartialEq)]
pub struct HtmlNote {
    /// Where it comes from.
    pub source: String,
    /// The message.
    pub text: String,
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
