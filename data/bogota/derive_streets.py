#!/usr/bin/env python3
"""Derive the bundled street slice and its coverage-gap layer from the shared Malla Vial Integral.

Run from the repository root (plain python3, no extra packages):

    python3 data/bogota/derive_streets.py [SHARED_MALLA_VIAL_DIR] [--localidades L.geojson]
        [--out-streets S.geojson] [--out-gap G.geojson]

(defaults: the shared folder beside the checkout and the bundled files below)

Writes
- data/bogota/streets_bosa_kennedy_ciudad_bolivar.geojson: every centreline segment with at
  least one vertex inside Bosa, Kennedy or Ciudad Bolívar (localidades.geojson), geometry and
  the segment id `fid` only, coordinates as published (6 decimals), RFC 7946 lon/lat. To stay
  under 4 MB the segments are grouped by the 0.01° cell of their first vertex into one
  MultiLineString per cell (feature id `cell`): part k of a feature is the segment whose `fid`
  is the k-th number of its `fids` property (one feature per segment would be 6 MB, mostly
  per-feature JSON overhead). Geometry is untouched; careblock reads every part as a segment;
- data/bogota/streets_gap.geojson: where the slice has no streets: the 17 other localidades
  and the shared layer's own coverage gap (the part of Kennedy missing upstream).
"""

import argparse
import json
from pathlib import Path

KEEP = {"07": "BOSA", "08": "KENNEDY", "19": "CIUDAD BOLIVAR"}
HERE = Path(__file__).resolve().parent
BANDS = 2048


class Polygon:
    """Even-odd point-in-polygon with edges bucketed by latitude band (fast in plain python)."""

    def __init__(self, rings):
        ys = [c[1] for r in rings for c in r]
        self.y0, self.y1 = min(ys), max(ys)
        xs = [c[0] for r in rings for c in r]
        self.x0, self.x1 = min(xs), max(xs)
        self.h = (self.y1 - self.y0) / BANDS or 1.0
        self.bands = [[] for _ in range(BANDS + 1)]
        for r in rings:
            for (ax, ay), (bx, by) in zip(r, r[1:]):
                lo, hi = sorted((ay, by))
                for k in range(self.band(lo), self.band(hi) + 1):
                    self.bands[k].append((ax, ay, bx, by))

    def band(self, y):
        return min(BANDS, max(0, int((y - self.y0) / self.h)))

    def contains(self, x, y):
        if not (self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1):
            return False
        inside = False
        for ax, ay, bx, by in self.bands[self.band(y)]:
            if (ay > y) != (by > y) and x < ax + (y - ay) * (bx - ax) / (by - ay):
                inside = not inside
        return inside


def polygons(geometry):
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    return geometry["coordinates"]


def round6(obj):
    if isinstance(obj, (int, float)):
        return round(obj, 6)
    return [round6(x) for x in obj]


def dump(path, collection):
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8")
    print(f"{path.name}: {len(collection['features'])} features, {len(text.encode()) / 1e6:.2f} MB")


def main():
    cli = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    cli.add_argument("shared", type=Path, nargs="?", default=HERE / "../../../shared/data/bogota-malla-vial-integral",
                     help="folder of the Malla Vial Integral and its coverage gap (default: %(default)s)")
    cli.add_argument("--localidades", type=Path, default=HERE / "localidades.geojson", help="(default: %(default)s)")
    cli.add_argument("--out-streets", type=Path, default=HERE / "streets_bosa_kennedy_ciudad_bolivar.geojson",
                     help="(default: %(default)s)")
    cli.add_argument("--out-gap", type=Path, default=HERE / "streets_gap.geojson", help="(default: %(default)s)")
    args = cli.parse_args()
    shared = args.shared
    loc = json.loads(args.localidades.read_text(encoding="utf-8"))
    keep, others = [], []
    for f in loc["features"]:
        code = f["properties"]["LocCodigo"]
        if code in KEEP:
            keep.extend(Polygon(p) for p in polygons(f["geometry"]))
        else:
            others.append(f)
    streets = json.loads((shared / "bogota_malla_vial_integral.geojson").read_text(encoding="utf-8"))
    cells = {}
    for f in streets["features"]:
        g = f["geometry"]
        if g is None:
            continue
        parts = [g["coordinates"]] if g["type"] == "LineString" else g["coordinates"]
        if any(p.contains(x, y) for part in parts for x, y in part for p in keep):
            for part in parts:
                x, y = part[0]
                cell = f"{int((x + 180) * 100):05d}_{int((y + 90) * 100):05d}"
                ids, lines = cells.setdefault(cell, ([], []))
                ids.append(str(f["properties"]["fid"]))
                lines.append(round6(part))
    out = [
        {
            "type": "Feature",
            "properties": {"cell": cell, "fids": ",".join(ids)},
            "geometry": {"type": "MultiLineString", "coordinates": lines},
        }
        for cell, (ids, lines) in sorted(cells.items())
    ]
    print(f"{sum(len(v[0]) for v in cells.values())} segments in {len(out)} cells")
    dump(
        args.out_streets,
        {"type": "FeatureCollection", "name": "streets_bosa_kennedy_ciudad_bolivar", "features": out},
    )
    gap_src = json.loads((shared / "coverage_gap.geojson").read_text(encoding="utf-8"))
    gap = [
        {
            "type": "Feature",
            "properties": {"gap": f"localidad {f['properties']['LocCodigo']} {f['properties']['LocNombre']}: not in the bundled slice"},
            "geometry": {"type": f["geometry"]["type"], "coordinates": round6(f["geometry"]["coordinates"])},
        }
        for f in others
    ]
    for f in gap_src["features"]:
        gap.append(
            {
                "type": "Feature",
                "properties": {"gap": "Malla Vial Integral coverage gap (cell d2g6 residual, missing upstream)"},
                "geometry": f["geometry"],
            }
        )
    dump(
        args.out_gap,
        # localidades.geojson is MAGNA-SIRGAS lon/lat (EPSG:4686); the shared gap is lon/lat too.
        {"type": "FeatureCollection", "name": "streets_gap", "crs": loc["crs"], "features": gap},
    )


if __name__ == "__main__":
    main()
