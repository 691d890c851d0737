//! Exact mode: depth-first branch and bound, no external solver.
//!
//! A node fixes some new sites open (`chosen`) and some shut (`barred`). Its bound is the
//! smallest of its parent's bound, the submodular bound at `chosen` (see [`super::bound`]) and
//! a short Lagrangian run warm-started from the multipliers of the previous node; a node whose
//! bound does not exceed the incumbent by more than 1e-12 (relative) is discarded. Each node
//! also completes `chosen` greedily, and evaluates the Lagrangian subproblems' choices, either
//! of which may improve the incumbent. Branching is on the free
//! site with the largest marginal gain given `chosen`: first open, then shut.
//!
//! The optimum is at most the largest of the incumbent, the bounds of the discarded nodes and
//! the bounds of the nodes still to explore, which is what is returned; when the tree is
//! exhausted the incumbent is optimal to within 1e-12.

use super::Limit;
use super::bound::{Lagrangian, Role, greedy_bound};
use super::equity::Quota;
use super::fill::fill;
use super::greedy::greedy;
use super::instance::{Instance, Left, State};

/// Relative tolerance for discarding a node.
const PRUNE_TOLERANCE: f64 = 1e-12;

/// The outcome of the branch and bound.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Exact {
    /// The best new sites found.
    pub(super) sites: Vec<usize>,
    /// Their objective.
    pub(super) value: f64,
    /// An upper bound on the optimum.
    pub(super) bound: f64,
    /// Whether the search finished within the node limit.
    pub(super) finished: bool,
}

struct Node {
    chosen: Vec<usize>,
    barred: Vec<usize>,
    bound: f64,
}

/// Searches from the incumbent `sites` (objective `value`), with `root_bound` a valid bound and
/// `lambda` the multipliers to start from.
pub(super) fn branch_and_bound(
    inst: &Instance,
    (sites, value): (Vec<usize>, f64),
    root_bound: f64,
    lambda: &mut [f64],
    max_nodes: usize,
    node_iterations: usize,
    quota: Option<&Quota>,
) -> Exact {
    let m = inst.m();
    let (mut best_sites, mut best) = (sites, value);
    let discardable = |bound: f64, best: f64| bound <= best + PRUNE_TOLERANCE * best.abs();
    let mut closed = f64::NEG_INFINITY;
    let mut stack = vec![Node {
        chosen: Vec::new(),
        barred: Vec::new(),
        bound: root_bound,
    }];
    let mut lagrangian = Lagrangian::new(inst);
    let mut roles = vec![Role::Out; m];
    let mut nodes = 0;
    while let Some(node) = stack.pop() {
        if discardable(node.bound, best) {
            closed = closed.max(node.bound);
            continue;
        }
        if nodes == max_nodes {
            stack.push(node);
            break;
        }
        nodes += 1;
        let left = match inst.limit {
            Limit::Count(p) => Left::Count(p - node.chosen.len()),
            Limit::Budget(b) => Left::Budget(b - inst.spent(&node.chosen)),
        };
        let mut allowed = inst.allowed.clone();
        for &j in node.chosen.iter().chain(&node.barred) {
            allowed[j] = false;
        }
        if let Left::Budget(room) = left {
            for (a, &c) in allowed.iter_mut().zip(&inst.cost) {
                *a = *a && c <= room;
            }
        }
        let state = State::with_sites(inst, &node.chosen);
        let mut counts = Vec::new();
        if let Some(q) = quota {
            counts = q.counts(&node.chosen);
            // Districts at their cap take no more sites.
            for (j, a) in allowed.iter_mut().enumerate() {
                *a = *a && q.room(&counts, j);
            }
            if !q.completable(&state, &allowed, &counts, left) {
                continue; // no feasible completion within the district bounds
            }
        } else if let Left::Count(k) = left
            && allowed.iter().filter(|&&a| a).count() < k
        {
            continue; // no feasible completion
        }
        let here = state.value();
        let gains = state.gains(&allowed);
        let mut bound = node.bound.min(greedy_bound(here, &gains, &inst.cost, left));
        let branch = (0..m)
            .filter(|&j| allowed[j])
            .fold(None, |acc: Option<usize>, j| match acc {
                Some(a) if gains[a] >= gains[j] => Some(a),
                _ => Some(j),
            });
        let complete = match left {
            Left::Count(k) => k == 0,
            Left::Budget(_) => branch.is_none_or(|j| gains[j] <= 0.0),
        };
        if complete {
            // No completion adds anything: the node's optimum is `here` (under quotas, with the
            // missing minimum sites added, which add nothing either).
            if here > best {
                let mut sites = node.chosen;
                if let Some(q) = quota {
                    let mut c = counts.clone();
                    let mut s = state.clone();
                    sites.extend(fill(&mut s, &allowed, q, &mut c, left).0);
                }
                (best_sites, best) = (sites, here);
            }
            closed = closed.max(here);
            continue;
        }
        if discardable(bound, best) {
            closed = closed.max(bound);
            continue;
        }
        let mut completion = state.clone();
        let more = match quota {
            None => greedy(&mut completion, &allowed, left),
            Some(q) => fill(&mut completion, &allowed, q, &mut counts.clone(), left).0,
        };
        let v = completion.value();
        if v > best {
            best = v;
            best_sites = node.chosen.iter().chain(&more).copied().collect();
        }
        if node_iterations > 0 && !discardable(bound, best) {
            for (j, r) in roles.iter_mut().enumerate() {
                *r = if state.is_open(j) {
                    Role::In
                } else if allowed[j] {
                    Role::Free
                } else {
                    Role::Out
                };
            }
            let relaxed = lagrangian.run(&roles, left, lambda, best, node_iterations);
            bound = bound.min(relaxed.bound);
            if relaxed.value > best {
                let other: Vec<usize> = node.chosen.iter().chain(&relaxed.sites).copied().collect();
                let v = State::with_sites(inst, &other).value();
                if v > best && quota.is_none_or(|q| q.satisfied(&other)) {
                    (best_sites, best) = (other, v);
                }
            }
        }
        if discardable(bound, best) {
            closed = closed.max(bound);
            continue;
        }
        let Some(j) = branch else {
            closed = closed.max(bound); // not reached: a node left with no free site is complete
            continue;
        };
        let mut barred = node.barred.clone();
        barred.push(j);
        stack.push(Node {
            chosen: node.chosen.clone(),
            barred,
            bound,
        });
        let mut chosen = node.chosen;
        chosen.push(j);
        stack.push(Node {
            chosen,
            barred: node.barred,
            bound,
        });
    }
    let finished = stack.is_empty();
    let open = stack.iter().fold(f64::NEG_INFINITY, |a, n| a.max(n.bound));
    Exact {
        sites: best_sites,
        value: best,
        bound: best.max(closed).max(open).min(root_bound.max(best)),
        finished,
    }
}
