//! Tests of the solver against brute force, of its invariants, errors and determinism.

use std::time::Instant;

use geo::Point;

use super::*;
use careblock_core::join::points_within_distance;

use careblock_core::rng::SplitMix64 as Rng;

/// A random instance: each candidate covers each unit with probability `density`, half of the
/// pairs fully and half with a random fraction; some demands are 0.
pub(super) fn random(rng: &mut Rng, n: usize, m: usize, density: f64) -> (Coverage, Vec<f64>) {
    let mut rows = vec![Vec::new(); m];
    for row in &mut rows {
        for u in 0..n as u32 {
            if rng.uniform() < density {
                row.push((
                    u,
                    if rng.uniform() < 0.5 {
                        1.0
                    } else {
                        1.0 - rng.uniform()
                    },
                ));
            }
        }
    }
    let demand = (0..n)
        .map(|_| {
            if rng.uniform() < 0.1 {
                0.0
            } else {
                (rng.uniform() * 10.0).floor() + rng.uniform()
            }
        })
        .collect();
    (Coverage::from_rows(n, rows).unwrap(), demand)
}

fn problem<'a>(coverage: &'a Coverage, demand: &'a [f64], limit: Limit) -> Problem<'a> {
    Problem {
        demand,
        coverage,
        limit,
        cost: None,
        locked_in: &[],
        locked_out: &[],
    }
}

fn exact() -> Options {
    Options {
        exact_max_nodes: 1_000_000,
        ..Options::default()
    }
}

/// The best objective over all feasible sets of new sites, and one set reaching it.
pub(super) fn brute_force(p: &Problem<'_>) -> (f64, Vec<usize>) {
    let m = p.coverage.n_candidates();
    let flag = |v: &[bool], j: usize| v.get(j).copied().unwrap_or(false);
    let eligible: Vec<usize> = (0..m)
        .filter(|&j| !flag(p.locked_in, j) && !flag(p.locked_out, j))
        .collect();
    let mut best = (f64::NEG_INFINITY, Vec::new());
    for mask in 0u32..(1 << eligible.len()) {
        let set: Vec<usize> = (0..eligible.len())
            .filter(|&k| mask >> k & 1 == 1)
            .map(|k| eligible[k])
            .collect();
        let feasible = match p.limit {
            Limit::Count(k) => set.len() == k,
            Limit::Budget(b) => set.iter().map(|&j| p.cost.unwrap()[j]).sum::<f64>() <= b,
        };
        if feasible {
            let v = coverage_of(p, &set);
            if v > best.0 {
                best = (v, set);
            }
        }
    }
    best
}

pub(super) fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Invariants every solution must satisfy.
fn check(p: &Problem<'_>, s: &Solution) {
    let flag = |v: &[bool], j: usize| v.get(j).copied().unwrap_or(false);
    assert!(close(s.objective, coverage_of(p, &s.selected)));
    assert!(close(s.locked_in_coverage, coverage_of(p, &[])));
    assert!(
        s.bound >= s.objective,
        "bound {} < objective {}",
        s.bound,
        s.objective
    );
    assert!((0.0..=1.0).contains(&s.gap));
    assert_eq!(s.marginal_gain.len(), s.selected.len());
    assert_eq!(s.cumulative.len(), s.selected.len());
    let mut previous = s.locked_in_coverage;
    for k in 0..s.selected.len() {
        assert!(s.cumulative[k] >= previous);
        assert!(close(s.cumulative[k] - previous, s.marginal_gain[k]));
        assert!(close(s.cumulative[k], coverage_of(p, &s.selected[..=k])));
        // Each next site has the largest gain among the rest of the set.
        for &later in &s.selected[k + 1..] {
            let mut with = s.selected[..k].to_vec();
            with.push(later);
            let gain = coverage_of(p, &with) - coverage_of(p, &s.selected[..k]);
            assert!(gain <= s.marginal_gain[k] + 1e-9 * s.objective.max(1.0));
        }
        previous = s.cumulative[k];
    }
    if let Some(&last) = s.cumulative.last() {
        assert_eq!(last, s.objective);
    }
    let mut sorted = s.selected.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), s.selected.len(), "a site selected twice");
    for &j in &s.selected {
        assert!(!flag(p.locked_in, j) && !flag(p.locked_out, j));
    }
    match p.limit {
        Limit::Count(k) => assert_eq!(s.selected.len(), k),
        // Exact for the costs of the brute-force tests (multiples of 1/4); otherwise up to the
        // rounding of the sum, which depends on its order.
        Limit::Budget(b) => {
            assert!(s.selected.iter().map(|&j| p.cost.unwrap()[j]).sum::<f64>() <= b * (1.0 + 1e-12))
        }
    }
    assert!(s.irreplaceability.iter().all(|&l| l >= 0.0));
    // Per-unit coverage.
    let open: Vec<usize> = (0..p.coverage.n_candidates())
        .filter(|&j| flag(p.locked_in, j) || s.selected.contains(&j))
        .collect();
    for u in 0..p.coverage.n_units() {
        let mut best = (0.0, None);
        for &j in &open {
            if let Some(&(_, f)) = p.coverage.row(j).iter().find(|e| e.0 as usize == u)
                && f > best.0
            {
                best = (f, Some(j));
            }
        }
        assert_eq!((s.unit_coverage[u], s.unit_site[u]), best);
    }
}

