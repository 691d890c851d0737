"""Type stubs of the ``careblock`` package."""

import os
from typing import Any, Mapping, Sequence

from ._careblock import (
    CareblockError as CareblockError,
    CrsError as CrsError,
    GeometryError as GeometryError,
    InfeasibleError as InfeasibleError,
    InputError as InputError,
    MethodError as MethodError,
)

__version__: str
UNCERTAINTY_COLUMNS: list[str]

# Frames are geopandas GeoDataFrames (pandas DataFrames for tables without geometry) when
# geopandas is installed, else polars DataFrames with a WKB ``geometry`` column.
_Frame = Any

class Result:
    crs: str
    units: _Frame
    districts: _Frame | None
    sites: _Frame | None
    assignments: _Frame | None
    uncovered: _Frame | None
    equity: _Frame | None
    robust: _Frame | None
    robust_districts: _Frame | None
    uncertainty: _Frame | None
    report: dict[str, Any]
    def __init__(self, raw: Mapping[str, Any]) -> None: ...

class IndexResult:
    crs: str
    units: _Frame
    districts: _Frame | None
    uncertainty: _Frame | None
    report: dict[str, Any]
    def __init__(self, raw: Mapping[str, Any]) -> None: ...

class SiteResult:
    sites: _Frame
    units: _Frame
    report: dict[str, Any]
    assignments: Any | None
    def __init__(self, raw: Mapping[str, Any]) -> None: ...

def read(
    path: str | os.PathLike[str], *, id: str | None = None, crs: int | str | None = None, geometry: str | None = None
) -> Any: ...
def run(
    method: str | os.PathLike[str] | Mapping[str, Any],
    *,
    base: str | os.PathLike[str] | None = None,
    fix_invalid: bool = False,
    lang: str | None = None,
) -> Result: ...
def area_interpolate(
    source: Any,
    target: Any,
    extensive: Sequence[str] | None = None,
    intensive: Sequence[str] | None = None,
    allocate_total: bool = True,
    crs: Any = None,
    *,
    fix_invalid: bool = False,
) -> Any: ...
def index(
    units: Any,
    method: Mapping[str, Any],
    districts: Any = None,
    *,
    fix_invalid: bool = False,
) -> IndexResult: ...
def site(
    units: Any,
    candidates: Any,
    radius: float = 800,
    p: int | None = None,
    existing: Any = None,
    *,
    demand: str = "need_mass",
    crs: Any = None,
    coverage: str = "centroid",
    units_id: str | None = None,
    candidates_id: str | None = None,
    phases: Sequence[int] | None = None,
    target_share: float | None = None,
    costs: Any = None,
    costs_columns: tuple[str, str, str] = ("unit", "site", "cost"),
    capacity: float | str | None = None,
    capacity_gap: float | None = None,
    cost: str | Sequence[float] | None = None,
    budget: float | Sequence[float] | None = None,
    target_minimise: str = "count",
) -> SiteResult: ...

class SweepResult:
    summary: Any
    districts: Any
    sites: dict[int, Any]
    keys: list[str]
    names: list[str]
    def __init__(self, keys: list[str], names: list[str], runs: Sequence[tuple[str, Any]]) -> None: ...

def sweep(
    method: str | os.PathLike[str],
    sweep: str | os.PathLike[str],
    *,
    lang: str | None = None,
    fix_invalid: bool = False,
) -> SweepResult: ...

class RobustResult:
    candidates: Any
    districts: Any
    sites: Any
    draws: int
    def __init__(self, draws: int, tables: tuple[Any, Any, Any]) -> None: ...

def robust_siting(
    method: str | os.PathLike[str],
    draws: int | None = None,
    *,
    lang: str | None = None,
    fix_invalid: bool = False,
) -> RobustResult: ...

class RegionsResult:
    by: str
    values: list[str]
    unassigned: int
    table: Any
    units: dict[str, Any]
    districts: dict[str, Any]
    sites: dict[str, Any]
    def __init__(self, by: str, values: Sequence[str], raw: Sequence[tuple[Any, ...]], unassigned: int) -> None: ...

def run_regions(
    method: str | os.PathLike[str],
    by: str,
    *,
    only: Sequence[str] | None = None,
    lang: str | None = None,
    fix_invalid: bool = False,
    out: str | os.PathLike[str] | None = None,
) -> RegionsResult: ...
