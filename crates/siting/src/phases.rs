//! Opening phases ([`solve_phased`]): the new sites opened phase by phase (year by year), each
//! phase maximising its own coverage given the sites of the earlier ones, so that the plan is
//! nested (phase 1's sites stay open in phase 2). The same total solved at once (the unphased
//! optimum) measures the cost of phasing.

use super::{
    CapacitatedSolution, CapacityOptions, Limit, Options, Problem, SitingError, Solution, solve,
    solve_capacitated,
};

/// The phased solution.
#[derive(Debug, Clone, PartialEq)]
pub struct PhasedSolution {
    /// Each phase's solution, its sites ranked within the phase. Phase `k` is solved with the
    /// locked-in sites and the sites of phases `1..k` locked in: its `locked_in_coverage` is the
    /// coverage before the phase, its bound bounds what the phase could add given them.
    pub phases: Vec<Solution>,
    /// The phases joined: the new sites of every phase in phase order (each phase's ranking),
    /// their gains and cumulative coverage, irreplaceability within their phase; objective,
    /// bound, gap, `optimal` and per-unit coverage are the last phase's.
    pub combined: Solution,
    /// The phase (0-based) of each site of `combined.selected`.
    pub phase_of: Vec<usize>,
    /// The same total (sum of the phases' counts or budgets) solved at once. Its objective minus
    /// the phased objective is the cost of phasing (negative only when the heuristic found a
    /// better nested plan than the unphased one).
    pub unphased: Solution,
}

/// Solves `problem` (its `limit` is ignored) phase by phase: phase `k` opens `phases[k]` new
/// sites (a count, or a budget when `problem.cost` is given) with every earlier site locked in.
/// Costs `phases.len() + 1` solves.
///
/// # Errors
/// [`SitingError::Phases`] when `phases` is empty or mixes counts and budgets; those of
/// [`solve`] for each phase (e.g. [`SitingError::TooFewCandidates`] when the phases together ask
/// for more sites than there are eligible candidates).
pub fn solve_phased(
    problem: &Problem<'_>,
    phases: &[Limit],
    options: &Options,
) -> Result<PhasedSolution, SitingError> {
    solve_phased_with(problem, phases, |p| solve(p, options))
}

/// [`solve_phased`] with capacities: each phase (and the unphased optimum) solved by
/// [`solve_capacitated`]. Also returns the last phase's capacitated solution, whose assignment
/// and loads are the whole plan's (every earlier phase's sites are locked in for it).
///
/// # Errors
/// As [`solve_phased_with`], with those of [`solve_capacitated`].
pub fn solve_phased_capacitated(
    problem: &Problem<'_>,
    phases: &[Limit],
    capacity: &[f64],
    options: &CapacityOptions,
) -> Result<(PhasedSolution, CapacitatedSolution), SitingError> {
    let mut last = None;
    let r = solve_phased_with(problem, phases, |p| {
        let c = solve_capacitated(p, capacity, options)?;
        let s = c.to_solution();
        last = Some(c);
        Ok(s)
    })?;
    Ok((r, last.expect("at least one capacitated solve")))
}