#[test]
fn count_matches_brute_force() {
    let mut rng = Rng(7);
    let (mut runs, mut heuristic_optimal) = (0, 0);
    for round in 0..30 {
        let (coverage, demand) = random(&mut rng, 40, 12, 0.2);
        let mut locked_in = vec![false; 12];
        let mut locked_out = vec![false; 12];
        if round % 3 == 1 {
            locked_in[rng.below(12)] = true;
        }
        if round % 3 == 2 {
            let j = rng.below(12);
            locked_out[j] = !locked_in[j];
        }
        for p in 1..=4 {
            let pr = Problem {
                locked_in: &locked_in,
                locked_out: &locked_out,
                ..problem(&coverage, &demand, Limit::Count(p))
            };
            let (opt, _) = brute_force(&pr);
            let s = solve(&pr, &Options::default()).unwrap();
            check(&pr, &s);
            assert!(s.objective <= opt + 1e-9 * opt);
            assert!(s.bound >= opt - 1e-9 * opt, "bound {} < optimum {opt}", s.bound);
            if s.optimal {
                assert!(close(s.objective, opt));
            }
            runs += 1;
            heuristic_optimal += usize::from(close(s.objective, opt));
            let e = solve(&pr, &exact()).unwrap();
            check(&pr, &e);
            assert!(e.optimal);
            assert!(
                close(e.objective, opt),
                "exact {} vs brute force {opt}",
                e.objective
            );
            assert!(e.bound >= opt - 1e-9 * opt);
        }
    }
    // Greedy + interchange is optimal on nearly all of these small instances.
    assert!(
        heuristic_optimal * 10 >= runs * 9,
        "{heuristic_optimal} of {runs}"
    );
}

#[test]
fn budget_matches_brute_force() {
    let mut rng = Rng(11);
    for round in 0..25 {
        let (coverage, demand) = random(&mut rng, 40, 12, 0.2);
        // Multiples of 1/4, so sums are exact whatever the order.
        let cost: Vec<f64> = (0..12).map(|_| 0.5 + 0.25 * rng.below(11) as f64).collect();
        let mut locked_in = vec![false; 12];
        if round % 2 == 1 {
            locked_in[rng.below(12)] = true;
        }
        for budget in [1.0, 2.5, 4.0, 6.25] {
            let pr = Problem {
                cost: Some(&cost),
                locked_in: &locked_in,
                ..problem(&coverage, &demand, Limit::Budget(budget))
            };
            let (opt, _) = brute_force(&pr);
            let s = solve(&pr, &Options::default()).unwrap();
            check(&pr, &s);
            assert!(s.objective <= opt + 1e-9 * opt);
            assert!(s.bound >= opt - 1e-9 * opt, "bound {} < optimum {opt}", s.bound);
            // Khuller–Moss–Naor: the heuristic keeps at least (1 − 1/√e) of the optimum.
            let locked = coverage_of(&pr, &[]);
            assert!(s.objective - locked >= (1.0 - (-0.5f64).exp()) * (opt - locked) - 1e-9);
            let e = solve(&pr, &exact()).unwrap();
            check(&pr, &e);
            assert!(e.optimal);
            assert!(
                close(e.objective, opt),
                "exact {} vs brute force {opt}",
                e.objective
            );
        }
    }
}

#[test]
fn locked_sites_count_first_and_locked_out_never_open() {
    // Candidate 0 (locked in) covers units 0-2; candidate 1 the same units, and is better on
    // none; candidate 2 (locked out) covers the heaviest unit.
    let coverage = Coverage::from_rows(
        5,
        vec![
            vec![(0, 1.0), (1, 1.0), (2, 1.0)],
            vec![(0, 1.0), (1, 1.0), (2, 1.0)],
            vec![(4, 1.0)],
            vec![(3, 1.0)],
            vec![(3, 0.5), (4, 0.5)],
        ],
    )
    .unwrap();
    let demand = [1.0, 2.0, 3.0, 4.0, 100.0];
    let pr = Problem {
        locked_in: &[true, false, false, false, false],
        locked_out: &[false, false, true, false, false],
        ..problem(&coverage, &demand, Limit::Count(1))
    };
    let s = solve(&pr, &exact()).unwrap();
    check(&pr, &s);
    assert_eq!(s.locked_in_coverage, 6.0);
    assert_eq!(s.selected, vec![4]);
    assert_eq!(s.objective, 6.0 + 52.0);
    assert!(s.optimal);
    assert_eq!(s.unit_site, vec![Some(0), Some(0), Some(0), Some(4), Some(4)]);
    let s = solve(
        &Problem {
            limit: Limit::Count(2),
            ..pr
        },
        &Options::default(),
    )
    .unwrap();
    assert_eq!(s.selected, vec![4, 3]);
    assert_eq!(s.marginal_gain, vec![52.0, 2.0]);
    assert_eq!(s.cumulative, vec![58.0, 60.0]);
    // Candidate 1 only duplicates the locked-in site: with three sites it comes last, gaining 0.
    let s = solve(
        &Problem {
            limit: Limit::Count(3),
            ..pr
        },
        &Options::default(),
    )
    .unwrap();
    assert_eq!(s.selected, vec![4, 3, 1]);
    assert_eq!(s.marginal_gain[2], 0.0);
    assert_eq!(s.irreplaceability[2], 0.0);
}

