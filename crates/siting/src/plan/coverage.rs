//! Coverage rows of candidate sites over units: circles (centroid or area share) or walks on the
//! street network, with the candidate → unit distances.

use super::candidates::Candidate;
use super::types::PlanError;
use crate::Coverage;
use careblock_core::join::overlay::PolygonIndex;
use careblock_core::join::points::{Neighbours, points_within_distance};
use careblock_core::layer::Layer;
use careblock_core::network::{Distances, NetworkCost, OffNetwork};
use careblock_method::CoverageRule;
use careblock_text::msg;
use std::borrow::Cow;

use geo::{Area, Coord, LineString, MultiPolygon, Point, Polygon};

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
pub(super) enum Near {
    Euclidean(Neighbours),
    Network(Distances),
    /// From a user's cost table: the costs within the radius, in the table's unit.
    Table(Vec<Vec<(u32, f64)>>),
}

impl Near {
    pub(super) fn row(&self, j: usize) -> &[(u32, f64)] {
        match self {
            Near::Euclidean(n) => n.row(j),
            Near::Network(d) => &d.rows[j],
            Near::Table(t) => &t[j],
        }
    }
}

/// Coverage rows from the method's cost table, with notes on what in it matched nothing.
pub(super) fn from_table(
    table: &crate::CostTable,
    units: &Layer,
    cands: &[Candidate],
    radius: f64,
    notes: &mut Vec<careblock_text::Msg>,
) -> Result<(Coverage, Near), PlanError> {
    let ids: Vec<String> = cands.iter().map(|c| c.id.clone()).collect();
    let kinds: Vec<String> = cands.iter().map(|c| c.kind.clone()).collect();
    let c = crate::coverage_from_costs(table, &units.ids, &ids, &kinds, radius)?;
    notes.push(msg!(
        "siting.table_coverage",
        table = &table.source,
        rows = table.cost.len(),
        pairs = c.coverage.n_pairs(),
        radius = radius
    ));
    let list = |v: &[String]| v.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>().join(", ");
    if c.unknown_units.0 > 0 {
        notes.push(msg!(
            "siting.table_unknown_units",
            n = c.unknown_units.0,
            first = list(&c.unknown_units.1)
        ));
    }
    if c.unknown_sites.0 > 0 {
        notes.push(msg!(
            "siting.table_unknown_sites",
            n = c.unknown_sites.0,
            first = list(&c.unknown_sites.1)
        ));
    }
    if !c.sites_without_rows.is_empty() {
        let first: Vec<String> = c
            .sites_without_rows
            .iter()
            .take(5)
            .map(|&j| ids[j].clone())
            .collect();
        notes.push(msg!(
            "siting.table_sites_without_rows",
            n = c.sites_without_rows.len(),
            first = list(&first)
        ));
    }
    Ok((c.coverage, Near::Table(c.costs)))
}

/// The catchment of a site siting from a cost table: the convex hull of the units it covers
/// (empty when it covers none).
pub(super) fn table_catchment(
    cov: &Coverage,
    j: usize,
    unit_polys: &[Cow<'_, [Polygon<f64>]>],
) -> MultiPolygon<f64> {
    use geo::ConvexHull;
    let parts: Vec<Polygon<f64>> = cov
        .row(j)
        .iter()
        .flat_map(|&(u, _)| unit_polys[u as usize].iter().cloned())
        .collect();
    if parts.is_empty() {
        return MultiPolygon::new(vec![]);
    }
    MultiPolygon::new(vec![MultiPolygon::new(parts).convex_hull()])
}

/// Coverage rows (candidate → units) and distances.
pub(super) fn coverage(
    rule: CoverageRule,
    sites: &[Point<f64>],
    unit_polys: &[Cow<'_, [Polygon<f64>]>],
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
            let unit_polys = super::units::multipolygons(unit_polys);
            let index = PolygonIndex::new(&unit_polys);
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

/// How many unit centroids and sites fell back to straight-line distance, with the notes that
/// name them.
pub(super) fn fallback(
    c: &NetworkCost,
    d: &Distances,
    units: &Layer,
    cands: &[Candidate],
    notes: &mut Vec<careblock_text::Msg>,
) -> (usize, usize) {
    let ids: Vec<String> = cands.iter().map(|c| c.id.clone()).collect();
    let fallback = (
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
            c.fallback_note("findings.unit_centroids", &d.targets, &units.ids, d.max_snap),
            c.fallback_note("findings.candidate_sites", &d.sources, &ids, d.max_snap),
        ]
        .into_iter()
        .flatten()
        .map(|n| msg!("findings.siting_prefix", note = n)),
    );
    fallback
}
