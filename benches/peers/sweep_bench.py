#!/usr/bin/env python3
"""A sweep of N scenarios on one city: the CLI's per-scenario cost against one run's siting
stage, and careblock.dask.sweep on a LocalCluster against careblock.sweep in one process.

The city is a directory with ``method.toml`` and its layers (``gen_city.py`` and
``examples/reference/city.toml`` make one). The sweep varies one ``[siting]`` key, so the
index is computed once: ``--vary radius`` (default) gives N radii from the method's own up by
1 m, scenarios that cost what the run's siting costs; ``--vary p`` gives p = 5, 6, ... (larger
p costs more). Four measurements, each the whole command or call:

* ``run``: ``careblock run`` of the method (its ``siting`` stage from ``timings.json``);
* ``sweep``: ``careblock sweep`` (its ``scenarios`` stage, divided by N: the cost of a
  scenario, to set beside the run's siting stage; the index is in it once);
* ``local``: ``careblock.sweep`` in this process (the same work through the bindings);
* ``dask``: ``careblock.dask.sweep`` on a ``LocalCluster`` of ``--workers`` processes with one
  thread each (each worker reads the inputs once); its tables are checked equal to ``local``'s.
  From the task stream: compute time per task (min, mean, max) and the scheduler overhead per
  task, ``(wall × workers − Σ compute) / tasks`` (time a worker slot spends on anything but
  computing, the first read of the inputs included). Memory per worker is the largest resident
  set the workers report at the end.

Prints one JSON object. Ratios, not absolute times, are what compare across machines.

    python benches/peers/sweep_bench.py --city /tmp/city20k --scenarios 64 --bin target/release/careblock
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

import careblock
import careblock.dask


def timed(f):
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--city", type=Path, required=True, help="directory with method.toml and its layers")
    ap.add_argument("--scenarios", type=int, default=64, help="number of scenarios")
    ap.add_argument("--vary", choices=["radius", "p"], default="radius", help="the [siting] key the scenarios vary")
    ap.add_argument("--workers", type=int, default=2, help="Dask worker processes")
    ap.add_argument("--bin", type=Path, default=Path("target/release/careblock"), help="the careblock CLI")
    a = ap.parse_args()
    import distributed

    method = a.city / "method.toml"
    work = Path(tempfile.mkdtemp(prefix="sweep-bench-"))
    sweep = work / "sweep.toml"
    if a.vary == "p":
        values = list(range(5, 5 + a.scenarios))
    else:
        import tomllib

        radius = tomllib.loads(method.read_text())["siting"]["radius"]
        values = [radius + k for k in range(a.scenarios)]
    sweep.write_text(f'[product]\n"siting.{a.vary}" = {values}\n')

    _, t_run = timed(lambda: subprocess.run([a.bin, "--quiet", "run", method, "--out", work / "run"], check=True))
    siting = json.loads((work / "run" / "timings.json").read_text())["siting"]

    p, t_sweep = timed(lambda: subprocess.run([a.bin, "sweep", method, sweep, "--out", work / "sweep"],
                                              check=True, capture_output=True, text=True))
    stage = float(re.search(r"scenarios ([0-9.]+) s", p.stdout).group(1))

    local, t_local = timed(lambda: careblock.sweep(method, sweep))
    with distributed.LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        with distributed.get_task_stream(client) as ts:
            remote, t_dask = timed(lambda: careblock.dask.sweep(method, sweep, client=client))
        rss = client.run(lambda: __import__("psutil").Process().memory_info().rss)
    compute = [sum(s["stop"] - s["start"] for s in t["startstops"] if s["action"] == "compute") for t in ts.data]
    same = remote.summary.equals(local.summary) and all(remote.sites[n].equals(local.sites[n]) for n in local.sites)
    print(json.dumps({
        "city": str(a.city), "scenarios": a.scenarios, "vary": a.vary, "workers": a.workers, "cores": os.cpu_count(),
        "run_s": round(t_run, 3), "run_siting_stage_s": siting,
        "sweep_s": round(t_sweep, 3), "sweep_scenarios_stage_s": stage,
        "per_scenario_s": round(stage / a.scenarios, 4),
        "per_scenario_over_run_siting": round(stage / a.scenarios / siting, 3),
        "python_local_s": round(t_local, 3), "dask_s": round(t_dask, 3),
        "dask_over_local": round(t_dask / t_local, 3),
        "dask_task_compute_s": [round(min(compute), 3), round(sum(compute) / len(compute), 3), round(max(compute), 3)],
        "dask_overhead_per_task_s": round((t_dask * a.workers - sum(compute)) / len(compute), 4),
        "dask_worker_rss_mb": sorted(round(v / 2**20) for v in rss.values()),
        "dask_equals_local": bool(same),
    }, indent=1))


if __name__ == "__main__":
    main()
