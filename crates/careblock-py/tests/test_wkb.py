"""Geometries cross into Rust as WKB: big-endian, 3D and extended (SRID) WKB read the same as
shapely's default little-endian 2D WKB; corrupt WKB is a GeometryError naming the feature."""

from __future__ import annotations

import polars as pl
import pytest
import shapely
from shapely.geometry import MultiPolygon, box

import careblock
from careblock import _careblock


def frames(**wkb_options):
    src = [box(0, 0, 100, 100), MultiPolygon([box(100, 0, 150, 50), box(160, 0, 200, 50)])]
    src = [shapely.force_3d(g, 7.0) for g in src] if wkb_options.get("output_dimension") == 3 else src
    tgt = [box(0, 0, 120, 120), box(120, 0, 300, 120)]
    s = pl.DataFrame([pl.Series("pop", [100.0, 60.0]),
                      pl.Series("geometry", list(shapely.to_wkb(src, **wkb_options)), dtype=pl.Binary)])
    t = pl.DataFrame([pl.Series("geometry", list(shapely.to_wkb(tgt)), dtype=pl.Binary)])
    return s, t


def interpolate(s, t):
    df, _ = _careblock.area_interpolate(s, t, 9377, ["pop"], [])
    return df["pop"].to_list()


def test_wkb_variants_read_alike():
    want = interpolate(*frames())
    assert sum(want) == pytest.approx(160.0, rel=1e-12)
    assert want[0] == pytest.approx(100.0 + 60.0 * (20 * 50) / (50 * 50 + 40 * 50), rel=1e-12)
    for opts in [dict(byte_order=0), dict(output_dimension=3), dict(output_dimension=3, byte_order=0),
                 dict(include_srid=True, flavor="extended")]:
        s, t = frames(**opts)
        if opts.get("include_srid"):
            s = s.with_columns(pl.Series("geometry", list(shapely.to_wkb(shapely.set_srid(
                shapely.from_wkb(s["geometry"].to_list()), 9377), include_srid=True)), dtype=pl.Binary))
        assert interpolate(s, t) == want, opts


def test_corrupt_wkb_is_a_geometry_error():
    s, t = frames()
    good = s["geometry"].to_list()
    for bad in [good[1][:-3], b"\x07" + good[1][1:], good[1] + b"\x00", good[1][:5] + b"\xff\xff\xff\x7f" + good[1][9:]]:
        broken = s.with_columns(pl.Series("geometry", [good[0], bad], dtype=pl.Binary))
        with pytest.raises(careblock.GeometryError, match="source: feature at index 1"):
            interpolate(broken, t)
    with pytest.raises(careblock.InputError, match="WKB"):
        interpolate(s.with_columns(pl.Series("geometry", ["x", "y"])), t)
