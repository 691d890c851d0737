"""careblock's scenario sweeps on a Dask cluster (``pip install careblock[dask]``).

``careblock.dask.sweep(method, sweep, client=client)`` gives what ``careblock.sweep`` gives on
one machine, bit for bit: every scenario's method is checked on the client first (a bad key
raises before anything is submitted), then each scenario is a task. A worker reads the
method's inputs once per sweep (a ``SweepSession`` kept in the worker process) and runs every
scenario it is given; a task lost with its worker is run again elsewhere by the scheduler,
and as scenarios are deterministic the result does not change. The method, the sweep file and
the method's inputs must be readable at the same paths on every worker (a shared folder).
"""

from __future__ import annotations

import os
import threading
import uuid
from typing import Any

from . import SweepResult, _careblock

__all__ = ["sweep"]

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
