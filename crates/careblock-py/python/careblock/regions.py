"""Regional runs: one run of a method per territory (the districts grouped by an attribute),
the inputs read once, as ``careblock regions`` runs them. ``careblock.dask.run_regions`` runs
the territories on a Dask cluster with the same result."""

from __future__ import annotations

import os
from typing import Any, Sequence

from . import _careblock

__all__ = ["RegionsResult", "run_regions"]


class RegionsResult:
    """What ``careblock regions`` computes, as frames: ``table`` (``regions.csv``: one row per
    territory, sorted by value: districts, units, status, reason, the demand covered before and
    after, the blocks), and per territory that ran (keyed by the attribute's value) its
    ``units`` and ``districts`` (the columns of its ``units.csv`` and ``districts.csv``, with
    the geometries) and its ``sites`` (``sites.csv``; ``None`` without ``[siting]``). ``by`` is
    the attribute, ``values`` the territories in order, ``unassigned`` the units in no
    district (they belong to no territory)."""

    def __init__(self, by: str, values: Sequence[str], raw: Sequence[tuple], unassigned: int):
        from . import _output, _table

        self.by = by
        self.values = list(values)
        self.unassigned = unassigned
        self._summaries = [r[0] for r in raw]
        self.table = _table(_careblock.regions_table(self._summaries))
        ran = [(v, r) for v, r in zip(self.values, raw) if r[1] is not None]
        self.units = {v: _output(r[1]) for v, r in ran}
        self.districts = {v: _output(r[2]) for v, r in ran}
        self.sites = {v: _table(r[3]) for v, r in ran}

    def __repr__(self) -> str:
        failed = len(self.values) - len(self.units)
        return f"careblock.RegionsResult(by={self.by!r}, {len(self.values)} territories, {failed} failed)"


def run_regions(method: str | os.PathLike[str], by: str, *, only: Sequence[str] | None = None,
                lang: str | None = None, fix_invalid: bool = False,
                out: str | os.PathLike[str] | None = None) -> RegionsResult:
    """Runs a method file once per territory, like ``careblock regions METHOD --by BY``: the
    inputs are read once, the districts grouped by their attribute ``by`` (compared as text),
    and each territory (its districts, the units the area join puts in them, the points inside
    them) is a run of its own, its index normalised within it. ``only`` restricts the
    territories (each value must exist). A missing attribute or an unknown value raises
    ``InputError`` before anything runs; a territory without units or that cannot be sited is
    a failed row of ``table``. With ``out``, writes what ``careblock regions --out OUT`` writes:
    ``OUT/BY=VALUE/`` per territory (the method's ``[output]`` formats), ``regions.csv`` and
    ``regions.json`` (byte-identical to the CLI's given the same method path)."""
    method = os.path.abspath(os.fspath(method))
    out = None if out is None else os.path.abspath(os.fspath(out))
    session = _careblock.RegionSession(method, by, lang=lang, fix_invalid=fix_invalid)
    values = session.values(None if only is None else list(only))
    raw = [session.run(v, out=out) for v in values]
    if out is not None:
        _careblock.write_regions(out, method, by, session.unassigned(), [r[0] for r in raw], lang=lang)
    return RegionsResult(by, values, raw, session.unassigned())

