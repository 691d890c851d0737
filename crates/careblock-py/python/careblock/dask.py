"""careblock's scenario sweeps on a Dask cluster (``pip install careblock[dask]``).

``careblock.dask.sweep(method, sweep, client=client)`` gives what ``careblock.sweep`` gives on
one machine, bit for bit: every scenario's method is checked on the client first (a bad key
raises before anything is submitted), then each scenario is a task. A worker reads the
method's inputs once per sweep (a ``SweepSession`` kept in the worker process) and runs every
scenario it is given; a task lost with its worker is run again elsewhere by the scheduler,
and as scenarios are deterministic the result does not change. The method, the sweep file and
the method's inputs must be readable at the same paths on every worker (a shared folder).

``careblock.dask.robust_siting(method, draws, client=client)`` gives what
``careblock.robust_siting`` gives, bit for bit: the method and the draws are checked on the
client first, then each block of draws is a task. A worker reads the inputs, computes the
index and plans the blocks once per method (a ``RobustSession`` kept in the worker process)
and solves every block it is given; the client gathers the blocks' choices in draw order and
one more task merges them into the tables on a worker's session (the client reads nothing).
"""

from __future__ import annotations

import os
import threading
import uuid
from typing import Any, Sequence

from . import RobustResult, SweepResult, _careblock
from .regions import RegionsResult

__all__ = ["robust_siting", "run_regions", "sweep"]

# The sessions of this worker process: (method, sweep, lang, fix_invalid, files' mtimes) →
# SweepSession. A session runs one scenario at a time (its lock).
_SESSIONS: dict[tuple, tuple[Any, threading.Lock]] = {}
_SESSIONS_LOCK = threading.Lock()


def _stamp(path: str) -> tuple[str, int]:
    return (os.path.abspath(path), os.stat(path).st_mtime_ns)


def _session(method: str, sweep: str, lang: str | None, fix_invalid: bool) -> tuple[Any, threading.Lock]:
    key = (_stamp(method), _stamp(sweep), lang, fix_invalid)
    with _SESSIONS_LOCK:
        found = _SESSIONS.get(key)
        if found is None:
            found = (_careblock.SweepSession(method, sweep, lang=lang, fix_invalid=fix_invalid), threading.Lock())
            _SESSIONS[key] = found
    return found


def _run_scenario(method: str, sweep: str, lang: str | None, fix_invalid: bool, i: int):
    """One task: scenario ``i`` (0-based) on this worker's session of the sweep."""
    session, lock = _session(method, sweep, lang, fix_invalid)
    with lock:
        return session.run(i)


def sweep(method: str | os.PathLike[str], sweep: str | os.PathLike[str], *, client: Any,
          lang: str | None = None, fix_invalid: bool = False, retries: int = 2) -> SweepResult:
    """``careblock.sweep`` on the Dask cluster of ``client`` (a ``distributed.Client``): one
    task per scenario, results gathered in the sweep's order. ``retries`` is how many times a
    task whose worker failed is run again."""
    method, sweep = os.path.abspath(os.fspath(method)), os.path.abspath(os.fspath(sweep))
    keys, names = _careblock.sweep_plan(method, sweep, lang=lang)
    run = uuid.uuid4().hex[:8]
    futures = [
        client.submit(_run_scenario, method, sweep, lang, fix_invalid, i, key=f"careblock-sweep-{run}-{i}",
                      pure=False, retries=retries)
        for i in range(len(names))
    ]
    return SweepResult(keys, names, client.gather(futures))


# --- Robust siting ----------------------------------------------------------------------------

# The robust sessions of this worker process: (method, its mtime, draws, lang, fix_invalid) →
# RobustSession. A session solves blocks of draws concurrently (it is read-only).
_ROBUST_SESSIONS: dict[tuple, Any] = {}


def _robust_session(method: str, draws: int | None, lang: str | None, fix_invalid: bool) -> Any:
    key = (_stamp(method), draws, lang, fix_invalid)
    with _SESSIONS_LOCK:
        found = _ROBUST_SESSIONS.get(key)
        if found is None:
            found = _careblock.RobustSession(method, draws, lang=lang, fix_invalid=fix_invalid)
            _ROBUST_SESSIONS[key] = found
    return found


def _robust_block(method: str, draws: int | None, lang: str | None, fix_invalid: bool,
                  start: int, stop: int) -> list[list[int]]:
    """One task: the choices of draws ``start..stop`` on this worker's session."""
    return _robust_session(method, draws, lang, fix_invalid).choose(start, stop)


def _robust_finish(method: str, draws: int | None, lang: str | None, fix_invalid: bool,
                   chosen: list[list[int]]):
    """The last task: every draw's choice (in draw order) merged into the tables."""
    return _robust_session(method, draws, lang, fix_invalid).finish(chosen)


