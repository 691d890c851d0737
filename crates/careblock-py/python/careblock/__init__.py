"""careblock from Python: the care prioritization index, areal interpolation and the siting of
care blocks, computed by careblock's Rust engine.

- ``careblock.run(method)`` runs a method file (or dict) like ``careblock run`` and returns
  its tables (the columns of the CLI's CSVs) without writing anything.
- ``careblock.area_interpolate(source, target, extensive=[...], intensive=[...])`` is
  tobler's ``area_interpolate`` on GeoDataFrames in any CRS pyproj knows.
- ``careblock.index(units, method=...)`` and ``careblock.site(units, candidates, ...)`` run
  the index and the siting step by step.
- ``careblock.sweep(method, sweep)`` runs the scenarios of a sweep file like ``careblock
  sweep``, reading the inputs once; ``careblock.dask.sweep(..., client=...)`` runs them on a
  Dask cluster with the same result.
- ``careblock.robust_siting(method, draws)`` repeats the siting over the index's Monte Carlo
  draws like ``[siting.robust]``; ``careblock.dask.robust_siting(..., client=...)`` spreads
  the draws over a Dask cluster with the same result.
- ``careblock.read(path)`` reads a layer file (GeoJSON, shapefile, GeoParquet, FlatGeobuf,
  GeoPackage) with careblock's own readers, as ``careblock run`` reads it.

Frames are GeoDataFrames (geometries in EPSG:4326) when geopandas is installed, else polars
DataFrames with a ``geometry`` column of WKB. Data crosses into Rust as Arrow (polars) with WKB
geometries. Long stages run with the GIL released; Ctrl-C is honoured between stages (a stage
that has started runs to its end). Errors are ``CareblockError`` subclasses whose message is
the line the CLI prints.
"""

from __future__ import annotations

import json
import numbers
import os
from typing import Any, Mapping, Sequence

import polars as pl

from . import _careblock
from ._careblock import (
    CareblockError,
    CrsError,
    GeometryError,
    InfeasibleError,
    InputError,
    MethodError,
)

try:  # geopandas is optional: without it, frames are polars with WKB geometries.
    import geopandas as _gpd
except ImportError:  # pragma: no cover - exercised only without geopandas
    _gpd = None

__version__ = _careblock.__version__

__all__ = [
    "CareblockError",
    "CrsError",
    "GeometryError",
    "IndexResult",
    "InfeasibleError",
    "InputError",
    "MethodError",
    "Result",
    "RobustResult",
    "SiteResult",
    "SweepResult",
    "area_interpolate",
    "index",
    "read",
    "robust_siting",
    "sweep",
    "run",
    "site",
]

#: The Monte Carlo columns of the unit and district tables.
UNCERTAINTY_COLUMNS = ["rank_median", "rank_p05", "rank_p95", "p_top_class", "rank_shift_mean"]

_ID = "__careblock_id"


def _output(pair: tuple[pl.DataFrame, pl.Series] | None, as_geo: bool = True) -> Any:
    """A (table, WKB series) pair from Rust as a GeoDataFrame in EPSG:4326, or without
    geopandas as a polars frame with a WKB ``geometry`` column."""
    if pair is None:
        return None
    df, geometry = pair
    if _gpd is None or not as_geo:
        return df.with_columns(geometry.alias("geometry"))
    return _gpd.GeoDataFrame(
        df.to_pandas(),
        geometry=_gpd.GeoSeries.from_wkb(geometry.to_numpy(), crs="EPSG:4326"),
    )


def _table(df: pl.DataFrame | None) -> Any:
    if df is None:
        return None
    return df.to_pandas() if _gpd is not None else df


def _uncertainty(pair: tuple[pl.DataFrame, pl.Series] | None) -> Any:
    """The Monte Carlo columns of a level, with id, label, index, rank and class."""
    if pair is None:
        return None
    df = pair[0]
    keep = [c for c in ["id", "label", "index", "rank", "class", *UNCERTAINTY_COLUMNS] if c in df.columns]
    if not any(c in df.columns for c in UNCERTAINTY_COLUMNS):
        return None
    return _table(df.select(keep))


