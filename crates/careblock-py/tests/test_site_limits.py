"""careblock.site() beyond a fixed p: a user's travel-cost table (spopt's San Francisco network
MCLP, whose expected result spopt's own tests state), opening phases and coverage targets."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

import careblock

DATA = "tests/fixtures/spopt_sf"


@pytest.fixture(scope="module")
def sf(root):
    d = root / DATA
    tracts = pd.read_csv(d / "SF_demand_205_centroid_uniform_weight.csv", dtype={"NAME": str})
    stores = pd.read_csv(d / "SF_store_site_16_longlat.csv")
    matrix = pd.read_csv(d / "SF_network_distance_candidateStore_16_censusTract_205_new.csv",
                         dtype={"DestinationName": str})
    units = gpd.GeoDataFrame(tracts, geometry=gpd.points_from_xy(tracts.long, tracts.lat), crs=4326)
    sites = gpd.GeoDataFrame(stores, geometry=gpd.points_from_xy(stores.long, stores.lat), crs=4326)
    return units, sites, matrix


def test_spopt_network_mclp_from_a_cost_table(sf):
    units, sites, matrix = sf
    r = careblock.site(units, sites, radius=5000, p=4, demand="POP2000", units_id="NAME",
                       candidates_id="NAME", costs=matrix,
                       costs_columns=("DestinationName", "name", "distance"))
    # spopt's test_mclp.py (CBC): 21 tracts uncovered, 89.756 % of the tracts covered.
    uncovered = int((r.units["coverage"] == 0).sum())
    assert uncovered == 21
    assert 100 * (205 - uncovered) / 205 == pytest.approx(89.75609756097561)
    assert r.report["optimal"] and r.report["costs"]
    assert len(r.sites) == 4


def test_the_same_table_from_a_file(sf, root, tmp_path):
    units, sites, matrix = sf
    path = tmp_path / "od.parquet"
    matrix.to_parquet(path)
    kwargs = dict(radius=5000, p=4, demand="POP2000", units_id="NAME", candidates_id="NAME",
                  costs_columns=("DestinationName", "name", "distance"))
    a = careblock.site(units, sites, costs=matrix, **kwargs)
    b = careblock.site(units, sites, costs=str(path), **kwargs)
    assert a.report["objective"] == b.report["objective"]
    assert list(a.sites["id"]) == list(b.sites["id"])


def test_phases_are_nested_and_targets_minimal(sf):
    units, sites, matrix = sf
    kw = dict(radius=5000, demand="POP2000", units_id="NAME", candidates_id="NAME", costs=matrix,
              costs_columns=("DestinationName", "name", "distance"))
    phased = careblock.site(units, sites, phases=[2, 2], **kw)
    assert list(phased.sites["phase"]) == [1, 1, 2, 2]
    ph = phased.report["phases"]
    assert ph["covered_after"][-1] == phased.report["objective"]
    assert ph["unphased_objective"] >= phased.report["objective"] - 1e-9
    four = careblock.site(units, sites, p=4, **kw)
    assert ph["unphased_objective"] == pytest.approx(four.report["objective"])

    total = phased.report["total_demand"]
    t = careblock.site(units, sites, target_share=0.5, **kw)
    tg = t.report["target"]
    assert tg["reached"] and t.report["objective"] >= 0.5 * total * (1 - 1e-12)
    assert tg["lower_bound_blocks"] <= tg["blocks"] == len(t.sites)
    # One fewer block cannot reach it: the best blocks - 1 fall short.
    if tg["blocks"] > 1:
        fewer = careblock.site(units, sites, p=tg["blocks"] - 1, **kw)
        assert fewer.report["bound"] < 0.5 * total or tg["lower_bound_blocks"] < tg["blocks"]
    # Within 1,000 m the 16 stores cannot reach every tract: the most they reach is reported.
    out = careblock.site(units, sites, target_share=1.0, **{**kw, "radius": 1000})
    assert out.report["target"]["reached"] is False
    assert out.report["objective"] == pytest.approx(out.report["target"]["best_possible"])
    assert out.report["target"]["best_possible"] < total


def test_bad_limits_and_tables(sf):
    units, sites, matrix = sf
    kw = dict(radius=5000, demand="POP2000", units_id="NAME", candidates_id="NAME")
    with pytest.raises(careblock.MethodError, match="one of p, phases, budget and target_share"):
        careblock.site(units, sites, p=3, phases=[1, 2], **kw)
    with pytest.raises(careblock.MethodError, match=r"share in \(0, 1\]"):
        careblock.site(units, sites, target_share=1.5, **kw)
    with pytest.raises(ValueError, match="no column 'unit'"):
        careblock.site(units, sites, p=2, costs=matrix, **kw)
    bad = matrix.copy()
    bad.loc[3, "distance"] = -1.0
    with pytest.raises(careblock.InputError, match="data row 4"):
        careblock.site(units, sites, p=2, costs=bad, costs_columns=("DestinationName", "name", "distance"), **kw)


def _exact_capacitated(units, matrix, radius, p, capacity):
    """The capacitated MCLP as a MIP solved exactly by HiGHS (scipy.optimize.milp)."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import lil_matrix

    tracts = list(units["NAME"])
    demand = dict(zip(units["NAME"], units["POP2000"].astype(float)))
    stores = sorted(matrix["name"].unique())
    pairs = [(t, s) for t, s, c in zip(matrix["DestinationName"], matrix["name"], matrix["distance"])
             if c <= radius and t in demand]
    m, k = len(stores), len(pairs)
    n_var = m + k  # x_j, then z_ij
    col = {s: j for j, s in enumerate(stores)}
    c = np.zeros(n_var)
    c[m:] = -1.0  # maximise the assigned demand
    rows = []
    a = lil_matrix((1 + k + len(tracts) + m, n_var))
    lo, hi = [], []
    a[0, :m] = 1.0
    lo.append(p)
    hi.append(p)
    r = 1
    for q, (t, s) in enumerate(pairs):  # z_ij <= d_i x_j
        a[r, m + q] = 1.0
        a[r, col[s]] = -demand[t]
        lo.append(-np.inf)
        hi.append(0.0)
        r += 1
    by_tract = {}
    by_store = {}
    for q, (t, s) in enumerate(pairs):
        by_tract.setdefault(t, []).append(q)
        by_store.setdefault(s, []).append(q)
    for t in tracts:  # sum_j z_ij <= d_i
        for q in by_tract.get(t, []):
            a[r, m + q] = 1.0
        lo.append(-np.inf)
        hi.append(demand[t])
        r += 1
    for s in stores:  # sum_i z_ij <= C x_j
        for q in by_store.get(s, []):
            a[r, m + q] = 1.0
        a[r, col[s]] = -capacity
        lo.append(-np.inf)
        hi.append(0.0)
        r += 1
    integrality = np.r_[np.ones(m), np.zeros(k)]
    bounds = Bounds(np.zeros(n_var), np.r_[np.ones(m), np.full(k, np.inf)])
    res = milp(c, constraints=LinearConstraint(a.tocsr()[:r], lo, hi), integrality=integrality, bounds=bounds,
               options={"mip_rel_gap": 1e-9})
    assert res.success, res.message
    del rows
    return -res.fun


