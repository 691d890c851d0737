//! Capacitated phases and targets under quotas against brute force (every quota-feasible set,
//! each evaluated by the exact flow) on small instances.

use super::*;
use crate::assigned_with;
use crate::equity::Quota;
use crate::tests::{close, random};
use careblock_core::rng::SplitMix64 as Rng;

const ND: usize = 3;

/// Candidates `0..m−2` in one of 3 districts, the last two in none; minimums 0–2; maxima
/// none, or (with `caps`) the minimum to the minimum + 2; capacities 3–18.
struct Case {
    cov: crate::Coverage,
    demand: Vec<f64>,
    district: Vec<Option<u32>>,
    min: Vec<usize>,
    max: Vec<usize>,
    capacity: Vec<f64>,
}

fn case(rng: &mut Rng, units: usize, m: usize, density: f64, caps: bool) -> Case {
    let (cov, demand) = random(rng, units, m, density);
    let district: Vec<Option<u32>> = (0..m)
        .map(|j| (j < m - 2).then(|| rng.below(ND) as u32))
        .collect();
    let min: Vec<usize> = (0..ND).map(|_| rng.below(3)).collect();
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
    let capacity: Vec<f64> = (0..m).map(|_| 3.0 + 15.0 * rng.uniform()).collect();
    Case {
        cov,
        demand,
        district,
        min,
        max,
        capacity,
    }
}

/// Open sites per district: the locked-in ones and `set`.
fn open_per_district(p: &Problem<'_>, district: &[Option<u32>], set: &[usize]) -> Vec<usize> {
    let mut open = vec![0usize; ND];
    for (j, d) in district.iter().enumerate() {
        if let Some(d) = d
            && (p.locked_in.get(j).copied().unwrap_or(false) || set.contains(&j))
        {
            open[*d as usize] += 1;
        }
    }
    open
}

/// Every set of new sites (eligible candidates) within `[lo, max]` per district, with its
/// assigned demand, and the best assigned demand of any set of each size without the quotas.
fn feasible_sets(
    p: &Problem<'_>,
    c: &Case,
    lo: &[usize],
    size: Option<usize>,
) -> (Vec<(Vec<usize>, f64)>, Vec<f64>) {
    let m = p.coverage.n_candidates();
    let flag = |v: &[bool], j: usize| v.get(j).copied().unwrap_or(false);
    let eligible: Vec<usize> = (0..m)
        .filter(|&j| !flag(p.locked_in, j) && !flag(p.locked_out, j))
        .collect();
    let mut free = vec![f64::NEG_INFINITY; eligible.len() + 1];
    let mut sets = Vec::new();
    for mask in 0u32..(1 << eligible.len()) {
        let k = mask.count_ones() as usize;
        if size.is_some_and(|s| s != k) {
            continue;
        }
        let set: Vec<usize> = (0..eligible.len())
            .filter(|&i| mask >> i & 1 == 1)
            .map(|i| eligible[i])
            .collect();
        let v = assigned_with(p, &c.capacity, &set).unwrap();
        free[k] = free[k].max(v);
        let open = open_per_district(p, &c.district, &set);
        if (0..ND).all(|d| open[d] >= lo[d] && open[d] <= c.max[d]) {
            sets.push((set, v));
        }
    }
    (sets, free)
}

/// The minimums as the solver lowers them for `p` (locked-in + required new sites).
fn lowered(p: &Problem<'_>, q: &Quotas<'_>) -> Vec<usize> {
    let (_, r, _) = Quota::new(p, q).unwrap();
    (0..ND).map(|d| r.locked_in[d] + r.required[d]).collect()
}