class Result:
    """What ``careblock run`` computes, as frames (nothing is written).

    ``units``, ``districts``: the CLI's ``units.csv``/``districts.csv`` columns with the
    geometries (EPSG:4326). With ``[siting]``: ``sites`` (points), ``assignments``,
    ``uncovered`` (units), with ``[siting.equity]`` ``equity``, and with ``[siting.robust]``
    ``robust`` (every candidate chosen in an index draw: selection frequency, mean rank) and
    ``robust_districts`` (new blocks per district over the draws); otherwise ``None``.
    ``uncertainty``: the Monte Carlo columns of the districts (of the units when the method has
    no districts). ``report``: the content of ``run.json`` as a dict. ``crs``: the working CRS.
    """

    def __init__(self, raw: Mapping[str, Any]):
        self.crs: str = raw["crs"]
        self.units = _output(raw["units"])
        self.districts = _output(raw["districts"])
        self.sites = _output(raw.get("sites"))
        self.assignments = _table(raw.get("assignments"))
        self.uncovered = _output(raw.get("uncovered"))
        self.equity = _table(raw.get("equity"))
        self.robust = _table(raw.get("robust"))
        self.robust_districts = _table(raw.get("robust_districts"))
        self.uncertainty = _uncertainty(raw["districts"] or raw["units"])
        self.report: dict[str, Any] = json.loads(raw["report"])

    def __repr__(self) -> str:
        parts = [f"units={len(self.units)}"]
        if self.districts is not None:
            parts.append(f"districts={len(self.districts)}")
        if self.sites is not None:
            parts.append(f"sites={len(self.sites)}")
        return f"careblock.Result({', '.join(parts)}, crs={self.crs!r})"


def run(method: str | os.PathLike[str] | Mapping[str, Any], *, base: str | os.PathLike[str] | None = None,
        fix_invalid: bool = False, lang: str | None = None) -> Result:
    """Runs a method like ``careblock run METHOD.toml`` and returns its tables.

    ``method`` is the path of a method file (paths inside relative to it), or the same content
    as a dict (paths relative to ``base``, default the current directory; ``report["inputs"]``
    is then empty, there is no file to checksum). ``fix_invalid`` repairs invalid polygons as
    ``--fix-invalid`` does. ``lang`` (``"en"``, ``"es"``) overrides the method's ``lang`` for the
    notes and warnings of ``report``, as ``--lang`` does; an unknown code raises ``MethodError``
    listing the available ones.
    """
    if isinstance(method, (str, os.PathLike)):
        raw = _careblock.run(method_path=os.fspath(method), fix_invalid=fix_invalid, lang=lang)
    elif isinstance(method, Mapping):
        raw = _careblock.run(
            method_json=json.dumps(method),
            base=os.fspath(base) if base is not None else os.getcwd(),
            fix_invalid=fix_invalid,
            lang=lang,
        )
    else:
        raise MethodError(f"method must be a path or a dict, got {type(method).__name__}")
    return Result(raw)


# --- GeoDataFrames into Rust --------------------------------------------------------------


