#!/usr/bin/env python3
"""Deterministic synthetic city for the careblock peer comparison.

Writes four RFC 7946 GeoJSON files (lon/lat, EPSG:4326, no ``crs`` member,
coordinates rounded to 7 decimals) centred near Bogotá:

* ``units.geojson``: ``--units`` census units tiling the city without gaps or
  overlaps: a jittered grid of quadrilaterals (about 125 m side) whose
  neighbours share vertices, so the city grows with the number of units.
* ``districts.geojson``: ``--districts`` Voronoi cells of random seeds, clipped
  to a box that stops short of the western edge of the units, so that some
  units lie partly or wholly outside every district.
* ``facilities.geojson``: ``--facilities`` points, each inside a random unit.
* ``candidates.geojson``: ``--candidates`` (default ``--facilities``) candidate
  sites for care blocks: the facility points, then (if more are asked for)
  further points inside random units.

The original files and properties come from one
``numpy.random.default_rng(seed)`` stream, drawn in the same order as before
the care properties and candidates were added, so they are unchanged. The care
properties of the units (``pop_disability``, ``women_unpaid_care``, appended
after ``ipm``) and any extra candidates come from a second, independent stream,
``default_rng(SeedSequence(seed).spawn(1)[0])``. ``--base-only`` omits them and
``candidates.geojson``, reproducing the files written before they existed (e.g.
``tests/fixtures/city2k``) byte for byte. The JSON text is written directly, so
the same arguments give byte-identical files (for the same numpy and GEOS
versions).
"""

import argparse
import math
from pathlib import Path

import numpy as np
import shapely

CENTRE_LON = -74.1
CENTRE_LAT = 4.65
CELL_M = 125.0
JITTER = 0.2  # vertex jitter, as a fraction of the cell side
WEST_GAP_CELLS = 2.5  # district box stops this many cells east of the units
METRES_PER_DEG_LAT = 110_574.0
METRES_PER_DEG_LON = 111_320.0 * math.cos(math.radians(CENTRE_LAT))
FACILITY_KINDS = np.array(["school", "cdc", "library", "jardin"])
FACILITY_KIND_WEIGHTS = [0.45, 0.25, 0.10, 0.20]
DISABILITY_RATE = 0.05
UNPAID_CARE_MEAN = 0.30  # share of women doing unpaid care work varies by place
UNPAID_CARE_AMPLITUDE = 0.15  # ... between 0.15 and 0.45
DECIMALS = 7


def fmt(value):
    """Coordinate text: rounded to 7 decimals, trailing zeros dropped."""
    text = f"{value:.{DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def grid_shape(n_units):
    """Columns and rows of the smallest near-square grid holding n_units."""
    nx = math.ceil(math.sqrt(n_units))
    return nx, math.ceil(n_units / nx)


def grid_vertices(rng, nx, ny):
    """Jittered (ny+1, nx+1) lon and lat arrays of the grid's vertices."""
    dlon = CELL_M / METRES_PER_DEG_LON
    dlat = CELL_M / METRES_PER_DEG_LAT
    cols = np.arange(nx + 1) - nx / 2
    rows = np.arange(ny + 1) - ny / 2
    lon = CENTRE_LON + cols[None, :] * dlon + rng.uniform(-JITTER, JITTER, (ny + 1, nx + 1)) * dlon
    lat = CENTRE_LAT + rows[:, None] * dlat + rng.uniform(-JITTER, JITTER, (ny + 1, nx + 1)) * dlat
    return np.round(lon, DECIMALS), np.round(lat, DECIMALS)


def unit_attributes(rng, x, y):
    """Census counts and ipm for units at normalised positions x, y in [-1, 1]."""
    n = x.size
    hot_x, hot_y = rng.uniform(-0.8, 0.8, (2, 6))
    hot_w = rng.uniform(0.5, 1.5, 6)
    density = 0.3 + np.exp(-(x**2 + y**2) / 0.6)
    density += (hot_w[None, :] * np.exp(-((x[:, None] - hot_x) ** 2 + (y[:, None] - hot_y) ** 2) / 0.02)).sum(axis=1)
    expected = 220.0 * density * rng.lognormal(0.0, 0.35, n)
    pop_total = rng.poisson(expected)
    pop_total[rng.random(n) < 0.03] = 0  # parks, industry
    women = rng.binomial(pop_total, 0.52)
    pop_0_5 = rng.binomial(pop_total, 0.07)
    pop_60_plus = rng.binomial(pop_total - pop_0_5, 0.13)
    dwellings = rng.binomial(pop_total, 0.33)
    radius = np.sqrt(x**2 + y**2) / math.sqrt(2)
    ipm = np.clip(0.12 + 0.45 * radius + rng.normal(0.0, 0.08, n), 0.0, 1.0)
    return {
        "pop_total": pop_total,
        "pop_0_5": pop_0_5,
        "pop_60_plus": pop_60_plus,
        "women": women,
        "men": pop_total - women,
        "dwellings": dwellings,
        "ipm": np.round(ipm, 6),
    }


