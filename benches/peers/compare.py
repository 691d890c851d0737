#!/usr/bin/env python3
"""Run careblock and its peers side by side on synthetic and given cities.

For each size and --shapes: generate the city once (cached under --work); then
each --city LABEL=DIR as given (e.g. bogota_city.py's). For each city: run the tools
round-robin --repeats times each, keep each tool's best total, measure each
child's peak RSS (ru_maxrss from os.wait4), check careblock's and DuckDB's
CSVs against the geopandas+tobler ones, and print and write a Markdown table
to --work/results.md (raw runs to --work/results.json).

"total" is the original four stages (load, project, interpolate, coverage);
the index and siting stages, and their outputs (district_index.csv,
mclp.json), are shown and checked where a tool reports them. careblock also
runs a Monte Carlo of --draws draws over the district index ("mc"), which the
peers do not; it counts in careblock's total+index+siting.
"""

import argparse
import csv
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOOLS = ("careblock", "geopandas", "duckdb")
REFERENCES = ("geopandas", "duckdb")  # tobler's table is float32; DuckDB's areas are float64
STAGES = ("load", "project", "interpolate", "coverage", "total")
EXTRA_STAGES = ("index", "total_with_index", "mc", "siting", "total_with_index_siting")  # where reported
EXTENSIVE = "pop_total,pop_0_5,pop_60_plus,women,men,dwellings,pop_disability,women_unpaid_care"
CITY_FILES = ("units", "districts", "facilities", "candidates")
OUTPUT_FILES = ("districts.csv", "coverage.csv", "district_index.csv", "mclp.json", "cbc.log")
ABS_TOL = 1e-9  # district cells closer than this agree whatever their relative difference
EXIT_UNAVAILABLE = 3  # peer_duckdb.py: spatial extension cannot be loaded
PEER_PACKAGES = (
    "geopandas", "tobler", "pyogrio", "shapely", "pyproj", "numpy", "pandas", "duckdb", "duckdb-ext-spatial", "pulp",
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,500000", help="comma-separated unit counts (empty: none)")
    parser.add_argument(
        "--shapes", default="convex", help="comma-separated gen_city.py --shape values generated at each size (convex, organic)"
    )
    parser.add_argument(
        "--city", action="append", default=[], metavar="LABEL=DIR",
        help="also run on the city in DIR (units, districts, facilities, candidates .geojson in the generator's schema), "
        "labelled LABEL; repeatable",
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per tool and size")
    parser.add_argument("--careblock", type=Path, default=Path("target/release/examples/workload"), help="careblock workload binary")
    parser.add_argument("--work", type=Path, default=Path("/tmp/careblock-peers"), help="cache and output directory")
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated subset of {','.join(TOOLS)}")
    parser.add_argument("--skip-peers", action="store_true", help="run careblock only (same as --tools careblock)")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the generator and the Python peers")
    parser.add_argument("--districts", type=int, default=112)
    parser.add_argument("--facilities", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--crs", type=int, default=9377)
    parser.add_argument("--radius", type=float, default=800.0)
    parser.add_argument("--p", type=int, default=20, help="care-block sites chosen by the peers' MCLP")
    parser.add_argument("--time-limit", type=float, help="CBC time limit in seconds for the peers' MCLP (default none)")
    parser.add_argument("--no-siting", action="store_true", help="skip the siting stage (MCLP)")
    parser.add_argument("--draws", type=int, default=1000, help="careblock's Monte Carlo draws over the district index")
    parser.add_argument("--rtol", type=float, default=1e-6, help="relative tolerance per districts.csv cell")
    parser.add_argument("--pop-rtol", type=float, default=1e-9, help="relative tolerance of coverage pop_covered")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds before a run is killed")
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    args.shapes = args.shapes.split(",")
    if set(args.shapes) - {"convex", "organic"}:
        parser.error("--shapes takes convex and/or organic")
    cities = []
    for entry in args.city:
        label, sep, directory = entry.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z0-9._-]+", label):
            parser.error(f"--city wants LABEL=DIR with a label of letters, digits, '.', '_', '-': {entry!r}")
        cities.append((label, Path(directory)))
    args.city = cities
    args.tools = ["careblock"] if args.skip_peers else args.tools.split(",")
    unknown = set(args.tools) - set(TOOLS)
    if unknown:
        parser.error(f"unknown tools: {', '.join(sorted(unknown))}")
    return args


def ensure_city(args, size, shape="convex"):
    """Generate the city of `size` units and this shape unless it is cached; return its dir."""
    city = args.work / (f"city-{size}-d{args.districts}-f{args.facilities}-s{args.seed}" + ("" if shape == "convex" else f"-{shape}"))
    if all((city / f"{name}.geojson").exists() for name in CITY_FILES):
        return city
    # A cache written before candidates.geojson existed lacks it and the units' care properties: remake it.
    partial = city.with_name(city.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    print(f"generating {size} units into {city}", file=sys.stderr, flush=True)
    subprocess.run(
        [args.python, str(HERE / "gen_city.py"), "--units", str(size), "--districts", str(args.districts),
         "--facilities", str(args.facilities), "--seed", str(args.seed), "--out", str(partial)]
        + ([] if shape == "convex" else ["--shape", shape]),
        check=True,
    )
    if city.exists():
        shutil.rmtree(city)
    partial.rename(city)
    return city


def count_features(path):
    """Features in a GeoJSON file (its "type": "Feature" members; FeatureCollection does not match)."""
    pattern = re.compile(rb'"type"\s*:\s*"Feature"')
    with open(path, "rb") as f:
        return len(pattern.findall(f.read()))


def cities(args):
    """(label, directory, units) of every city of the run: the generated ones, then --city."""
    found = []
    for size in args.sizes:
        for shape in args.shapes:
            directory = ensure_city(args, size, shape)
            # Keep the label of a convex city its size, as before there were other shapes.
            label = str(size) if shape == "convex" else f"{size}-{shape}"
            found.append((label, directory, size if shape == "convex" else count_features(directory / "units.geojson")))
    for label, directory in args.city:
        missing = [name for name in CITY_FILES if not (directory / f"{name}.geojson").exists()]
        if missing and not (args.no_siting and missing == ["candidates"]):
            sys.exit(f"--city {label}: {directory} lacks {', '.join(name + '.geojson' for name in missing)}")
        found.append((label, directory, count_features(directory / "units.geojson")))
    labels = [label for label, _, _ in found]
    if len(set(labels)) != len(labels):
        sys.exit(f"city labels repeat: {', '.join(labels)}")
    return found


def command(args, tool, city, out):
    if tool == "careblock":
        return [
            str(args.careblock), "--units", str(city / "units.geojson"), "--districts", str(city / "districts.geojson"),
            "--facilities", str(city / "facilities.geojson"), "--crs", str(args.crs), "--radius", repr(args.radius),
            "--extensive", EXTENSIVE, "--intensive", "ipm",
            "--unit-id", "unit_id", "--district-id", "district_id", "--facility-id", "facility_id", "--out", str(out),
            "--draws", str(args.draws), "--p", str(args.p),
        ] + ([] if args.no_siting else ["--candidates", str(city / "candidates.geojson"), "--candidate-id", "candidate_id"])
    script = HERE / f"peer_{tool}.py"
    cmd = [args.python, str(script), "--city", str(city), "--crs", str(args.crs), "--radius", repr(args.radius), "--out", str(out)]
    cmd += ["--p", str(args.p)] + (["--time-limit", repr(args.time_limit)] if args.time_limit is not None else [])
    return cmd + (["--no-siting"] if args.no_siting else [])


def run_child(cmd, log_stem, timeout):
    """Run cmd; return (exit code, stdout, peak RSS in MB, kernel CPU seconds). Exit code None on
    timeout. The kernel time shows what the stage times cannot: on this VM (DAMON pageout active), a
    run that follows another tool's long run spends up to a second more in page faults."""
    stdout_path, stderr_path = log_stem.with_suffix(".stdout"), log_stem.with_suffix(".stderr")
    with open(stdout_path, "w") as out, open(stderr_path, "w") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
                return None, "", usage.ru_maxrss / 1024, usage.ru_stime
            time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, stdout_path.read_text(), usage.ru_maxrss / 1024, usage.ru_stime


def run_once(args, tool, city, out):
    """One run of a tool: a dict with status, stage times and peak_mb."""
    if tool == "careblock" and not args.careblock.exists():
        return {"status": "unavailable", "detail": f"{args.careblock} not found"}
    out.mkdir(parents=True, exist_ok=True)
    for name in OUTPUT_FILES:  # so that a run never gets checked on an earlier run's files
        (out / name).unlink(missing_ok=True)
    code, stdout, peak_mb, sys_s = run_child(command(args, tool, city, out), out / "run", args.timeout)
    if code is None:
        return {"status": "timeout", "peak_mb": peak_mb}
    if code == EXIT_UNAVAILABLE and tool == "duckdb":
        return {"status": "unavailable", "detail": (out / "run.stderr").read_text().strip()}
    if code != 0:
        return {"status": "failed", "detail": f"exit {code}, see {out / 'run.stderr'}"}
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"status": "failed", "detail": "no JSON line on stdout"}
    times = json.loads(lines[-1])
    if "index" in times:  # the "load + project + interpolate + indicators + coverage"
        times["total_with_index"] = times["total"] + times["index"]
    stages = [*STAGES, *(stage for stage in EXTRA_STAGES if stage in times)]
    run = {"status": "ok", "peak_mb": peak_mb, "sys_s": sys_s, **{stage: float(times[stage]) for stage in stages}}
    mclp = out / "mclp.json"
    if "siting" in times and mclp.exists():
        result = json.loads(mclp.read_text())
        run["mclp"] = {key: result.get(key) for key in ("mclp_sparse_obj", "status", "best_bound", "solve_s")}
    return run


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], {row[0]: row[1:] for row in rows[1:]}


def rel_diff(a, b):
    if a == b or (math.isnan(a) and math.isnan(b)):
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def compare_cells(out_csv, ref_csv, rtol, problems, notes):
    """Compare two CSVs keyed by their first column, cell by cell over the columns they share
    (by name, so column order may differ). Returns the worst (relative difference, where)."""
    header, rows = read_csv(out_csv)
    ref_header, ref_rows = read_csv(ref_csv)
    worst = (0.0, "")
    if header[0] != ref_header[0] or rows.keys() != ref_rows.keys():
        problems.append(f"{out_csv.name} key column or ids differ")
        return worst
    missing = [c for c in ref_header[1:] if c not in header]
    if missing:
        notes.append(f"{out_csv.name} lacks {','.join(missing)}")
    columns = [(c, header.index(c) - 1, ref_header.index(c) - 1) for c in ref_header[1:] if c in header]
    bad = 0
    for key, ref_values in ref_rows.items():
        for column, k, ref_k in columns:
            ta, tb = rows[key][k], ref_values[ref_k]
            if ta == "" or tb == "":  # no value (e.g. an unranked district)
                if (ta == "") != (tb == ""):
                    bad += 1
                continue
            a, b = float(ta), float(tb)
            d = rel_diff(a, b)
            worst = max(worst, (d, f"{key} {column}"))
            if d > rtol and abs(a - b) > ABS_TOL:
                bad += 1
    if bad:
        problems.append(f"{bad} {out_csv.stem} cells > {rtol:g} rel")
    return worst


def compare_mclp(out_json, ref_json, problems, notes):
    """Equal objectives when both are proven optimal; different site sets are only noted."""
    out, ref = json.loads(out_json.read_text()), json.loads(ref_json.read_text())
    proven = all(r.get("status") == "Optimal Solution Found" for r in (out, ref))
    if out.get("mclp_sparse_obj") != ref.get("mclp_sparse_obj"):
        text = f"mclp obj {out.get('mclp_sparse_obj')} vs {ref.get('mclp_sparse_obj')}"
        (problems if proven else notes).append(text + ("" if proven else " (not both proven optimal)"))
    elif out.get("selected") != ref.get("selected"):
        notes.append("same mclp obj, other sites")


def agreement(out, ref, rtol, pop_rtol):
    """Short text saying whether out/*.csv (and district_index.csv, mclp.json where both have them) agree with ref's."""
    problems, notes = [], []
    worst = compare_cells(out / "districts.csv", ref / "districts.csv", rtol, problems, notes)
    if (out / "district_index.csv").exists() and (ref / "district_index.csv").exists():
        index_worst = compare_cells(out / "district_index.csv", ref / "district_index.csv", rtol, problems, notes)
        if index_worst[0] > worst[0]:
            worst = index_worst
    if (out / "mclp.json").exists() and (ref / "mclp.json").exists():
        compare_mclp(out / "mclp.json", ref / "mclp.json", problems, notes)

    header, rows = read_csv(out / "coverage.csv")
    ref_header, ref_rows = read_csv(ref / "coverage.csv")
    if header != ref_header or rows.keys() != ref_rows.keys():
        problems.append("coverage.csv header or facility ids differ")
    else:
        n_bad = sum(int(rows[k][0]) != int(v[0]) for k, v in ref_rows.items())
        pop_bad = sum(rel_diff(float(rows[k][1]), float(v[1])) > pop_rtol for k, v in ref_rows.items())
        if n_bad or pop_bad:
            problems.append(f"{n_bad} facilities differ in n_units, {pop_bad} in pop_covered")
    summary = f"max rel {worst[0]:.1e}" + (f" at {worst[1]}" if worst[0] else "")
    summary += "".join(f"; {note}" for note in notes)
    return ("ok" if not problems else "DIFF: " + ", ".join(problems)) + f" ({summary})"


def fmt_seconds(value):
    return f"{value:.2f}" if value is not None else "–"


def fmt_mclp(run):
    """MCLP objective, starred when the solver did not prove it optimal."""
    mclp = run.get("mclp")
    if not mclp or mclp.get("mclp_sparse_obj") is None:
        return "–"
    return f"{mclp['mclp_sparse_obj']}" + ("" if mclp.get("status") == "Optimal Solution Found" else "*")


def table(results, args):
    """The Markdown table; the index/siting columns only when some run reported those stages."""
    extra = any(stage in (entry["best"] or {}) for _, per_tool in results.values() for entry in per_tool.values() for stage in EXTRA_STAGES)
    stages = STAGES + (EXTRA_STAGES if extra else ())
    head = "| city | units | tool | load s | project s | interpolate s | coverage s | total s |"
    rule = "|---|---:|---|---:|---:|---:|---:|---:|"
    if extra:
        head += " index s | total+index s | MC s | siting s | total+index+siting s | MCLP obj |"
        rule += "---:|---:|---:|---:|---:|---:|"
    ratio_stages = ("total", "total_with_index", "total_with_index_siting") if extra else ("total",)
    ratios = " × careblock (total) |" + (" × careblock (total+index) | × careblock (total+index+siting) |" if extra else "")
    lines = [head + " sys s | peak MB |" + ratios + " agreement |", rule + "---:|---:|" + "---:|" * len(ratio_stages) + "---|"]
    for label, (units, per_tool) in results.items():
        base = per_tool.get("careblock", {}).get("best")
        for tool in args.tools:
            entry = per_tool[tool]
            best = entry["best"]
            if best is None:
                cells = ["–"] * (len(stages) + extra + 2 + len(ratio_stages))
                lines.append(f"| {label} | {units} | {tool} | " + " | ".join(cells) + f" | {entry['status']} |")
                continue
            ratio = " | ".join(
                f"{best[stage] / base[stage]:.2f}" if base and stage in base and stage in best else "–" for stage in ratio_stages
            )
            cells = " | ".join(fmt_seconds(best.get(s)) for s in stages) + (f" | {fmt_mclp(best)}" if extra else "")
            lines.append(
                f"| {label} | {units} | {tool} | {cells} | {best['sys_s']:.2f} | {entry['peak_mb']:.0f} | {ratio} | {entry['agreement']} |"
            )
    return "\n".join(lines)


def versions():
    found = []
    for package in PEER_PACKAGES:
        try:
            found.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            pass
    return ", ".join(found)


def main():
    args = parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results, raw = {}, []
    for label, city, units in cities(args):
        runs = {tool: [] for tool in args.tools}
        for repeat in range(args.repeats):
            for tool in args.tools:
                if runs[tool] and runs[tool][-1]["status"] == "unavailable":
                    continue
                run = run_once(args, tool, city, args.work / "out" / label / tool)
                runs[tool].append(run)
                raw.append({"city": label, "units": units, "tool": tool, "repeat": repeat, **run})
                print(json.dumps(raw[-1]), file=sys.stderr, flush=True)

        per_tool = {}
        for tool, tool_runs in runs.items():
            ok = [r for r in tool_runs if r["status"] == "ok"]
            entry = {"status": tool_runs[-1]["status"], "best": min(ok, key=lambda r: r["total"]) if ok else None}
            if ok:
                entry["status"] = "ok"
                entry["peak_mb"] = max(r["peak_mb"] for r in ok)
            per_tool[tool] = entry
        out_dir = args.work / "out" / label
        references = [ref for ref in REFERENCES if per_tool.get(ref, {}).get("best")]
        for tool, entry in per_tool.items():
            if entry["best"] is None:
                continue
            # Each tool is checked against the references ranked above it.
            rank = REFERENCES.index(tool) if tool in REFERENCES else len(REFERENCES)
            checks = [
                f"vs {ref}: " + agreement(out_dir / tool, out_dir / ref, args.rtol, args.pop_rtol)
                for ref in references if REFERENCES.index(ref) < rank
            ]
            entry["agreement"] = "; ".join(checks) or ("reference" if tool in REFERENCES else "not checked")
        results[label] = (units, per_tool)

    notes = (
        f"Best of {args.repeats} round-robin runs per tool; peak MB is the largest ru_maxrss of the tool's runs; "
        f"sys s is the best run's kernel CPU time (page faults, file reads).  \n"
        f"Machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}.  \n"
        f"Peers: {versions()}.  \n"
        f"Agreement: districts.csv within {args.rtol:g} relative per cell, coverage.csv n_units exact and "
        f"pop_covered within {args.pop_rtol:g}. tobler keeps intersection areas in float32, so from ~100k units on its "
        f"intensive (ipm) estimates can be more than 1e-6 relative off float64 ones; DuckDB's are float64.  \n"
        f"total = load + project + interpolate + coverage. Where shown, index and siting are the district index and "
        f"the MCLP (p = {args.p}, radius {args.radius:g}; careblock's own solver, the peers' CBC via PuLP"
        + (f", time limit {args.time_limit:g} s" if args.time_limit is not None else ", no time limit")
        + "); an MCLP objective marked * was not proven optimal. MC is careblock's "
        f"{args.draws}-draw Monte Carlo over the district index (the peers have none), counted in its total+index+siting."
    )
    report = table(results, args) + "\n\n" + notes + "\n"
    print(report)
    (args.work / "results.md").write_text(report)
    (args.work / "results.json").write_text(json.dumps(raw, indent=1) + "\n")


if __name__ == "__main__":
    main()
