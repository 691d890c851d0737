#!/usr/bin/env python3
"""Capacitated siting: careblock against an exact MIP on the peer harness's synthetic cities.

For a city written by gen_city.py, the capacitated maximal covering problem — p new sites among
the candidates, each serving at most C persons of demand, a unit's demand split across the
sites whose radius reaches its centroid, maximise the demand assigned — is solved twice:

* careblock: ``careblock.site(..., capacity=C)`` (its heuristic and its certified bound, the LP
  relaxation's by Lagrangian relaxation);
* exactly: the same model as a MIP (x_j binary, z_ij continuous; sum x = p, z_ij <= d_i x_j,
  sum_j z_ij <= d_i, sum_i z_ij <= C x_j) solved with a relative gap of 1e-9 by HiGHS through
  ``scipy.optimize.milp`` (``--solver highs``, the default) or by CBC through PuLP
  (``--solver cbc``, the peers' MCLP solver; its best bound is read from CBC's log).

With ``--uncapacitated``, the uncapacitated MCLP of the same city (the peers' model, CBC
through PuLP, ``peer_common.solve_mclp``) is solved too: its optimum bounds the capacitated
optimum from above (capacities only take away), so when careblock's objective equals it,
careblock's capacitated solution is proven optimal by an independent exact solver. This MIP
is the one the peers solve routinely (minutes at 20k units), unlike the capacitated one.

Demand is the peers' (pop_0_5 + pop_60_plus + pop_disability + women_unpaid_care); distances
in EPSG:9377 between unit centroids and candidate points, as compare.py measures them. C
defaults to the 95th percentile of the demand a candidate reaches: the best-placed sites are
full, others not, and overlapping reaches compete for the same demand. Prints a
Markdown row per city: careblock's objective, bound and time, the MIP's optimum and time, and
careblock's shortfall from the optimum.

    target/py-venv/bin/python benches/peers/capacity_mip.py --city /tmp/capbench/city-2000 --city /tmp/capbench/city-20000
"""

import argparse
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, vstack
from shapely import STRtree

import careblock
from peer_common import parse_cbc_log, solve_mclp

DEMAND_COLUMNS = ("pop_0_5", "pop_60_plus", "pop_disability", "women_unpaid_care")


def load(city, crs):
    units = gpd.read_file(city / "units.geojson")
    cands = gpd.read_file(city / "candidates.geojson")
    units["demand"] = sum(units[c].astype(np.int64) for c in DEMAND_COLUMNS).astype(float)
    return units, cands, units.to_crs(crs).centroid, cands.to_crs(crs).geometry


def pairs_within(centroids, points, radius):
    tree = STRtree(centroids.values)
    cand, unit = tree.query(points.values, predicate="dwithin", distance=radius)
    return cand, unit


def exact(demand, cand, unit, m, p, capacity, time_limit):
    """Optimum of the capacitated MCLP MIP (HiGHS), and the wall time."""
    k = len(cand)
    n = len(demand)
    nv = m + k
    c = np.zeros(nv)
    c[m:] = -1.0
    q = np.arange(k)
    # sum x = p
    a_p = coo_matrix((np.ones(m), (np.zeros(m, int), np.arange(m))), shape=(1, nv))
    # z_q - d_i x_j <= 0
    a_link = coo_matrix(
        (np.r_[np.ones(k), -demand[unit]], (np.r_[q, q], np.r_[m + q, cand])), shape=(k, nv))
    # sum_j z_ij <= d_i
    a_unit = coo_matrix((np.ones(k), (unit, m + q)), shape=(n, nv))
    # sum_i z_ij - C x_j <= 0
    a_cap = coo_matrix(
        (np.r_[np.ones(k), -np.full(m, capacity)], (np.r_[cand, np.arange(m)], np.r_[m + q, np.arange(m)])),
        shape=(m, nv))
    a = vstack([a_p, a_link, a_unit, a_cap]).tocsr()
    lo = np.r_[p, np.full(k, -np.inf), np.full(n, -np.inf), np.full(m, -np.inf)]
    hi = np.r_[p, np.zeros(k), demand, np.zeros(m)]
    start = time.perf_counter()
    res = milp(c, constraints=LinearConstraint(a, lo, hi), integrality=np.r_[np.ones(m), np.zeros(k)],
               bounds=Bounds(np.zeros(nv), np.r_[np.ones(m), np.full(k, np.inf)]),
               options={"mip_rel_gap": 1e-9, "time_limit": time_limit})
    elapsed = time.perf_counter() - start
    proven = res.status == 0
    dual = getattr(res, "mip_dual_bound", None)
    return (-res.fun if res.x is not None else float("nan")), elapsed, proven, (None if dual is None else -dual)


