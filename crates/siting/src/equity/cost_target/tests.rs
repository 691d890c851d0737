//! Least-cost targets under quotas against enumeration: every quota-feasible set, each
//! evaluated exactly (coverage, or the maximum flow under capacities).

use super::*;
use crate::tests::{close, random};
use careblock_core::rng::SplitMix64 as Rng;

const ND: usize = 3;

/// Candidates `0..m−2` in one of 3 districts, the last two in none; minimums 0–2; maxima
/// none, or (with `caps`) the minimum to the minimum + 2; costs whole (1–4) or not.
struct Case {
    cov: crate::Coverage,
    demand: Vec<f64>,
    district: Vec<Option<u32>>,
    min: Vec<usize>,
    max: Vec<usize>,
    cost: Vec<f64>,
    capacity: Vec<f64>,
}

fn case(rng: &mut Rng, m: usize, caps: bool, whole: bool) -> Case {
    let (cov, demand) = random(rng, 20, m, 0.22);
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
    let cost: Vec<f64> = (0..m)
        .map(|_| {
            if whole {
                (1 + rng.below(4)) as f64
            } else {
                0.5 + 3.0 * rng.uniform()
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
        cost,
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

/// Counts of one comparison run.
#[derive(Default, Debug)]
struct Tally {
    cases: usize,
    least: usize,
    binding: usize,
    quota_bound: usize,
    lower_sum: f64,
    truth_sum: f64,
}

/// Checks a least-cost target under quotas against enumeration: the plan meets the minimums
/// (lowered only where a district lacks candidates) and maxima, reaches the goal when it is
/// reachable under them, costs what it says and at least the least cost, whose lower bound
/// `max(Q, L)` never exceeds it.
fn check(
    p: &Problem<'_>,
    c: &Case,
    q: &Quotas<'_>,
    t: &QuotaTarget,
    value: &dyn Fn(&[usize]) -> f64,
    tally: &mut Tally,
    what: &str,
) {
    let m = p.coverage.n_candidates();
    let flag = |v: &[bool], j: usize| v.get(j).copied().unwrap_or(false);
    let eligible: Vec<usize> = (0..m)
        .filter(|&j| !flag(p.locked_in, j) && !flag(p.locked_out, j))
        .collect();
    let (_, r, _) = Quota::new(
        &Problem {
            limit: Limit::Count(eligible.len()),
            ..*p
        },
        q,
    )
    .unwrap();
    let lo: Vec<usize> = (0..ND).map(|d| r.locked_in[d] + r.required[d]).collect();
    let goal = t.target.goal;
    let reach = |v: f64| v >= goal * (1.0 - 1e-12);
    let spent = |set: &[usize]| set.iter().map(|&j| c.cost[j]).sum::<f64>();
    let (mut truth, mut free_truth) = (None::<f64>, None::<f64>);
    for mask in 0u32..(1 << eligible.len()) {
        let set: Vec<usize> = (0..eligible.len())
            .filter(|&k| mask >> k & 1 == 1)
            .map(|k| eligible[k])
            .collect();
        if !reach(value(&set)) {
            continue;
        }
        let s = spent(&set);
        free_truth = Some(free_truth.map_or(s, |x| x.min(s)));
        let open = open_per_district(p, &c.district, &set);
        if (0..ND).all(|d| open[d] >= lo[d] && open[d] <= c.max[d]) {
            truth = Some(truth.map_or(s, |x| x.min(s)));
        }
    }
    let plan = &t.plan.solution;
    let cost = t.target.cost.expect("a cost outcome");
    let open = open_per_district(p, &c.district, &plan.selected);
    assert!(
        (0..ND).all(|d| open[d] >= lo[d] && open[d] <= c.max[d]),
        "{what}: {open:?} {lo:?} {:?}",
        c.max
    );
    assert!(close(plan.objective, value(&plan.selected)), "{what}");
    assert!(plan.bound >= plan.objective, "{what}");
    assert!(
        close(cost.spent, spent(&plan.selected)),
        "{what}: {} vs {:?}",
        cost.spent,
        plan.selected
    );
    assert_eq!(t.plan.equity.len(), plan.selected.len(), "{what}");
    // Without the rule: the same budget.
    assert!(
        spent(&t.plan.unconstrained.selected) <= cost.spent * (1.0 + 1e-12),
        "{what}"
    );
    match (truth, &t.target.solution) {
        (Some(least), Some(s)) => {
            assert_eq!(s, plan, "{what}");
            assert!(reach(s.objective), "{what}: short of the goal");
            assert!(
                cost.spent >= least * (1.0 - 1e-12),
                "{what}: {} below {least}",
                cost.spent
            );
            assert!(
                cost.lower <= least * (1.0 + 1e-12),
                "{what}: lower bound {} above the least cost {least}",
                cost.lower
            );
            assert!(cost.lower <= cost.spent, "{what}");
            tally.cases += 1;
            tally.least += usize::from(cost.spent <= least * (1.0 + 1e-9));
            let free = free_truth.expect("reachable without the rule");
            tally.binding += usize::from(least > free * (1.0 + 1e-9));
            tally.quota_bound += usize::from(cost.lower > free * (1.0 + 1e-9));
            tally.lower_sum += cost.lower;
            tally.truth_sum += least;
        }
        (None, None) => assert!(cost.lower.is_infinite() || free_truth.is_some(), "{what}"),
        (Some(least), None) => {
            // Only with maxima may the search miss a reachable share.
            assert!(c.max.iter().any(|&x| x != usize::MAX), "{what}: missed {least}");
        }
        (None, Some(s)) => panic!("{what}: {:?} reaches an unreachable goal", s.selected),
    }
}

#[test]
fn least_cost_targets_under_quotas_match_enumeration() {
    let mut tally = Tally::default();
    for seed in 0..50 {
        let mut rng = Rng(4100 + seed);
        let m = 10;
        let c = case(&mut rng, m, seed % 4 == 0, seed % 2 == 0);
        let locked_in: Vec<bool> = (0..m).map(|j| seed % 3 == 0 && j == 1).collect();
        let q = Quotas {
            district: &c.district,
            min: &c.min,
            max: &c.max,
            priority: &[],
        };
        let p = Problem {
            demand: &c.demand,
            coverage: &c.cov,
            limit: Limit::Count(0),
            cost: Some(&c.cost),
            locked_in: &locked_in,
            locked_out: &[],
        };
        for share in [0.2, 0.4, 0.6, 0.8] {
            let what = format!("seed {seed} share {share}");
            let t = solve_cost_target_with_quotas(&p, share, &q, &Options::default()).unwrap();
            check(&p, &c, &q, &t, &|s| coverage_of(&p, s), &mut tally, &what);
        }
    }
    eprintln!("{tally:?}");
    assert!(tally.cases >= 120, "{tally:?}");
    assert!(tally.least * 100 >= tally.cases * 96, "{tally:?}");
    assert!(
        tally.binding >= 30,
        "the rule raises the cost in {} cases only",
        tally.binding
    );
    assert!(tally.quota_bound >= 10, "{tally:?}");
    assert!(tally.lower_sum >= 0.66 * tally.truth_sum, "{tally:?}");
}

#[test]
fn capacitated_least_cost_targets_under_quotas_match_enumeration() {
    let mut tally = Tally::default();
    for seed in 0..40 {
        let mut rng = Rng(4700 + seed);
        let m = 10;
        let c = case(&mut rng, m, seed % 4 == 0, seed % 2 == 1);
        let locked_in: Vec<bool> = (0..m).map(|j| seed % 3 == 0 && j == 1).collect();
        let q = Quotas {
            district: &c.district,
            min: &c.min,
            max: &c.max,
            priority: &[],
        };
        let p = Problem {
            demand: &c.demand,
            coverage: &c.cov,
            limit: Limit::Count(0),
            cost: Some(&c.cost),
            locked_in: &locked_in,
            locked_out: &[],
        };
        for share in [0.2, 0.4, 0.55] {
            let what = format!("seed {seed} share {share}");
            let (t, cs) = solve_capacitated_cost_target_with_quotas(
                &p,
                share,
                &c.capacity,
                &q,
                &CapacityOptions::default(),
            )
            .unwrap();
            let value = |s: &[usize]| assigned_with(&p, &c.capacity, s).unwrap();
            check(&p, &c, &q, &t, &value, &mut tally, &what);
            assert_eq!(cs.selected, t.plan.solution.selected, "{what}");
            assert!(close(cs.objective, t.plan.solution.objective), "{what}");
            assert!(close(cs.load.iter().sum::<f64>(), cs.objective), "{what}");
            for (k, &j) in cs.open.iter().enumerate() {
                assert!(
                    cs.load[k] <= c.capacity[j] * (1.0 + 1e-12),
                    "{what}: site {j} over capacity"
                );
            }
        }
    }
    eprintln!("{tally:?}");
    assert!(tally.cases >= 80, "{tally:?}");
    assert!(tally.least * 100 >= tally.cases * 95, "{tally:?}");
    assert!(
        tally.binding >= 20,
        "the rule raises the cost in {} cases only",
        tally.binding
    );
    assert!(tally.lower_sum >= 0.6 * tally.truth_sum, "{tally:?}");
}