def robust_siting(method: str | os.PathLike[str], draws: int | None = None, *, client: Any,
                  block: int | None = None, lang: str | None = None, fix_invalid: bool = False,
                  retries: int = 2) -> RobustResult:
    """``careblock.robust_siting`` on the Dask cluster of ``client`` (a ``distributed.Client``):
    one task per ``block`` draws (default: about four tasks per worker), the choices gathered in
    draw order and merged on a worker. ``retries`` is how many times a task whose worker failed
    is run again."""
    method = os.path.abspath(os.fspath(method))
    n = _careblock.robust_plan(method, draws, lang=lang)
    if block is None:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        block = max(1, -(-n // (4 * workers)))
    elif block < 1:
        raise ValueError(f"block must be at least 1 draw, got {block}")
    run = uuid.uuid4().hex[:8]
    futures = [
        client.submit(_robust_block, method, draws, lang, fix_invalid, a, min(a + block, n),
                      key=f"careblock-robust-{run}-{a}", pure=False, retries=retries)
        for a in range(0, n, block)
    ]
    chosen = [c for part in client.gather(futures) for c in part]
    tables = client.submit(_robust_finish, method, draws, lang, fix_invalid, chosen,
                           key=f"careblock-robust-{run}-merge", pure=False, retries=retries)
    return RobustResult(n, tables.result())


# --- Regional runs ------------------------------------------------------------------------
#
# ``careblock.dask.run_regions(method, regions=ATTRIBUTE, client=client)`` gives what
# ``careblock.run_regions`` gives, bit for bit: a first task reads the inputs on a worker and
# returns the territories (a missing attribute or an unknown ``only`` value raises there, before
# any territory is submitted), then each territory is a task. A worker reads the inputs once
# per method and attribute (a ``RegionSession`` kept in the worker process) and runs every
# territory it is given; with ``out`` it writes the territory's folder (the folder must be
# shared, as the inputs are), and the client writes ``regions.csv`` and ``regions.json``.

_REGION_SESSIONS: dict[tuple, tuple[Any, threading.Lock]] = {}


def _region_session(method: str, by: str, lang: str | None, fix_invalid: bool) -> tuple[Any, threading.Lock]:
    key = (_stamp(method), by, lang, fix_invalid)
    with _SESSIONS_LOCK:
        found = _REGION_SESSIONS.get(key)
    if found is None:
        # Read outside the lock (it takes the time of the inputs); a second reader of the same
        # key keeps the first session stored.
        made = (_careblock.RegionSession(method, by, lang=lang, fix_invalid=fix_invalid), threading.Lock())
        with _SESSIONS_LOCK:
            found = _REGION_SESSIONS.setdefault(key, made)
    return found


def _region_values(method: str, by: str, lang: str | None, fix_invalid: bool, only: list[str] | None):
    """The first task: the territories to run and the units in no district."""
    session, _ = _region_session(method, by, lang, fix_invalid)
    return session.values(only), session.unassigned()


def _run_region(method: str, by: str, lang: str | None, fix_invalid: bool, value: str, out: str | None):
    """One task: territory ``value`` on this worker's session (its folder written under ``out``)."""
    session, lock = _region_session(method, by, lang, fix_invalid)
    with lock:
        return session.run(value, out=out)


def run_regions(method: str | os.PathLike[str], regions: str, *, client: Any, only: Sequence[str] | None = None,
                out: str | os.PathLike[str] | None = None, lang: str | None = None, fix_invalid: bool = False,
                retries: int = 2) -> RegionsResult:
    """``careblock.run_regions(method, regions, ...)`` on the Dask cluster of ``client`` (a
    ``distributed.Client``): one task per territory, results gathered in sorted territory
    order. ``regions`` is the districts' attribute; ``retries`` is how many times a task whose
    worker failed is run again."""
    method = os.path.abspath(os.fspath(method))
    out = None if out is None else os.path.abspath(os.fspath(out))
    run = uuid.uuid4().hex[:8]
    values, unassigned = client.submit(
        _region_values, method, regions, lang, fix_invalid, None if only is None else list(only),
        key=f"careblock-regions-{run}-values", pure=False, retries=retries,
    ).result()
    futures = [
        client.submit(_run_region, method, regions, lang, fix_invalid, v, out,
                      key=f"careblock-regions-{run}-{i}", pure=False, retries=retries)
        for i, v in enumerate(values)
    ]
    raw = client.gather(futures)
    if out is not None:
        _careblock.write_regions(out, method, regions, unassigned, [r[0] for r in raw], lang=lang)
    return RegionsResult(regions, values, raw, unassigned)
