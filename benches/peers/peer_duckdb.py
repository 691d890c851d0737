#!/usr/bin/env python3
"""DuckDB spatial peer of the careblock reference workload.

Same stages, CSVs and JSON line as peer_geopandas.py, done in SQL:
  load         ST_Read (GDAL) the three GeoJSON files into tables, or with
               --input geoparquet read_parquet their GeoParquet copies (the
               WKB column arrives as GEOMETRY)
  project      ST_Transform to EPSG:<crs> (always_xy)
  interpolate  a_ij = area(unit_i ∩ district_j) over intersecting pairs,
               extensive_j = Σ_i v_i a_ij / Σ_j' a_ij'  (tobler's allocate_total),
               intensive_j = Σ_i v_i a_ij / Σ_i a_ij;  write districts.csv
  coverage     units whose centroid is within --radius of each facility
               (ST_DWithin); write coverage.csv
  index        district areas (ST_Area) and the index of peer_common.district_index
               over the interpolated sums; write district_index.csv
  siting       read (as the load) + ST_Transform the candidates, cover pairs with
               ST_DWithin against the unit centroids, then the same sparse
               PuLP/CBC model as peer_geopandas.py; write mclp.json
               (skipped with --no-siting; --solvers as peer_geopandas.py)

The spatial extension comes from the PyPI package duckdb-ext-spatial (it
cannot be downloaded from DuckDB's own server here). Exits with status 3 if
it cannot be loaded.
"""

import importlib.util
import sys
import time
from pathlib import Path

import duckdb

import numpy as np

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
    write_csv,
)

EXIT_UNAVAILABLE = 3


def connect_with_spatial():
    con = duckdb.connect()
    con.execute("SET autoinstall_known_extensions = false")
    spec = importlib.util.find_spec("duckdb_ext")
    if spec is not None and spec.submodule_search_locations:
        extensions = Path(list(spec.submodule_search_locations)[0]) / "extensions"
        con.execute("SET extension_directory = ?", [str(extensions)])
    con.execute("LOAD spatial")
    return con


def source(path):
    """SQL of a layer's rows, geometry as `geom` (the column ST_Read gives): GDAL's ST_Read for GeoJSON; for GeoParquet
    read_parquet, which with the spatial extension loaded converts the WKB column to GEOMETRY itself
    (enable_geoparquet_conversion), less the bbox covering column."""
    if path.suffix == ".parquet":
        return "SELECT COLUMNS(c -> c NOT IN ('geometry', 'bbox')), geometry AS geom FROM read_parquet(?)"
    return "SELECT * FROM ST_Read(?)"


def target_crs(con, epsg):
    """'EPSG:<epsg>' if PROJ knows it, else the fallback proj string."""
    try:
        con.execute("SELECT ST_Transform(ST_Point(-74.1, 4.65), 'EPSG:4326', ?, always_xy := true)", [f"EPSG:{epsg}"])
        return f"EPSG:{epsg}"
    except duckdb.Error:
        if epsg not in FALLBACK_PROJ:
            raise
        return FALLBACK_PROJ[epsg]


def interpolation_sql():
    def estimate(v):
        if v in EXTENSIVE:
            return f"COALESCE(SUM(u.{v} * p.a / p.unit_area), 0.0)::DOUBLE AS {v}"
        return f"CASE WHEN SUM(p.a) > 0 THEN SUM(u.{v} * p.a) / SUM(p.a) ELSE 0.0 END::DOUBLE AS {v}"

    assert set(DISTRICT_COLUMNS[1:]) == {*EXTENSIVE, *INTENSIVE}
    columns = ",\n".join(estimate(v) for v in DISTRICT_COLUMNS[1:])  # in the CSV's column order
    return f"""
        WITH pairs AS (
            SELECT u.unit_id, d.district_id, ST_Area(ST_Intersection(u.geom, d.geom)) AS a
            FROM units u JOIN districts d ON ST_Intersects(u.geom, d.geom)
        ), weighted AS (
            SELECT *, SUM(a) OVER (PARTITION BY unit_id) AS unit_area FROM pairs
        ), p AS (
            SELECT * FROM weighted WHERE unit_area > 0
        )
        SELECT d.district_id, {columns}
        FROM districts d LEFT JOIN p ON p.district_id = d.district_id LEFT JOIN units u ON u.unit_id = p.unit_id
        GROUP BY d.district_id
    """