#[test]
fn fractions_take_the_max_not_the_sum() {
    let coverage =
        Coverage::from_rows(2, vec![vec![(0, 0.5)], vec![(0, 0.7)], vec![(0, 0.7), (1, 0.2)]]).unwrap();
    let demand = [10.0, 0.0];
    let pr = problem(&coverage, &demand, Limit::Count(2));
    assert!((coverage_of(&pr, &[0, 1]) - 7.0).abs() < 1e-12);
    assert!((coverage_of(&pr, &[0, 1, 2]) - 7.0).abs() < 1e-12);
    let s = solve(&pr, &exact()).unwrap();
    check(&pr, &s);
    assert!((s.objective - 7.0).abs() < 1e-12);
    assert!(s.bound >= s.objective && s.optimal);
    // Sites 1 and 2 tie on unit 0: the lower index is reported.
    assert_eq!(s.unit_site[0], Some(1));
    assert_eq!(
        s.unit_coverage,
        vec![0.7, if s.selected.contains(&2) { 0.2 } else { 0.0 }]
    );
}

#[test]
fn count_zero_and_unaffordable_budgets_keep_the_locked_in_sites() {
    let coverage = Coverage::from_rows(3, vec![vec![(0, 1.0)], vec![(1, 1.0)], vec![(2, 1.0)]]).unwrap();
    let demand = [1.0, 2.0, 3.0];
    let pr = Problem {
        locked_in: &[true, false, false],
        ..problem(&coverage, &demand, Limit::Count(0))
    };
    let s = solve(&pr, &Options::default()).unwrap();
    check(&pr, &s);
    assert!(s.selected.is_empty() && s.cumulative.is_empty());
    assert_eq!((s.objective, s.bound, s.gap, s.optimal), (1.0, 1.0, 0.0, true));
    // Count(0) needs no eligible candidate.
    let s = solve(
        &Problem {
            locked_out: &[false, true, true],
            ..pr
        },
        &Options::default(),
    )
    .unwrap();
    assert_eq!(s.objective, 1.0);

    let cost = [1.0, 5.0, 6.0];
    let pr = Problem {
        cost: Some(&cost),
        limit: Limit::Budget(4.0),
        ..pr
    };
    let s = solve(&pr, &Options::default()).unwrap();
    check(&pr, &s);
    assert!(s.selected.is_empty());
    assert_eq!((s.objective, s.bound, s.optimal), (1.0, 1.0, true));
    let s = solve(
        &Problem {
            limit: Limit::Budget(11.0),
            ..pr
        },
        &Options::default(),
    )
    .unwrap();
    assert_eq!((s.selected, s.objective), (vec![2, 1], 6.0));

    // Every eligible candidate asked for: all chosen, and proven optimal.
    let pr = problem(&coverage, &demand, Limit::Count(3));
    let s = solve(&pr, &Options::default()).unwrap();
    assert_eq!(
        (s.selected, s.optimal, s.irreplaceability),
        (vec![2, 1, 0], true, vec![3.0, 2.0, 1.0])
    );
}

#[test]
fn irreplaceability_is_the_loss_without_the_site() {
    // Site 0 alone reaches unit 0 (demand 50); sites 1 and 2 both reach unit 1 (demand 40),
    // site 3 reaches unit 2 (demand 1).
    let coverage = Coverage::from_rows(
        3,
        vec![vec![(0, 1.0)], vec![(1, 1.0)], vec![(1, 1.0)], vec![(2, 1.0)]],
    )
    .unwrap();
    let demand = [50.0, 40.0, 1.0];
    let pr = problem(&coverage, &demand, Limit::Count(2));
    let s = solve(&pr, &Options::default()).unwrap();
    check(&pr, &s);
    assert_eq!(s.selected, vec![0, 1]);
    // Without 0, the best pair is {1, 3}: 41, a loss of 49. Without 1, site 2 replaces it.
    assert_eq!(s.irreplaceability, vec![49.0, 0.0]);
    let s = solve(
        &pr,
        &Options {
            irreplaceability: false,
            ..Options::default()
        },
    )
    .unwrap();
    assert!(s.irreplaceability.is_empty());
}

