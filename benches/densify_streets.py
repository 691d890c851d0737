#!/usr/bin/env python3
"""Writes a street layer redrawn with a vertex every STEP metres (an over-digitised copy), for
timing `careblock run` on finely drawn streets. Lon/lat GeoJSON in, the same out; the streets'
shapes are unchanged (points are added on their segments).

    python3 benches/densify_streets.py data/bogota/streets_bosa_kennedy_ciudad_bolivar.geojson \
        /tmp/dense/streets.geojson --step 1
"""
import argparse
import json
import math


def densify(line, step, lat):
    kx, ky = 111_320 * math.cos(math.radians(lat)), 110_570
    out = [line[0]]
    for a, b in zip(line, line[1:]):
        n = max(1, int(math.hypot((b[0] - a[0]) * kx, (b[1] - a[1]) * ky) / step))
        out += [[a[0] + k / n * (b[0] - a[0]), a[1] + k / n * (b[1] - a[1])] for k in range(1, n)]
        out.append(b)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source")
    ap.add_argument("out")
    ap.add_argument("--step", type=float, default=1.0, help="metres between vertices (default 1)")
    a = ap.parse_args()
    g = json.load(open(a.source))
    vertices = 0
    for f in g["features"]:
        geom = f["geometry"]
        lines = [geom["coordinates"]] if geom["type"] == "LineString" else geom["coordinates"]
        lat = lines[0][0][1]
        lines = [densify(l, a.step, lat) for l in lines]
        vertices += sum(len(l) for l in lines)
        geom["coordinates"] = lines[0] if geom["type"] == "LineString" else lines
    json.dump(g, open(a.out, "w"))
    print(f"{vertices} vertices written to {a.out}")


if __name__ == "__main__":
    main()
