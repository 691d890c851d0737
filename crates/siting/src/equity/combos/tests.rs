//! The combinations against brute force on small instances.

use super::*;
use crate::coverage_of;
use crate::tests::{close, random};
use careblock_core::rng::SplitMix64 as Rng;

/// Candidates `0..m−2` in one of 3 districts, the last two in none; minimums 0–2; maxima
/// none, or (with `caps`) the minimum to the minimum + 2.
fn random_quotas(rng: &mut Rng, m: usize, caps: bool) -> (Vec<Option<u32>>, Vec<usize>, Vec<usize>) {
    let district: Vec<Option<u32>> = (0..m).map(|j| (j < m - 2).then(|| rng.below(3) as u32)).collect();
    let min: Vec<usize> = (0..3).map(|_| rng.below(3)).collect();
    let max: Vec<usize> = min
        .iter()
        .map(|&lo| {
            if caps && rng.uniform() < 0.5 {
                lo + rng.below(3)
            } else {
                usize::MAX
            }
        })
        .collect();
    (district, min, max)
}

/// Open sites per district: the locked-in ones and `set`.
fn open_per_district(p: &Problem<'_>, district: &[Option<u32>], set: &[usize]) -> Vec<usize> {
    let mut open = vec![0usize; 3];
    for (j, d) in district.iter().enumerate() {
        if let Some(d) = d
            && (p.locked_in.get(j).copied().unwrap_or(false) || set.contains(&j))
        {
            open[*d as usize] += 1;
        }
    }
    open
}

/// Every set of new sites (eligible candidates) within `[min, max]` per district, with its
/// coverage.
fn feasible_sets(
    p: &Problem<'_>,
    district: &[Option<u32>],
    min: &[usize],
    max: &[usize],
) -> Vec<(Vec<usize>, f64)> {
    let m = p.coverage.n_candidates();
    let flag = |v: &[bool], j: usize| v.get(j).copied().unwrap_or(false);
    let eligible: Vec<usize> = (0..m)
        .filter(|&j| !flag(p.locked_in, j) && !flag(p.locked_out, j))
        .collect();
    (0u32..(1 << eligible.len()))
        .filter_map(|mask| {
            let set: Vec<usize> = (0..eligible.len())
                .filter(|&k| mask >> k & 1 == 1)
                .map(|k| eligible[k])
                .collect();
            let open = open_per_district(p, district, &set);
            (0..3).all(|d| open[d] >= min[d] && open[d] <= max[d]).then(|| {
                let v = coverage_of(p, &set);
                (set, v)
            })
        })
        .collect()
}

/// The minimums as the solver lowers them for `p` (locked-in + required new sites).
fn lowered(p: &Problem<'_>, q: &Quotas<'_>) -> Vec<usize> {
    let (_, r, _) = Quota::new(p, q).unwrap();
    (0..3).map(|d| r.locked_in[d] + r.required[d]).collect()
}

fn best_with(sets: &[(Vec<usize>, f64)], count: usize) -> f64 {
    sets.iter()
        .filter(|(s, _)| s.len() == count)
        .map(|x| x.1)
        .fold(f64::NEG_INFINITY, f64::max)
}