#[test]
fn errors_name_the_offending_value() {
    let coverage = Coverage::from_rows(2, vec![vec![(0, 1.0)], vec![(1, 1.0)]]).unwrap();
    let demand = [1.0, 2.0];
    let ok = problem(&coverage, &demand, Limit::Count(1));
    let o = Options::default();
    let err = |p: Problem<'_>| solve(&p, &o).unwrap_err();
    assert_eq!(
        err(Problem { demand: &[1.0], ..ok }),
        SitingError::Length {
            what: "demand",
            found: 1,
            expected: 2,
            of: "units"
        }
    );
    assert_eq!(
        err(Problem {
            cost: Some(&[1.0]),
            ..ok
        }),
        SitingError::Length {
            what: "cost",
            found: 1,
            expected: 2,
            of: "candidates"
        }
    );
    assert!(matches!(
        err(Problem {
            locked_in: &[true],
            ..ok
        }),
        SitingError::Length {
            what: "locked_in",
            ..
        }
    ));
    assert!(matches!(
        err(Problem {
            locked_out: &[true, false, false],
            ..ok
        }),
        SitingError::Length {
            what: "locked_out",
            found: 3,
            ..
        }
    ));
    assert_eq!(
        err(Problem {
            demand: &[1.0, -2.0],
            ..ok
        }),
        SitingError::Demand { unit: 1, value: -2.0 }
    );
    assert!(matches!(
        err(Problem { demand: &[f64::NAN, 1.0], ..ok }),
        SitingError::Demand { unit: 0, value } if value.is_nan()
    ));
    assert_eq!(
        err(Problem {
            locked_in: &[false, true],
            locked_out: &[false, true],
            ..ok
        }),
        SitingError::LockedBoth { candidate: 1 }
    );
    for b in [0.0, -1.0, f64::INFINITY] {
        assert_eq!(
            err(Problem {
                limit: Limit::Budget(b),
                cost: Some(&[1.0, 1.0]),
                ..ok
            }),
            SitingError::Budget(b)
        );
    }
    assert!(matches!(
        err(Problem { limit: Limit::Budget(f64::NAN), cost: Some(&[1.0, 1.0]), ..ok }),
        SitingError::Budget(b) if b.is_nan()
    ));
    assert_eq!(
        err(Problem {
            limit: Limit::Budget(1.0),
            ..ok
        }),
        SitingError::MissingCost
    );
    assert_eq!(
        err(Problem {
            limit: Limit::Budget(1.0),
            cost: Some(&[1.0, 0.0]),
            ..ok
        }),
        SitingError::Cost {
            candidate: 1,
            value: 0.0
        }
    );
    // The cost of a locked-in site is not used.
    assert!(
        solve(
            &Problem {
                limit: Limit::Budget(1.0),
                cost: Some(&[1.0, 0.0]),
                locked_in: &[false, true],
                ..ok
            },
            &o
        )
        .is_ok()
    );
    assert_eq!(
        err(Problem {
            locked_in: &[true, false],
            locked_out: &[false, true],
            ..ok
        }),
        SitingError::NoEligible {
            candidates: 2,
            locked_in: 1,
            locked_out: 1
        }
    );
    assert_eq!(
        err(Problem {
            limit: Limit::Count(3),
            ..ok
        }),
        SitingError::TooFewCandidates {
            requested: 3,
            eligible: 2
        }
    );
    let none = Coverage::from_rows(2, vec![]).unwrap();
    assert_eq!(
        err(problem(&none, &demand, Limit::Count(1))),
        SitingError::NoEligible {
            candidates: 0,
            locked_in: 0,
            locked_out: 0
        }
    );
    let message = SitingError::TooFewCandidates {
        requested: 3,
        eligible: 2,
    }
    .to_string();
    assert!(message.contains('3') && message.contains('2'), "{message}");
}

#[test]
fn same_result_whatever_the_thread_count() {
    let mut rng = Rng(3);
    let (coverage, demand) = random(&mut rng, 3000, 150, 0.01);
    let cost: Vec<f64> = (0..150).map(|_| 1.0 + rng.uniform()).collect();
    let count = problem(&coverage, &demand, Limit::Count(8));
    let budget = Problem {
        cost: Some(&cost),
        ..problem(&coverage, &demand, Limit::Budget(9.0))
    };
    let options = Options {
        exact_max_nodes: 50,
        ..Options::default()
    };
    let run = |threads: usize, p: &Problem<'_>| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| solve(p, &options).unwrap())
    };
    for p in [count, budget] {
        let one = run(1, &p);
        check(&p, &one);
        assert_eq!(one, run(2, &p));
        assert_eq!(one, run(3, &p));
    }
}

