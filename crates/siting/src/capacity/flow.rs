//! The exact assignment of demand to a fixed set of open sites: a maximum flow (Dinic 1970) on
//! the network source → unit (capacity `d_i`) → site (capacity `d_i·f_ij`) → sink (capacity
//! `C_j`).
//!
//! Only the units some open site covers enter the network, so its size is the number of
//! (open site, unit) pairs, whatever the number of units of the instance. The network is
//! bipartite: a shortest augmenting path alternates units and sites and visits each site at
//! most once, and Dinic's phases strictly lengthen the shortest path, so there are at most
//! `k + 1` phases for `k` open sites, each a breadth-first search and a blocking flow with
//! current-arc pointers. The first phase is the greedy assignment (each unit to its open sites
//! in index order while they have room); the later ones reroute demand through the site layer.
//!
//! Residual capacities at or below `1e-12·max d_i` count as saturated, so the value found is
//! the maximum flow up to that tolerance per augmenting path (far below `1e-9` relative).
//!
//! Deterministic: the network is built from the open sites in ascending index order, each row
//! in unit order, and arcs are tried in that order, so the flow (and every bit of its value)
//! depends only on the set of open sites, not on the order they are given in.

use super::super::instance::{Instance, NONE};

/// Source node.
const SOURCE: usize = 0;
/// Sink node.
const SINK: usize = 1;
/// First site node; sites are `FIRST_SITE..FIRST_SITE + k`, units after them.
const FIRST_SITE: usize = 2;
/// Relative tolerance under which a residual capacity counts as zero.
const TOLERANCE: f64 = 1e-12;

/// A flow to start from: the open sites of a solved network (ascending) and, for each, the flow
/// to each unit of its row, in row order.
#[derive(Debug, Clone)]
pub(super) struct Start {
    sites: Vec<usize>,
    z: Vec<Vec<f64>>,
}

/// A reusable max-flow workspace for one instance.
#[derive(Debug, Clone)]
pub(super) struct Network {
    /// Active unit → its unit node number minus the first unit node, or [`NONE`].
    local: Vec<u32>,
    /// Local unit → active unit.
    units: Vec<u32>,
    /// The open sites, ascending.
    sites: Vec<usize>,
    /// Adjacency offsets per node (CSR).
    head: Vec<usize>,
    /// Arc heads.
    to: Vec<u32>,
    /// Residual capacities.
    cap: Vec<f64>,
    /// Index of each arc's reverse arc.
    rev: Vec<u32>,
    level: Vec<u32>,
    current: Vec<usize>,
    queue: Vec<u32>,
    eps: f64,
}

impl Network {
    /// A workspace for an instance of `n` active units.
    pub(super) fn new(n: usize) -> Network {
        Network {
            local: vec![NONE; n],
            units: Vec::new(),
            sites: Vec::new(),
            head: Vec::new(),
            to: Vec::new(),
            cap: Vec::new(),
            rev: Vec::new(),
            level: Vec::new(),
            current: Vec::new(),
            queue: Vec::new(),
            eps: 0.0,
        }
    }

    /// Builds the network of the open sites `open` (any order, no repeats) and returns the
    /// maximum assigned demand.
    pub(super) fn solve(&mut self, inst: &Instance, capacity: &[f64], open: &[usize]) -> f64 {
        self.solve_from(inst, capacity, open, None)
    }

    /// [`Network::solve`] starting from the flow `start` on the sites it shares with `open`
    /// (a feasible flow, since every capacity it respected is still there), so that only the
    /// augmenting paths the other sites open remain to be found. The maximum is the same up to
    /// rounding; its bits may depend on `start`.
    pub(super) fn solve_from(
        &mut self,
        inst: &Instance,
        capacity: &[f64],
        open: &[usize],
        start: Option<&Start>,
    ) -> f64 {
        self.build(inst, capacity, open);
        if let Some(start) = start {
            self.load_start(inst, capacity, start);
        }
        self.max_flow();
        self.value()
    }

    /// The flow of this network, to start another from.
    pub(super) fn start(&self) -> Start {
        let z = (0..self.sites.len())
            .map(|s| {
                let node = FIRST_SITE + s;
                self.cap[self.head[node] + 1..self.head[node + 1]].to_vec()
            })
            .collect();
        Start {
            sites: self.sites.clone(),
            z,
        }
    }