/// The capacitated solution is consistent: its objective the flow of its sites, the loads
/// within capacity and summing to the objective.
fn consistent(p: &Problem<'_>, capacity: &[f64], c: &CapacitatedSolution, what: &str) {
    assert!(
        close(c.objective, assigned_with(p, capacity, &c.selected).unwrap()),
        "{what}"
    );
    assert!(close(c.load.iter().sum::<f64>(), c.objective), "{what}");
    for (k, &j) in c.open.iter().enumerate() {
        assert!(
            c.load[k] <= capacity[j] * (1.0 + 1e-12),
            "{what}: site {j} over capacity"
        );
    }
    assert!(c.bound >= c.objective, "{what}");
}

/// Each phase is at most the best quota-feasible set of its count given the earlier phases
/// (the phase's minimums as lowered by its count), at least that optimum is within its bound,
/// the phase meets its minimums, the loads respect the capacities, and the whole plan meets
/// the minimums the unphased plan meets.
#[test]
fn capacitated_phases_under_quotas_match_brute_force() {
    let (mut phases_run, mut optimal, mut binding, mut plans) = (0, 0, 0, 0);
    for seed in 0..40 {
        let mut rng = Rng(3100 + seed);
        let m = 10;
        let c = case(&mut rng, 20, m, 0.25, seed % 3 == 0);
        let locked_in: Vec<bool> = (0..m).map(|j| seed % 2 == 1 && j == 4).collect();
        let q = Quotas {
            district: &c.district,
            min: &c.min,
            max: &c.max,
            priority: &[2, 0, 1],
        };
        let problem = Problem {
            demand: &c.demand,
            coverage: &c.cov,
            limit: Limit::Count(0),
            cost: None,
            locked_in: &locked_in,
            locked_out: &[],
        };
        let phases = [Limit::Count(2), Limit::Count(1), Limit::Count(2)];
        let (r, last, plan) = solve_phased_capacitated_with_quotas(
            &problem,
            &phases,
            &c.capacity,
            &q,
            &CapacityOptions::default(),
        )
        .unwrap();
        if !plan.report.over.is_empty() || plan.report.count.is_some() {
            continue; // a maximum already exceeded, or fewer places than sites: not compared
        }
        plans += 1;
        assert_eq!(r.phase_of, vec![0, 0, 1, 2, 2]);
        assert_eq!(plan.solution, r.combined);
        let mut locked = locked_in.clone();
        let mut before_last = locked.clone();
        for (k, ph) in r.phases.iter().enumerate() {
            before_last.clone_from(&locked);
            let given = Problem {
                limit: phases[k],
                locked_in: &locked,
                ..problem
            };
            let what = format!("seed {seed} phase {k}");
            let lo = lowered(&given, &q);
            let count = match phases[k] {
                Limit::Count(n) => n,
                Limit::Budget(_) => unreachable!(),
            };
            let (sets, _) = feasible_sets(&given, &c, &lo, Some(count));
            let opt = sets.iter().map(|x| x.1).fold(f64::NEG_INFINITY, f64::max);
            phases_run += 1;
            assert_eq!(ph.selected.len(), count, "{what}");
            assert!(
                close(
                    ph.objective,
                    assigned_with(&given, &c.capacity, &ph.selected).unwrap()
                ),
                "{what}"
            );
            assert!(ph.objective <= opt * (1.0 + 1e-9) + 1e-9, "{what}");
            assert!(
                ph.bound >= opt * (1.0 - 1e-9) - 1e-9,
                "{what}: bound {} below the optimum {opt}",
                ph.bound
            );
            optimal += usize::from(close(ph.objective, opt));
            let open = open_per_district(&given, &c.district, &ph.selected);
            assert!(
                (0..ND).all(|d| open[d] >= lo[d] && open[d] <= c.max[d]),
                "{what}: {open:?} {lo:?}"
            );
            for &j in &ph.selected {
                assert!(!locked[j], "{what}");
                locked[j] = true;
            }
        }
        // The last phase's assignment is the whole plan's.
        let whole = Problem {
            locked_in: &locked_in,
            ..problem
        };
        assert_eq!(last.selected, r.phases[2].selected);
        assert!(close(
            last.objective,
            assigned_with(&whole, &c.capacity, &r.combined.selected).unwrap()
        ));
        consistent(
            &Problem {
                locked_in: &before_last,
                ..problem
            },
            &c.capacity,
            &last,
            &format!("seed {seed} last phase"),
        );
        assert_eq!(last.open.len(), locked.iter().filter(|&&l| l).count());
        // The whole plan meets the minimums the unphased plan meets; the unphased plan is at
        // most the optimum of 5 sites under the quotas, which is within its bound.
        let total = Problem {
            limit: Limit::Count(5),
            ..problem
        };
        let lo = lowered(&total, &q);
        let open = open_per_district(&problem, &c.district, &r.combined.selected);
        assert!(
            (0..ND).all(|d| open[d] >= lo[d] && open[d] <= c.max[d]),
            "seed {seed}: {open:?} {lo:?}"
        );
        let (sets, free) = feasible_sets(&problem, &c, &lo, Some(5));
        let opt = sets.iter().map(|x| x.1).fold(f64::NEG_INFINITY, f64::max);
        assert!(r.unphased.objective <= opt * (1.0 + 1e-9) + 1e-9, "seed {seed}");
        assert!(r.unphased.bound >= opt * (1.0 - 1e-9) - 1e-9, "seed {seed}");
        assert!(r.combined.objective <= opt * (1.0 + 1e-9) + 1e-9, "seed {seed}");
        // Without the rule: the same phases capacitated without the quotas.
        assert_eq!(plan.unconstrained.selected.len(), 5);
        assert!(plan.unconstrained.objective <= free[5] * (1.0 + 1e-9) + 1e-9);
        binding += usize::from(free[5] > opt * (1.0 + 1e-9));
        assert_eq!(plan.equity.len(), 5);
        assert!(plan.equity.iter().filter(|&&e| e).count() <= plan.report.required.iter().sum::<usize>());
    }
    eprintln!("{plans} plans, {optimal} of {phases_run} phases optimal, the rule binds in {binding}");
    assert!(plans >= 35, "{plans}");
    assert!(optimal * 100 >= phases_run * 95, "{optimal} of {phases_run}");
    assert!(binding >= 10, "the rule binds in {binding} instances only");
}