/// Units on a grid, candidates scattered, centroid rule within `radius`.
fn grid(nx: usize, ny: usize, spacing: f64, m: usize, radius: f64, seed: u64) -> (Coverage, Vec<f64>) {
    let mut rng = Rng(seed);
    let units: Vec<Option<Point<f64>>> = (0..nx * ny)
        .map(|k| Some(Point::new((k % nx) as f64 * spacing, (k / nx) as f64 * spacing)))
        .collect();
    let (w, h) = (nx as f64 * spacing, ny as f64 * spacing);
    let candidates: Vec<Option<Point<f64>>> = (0..m)
        .map(|_| Some(Point::new(rng.uniform() * w, rng.uniform() * h)))
        .collect();
    // Demand with broad hot spots, as census counts have.
    let demand = units
        .iter()
        .map(|p| {
            let p = p.unwrap();
            let wave = ((p.x() / w * 7.0).sin() * (p.y() / h * 5.0).cos()).abs();
            (10.0 * wave + 3.0 * rng.uniform()).floor()
        })
        .collect();
    let nb = points_within_distance(&candidates, &units, radius).unwrap();
    (Coverage::from_neighbours(units.len(), &nb), demand)
}

#[test]
fn large_grid_has_a_small_certified_gap() {
    let (coverage, demand) = grid(250, 200, 50.0, 500, 400.0, 5);
    let locked_in: Vec<bool> = (0..500).map(|j| j % 100 == 0).collect();
    let pr = Problem {
        locked_in: &locked_in,
        ..problem(&coverage, &demand, Limit::Count(20))
    };
    let t = Instant::now();
    let s = solve(&pr, &Options::default()).unwrap();
    let elapsed = t.elapsed();
    assert!(close(s.objective, coverage_of(&pr, &s.selected)));
    assert!(s.bound >= s.objective);
    assert!(s.gap < 0.01, "gap {}", s.gap);
    assert_eq!(s.selected.len(), 20);
    assert_eq!(s.irreplaceability.len(), 20);
    eprintln!(
        "50k units, {} pairs: objective {:.1}, bound {:.1}, gap {:.2e}, {elapsed:?}",
        coverage.n_pairs(),
        s.objective,
        s.bound,
        s.gap
    );
}

#[test]
#[ignore = "timing of the full solve on 500k units; run with --release -- --ignored"]
fn timing_500k_units_2000_candidates() {
    // ~124 m spacing: an 800 m radius reaches ~130 unit centroids.
    let (coverage, demand) = grid(708, 708, 124.0, 2000, 800.0, 9);
    let cost: Vec<f64> = (0..2000).map(|j| 1.0 + 0.5 * (j % 5) as f64).collect();
    for limit in [Limit::Count(20), Limit::Budget(40.0)] {
        let pr = Problem {
            cost: Some(&cost),
            ..problem(&coverage, &demand, limit)
        };
        let t = Instant::now();
        let s = solve(&pr, &Options::default()).unwrap();
        let elapsed = t.elapsed();
        assert!(s.bound >= s.objective);
        eprintln!(
            "{} units, {} candidates, {} pairs, {limit:?}: {} sites, objective {:.1}, bound {:.1}, gap {:.2e}, solve {elapsed:?}",
            coverage.n_units(),
            coverage.n_candidates(),
            coverage.n_pairs(),
            s.selected.len(),
            s.objective,
            s.bound,
            s.gap
        );
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        /// heuristic ≤ brute-force optimum ≤ bound, and the exact mode reaches the optimum, for
        /// counts and budgets, with locked-in and locked-out sites.
        #[test]
        fn heuristic_optimum_and_bound_are_ordered(
            demand in prop::collection::vec(0.0..20.0f64, 1..25),
            rows in prop::collection::vec(prop::collection::vec((0u32..25, 0.05..=1.0f64), 0..8), 1..9),
            p in 0usize..4,
            locks in prop::collection::vec(0u8..6, 9),
            budget in prop::option::of(0.5..6.0f64),
        ) {
            let n = demand.len();
            let m = rows.len();
            let rows = rows.into_iter().map(|r| r.into_iter().map(|(u, f)| (u % n as u32, f)).collect()).collect();
            let coverage = Coverage::from_rows(n, rows).unwrap();
            let locked_in: Vec<bool> = (0..m).map(|j| locks[j] == 0).collect();
            let locked_out: Vec<bool> = (0..m).map(|j| locks[j] == 1).collect();
            let cost: Vec<f64> = (0..m).map(|j| 1.0 + 0.5 * (j % 3) as f64).collect();
            let limit = budget.map_or(Limit::Count(p), Limit::Budget);
            let pr = Problem { demand: &demand, coverage: &coverage, limit, cost: Some(&cost), locked_in: &locked_in, locked_out: &locked_out };
            let eligible = (0..m).filter(|&j| locks[j] > 1).count();
            match solve(&pr, &Options::default()) {
                Err(SitingError::NoEligible { .. }) => prop_assert!(eligible == 0),
                Err(SitingError::TooFewCandidates { requested, eligible: e }) => {
                    prop_assert!(requested == p && e == eligible && p > eligible)
                }
                Err(e) => prop_assert!(false, "unexpected error {e}"),
                Ok(s) => {
                    check(&pr, &s);
                    let (opt, _) = brute_force(&pr);
                    prop_assert!(s.objective <= opt + 1e-9 * opt);
                    prop_assert!(s.bound >= opt - 1e-9 * opt, "bound {} < optimum {}", s.bound, opt);
                    let e = solve(&pr, &exact()).unwrap();
                    check(&pr, &e);
                    prop_assert!(e.optimal && close(e.objective, opt), "exact {} vs {}", e.objective, opt);
                }
            }
        }
    }
}

