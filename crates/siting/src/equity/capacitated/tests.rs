//! Capacitated siting under quotas against brute force (every quota-feasible set, each
//! evaluated by the exact flow) on small instances.

use super::*;
use crate::tests::{close, random};
use careblock_core::rng::SplitMix64 as Rng;

#[test]
fn capacitated_quotas_match_brute_force() {
    let (mut runs, mut optimal, mut binding) = (0, 0, 0);
    for seed in 0..40 {
        let mut rng = Rng(2100 + seed);
        let m = 10;
        let (cov, demand) = random(&mut rng, 20, m, 0.25);
        let district: Vec<Option<u32>> = (0..m).map(|j| (j < m - 2).then(|| rng.below(3) as u32)).collect();
        let min: Vec<usize> = (0..3).map(|_| rng.below(3)).collect();
        let max: Vec<usize> = min
            .iter()
            .map(|&lo| if seed % 3 == 0 { lo + 1 } else { usize::MAX })
            .collect();
        let capacity: Vec<f64> = (0..m).map(|_| 3.0 + 15.0 * rng.uniform()).collect();
        let locked_in: Vec<bool> = (0..m).map(|j| seed % 2 == 1 && j == 3).collect();
        let q = Quotas {
            district: &district,
            min: &min,
            max: &max,
            priority: &[],
        };
        for p in 1..=4 {
            let problem = Problem {
                demand: &demand,
                coverage: &cov,
                limit: Limit::Count(p),
                cost: None,
                locked_in: &locked_in,
                locked_out: &[],
            };
            let (c, plan) =
                solve_capacitated_with_quotas(&problem, &capacity, &q, &CapacityOptions::default()).unwrap();
            if !plan.report.over.is_empty() || plan.report.count.is_some() {
                continue;
            }
            let lo: Vec<usize> = (0..3)
                .map(|d| plan.report.locked_in[d] + plan.report.required[d])
                .collect();
            let open_in = |set: &[usize]| {
                let mut open = vec![0usize; 3];
                for (j, d) in district.iter().enumerate() {
                    if let Some(d) = d
                        && (locked_in[j] || set.contains(&j))
                    {
                        open[*d as usize] += 1;
                    }
                }
                open
            };
            // Brute force: every set of p new sites within the (lowered) bounds.
            let eligible: Vec<usize> = (0..m).filter(|&j| !locked_in[j]).collect();
            let mut opt = f64::NEG_INFINITY;
            let mut free_opt = f64::NEG_INFINITY;
            for mask in 0u32..(1 << eligible.len()) {
                if mask.count_ones() as usize != p {
                    continue;
                }
                let set: Vec<usize> = (0..eligible.len())
                    .filter(|&k| mask >> k & 1 == 1)
                    .map(|k| eligible[k])
                    .collect();
                let v = assigned_with(&problem, &capacity, &set).unwrap();
                free_opt = free_opt.max(v);
                let open = open_in(&set);
                if (0..3).all(|d| open[d] >= lo[d] && open[d] <= max[d]) {
                    opt = opt.max(v);
                }
            }
            runs += 1;
            assert_eq!(c.selected.len(), p);
            let open = open_in(&c.selected);
            assert!(
                (0..3).all(|d| open[d] >= lo[d] && open[d] <= max[d]),
                "seed {seed} p {p}"
            );
            assert!(close(
                c.objective,
                assigned_with(&problem, &capacity, &c.selected).unwrap()
            ));
            assert!(c.objective <= opt * (1.0 + 1e-9) + 1e-9, "seed {seed} p {p}");
            assert!(
                c.bound >= opt * (1.0 - 1e-9) - 1e-9,
                "seed {seed} p {p}: bound {} < {opt}",
                c.bound
            );
            assert!(close(*c.cumulative.last().unwrap(), c.objective));
            assert!(close(c.load.iter().sum::<f64>(), c.objective));
            for (k, &j) in c.open.iter().enumerate() {
                assert!(c.load[k] <= capacity[j] * (1.0 + 1e-12), "site {j} over capacity");
            }
            assert!(plan.unconstrained.objective <= free_opt * (1.0 + 1e-9) + 1e-9);
            assert_eq!(plan.solution.selected, c.selected);
            optimal += usize::from(close(c.objective, opt));
            binding += usize::from(free_opt > opt * (1.0 + 1e-9));
        }
    }
    assert!(runs >= 100, "{runs}");
    assert!(binding >= 20, "the rule binds in {binding} of {runs}");
    assert!(optimal * 100 >= runs * 90, "{optimal} of {runs}");
}

