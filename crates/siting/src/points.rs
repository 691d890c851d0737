//! The maximal covering location problem on a layer, without a method or an index: units with a
//! demand, candidate points and existing points (locked in), all in one projected CRS. This is
//! the siting of the Python bindings' `careblock.site()`; [`crate::plan::plan`] is the method's
//! siting, with candidates gathered by rule, equity, buses and walking.

use careblock_core::Layer;
use careblock_core::join::points::{Reach, within_distance};
use careblock_core::polars::prelude::DataFrame;

use crate::plan::PlanError;
use crate::{
    CapacitatedSolution, CapacitatedTarget, CapacityOptions, CostTable, Coverage, Limit, Options,
    PhasedSolution, Problem, SitingError, Solution, TargetSolution, coverage_from_costs, coverage_of, solve,
    solve_capacitated, solve_phased, solve_phased_capacitated, solve_target_or_best,
    solve_target_or_best_with,
};

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
    /// With phases: the phase (1-based) that opens this proposed site.
    pub phase: Option<u32>,
    /// Capacitated siting: its capacity and the demand assigned to it.
    pub capacity: Option<(f64, f64)>,
    /// With candidate costs: the cost of a proposed site.
    pub cost: Option<f64>,
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
    /// What the phases or the target came to.
    pub outcome: PointLimitOutcome,
    /// What was done with the cost table, in words.
    pub notes: Vec<careblock_text::Msg>,
    /// Capacitated siting: each positive (unit, point, assigned demand), sorted by unit then
    /// point, and the demand within reach of the open sites, capacities ignored.
    pub capacitated: Option<(Vec<Served>, f64)>,
}

/// (unit, point, demand assigned) of a capacitated siting.
pub type Served = (usize, usize, f64);

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

/// How many new sites [`site_points`] opens.
#[derive(Debug, Clone, PartialEq)]
pub enum PointLimit {
    /// Exactly this many.
    Count(usize),
    /// Phase by phase, this many in each ([`crate::solve_phased`]).
    Phases(Vec<usize>),
    /// The fewest reaching this share of the demand ([`crate::solve_target`]); with candidate
    /// costs, the least costly.
    Target(f64),
    /// As many as the candidates' costs allow within this budget ([`Limit::Budget`]).
    Budget(f64),
    /// Phase by phase, each phase within its budget.
    BudgetPhases(Vec<f64>),
}

/// What the phases or the target came to.
#[derive(Debug, Clone, PartialEq)]
pub enum PointLimitOutcome {
    /// A plain count.
    Count,
    /// The phase of each proposed site (0-based, ranking order) and each phase's objective,
    /// with the same total solved at once.
    Phases {
        /// Phase of each selected site.
        phase_of: Vec<usize>,
        /// Covered demand after each phase.
        objectives: Vec<f64>,
        /// The same total sited at once.
        unphased: Solution,
    },
    /// The target's outcome (its `solution` `None`: out of reach, and [`PointSiting::solution`]
    /// is then the fewest sites reaching the best share).
    Target(TargetSolution),
}

/// Capacitated point siting: the capacity of each point (the candidates, then the existing
/// blocks) in persons of demand, and the gap at which the certified bound stops being
/// tightened (`None`: as tight as it gets; see [`CapacityOptions::stop_gap`]).
#[derive(Debug, Clone, Copy)]
pub struct PointCapacity<'a> {
    /// One capacity per point.
    pub per_site: &'a [f64],
    /// Relative gap in `[0, 1)`, or `None`.
    pub gap: Option<f64>,
}