/// Budget phases: each phase spends at most its budget, meets its minimums (as lowered by its
/// budget, districts in need order) within the maxima, and the best quota-feasible affordable
/// set given the earlier phases lies between its objective and its bound.
#[test]
fn capacitated_budget_phases_under_quotas_match_brute_force() {
    let (mut phases_run, mut optimal, mut binding, mut plans) = (0, 0, 0, 0);
    for seed in 0..30 {
        let mut rng = Rng(3400 + seed);
        let m = 10;
        let c = case(&mut rng, 20, m, 0.25, seed % 3 == 0);
        let cost: Vec<f64> = (0..m).map(|_| (1 + rng.below(3)) as f64).collect();
        let locked_in: Vec<bool> = (0..m).map(|j| seed % 2 == 1 && j == 4).collect();
        let q = Quotas {
            district: &c.district,
            min: &c.min,
            max: &c.max,
            priority: &[2, 0, 1],
        };
        let problem = Problem {
            demand: &c.demand,
            coverage: &c.cov,
            limit: Limit::Count(0),
            cost: Some(&cost),
            locked_in: &locked_in,
            locked_out: &[],
        };
        let phases = [Limit::Budget(3.0), Limit::Budget(2.0), Limit::Budget(3.0)];
        let (r, last, plan) = solve_phased_capacitated_with_quotas(
            &problem,
            &phases,
            &c.capacity,
            &q,
            &CapacityOptions::default(),
        )
        .unwrap();
        if !plan.report.over.is_empty() {
            continue; // a maximum already exceeded: not compared
        }
        plans += 1;
        assert_eq!(plan.solution, r.combined);
        let spent = |set: &[usize]| set.iter().map(|&j| cost[j]).sum::<f64>();
        let mut locked = locked_in.clone();
        for (k, ph) in r.phases.iter().enumerate() {
            let given = Problem {
                limit: phases[k],
                locked_in: &locked,
                ..problem
            };
            let what = format!("seed {seed} phase {k}");
            let Limit::Budget(budget) = phases[k] else {
                unreachable!()
            };
            let lo = lowered(&given, &q);
            let (sets, _) = feasible_sets(&given, &c, &lo, None);
            let opt = sets
                .iter()
                .filter(|(s, _)| spent(s) <= budget)
                .map(|x| x.1)
                .fold(f64::NEG_INFINITY, f64::max);
            phases_run += 1;
            assert!(spent(&ph.selected) <= budget, "{what}: over budget");
            assert!(
                close(
                    ph.objective,
                    assigned_with(&given, &c.capacity, &ph.selected).unwrap()
                ),
                "{what}"
            );
            assert!(ph.objective <= opt * (1.0 + 1e-9) + 1e-9, "{what}");
            assert!(
                ph.bound >= opt * (1.0 - 1e-9) - 1e-9,
                "{what}: bound {} below the optimum {opt}",
                ph.bound
            );
            optimal += usize::from(close(ph.objective, opt));
            let open = open_per_district(&given, &c.district, &ph.selected);
            assert!(
                (0..ND).all(|d| open[d] >= lo[d] && open[d] <= c.max[d]),
                "{what}: {open:?} {lo:?}"
            );
            for &j in &ph.selected {
                assert!(!locked[j], "{what}");
                locked[j] = true;
            }
        }
        // The last phase's assignment is the whole plan's.
        assert_eq!(last.selected, r.phases[2].selected);
        assert!(close(
            last.objective,
            assigned_with(&problem, &c.capacity, &r.combined.selected).unwrap()
        ));
        // The whole plan stays within the maxima; the unphased plan is at most the optimum of
        // the total budget (8) under the quotas, which is within its bound.
        let total = Problem {
            limit: Limit::Budget(8.0),
            ..problem
        };
        let lo = lowered(&total, &q);
        let open = open_per_district(&problem, &c.district, &r.combined.selected);
        assert!(
            (0..ND).all(|d| open[d] <= c.max[d]),
            "seed {seed}: {open:?} {:?}",
            c.max
        );
        let (sets, _) = feasible_sets(&problem, &c, &lo, None);
        let opt = sets
            .iter()
            .filter(|(s, _)| spent(s) <= 8.0)
            .map(|x| x.1)
            .fold(f64::NEG_INFINITY, f64::max);
        assert!(r.unphased.objective <= opt * (1.0 + 1e-9) + 1e-9, "seed {seed}");
        assert!(r.unphased.bound >= opt * (1.0 - 1e-9) - 1e-9, "seed {seed}");
        // Without the rule: the same budget phases capacitated without the quotas.
        assert!(spent(&plan.unconstrained.selected) <= 8.0);
        let free_opt = (0u32..(1 << m))
            .filter_map(|mask| {
                let set: Vec<usize> = (0..m).filter(|&j| mask >> j & 1 == 1 && !locked_in[j]).collect();
                (spent(&set) <= 8.0).then(|| assigned_with(&problem, &c.capacity, &set).unwrap())
            })
            .fold(f64::NEG_INFINITY, f64::max);
        assert!(plan.unconstrained.objective <= free_opt * (1.0 + 1e-9) + 1e-9);
        binding += usize::from(free_opt > opt * (1.0 + 1e-9));
        assert_eq!(plan.equity.len(), r.combined.selected.len());
    }
    eprintln!("{plans} plans, {optimal} of {phases_run} phases optimal, the rule binds in {binding}");
    assert!(plans >= 25, "{plans}");
    assert!(optimal * 100 >= phases_run * 85, "{optimal} of {phases_run}");
    assert!(binding >= 8, "the rule binds in {binding} instances only");
}