/// [`solve_phased`] with another solver for each solve (e.g. the capacitated one, through
/// [`CapacitatedSolution::to_solution`](crate::CapacitatedSolution::to_solution)): `solve_one`
/// is called first for the unphased optimum, then once per phase in order, each with the
/// earlier phases' sites locked in.
///
/// # Errors
/// As [`solve_phased`], with `solve_one`'s errors.
pub fn solve_phased_with(
    problem: &Problem<'_>,
    phases: &[Limit],
    mut solve_one: impl FnMut(&Problem<'_>) -> Result<Solution, SitingError>,
) -> Result<PhasedSolution, SitingError> {
    let total = match phases {
        [] => return Err(SitingError::Phases("no phase given")),
        [Limit::Count(_), ..] if phases.iter().all(|l| matches!(l, Limit::Count(_))) => Limit::Count(
            phases
                .iter()
                .map(|l| if let Limit::Count(p) = l { *p } else { 0 })
                .sum(),
        ),
        [Limit::Budget(_), ..] if phases.iter().all(|l| matches!(l, Limit::Budget(_))) => Limit::Budget(
            phases
                .iter()
                .map(|l| if let Limit::Budget(b) = l { *b } else { 0.0 })
                .sum(),
        ),
        _ => return Err(SitingError::Phases("phases mix counts and budgets")),
    };
    let unphased = solve_one(&Problem {
        limit: total,
        ..*problem
    })?;
    let m = problem.coverage.n_candidates();
    let mut locked: Vec<bool> = if problem.locked_in.is_empty() {
        vec![false; m]
    } else {
        problem.locked_in.to_vec()
    };
    let mut solved: Vec<Solution> = Vec::with_capacity(phases.len());
    for &limit in phases {
        let s = solve_one(&Problem {
            limit,
            locked_in: &locked,
            ..*problem
        })?;
        for &j in &s.selected {
            locked[j] = true;
        }
        solved.push(s);
    }
    let last = solved.last().expect("at least one phase");
    let mut combined = Solution {
        selected: Vec::new(),
        marginal_gain: Vec::new(),
        cumulative: Vec::new(),
        locked_in_coverage: solved[0].locked_in_coverage,
        objective: last.objective,
        bound: last.bound,
        gap: last.gap,
        optimal: last.optimal,
        irreplaceability: Vec::new(),
        unit_coverage: last.unit_coverage.clone(),
        unit_site: last.unit_site.clone(),
    };
    let mut phase_of = Vec::new();
    for (k, s) in solved.iter().enumerate() {
        combined.selected.extend(&s.selected);
        combined.marginal_gain.extend(&s.marginal_gain);
        combined.cumulative.extend(&s.cumulative);
        combined.irreplaceability.extend(&s.irreplaceability);
        phase_of.extend(std::iter::repeat_n(k, s.selected.len()));
    }
    Ok(PhasedSolution {
        phases: solved,
        combined,
        phase_of,
        unphased,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage_of;
    use crate::tests::{brute_force, close, random};
    use careblock_core::rng::SplitMix64 as Rng;

    #[test]
    fn each_phase_is_optimal_given_the_earlier_ones_and_the_plan_is_nested() {
        for seed in 0..40 {
            let mut rng = Rng(seed);
            let (cov, demand) = random(&mut rng, 14, 9, 0.3);
            let locked_in: Vec<bool> = (0..9).map(|j| j == 8).collect();
            let problem = Problem {
                demand: &demand,
                coverage: &cov,
                limit: Limit::Count(0),
                cost: None,
                locked_in: &locked_in,
                locked_out: &[],
            };
            let phases = [Limit::Count(2), Limit::Count(1), Limit::Count(2)];
            let s = solve_phased(&problem, &phases, &Options::default()).unwrap();
            assert_eq!(s.combined.selected.len(), 5);
            assert_eq!(s.phase_of, vec![0, 0, 1, 2, 2]);
            // Nested: each phase's locked-in coverage is the previous phase's objective.
            let mut locked = locked_in.clone();
            let mut before = coverage_of(&problem, &[]);
            for (k, ph) in s.phases.iter().enumerate() {
                assert!(close(ph.locked_in_coverage, before), "seed {seed} phase {k}");
                let given = Problem {
                    limit: phases[k],
                    locked_in: &locked,
                    ..problem
                };
                let (best, _) = brute_force(&given);
                assert!(
                    close(ph.objective, best),
                    "seed {seed} phase {k}: {} vs {best}",
                    ph.objective
                );
                for &j in &ph.selected {
                    assert!(!locked[j]);
                    locked[j] = true;
                }
                before = ph.objective;
            }
            assert!(close(
                s.combined.objective,
                coverage_of(&problem, &s.combined.selected)
            ));
            let (unphased, _) = brute_force(&Problem {
                limit: Limit::Count(5),
                ..problem
            });
            assert!(close(s.unphased.objective, unphased));
            assert!(s.combined.objective <= unphased * (1.0 + 1e-12));
            assert!(close(
                *s.combined.cumulative.last().unwrap(),
                s.combined.objective
            ));
        }
    }

    #[test]
    fn one_phase_is_the_unphased_solution() {
        let mut rng = Rng(7);
        let (cov, demand) = random(&mut rng, 30, 12, 0.2);
        let problem = Problem {
            demand: &demand,
            coverage: &cov,
            limit: Limit::Count(0),
            cost: None,
            locked_in: &[],
            locked_out: &[],
        };
        let s = solve_phased(&problem, &[Limit::Count(4)], &Options::default()).unwrap();
        assert_eq!(s.combined, s.unphased);
        assert_eq!(s.phases.len(), 1);
    }

    #[test]
    fn budget_phases_and_errors() {
        let mut rng = Rng(3);
        let (cov, demand) = random(&mut rng, 20, 8, 0.3);
        let cost: Vec<f64> = (0..8).map(|j| 1.0 + (j % 3) as f64).collect();
        let problem = Problem {
            demand: &demand,
            coverage: &cov,
            limit: Limit::Count(0),
            cost: Some(&cost),
            locked_in: &[],
            locked_out: &[],
        };
        let s = solve_phased(
            &problem,
            &[Limit::Budget(3.0), Limit::Budget(2.0)],
            &Options::default(),
        )
        .unwrap();
        let spent: Vec<f64> = (0..2)
            .map(|k| s.phases[k].selected.iter().map(|&j| cost[j]).sum())
            .collect();
        assert!(spent[0] <= 3.0 && spent[1] <= 2.0, "{spent:?}");
        assert!(matches!(
            solve_phased(&problem, &[], &Options::default()),
            Err(SitingError::Phases(_))
        ));
        assert!(matches!(
            solve_phased(
                &problem,
                &[Limit::Count(1), Limit::Budget(2.0)],
                &Options::default()
            ),
            Err(SitingError::Phases(_))
        ));
        assert!(matches!(
            solve_phased(&problem, &[Limit::Count(5), Limit::Count(5)], &Options::default()),
            Err(SitingError::TooFewCandidates { .. })
        ));
    }
}