def read(
    path: str | os.PathLike[str], *, id: str | None = None, crs: int | str | None = None, geometry: str | None = None
) -> Any:
    """Reads one layer file with careblock's readers, as ``careblock run`` reads it.

    The reader follows the extension: ``.geojson``/``.json``, ``.shp``, ``.parquet`` (GeoParquet
    1.0/1.1, WKB or GeoArrow), ``.fgb`` (FlatGeobuf), anything else through GDAL. ``id`` names the
    id column (else GeoJSON ids or the row index, in a first column ``id``); ``crs`` (an EPSG code
    or text such as ``"EPSG:9377"``) is assumed when the file declares none. ``geometry`` names
    the geometry column of a Parquet file: another column the GeoParquet metadata describes, or the
    WKB column of a plain Parquet file (which has no CRS: give ``crs``). The geometries stay
    in the file's CRS, which the frame carries. Coordinates implausible for that CRS raise
    ``CrsError``; a file careblock cannot read raises ``InputError`` naming the file, row and
    field.

    Returns a GeoDataFrame, or without geopandas a polars frame with a WKB ``geometry`` column.
    """
    code = f"EPSG:{crs}" if isinstance(crs, int) else crs
    df, wkb, layer_crs = _careblock.read(os.fspath(path), id=id, crs=code, geometry=geometry)
    if _gpd is None:
        return df.with_columns(wkb.alias("geometry"))
    return _gpd.GeoDataFrame(df.to_pandas(), geometry=_gpd.GeoSeries.from_wkb(wkb.to_numpy(), crs=layer_crs))


