"""Command line, CSV output, the district index and the MCLP model shared by the peer implementations."""

import argparse
import csv
import json
import math
import re
import time
from pathlib import Path

import numpy as np
# Imported here, outside every timed stage, like the other libraries (it was imported in solve_mclp, inside the siting).
import pulp
import scipy.optimize
import scipy.sparse

# The original workload's counts, then the care counts added with the index and siting stages.
BASE_EXTENSIVE = ["pop_total", "pop_0_5", "pop_60_plus", "women", "men", "dwellings"]
CARE_EXTENSIVE = ["pop_disability", "women_unpaid_care"]
EXTENSIVE = [*BASE_EXTENSIVE, *CARE_EXTENSIVE]
INTENSIVE = ["ipm"]
# New columns are appended after ipm, so the original columns keep their positions.
DISTRICT_COLUMNS = ["district_id", *BASE_EXTENSIVE, *INTENSIVE, *CARE_EXTENSIVE]
COVERAGE_COLUMNS = ["facility_id", "n_units", "pop_covered"]
INDEX_COLUMNS = ["district_id", "caregiver_density", "dependency", "unpaid_work_share", "index", "rank"]
BASE_STAGES = ["load", "project", "interpolate", "coverage"]
# The city's layers, and the file suffix of each input format (--input); the GeoParquet copies sit beside the GeoJSON.
CITY_LAYERS = ["units", "districts", "facilities", "candidates"]
INPUT_SUFFIX = {"geojson": ".geojson", "geoparquet": ".parquet"}
# Demand of a unit in the MCLP: the people who need care plus the women who give it unpaid.
DEMAND_COLUMNS = ["pop_0_5", "pop_60_plus", "pop_disability", "women_unpaid_care"]
FALLBACK_PROJ = {
    9377: "+proj=tmerc +lat_0=4 +lon_0=-73 +k=0.9992 +x_0=5000000 +y_0=2000000 "
    "+ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
}


