"""careblock.area_interpolate equals tobler's area_interpolate (same process) within 1e-6
relative on the committed 2,000-unit synthetic city (tests/fixtures/city2k, the fixture of
tests/integration/tobler_parity.rs), reprojects inputs in any CRS, and reports conservation."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from tobler.area_weighted import area_interpolate as tobler_interpolate

import careblock
from conftest import ROOT

CITY = ROOT / "tests/fixtures/city2k"
EXTENSIVE = ["pop_total", "pop_0_5", "pop_60_plus", "women", "men", "dwellings"]
INTENSIVE = ["ipm"]


@pytest.fixture(scope="module")
def city():
    units = gpd.read_file(CITY / "units.geojson").set_index("unit_id")
    districts = gpd.read_file(CITY / "districts.geojson").set_index("district_id")
    return units, districts


@pytest.mark.parametrize("allocate_total", [True, False])
def test_equals_tobler(city, allocate_total):
    units, districts = city
    u, d = units.to_crs(9377), districts.to_crs(9377)
    want = tobler_interpolate(u, d, extensive_variables=EXTENSIVE, intensive_variables=INTENSIVE,
                              allocate_total=allocate_total)
    got = careblock.area_interpolate(units, districts, extensive=EXTENSIVE, intensive=INTENSIVE,
                                     allocate_total=allocate_total, crs=9377)
    assert list(got.index) == list(districts.index)
    assert got.crs == districts.crs  # the target's own CRS and columns, plus the variables
    for c in EXTENSIVE + INTENSIVE:
        np.testing.assert_allclose(got[c].to_numpy(), want[c].to_numpy(), rtol=1e-6, atol=1e-9, err_msg=c)
    rep = got.attrs["conservation"]
    assert rep["allocate_total"] is allocate_total
    assert [v["name"] for v in rep["variables"]] == EXTENSIVE
    for v in rep["variables"]:
        assert v["relative_error"] < 1e-9
        np.testing.assert_allclose(v["source_total"], units[v["name"]].sum(), rtol=1e-12)


def test_any_crs_and_default_utm(city):
    """Inputs in other CRSs are reprojected to the working one: units in EPSG:3116 against
    lon/lat districts with crs=9377 give the 9377 values; by default a geographic target's UTM
    zone is used (the values then equal tobler's in that zone; areas differ slightly between
    projections, so 9377 and UTM results are not compared with each other)."""
    units, districts = city
    base = careblock.area_interpolate(units, districts, extensive=["pop_total"], crs=9377)
    other = careblock.area_interpolate(units.to_crs(3116), districts, extensive=["pop_total"], crs="EPSG:9377")
    np.testing.assert_allclose(other["pop_total"], base["pop_total"], rtol=1e-9)
    utm = districts.estimate_utm_crs()
    default = careblock.area_interpolate(units, districts, extensive=["pop_total"])
    assert default.attrs["conservation"]["crs"] == f"EPSG:{utm.to_epsg()}"
    want = tobler_interpolate(units.to_crs(utm), districts.to_crs(utm), extensive_variables=["pop_total"])
    np.testing.assert_allclose(default["pop_total"], want["pop_total"], rtol=1e-6)
    mixed = careblock.area_interpolate(units, districts.to_crs(9377), extensive=["pop_total"])
    np.testing.assert_allclose(mixed["pop_total"], base["pop_total"], rtol=1e-9)
    assert mixed.crs.to_epsg() == 9377


def test_sources_outside_are_reported(city):
    units, districts = city
    some = districts.iloc[: len(districts) // 2]
    got = careblock.area_interpolate(units, some, extensive=["pop_total"], crs=9377)
    rep = got.attrs["conservation"]
    v = rep["variables"][0]
    assert v["unallocated"] > 0 and v["relative_error"] < 1e-9
    assert rep["outside"] and all(o["id"] in set(units.index) for o in rep["outside"])