def care_attributes(care_rng, x, y, pop_total, women):
    """Care counts for units at normalised positions x, y in [-1, 1].

    pop_disability ~ Binomial(pop_total, 0.05); women_unpaid_care ~
    Binomial(women, p) with p = 0.30 + 0.15 sin(1.3 pi x + a) sin(1.1 pi y + b),
    a smooth field between 0.15 and 0.45 (about 1.3 waves across the city, so
    districts differ), a and b drawn from care_rng.
    """
    phase_x, phase_y = care_rng.uniform(0.0, 2.0 * math.pi, 2)
    share = UNPAID_CARE_MEAN + UNPAID_CARE_AMPLITUDE * np.sin(1.3 * math.pi * x + phase_x) * np.sin(1.1 * math.pi * y + phase_y)
    return {
        "pop_disability": care_rng.binomial(pop_total, DISABILITY_RATE),
        "women_unpaid_care": care_rng.binomial(women, share),
    }


def write_collection(path, features):
    """Write a FeatureCollection with one feature per line."""
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write('{"type":"FeatureCollection","features":[\n')
        out.write(",\n".join(features))
        out.write("\n]}\n")


def write_units(path, rng, n_units, care_rng=None):
    """Write the units; return the vertex arrays and the number of grid columns.

    With care_rng, the care properties are appended after ipm; without, the
    units are written exactly as before those properties existed.
    """
    nx, ny = grid_shape(n_units)
    lon, lat = grid_vertices(rng, nx, ny)
    points = [f"[{fmt(a)},{fmt(b)}]" for a, b in zip(lon.ravel().tolist(), lat.ravel().tolist())]

    k = np.arange(n_units)
    row, col = k // nx, k % nx
    attrs = unit_attributes(rng, (2 * col + 1) / nx - 1, (2 * row + 1) / ny - 1)
    columns = [attrs[name].tolist() for name in ("pop_total", "pop_0_5", "pop_60_plus", "women", "men", "dwellings", "ipm")]
    care = [""] * n_units
    if care_rng is not None:
        extra = care_attributes(care_rng, (2 * col + 1) / nx - 1, (2 * row + 1) / ny - 1, attrs["pop_total"], attrs["women"])
        care = [
            f',"pop_disability":{disability},"women_unpaid_care":{unpaid}'
            for disability, unpaid in zip(extra["pop_disability"].tolist(), extra["women_unpaid_care"].tolist())
        ]

    stride = nx + 1
    features = []
    for i, (r, c) in enumerate(zip(row.tolist(), col.tolist())):
        sw = r * stride + c
        ring = ",".join((points[sw], points[sw + 1], points[sw + stride + 1], points[sw + stride], points[sw]))
        total, age0, age60, women, men, dwell, ipm = (col_values[i] for col_values in columns)
        features.append(
            f'{{"type":"Feature","properties":{{"unit_id":"U{i + 1:06d}","pop_total":{total},'
            f'"pop_0_5":{age0},"pop_60_plus":{age60},"women":{women},"men":{men},'
            f'"dwellings":{dwell},"ipm":{ipm!r}{care[i]}}},'
            f'"geometry":{{"type":"Polygon","coordinates":[[{ring}]]}}}}'
        )
    write_collection(path, features)
    return lon, lat, nx


def polygon_text(polygon):
    """GeoJSON coordinates of a shapely Polygon (exterior counter-clockwise)."""
    polygon = shapely.geometry.polygon.orient(polygon, sign=1.0)
    rings = [polygon.exterior, *polygon.interiors]
    return "[" + ",".join("[" + ",".join(f"[{fmt(x)},{fmt(y)}]" for x, y in ring.coords) + "]" for ring in rings) + "]"