    /// Puts the flow `start` on the arcs of the sites it shares with this network.
    fn load_start(&mut self, inst: &Instance, capacity: &[f64], start: &Start) {
        let mut given = vec![0.0; self.units.len()];
        for (s, &j) in self.sites.iter().enumerate() {
            let Ok(b) = start.sites.binary_search(&j) else {
                continue;
            };
            let node = FIRST_SITE + s;
            let mut load = 0.0;
            for ((e, &(i, _)), &z) in (self.head[node] + 1..self.head[node + 1])
                .zip(inst.rows.row(j))
                .zip(&start.z[b])
            {
                let forward = self.rev[e] as usize;
                self.cap[e] = z;
                self.cap[forward] = (self.cap[forward] - z).max(0.0);
                given[self.local[i as usize] as usize] += z;
                load += z;
            }
            let sink = self.head[node];
            self.cap[sink] = (capacity[j] - load).max(0.0);
            self.cap[self.rev[sink] as usize] = load;
        }
        let first = self.first_unit();
        for (l, &g) in given.iter().enumerate() {
            let d = inst.demand[self.units[l] as usize];
            self.cap[self.head[SOURCE] + l] = (d - g).max(0.0);
            self.cap[self.head[first + l]] = g;
        }
    }

    fn build(&mut self, inst: &Instance, capacity: &[f64], open: &[usize]) {
        for &u in &self.units {
            self.local[u as usize] = NONE;
        }
        self.units.clear();
        self.sites.clear();
        self.sites.extend_from_slice(open);
        self.sites.sort_unstable();
        debug_assert!(self.sites.windows(2).all(|w| w[0] < w[1]), "a site open twice");
        let k = self.sites.len();
        // Degrees: source, sink, sites, then units (grown as they appear).
        let mut degree = vec![0usize; FIRST_SITE + k];
        degree[SINK] = k;
        let mut max_demand = 0.0_f64;
        for (s, &j) in self.sites.iter().enumerate() {
            let row = inst.rows.row(j);
            degree[FIRST_SITE + s] = row.len() + 1;
            for &(i, _) in row {
                let slot = &mut self.local[i as usize];
                if *slot == NONE {
                    *slot = self.units.len() as u32;
                    self.units.push(i);
                    degree.push(1);
                    max_demand = max_demand.max(inst.demand[i as usize]);
                }
                degree[FIRST_SITE + k + *slot as usize] += 1;
            }
        }
        degree[SOURCE] = self.units.len();
        self.eps = TOLERANCE * max_demand;
        let nodes = degree.len();
        self.head.clear();
        self.head.reserve(nodes + 1);
        self.head.push(0);
        for d in &degree {
            let last = *self.head.last().unwrap_or(&0);
            self.head.push(last + d);
        }
        let arcs = self.head[nodes];
        self.to.clear();
        self.to.resize(arcs, 0);
        self.cap.clear();
        self.cap.resize(arcs, 0.0);
        self.rev.clear();
        self.rev.resize(arcs, 0);
        let mut cursor = self.head[..nodes].to_vec();
        let mut add = |a: usize, b: usize, c: f64, to: &mut [u32], cap: &mut [f64], rev: &mut [u32]| {
            let (ea, eb) = (cursor[a], cursor[b]);
            cursor[a] += 1;
            cursor[b] += 1;
            to[ea] = b as u32;
            cap[ea] = c;
            rev[ea] = eb as u32;
            to[eb] = a as u32;
            cap[eb] = 0.0;
            rev[eb] = ea as u32;
        };
        let (to, cap, rev) = (&mut self.to, &mut self.cap, &mut self.rev);
        // Each site's first arc goes to the sink.
        for (s, &j) in self.sites.iter().enumerate() {
            add(FIRST_SITE + s, SINK, capacity[j], to, cap, rev);
        }
        // Each unit's first arc is the reverse of its source arc.
        for (l, &i) in self.units.iter().enumerate() {
            add(SOURCE, FIRST_SITE + k + l, inst.demand[i as usize], to, cap, rev);
        }
        for (s, &j) in self.sites.iter().enumerate() {
            for &(i, f) in inst.rows.row(j) {
                let l = self.local[i as usize] as usize;
                add(
                    FIRST_SITE + k + l,
                    FIRST_SITE + s,
                    inst.demand[i as usize] * f,
                    to,
                    cap,
                    rev,
                );
            }
        }
    }

    fn max_flow(&mut self) {
        let nodes = self.head.len() - 1;
        self.level.resize(nodes, 0);
        self.current.resize(nodes, 0);
        while self.levels() {
            self.current.copy_from_slice(&self.head[..nodes]);
            while self.augment(SOURCE, f64::INFINITY) > 0.0 {}
        }
    }