// --- Territorial equity (quotas per district) ---

/// Random quotas over 12 candidates: 3 districts, candidates 9.. in none; minimums 0–2,
/// maxima from the minimum to 4 or none.
fn random_quotas(rng: &mut Rng, m: usize) -> (Vec<Option<u32>>, Vec<usize>, Vec<usize>) {
    let district: Vec<Option<u32>> = (0..m).map(|j| (j < m - 3).then(|| rng.below(3) as u32)).collect();
    let min: Vec<usize> = (0..3).map(|_| rng.below(3)).collect();
    let max: Vec<usize> = min
        .iter()
        .map(|&lo| {
            if rng.uniform() < 0.4 {
                usize::MAX
            } else {
                lo + rng.below(3)
            }
        })
        .collect();
    (district, min, max)
}

/// The best objective over every set of new sites within the limit that keeps each district's
/// open sites (locked-in included) within `[min, max]`; `None` when no set is feasible.
fn brute_force_quotas(
    p: &Problem<'_>,
    district: &[Option<u32>],
    min: &[usize],
    max: &[usize],
) -> Option<(f64, Vec<usize>)> {
    let m = p.coverage.n_candidates();
    let flag = |v: &[bool], j: usize| v.get(j).copied().unwrap_or(false);
    let eligible: Vec<usize> = (0..m)
        .filter(|&j| !flag(p.locked_in, j) && !flag(p.locked_out, j))
        .collect();
    let mut best: Option<(f64, Vec<usize>)> = None;
    for mask in 0u32..(1 << eligible.len()) {
        let set: Vec<usize> = (0..eligible.len())
            .filter(|&k| mask >> k & 1 == 1)
            .map(|k| eligible[k])
            .collect();
        let within = match p.limit {
            Limit::Count(k) => set.len() == k,
            Limit::Budget(b) => set.iter().map(|&j| p.cost.unwrap()[j]).sum::<f64>() <= b,
        };
        let mut open = vec![0usize; min.len()];
        for j in (0..m).filter(|&j| flag(p.locked_in, j) || set.contains(&j)) {
            if let Some(d) = district[j] {
                open[d as usize] += 1;
            }
        }
        let balanced = (0..min.len()).all(|d| open[d] >= min[d] && open[d] <= max[d]);
        if within && balanced {
            let v = coverage_of(p, &set);
            if best.as_ref().is_none_or(|b| v > b.0) {
                best = Some((v, set));
            }
        }
    }
    best
}

/// Checks a quota solution against brute force over the constrained problem it solved (the
/// minimums and `p` as lowered by the report), and returns whether the heuristic was optimal.
fn check_quotas(pr: &Problem<'_>, q: &Quotas<'_>, r: &QuotaSolution, exact_mode: bool) -> bool {
    let s = &r.solution;
    let limit = match (pr.limit, r.report.count) {
        (Limit::Count(_), Some(c)) => Limit::Count(c),
        (l, _) => l,
    };
    let solved = Problem { limit, ..*pr };
    check(&solved, s);
    let nd = q.min.len();
    let lowered: Vec<usize> = (0..nd)
        .map(|d| r.report.locked_in[d] + r.report.required[d])
        .collect();
    let (opt, _) = brute_force_quotas(&solved, q.district, &lowered, q.max)
        .expect("the lowered problem is feasible whenever no maximum is already exceeded");
    // The solution keeps every district within its (lowered) bounds.
    let mut open = vec![0usize; nd];
    for (j, d) in q.district.iter().enumerate() {
        if let Some(d) = d
            && (pr.locked_in.get(j).copied().unwrap_or(false) || s.selected.contains(&j))
        {
            open[*d as usize] += 1;
        }
    }
    for d in 0..nd {
        assert!(
            open[d] >= lowered[d] && open[d] <= q.max[d].max(r.report.locked_in[d]),
            "district {d}: {open:?} {lowered:?} {:?}",
            q.max
        );
    }
    assert!(
        s.objective <= opt + 1e-9 * opt.max(1.0),
        "{} > optimum {opt}",
        s.objective
    );
    assert!(
        s.bound >= opt - 1e-9 * opt.max(1.0),
        "bound {} < optimum {opt}",
        s.bound
    );
    if exact_mode {
        assert!(s.optimal);
        assert!(
            close(s.objective, opt),
            "exact {} vs brute force {opt}",
            s.objective
        );
        // Without the rule the optimum can only be larger.
        assert!(r.unconstrained.objective >= s.objective - 1e-9 * opt.max(1.0));
    }
    if s.optimal {
        assert!(close(s.objective, opt));
    }
    // Flags: one per site, at most the required sites per district.
    assert_eq!(r.equity.len(), s.selected.len());
    let flagged: usize = r.equity.iter().filter(|&&e| e).count();
    assert!(flagged <= r.report.required.iter().sum::<usize>());
    close(s.objective, opt)
}