/// Each phase is the best quota-feasible set of its count given the earlier phases (the
/// phase's minimums as lowered by its count), its bound bounds that optimum, the whole plan
/// meets every minimum the unphased plan meets, and the unphased plan is the brute-force
/// optimum under the quotas.
#[test]
fn phases_under_quotas_match_brute_force() {
    let (mut phases_run, mut optimal, mut binding) = (0, 0, 0);
    for seed in 0..40 {
        let mut rng = Rng(500 + seed);
        let m = 11;
        let (cov, demand) = random(&mut rng, 30, m, 0.2);
        let (district, min, max) = random_quotas(&mut rng, m, seed % 3 == 0);
        let locked_in: Vec<bool> = (0..m).map(|j| seed % 2 == 1 && j == 4).collect();
        let q = Quotas {
            district: &district,
            min: &min,
            max: &max,
            priority: &[2, 0, 1],
        };
        let problem = Problem {
            demand: &demand,
            coverage: &cov,
            limit: Limit::Count(0),
            cost: None,
            locked_in: &locked_in,
            locked_out: &[],
        };
        let phases = [Limit::Count(2), Limit::Count(1), Limit::Count(2)];
        let (r, plan) = solve_phased_with_quotas(&problem, &phases, &q, &Options::default()).unwrap();
        if !plan.report.over.is_empty() || plan.report.count.is_some() {
            continue; // a maximum already exceeded, or fewer places than sites: not compared
        }
        assert_eq!(r.phase_of, vec![0, 0, 1, 2, 2]);
        assert_eq!(plan.solution, r.combined);
        let mut locked = locked_in.clone();
        for (k, ph) in r.phases.iter().enumerate() {
            let given = Problem {
                limit: phases[k],
                locked_in: &locked,
                ..problem
            };
            let lo = lowered(&given, &q);
            let sets = feasible_sets(&given, &district, &lo, &max);
            let count = match phases[k] {
                Limit::Count(c) => c,
                Limit::Budget(_) => unreachable!(),
            };
            let opt = best_with(&sets, count);
            phases_run += 1;
            assert!(close(ph.objective, coverage_of(&given, &ph.selected)));
            assert!(ph.objective <= opt * (1.0 + 1e-9) + 1e-9, "seed {seed} phase {k}");
            assert!(
                ph.bound >= opt * (1.0 - 1e-9) - 1e-9,
                "seed {seed} phase {k}: bound below"
            );
            optimal += usize::from(close(ph.objective, opt));
            let open = open_per_district(&given, &district, &ph.selected);
            assert!(
                (0..3).all(|d| open[d] >= lo[d] && open[d] <= max[d]),
                "seed {seed} phase {k}"
            );
            for &j in &ph.selected {
                assert!(!locked[j]);
                locked[j] = true;
            }
        }
        // The whole plan meets the minimums the unphased plan meets.
        let total = Problem {
            limit: Limit::Count(5),
            ..problem
        };
        let lo = lowered(&total, &q);
        let open = open_per_district(&problem, &district, &r.combined.selected);
        assert!(
            (0..3).all(|d| open[d] >= lo[d] && open[d] <= max[d]),
            "seed {seed}: {open:?} {lo:?}"
        );
        let sets = feasible_sets(&problem, &district, &lo, &max);
        let opt = best_with(&sets, 5);
        assert!(r.unphased.objective <= opt * (1.0 + 1e-9) + 1e-9);
        assert!(r.unphased.bound >= opt * (1.0 - 1e-9) - 1e-9);
        assert!(
            close(r.unphased.objective, opt),
            "seed {seed}: unphased {} vs {opt}",
            r.unphased.objective
        );
        assert!(r.combined.objective <= opt * (1.0 + 1e-9) + 1e-9);
        // Without the rule: the same phases unconstrained cover at least about as much.
        assert_eq!(plan.unconstrained.selected.len(), 5);
        binding += usize::from(plan.unconstrained.objective > plan.solution.objective * (1.0 + 1e-9));
        assert_eq!(plan.equity.len(), 5);
        assert!(plan.equity.iter().filter(|&&e| e).count() <= plan.report.required.iter().sum::<usize>());
    }
    assert!(phases_run >= 60, "{phases_run}");
    assert!(optimal * 100 >= phases_run * 95, "{optimal} of {phases_run}");
    assert!(binding >= 5, "the rule binds in {binding} instances only");
}

/// Budget phases under quotas: each phase within its budget, the plan within the quotas its
/// total budget allows.
#[test]
fn budget_phases_under_quotas_stay_within_budgets_and_quotas() {
    for seed in 0..20 {
        let mut rng = Rng(900 + seed);
        let m = 10;
        let (cov, demand) = random(&mut rng, 25, m, 0.25);
        let (district, min, max) = random_quotas(&mut rng, m, false);
        let cost: Vec<f64> = (0..m).map(|j| 1.0 + (j % 3) as f64).collect();
        let q = Quotas {
            district: &district,
            min: &min,
            max: &max,
            priority: &[],
        };
        let problem = Problem {
            demand: &demand,
            coverage: &cov,
            limit: Limit::Count(0),
            cost: Some(&cost),
            locked_in: &[],
            locked_out: &[],
        };
        let budgets = [4.0, 3.0];
        let (r, plan) = solve_phased_with_quotas(
            &problem,
            &[Limit::Budget(4.0), Limit::Budget(3.0)],
            &q,
            &Options::default(),
        )
        .unwrap();
        let mut locked = vec![false; m];
        for (k, ph) in r.phases.iter().enumerate() {
            let spent: f64 = ph.selected.iter().map(|&j| cost[j]).sum();
            assert!(spent <= budgets[k] + 1e-12, "seed {seed} phase {k}: {spent}");
            let given = Problem {
                limit: Limit::Budget(budgets[k]),
                locked_in: &locked,
                ..problem
            };
            let lo = lowered(&given, &q);
            let open = open_per_district(&given, &district, &ph.selected);
            assert!((0..3).all(|d| open[d] >= lo[d]), "seed {seed} phase {k}");
            for &j in &ph.selected {
                locked[j] = true;
            }
        }
        assert_eq!(plan.solution.selected, r.combined.selected);
    }
}

