#!/usr/bin/env python3
"""geopandas + tobler peer of the careblock reference workload.

Stages (wall seconds, printed as one JSON line):
  load         read units, districts and facilities: GeoJSON with read_file (pyogrio
               engine, through Arrow), or with --input geoparquet their GeoParquet
               copies with read_parquet
  project      reproject all three to EPSG:<crs>
  interpolate  tobler area_interpolate units -> districts (n_jobs = --tobler-jobs,
               default -1: one worker process per CPU); write districts.csv
  coverage     per facility, units whose centroid lies within --radius;
               write coverage.csv
  index        district indicators from the interpolated sums, min-max 0-100,
               equal-weight mean, rank; write district_index.csv
  siting       read and project the candidates (as the load), cover pairs (unit centroid
               within --radius of a candidate), sparse MCLP in PuLP solved by
               CBC for --p sites; write mclp.json (skipped with --no-siting).
               With --solvers cbc,highs the whole stage runs again with HiGHS
               (scipy.optimize.milp), timed apart as siting_highs (mclp_highs.json)

"total" is the sum of the first four stages (the original workload);
"total_with_index_siting" adds index and siting.
"""

import time

import geopandas as gpd
import numpy as np
from pyproj.exceptions import CRSError
from tobler.area_weighted import area_interpolate

from peer_common import (
    COVERAGE_COLUMNS,
    DEMAND_COLUMNS,
    DISTRICT_COLUMNS,
    EXTENSIVE,
    FALLBACK_PROJ,
    INTENSIVE,
    SOLVERS,
    district_index,
    layer_path,
    mclp_outputs,
    parse_args,
    report,
    unit_demand,
    write_csv,
)


def read(path):
    """A layer from GeoJSON (pyogrio through Arrow) or GeoParquet (geopandas' own reader), by the file's suffix."""
    if path.suffix == ".parquet":
        return gpd.read_parquet(path)
    return gpd.read_file(path, engine="pyogrio", use_arrow=True)


def project(frame, epsg):
    try:
        return frame.to_crs(f"EPSG:{epsg}")
    except CRSError:
        if epsg not in FALLBACK_PROJ:
            raise
        return frame.to_crs(FALLBACK_PROJ[epsg])


def interpolate(units, districts, out_path, n_jobs):
    # Counts as float64: tobler would otherwise hand int32 columns to scipy.sparse.diags.
    units = units.astype({column: "float64" for column in EXTENSIVE})
    # n_jobs=-1 (the default of --tobler-jobs): tobler builds the area table in one joblib (loky) worker process per
    # CPU. Starting the workers (each imports geopandas and unpickles its chunk) is part of the stage's time.
    estimates = area_interpolate(units, districts, extensive_variables=EXTENSIVE, intensive_variables=INTENSIVE, n_jobs=n_jobs)
    estimates["district_id"] = districts["district_id"]
    rows = estimates[DISTRICT_COLUMNS].astype({c: float for c in DISTRICT_COLUMNS[1:]})
    write_csv(out_path, DISTRICT_COLUMNS, rows.itertuples(index=False, name=None))
    return rows


def coverage(units, facilities, radius, out_path):
    centroids = units.geometry.centroid
    fac_idx, unit_idx = centroids.sindex.query(facilities.geometry, predicate="dwithin", distance=radius)
    n_facilities = len(facilities)
    n_units = np.bincount(fac_idx, minlength=n_facilities)
    pop = units["pop_total"].to_numpy(dtype=np.int64)
    pop_covered = np.bincount(fac_idx, weights=pop[unit_idx], minlength=n_facilities)
    rows = zip(facilities["facility_id"].tolist(), n_units.tolist(), pop_covered.astype(np.int64).tolist())
    write_csv(out_path, COVERAGE_COLUMNS, rows)


def index(districts, estimates, out_path):
    sums = {column: estimates[column].to_numpy(dtype=np.float64) for column in EXTENSIVE}
    district_index(estimates["district_id"].tolist(), sums, districts.geometry.area.to_numpy(), out_path)


def siting(units, path, epsg, radius, p, time_limit, solve, out_path):
    candidates = project(read(path), epsg)
    centroids = units.geometry.centroid
    cand_idx, unit_idx = centroids.sindex.query(candidates.geometry, predicate="dwithin", distance=radius)
    demand = unit_demand({column: units[column].to_numpy() for column in DEMAND_COLUMNS})
    return solve(candidates["candidate_id"].tolist(), cand_idx, unit_idx, demand, p, radius, time_limit, out_path)


def main():
    args = parse_args(__doc__)
    times = {}

    start = time.perf_counter()
    units, districts, facilities = (read(layer_path(args.city, name, args.input)) for name in ("units", "districts", "facilities"))
    times["load"] = time.perf_counter() - start

    start = time.perf_counter()
    units, districts, facilities = (project(f, args.crs) for f in (units, districts, facilities))
    times["project"] = time.perf_counter() - start

    start = time.perf_counter()
    estimates = interpolate(units, districts, args.out / "districts.csv", args.tobler_jobs)
    times["interpolate"] = time.perf_counter() - start

    start = time.perf_counter()
    coverage(units, facilities, args.radius, args.out / "coverage.csv")
    times["coverage"] = time.perf_counter() - start

    start = time.perf_counter()
    index(districts, estimates, args.out / "district_index.csv")
    times["index"] = time.perf_counter() - start

    extra = {}
    for solver, name, key in [] if args.no_siting else mclp_outputs(args.solvers):
        start = time.perf_counter()
        candidates = layer_path(args.city, "candidates", args.input)
        siting(units, candidates, args.crs, args.radius, args.p, args.time_limit, SOLVERS[solver], args.out / name)
        (times if key == "siting" else extra)[key] = time.perf_counter() - start

    report("geopandas+tobler", times, extra)


if __name__ == "__main__":
    main()
