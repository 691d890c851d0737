"""Bad inputs raise the right exception class, with the same one-line message (and the same
exit code) as the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon, box

import careblock
from conftest import cli

X0, Y0, S = -74.10, 4.60, 0.01  # a 2 x 2 grid of ~1 km squares in Bogotá

METHOD = """name = "errors"
crs = {crs}
{extra_top}
[units]
path = "units.geojson"
id = "code"
population = "pop"

[districts]
path = "districts.geojson"
id = "d"

[treatment]
min_population = 1

[uncertainty]
draws = 10

[[indicators]]
name = "women_share"
dimension = "women_caregivers"
kind = "share"
numerator = "women"
denominator = "pop"
{extra}
"""


def square(i: int, j: int) -> Polygon:
    return box(X0 + i * S, Y0 + j * S, X0 + (i + 1) * S, Y0 + (j + 1) * S)


def write_case(dir: Path, *, crs: int = 9377, extra: str = "", extra_top: str = "", bowtie: bool = False) -> Path:
    geoms = [square(i, j) for i in range(2) for j in range(2)]
    if bowtie:
        x, y = X0 + S, Y0 + S
        geoms[3] = Polygon([(x, y), (x + S, y + S), (x + S, y), (x, y + S), (x, y)])
    units = gpd.GeoDataFrame(
        {"code": [f"u{k}" for k in range(4)], "pop": [100, 200, 300, 400], "women": [50, 90, 160, 210]},
        geometry=geoms, crs=4326,
    )
    districts = gpd.GeoDataFrame({"d": ["D1"]}, geometry=[box(X0, Y0, X0 + 2 * S, Y0 + 2 * S)], crs=4326)
    units.to_file(dir / "units.geojson", driver="GeoJSON")
    districts.to_file(dir / "districts.geojson", driver="GeoJSON")
    path = dir / "method.toml"
    path.write_text(METHOD.format(crs=crs, extra=extra, extra_top=extra_top))
    return path


# What to do about an error is worded by each front end in its own terms (the library gives a
# hint, not a flag): the CLI names its flags, Python its arguments.
HINTS = (
    "; rerun with --fix-invalid to repair them",
    "; pass fix_invalid=True to repair them",
)


def without_hint(message: str) -> str:
    for h in HINTS:
        message = message.removesuffix(h)
    return message


def check(method: Path, exc: type, code: int = 2) -> str:
    """The binding raises `exc`; the CLI exits with `code` and prints the same message (its
    hint aside)."""
    with pytest.raises(exc) as info:
        careblock.run(method)
    assert isinstance(info.value, careblock.CareblockError)
    message = str(info.value)
    p = cli("run", str(method), "--out", str(method.parent / "out"), "--quiet")
    assert p.returncode == code, p.stderr
    assert without_hint(p.stderr.strip()) == f"careblock: error: {without_hint(message)}"
    assert not (method.parent / "out" / "units.csv").exists()
    return message


def test_the_case_runs(tmp_path):
    """The inputs the failing cases start from are fine."""
    r = careblock.run(write_case(tmp_path))
    assert len(r.units) == 4 and len(r.districts) == 1


def test_missing_file(tmp_path):
    msg = check(tmp_path / "missing.toml", careblock.InputError)
    assert "missing.toml" in msg
    write_case(tmp_path)
    (tmp_path / "units.geojson").unlink()
    assert "units.geojson" in check(tmp_path / "method.toml", careblock.InputError)


def test_bad_crs(tmp_path):
    msg = check(write_case(tmp_path, crs=3857), careblock.CrsError)
    assert "3857" in msg


def test_self_intersecting_polygon(tmp_path):
    msg = check(write_case(tmp_path, bowtie=True), careblock.GeometryError)
    assert "u3" in msg and "fix_invalid=True" in msg and "--fix-invalid" not in msg
    r = careblock.run(tmp_path / "method.toml", fix_invalid=True)
    assert any("repaired" in n for n in r.report["notes"])


def test_bad_method_key(tmp_path):
    msg = check(write_case(tmp_path, extra_top='colour = "red"'), careblock.MethodError)
    assert "colour" in msg
    with pytest.raises(careblock.MethodError, match=r"indicators\[0\]\.weight"):
        careblock.run({"units": {"path": "units.geojson", "population": "pop"},
                       "indicators": [{"name": "a", "dimension": "d", "kind": "count", "count": "pop", "weight": -1}]},
                      base=tmp_path)


def test_infeasible_siting(tmp_path):
    msg = check(write_case(tmp_path, extra="[siting]\np = 100\n[siting.grid]\nspacing = 500\n"),
                careblock.InfeasibleError, code=1)
    assert "100 new sites requested" in msg


def test_api_errors(tmp_path):
    """The step-by-step functions raise the same classes."""
    units = gpd.GeoDataFrame({"pop": [1.0, 2.0]}, geometry=[square(0, 0), square(1, 0)], crs=4326)
    bowtie = Polygon([(X0, Y0), (X0 + S, Y0 + S), (X0 + S, Y0), (X0, Y0 + S), (X0, Y0)])
    target = gpd.GeoDataFrame({"t": ["a"]}, geometry=[bowtie], crs=4326)
    with pytest.raises(careblock.GeometryError, match="invalid geometr"):
        careblock.area_interpolate(units, target, extensive=["pop"])
    with pytest.raises(careblock.CrsError, match="no CRS"):
        careblock.area_interpolate(units.set_crs(None, allow_override=True), target, extensive=["pop"])
    with pytest.raises(careblock.CrsError, match="degrees"):
        careblock.area_interpolate(units, units, extensive=["pop"], crs=4326)
    with pytest.raises(careblock.InputError, match="nope"):
        careblock.area_interpolate(units, units, extensive=["nope"])
    with pytest.raises(careblock.MethodError, match="unknown field `colour`"):
        careblock.index(units, {"units": {"population": "pop"}, "colour": 1,
                                "indicators": [{"name": "a", "dimension": "d", "kind": "count", "count": "pop"}]})
    points = gpd.GeoDataFrame(geometry=[Point(X0 + S / 2, Y0 + S / 2)], crs=4326)
    with pytest.raises(careblock.InfeasibleError, match="requested"):
        careblock.site(units, points, p=5, demand="pop")
    with pytest.raises(careblock.MethodError, match="radius"):
        careblock.site(units, points, p=1, radius=0, demand="pop")
    assert {c.__name__ for c in careblock.CareblockError.__subclasses__()} == {
        "InputError", "CrsError", "GeometryError", "MethodError", "InfeasibleError"}
