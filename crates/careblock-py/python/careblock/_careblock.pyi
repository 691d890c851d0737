"""Type stubs of the Rust extension ``careblock._careblock`` (use the ``careblock`` wrappers)."""

from typing import Any

import polars as pl

__version__: str

class CareblockError(Exception): ...
class InputError(CareblockError): ...
class CrsError(CareblockError): ...
class GeometryError(CareblockError): ...
class MethodError(CareblockError): ...
class InfeasibleError(CareblockError): ...

_Frame = tuple[pl.DataFrame, pl.Series]

def run(
    method_path: str | None = None,
    method_json: str | None = None,
    base: str | None = None,
    fix_invalid: bool = False,
    lang: str | None = None,
) -> dict[str, Any]: ...
def read(
    path: str, id: str | None = None, crs: str | None = None, geometry: str | None = None
) -> tuple[pl.DataFrame, pl.Series, str]: ...
def area_interpolate(
    source: pl.DataFrame,
    target: pl.DataFrame,
    epsg: int,
    extensive: list[str],
    intensive: list[str],
    allocate_total: bool = True,
    fix_invalid: bool = False,
    source_id: str | None = None,
    target_id: str | None = None,
) -> tuple[pl.DataFrame, str]: ...
def index(
    method_json: str,
    units: pl.DataFrame,
    districts: pl.DataFrame | None = None,
    fix_invalid: bool = False,
) -> dict[str, Any]: ...
def site(
    units: pl.DataFrame,
    candidates: pl.DataFrame,
    demand: str,
    radius: float = 800.0,
    p: int | None = None,
    existing: pl.DataFrame | None = None,
    epsg: int | None = None,
    coverage: str = "centroid",
    units_id: str | None = None,
    candidates_id: str | None = None,
    phases: list[int] | None = None,
    target_share: float | None = None,
    costs: tuple[list[str], list[str], list[float]] | None = None,
    capacity: list[float] | None = None,
    capacity_gap: float | None = None,
    cost: list[float] | None = None,
    budget: float | None = None,
    budget_phases: list[float] | None = None,
    target_minimise: str = "count",
) -> dict[str, Any]: ...

def sweep_plan(method_path: str, sweep_path: str, lang: str | None = None) -> tuple[list[str], list[str]]: ...
def sweep_tables(keys: list[str], summaries: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]: ...

class SweepSession:
    def __init__(self, method_path: str, sweep_path: str, lang: str | None = None, fix_invalid: bool = False) -> None: ...
    def __len__(self) -> int: ...
    def run(self, i: int) -> tuple[str, pl.DataFrame | None]: ...

def robust_plan(method_path: str, draws: int | None = None, lang: str | None = None) -> int: ...

class RobustSession:
    def __init__(
        self, method_path: str, draws: int | None = None, lang: str | None = None, fix_invalid: bool = False
    ) -> None: ...
    @property
    def draws(self) -> int: ...
    @property
    def candidates(self) -> int: ...
    def choose(self, start: int, stop: int) -> list[list[int]]: ...
    def finish(self, chosen: list[list[int]]) -> tuple[pl.DataFrame, pl.DataFrame | None, pl.DataFrame]: ...

class RegionSession:
    def __init__(self, method_path: str, by: str, lang: str | None = None, fix_invalid: bool = False) -> None: ...
    def values(self, only: list[str] | None = None) -> list[str]: ...
    def unassigned(self) -> int: ...
    def run(
        self, value: str, out: str | None = None
    ) -> tuple[
        str,
        tuple[pl.DataFrame, pl.Series] | None,
        tuple[pl.DataFrame, pl.Series] | None,
        pl.DataFrame | None,
    ]: ...

def regions_table(summaries_json: list[str]) -> pl.DataFrame: ...
def write_regions(
    out: str, method_path: str, by: str, unassigned: int, summaries_json: list[str], lang: str | None = None
) -> None: ...