@pytest.mark.parametrize("capacity", [20_000.0, 60_000.0])
def test_capacitated_siting_matches_an_exact_mip(sf, capacity):
    units, sites, matrix = sf
    r = careblock.site(units, sites, radius=5000, p=4, demand="POP2000", units_id="NAME",
                       candidates_id="NAME", costs=matrix,
                       costs_columns=("DestinationName", "name", "distance"), capacity=capacity)
    exact = _exact_capacitated(units, matrix, 5000, 4, capacity)
    assert r.report["objective"] == pytest.approx(exact, rel=1e-6)
    assert r.report["bound"] >= exact * (1 - 1e-9)
    a = r.assignments
    assert a["assigned"].sum() == pytest.approx(r.report["objective"])
    loads = a.groupby("site")["assigned"].sum()
    assert (loads <= capacity * (1 + 1e-12)).all()
    sites_out = r.sites.set_index("id")
    for sid, load in loads.items():
        assert sites_out.loc[sid, "load"] == pytest.approx(load)
    served = a.groupby("unit")["assigned"].sum()
    pop = units.set_index("NAME")["POP2000"]
    assert (served <= pop.loc[served.index] * (1 + 1e-9)).all()
    # Within reach of the four stores is more than they can take.
    assert r.report["capacity"]["within_reach_of_open_sites"] >= r.report["objective"]


