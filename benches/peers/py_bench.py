#!/usr/bin/env python3
"""careblock.area_interpolate against tobler's area_interpolate in one Python process.

Both interpolate the peer workload's counts (8 extensive variables) and rate (``ipm``) from
the units of a synthetic city (``gen_city.py``; made in ``--city`` if it holds no
``units.geojson``) to its districts. The layers are read once with geopandas (pyogrio) and
projected to EPSG:9377 once, outside the timings; then, round-robin, best of ``--repeats``:

* ``tobler``: ``tobler.area_weighted.area_interpolate(units, districts, ...)``;
* ``careblock``: ``careblock.area_interpolate(units, districts, ...)`` on the same frames
  (its time includes moving attributes to Rust as Arrow and geometries as WKB, validating
  every polygon, and building the result GeoDataFrame).

Prints a table and the largest relative difference between the two results.

    python benches/peers/py_bench.py --units 100000 --city /tmp/city100k
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peer_common import EXTENSIVE, INTENSIVE  # noqa: E402

import careblock  # noqa: E402
from tobler.area_weighted import area_interpolate as tobler_interpolate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=100_000, help="units of the synthetic city")
    ap.add_argument("--city", type=Path, required=True, help="directory of the city (made if empty)")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    if not (a.city / "units.geojson").exists():
        subprocess.run([sys.executable, str(Path(__file__).parent / "gen_city.py"), "--units", str(a.units),
                        "--out", str(a.city)], check=True)
    t = time.perf_counter()
    units = gpd.read_file(a.city / "units.geojson").set_index("unit_id").to_crs(9377)
    districts = gpd.read_file(a.city / "districts.geojson").set_index("district_id").to_crs(9377)
    units = units.astype({c: "float64" for c in EXTENSIVE})
    print(f"{len(units):,} units, {len(districts)} districts (read and projected in "
          f"{time.perf_counter() - t:.1f} s, not timed below)")

    runs = {
        "tobler": lambda: tobler_interpolate(units, districts, extensive_variables=EXTENSIVE,
                                             intensive_variables=INTENSIVE),
        "careblock": lambda: careblock.area_interpolate(units, districts, extensive=EXTENSIVE,
                                                        intensive=INTENSIVE),
    }
    best = {k: float("inf") for k in runs}
    results = {}
    for _ in range(a.repeats):
        for name, f in runs.items():
            t = time.perf_counter()
            results[name] = f()
            best[name] = min(best[name], time.perf_counter() - t)

    got, want = results["careblock"], results["tobler"]
    rel = max(
        float(np.nanmax(np.abs(got[c].to_numpy() - want[c].to_numpy()) / np.maximum(np.abs(want[c].to_numpy()), 1e-12)))
        for c in EXTENSIVE + INTENSIVE
    )
    worst = max(v["relative_error"] for v in got.attrs["conservation"]["variables"])
    print()
    print(f"| units | tool | interpolate s (best of {a.repeats}) | tobler ÷ tool |")
    print("|---:|---|---:|---:|")
    for name in ["careblock", "tobler"]:
        print(f"| {len(units):,} | {name} | {best[name]:.2f} | {best['tobler'] / best[name]:.1f} |")
    print()
    print(f"largest relative difference careblock vs tobler: {rel:.1e}; "
          f"careblock's conservation error: {worst:.1e}")


if __name__ == "__main__":
    main()
