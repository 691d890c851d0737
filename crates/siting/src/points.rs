//! The maximal covering location problem on a layer, without a method or an index: units with a
//! demand, candidate points and existing points (locked in), all in one projected CRS. This is
//! the siting of the Python bindings' `careblock.site()`; [`crate::plan::plan`] is the method's
//! siting, with candidates gathered by rule, equity, buses and walking.

use careblock_core::Layer;
use careblock_core::join::points::{Reach, within_distance};
use careblock_core::polars::prelude::DataFrame;

use crate::plan::PlanError;
use crate::{Coverage, Limit, Options, Problem, Solution, solve};

/// Whether a point is a candidate or an existing block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointStatus {
    /// An existing block, locked in.
    Existing,
    /// A candidate the solver chose.
    Proposed,
}

impl PointStatus {
    /// `"existing"` or `"proposed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            PointStatus::Existing => "existing",
            PointStatus::Proposed => "proposed",
        }
    }
}

/// One open site: an existing block or a chosen candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct PointSite {
    /// Index among the points: the candidates, then the existing blocks.
    pub point: usize,
    /// Existing or proposed.
    pub status: PointStatus,
    /// Rank of a proposed site (1 = chosen first).
    pub rank: Option<u32>,
    /// Marginal gain of a proposed site.
    pub gain: Option<f64>,
    /// Covered demand with the existing blocks and the proposed sites up to this one.
    pub cumulative: Option<f64>,
    /// Objective lost if this proposed site is forbidden and the rest re-optimised.
    pub irreplace: Option<f64>,
}

/// The outcome of [`site_points`].
#[derive(Debug, Clone)]
pub struct PointSiting {
    /// The points' ids: the candidates', then the existing blocks'.
    pub ids: Vec<String>,
    /// Number of candidates (the points before the existing blocks).
    pub candidates: usize,
    /// The open sites: the existing blocks in their order, then the proposed ones by rank.
    pub sites: Vec<PointSite>,
    /// Which units each point reaches.
    pub coverage: Coverage,
    /// The solver's solution (objective, bound, gap, coverage and site of each unit).
    pub solution: Solution,
    /// Total demand.
    pub total_demand: f64,
}

impl PointSiting {
    /// Number of units each site reaches, in the order of [`PointSiting::sites`].
    pub fn units_reached(&self, site: &PointSite) -> usize {
        self.coverage.row(site.point).len()
    }

    /// The id of the site that covers each unit best, if any.
    pub fn unit_site_ids(&self) -> Vec<Option<String>> {
        self.solution
            .unit_site
            .iter()
            .map(|s| s.map(|j| self.ids[j].clone()))
            .collect()
    }
}

/// Picks `p` candidates among `candidates` that cover the most of `demand` (one value per unit,
/// non-negative) within `radius` metres, `existing` points locked in; `reach` says when a unit
/// counts as reached. All layers must be valid and in the same projected CRS.
pub fn site_points(
    units: &Layer,
    demand: &[f64],
    candidates: &Layer,
    existing: Option<&Layer>,
    radius: f64,
    p: usize,
    reach: Reach,
) -> Result<PointSiting, PlanError> {
    let n_new = candidates.len();
    // One point layer: the candidates, then the existing blocks (locked in).
    let mut ids = candidates.ids.clone();
    let mut geometries = candidates.geometries.clone();
    if let Some(e) = existing {
        ids.extend(e.ids.iter().cloned());
        geometries.extend(e.geometries.iter().cloned());
    }
    let n_all = ids.len();
    // Numbered ids: an existing block may share an id with a candidate (the outcome keeps the
    // layers' own ids).
    let points = Layer::new(
        "candidates",
        (0..n_all).map(|i| i.to_string()).collect(),
        geometries,
        DataFrame::empty_with_height(n_all),
        candidates.crs,
    )?;
    let reached = within_distance(units, &points, radius, reach)?;
    let coverage = Coverage::from_unit_neighbours(n_all, &reached);
    let locked_in: Vec<bool> = (0..n_all).map(|j| j >= n_new).collect();
    let problem = Problem {
        demand,
        coverage: &coverage,
        limit: Limit::Count(p),
        cost: None,
        locked_in: &locked_in,
        locked_out: &[],
    };
    let solution = solve(&problem, &Options::default())?;
    let mut sites: Vec<PointSite> = (n_new..n_all)
        .map(|point| PointSite {
            point,
            status: PointStatus::Existing,
            rank: None,
            gain: None,
            cumulative: None,
            irreplace: None,
        })
        .collect();
    for (k, &j) in solution.selected.iter().enumerate() {
        sites.push(PointSite {
            point: j,
            status: PointStatus::Proposed,
            rank: Some(k as u32 + 1),
            gain: Some(solution.marginal_gain[k]),
            cumulative: Some(solution.cumulative[k]),
            irreplace: solution.irreplaceability.get(k).copied(),
        });
    }
    Ok(PointSiting {
        ids,
        candidates: n_new,
        sites,
        coverage,
        solution,
        total_demand: demand.iter().sum(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use careblock_core::Crs;
    use geo::{Geometry, Point, Rect};

    fn layer(name: &str, ids: &[&str], g: Vec<Geometry<f64>>) -> Layer {
        let n = ids.len();
        Layer::new(
            name,
            ids.iter().map(|s| s.to_string()).collect(),
            g.into_iter().map(Some).collect(),
            DataFrame::empty_with_height(n),
            Crs::from_epsg(3116).unwrap(),
        )
        .unwrap()
    }

    fn square(x: f64) -> Geometry<f64> {
        Rect::new((x, 0.0), (x + 10.0, 10.0)).to_polygon().into()
    }

    #[test]
    fn existing_blocks_are_locked_in_and_candidates_ranked_by_gain() {
        // Units at x = 0, 100, 200, 300; demand 1, 5, 3, 2.
        let units = layer(
            "units",
            &["a", "b", "c", "d"],
            (0..4).map(|k| square(100.0 * k as f64)).collect(),
        );
        let demand = [1.0, 5.0, 3.0, 2.0];
        let cands = layer(
            "candidates",
            &["c0", "c1", "c2"],
            vec![
                Point::new(105.0, 5.0).into(),
                Point::new(205.0, 5.0).into(),
                Point::new(305.0, 5.0).into(),
            ],
        );
        // The existing block shares an id with a candidate: both keep it.
        let existing = layer("existing", &["c0"], vec![Point::new(5.0, 5.0).into()]);
        let s = site_points(&units, &demand, &cands, Some(&existing), 20.0, 2, Reach::Centroid).unwrap();
        assert_eq!(s.ids, ["c0", "c1", "c2", "c0"]);
        assert_eq!(s.candidates, 3);
        let order: Vec<(usize, PointStatus, Option<u32>)> =
            s.sites.iter().map(|x| (x.point, x.status, x.rank)).collect();
        assert_eq!(
            order,
            [
                (3, PointStatus::Existing, None),
                (0, PointStatus::Proposed, Some(1)),
                (1, PointStatus::Proposed, Some(2)),
            ]
        );
        assert_eq!(s.sites[1].gain, Some(5.0));
        assert_eq!(s.sites[2].cumulative, Some(9.0));
        assert_eq!(s.solution.locked_in_coverage, 1.0);
        assert_eq!(s.total_demand, 11.0);
        assert_eq!(
            s.unit_site_ids(),
            [Some("c0".into()), Some("c0".into()), Some("c1".into()), None]
        );
        assert!(s.sites.iter().all(|x| s.units_reached(x) == 1));
    }
}