/// Under a budget: the plan is affordable, meets the minimums as lowered for the budget
/// (districts in priority order) and stays within the maxima; the brute-force optimum over
/// every quota-feasible affordable set lies between its objective and its bound.
#[test]
fn capacitated_quotas_under_a_budget_match_brute_force() {
    let (mut runs, mut optimal, mut binding, mut lowered) = (0, 0, 0, 0);
    for seed in 0..40 {
        let mut rng = Rng(2500 + seed);
        let m = 10;
        let (cov, demand) = random(&mut rng, 20, m, 0.25);
        let district: Vec<Option<u32>> = (0..m).map(|j| (j < m - 2).then(|| rng.below(3) as u32)).collect();
        let min: Vec<usize> = (0..3).map(|_| rng.below(3)).collect();
        let max: Vec<usize> = min
            .iter()
            .map(|&lo| if seed % 3 == 0 { lo + 1 } else { usize::MAX })
            .collect();
        let capacity: Vec<f64> = (0..m).map(|_| 3.0 + 15.0 * rng.uniform()).collect();
        let cost: Vec<f64> = (0..m)
            .map(|_| {
                if seed % 2 == 0 {
                    (1 + rng.below(4)) as f64
                } else {
                    0.5 + 3.0 * rng.uniform()
                }
            })
            .collect();
        let locked_in: Vec<bool> = (0..m).map(|j| seed % 4 == 1 && j == 3).collect();
        let q = Quotas {
            district: &district,
            min: &min,
            max: &max,
            priority: &[1, 2, 0],
        };
        for budget in [2.0, 3.5, 5.0, 8.0] {
            let problem = Problem {
                demand: &demand,
                coverage: &cov,
                limit: Limit::Budget(budget),
                cost: Some(&cost),
                locked_in: &locked_in,
                locked_out: &[],
            };
            let what = format!("seed {seed} budget {budget}");
            let (c, plan) =
                solve_capacitated_with_quotas(&problem, &capacity, &q, &CapacityOptions::default()).unwrap();
            if !plan.report.over.is_empty() {
                continue;
            }
            let lo: Vec<usize> = (0..3)
                .map(|d| plan.report.locked_in[d] + plan.report.required[d])
                .collect();
            lowered += usize::from(
                plan.report
                    .short
                    .iter()
                    .any(|s| s.reason == crate::ShortReason::Limit),
            );
            let open_in = |set: &[usize]| {
                let mut open = vec![0usize; 3];
                for (j, d) in district.iter().enumerate() {
                    if let Some(d) = d
                        && (locked_in[j] || set.contains(&j))
                    {
                        open[*d as usize] += 1;
                    }
                }
                open
            };
            let spent = |set: &[usize]| set.iter().map(|&j| cost[j]).sum::<f64>();
            // Brute force: every affordable set within the (lowered) bounds.
            let eligible: Vec<usize> = (0..m).filter(|&j| !locked_in[j]).collect();
            let mut opt = f64::NEG_INFINITY;
            let mut free_opt = f64::NEG_INFINITY;
            for mask in 0u32..(1 << eligible.len()) {
                let set: Vec<usize> = (0..eligible.len())
                    .filter(|&k| mask >> k & 1 == 1)
                    .map(|k| eligible[k])
                    .collect();
                if spent(&set) > budget * (1.0 + 1e-12) {
                    continue;
                }
                let v = assigned_with(&problem, &capacity, &set).unwrap();
                free_opt = free_opt.max(v);
                let open = open_in(&set);
                if (0..3).all(|d| open[d] >= lo[d] && open[d] <= max[d]) {
                    opt = opt.max(v);
                }
            }
            runs += 1;
            assert!(
                spent(&c.selected) <= budget * (1.0 + 1e-12),
                "{what}: over budget"
            );
            let open = open_in(&c.selected);
            assert!(
                (0..3).all(|d| open[d] >= lo[d] && open[d] <= max[d]),
                "{what}: {open:?} {lo:?}"
            );
            assert!(close(
                c.objective,
                assigned_with(&problem, &capacity, &c.selected).unwrap()
            ));
            assert!(c.objective <= opt * (1.0 + 1e-9) + 1e-9, "{what}");
            assert!(
                c.bound >= opt * (1.0 - 1e-9) - 1e-9,
                "{what}: bound {} < {opt}",
                c.bound
            );
            assert!(c.bound >= free_opt * (1.0 - 1e-9) - 1e-9, "{what}");
            assert!(close(c.load.iter().sum::<f64>(), c.objective));
            for (k, &j) in c.open.iter().enumerate() {
                assert!(
                    c.load[k] <= capacity[j] * (1.0 + 1e-12),
                    "{what}: site {j} over capacity"
                );
            }
            assert!(spent(&plan.unconstrained.selected) <= budget * (1.0 + 1e-12));
            assert!(plan.unconstrained.objective <= free_opt * (1.0 + 1e-9) + 1e-9);
            assert_eq!(plan.solution.selected, c.selected);
            assert_eq!(plan.equity.len(), c.selected.len());
            optimal += usize::from(close(c.objective, opt));
            binding += usize::from(free_opt > opt * (1.0 + 1e-9));
        }
    }
    eprintln!(
        "{runs} runs: {optimal} optimal, the rule binds in {binding}, the budget lowers a minimum in {lowered}"
    );
    assert!(runs >= 120, "{runs}");
    assert!(binding >= 20, "the rule binds in {binding} of {runs}");
    assert!(
        lowered >= 10,
        "the budget lowers a minimum in {lowered} of {runs}"
    );
    assert!(optimal * 100 >= runs * 85, "{optimal} of {runs}");
}