COVERAGE_SQL = """
    WITH hits AS (
        SELECT f.facility_id, c.pop_total
        FROM facilities f JOIN centroids c ON ST_DWithin(f.geom, c.geom, ?)
    )
    SELECT f.facility_id, COUNT(h.facility_id) AS n_units, COALESCE(SUM(h.pop_total), 0)::BIGINT AS pop_covered
    FROM facilities f LEFT JOIN hits h ON h.facility_id = f.facility_id
    GROUP BY f.facility_id
"""


def index(con, rows, out_path):
    areas = dict(con.execute("SELECT district_id, ST_Area(geom) FROM districts").fetchall())
    rows = sorted(rows)
    sums = {name: np.array([row[k] for row in rows], dtype=np.float64) for k, name in enumerate(DISTRICT_COLUMNS) if k}
    ids = [row[0] for row in rows]
    district_index(ids, sums, [areas[d] for d in ids], out_path)


def siting(con, path, crs, radius, p, time_limit, solve, out_path):
    con.execute(
        "CREATE OR REPLACE TABLE candidates AS SELECT row_number() OVER (ORDER BY candidate_id) - 1 AS j, candidate_id, "
        f"ST_Transform(geom, 'EPSG:4326', ?, always_xy := true) AS geom FROM ({source(path)})",
        [crs, str(path)],
    )
    demand = " + ".join(DEMAND_COLUMNS)
    con.execute(
        f"CREATE OR REPLACE TABLE sites_units AS SELECT row_number() OVER (ORDER BY unit_id) - 1 AS i, "
        f"({demand})::BIGINT AS demand, ST_Centroid(geom) AS geom FROM units"
    )
    pairs = con.execute(
        "SELECT c.j, u.i FROM candidates c JOIN sites_units u ON ST_DWithin(c.geom, u.geom, ?)", [radius]
    ).fetchnumpy()
    candidate_ids = [r[0] for r in con.execute("SELECT candidate_id FROM candidates ORDER BY j").fetchall()]
    demand = con.execute("SELECT demand FROM sites_units ORDER BY i").fetchnumpy()["demand"]
    return solve(candidate_ids, pairs["j"], pairs["i"], demand, p, radius, time_limit, out_path)


def main():
    args = parse_args(__doc__)
    try:
        con = connect_with_spatial()
    except duckdb.Error as err:
        print(f"duckdb spatial extension unavailable: {err}", file=sys.stderr)
        sys.exit(EXIT_UNAVAILABLE)
    times = {}
    tables = ("units", "districts", "facilities")

    start = time.perf_counter()
    for table in tables:
        path = layer_path(args.city, table, args.input)
        con.execute(f"CREATE TABLE {table} AS {source(path)}", [str(path)])
    times["load"] = time.perf_counter() - start

    start = time.perf_counter()
    crs = target_crs(con, args.crs)
    for table in tables:
        con.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT * REPLACE "
            f"(ST_Transform(geom, 'EPSG:4326', ?, always_xy := true) AS geom) FROM {table}",
            [crs],
        )
    times["project"] = time.perf_counter() - start

    start = time.perf_counter()
    estimates = con.execute(interpolation_sql()).fetchall()
    write_csv(args.out / "districts.csv", DISTRICT_COLUMNS, estimates)
    times["interpolate"] = time.perf_counter() - start

    start = time.perf_counter()
    con.execute("CREATE TABLE centroids AS SELECT unit_id, pop_total, ST_Centroid(geom) AS geom FROM units")
    write_csv(args.out / "coverage.csv", COVERAGE_COLUMNS, con.execute(COVERAGE_SQL, [args.radius]).fetchall())
    times["coverage"] = time.perf_counter() - start

    start = time.perf_counter()
    index(con, estimates, args.out / "district_index.csv")
    times["index"] = time.perf_counter() - start

    extra = {}
    for solver, name, key in [] if args.no_siting else mclp_outputs(args.solvers):
        start = time.perf_counter()
        candidates = layer_path(args.city, "candidates", args.input)
        siting(con, candidates, crs, args.radius, args.p, args.time_limit, SOLVERS[solver], args.out / name)
        (times if key == "siting" else extra)[key] = time.perf_counter() - start

    report("duckdb-spatial", times, extra)


if __name__ == "__main__":
    main()
