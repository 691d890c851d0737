"""careblock.index and careblock.site, the step-by-step API: index() gives the same tables as
run() of the same method written to a file; site() finds the brute-force optimum of small
covering problems and reports what it covers."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import polars as pl
import pytest

import careblock
from conftest import ROOT
from test_run_parity import assert_same_table

CITY = ROOT / "tests/fixtures/city2k"

METHOD = {
    "crs": 9377,
    "units": {"id": "unit_id", "population": "pop_total"},
    "districts": {"id": "district_id", "label": "name"},
    "derived": {"dependants": "pop_0_5 + pop_60_plus"},
    "uncertainty": {"draws": 100, "seed": 7},
    "indicators": [
        {"name": "share_0_5", "dimension": "care_demand", "kind": "share", "numerator": "pop_0_5",
         "denominator": "pop_total"},
        {"name": "dependency", "dimension": "care_demand", "kind": "ratio", "numerator": "dependants",
         "denominator": "pop_total"},
        {"name": "women_density", "dimension": "women_caregivers", "kind": "density", "count": "women"},
    ],
}


@pytest.fixture(scope="module")
def city():
    return (gpd.read_file(CITY / "units.geojson"), gpd.read_file(CITY / "districts.geojson"),
            gpd.read_file(CITY / "facilities.geojson"))


def test_index_equals_run(city, tmp_path):
    units, districts, _ = city
    got = careblock.index(units, METHOD, districts=districts)
    m = {**METHOD, "units": {**METHOD["units"], "path": str(CITY / "units.geojson")},
         "districts": {**METHOD["districts"], "path": str(CITY / "districts.geojson")}}
    ref = careblock.run(m)
    for name, table in [("units", ref.units), ("districts", ref.districts)]:
        pl.from_pandas(pd.DataFrame(table.drop(columns="geometry"))).write_csv(tmp_path / f"{name}.csv")
    assert_same_table(got.units, tmp_path / "units.csv")
    assert_same_table(got.districts, tmp_path / "districts.csv")
    assert got.crs == "EPSG:9377"
    assert got.uncertainty is not None and len(got.uncertainty) == len(districts)
    assert got.report["conservation"] and got.report["units"]["draws"] == 100
    ranked = got.districts["rank"].dropna().astype(int)
    assert sorted(ranked) == list(range(1, len(ranked) + 1))
    # Any CRS pyproj knows: units in EPSG:3116 go through lon/lat (pyproj) to the working CRS,
    # so areas (densities) move by float noise only.
    other = careblock.index(units.to_crs(3116), METHOD, districts=districts)
    np.testing.assert_allclose(other.districts["index"], got.districts["index"], rtol=1e-9)
    assert (other.districts["rank"].fillna(-1) == got.districts["rank"].fillna(-1)).all()
    with pytest.raises(careblock.MethodError, match="supply"):
        careblock.index(units, {**METHOD, "supply": [{"name": "x", "path": "x.geojson"}]}, districts=districts)


def coverage_matrix(units, points, radius, crs):
    c = units.to_crs(crs).geometry.centroid
    p = points.to_crs(crs).geometry
    dx = c.x.to_numpy()[:, None] - p.x.to_numpy()[None, :]
    dy = c.y.to_numpy()[:, None] - p.y.to_numpy()[None, :]
    return np.hypot(dx, dy) <= radius


@pytest.mark.parametrize("p", [1, 2, 3])
def test_site_is_optimal_on_small_problems(city, p):
    units, _, facilities = city
    units = units.set_index("unit_id")
    existing, candidates = facilities.iloc[:3], facilities.iloc[3:40].set_index("facility_id")
    r = careblock.site(units, candidates, radius=800, p=p, existing=existing, demand="pop_0_5", crs=9377)
    demand = units["pop_0_5"].to_numpy(dtype=float)
    cover_c = coverage_matrix(units, candidates, 800, 9377)
    base = coverage_matrix(units, existing, 800, 9377).any(axis=1)
    best = max(demand[base | cover_c[:, list(s)].any(axis=1)].sum()
               for s in itertools.combinations(range(len(candidates)), p))
    rep = r.report
    assert rep["objective"] == pytest.approx(best, rel=1e-12)
    assert rep["bound"] >= rep["objective"] - 1e-9 and 0 <= rep["gap"] < 1
    assert rep["locked_in"] == pytest.approx(demand[base].sum(), rel=1e-12)
    assert rep["total_demand"] == pytest.approx(demand.sum(), rel=1e-12)
    sites = r.sites
    assert list(sites["status"]) == ["existing"] * 3 + ["proposed"] * p
    proposed = sites[sites["status"] == "proposed"]
    assert list(proposed["rank"]) == list(range(1, p + 1))
    chosen = [candidates.index.get_loc(i) for i in proposed["id"]]
    assert demand[base | cover_c[:, chosen].any(axis=1)].sum() == pytest.approx(rep["objective"], rel=1e-12)
    assert proposed["cumulative"].iloc[-1] == pytest.approx(rep["objective"], rel=1e-12)
    # Units: covered exactly when some open site is within 800 m of their centroid.
    covered = base | cover_c[:, chosen].any(axis=1)
    assert list(r.units["id"]) == list(units.index)
    assert ((r.units["coverage"] > 0).to_numpy() == covered).all()
    assert r.units["site"].notna().to_numpy().tolist() == covered.tolist()
    np.testing.assert_allclose(np.asarray(sites.geometry.x[3:]), candidates.loc[proposed["id"]].geometry.x, atol=1e-9)
