//! The capacitated solver on an instance written by `benches/peers/capacity_mip.py --dump DIR`
//! (the peer harness's synthetic cities, the same pairs, demand and capacity that
//! `careblock.site(..., capacity=C)` solves there). Prints the objective, the bound, the gap
//! and the solve's wall time.
//!
//! `cargo run --release -p careblock-siting --example capacity_file -- FILE [stop gap] [subgradient
//! iterations]`
//! (file: a first line `units candidates pairs p capacity`, then each unit's demand, then each
//! pair's candidate and unit, one a line).

use std::time::Instant;

use careblock_siting::{CapacityOptions, Coverage, Limit, Problem, solve_capacitated};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().expect("the instance file");
    let stop_gap: f64 = args.get(1).map_or(1e-9, |g| g.parse().expect("a number"));
    let iterations: usize = args.get(2).map_or(300, |g| g.parse().expect("a number"));
    let text = std::fs::read_to_string(path).expect("the instance file");
    let mut lines = text.lines();
    let head: Vec<f64> = lines
        .next()
        .expect("a first line")
        .split_whitespace()
        .map(|x| x.parse().expect("a number"))
        .collect();
    let (n, m, k, p, capacity) = (
        head[0] as usize,
        head[1] as usize,
        head[2] as usize,
        head[3] as usize,
        head[4],
    );
    let demand: Vec<f64> = (&mut lines)
        .take(n)
        .map(|l| l.trim().parse().expect("a demand"))
        .collect();
    let mut rows: Vec<Vec<(u32, f64)>> = vec![Vec::new(); m];
    for l in (&mut lines).take(k) {
        let mut it = l
            .split_whitespace()
            .map(|x| x.parse::<usize>().expect("an index"));
        let (j, i) = (it.next().expect("a candidate"), it.next().expect("a unit"));
        rows[j].push((i as u32, 1.0));
    }
    let coverage = Coverage::from_rows(n, rows).expect("the coverage");
    let capacities = vec![capacity; m];
    let problem = Problem {
        demand: &demand,
        coverage: &coverage,
        limit: Limit::Count(p),
        cost: None,
        locked_in: &[],
        locked_out: &[],
    };
    let options = CapacityOptions {
        stop_gap,
        bound_iterations: iterations,
        ..CapacityOptions::default()
    };
    let t = Instant::now();
    let s = solve_capacitated(&problem, &capacities, &options).expect("a solution");
    let elapsed = t.elapsed();
    println!(
        "{n} units, {m} candidates, {k} pairs, p = {p}, capacity {capacity}: objective {:.1}, bound {:.1}, \
         gap {:.3} %, solve {elapsed:?}",
        s.objective,
        s.bound,
        100.0 * s.gap,
    );
}
