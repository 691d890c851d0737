"""careblock.site() with candidate costs: a budget, budget phases and least-cost targets, with
and without capacities, against brute-force enumeration on small random instances."""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import careblock

RADIUS = 800.0


def _instance(seed, n_units=9, n_cands=7):
    rng = np.random.default_rng(seed)
    ux, uy = rng.uniform(0, 3000, n_units), rng.uniform(0, 3000, n_units)
    cx, cy = rng.uniform(0, 3000, n_cands), rng.uniform(0, 3000, n_cands)
    units = gpd.GeoDataFrame({"uid": [f"u{i}" for i in range(n_units)],
                              "demand": rng.integers(1, 50, n_units).astype(float)},
                             geometry=gpd.points_from_xy(ux + 4.9e6, uy + 2.0e6), crs=9377)
    cands = gpd.GeoDataFrame({"cid": [f"c{j}" for j in range(n_cands)],
                              "price": rng.integers(1, 10, n_cands).astype(float),
                              "cap": rng.integers(20, 80, n_cands).astype(float)},
                             geometry=gpd.points_from_xy(cx + 4.9e6, cy + 2.0e6), crs=9377)
    reach = np.hypot(ux[:, None] - cx[None, :], uy[:, None] - cy[None, :]) <= RADIUS
    return units, cands, reach


def _site(units, cands, **kw):
    return careblock.site(units, cands, radius=RADIUS, demand="demand", crs=9377, units_id="uid",
                          candidates_id="cid", **kw)


def _covered(units, reach, subset, cap=None):
    """Demand covered by `subset`: within reach, or assigned under capacities (an LP)."""
    d = units["demand"].to_numpy()
    if not subset:
        return 0.0
    if cap is None:
        return float(d[reach[:, list(subset)].any(axis=1)].sum())
    from scipy.optimize import linprog

    pairs = [(i, j) for i in range(len(d)) for j in subset if reach[i, j]]
    if not pairs:
        return 0.0
    a, b = [], []
    for i in range(len(d)):
        a.append([1.0 if p[0] == i else 0.0 for p in pairs])
        b.append(d[i])
    for j in subset:
        a.append([1.0 if p[1] == j else 0.0 for p in pairs])
        b.append(cap[j])
    r = linprog(-np.ones(len(pairs)), A_ub=a, b_ub=b, bounds=(0, None), method="highs")
    return -r.fun


def _subsets(n):
    for k in range(n + 1):
        yield from itertools.combinations(range(n), k)


