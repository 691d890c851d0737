//! Branch and bound on the new sites, to tighten the certified bound below the LP relaxation's
//! (and to find better sites on the way).
//!
//! A node opens some sites whatever the choice (`chosen`, beside the locked-in ones) and shuts
//! some others (`barred`); the rest is left to choose. Its bound is the Lagrangian bound of
//! that restricted problem ([`Relaxation::run`], warm-started from its parent's best
//! multipliers, at most [`NODE_ITERATIONS`] iterations), never above its parent's: every
//! solution of the node is a solution of the parent. The two children of a node split its
//! solutions by one free site, open in one and shut in the other, so the optimum is at most
//! the largest bound over the nodes not yet processed, or the incumbent when that is larger;
//! that is the bound returned. A node whose bound is at most the incumbent (1e-12 relative)
//! holds nothing better and is dropped; a node with nothing left to choose is valued by the
//! flow, exactly.
//!
//! Nodes are processed best first (the largest bound, ties to the earliest node), since only
//! that lowers the bound returned. The branching site is the free one the subproblems chose
//! the most fractionally during the node's run (share of iterations closest to one half; ties
//! to the lowest index). Every set a subproblem chooses is valued by the flow (the Lagrangian
//! heuristic), which may improve the incumbent.
//!
//! The work is bounded by a number of subgradient iterations (each one pass over the pairs),
//! not by time, so the result does not depend on the machine or the thread count; the search
//! also stops once the gap is at most the one asked for, or when no node is left.

use std::collections::HashMap;

use super::super::instance::Left;
use super::bound::{Open, Relaxation};
use super::flow::Network;
use super::heuristic::Search;

/// Most subgradient iterations per node.
pub(super) const NODE_ITERATIONS: usize = 40;
/// Step multiplier a node's subgradient starts from (its start is near its parent's minimum).
const NODE_THETA: f64 = 0.5;
/// Relative tolerance for dropping a node.
const PRUNE_TOLERANCE: f64 = 1e-12;

/// What the branch and bound found.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Branched {
    /// The best new sites found (the incumbent given, unless better ones were found).
    pub(super) sites: Vec<usize>,
    /// Their objective.
    pub(super) value: f64,
    /// An upper bound of the optimum, at most the root bound given.
    pub(super) bound: f64,
    /// Nodes processed.
    pub(super) nodes: usize,
}

struct Node {
    chosen: Vec<usize>,
    barred: Vec<usize>,
    bound: f64,
    /// The multipliers to start from (the parent's best).
    mu: std::rc::Rc<Vec<f64>>,
}

/// Searches from the incumbent `(sites, value)` with `root` a valid bound of the problem
/// (within `left`) and `mu` the multipliers to start from, until the gap is at most
/// `stop_gap`, no node is left or `iterations` subgradient iterations are spent.
pub(super) fn branch_and_bound(
    (search, relaxation): (&Search<'_>, &Relaxation<'_>),
    left: Left,
    (sites, value): (Vec<usize>, f64),
    (root, mu): (f64, Vec<f64>),
    stop_gap: f64,
    mut iterations: usize,
) -> Branched {
    let inst = search.inst;
    let m = inst.m();
    let (mut best_sites, mut best) = (sites, value);
    let dropped = |bound: f64, best: f64| bound <= best + PRUNE_TOLERANCE * best.abs();
    // Open nodes; the next one is the largest bound, ties to the earliest.
    let mut open: Vec<Node> = vec![Node {
        chosen: Vec::new(),
        barred: Vec::new(),
        bound: root,
        mu: std::rc::Rc::new(mu),
    }];
    let mut seen: HashMap<Vec<usize>, f64> = HashMap::new();
    let mut net = Network::new(inst.n());
    let mut nodes = 0;
    let bound_now = |open: &[Node], best: f64| open.iter().fold(best, |b, n| b.max(n.bound));
    loop {
        open.retain(|n| !dropped(n.bound, best));
        let top = bound_now(&open, best);
        if open.is_empty() || top - best <= stop_gap * top.abs() || iterations == 0 {
            break;
        }
        let k = (0..open.len()).fold(0, |k, q| if open[q].bound > open[k].bound { q } else { k });
        let node = open.remove(k);
        nodes += 1;
        let node_left = match left {
            Left::Count(p) => Left::Count(p - node.chosen.len()),
            Left::Budget(b) => Left::Budget(b - node.chosen.iter().map(|&j| inst.cost[j]).sum::<f64>()),
        };
        let mut allowed = inst.allowed.clone();
        for &j in node.chosen.iter().chain(&node.barred) {
            allowed[j] = false;
        }
        if let Left::Budget(room) = node_left {
            for (a, &c) in allowed.iter_mut().zip(&inst.cost) {
                *a = *a && c <= room;
            }
        }
        let free = allowed.iter().filter(|&&a| a).count();
        let complete = match node_left {
            Left::Count(k) => k == 0 || free == 0,
            Left::Budget(_) => free == 0,
        };
        if let Left::Count(k) = node_left
            && free < k
            && k > 0
        {
            // Fewer free sites than are to be chosen: the node's solutions open them all.
            let mut all = node.chosen.clone();
            all.extend((0..m).filter(|&j| allowed[j]));
            let v = search.value(&mut net, &all);
            if v > best {
                (best_sites, best) = (all, v);
            }
            continue;
        }
        if complete {
            let v = search.value(&mut net, &node.chosen);
            if v > best {
                (best_sites, best) = (node.chosen, v);
            }
            continue;
        }
        let mut fixed = inst.fixed.clone();
        fixed.extend_from_slice(&node.chosen);
        fixed.sort_unstable();
        let run = (NODE_ITERATIONS.min(iterations), PRUNE_TOLERANCE);
        let mut found = (best, None::<Vec<usize>>);
        let relaxed = relaxation.run(
            Open {
                fixed: &fixed,
                allowed: &allowed,
            },
            node_left,
            best,
            run,
            &node.mu,
            NODE_THETA,
            |set| {
                let mut all = node.chosen.clone();
                all.extend_from_slice(set);
                all.sort_unstable();
                if let Some(&v) = seen.get(&all) {
                    return v;
                }
                let v = search.value(&mut net, &all);
                if v > found.0 {
                    found = (v, Some(all.clone()));
                }
                seen.insert(all, v);
                v
            },
        );
        iterations -= relaxed.iterations.min(iterations);
        if let (v, Some(all)) = found
            && v > best
        {
            (best_sites, best) = (all, v);
        }
        let bound = node.bound.min(relaxed.bound);
        if dropped(bound, best) {
            continue;
        }
        let branch = (0..m)
            .filter(|&j| allowed[j])
            .fold(None, |acc: Option<usize>, j| {
                let score = |j: usize| {
                    let f = relaxed.frequency[j];
                    f.min(1.0 - f)
                };
                match acc {
                    Some(a) if score(a) >= score(j) => Some(a),
                    _ => Some(j),
                }
            });
        let Some(j) = branch else {
            continue;
        };
        let mu = std::rc::Rc::new(relaxed.mu);
        let mut chosen = node.chosen.clone();
        chosen.push(j);
        let mut barred = node.barred;
        open.push(Node {
            chosen,
            barred: barred.clone(),
            bound,
            mu: mu.clone(),
        });
        barred.push(j);
        open.push(Node {
            chosen: node.chosen,
            barred,
            bound,
            mu,
        });
    }
    let bound = bound_now(&open, best).min(root.max(best));
    Branched {
        sites: best_sites,
        value: best,
        bound,
        nodes,
    }
}