/// The fewest new sites meeting the minimums and reaching the share, by enumeration: the
/// search finds it (almost always), never fewer, and its lower bound `max(Q, L)` never exceeds
/// it.
#[test]
fn targets_under_quotas_match_enumeration() {
    let (mut cases, mut exact, mut quota_bound, mut proven) = (0, 0, 0, 0);
    for seed in 0..50 {
        let mut rng = Rng(1300 + seed);
        let m = 11;
        let (cov, demand) = random(&mut rng, 24, m, 0.18);
        let (district, min, max) = random_quotas(&mut rng, m, seed % 4 == 0);
        let locked_in: Vec<bool> = (0..m).map(|j| seed % 3 == 0 && j == 1).collect();
        let q = Quotas {
            district: &district,
            min: &min,
            max: &max,
            priority: &[],
        };
        let problem = Problem {
            demand: &demand,
            coverage: &cov,
            limit: Limit::Count(0),
            cost: None,
            locked_in: &locked_in,
            locked_out: &[],
        };
        // The minimums lowered only where a district lacks candidates.
        let eligible = locked_in.iter().filter(|&&l| !l).count();
        let lo = lowered(
            &Problem {
                limit: Limit::Count(eligible),
                ..problem
            },
            &q,
        );
        let sets = feasible_sets(&problem, &district, &lo, &max);
        for share in [0.3, 0.55, 0.75, 0.9] {
            let t = solve_target_with_quotas(&problem, share, &q, &Options::default()).unwrap();
            let goal = t.target.goal;
            let truth = sets
                .iter()
                .filter(|(_, v)| *v >= goal * (1.0 - 1e-12))
                .map(|(s, _)| s.len())
                .min();
            let plan = &t.plan.solution;
            let open = open_per_district(&problem, &district, &plan.selected);
            assert!(
                (0..3).all(|d| open[d] >= lo[d] && open[d] <= max[d]),
                "seed {seed} share {share}: {open:?} {lo:?}"
            );
            match (truth, &t.target.solution) {
                (Some(k), Some(s)) => {
                    cases += 1;
                    assert_eq!(s, plan);
                    assert!(s.objective >= goal * (1.0 - 1e-12));
                    assert!(s.selected.len() >= k);
                    assert!(
                        t.target.lower <= k,
                        "seed {seed} share {share}: lower {} > {k}",
                        t.target.lower
                    );
                    exact += usize::from(s.selected.len() == k);
                    proven += usize::from(t.target.lower == s.selected.len());
                    quota_bound += usize::from(t.without.is_some_and(|(w, _)| w < k));
                }
                (None, None) => {}
                (Some(k), None) => {
                    // Only with maxima may the search miss a reachable share.
                    assert!(
                        max.iter().any(|&x| x != usize::MAX),
                        "seed {seed} share {share}: missed {k}"
                    );
                }
                (None, Some(s)) => panic!(
                    "seed {seed} share {share}: {:?} reaches an unreachable goal",
                    s.selected
                ),
            }
            assert_eq!(t.plan.unconstrained.selected.len(), plan.selected.len());
        }
    }
    assert!(cases >= 100, "{cases}");
    assert!(exact * 100 >= cases * 97, "{exact} of {cases}");
    assert!(proven * 2 >= cases, "{proven} of {cases} proven");
    assert!(
        quota_bound >= 10,
        "the quotas raise the count in {quota_bound} cases only"
    );
}