@pytest.mark.parametrize("capacitated", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_budget_is_the_best_coverage_within_it(seed, capacitated):
    units, cands, reach = _instance(seed)
    price = cands["price"].to_numpy()
    cap = cands["cap"].to_numpy() if capacitated else None
    budget = 0.35 * price.sum()
    best = max(_covered(units, reach, s, cap) for s in _subsets(len(price)) if price[list(s)].sum() <= budget)
    r = _site(units, cands, cost="price", budget=budget, capacity="cap" if capacitated else None)
    rep = r.report
    assert rep["budget"] == budget and rep["spent"] <= budget + 1e-9
    assert rep["spent"] == pytest.approx(r.sites["cost"].sum())
    chosen = [int(i[1:]) for i in r.sites["id"]]
    assert r.sites["cost"].tolist() == price[chosen].tolist()
    assert rep["objective"] == pytest.approx(_covered(units, reach, chosen, cap))
    assert rep["objective"] <= best + 1e-6
    assert rep["bound"] >= best - 1e-6
    assert rep["objective"] == pytest.approx(best)


@pytest.mark.parametrize("capacitated", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_least_cost_target(seed, capacitated):
    units, cands, reach = _instance(seed)
    price = cands["price"].to_numpy()
    cap = cands["cap"].to_numpy() if capacitated else None
    total = units["demand"].sum()
    most = max(_covered(units, reach, s, cap) for s in _subsets(len(price)))
    share = 0.8 * most / total
    cheapest = min(price[list(s)].sum() for s in _subsets(len(price))
                   if _covered(units, reach, s, cap) >= share * total * (1 - 1e-12))
    r = _site(units, cands, cost="price", target_share=share, target_minimise="cost",
              capacity="cap" if capacitated else None)
    t = r.report["target"]
    assert t["reached"] and t["minimise"] == "cost"
    assert t["cost"] == pytest.approx(cheapest) == pytest.approx(r.report["spent"])
    assert t["lower_bound_cost"] <= cheapest + 1e-9
    assert r.report["objective"] >= share * total * (1 - 1e-9)
    # The fewest sites instead: as many or fewer sites, costing as much or more.
    few = _site(units, cands, cost=list(price), target_share=share, capacity="cap" if capacitated else None)
    assert few.report["target"]["minimise"] == "count" and "cost" not in few.report["target"]
    assert len(few.sites) <= len(r.sites)
    assert few.report["spent"] >= cheapest - 1e-9


@pytest.mark.parametrize("seed", [1, 2])
def test_budget_phases_are_nested_and_within_their_budgets(seed):
    units, cands, reach = _instance(seed)
    price = cands["price"].to_numpy()
    b1, b2 = 0.2 * price.sum(), 0.25 * price.sum()
    r = _site(units, cands, cost="price", budget=[b1, b2])
    ph = r.report["phases"]
    assert ph["budget"] == [b1, b2]
    assert ph["spent"][0] <= b1 + 1e-9 and ph["spent"][1] <= b2 + 1e-9
    assert sum(ph["spent"]) == pytest.approx(r.report["spent"])
    for k in (1, 2):
        assert r.sites.loc[r.sites["phase"] == k, "cost"].sum() == pytest.approx(ph["spent"][k - 1])
    first = _site(units, cands, cost="price", budget=b1)
    assert ph["covered_after"][0] == pytest.approx(first.report["objective"])
    both = max(_covered(units, reach, s) for s in _subsets(len(price)) if price[list(s)].sum() <= b1 + b2)
    assert ph["unphased_objective"] == pytest.approx(both)
    assert r.report["objective"] <= both + 1e-9


def test_a_budget_without_costs_counts_one_per_candidate():
    units, cands, _ = _instance(4)
    a = _site(units, cands, budget=3)
    b = _site(units, cands, p=3)
    assert a.report["spent"] <= 3 and a.report["objective"] == pytest.approx(b.report["objective"])


def test_bad_costs_and_limits():
    units, cands, _ = _instance(5)
    bad = cands.copy()
    bad.loc[2, "price"] = -1.0
    with pytest.raises(careblock.InputError, match='site "c2" has cost -1, expected a number > 0'):
        _site(units, bad, cost="price", budget=10)
    bad.loc[2, "price"] = math.nan
    with pytest.raises(careblock.InputError, match='site "c2" has cost NaN'):
        _site(units, bad, cost="price", budget=10)
    with pytest.raises(careblock.MethodError, match="least-cost target needs the candidates' costs"):
        _site(units, cands, target_share=0.5, target_minimise="cost")
    with pytest.raises(careblock.MethodError, match="applies to a coverage target_share only"):
        _site(units, cands, cost="price", budget=10, target_minimise="cost")
    with pytest.raises(careblock.MethodError, match="one of p, phases, budget and target_share"):
        _site(units, cands, cost="price", budget=10, p=2)
    with pytest.raises(careblock.MethodError, match="one of p, phases, budget and target_share"):
        _site(units, cands, cost="price", budget=[5, 5], phases=[1, 1])
    with pytest.raises(careblock.MethodError, match="budget must be a number > 0, found 0"):
        _site(units, cands, cost="price", budget=0)
    with pytest.raises(careblock.MethodError, match="cost has 2 values for 7 candidates"):
        _site(units, cands, cost=[1, 2], budget=3)
    with pytest.raises(careblock.MethodError, match='"count" or "cost"'):
        _site(units, cands, target_share=0.5, target_minimise="price")
    with pytest.raises(ValueError, match="no cost column 'nope'"):
        _site(units, cands, cost="nope", budget=3)


@pytest.fixture(scope="module")
def city_run(tmp_path_factory):
    """The city fixture's units, and candidates with a cost column written as a layer file."""
    from test_steps import CITY, METHOD

    facilities = gpd.read_file(CITY / "facilities.geojson")
    cands = facilities.iloc[3:40].copy()
    cands["cost"] = [float(1 + (k * 7) % 5) for k in range(len(cands))]
    path = tmp_path_factory.mktemp("costs") / "cands.geojson"
    cands.to_file(path, driver="GeoJSON")
    method = {**METHOD, "units": {**METHOD["units"], "path": str(CITY / "units.geojson")},
              "districts": {**METHOD["districts"], "path": str(CITY / "districts.geojson")}}
    layer = {"name": "c", "path": str(path), "id": "facility_id", "cost": "cost"}
    return method, layer, cands


@pytest.mark.parametrize("limit", [{"budget": 9}, {"target_share": 0.4, "target_minimise": "cost"},
                                   {"phases": {"budget": [4, 5]}}])
def test_the_same_sites_as_a_method_file(city_run, limit):
    method, layer, cands = city_run
    ref = careblock.run({**method, "siting": {"radius": 800, "candidates": [layer], **limit}})
    kw = dict(limit)
    if "phases" in kw:
        kw = {"budget": kw.pop("phases")["budget"]}
    r = careblock.site(ref.units, cands, radius=800, cost="cost", crs=9377, units_id="id",
                       candidates_id="facility_id", demand="need_mass", **kw)
    assert list(r.sites["id"]) == list(ref.sites["id"])
    blocks = ref.report["siting"]["blocks"]
    assert r.report["objective"] == pytest.approx(blocks["objective"], rel=1e-12)
    assert r.report["bound"] == pytest.approx(blocks["bound"], rel=1e-12)
    if "phases" in limit:
        assert list(r.sites["phase"]) == [int(x) for x in ref.sites["phase"]]
        phases = ref.report["siting"]["phases"]["phases"]
        assert r.report["phases"]["spent"] == [x["cost"] for x in phases]
        assert r.report["phases"]["covered_after"] == pytest.approx([x["covered_after"] for x in phases])
    if "target_share" in limit:
        want = ref.report["siting"]["target"]["cost"]
        assert r.report["target"]["cost"] == want["spent"]
        assert r.report["target"]["lower_bound_cost"] == want["lower_bound"]
        assert r.report["target"]["eligible_cost"] == want["eligible_cost"]