def _require_geo(name: str, gdf: Any) -> None:
    if _gpd is None:
        raise InputError(f"{name}: careblock.{name}() takes GeoDataFrames: install geopandas")
    if not isinstance(gdf, _gpd.GeoDataFrame):
        raise InputError(f"{name}: expected a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:
        raise CrsError(f"{name}: the GeoDataFrame has no CRS; set the one of the data with .set_crs(...)")


def _ids(gdf: Any, column: str | None) -> list[str]:
    if column is not None:
        if column not in gdf.columns:
            raise InputError(f"{column!r} is not a column (columns: {', '.join(map(str, gdf.columns))})")
        return [str(v) for v in gdf[column]]
    if gdf.index.is_unique:
        return [str(v) for v in gdf.index]
    return [str(i) for i in range(len(gdf))]


def _frame(gdf: Any, columns: Sequence[str] | None = None, ids: list[str] | None = None) -> pl.DataFrame:
    """Attributes as a polars frame (Arrow) plus the geometries as WKB."""
    import pandas as pd
    import shapely

    name = gdf.geometry.name
    attrs = pd.DataFrame(gdf.drop(columns=[name]))
    if columns is not None:
        missing = [c for c in columns if c not in attrs.columns]
        if missing:
            raise InputError(
                f"no column {missing[0]!r} (columns: {', '.join(map(str, attrs.columns))})"
            )
        attrs = attrs[list(columns)]
    attrs = attrs.reset_index(drop=True)
    attrs.columns = [str(c) for c in attrs.columns]
    series = list(pl.from_pandas(attrs).get_columns()) if len(attrs.columns) else []
    if ids is not None:
        series.append(pl.Series(_ID, ids, dtype=pl.String))
    wkb = shapely.to_wkb(gdf.geometry.values, output_dimension=2)
    series.append(pl.Series("geometry", list(wkb), dtype=pl.Binary))
    return pl.DataFrame(series)


def _projected(crs: Any):
    import pyproj

    c = pyproj.CRS.from_user_input(crs)
    if not c.is_projected:
        raise CrsError(f"{c.to_string()}: areas need a projected CRS in metres, but this CRS is in degrees")
    unit = c.axis_info[0].unit_name if c.axis_info else ""
    if unit not in ("metre", "meter"):
        raise CrsError(f"{c.to_string()}: areas need a CRS in metres, but its unit is {unit!r}")
    return c


def area_interpolate(source: Any, target: Any, extensive: Sequence[str] | None = None,
                     intensive: Sequence[str] | None = None, allocate_total: bool = True,
                     crs: Any = None, *, fix_invalid: bool = False) -> Any:
    """Areal interpolation with tobler's semantics (``tobler.area_weighted.area_interpolate``).

    ``source`` and ``target`` are GeoDataFrames in any CRS pyproj knows; both are reprojected
    to ``crs`` (default: the target's CRS if projected, else its ``estimate_utm_crs()``).
    Extensive variables (counts) are allocated by area share (with ``allocate_total``, as in
    tobler, a source's whole count goes to the targets it touches); intensive ones (rates) are
    area-weighted means. Returns a copy of ``target`` (its CRS and columns) with one column per
    variable, and the conservation report in ``.attrs["conservation"]``: per count
    Σ source = Σ allocated + Σ unallocated, the sources outside every target (by index), the
    overlapping targets.
    """
    _require_geo("source", source)
    _require_geo("target", target)
    extensive = list(extensive or [])
    intensive = list(intensive or [])
    if crs is not None:
        working = _projected(crs)
    elif target.crs.is_projected:
        working = _projected(target.crs)
    else:
        working = _projected(target.estimate_utm_crs())
    src = source if source.crs == working else source.to_crs(working)
    tgt = target if target.crs == working else target.to_crs(working)
    table, report = _careblock.area_interpolate(
        _frame(src, extensive + intensive, _ids(source, None)),
        _frame(tgt, [], _ids(target, None)),
        working.to_epsg() or 0,
        extensive,
        intensive,
        allocate_total=allocate_total,
        fix_invalid=fix_invalid,
        source_id=_ID,
        target_id=_ID,
    )
    out = target.copy()
    for c in extensive + intensive:
        out[c] = table[c].to_numpy()
    out.attrs["conservation"] = json.loads(report)
    return out


def _to_lonlat(gdf: Any) -> Any:
    return gdf if gdf.crs.to_epsg() == 4326 else gdf.to_crs(4326)


class IndexResult:
    """``careblock.index``'s tables: ``units`` and ``districts`` (the CLI's columns, geometries
    in EPSG:4326), ``uncertainty`` (the Monte Carlo columns), ``report`` (as ``run.json``),
    ``crs`` (the working CRS)."""

    def __init__(self, raw: Mapping[str, Any]):
        self.crs: str = raw["crs"]
        self.units = _output(raw["units"])
        self.districts = _output(raw["districts"])
        self.uncertainty = _uncertainty(raw["districts"] or raw["units"])
        self.report: dict[str, Any] = json.loads(raw["report"])

    def __repr__(self) -> str:
        d = "" if self.districts is None else f", districts={len(self.districts)}"
        return f"careblock.IndexResult(units={len(self.units)}{d}, crs={self.crs!r})"


def index(units: Any, method: Mapping[str, Any], districts: Any = None, *,
          fix_invalid: bool = False) -> IndexResult:
    """The care prioritization index of ``units`` (and ``districts``) with a method dict: the
    keys of a method file (``indicators``, ``dimensions``, ``derived``, ``treatment``,
    ``normalisation``, ``aggregation``, ``classification``, ``uncertainty``, ``crs``), where
    ``units`` (and ``districts``) give only the column names (``id``, ``population``,
    ``label``): the data are the GeoDataFrames. Coarse layers, supply, siting and networks need
    ``careblock.run`` with a method file.
    """
    _require_geo("units", units)
    m = json.loads(json.dumps(method))  # a deep copy the caller keeps untouched
    m.setdefault("units", {})
    m["units"].setdefault("path", "<units GeoDataFrame>")
    frames = [_frame(_to_lonlat(units))]
    if districts is not None:
        _require_geo("districts", districts)
        m.setdefault("districts", {})
        m["districts"].setdefault("path", "<districts GeoDataFrame>")
        frames.append(_frame(_to_lonlat(districts)))
    raw = _careblock.index(json.dumps(m), frames[0], frames[1] if districts is not None else None,
                           fix_invalid=fix_invalid)
    return IndexResult(raw)


class SiteResult:
    """``careblock.site``'s result: ``sites`` (existing blocks then the proposed ones in ranking
    order: status, rank, id, marginal gain, cumulative coverage and its share,
    irreplaceability, units reached), ``units`` (id, demand, covered fraction, best site),
    ``report`` (objective, bound, gap, optimality, totals, notes)."""

    def __init__(self, raw: Mapping[str, Any]):
        self.sites = _output(raw["sites"])
        self.units = _output(raw["units"])
        self.report: dict[str, Any] = json.loads(raw["report"])
        a = raw.get("assignments")
        #: With ``capacity``: every (unit, site, assigned demand, share of the unit's demand).
        self.assignments = None if a is None else a.to_pandas()

    def __repr__(self) -> str:
        r = self.report
        return (f"careblock.SiteResult(sites={len(self.sites)}, objective={r['objective']:.6g}, "
                f"gap={r['gap']:.3%})")


def _cost_table(costs: Any, columns: tuple[str, str, str]) -> tuple[list[str], list[str], list[float]]:
    """A long cost table as three lists: unit ids and site ids as text, costs as floats."""
    import pandas as pd

    if isinstance(costs, (str, os.PathLike)):
        path = os.fspath(costs)
        if path.lower().endswith((".parquet", ".pq")):
            costs = pd.read_parquet(path)
        else:
            costs = pd.read_csv(path, dtype={columns[0]: str, columns[1]: str})
    if not isinstance(costs, pd.DataFrame):
        raise TypeError(f"costs must be a DataFrame or the path of a CSV or Parquet file, got {type(costs).__name__}")
    missing = [c for c in columns if c not in costs.columns]
    if missing:
        raise ValueError(f"costs: no column {missing[0]!r} (columns: {', '.join(map(str, costs.columns))}); "
                         f"name them with costs_columns=(unit, site, cost)")
    unit, site_col, cost = columns
    if not pd.api.types.is_numeric_dtype(costs[cost]):
        raise ValueError(f"costs: column {cost!r} is not numeric ({costs[cost].dtype})")
    empty = costs[[unit, site_col, cost]].isna().any(axis=1)
    if empty.any():
        row = int(empty.to_numpy().nonzero()[0][0])
        raise ValueError(f"costs: data row {row + 1} has an empty unit, site or cost")
    return (costs[unit].astype(str).tolist(), costs[site_col].astype(str).tolist(),
            costs[cost].astype(float).tolist())


def site(units: Any, candidates: Any, radius: float = 800, p: int | None = None, existing: Any = None, *,
         demand: str = "need_mass", crs: Any = None, coverage: str = "centroid",
         units_id: str | None = None, candidates_id: str | None = None,
         phases: Sequence[int] | None = None, target_share: float | None = None,
         costs: Any = None, costs_columns: tuple[str, str, str] = ("unit", "site", "cost"),
         capacity: float | str | None = None, capacity_gap: float | None = None,
         cost: str | Sequence[float] | None = None, budget: float | Sequence[float] | None = None,
         target_minimise: str = "count") -> SiteResult:
    """The maximal covering location problem (spopt's ``MCLP``): choose ``p`` new sites
    (default 20) among ``candidates`` (points) to maximise the ``demand`` of the ``units``
    within ``radius`` metres (``coverage="centroid"``: the unit's centroid; ``"area"``: the
    share of the unit inside the circle), with ``existing`` points locked in. The default
    demand is the ``need_mass`` column of ``careblock.index``/``run`` unit tables. Distances
    are measured in ``crs`` (an EPSG code careblock knows, e.g. 9377 or a UTM zone; default the
    UTM zone of the units). Ids come from the ``units_id``/``candidates_id`` columns, else the
    index (the index for ``existing``).

    Instead of ``p``: ``phases=[7, 7, 7]`` opens the sites phase by phase, each phase the best
    given the earlier ones (``sites.phase``; ``report["phases"]`` with the cost of phasing), or
    ``target_share=0.61`` finds the fewest new sites covering that share of the demand
    (``report["target"]`` with a proven lower bound on that number, and ``reached`` false with
    the most the candidates can reach when the target is out of reach).

    ``costs`` replaces the radius rule by a travel-cost table in long format (a DataFrame, or
    the path of a CSV or Parquet file) with the columns ``costs_columns`` (unit id, site id,
    cost), e.g. r5py or OSRM travel times: a unit is covered when its cost is at most
    ``radius``, in the table's unit. Sites are named by id, or ``candidate:id`` /
    ``existing:id`` when an existing block shares a candidate's id.

    ``capacity`` (a number of persons of demand for every site, or the name of a column of
    ``candidates`` and ``existing``) makes the siting capacitated: each unit's demand is
    assigned, possibly split, to open sites within reach without exceeding any capacity, to
    maximise the demand assigned; ``sites`` gains ``capacity`` and ``load``, ``assignments``
    lists (unit, site, assigned, share), the report's ``objective``/``bound``/``gap`` are in
    assigned demand (the bound is the LP relaxation's, or lower where a branch and bound
    proves more). With ``phases`` each phase is capacitated (the loads are the whole plan's);
    with ``target_share`` the fewest capacitated sites whose assigned demand reaches the share.
    ``capacity_gap=0.01`` stops tightening that bound once the gap is at most 1 % (faster on
    large instances; by default the bound is made as tight as it gets).

    ``cost`` (the name of a column of ``candidates``, or one number > 0 per candidate; existing
    points are free) gives the candidates' costs, as a method file's ``cost`` column does:
    ``budget=500`` instead of ``p`` opens the sites covering the most demand whose costs add up
    to at most 500 (``report["budget"]``, ``report["spent"]``); ``budget=[200, 300]`` opens them
    phase by phase, each phase within its budget (``report["phases"]["spent"]``); with
    ``target_share``, ``target_minimise="cost"`` finds the least costly sites reaching the share
    (``report["target"]["cost"]`` with a proven ``lower_bound_cost``). A budget without ``cost``
    counts 1 per candidate. ``sites`` gains a ``cost`` column. All of these work with
    ``capacity`` too.
    """
    _require_geo("units", units)
    _require_geo("candidates", candidates)
    epsg = None
    if crs is not None:
        epsg = _projected(crs).to_epsg()
        if epsg is None:
            raise CrsError(f"{crs!r}: careblock.site() needs a CRS with an EPSG code")
    u = _frame(_to_lonlat(units), [demand], _ids(units, units_id))
    c = _frame(_to_lonlat(candidates), [], _ids(candidates, candidates_id))
    e = None
    if existing is not None:
        _require_geo("existing", existing)
        e = _frame(_to_lonlat(existing), [], _ids(existing, None))
    table = None if costs is None else _cost_table(costs, costs_columns)
    caps = None
    if capacity is not None:
        layers = [("candidates", candidates)] + ([("existing", existing)] if existing is not None else [])
        if isinstance(capacity, str):
            caps = []
            for name, layer in layers:
                if capacity not in layer.columns:
                    raise ValueError(f"{name}: no capacity column {capacity!r}")
                caps.extend(float(x) for x in layer[capacity])
        else:
            caps = [float(capacity)] * sum(len(layer) for _, layer in layers)
    costs_of = None
    if cost is not None:
        if isinstance(cost, str):
            if cost not in candidates.columns:
                raise ValueError(f"candidates: no cost column {cost!r}")
            costs_of = [float(x) for x in candidates[cost]]
        else:
            costs_of = [float(x) for x in cost]
    one_budget = phase_budgets = None
    if budget is not None:
        if isinstance(budget, numbers.Real):
            one_budget = float(budget)
        else:
            phase_budgets = [float(x) for x in budget]
    raw = _careblock.site(u, c, demand, radius=float(radius), p=None if p is None else int(p), existing=e,
                          epsg=epsg, coverage=coverage, units_id=_ID, candidates_id=_ID,
                          phases=None if phases is None else [int(k) for k in phases],
                          target_share=None if target_share is None else float(target_share), costs=table,
                          capacity=caps, capacity_gap=None if capacity_gap is None else float(capacity_gap),
                          cost=costs_of, budget=one_budget, budget_phases=phase_budgets,
                          target_minimise=target_minimise)
    return SiteResult(raw)


# --- Sweeps ---------------------------------------------------------------------------------


class SweepResult:
    """What ``careblock sweep`` writes, as frames: ``summary`` (``sweep.csv``: one row per
    scenario), ``districts`` (``sweep_districts.csv``), ``sites`` (scenario number → its sites
    table, as ``scenarios/N/sites.csv``; failed scenarios have none), ``keys`` and ``names``."""

    summary: Any
    districts: Any
    sites: dict[int, Any]
    keys: list[str]
    names: list[str]

    def __init__(self, keys: list[str], names: list[str], runs: Sequence[tuple[str, pl.DataFrame | None]]):
        summary, districts = _careblock.sweep_tables(keys, [r[0] for r in runs])
        self.keys, self.names = keys, names
        self.summary = _table(summary)
        self.districts = _table(districts)
        self.sites = {i + 1: _table(r[1]) for i, r in enumerate(runs) if r[1] is not None}

    def __repr__(self) -> str:
        return f"careblock.SweepResult({len(self.names)} scenarios, keys={self.keys!r})"


def sweep(method: str | os.PathLike[str], sweep: str | os.PathLike[str], *, lang: str | None = None,
          fix_invalid: bool = False) -> SweepResult:
    """Runs every scenario of a sweep file on a method file like ``careblock sweep METHOD
    SWEEP``: each scenario's method is built and checked first (an unknown key or an invalid
    value raises ``MethodError`` before any input is read), the inputs are read once, and a
    scenario that cannot be sited is a row of ``summary`` with its ``reason``. The tables equal
    the CLI's ``sweep.csv``, ``sweep_districts.csv`` and ``scenarios/N/sites.csv``."""
    session = _careblock.SweepSession(os.fspath(method), os.fspath(sweep), lang=lang, fix_invalid=fix_invalid)
    keys, names = _careblock.sweep_plan(os.fspath(method), os.fspath(sweep), lang=lang)
    return SweepResult(keys, names, [session.run(i) for i in range(len(session))])


# --- Robust siting --------------------------------------------------------------------------


class RobustResult:
    """The robust siting's tables, as ``careblock run`` writes them with ``[siting.robust]``:
    ``candidates`` (``robust.csv``: every candidate chosen in an index draw or by the plan, with
    its selection frequency ``sel_freq`` and mean rank ``sel_rank``), ``districts``
    (``robust_districts.csv``: new blocks per district over the draws; ``None`` without
    districts) and ``sites`` (``sites.csv``, the proposed blocks with ``sel_freq`` and
    ``sel_rank``); ``draws`` is the number of draws."""

    candidates: Any
    districts: Any
    sites: Any
    draws: int

    def __init__(self, draws: int, tables: tuple[pl.DataFrame, pl.DataFrame | None, pl.DataFrame]):
        self.draws = draws
        self.candidates = _table(tables[0])
        self.districts = _table(tables[1])
        self.sites = _table(tables[2])

    def __repr__(self) -> str:
        return f"careblock.RobustResult({self.draws} draws, {len(self.candidates)} candidates)"


def robust_siting(method: str | os.PathLike[str], draws: int | None = None, *, lang: str | None = None,
                  fix_invalid: bool = False) -> RobustResult:
    """Repeats a method file's siting once per Monte Carlo draw of its index, as
    ``[siting.robust]`` does in ``careblock run``, and returns the robust tables (equal to the
    CLI's ``robust.csv``, ``robust_districts.csv`` and ``sites.csv``). ``draws`` overrides (or
    adds) ``[siting.robust] draws``; a method without ``[siting.robust]`` needs it, and fewer than
    one draw raises ``MethodError`` before any input is read."""
    session = _careblock.RobustSession(os.fspath(method), draws, lang=lang, fix_invalid=fix_invalid)
    return RobustResult(session.draws, session.finish(session.choose(0, session.draws)))


# --- Regional runs (careblock/regions.py) ---------------------------------------------------

from .regions import RegionsResult, run_regions  # noqa: E402  (it uses the helpers above)

__all__ += ["RegionsResult", "run_regions"]