/// Picks new sites among `candidates` that cover the most of `demand` (one value per unit,
/// non-negative) within `radius`, `existing` points locked in: `limit` of them, phase by phase,
/// or the fewest reaching a share. Reach is `reach` in metres, or with `costs` a unit–site cost
/// of at most `radius` in the table's unit (sites named by id, or `candidate:id` /
/// `existing:id` when an existing block shares a candidate's id). All layers must be valid and
/// in the same projected CRS. With `capacity` (one value per point: the candidates, then the
/// existing blocks, [`PointCapacity`]) the siting is capacitated ([`crate::solve_capacitated`],
/// counts only). `cost` (one value per candidate, each > 0) is what a budget spends and what a
/// target then minimises; a budget without it counts 1 per candidate, as the method does.
#[allow(clippy::too_many_arguments)]
pub fn site_points(
    units: &Layer,
    demand: &[f64],
    candidates: &Layer,
    existing: Option<&Layer>,
    radius: f64,
    limit: &PointLimit,
    reach: Reach,
    costs: Option<&CostTable>,
    capacity: Option<PointCapacity<'_>>,
    cost: Option<&[f64]>,
) -> Result<PointSiting, PlanError> {
    let n_new = candidates.len();
    if let Some(c) = cost
        && c.len() != n_new
    {
        return Err(SitingError::Length {
            what: "cost",
            found: c.len(),
            expected: n_new,
            of: "candidates",
        }
        .into());
    }
    // One point layer: the candidates, then the existing blocks (locked in).
    let mut ids = candidates.ids.clone();
    let mut geometries = candidates.geometries.clone();
    if let Some(e) = existing {
        ids.extend(e.ids.iter().cloned());
        geometries.extend(e.geometries.iter().cloned());
    }
    let n_all = ids.len();
    let mut notes = Vec::new();
    let coverage = match costs {
        Some(table) => {
            let kinds: Vec<String> = (0..n_all)
                .map(|j| if j < n_new { "candidate" } else { "existing" }.to_string())
                .collect();
            let c = coverage_from_costs(table, &units.ids, &ids, &kinds, radius)?;
            if c.unknown_units.0 + c.unknown_sites.0 > 0 {
                notes.push(careblock_text::msg!(
                    "siting.points_table_unknown",
                    units = c.unknown_units.0,
                    sites = c.unknown_sites.0
                ));
            }
            if !c.sites_without_rows.is_empty() {
                notes.push(careblock_text::msg!(
                    "siting.points_sites_without_rows",
                    n = c.sites_without_rows.len()
                ));
            }
            c.coverage
        }
        None => {
            // Numbered ids: an existing block may share an id with a candidate (the outcome keeps
            // the layers' own ids).
            let points = Layer::new(
                "candidates",
                (0..n_all).map(|i| i.to_string()).collect(),
                geometries,
                DataFrame::empty_with_height(n_all),
                candidates.crs,
            )?;
            let reached = within_distance(units, &points, radius, reach)?;
            Coverage::from_unit_neighbours(n_all, &reached)
        }
    };
    let locked_in: Vec<bool> = (0..n_all).map(|j| j >= n_new).collect();
    // The points' costs (the existing blocks are free): a budget without costs counts 1 per
    // candidate; a target minimises the cost only when costs are given.
    let budgeted = matches!(limit, PointLimit::Budget(_) | PointLimit::BudgetPhases(_))
        || (cost.is_some() && matches!(limit, PointLimit::Target(_)));
    let costs: Vec<f64> = (0..n_all)
        .map(|j| {
            if j < n_new {
                cost.map_or(1.0, |c| c[j])
            } else {
                0.0
            }
        })
        .collect();
    let problem = Problem {
        demand,
        coverage: &coverage,
        limit: Limit::Count(0),
        cost: budgeted.then_some(costs.as_slice()),
        locked_in: &locked_in,
        locked_out: &[],
    };
    let options = Options::default();
    // Capacitated: the solve whose assignment and loads are the plan's, and the demand within
    // reach of the plan's sites.
    let mut served: Option<(CapacitatedSolution, f64)> = None;
    // The phases' outcome, capacitated or not.
    let phased = |r: PhasedSolution| {
        let objectives = r.phases.iter().map(|x| x.objective).collect();
        (
            r.combined,
            PointLimitOutcome::Phases {
                phase_of: r.phase_of,
                objectives,
                unphased: r.unphased,
            },
        )
    };
    // The limit of a single solve, and those of the phases.
    let single = match limit {
        PointLimit::Budget(b) => Some(Limit::Budget(*b)),
        PointLimit::Count(p) => Some(Limit::Count(*p)),
        _ => None,
    };
    let phase_limits: Vec<Limit> = match limit {
        PointLimit::Phases(blocks) => blocks.iter().map(|&k| Limit::Count(k)).collect(),
        PointLimit::BudgetPhases(budgets) => budgets.iter().map(|&b| Limit::Budget(b)).collect(),
        _ => Vec::new(),
    };
    let (solution, outcome) = match (limit, capacity) {
        (PointLimit::Count(_) | PointLimit::Budget(_), Some(capacity)) => {
            let problem = Problem {
                limit: single.expect("a single solve"),
                ..problem
            };
            let c = solve_capacitated(
                &problem,
                capacity.per_site,
                &CapacityOptions::stopping_at(capacity.gap),
            )?;
            let solution = c.to_solution();
            served = Some((c, coverage_of(&problem, &solution.selected)));
            (solution, PointLimitOutcome::Count)
        }
        (PointLimit::Phases(_) | PointLimit::BudgetPhases(_), Some(capacity)) => {
            let options = CapacityOptions::stopping_at(capacity.gap).for_one_of_many();
            let (r, c) = solve_phased_capacitated(&problem, &phase_limits, capacity.per_site, &options)?;
            served = Some((c, coverage_of(&problem, &r.combined.selected)));
            phased(r)
        }
        (PointLimit::Target(share), Some(capacity)) => {
            let mut solves = CapacitatedTarget::new(
                capacity.per_site,
                CapacityOptions::stopping_at(capacity.gap).for_one_of_many(),
            );
            let (t, solution) = solve_target_or_best_with(&problem, *share, &mut solves)?;
            let c = solves.plan_solution(&problem, &solution.selected)?;
            served = Some((c, coverage_of(&problem, &solution.selected)));
            (solution, PointLimitOutcome::Target(t))
        }
        (PointLimit::Count(_) | PointLimit::Budget(_), None) => (
            solve(
                &Problem {
                    limit: single.expect("a single solve"),
                    ..problem
                },
                &options,
            )?,
            PointLimitOutcome::Count,
        ),
        (PointLimit::Phases(_) | PointLimit::BudgetPhases(_), None) => {
            phased(solve_phased(&problem, &phase_limits, &options)?)
        }
        (PointLimit::Target(share), None) => {
            let (t, solution) = solve_target_or_best(&problem, *share, &options)?;
            (solution, PointLimitOutcome::Target(t))
        }
    };
    let phase_of = match &outcome {
        PointLimitOutcome::Phases { phase_of, .. } => phase_of.clone(),
        _ => Vec::new(),
    };
    // The capacity and load of point `j`.
    let loads: Option<Vec<f64>> = served.as_ref().map(|(c, _)| {
        let mut loads = vec![0.0; n_all];
        for (&j, &l) in c.open.iter().zip(&c.load) {
            loads[j] = l;
        }
        loads
    });
    let load = |j: usize| {
        loads
            .as_ref()
            .map(|loads| (capacity.map_or(0.0, |cap| cap.per_site[j]), loads[j]))
    };
    let mut sites: Vec<PointSite> = (n_new..n_all)
        .map(|point| PointSite {
            point,
            status: PointStatus::Existing,
            rank: None,
            gain: None,
            cumulative: None,
            irreplace: None,
            phase: None,
            capacity: load(point),
            cost: None,
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
            phase: phase_of.get(k).map(|&p| p as u32 + 1),
            capacity: load(j),
            cost: cost.map(|c| c[j]),
        });
    }
    Ok(PointSiting {
        ids,
        candidates: n_new,
        sites,
        coverage,
        solution,
        total_demand: demand.iter().sum(),
        outcome,
        notes,
        capacitated: served.map(|(c, within)| (c.assignments, within)),
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
        let s = site_points(
            &units,
            &demand,
            &cands,
            Some(&existing),
            20.0,
            &PointLimit::Count(2),
            Reach::Centroid,
            None,
            None,
            None,
        )
        .unwrap();
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

    #[test]
    fn phases_targets_and_a_cost_table() {
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
        let run = |limit: PointLimit, costs: Option<&CostTable>| {
            site_points(
                &units,
                &demand,
                &cands,
                None,
                20.0,
                &limit,
                Reach::Centroid,
                costs,
                None,
                None,
            )
            .unwrap()
        };
        let s = run(PointLimit::Phases(vec![1, 2]), None);
        let phases: Vec<Option<u32>> = s.sites.iter().map(|x| x.phase).collect();
        assert_eq!(phases, [Some(1), Some(2), Some(2)]);
        assert_eq!(s.solution.objective, 10.0);
        let s = run(PointLimit::Target(0.7), None);
        assert_eq!(s.solution.selected.len(), 2, "5 + 3 = 8 of 11 ≥ 70 %");
        assert!(matches!(&s.outcome, PointLimitOutcome::Target(t) if t.lower == 2));
        // A table in minutes (radius 20): c2 reaches b, c and d, c0 only a; c1 has no row.
        let table = CostTable {
            source: "od".into(),
            unit: ["a", "b", "c", "d"].map(String::from).to_vec(),
            site: ["c0", "c2", "c2", "c2"].map(String::from).to_vec(),
            cost: vec![1.0, 9.0, 10.0, 21.0],
        };
        let s = run(PointLimit::Count(1), Some(&table));
        assert_eq!(s.solution.selected, vec![2]);
        assert_eq!(s.solution.objective, 8.0);
        assert_eq!(
            s.notes,
            [careblock_text::msg!(
                "siting.points_sites_without_rows",
                n = 1usize
            )]
        );
        assert_eq!(
            s.notes[0].to_string(),
            "1 site(s) have no row in the cost table and cover nothing"
        );
        assert_eq!(
            careblock_text::Lang::Es.render(&s.notes[0]),
            "1 sitio(s) no tienen ninguna fila en la tabla de costos y no cubren nada"
        );
    }

    #[test]
    fn budgets_and_least_cost_targets_match_brute_force() {
        // Units a..d (demand 1, 5, 3, 2), one candidate at each, reaching that unit only.
        let units = layer(
            "units",
            &["a", "b", "c", "d"],
            (0..4).map(|k| square(100.0 * k as f64)).collect(),
        );
        let demand = [1.0, 5.0, 3.0, 2.0];
        let cands = layer(
            "candidates",
            &["c0", "c1", "c2", "c3"],
            (0..4)
                .map(|k| Point::new(100.0 * k as f64 + 5.0, 5.0).into())
                .collect(),
        );
        let cost = [1.0, 6.0, 2.0, 2.0];
        let run = |limit: PointLimit, cost: Option<&[f64]>| {
            site_points(
                &units,
                &demand,
                &cands,
                None,
                20.0,
                &limit,
                Reach::Centroid,
                None,
                None,
                cost,
            )
            .unwrap()
        };
        // Every subset: (cost, covered demand).
        let subsets: Vec<(f64, f64)> = (0u32..16)
            .map(|m| {
                (0..4)
                    .filter(|j| m & (1 << j) != 0)
                    .fold((0.0, 0.0), |(c, d), j| (c + cost[j], d + demand[j]))
            })
            .collect();
        for budget in [1.0, 3.0, 5.0, 6.0, 8.0, 11.0] {
            let best = subsets
                .iter()
                .filter(|s| s.0 <= budget)
                .map(|s| s.1)
                .fold(0.0, f64::max);
            let s = run(PointLimit::Budget(budget), Some(&cost));
            assert_eq!(s.solution.objective, best, "budget {budget}");
            let spent: f64 = s.sites.iter().filter_map(|x| x.cost).sum();
            assert!(spent <= budget);
        }
        // Without costs a budget counts 1 per candidate.
        let s = run(PointLimit::Budget(2.0), None);
        assert_eq!(s.solution.objective, 8.0);
        assert!(s.sites.iter().all(|x| x.cost.is_none()));
        // The least-cost target reaching half (5.5 of 11): a, c and d (cost 5, three sites).
        let goal = 0.5 * 11.0;
        let cheapest = subsets
            .iter()
            .filter(|s| s.1 >= goal)
            .map(|s| s.0)
            .fold(f64::INFINITY, f64::min);
        let s = run(PointLimit::Target(0.5), Some(&cost));
        let PointLimitOutcome::Target(t) = &s.outcome else {
            panic!("a target")
        };
        let c = t.cost.expect("a least-cost target");
        assert_eq!((c.spent, cheapest), (5.0, 5.0));
        assert!(c.lower <= cheapest);
        assert_eq!(s.solution.selected.len(), 3);
        // Without costs, the fewest: b with a, c or d (2 sites).
        let s = run(PointLimit::Target(0.5), None);
        assert_eq!(s.solution.selected.len(), 2);
        // Budget phases: 2 then 6; each phase within its budget, nested.
        let s = run(PointLimit::BudgetPhases(vec![2.0, 6.0]), Some(&cost));
        let PointLimitOutcome::Phases { phase_of, .. } = &s.outcome else {
            panic!("phases")
        };
        let mut spent = [0.0; 2];
        for (&j, &k) in s.solution.selected.iter().zip(phase_of) {
            spent[k] += cost[j];
        }
        assert!(spent[0] <= 2.0 && spent[1] <= 6.0, "{spent:?}");
        assert_eq!(s.solution.objective, 3.0 + 5.0);
    }

    #[test]
    fn capacities_split_and_cap_the_assignment() {
        // Units b (5) and c (3) both within reach of a site between them; capacity 6.
        let units = layer("units", &["b", "c"], vec![square(100.0), square(200.0)]);
        let demand = [5.0, 3.0];
        let cands = layer(
            "candidates",
            &["mid", "far"],
            vec![Point::new(155.0, 5.0).into(), Point::new(900.0, 5.0).into()],
        );
        let s = site_points(
            &units,
            &demand,
            &cands,
            None,
            60.0,
            &PointLimit::Count(1),
            Reach::Centroid,
            None,
            Some(PointCapacity {
                per_site: &[6.0, 100.0],
                gap: None,
            }),
            None,
        )
        .unwrap();
        assert_eq!(s.solution.selected, vec![0]);
        assert_eq!(s.solution.objective, 6.0);
        assert_eq!(s.sites[0].capacity, Some((6.0, 6.0)));
        let (assigned, within) = s.capacitated.as_ref().unwrap();
        assert_eq!(*within, 8.0);
        assert_eq!(assigned.iter().map(|a| a.2).sum::<f64>(), 6.0);
        assert!(s.solution.bound >= 6.0 && s.solution.bound <= 6.0 + 1e-9);
    }
}
