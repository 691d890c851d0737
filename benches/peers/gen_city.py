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

``--shape organic`` makes the units concave and many-vertex on the same grid:
each edge shared by two units becomes a wiggly polyline of 16–40 interior
vertices (so a unit has about 116), whose vertices both units use, and 1 % of
the units receive an enclave unit that is a hole in them (appended after the
grid's units, ``U<N+1>``…). This comes from a third independent stream,
``default_rng(SeedSequence(seed).spawn(2)[1])``; districts, facilities,
candidates and the grid units' properties are byte-identical to the convex
city's for the same arguments. The generator checks that the units are valid
and form a valid coverage (``shapely.coverage_is_valid``).

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
# --shape organic: every grid edge becomes a wiggly polyline that both its units share.
ORGANIC_VERTICES = (16, 40)  # interior vertices per edge, drawn uniformly from this range
ORGANIC_AMPLITUDE = 0.15  # largest sideways offset of an edge's polyline, as a fraction of its length
ORGANIC_CONE = 0.45  # share of the angle to the next edge at a vertex that an edge's polyline may use
ENCLAVE_SHARE = 0.01  # grid units that receive an enclave unit (a hole in them)
ENCLAVE_RADIUS = 0.1  # mean enclave radius, as a fraction of the cell side
ENCLAVE_VERTICES = 24


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


def write_units(path, rng, n_units, care_rng=None, organic_rng=None):
    """Write the units; return the vertex arrays and the number of grid columns.

    With care_rng, the care properties are appended after ipm; without, the
    units are written exactly as before those properties existed. With
    organic_rng, the units' edges are wiggly polylines and some units hold an
    enclave unit (see organic_units); the grid, the properties of the grid's
    units and everything drawn from rng are the same as without it.
    """
    nx, ny = grid_shape(n_units)
    lon, lat = grid_vertices(rng, nx, ny)
    points = [f"[{fmt(a)},{fmt(b)}]" for a, b in zip(lon.ravel().tolist(), lat.ravel().tolist())]

    k = np.arange(n_units)
    row, col = k // nx, k % nx
    attrs = unit_attributes(rng, (2 * col + 1) / nx - 1, (2 * row + 1) / ny - 1)
    names = ("pop_total", "pop_0_5", "pop_60_plus", "women", "men", "dwellings", "ipm")
    columns = [attrs[name].tolist() for name in names]
    care = [""] * n_units
    if care_rng is not None:
        extra = care_attributes(care_rng, (2 * col + 1) / nx - 1, (2 * row + 1) / ny - 1, attrs["pop_total"], attrs["women"])
        care = [
            f',"pop_disability":{disability},"women_unpaid_care":{unpaid}'
            for disability, unpaid in zip(extra["pop_disability"].tolist(), extra["women_unpaid_care"].tolist())
        ]

    stride = nx + 1
    if organic_rng is None:
        geometries = []
        for r, c in zip(row.tolist(), col.tolist()):
            sw = r * stride + c
            ring = ",".join((points[sw], points[sw + 1], points[sw + stride + 1], points[sw + stride], points[sw]))
            geometries.append(f"[[{ring}]]")
    else:
        geometries, enclave_attrs, enclave_geometries = organic_units(organic_rng, lon, lat, nx, n_units, points, attrs)
        for name, values in zip(names, columns):
            values.extend(enclave_attrs[name].tolist())
        if care_rng is not None:
            care.extend(
                f',"pop_disability":{disability},"women_unpaid_care":{unpaid}'
                for disability, unpaid in zip(enclave_attrs["pop_disability"].tolist(), enclave_attrs["women_unpaid_care"].tolist())
            )
        geometries.extend(enclave_geometries)

    features = []
    for i, geometry in enumerate(geometries):
        total, age0, age60, women, men, dwell, ipm = (col_values[i] for col_values in columns)
        features.append(
            f'{{"type":"Feature","properties":{{"unit_id":"U{i + 1:06d}","pop_total":{total},'
            f'"pop_0_5":{age0},"pop_60_plus":{age60},"women":{women},"men":{men},'
            f'"dwellings":{dwell},"ipm":{ipm!r}{care[i]}}},'
            f'"geometry":{{"type":"Polygon","coordinates":{geometry}}}}}'
        )
    write_collection(path, features)
    return lon, lat, nx


def vertex_gaps(x, y):
    """Counter-clockwise angles between consecutive edges at each grid vertex (x, y in metres):
    E→N, N→W, W→S, S→E, each (ny+1, nx+1); π where a neighbour is missing (the grid's border)."""
    rows, cols = x.shape

    def direction(dr, dc):
        angle = np.full(x.shape, np.nan)
        r0, r1, c0, c1 = max(0, -dr), rows - max(0, dr), max(0, -dc), cols - max(0, dc)
        angle[r0:r1, c0:c1] = np.arctan2(
            y[r0 + dr : r1 + dr, c0 + dc : c1 + dc] - y[r0:r1, c0:c1], x[r0 + dr : r1 + dr, c0 + dc : c1 + dc] - x[r0:r1, c0:c1]
        )
        return angle

    east, north, west, south = direction(0, 1), direction(1, 0), direction(0, -1), direction(-1, 0)

    def gap(a, b):
        g = np.mod(b - a, 2.0 * math.pi)
        return np.minimum(np.where(np.isnan(g), math.pi, g), math.pi)

    return gap(east, north), gap(north, west), gap(west, south), gap(south, east)


def wiggle(organic_rng, x0, y0, x1, y1, cone):
    """Interior points of the polylines that replace straight edges (x0, y0) → (x1, y1), in metres.

    Edge e gets k_e interior points (uniform in ORGANIC_VERTICES) at increasing t in (0, 1),
    offset sideways by amp_e · length · sin(π t) · w(t), with w a sum of two random sines
    (|w| ≤ 1). As sin(π t) ≤ π min(t, 1 − t), every point lies within atan(π amp_e) of the
    straight edge seen from either end; amp_e = min(ORGANIC_AMPLITUDE, tan(ORGANIC_CONE ·
    cone_e) / π), cone_e being the smallest angle to a neighbouring edge at either end, keeps
    the polylines of edges meeting at a vertex from crossing. Each polyline is a graph over its
    edge, so it does not cross itself either. Returns arrays (n, kmax) px, py and k.
    """
    n = x0.size
    lo, hi = ORGANIC_VERTICES
    k = organic_rng.integers(lo, hi + 1, n)
    f1, f2 = organic_rng.uniform(0.5, 1.5, n), organic_rng.uniform(1.5, 3.5, n)
    p1, p2 = organic_rng.uniform(0.0, 2.0 * math.pi, (2, n))
    jitter = organic_rng.uniform(-0.3, 0.3, (n, hi))
    t = np.clip((np.arange(1, hi + 1)[None, :] + jitter) / (k[:, None] + 1.0), 0.0, 1.0)
    wave = (np.sin(2.0 * math.pi * f1[:, None] * t + p1[:, None]) + 0.5 * np.sin(2.0 * math.pi * f2[:, None] * t + p2[:, None])) / 1.5
    amp = np.minimum(ORGANIC_AMPLITUDE, np.tan(ORGANIC_CONE * cone) / math.pi)
    offset = amp[:, None] * np.sin(math.pi * t) * wave  # as a fraction of the edge's length
    dx, dy = (x1 - x0)[:, None], (y1 - y0)[:, None]
    return x0[:, None] + t * dx - offset * dy, y0[:, None] + t * dy + offset * dx, k


def polyline_coordinates(px, py, k):
    """Per edge, its interior points as rounded (lon, lat) arrays and as GeoJSON position texts."""
    lon = np.round(px / METRES_PER_DEG_LON, DECIMALS)
    lat = np.round(py / METRES_PER_DEG_LAT, DECIMALS)
    arrays, texts = [], []
    for row_lon, row_lat, n in zip(lon, lat, k.tolist()):
        a, b = row_lon[:n], row_lat[:n]
        arrays.append(np.column_stack((a, b)))
        texts.append([f"[{fmt(u)},{fmt(v)}]" for u, v in zip(a.tolist(), b.tolist())])
    return arrays, texts


def enclave_attributes(organic_rng, parent_ipm):
    """Properties of enclave units: pop_total ~ Poisson(80), the shares of unit_attributes and
    care_attributes (unpaid care share 0.30), ipm = the parent's ± N(0, 0.05)."""
    n = parent_ipm.size
    pop_total = organic_rng.poisson(80.0, n)
    women = organic_rng.binomial(pop_total, 0.52)
    pop_0_5 = organic_rng.binomial(pop_total, 0.07)
    pop_60_plus = organic_rng.binomial(pop_total - pop_0_5, 0.13)
    dwellings = organic_rng.binomial(pop_total, 0.33)
    ipm = np.round(np.clip(parent_ipm + organic_rng.normal(0.0, 0.05, n), 0.0, 1.0), 6)
    return {
        "pop_total": pop_total,
        "pop_0_5": pop_0_5,
        "pop_60_plus": pop_60_plus,
        "women": women,
        "men": pop_total - women,
        "dwellings": dwellings,
        "ipm": ipm,
        "pop_disability": organic_rng.binomial(pop_total, DISABILITY_RATE),
        "women_unpaid_care": organic_rng.binomial(women, UNPAID_CARE_MEAN),
    }


def organic_units(organic_rng, lon, lat, nx, n_units, points, attrs):
    """Concave many-vertex units on the same grid: (geometries of the grid's units, properties
    of the enclave units, geometries of the enclave units).

    Every edge of the grid becomes a wiggly polyline (see wiggle) whose vertices both units
    beside it use, so the units still tile without gaps or overlaps. ENCLAVE_SHARE of the grid's
    units, chosen at random, receive an enclave: a star-shaped unit of ENCLAVE_VERTICES vertices
    around the quadrilateral's vertex mean that becomes a hole in its parent, appended after the
    grid's units (a drawn enclave that would not lie strictly inside its parent is left out).
    Everything is drawn from organic_rng. Raises if a unit is invalid or the units do not form
    a valid coverage (shapely.coverage_is_valid).
    """
    x, y = lon * METRES_PER_DEG_LON, lat * METRES_PER_DEG_LAT
    gap_en, gap_nw, gap_ws, gap_se = vertex_gaps(x, y)
    # Horizontal edges (r, c) → (r, c + 1): direction E at the start, W at the end.
    cone = np.minimum(np.minimum(gap_en, gap_se)[:, :-1], np.minimum(gap_ws, gap_nw)[:, 1:])
    h_arrays, h_texts = polyline_coordinates(*wiggle(organic_rng, x[:, :-1].ravel(), y[:, :-1].ravel(), x[:, 1:].ravel(), y[:, 1:].ravel(), cone.ravel()))
    # Vertical edges (r, c) → (r + 1, c): direction N at the start, S at the end.
    cone = np.minimum(np.minimum(gap_en, gap_nw)[:-1, :], np.minimum(gap_ws, gap_se)[1:, :])
    v_arrays, v_texts = polyline_coordinates(*wiggle(organic_rng, x[:-1, :].ravel(), y[:-1, :].ravel(), x[1:, :].ravel(), y[1:, :].ravel(), cone.ravel()))

    stride = nx + 1
    corner = np.column_stack((lon.ravel(), lat.ravel()))
    shells, texts = [], []
    for i in range(n_units):
        r, c = divmod(i, nx)
        sw, south, east, north, west = r * stride + c, r * nx + c, r * stride + c + 1, (r + 1) * nx + c, r * stride + c
        pieces = (
            [points[sw]], h_texts[south], [points[sw + 1]], v_texts[east], [points[sw + stride + 1]],
            h_texts[north][::-1], [points[sw + stride]], v_texts[west][::-1], [points[sw]],
        )
        texts.append(",".join(",".join(piece) for piece in pieces))
        shells.append(np.concatenate((
            corner[sw : sw + 1], h_arrays[south], corner[sw + 1 : sw + 2], v_arrays[east], corner[sw + stride + 1 : sw + stride + 2],
            h_arrays[north][::-1], corner[sw + stride : sw + stride + 1], v_arrays[west][::-1], corner[sw : sw + 1],
        )))
    sizes = np.array([len(shell) for shell in shells])
    units = shapely.polygons(shapely.linearrings(np.concatenate(shells), indices=np.repeat(np.arange(n_units), sizes)))

    n_enclaves = round(ENCLAVE_SHARE * n_units)
    parents = np.sort(organic_rng.choice(n_units, n_enclaves, replace=False))
    phase = organic_rng.uniform(0.0, 2.0 * math.pi, n_enclaves)
    r, c = parents // nx, parents % nx
    cx = (x[r, c] + x[r, c + 1] + x[r + 1, c] + x[r + 1, c + 1]) / 4.0
    cy = (y[r, c] + y[r, c + 1] + y[r + 1, c] + y[r + 1, c + 1]) / 4.0
    theta = 2.0 * math.pi * np.arange(ENCLAVE_VERTICES) / ENCLAVE_VERTICES
    radius = ENCLAVE_RADIUS * CELL_M * (1.0 + 0.3 * np.sin(3.0 * theta[None, :] + phase[:, None]))
    e_lon = np.round((cx[:, None] + radius * np.cos(theta)) / METRES_PER_DEG_LON, DECIMALS)
    e_lat = np.round((cy[:, None] + radius * np.sin(theta)) / METRES_PER_DEG_LAT, DECIMALS)
    enclaves = shapely.polygons(np.stack((e_lon, e_lat), axis=-1))  # counter-clockwise
    keep = shapely.contains_properly(units[parents], enclaves) if n_enclaves else np.zeros(0, dtype=bool)
    parents, enclaves, e_lon, e_lat = parents[keep], enclaves[keep], e_lon[keep], e_lat[keep]

    geometries = [f"[[{text}]]" for text in texts]
    enclave_geometries = []
    for parent, a, b in zip(parents.tolist(), e_lon.tolist(), e_lat.tolist()):
        ring = [f"[{fmt(u)},{fmt(v)}]" for u, v in zip(a, b)]
        ring.append(ring[0])
        enclave_geometries.append(f"[[{','.join(ring)}]]")
        geometries[parent] = f"[[{texts[parent]}],[{','.join(ring[::-1])}]]"  # holes clockwise
        units[parent] = shapely.Polygon(shells[parent], [np.column_stack((a, b))[::-1]])

    every = np.concatenate((units, enclaves))
    if not shapely.is_valid(every).all() or not shapely.coverage_is_valid(every):
        raise RuntimeError("organic units are not a valid coverage")
    enclave_attrs = enclave_attributes(organic_rng, attrs["ipm"][parents])
    return geometries, enclave_attrs, enclave_geometries


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
    parser.add_argument(
        "--shape",
        choices=("convex", "organic"),
        default="convex",
        help="convex: jittered quadrilaterals (the default); organic: the same grid with wiggly shared edges "
        "(concave units of about 100 vertices) and enclave units in 1%% of them",
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
    # A third stream, also independent of rng: an organic city differs from the convex one only in its units.
    organic_rng = np.random.default_rng(np.random.SeedSequence(args.seed).spawn(2)[1]) if args.shape == "organic" else None
    lon, lat, nx = write_units(args.out / "units.geojson", rng, args.units, care_rng, organic_rng)
    write_districts(args.out / "districts.geojson", rng, args.districts, lon, lat)
    facilities = write_facilities(args.out / "facilities.geojson", rng, args.facilities, lon, lat, nx, args.units)
    if care_rng is not None:
        write_candidates(args.out / "candidates.geojson", care_rng, args.candidates, facilities, lon, lat, nx, args.units)


if __name__ == "__main__":
    main()