def test_capacitated_phases(sf):
    units, sites, matrix = sf
    kw = dict(radius=5000, demand="POP2000", units_id="NAME", candidates_id="NAME", costs=matrix,
              costs_columns=("DestinationName", "name", "distance"))
    r = careblock.site(units, sites, phases=[2, 2], capacity=20_000.0, **kw)
    assert list(r.sites["phase"]) == [1, 1, 2, 2]
    ph = r.report["phases"]
    assert ph["covered_after"][-1] == r.report["objective"]
    # The unphased plan is the capacitated optimum for four sites (the exact MIP's value).
    assert ph["unphased_objective"] == pytest.approx(_exact_capacitated(units, matrix, 5000, 4, 20_000.0), rel=1e-6)
    assert ph["unphased_objective"] >= r.report["objective"] - 1e-6
    # Loads: within capacity, equal to the assignments, summing to the objective.
    a = r.assignments
    loads = a.groupby("site")["assigned"].sum()
    assert (loads <= 20_000.0 * (1 + 1e-12)).all()
    assert loads.sum() == pytest.approx(r.report["objective"])
    out = r.sites.set_index("id")
    for sid, load in loads.items():
        assert out.loc[sid, "load"] == pytest.approx(load)


def test_capacitated_target(sf):
    units, sites, matrix = sf
    kw = dict(radius=5000, demand="POP2000", units_id="NAME", candidates_id="NAME", costs=matrix,
              costs_columns=("DestinationName", "name", "distance"))
    r = careblock.site(units, sites, target_share=0.5, capacity=100_000.0, **kw)
    tg = r.report["target"]
    total = r.report["total_demand"]
    assert tg["reached"] and r.report["objective"] >= 0.5 * total * (1 - 1e-12)
    k = tg["blocks"]
    assert tg["lower_bound_blocks"] <= k == len(r.sites)
    # Blocks of 100,000 places: at least half the demand over 100,000 of them.
    assert tg["lower_bound_blocks"] >= -(-0.5 * total // 100_000)
    # The exact capacitated optimum with one block fewer falls short.
    if k > 1:
        assert _exact_capacitated(units, matrix, 5000, k - 1, 100_000.0) < 0.5 * total
    loads = r.assignments.groupby("site")["assigned"].sum()
    assert (loads <= 100_000.0 * (1 + 1e-12)).all()
    assert loads.sum() == pytest.approx(r.report["objective"])


def test_a_gap_to_stop_at(sf):
    units, sites, matrix = sf
    kw = dict(radius=5000, demand="POP2000", units_id="NAME", candidates_id="NAME", costs=matrix,
              costs_columns=("DestinationName", "name", "distance"))
    r = careblock.site(units, sites, p=4, capacity=20_000.0, capacity_gap=0.05, **kw)
    assert r.report["capacity"]["gap_asked"] == 0.05
    assert r.report["gap"] <= 0.05
    exact = _exact_capacitated(units, matrix, 5000, 4, 20_000.0)
    assert r.report["objective"] <= exact * (1 + 1e-9)
    assert r.report["bound"] >= exact * (1 - 1e-9)
    with pytest.raises(careblock.MethodError, match="capacity_gap must be a share"):
        careblock.site(units, sites, p=4, capacity=20_000.0, capacity_gap=1.0, **kw)
    with pytest.raises(careblock.MethodError, match="capacitated siting only"):
        careblock.site(units, sites, p=4, capacity_gap=0.01, **kw)


def test_bad_capacities(sf):
    units, sites, matrix = sf
    kw = dict(radius=5000, demand="POP2000", units_id="NAME", candidates_id="NAME", costs=matrix,
              costs_columns=("DestinationName", "name", "distance"))
    with pytest.raises(careblock.InputError, match="capacity of candidate"):
        careblock.site(units, sites, p=2, capacity=0, **kw)
    with pytest.raises(ValueError, match="no capacity column"):
        careblock.site(units, sites, p=2, capacity="places", **kw)
    with pytest.raises(careblock.MethodError, match="capacity_gap must be a share"):
        careblock.site(units, sites, p=2, capacity=100.0, capacity_gap=-0.1, **kw)