def parse_args(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--city", type=Path, required=True, help="directory made by gen_city.py")
    parser.add_argument(
        "--input", choices=sorted(INPUT_SUFFIX), default="geojson",
        help="read the city's .geojson layers, or their GeoParquet copies (.parquet, see write_geoparquet)",
    )
    parser.add_argument("--crs", type=int, default=9377, help="EPSG code of the metric CRS to project to")
    parser.add_argument("--radius", type=float, default=800.0, help="coverage radius in CRS units (metres)")
    parser.add_argument("--p", type=int, default=20, help="number of care-block sites the MCLP chooses")
    parser.add_argument("--no-siting", action="store_true", help="skip the siting stage (MCLP with CBC)")
    parser.add_argument("--time-limit", type=float, help="CBC time limit in seconds (default: none, solve to optimality)")
    parser.add_argument(
        "--solvers", default="cbc",
        help="comma-separated MCLP solvers, cbc (PuLP) and/or highs (scipy.optimize.milp): the first is the siting stage "
        "(mclp.json); each other one runs the whole siting stage again, timed as siting_<solver> (mclp_<solver>.json)",
    )
    parser.add_argument(
        "--tobler-jobs", type=int, default=-1, help="geopandas peer: tobler area_interpolate's n_jobs (default -1: one process per CPU)"
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="directory for districts.csv, coverage.csv, district_index.csv, mclp.json"
    )
    args = parser.parse_args()
    args.solvers = args.solvers.split(",")
    if not args.solvers or set(args.solvers) - set(SOLVERS) or len(set(args.solvers)) != len(args.solvers):
        parser.error(f"--solvers takes distinct names of {', '.join(SOLVERS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def layer_path(city, name, input_format):
    """The file of layer `name` (units, districts, facilities, candidates) of the city in this input format."""
    return Path(city) / f"{name}{INPUT_SUFFIX[input_format]}"


def write_geoparquet(city):
    """GeoParquet copies of the city's GeoJSON layers, beside them (units.parquet, ...): read by pyogrio, written by
    geopandas' to_parquet (WKB geometry, GeoParquet 1.1 metadata with the bbox covering column, zstd, default row
    groups). Each file is written under a temporary name and renamed, so an interrupted run leaves no partial copy."""
    import geopandas as gpd

    for name in CITY_LAYERS:
        source = layer_path(city, name, "geojson")
        if not source.exists():
            continue
        target = layer_path(city, name, "geoparquet")
        partial = target.with_name(target.name + ".partial")
        frame = gpd.read_file(source, engine="pyogrio", use_arrow=True)
        frame.to_parquet(partial, compression="zstd", geometry_encoding="WKB", write_covering_bbox=True, schema_version="1.1.0")
        partial.replace(target)


def cell(value):
    """CSV text of a value: floats by repr (full precision), the rest by str."""
    return repr(value) if isinstance(value, float) else str(value)


def write_csv(path, columns, rows):
    """Write rows (sequences in column order), sorted by their first column."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in sorted(rows, key=lambda r: r[0]):
            writer.writerow([cell(v) for v in row])


def report(tool, times, extra=None):
    """Print the one-line JSON timing report, stage times in seconds.

    ``total`` is the sum of the four original stages only, so it stays comparable with
    earlier runs; ``total_with_index_siting`` adds the index and siting stages that ran.
    ``extra`` (e.g. the siting stage again with another solver, ``siting_highs``) is printed
    but counts in neither.
    """
    line = {"tool": tool, **times, "total": sum(times[stage] for stage in BASE_STAGES)}
    line["total_with_index_siting"] = sum(times.values())
    print(json.dumps({**line, **(extra or {})}), flush=True)


def mclp_outputs(solvers):
    """(solver, mclp file name, timing key) of each solver of --solvers: the first is the siting stage."""
    return [(s, "mclp.json", "siting") if k == 0 else (s, f"mclp_{s}.json", f"siting_{s}") for k, s in enumerate(solvers)]


def _ratio(numerator, denominator):
    """numerator / denominator elementwise, 0 where the denominator is 0."""
    out = np.zeros_like(numerator, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _min_max(values):
    """Min-max normalisation to 0-100; all zeros when every value is the same."""
    low, high = values.min(), values.max()
    if high == low:
        return np.zeros_like(values)
    return 100.0 * (values - low) / (high - low)


def district_index(district_ids, sums, area_m2, out_path):
    """Write district_index.csv from interpolated district sums; return its rows.

    sums maps a count name to a float64 array aligned with district_ids (the
    interpolated district totals); area_m2 is each district's area in the
    projected CRS. Per district, from the sums (ratios of sums):
      caregiver_density = women_unpaid_care / (area / 1e6)             [per km²]
      dependency        = (pop_0_5 + pop_60_plus) / (pop_total - pop_0_5 - pop_60_plus)
      unpaid_work_share = women_unpaid_care / women
    (0 where a denominator is 0). Districts without population (no unit
    reaches them) are not ranked: their index and rank are empty and they take
    no part in the normalisation (a 0/0 ratio is not a ratio of 0; careblock
    treats such districts the same way). Each indicator is min-max normalised
    to 0-100 across the populated districts (0 if all equal), index = their
    arithmetic mean (equal weights), rank 1 = highest index, ties by
    district_id. The CSV holds the raw indicators, the index and the rank.
    """
    unpaid = sums["women_unpaid_care"]
    dependants = sums["pop_0_5"] + sums["pop_60_plus"]
    indicators = {
        "caregiver_density": _ratio(unpaid, np.asarray(area_m2, dtype=np.float64) / 1e6),
        "dependency": _ratio(dependants, sums["pop_total"] - dependants),
        "unpaid_work_share": _ratio(unpaid, sums["women"]),
    }
    populated = np.asarray(sums["pop_total"]) > 0
    index = np.full(len(populated), np.nan)
    index[populated] = np.mean([_min_max(v[populated]) for v in indicators.values()], axis=0)
    ids = list(district_ids)
    order = sorted((k for k in range(len(ids)) if populated[k]), key=lambda k: (-index[k], ids[k]))
    rank = [None] * len(ids)
    for r, k in enumerate(order):
        rank[k] = r + 1
    rows = [
        (
            ids[k],
            *(float(v[k]) for v in indicators.values()),
            float(index[k]) if populated[k] else "",
            rank[k] if populated[k] else "",
        )
        for k in range(len(ids))
    ]
    write_csv(out_path, INDEX_COLUMNS, rows)
    return rows


def parse_cbc_log(text):
    """Result line, bound and total times from a CBC log (the parts PuLP does not return)."""
    found = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("Result - "):
            found["result"] = line[len("Result - ") :]
        elif line.startswith(("Upper bound:", "Lower bound:")):
            found["bound"] = float(line.split(":", 1)[1])
        elif line.startswith("Total time (CPU seconds):"):
            numbers = re.findall(r"[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?", line)
            found["cpu_s"], found["wall_s"] = float(numbers[0]), float(numbers[-1])
    return found


def unit_demand(columns):
    """a_i = pop_0_5 + pop_60_plus + pop_disability + women_unpaid_care (int64), from a name -> array mapping."""
    return sum(np.asarray(columns[name], dtype=np.int64) for name in DEMAND_COLUMNS)


def _group_pairs(cand_idx, unit_idx, demand):
    """The cover pairs sorted by unit (then candidate), the candidates that cover something, the units covered, and
    where each covered unit's pairs begin (bounds[k]..bounds[k + 1])."""
    cand_idx = np.asarray(cand_idx, dtype=np.int64)
    unit_idx = np.asarray(unit_idx, dtype=np.int64)
    demand = np.asarray(demand, dtype=np.int64)
    order = np.lexsort((cand_idx, unit_idx))  # group the pairs by unit
    cand_idx, unit_idx = cand_idx[order], unit_idx[order]
    used_cands = np.unique(cand_idx)
    covered_units, first = np.unique(unit_idx, return_index=True)
    bounds = np.append(first, unit_idx.size)
    return cand_idx, unit_idx, demand, used_cands, covered_units, bounds


def _integral(value):
    """value as an int when it is one (to 1e-6), else unchanged (None stays None)."""
    return int(round(value)) if value is not None and math.isclose(value, round(value), abs_tol=1e-6) else value


def solve_mclp(candidate_ids, cand_idx, unit_idx, demand, p, radius, time_limit, out_path):
    """Maximal covering location problem on sparse cover pairs, solved with CBC through PuLP.

    (cand_idx[k], unit_idx[k]) are the pairs where candidate cand_idx[k] covers
    unit unit_idx[k] (the unit's centroid within radius). Variables: x_j binary
    for each candidate covering at least one unit, y_i binary for each unit
    covered by at least one candidate. maximise sum_i a_i y_i subject to
    y_i <= sum_{j covers i} x_j and sum_j x_j = p (min(p, number of x_j) if
    fewer candidates cover anything). CBC runs single-threaded with its default
    gaps (proves optimality exactly) and, if time_limit is set, stops there with
    the best solution found. Writes mclp.json and CBC's log (cbc.log) next to it
    and returns the dict written.
    """
    start = time.perf_counter()
    cand_idx, unit_idx, demand, used_cands, covered_units, bounds = _group_pairs(cand_idx, unit_idx, demand)

    model = pulp.LpProblem("mclp", pulp.LpMaximize)
    x = {int(j): pulp.LpVariable(f"x{j}", cat=pulp.LpBinary) for j in used_cands.tolist()}
    y = [pulp.LpVariable(f"y{i}", cat=pulp.LpBinary) for i in covered_units.tolist()]
    model += pulp.LpAffineExpression(
        [(var, int(demand[i])) for var, i in zip(y, covered_units.tolist()) if demand[i] != 0]
    )
    cands = cand_idx.tolist()
    for k, var in enumerate(y):
        terms = [(x[j], -1) for j in cands[bounds[k] : bounds[k + 1]]]
        terms.append((var, 1))
        model += pulp.LpConstraint(pulp.LpAffineExpression(terms), pulp.LpConstraintLE, f"c{k}", 0)
    p_eff = min(p, len(x))
    model += pulp.LpConstraint(pulp.LpAffineExpression([(v, 1) for v in x.values()]), pulp.LpConstraintEQ, "p", p_eff)
    build_s = time.perf_counter() - start

    log_path = Path(out_path).with_name("cbc.log")
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, logPath=str(log_path))
    start = time.perf_counter()
    model.solve(solver)
    solve_s = time.perf_counter() - start
    cbc = parse_cbc_log(log_path.read_text())

    objective = pulp.value(model.objective)
    objective = _integral(objective)
    selected = sorted(candidate_ids[j] for j, var in x.items() if var.varValue is not None and var.varValue > 0.5)
    bound = cbc.get("bound", objective if cbc.get("result") == "Optimal solution found" else None)
    result = {
        "mclp_sparse_obj": objective,
        # PuLP's LpStatus says "Optimal" even when CBC stopped on the time limit; LpSolution does not.
        "status": pulp.LpSolution[model.sol_status],
        "cbc_result": cbc.get("result"),
        "best_bound": bound,
        "gap": (bound - objective) / objective if bound is not None and objective else None,
        "selected": selected,
        "n_vars": len(x) + len(y),
        "n_constraints": len(y) + 1,
        "n_nonzeros": int(unit_idx.size + len(y) + len(x)),
        "p": p_eff,
        "radius": radius,
        "n_candidates": len(candidate_ids),
        "n_covering_candidates": len(x),
        "n_covered_units": len(y),
        "total_demand": int(demand.sum()),
        "solver": f"CBC via PuLP {pulp.__version__}, single thread, default gaps",
        "time_limit": time_limit,
        "build_s": build_s,
        "solve_s": solve_s,
        "cbc_wall_s": cbc.get("wall_s"),
        "cbc_cpu_s": cbc.get("cpu_s"),
    }
    Path(out_path).write_text(json.dumps(result, indent=1) + "\n")
    return result


def solve_mclp_highs(candidate_ids, cand_idx, unit_idx, demand, p, radius, time_limit, out_path):
    """The same model as solve_mclp (the same variables and constraints, in the same order), solved by HiGHS through
    scipy.optimize.milp: minimise -sum_i a_i y_i over [x, y] with the cover rows y_i - sum_{j covers i} x_j <= 0 and
    the row sum_j x_j = p as one sparse matrix. mip_rel_gap = 0, so that, like CBC, HiGHS stops only when it has
    proven the objective optimal (HiGHS's default gap is 1e-4), or at time_limit. Writes out_path in mclp.json's
    format (status in CBC's words: "Optimal Solution Found" only when proven optimal) and returns the dict written."""
    start = time.perf_counter()
    cand_idx, unit_idx, demand, used_cands, covered_units, bounds = _group_pairs(cand_idx, unit_idx, demand)
    n_x, n_y = used_cands.size, covered_units.size
    rows = np.repeat(np.arange(n_y), np.diff(bounds))
    cover = scipy.sparse.csr_array(
        (
            np.concatenate([-np.ones(unit_idx.size), np.ones(n_y)]),
            (np.concatenate([rows, np.arange(n_y)]), np.concatenate([np.searchsorted(used_cands, cand_idx), n_x + np.arange(n_y)])),
        ),
        shape=(n_y, n_x + n_y),
    )
    count = scipy.sparse.csr_array((np.ones(n_x), (np.zeros(n_x, dtype=np.int64), np.arange(n_x))), shape=(1, n_x + n_y))
    p_eff = min(p, n_x)
    constraints = [
        scipy.optimize.LinearConstraint(cover, -np.inf, 0.0),
        scipy.optimize.LinearConstraint(count, p_eff, p_eff),
    ]
    cost = np.concatenate([np.zeros(n_x), -demand[covered_units].astype(np.float64)])
    options = {"disp": False, "mip_rel_gap": 0.0, **({"time_limit": time_limit} if time_limit is not None else {})}
    build_s = time.perf_counter() - start

    start = time.perf_counter()
    res = scipy.optimize.milp(
        cost, integrality=np.ones(n_x + n_y), bounds=scipy.optimize.Bounds(0, 1), constraints=constraints, options=options
    )
    solve_s = time.perf_counter() - start

    objective = _integral(-res.fun) if res.x is not None else None
    bound = getattr(res, "mip_dual_bound", None)
    bound = _integral(-bound) if bound is not None and np.isfinite(bound) else None
    selected = sorted(candidate_ids[j] for j in used_cands[res.x[:n_x] > 0.5].tolist()) if res.x is not None else []
    result = {
        "mclp_sparse_obj": objective,
        "status": "Optimal Solution Found" if res.status == 0 else ("Solution Found" if res.x is not None else "Not Solved"),
        "highs_message": res.message,
        "best_bound": bound,
        "gap": (bound - objective) / objective if bound is not None and objective else None,
        "selected": selected,
        "n_vars": n_x + n_y,
        "n_constraints": n_y + 1,
        "n_nonzeros": int(unit_idx.size + n_y + n_x),
        "p": p_eff,
        "radius": radius,
        "n_candidates": len(candidate_ids),
        "n_covering_candidates": int(n_x),
        "n_covered_units": int(n_y),
        "total_demand": int(demand.sum()),
        "solver": f"HiGHS via scipy {scipy.__version__} optimize.milp, mip_rel_gap 0",
        "time_limit": time_limit,
        "build_s": build_s,
        "solve_s": solve_s,
        "mip_node_count": getattr(res, "mip_node_count", None),
    }
    Path(out_path).write_text(json.dumps(result, indent=1) + "\n")
    return result


# The MCLP solvers of --solvers; the first one's siting counts in the peers' whole workload.
SOLVERS = {"cbc": solve_mclp, "highs": solve_mclp_highs}