def exact_cbc(demand, cand, unit, m, p, capacity, time_limit):
    """The same MIP with CBC (PuLP's bundled binary): its best solution, the wall time,
    whether it is proven optimal, and CBC's best bound (from its log)."""
    import tempfile

    import pulp

    prob = pulp.LpProblem("capacitated_mclp", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{j}", cat="Binary") for j in range(m)]
    z = [pulp.LpVariable(f"z{q}", lowBound=0) for q in range(len(cand))]
    prob += pulp.lpSum(z)
    prob += pulp.lpSum(x) == p
    by_unit = [[] for _ in range(len(demand))]
    by_site = [[] for _ in range(m)]
    for q, (j, i) in enumerate(zip(cand, unit)):
        prob += z[q] - float(demand[i]) * x[j] <= 0
        by_unit[i].append(z[q])
        by_site[j].append(z[q])
    for i, zs in enumerate(by_unit):
        if zs:
            prob += pulp.lpSum(zs) <= float(demand[i])
    for j, zs in enumerate(by_site):
        if zs:
            prob += pulp.lpSum(zs) - capacity * x[j] <= 0
    with tempfile.NamedTemporaryFile(suffix=".log") as log:
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=1e-9, threads=1, logPath=log.name)
        start = time.perf_counter()
        prob.solve(solver)
        elapsed = time.perf_counter() - start
        text = Path(log.name).read_text()
    best = pulp.value(prob.objective)
    cbc = parse_cbc_log(text)
    proven = cbc.get("result") == "Optimal solution found"
    dual = cbc.get("bound")
    return (float("nan") if best is None else float(best)), elapsed, proven, dual


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--city", type=Path, action="append", required=True)
    ap.add_argument("--radius", type=float, default=800.0)
    ap.add_argument("--p", type=int, default=20)
    ap.add_argument("--crs", type=int, default=9377)
    ap.add_argument("--capacity", type=float, help="persons per site (default: the 95th percentile of the demand a candidate reaches)")
    ap.add_argument("--time-limit", type=float, default=1800.0, help="seconds for the MIP")
    ap.add_argument("--solver", choices=("highs", "cbc", "none"), default="highs",
                    help="the capacitated MIP's solver (none: skip it)")
    ap.add_argument("--dump", type=Path,
                    help="also write each city's instance to DIR/<city>.txt for the Rust example capacity_file "
                         "(first line: units, candidates, pairs, p, capacity; then each unit's demand; then each "
                         "pair's candidate and unit)")
    ap.add_argument("--uncapacitated", action="store_true",
                    help="also solve the uncapacitated MCLP with CBC: an exact upper bound of the capacitated optimum")
    args = ap.parse_args()
    print("| city | units | candidates | capacity | careblock objective | careblock bound (gap) | careblock time | "
          "MIP best (bound) | MIP time | careblock vs the MIP's best | uncapacitated optimum (CBC) | careblock below it |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for city in args.city:
        units, cands, centroids, points = load(city, args.crs)
        cand, unit = pairs_within(centroids, points, args.radius)
        demand = units["demand"].to_numpy()
        reach = np.bincount(cand, weights=demand[unit], minlength=len(cands))
        capacity = args.capacity or round(float(np.percentile(reach[reach > 0], 95)))
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            with open(args.dump / f"{city.name}.txt", "w") as f:
                f.write(f"{len(demand)} {len(cands)} {len(cand)} {args.p} {float(capacity)!r}\n")
                f.writelines(f"{float(d)!r}\n" for d in demand)
                f.writelines(f"{j} {i}\n" for j, i in zip(cand, unit))
        start = time.perf_counter()
        r = careblock.site(units, cands, radius=args.radius, p=args.p, demand="demand", crs=args.crs,
                           units_id="unit_id", candidates_id="candidate_id", capacity=capacity)
        t_cb = time.perf_counter() - start
        rep = r.report
        if args.solver == "none":
            mip, t_mip, diff = "-", "-", "-"
        else:
            solve_mip = exact if args.solver == "highs" else exact_cbc
            opt, t, proven, dual = solve_mip(demand, cand, unit, len(cands), args.p, capacity, args.time_limit)
            diff = f"{(rep['objective'] - opt) / opt if opt > 0 else 0.0:+.4%}"
            mip = f"{opt:,.1f} (optimal)" if proven else f"{opt:,.1f} ({'-' if dual is None else f'{dual:,.1f}'}; time limit)"
            t_mip = f"{t:.1f} s"
        unc, below = "-", "-"
        if args.uncapacitated:
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                u = solve_mclp(list(range(len(cands))), cand, unit, demand.astype(np.int64), args.p, args.radius,
                               args.time_limit, Path(tmp) / "mclp.json")
            proven_u = u["cbc_result"] == "Optimal solution found"
            top = u["mclp_sparse_obj"] if proven_u else u["best_bound"]
            unc = f"{top:,.0f} ({'optimal' if proven_u else 'bound'}, {u['solve_s']:.0f} s)"
            below = f"{(top - rep['objective']) / top:.4%}"
        print(f"| {city.name} | {len(units):,} | {len(cands):,} | {capacity:,.0f} | {rep['objective']:,.1f} | "
              f"{rep['bound']:,.1f} ({rep['gap']:.3%}) | {t_cb:.2f} s | {mip} | {t_mip} | {diff} | {unc} | {below} |",
              flush=True)


if __name__ == "__main__":
    main()