    /// Breadth-first levels over arcs with residual capacity, up to the sink's level (nodes
    /// no closer to the source than the sink are not expanded); whether the sink is reached.
    fn levels(&mut self) -> bool {
        self.level.fill(u32::MAX);
        self.queue.clear();
        self.level[SOURCE] = 0;
        self.queue.push(SOURCE as u32);
        let mut q = 0;
        while q < self.queue.len() {
            let v = self.queue[q] as usize;
            q += 1;
            if self.level[v] >= self.level[SINK] {
                break;
            }
            for e in self.head[v]..self.head[v + 1] {
                let w = self.to[e] as usize;
                if self.cap[e] > self.eps && self.level[w] == u32::MAX {
                    self.level[w] = self.level[v] + 1;
                    if w != SINK {
                        self.queue.push(w as u32);
                    }
                }
            }
        }
        self.level[SINK] != u32::MAX
    }

    /// Pushes one augmenting path of at most `limit` from `v` along the level graph; returns
    /// the amount pushed (0 when `v` is a dead end).
    fn augment(&mut self, v: usize, limit: f64) -> f64 {
        if v == SINK {
            return limit;
        }
        while self.current[v] < self.head[v + 1] {
            let e = self.current[v];
            let w = self.to[e] as usize;
            if self.cap[e] > self.eps && self.level[w] == self.level[v] + 1 {
                let pushed = self.augment(w, limit.min(self.cap[e]));
                if pushed > 0.0 {
                    self.cap[e] -= pushed;
                    self.cap[self.rev[e] as usize] += pushed;
                    return pushed;
                }
            }
            self.current[v] += 1;
        }
        0.0
    }

    fn first_unit(&self) -> usize {
        FIRST_SITE + self.sites.len()
    }

    /// Demand assigned to local unit `l` (the flow on its source arc).
    fn assigned_local(&self, l: usize) -> f64 {
        self.cap[self.head[self.first_unit() + l]]
    }

    /// Total assigned demand, summed over the units in network order.
    pub(super) fn value(&self) -> f64 {
        (0..self.units.len()).fold(0.0, |total, l| total + self.assigned_local(l))
    }

    /// Sets `mu[i] = 1` for the units on the sink side of the minimum cut the last maximum
    /// flow leaves (not reachable from the source through residual capacities above the
    /// tolerance), leaving the others. With these multipliers (0 elsewhere) the Lagrangian of
    /// the unit constraints restricted to this network's sites is the flow's value: a start for
    /// the subgradient ([`super::bound`]).
    pub(super) fn sink_side(&self, mu: &mut [f64]) {
        let first = self.first_unit();
        for (l, &i) in self.units.iter().enumerate() {
            if self.level[first + l] == u32::MAX {
                mu[i as usize] = 1.0;
            }
        }
    }

    /// Residual demand `d_i − Σ_j z_ij` of every active unit into `residual`.
    pub(super) fn residual(&self, demand: &[f64], residual: &mut Vec<f64>) {
        residual.clear();
        residual.extend_from_slice(demand);
        for (l, &i) in self.units.iter().enumerate() {
            residual[i as usize] = (demand[i as usize] - self.assigned_local(l)).max(0.0);
        }
    }

    /// Demand assigned to each active unit (0 outside the network).
    pub(super) fn unit_assigned(&self, n: usize) -> Vec<f64> {
        let mut out = vec![0.0; n];
        for (l, &i) in self.units.iter().enumerate() {
            out[i as usize] = self.assigned_local(l);
        }
        out
    }

    /// The positive assignments `(active unit, site, z_ij)`, by site ascending then unit order.
    pub(super) fn assignments(&self, inst: &Instance) -> Vec<(u32, usize, f64)> {
        let mut out = Vec::new();
        for (s, &j) in self.sites.iter().enumerate() {
            let node = FIRST_SITE + s;
            // Arc 0 goes to the sink; the others are the reverse arcs of the unit arcs, whose
            // residual capacity is the flow, in row order.
            for (e, &(i, f)) in (self.head[node] + 1..self.head[node + 1]).zip(inst.rows.row(j)) {
                debug_assert_eq!(self.units[self.to[e] as usize - self.first_unit()], i);
                let z = self.cap[e].min(inst.demand[i as usize] * f);
                if z > 0.0 {
                    out.push((i, j, z));
                }
            }
        }
        out
    }

    /// Load of each open site, in ascending site order with the site index.
    pub(super) fn loads(&self) -> Vec<(usize, f64)> {
        self.sites
            .iter()
            .enumerate()
            .map(|(s, &j)| {
                let node = FIRST_SITE + s;
                (
                    j,
                    (self.head[node] + 1..self.head[node + 1])
                        .map(|e| self.cap[e])
                        .sum(),
                )
            })
            .collect()
    }
}
