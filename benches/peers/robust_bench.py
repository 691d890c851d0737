#!/usr/bin/env python3
"""Robust siting (``[siting.robust] draws = N``) on one city: the whole ``careblock run``
against the same run without it, in-process through the bindings, and on a Dask LocalCluster.

The city is a directory with ``method.toml`` and its layers (``gen_city.py`` and
``examples/reference/city.toml`` make one; the method needs ``demand = "need_mass"``). The
script writes two copies of the method next to it, one without ``[siting.robust]`` and one
with ``draws = N``, and measures, each as the whole command or call:

* ``plain`` and ``robust``: ``careblock run`` of each (wall, peak memory of the process, and
  the ``siting`` stage from ``timings.json``); their difference is the draws' cost;
* ``local``: ``careblock.robust_siting`` in this process;
* ``dask``: ``careblock.dask.robust_siting`` on a ``LocalCluster`` of ``--workers`` processes
  with one thread each, blocks of ``--block`` draws (each worker reads the inputs and builds the
  coverage once). Its table is checked equal to ``local``'s and to the CLI's ``robust.csv``.
  From the task stream: compute time per task, and the scheduler overhead per task,
  ``(wall × workers − Σ compute) / tasks`` (the time a worker slot spends on anything but
  computing, the session's first load included). Memory per worker is the largest resident set
  the workers report at the end.

Prints one JSON object. Ratios, not absolute times, are what compare across machines.

    python benches/peers/robust_bench.py --city /tmp/city500k --draws 1000 --bin target/release/careblock
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import polars as pl

import careblock
import careblock.dask


def timed(f):
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def frame(df) -> pl.DataFrame:
    """A polars frame of a result's table (pandas when geopandas is installed)."""
    return df if isinstance(df, pl.DataFrame) else pl.from_pandas(df)


def without_robust(text: str) -> str:
    """The method text without its [siting.robust] table."""
    return re.sub(r"(?ms)^\[siting\.robust\]\n.*?(?=^\[|\Z)", "", text)


def cli(bin: Path, method: Path, out: Path) -> dict:
    """One `careblock run` as its own process: wall, peak RSS (GNU time's %M) and the siting
    stage."""
    rss = out.with_suffix(".rss")
    _, wall = timed(lambda: subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss, bin, "--quiet", "run", method,
                                            "--out", out], check=True))
    stages = json.loads((out / "timings.json").read_text())
    return {"wall_s": round(wall, 3), "siting_s": stages["siting"],
            "peak_mb": round(int(rss.read_text().split()[-1]) / 1024)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--city", type=Path, required=True, help="directory with method.toml and its layers")
    ap.add_argument("--draws", type=int, default=1000, help="index draws")
    ap.add_argument("--workers", type=int, default=2, help="Dask worker processes")
    ap.add_argument("--block", type=int, default=None, help="draws per Dask task (default: the package's)")
    ap.add_argument("--bin", type=Path, default=Path("target/release/careblock"), help="the careblock CLI")
    ap.add_argument("--skip-python", action="store_true", help="only the two CLI runs")
    a = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="robust-bench-"))
    base = without_robust((a.city / "method.toml").read_text())
    plain, robust = a.city / "bench_plain.toml", a.city / "bench_robust.toml"
    plain.write_text(base)
    robust.write_text(base.rstrip("\n") + f"\n\n[siting.robust]\ndraws = {a.draws}\n")

    r_plain = cli(a.bin, plain, work / "plain")
    r_robust = cli(a.bin, robust, work / "robust")
    draws_s = r_robust["siting_s"] - r_plain["siting_s"]
    out = {
        "city": str(a.city), "draws": a.draws, "cores": os.cpu_count(),
        "cli_plain": r_plain, "cli_robust": r_robust,
        "draws_s": round(draws_s, 3), "per_draw_ms": round(1000 * draws_s / a.draws, 2),
    }
    if not a.skip_python:
        import distributed

        local, t_local = timed(lambda: careblock.robust_siting(robust))
        kw = {} if a.block is None else {"block": a.block}
        with distributed.LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, distributed.Client(cluster) as client:
            with distributed.get_task_stream(client) as ts:
                remote, t_dask = timed(lambda: careblock.dask.robust_siting(robust, client=client, **kw))
            rss = client.run(lambda: __import__("psutil").Process().memory_info().rss)
        compute = [sum(s["stop"] - s["start"] for s in t["startstops"] if s["action"] == "compute") for t in ts.data]
        tasks = len(compute)
        out.update({
            "python_local_s": round(t_local, 3), "dask_s": round(t_dask, 3),
            "dask_over_local": round(t_dask / t_local, 3),
            "dask_over_cli_robust": round(t_dask / r_robust["wall_s"], 3),
            "dask_tasks": tasks,
            "dask_task_compute_s": [round(min(compute), 3), round(sum(compute) / tasks, 3), round(max(compute), 3)],
            "dask_overhead_per_task_s": round((t_dask * a.workers - sum(compute)) / tasks, 4),
            "dask_worker_rss_mb": sorted(round(v / 2**20) for v in rss.values()),
            "dask_equals_local": bool(frame(remote.candidates).equals(frame(local.candidates))),
            "local_equals_cli": bool(frame(local.candidates).equals(
                pl.read_csv(work / "robust" / "robust.csv", schema=frame(local.candidates).schema))),
        })
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
