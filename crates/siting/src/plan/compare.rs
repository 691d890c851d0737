//! Walking against straight-line coverage of the sites a network siting chose, overall and per
//! district.

use super::candidates::Candidate;
use super::spread::{normalised_rows, spread};
use super::types::{NetworkComparison, PlanError, Site, SiteStatus};
use super::units::Units;
use crate::Solution;
use careblock_core::join::interpolate::AreaTable;
use careblock_core::join::points::points_within_distance;
use careblock_core::layer::Layer;
use careblock_core::network::{Distances, NetworkCost, OffNetwork, Snap};
use careblock_method::SitingSpec;
use std::borrow::Cow;

use geo::{MultiPolygon, Point, Polygon};

pub(super) struct CompareInputs<'a> {
    pub(super) points: &'a [Point<f64>],
    pub(super) unit_polys: &'a [Cow<'a, [Polygon<f64>]>],
    pub(super) unit_centroids: &'a [Option<Point<f64>>],
    pub(super) radius: f64,
    pub(super) demand: &'a [f64],
    pub(super) locked_in: &'a [bool],
    pub(super) selected: &'a [usize],
    pub(super) unit_coverage: &'a [f64],
    pub(super) districts: Option<&'a Layer>,
    pub(super) table: Option<&'a AreaTable>,
}

/// Straight-line coverage of the sites the network siting chose, overall and per district.
pub(super) fn compare_with_circles(
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
                    built = AreaTable::build_from_parts(c.unit_polys, &dl.polygons()?);
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

/// Per site, the catchment drawn from the reached streets (`None`: draw the circle).
pub(super) type Catchments = Vec<Option<MultiPolygon<f64>>>;

/// With walking distances: the comparison with circles of the same radius (and its note), and
/// the catchment of every site (existing, proposed, bus stops) drawn from the reached streets.
#[allow(clippy::too_many_arguments)]
pub(super) fn walking_outcome(
    c: &NetworkCost,
    d: &Distances,
    st: &SitingSpec,
    units: &Units<'_>,
    cands: &[Candidate],
    points: &[Point<f64>],
    locked_in: &[bool],
    sol: &Solution,
    sites: &[Site],
    bus_snaps: &[Result<Snap, OffNetwork>],
    radius: f64,
    fallback: (usize, usize),
    districts: Option<&Layer>,
    table: Option<&AreaTable>,
    notes: &mut Vec<careblock_text::Msg>,
) -> Result<(NetworkComparison, Catchments), PlanError> {
    let comparison = compare_with_circles(
        &CompareInputs {
            points,
            unit_polys: &units.polys,
            unit_centroids: &units.centroids,
            radius,
            demand: &units.demand,
            locked_in,
            selected: &sol.selected,
            unit_coverage: &sol.unit_coverage,
            districts,
            table,
        },
        fallback,
        c.buffer,
        units.total_demand,
    )?;
    notes.push(careblock_text::msg!(
        "siting.walking_vs_circles",
        network = careblock_text::fixed(100.0 * comparison.covered_network / units.total_demand, 1),
        radius = radius,
        circles = careblock_text::fixed(100.0 * comparison.covered_euclidean / units.total_demand, 1)
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
    Ok((comparison, catchments))
}