#[test]
fn quotas_count_match_brute_force() {
    let mut rng = Rng(19);
    let (mut runs, mut optimal, mut binding) = (0, 0, 0);
    for round in 0..30 {
        let (coverage, demand) = random(&mut rng, 40, 12, 0.2);
        let (district, min, max) = random_quotas(&mut rng, 12);
        let mut locked_in = vec![false; 12];
        if round % 2 == 1 {
            locked_in[rng.below(12)] = true;
        }
        let quotas = Quotas {
            district: &district,
            min: &min,
            max: &max,
            priority: &[],
        };
        for p in 1..=5 {
            let pr = Problem {
                locked_in: &locked_in,
                ..problem(&coverage, &demand, Limit::Count(p))
            };
            let r = solve_with_quotas(&pr, &quotas, &Options::default()).unwrap();
            if !r.report.over.is_empty() {
                continue; // a locked-in site above a maximum: not a feasible problem to compare
            }
            runs += 1;
            optimal += usize::from(check_quotas(&pr, &quotas, &r, false));
            let e = solve_with_quotas(&pr, &quotas, &exact()).unwrap();
            check_quotas(&pr, &quotas, &e, true);
            binding += usize::from(e.unconstrained.objective > e.solution.objective * (1.0 + 1e-9));
        }
    }
    assert!(runs >= 100, "{runs}");
    // The rule costs coverage in a good share of the instances: the comparison is not vacuous.
    assert!(binding * 4 >= runs, "{binding} of {runs}");
    assert!(optimal * 10 >= runs * 9, "{optimal} of {runs}");
}

#[test]
fn quotas_budget_match_brute_force() {
    let mut rng = Rng(23);
    for round in 0..20 {
        let (coverage, demand) = random(&mut rng, 40, 12, 0.2);
        let (district, min, max) = random_quotas(&mut rng, 12);
        let cost: Vec<f64> = (0..12).map(|_| 0.5 + 0.25 * rng.below(11) as f64).collect();
        let mut locked_in = vec![false; 12];
        if round % 2 == 1 {
            locked_in[rng.below(12)] = true;
        }
        let quotas = Quotas {
            district: &district,
            min: &min,
            max: &max,
            priority: &[],
        };
        for budget in [1.0, 2.5, 4.0, 6.25] {
            let pr = Problem {
                cost: Some(&cost),
                locked_in: &locked_in,
                ..problem(&coverage, &demand, Limit::Budget(budget))
            };
            let r = solve_with_quotas(&pr, &quotas, &Options::default()).unwrap();
            if !r.report.over.is_empty() {
                continue;
            }
            check_quotas(&pr, &quotas, &r, false);
            let e = solve_with_quotas(&pr, &quotas, &exact()).unwrap();
            check_quotas(&pr, &quotas, &e, true);
        }
    }
}

/// Two districts: district 0 holds the heavy units, district 1 a light one.
fn two_districts() -> (Coverage, Vec<f64>) {
    let coverage = Coverage::from_rows(
        5,
        vec![
            vec![(0, 1.0)], // 0: district 0
            vec![(1, 1.0)], // 1: district 0
            vec![(2, 1.0)], // 2: district 0
            vec![(3, 1.0)], // 3: district 1
            vec![(4, 1.0)], // 4: district 1, locked in
        ],
    )
    .unwrap();
    (coverage, vec![10.0, 9.0, 8.0, 1.0, 0.5])
}