/// The fewest new sites meeting the minimums whose assigned demand reaches the share, by
/// enumeration: the search finds it (almost always), never fewer, its lower bound `max(Q, L)`
/// never exceeds it, and the plan's assignment respects the capacities.
#[test]
fn capacitated_targets_under_quotas_match_enumeration() {
    let (mut cases, mut exact, mut quota_bound, mut proven, mut by_capacity) = (0, 0, 0, 0, 0);
    for seed in 0..40 {
        let mut rng = Rng(3700 + seed);
        let m = 10;
        let c = case(&mut rng, 20, m, 0.22, seed % 4 == 0);
        let locked_in: Vec<bool> = (0..m).map(|j| seed % 3 == 0 && j == 1).collect();
        let q = Quotas {
            district: &c.district,
            min: &c.min,
            max: &c.max,
            priority: &[],
        };
        let problem = Problem {
            demand: &c.demand,
            coverage: &c.cov,
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
        let (sets, _) = feasible_sets(&problem, &c, &lo, None);
        for share in [0.2, 0.4, 0.55, 0.7] {
            let what = format!("seed {seed} share {share}");
            let (t, cs) = solve_capacitated_target_with_quotas(
                &problem,
                share,
                &c.capacity,
                &q,
                &CapacityOptions::default(),
            )
            .unwrap();
            let goal = t.target.goal;
            let reach = |v: f64| v >= goal * (1.0 - 1e-12);
            let truth = sets.iter().filter(|(_, v)| reach(*v)).map(|(s, _)| s.len()).min();
            let plan = &t.plan.solution;
            assert_eq!(cs.selected, plan.selected, "{what}");
            consistent(&problem, &c.capacity, &cs, &what);
            assert!(close(cs.objective, plan.objective), "{what}");
            let open = open_per_district(&problem, &c.district, &plan.selected);
            assert!(
                (0..ND).all(|d| open[d] >= lo[d] && open[d] <= c.max[d]),
                "{what}: {open:?} {lo:?}"
            );
            assert_eq!(
                t.target.lower,
                t.without.map_or(t.target.lower, |(_, l)| l.max(t.quota_total))
            );
            match (truth, &t.target.solution) {
                (Some(k), Some(s)) => {
                    cases += 1;
                    assert_eq!(s, plan, "{what}");
                    assert!(reach(s.objective), "{what}");
                    assert!(s.selected.len() >= k, "{what}");
                    assert!(t.target.lower <= k, "{what}: lower {} > {k}", t.target.lower);
                    exact += usize::from(s.selected.len() == k);
                    proven += usize::from(t.target.lower == s.selected.len());
                    quota_bound += usize::from(t.without.is_some_and(|(w, _)| w < k));
                    // Capacities raise the count: the uncapacitated coverage of fewer sites
                    // would reach the share.
                    let fewest_covering = (0..=k)
                        .find(|&n| {
                            sets.iter()
                                .any(|(s, _)| s.len() == n && reach(crate::coverage_of(&problem, s)))
                        })
                        .unwrap_or(k);
                    by_capacity += usize::from(fewest_covering < k);
                }
                (None, None) => {}
                (Some(k), None) => {
                    // Only with maxima may the search miss a reachable share.
                    assert!(c.max.iter().any(|&x| x != usize::MAX), "{what}: missed {k}");
                }
                (None, Some(s)) => panic!("{what}: {:?} reaches an unreachable goal", s.selected),
            }
            assert_eq!(t.plan.unconstrained.selected.len(), plan.selected.len(), "{what}");
        }
    }
    eprintln!(
        "{cases} reached: {exact} fewest, {proven} proven; quotas raise the count in {quota_bound}, capacities in {by_capacity}"
    );
    assert!(cases >= 120, "{cases}");
    assert!(exact * 100 >= cases * 97, "{exact} of {cases}");
    assert!(proven * 2 >= cases, "{proven} of {cases} proven");
    assert!(
        quota_bound >= 30,
        "the quotas raise the count in {quota_bound} cases only"
    );
    assert!(
        by_capacity >= 30,
        "capacities raise the count in {by_capacity} cases only"
    );
}
