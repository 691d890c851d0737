//! Scale check of the capacitated solver: 500,000 units with uniform random demand on a
//! 30 km square, 2,000 candidates, an 800 m radius (centroid rule), each capacity 0.6 × the
//! mean demand within a site's reach (so capacities bind), `p = 20`. Prints the objective,
//! the bound, the gap and the wall time.
//!
//! `cargo run --release -p careblock-siting --example capacity_scale [units] [candidates] [p]
//! [capacity factor] [locked-in sites] [stop gap]` (defaults 500000 2000 20 0.6 0 1e-9).

use std::time::Instant;

use careblock_core::join::points_within_distance;
use careblock_core::rng::SplitMix64;
use careblock_siting::{CapacityOptions, Coverage, Limit, Problem, solve_capacitated};
use geo::Point;

fn main() {
    let args: Vec<f64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("a number"))
        .collect();
    let arg = |k: usize, default: f64| args.get(k).copied().unwrap_or(default);
    let (n, m, p) = (
        arg(0, 500_000.0) as usize,
        arg(1, 2_000.0) as usize,
        arg(2, 20.0) as usize,
    );
    let (factor, existing, stop_gap) = (arg(3, 0.6), arg(4, 0.0) as usize, arg(5, 1e-9));
    let side = 30_000.0;
    let radius = 800.0;
    let mut rng = SplitMix64(2026);
    let units: Vec<Option<Point<f64>>> = (0..n)
        .map(|_| Some(Point::new(rng.uniform() * side, rng.uniform() * side)))
        .collect();
    let demand: Vec<f64> = (0..n).map(|_| (rng.uniform() * 20.0).floor()).collect();
    let candidates: Vec<Option<Point<f64>>> = (0..m)
        .map(|_| Some(Point::new(rng.uniform() * side, rng.uniform() * side)))
        .collect();
    let t = Instant::now();
    let nb = points_within_distance(&candidates, &units, radius).expect("the join");
    let coverage = Coverage::from_neighbours(n, &nb);
    // 0.6 × the mean demand a site reaches: π r² of the square's demand density.
    let total: f64 = demand.iter().sum();
    let mean_reach = total * std::f64::consts::PI * radius * radius / (side * side);
    let capacity = vec![factor * mean_reach; m];
    // The first `existing` candidates are existing care blocks.
    let locked_in: Vec<bool> = (0..m).map(|j| j < existing).collect();
    eprintln!(
        "{n} units, {m} candidates, {} pairs, capacity {:.0} each; coverage built in {:?}",
        coverage.n_pairs(),
        capacity[0],
        t.elapsed()
    );
    let problem = Problem {
        demand: &demand,
        coverage: &coverage,
        limit: Limit::Count(p),
        cost: None,
        locked_in: &locked_in,
        locked_out: &[],
    };
    let t = Instant::now();
    let options = CapacityOptions {
        stop_gap,
        ..CapacityOptions::default()
    };
    let s = solve_capacitated(&problem, &capacity, &options).expect("a solution");
    let elapsed = t.elapsed();
    println!(
        "p = {p}: objective {:.1}, bound {:.1}, gap {:.3} %, locked-in {:.1}, solve {elapsed:?}",
        s.objective,
        s.bound,
        100.0 * s.gap,
        s.locked_in_assigned
    );
}