#[test]
fn minimums_count_existing_sites_and_maxima_cap() {
    let (coverage, demand) = two_districts();
    let district = [Some(0), Some(0), Some(0), Some(1), Some(1)];
    let pr = problem(&coverage, &demand, Limit::Count(2));
    // One per district: without the rule, 0 and 1; with it, 0 and the best of district 1.
    let q = Quotas {
        district: &district,
        min: &[1, 1],
        max: &[usize::MAX, usize::MAX],
        priority: &[],
    };
    let r = solve_with_quotas(&pr, &q, &exact()).unwrap();
    assert_eq!(r.solution.selected, vec![0, 3]);
    assert_eq!(r.equity, vec![false, true]);
    assert_eq!(r.solution.objective, 11.0);
    assert_eq!(r.unconstrained.selected, vec![0, 1]);
    assert_eq!(r.unconstrained.objective, 19.0);
    assert!(r.solution.bound >= 11.0 && r.solution.optimal);
    // The locked-in site 4 already gives district 1 its block: the rule changes nothing.
    let locked = Problem {
        locked_in: &[false, false, false, false, true],
        ..pr
    };
    let r = solve_with_quotas(&locked, &q, &exact()).unwrap();
    assert_eq!(r.solution.selected, vec![0, 1]);
    assert_eq!(r.equity, vec![false, false]);
    assert_eq!(r.report.required, vec![1, 0]);
    // At most 1 in district 0: the second block goes to district 1 by coverage.
    let capped = Quotas {
        min: &[0, 0],
        max: &[1, usize::MAX],
        ..q
    };
    let r = solve_with_quotas(&pr, &capped, &exact()).unwrap();
    assert_eq!(r.solution.selected, vec![0, 3]);
    assert_eq!(r.equity, vec![false, false]);
    // A cap of 1 in each district with p = 3 leaves room for 2 only: p is lowered and said so.
    let tight = Quotas {
        min: &[0, 0],
        max: &[1, 1],
        ..q
    };
    let r = solve_with_quotas(
        &Problem {
            limit: Limit::Count(3),
            ..pr
        },
        &tight,
        &Options::default(),
    )
    .unwrap();
    assert_eq!(r.report.count, Some(2));
    assert_eq!(r.solution.selected.len(), 2);
    // Existing sites above the maximum: reported, and no new site there.
    let r = solve_with_quotas(
        &Problem {
            locked_in: &[true, true, false, false, false],
            limit: Limit::Count(1),
            ..pr
        },
        &tight,
        &exact(),
    )
    .unwrap();
    assert_eq!(r.report.over, vec![0]);
    assert_eq!(r.solution.selected, vec![3]);
}

#[test]
fn unreachable_minimums_are_reported_by_district() {
    let (coverage, demand) = two_districts();
    // District 2 has no candidate at all; district 1's only candidates are locked out.
    let district = [Some(0), Some(0), Some(0), Some(1), Some(1)];
    let pr = Problem {
        locked_out: &[false, false, false, true, true],
        ..problem(&coverage, &demand, Limit::Count(2))
    };
    let q = Quotas {
        district: &district,
        min: &[1, 1, 1],
        max: &[usize::MAX; 3],
        priority: &[],
    };
    let r = solve_with_quotas(&pr, &q, &exact()).unwrap();
    let short: Vec<(usize, usize, ShortReason)> = r
        .report
        .short
        .iter()
        .map(|s| (s.district, s.reachable, s.reason))
        .collect();
    assert_eq!(
        short,
        vec![(1, 0, ShortReason::Candidates), (2, 0, ShortReason::Candidates)]
    );
    assert_eq!(r.solution.selected, vec![0, 1]);
    // p smaller than the sum of the minimums: served in priority order.
    let district = [Some(0), Some(0), Some(1), Some(2), None];
    let q = Quotas {
        district: &district,
        min: &[1, 1, 1],
        max: &[usize::MAX; 3],
        priority: &[2, 1, 0],
    };
    let pr = problem(&coverage, &demand, Limit::Count(2));
    let r = solve_with_quotas(&pr, &q, &exact()).unwrap();
    assert_eq!(r.report.required, vec![0, 1, 1]);
    assert_eq!(
        r.report.short,
        vec![Shortfall {
            district: 0,
            min: 1,
            reachable: 0,
            reason: ShortReason::Limit
        }]
    );
    assert_eq!(r.solution.selected, vec![2, 3]);
    assert_eq!(r.equity, vec![true, true]);
    assert_eq!(r.report.outside, 1);
    // Bad quotas are refused by name.
    let bad = Quotas {
        min: &[2, 1, 1],
        max: &[1, 5, 5],
        ..q
    };
    assert_eq!(
        solve_with_quotas(&pr, &bad, &exact()).unwrap_err(),
        SitingError::MinAboveMax {
            district: 0,
            min: 2,
            max: 1
        }
    );
    let bad = Quotas {
        district: &district[..4],
        ..q
    };
    assert!(matches!(
        solve_with_quotas(&pr, &bad, &exact()).unwrap_err(),
        SitingError::Length { what: "district", .. }
    ));
}

#[test]
fn quotas_give_the_same_result_whatever_the_thread_count() {
    let mut rng = Rng(29);
    let (coverage, demand) = random(&mut rng, 3000, 150, 0.01);
    let district: Vec<Option<u32>> = (0..150).map(|j| (j % 7 != 0).then_some((j % 5) as u32)).collect();
    let q = Quotas {
        district: &district,
        min: &[2, 1, 1, 0, 1],
        max: &[3, 3, 2, 1, usize::MAX],
        priority: &[],
    };
    let pr = problem(&coverage, &demand, Limit::Count(8));
    let options = Options {
        exact_max_nodes: 50,
        ..Options::default()
    };
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| solve_with_quotas(&pr, &q, &options).unwrap())
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(3));
}