def write_districts(path, rng, n_districts, lon, lat):
    """Voronoi districts clipped to a box short of the units' western edge."""
    dlon = CELL_M / METRES_PER_DEG_LON
    west, east = lon.min() + WEST_GAP_CELLS * dlon, lon.max() + dlon
    south, north = lat.min() - dlon, lat.max() + dlon
    seeds = np.column_stack((rng.uniform(west, east, n_districts), rng.uniform(south, north, n_districts)))
    box = shapely.box(west, south, east, north)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=box))
    # voronoi_polygons does not return cells in seed order: match each seed to its cell.
    tree = shapely.STRtree(cells)
    seed_idx, cell_idx = tree.query(shapely.points(seeds), predicate="intersects")
    order = cell_idx[np.unique(seed_idx, return_index=True)[1]]
    clipped = shapely.set_precision(shapely.intersection(cells[order], box), 10.0**-DECIMALS)

    features = []
    for k, polygon in enumerate(clipped, start=1):
        features.append(
            f'{{"type":"Feature","properties":{{"district_id":"D{k:03d}","name":"District {k:03d}"}},'
            f'"geometry":{{"type":"Polygon","coordinates":{polygon_text(polygon)}}}}}'
        )
    write_collection(path, features)


def random_sites(rng, n_sites, lon, lat, nx, n_units):
    """Coordinate texts and kinds of n_sites random points inside random units (bilinear in the quad)."""
    k = rng.integers(0, n_units, n_sites)
    r, c = k // nx, k % nx
    s, t = rng.random((2, n_sites))
    kinds = rng.choice(FACILITY_KINDS, n_sites, p=FACILITY_KIND_WEIGHTS)

    def bilinear(v):
        return (1 - s) * (1 - t) * v[r, c] + s * (1 - t) * v[r, c + 1] + (1 - s) * t * v[r + 1, c] + s * t * v[r + 1, c + 1]

    px, py = bilinear(lon), bilinear(lat)
    return [f"[{fmt(x)},{fmt(y)}]" for x, y in zip(px.tolist(), py.tolist())], kinds.tolist()


def write_points(path, id_field, id_prefix, coordinates, kinds):
    features = [
        f'{{"type":"Feature","properties":{{"{id_field}":"{id_prefix}{i + 1:05d}","kind":"{kind}"}},'
        f'"geometry":{{"type":"Point","coordinates":{xy}}}}}'
        for i, (xy, kind) in enumerate(zip(coordinates, kinds))
    ]
    write_collection(path, features)


def write_facilities(path, rng, n_facilities, lon, lat, nx, n_units):
    """Facilities at random points inside random units; return their coordinate texts and kinds."""
    coordinates, kinds = random_sites(rng, n_facilities, lon, lat, nx, n_units)
    write_points(path, "facility_id", "F", coordinates, kinds)
    return coordinates, kinds


def write_candidates(path, care_rng, n_candidates, facilities, lon, lat, nx, n_units):
    """Candidate care-block sites: the first facility points, then random points from care_rng."""
    coordinates, kinds = (list(v[:n_candidates]) for v in facilities)
    if n_candidates > len(coordinates):
        extra_coordinates, extra_kinds = random_sites(care_rng, n_candidates - len(coordinates), lon, lat, nx, n_units)
        coordinates += extra_coordinates
        kinds += extra_kinds
    write_points(path, "candidate_id", "C", coordinates, kinds)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, required=True, help="number of census units")
    parser.add_argument("--districts", type=int, default=112, help="number of districts")
    parser.add_argument("--facilities", type=int, default=2000, help="number of facilities")
    parser.add_argument("--candidates", type=int, help="number of candidate sites (default: --facilities)")
    parser.add_argument("--seed", type=int, default=42, help="random seed")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument(
        "--base-only",
        action="store_true",
        help="write units, districts and facilities exactly as before the care properties and candidates existed",
    )
    args = parser.parse_args()
    if args.candidates is None:
        args.candidates = args.facilities
    if args.units < 1 or args.districts < 1 or args.facilities < 0 or args.candidates < 0:
        parser.error("--units and --districts must be positive, --facilities and --candidates non-negative")

    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    # Independent of rng: drawing from it leaves the original stream, and so the original files, unchanged.
    care_rng = None if args.base_only else np.random.default_rng(np.random.SeedSequence(args.seed).spawn(1)[0])
    lon, lat, nx = write_units(args.out / "units.geojson", rng, args.units, care_rng)
    write_districts(args.out / "districts.geojson", rng, args.districts, lon, lat)
    facilities = write_facilities(args.out / "facilities.geojson", rng, args.facilities, lon, lat, nx, args.units)
    if care_rng is not None:
        write_candidates(args.out / "candidates.geojson", care_rng, args.candidates, facilities, lon, lat, nx, args.units)


if __name__ == "__main__":
    main()
