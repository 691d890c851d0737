#!/usr/bin/env python3
"""Run careblock and its peers side by side on synthetic and given cities.

For each size and --shapes: generate the city once (cached under --work); then
each --city LABEL=DIR as given (e.g. bogota_city.py's). For each city, with
--inputs geoparquet: write GeoParquet copies of its layers beside the GeoJSON
(once, cached). For each city: run every tool on every input format
round-robin --repeats times each, keep each tool's best total, measure each
child's whole-process wall time from here and its peak RSS (ru_maxrss from
os.wait4), check careblock's and DuckDB's CSVs against the geopandas+tobler
ones of the same input, and print and write Markdown tables to
--work/results.md (raw runs to --work/results.json).

Tools: careblock (the workload example, timed by stage), careblock-run (the
product: `careblock run` on examples/reference/city.toml copied into the city,
timed as a whole process, its siting objective checked against the workload
example's), geopandas (+ tobler) and duckdb (spatial). Ratios are taken within
one city, one input format and one run.

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
import threading
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TOOLS = ("careblock", "careblock-run", "geopandas", "duckdb")
PEERS = ("geopandas", "duckdb")
TOOL_NAMES = {"careblock": "careblock workload", "careblock-run": "careblock run", "geopandas": "geopandas", "duckdb": "DuckDB"}
INPUTS = {"geojson": ".geojson", "geoparquet": ".parquet"}  # input format -> the layers' file suffix
METHOD_FILES = {"geojson": "city.toml", "geoparquet": "city_pq.toml"}  # careblock-run's method file in the city dir
SOLVER_NAMES = {"cbc": "CBC", "highs": "HiGHS"}
REFERENCES = ("geopandas", "duckdb")  # tobler's table is float32; DuckDB's areas are float64
STAGES = ("load", "project", "interpolate", "coverage", "total")
EXTRA_STAGES = ("index", "total_with_index", "mc", "siting", "total_with_index_siting")  # where reported
EXTENSIVE = "pop_total,pop_0_5,pop_60_plus,women,men,dwellings,pop_disability,women_unpaid_care"
CITY_FILES = ("units", "districts", "facilities", "candidates")
OUTPUT_FILES = ("districts.csv", "coverage.csv", "district_index.csv", "mclp.json", "cbc.log") + tuple(
    f"mclp_{solver}.json" for solver in SOLVER_NAMES
)
INDEX_COLUMNS = ("district_id", "caregiver_density", "dependency", "unpaid_work_share", "index", "rank")  # district_index.csv
ABS_TOL = 1e-9  # district cells closer than this agree whatever their relative difference
EXIT_UNAVAILABLE = 3  # peer_duckdb.py: spatial extension cannot be loaded
PEER_PACKAGES = (
    "geopandas", "tobler", "pyogrio", "pyarrow", "shapely", "pyproj", "numpy", "pandas", "duckdb", "duckdb-ext-spatial",
    "pulp", "scipy",
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
    parser.add_argument(
        "--inputs", default=",".join(INPUTS),
        help="comma-separated input formats every tool runs on: geojson (the generated files) and/or geoparquet (their "
        "GeoParquet copies, written beside them once: units.parquet, districts.parquet, ...)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per tool, input format and size")
    parser.add_argument("--careblock", type=Path, default=Path("target/release/examples/workload"), help="careblock workload binary")
    parser.add_argument("--careblock-cli", type=Path, default=Path("target/release/careblock"), help="careblock CLI (the careblock-run tool)")
    parser.add_argument(
        "--method", type=Path, default=REPO / "examples/reference/city.toml",
        help="method file careblock-run copies into each city (city.toml; city_pq.toml reads the .parquet layers)",
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/careblock-peers"), help="cache and output directory")
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated subset of {','.join(TOOLS)}")
    parser.add_argument("--skip-peers", action="store_true", help="run careblock only (same as --tools careblock,careblock-run)")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the generator and the Python peers")
    parser.add_argument("--districts", type=int, default=112)
    parser.add_argument("--facilities", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--crs", type=int, default=9377)
    parser.add_argument("--radius", type=float, default=800.0)
    parser.add_argument("--p", type=int, default=20, help="care-block sites chosen by the peers' MCLP")
    parser.add_argument("--time-limit", type=float, help="time limit in seconds of the peers' MCLP solver (default none)")
    parser.add_argument(
        "--solvers", default="cbc",
        help="the peers' MCLP solvers, cbc (PuLP) and/or highs (scipy.optimize.milp); the first is their siting stage, "
        "each other one runs the siting stage again, timed apart and not counted in their whole workload",
    )
    parser.add_argument("--tobler-jobs", type=int, default=-1, help="tobler area_interpolate's n_jobs in the geopandas peer")
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
    args.tools = ["careblock", "careblock-run"] if args.skip_peers else args.tools.split(",")
    unknown = set(args.tools) - set(TOOLS)
    if unknown:
        parser.error(f"unknown tools: {', '.join(sorted(unknown))}")
    args.inputs = args.inputs.split(",")
    if not args.inputs or set(args.inputs) - set(INPUTS):
        parser.error(f"--inputs takes {' and/or '.join(INPUTS)}")
    args.solvers = args.solvers.split(",")
    if not args.solvers or set(args.solvers) - set(SOLVER_NAMES):
        parser.error(f"--solvers takes {' and/or '.join(SOLVER_NAMES)}")
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


def ensure_geoparquet(args, city):
    """GeoParquet copies of the city's GeoJSON layers beside them (peer_common.write_geoparquet: geopandas to_parquet,
    WKB, GeoParquet 1.1 with the bbox covering, zstd), unless each copy exists and is newer than its GeoJSON."""
    layers = [name for name in CITY_FILES if (city / f"{name}.geojson").exists()]
    fresh = all(
        (city / f"{name}.parquet").exists() and (city / f"{name}.parquet").stat().st_mtime >= (city / f"{name}.geojson").stat().st_mtime
        for name in layers
    )
    if fresh:
        return
    print(f"writing GeoParquet copies of {', '.join(layers)} in {city}", file=sys.stderr, flush=True)
    subprocess.run(
        [args.python, "-c", "import sys; from peer_common import write_geoparquet; write_geoparquet(sys.argv[1])", str(city.resolve())],
        cwd=HERE, check=True,
    )


def method_text(args, input_format):
    """--method (examples/reference/city.toml) for this city: the layer paths switched to the input format's files
    (they are relative to the method file, which goes into the city directory), crs, radius, p and draws set to this
    run's, and without the [siting] tables under --no-siting."""
    text = args.method.read_text()
    radius = int(args.radius) if args.radius.is_integer() else args.radius
    for key, value in (("crs", args.crs), ("radius", radius), ("p", args.p), ("draws", args.draws)):
        text, n = re.subn(rf"^{key} = \S+", f"{key} = {value}", text, flags=re.M)
        if n != 1:
            sys.exit(f"{args.method}: expected one '{key} = ...' line, found {n}")
    paths = re.findall(r'^path = "(.*)"', text, flags=re.M)
    if not paths or any(not path.endswith(".geojson") for path in paths):
        sys.exit(f"{args.method}: expected .geojson layer paths, found {paths}")
    text = re.sub(r'^(path = ".*)\.geojson"', rf'\1{INPUTS[input_format]}"', text, flags=re.M)
    if args.no_siting:
        kept, table = [], ""
        for line in text.splitlines(keepends=True):
            header = re.match(r"\s*\[\[?\s*([A-Za-z0-9_.]+)", line)
            table = header.group(1) if header else table
            if table.split(".")[0] != "siting":
                kept.append(line)
        text = "".join(kept)
    return text


def write_methods(args, city):
    """careblock-run's method file of each input format in the city directory (rewritten only when it changes)."""
    for input_format in args.inputs:
        path, text = city / METHOD_FILES[input_format], method_text(args, input_format)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


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
    for _, directory, _ in found:
        if "geoparquet" in args.inputs:
            ensure_geoparquet(args, directory)
        if "careblock-run" in args.tools:
            write_methods(args, directory)
    return found


def command(args, tool, city, input_format, out):
    def layer(name):
        return str(city / f"{name}{INPUTS[input_format]}")

    if tool == "careblock":
        return [
            str(args.careblock), "--units", layer("units"), "--districts", layer("districts"),
            "--facilities", layer("facilities"), "--crs", str(args.crs), "--radius", repr(args.radius),
            "--extensive", EXTENSIVE, "--intensive", "ipm",
            "--unit-id", "unit_id", "--district-id", "district_id", "--facility-id", "facility_id", "--out", str(out),
            "--draws", str(args.draws), "--p", str(args.p),
        ] + ([] if args.no_siting else ["--candidates", layer("candidates"), "--candidate-id", "candidate_id"])
    if tool == "careblock-run":
        # The product as a user runs it: its default outputs (no --format), -q so that no progress is printed.
        return [str(args.careblock_cli), "-q", "run", str(city / METHOD_FILES[input_format]), "--out", str(out)]
    script = HERE / f"peer_{tool}.py"
    cmd = [args.python, str(script), "--city", str(city), "--input", input_format, "--crs", str(args.crs), "--radius", repr(args.radius)]
    cmd += ["--out", str(out), "--p", str(args.p), "--solvers", ",".join(args.solvers)]
    cmd += (["--time-limit", repr(args.time_limit)] if args.time_limit is not None else [])
    cmd += (["--tobler-jobs", str(args.tobler_jobs)] if tool == "geopandas" else [])
    return cmd + (["--no-siting"] if args.no_siting else [])


def run_child(cmd, log_stem, timeout):
    """Run cmd; return (exit code, stdout, peak RSS in MB, kernel CPU seconds, wall seconds). Exit code
    None on timeout. The wall time is the whole process's, from before the fork to its exit as seen
    by a blocking wait4 (no polling interval). ru_maxrss is the largest of the process and the
    descendants it waited for (tobler's worker processes), not their sum. The kernel time shows what
    the stage times cannot: on this VM (DAMON pageout active), a run that follows another tool's long
    run spends up to a second more in page faults."""
    stdout_path, stderr_path = log_stem.with_suffix(".stdout"), log_stem.with_suffix(".stderr")
    with open(stdout_path, "w") as out, open(stderr_path, "w") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        timed_out = not timer.is_alive()
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if timed_out and proc.returncode < 0:
        return None, "", usage.ru_maxrss / 1024, usage.ru_stime, wall
    return proc.returncode, stdout_path.read_text(), usage.ru_maxrss / 1024, usage.ru_stime, wall


def first_line(path):
    """The first non-empty line of a log (e.g. a failed run's error), shortened."""
    lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()] if path.exists() else []
    return lines[0][:300] if lines else ""


def run_once(args, tool, city, input_format, out):
    """One run of a tool on one input format: a dict with status, stage times, process_s and peak_mb."""
    binary = {"careblock": args.careblock, "careblock-run": args.careblock_cli}.get(tool)
    if binary is not None and not binary.exists():
        return {"status": "unavailable", "detail": f"{binary} not found"}
    if tool == "careblock-run":
        shutil.rmtree(out, ignore_errors=True)  # careblock run writes many files: start from an empty directory
    out.mkdir(parents=True, exist_ok=True)
    for name in OUTPUT_FILES:  # so that a run never gets checked on an earlier run's files
        (out / name).unlink(missing_ok=True)
    code, stdout, peak_mb, sys_s, wall = run_child(command(args, tool, city, input_format, out), out / "run", args.timeout)
    if code is None:
        return {"status": "timeout", "peak_mb": peak_mb, "process_s": wall}
    if code == EXIT_UNAVAILABLE and tool == "duckdb":
        return {"status": "unavailable", "detail": (out / "run.stderr").read_text().strip()}
    if code != 0:
        return {"status": "failed", "detail": f"exit {code}: {first_line(out / 'run.stderr')} (see {out / 'run.stderr'})"}
    if tool == "careblock-run":
        return run_result(out, peak_mb, sys_s, wall)
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"status": "failed", "detail": "no JSON line on stdout"}
    times = json.loads(lines[-1])
    if "index" in times:  # the "load + project + interpolate + indicators + coverage"
        times["total_with_index"] = times["total"] + times["index"]
    stages = [*STAGES, *(stage for stage in EXTRA_STAGES if stage in times)]
    stages += [f"siting_{solver}" for solver in SOLVER_NAMES if f"siting_{solver}" in times]  # other solvers, not in the whole
    run = {"status": "ok", "peak_mb": peak_mb, "sys_s": sys_s, "process_s": wall, **{stage: float(times[stage]) for stage in stages}}
    for name, key in [("mclp.json", "mclp"), *((f"mclp_{solver}.json", f"mclp_{solver}") for solver in SOLVER_NAMES)]:
        if "siting" in times and (out / name).exists():
            result = json.loads((out / name).read_text())
            run[key] = {k: result.get(k) for k in ("mclp_sparse_obj", "status", "best_bound", "solve_s", "solver")}
    return run


def run_result(out, peak_mb, sys_s, wall):
    """careblock run's result: its whole-process time, its own stage times (timings.json), the siting objective
    (run.json's siting.blocks), and district_index_peers.csv, its districts.csv in the peers' district_index.csv
    columns for the agreement check."""
    if not (out / "run.json").exists():
        return {"status": "failed", "detail": f"no run.json in {out}"}
    report = json.loads((out / "run.json").read_text())
    run = {"status": "ok", "peak_mb": peak_mb, "sys_s": sys_s, "process_s": wall}
    if (out / "timings.json").exists():
        run["timings"] = json.loads((out / "timings.json").read_text())
    blocks = (report.get("siting") or {}).get("blocks")
    if blocks:
        with open(out / "sites.csv", newline="") as f:
            selected = sorted(row["id"] for row in csv.DictReader(f) if row["status"] == "proposed")
        run["mclp"] = {
            "mclp_sparse_obj": integral(blocks["objective"]),
            "status": "Optimal Solution Found" if blocks.get("optimal") else "Solution Found",
            "best_bound": blocks.get("bound"),
            "selected": selected,
        }
    with open(out / "districts.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(out / "district_index_peers.csv", "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(INDEX_COLUMNS)
        for row in sorted(rows, key=lambda r: r["id"]):
            ranked = row["ranked"] == "true"
            writer.writerow(
                [row["id"], *(row[c] for c in INDEX_COLUMNS[1:4]), row["index"] if ranked else "", row["rank"] if ranked else ""]
            )
    return run


def integral(value):
    """An objective as an int when it is one (careblock run writes 325925.0)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


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


def solver_checks(out, careblock, solvers):
    """Each MCLP solver's objective in a peer's outputs (mclp.json for the first of --solvers, mclp_<solver>.json for the
    others) against careblock's (the workload's mclp.json): a difference is a failure only when both are proven optimal."""
    texts = []
    for k, solver in enumerate(solvers):
        path = out / ("mclp.json" if k == 0 else f"mclp_{solver}.json")
        if not path.exists() or not (careblock / "mclp.json").exists():
            continue
        ours, theirs = (json.loads(p.read_text()) for p in (path, careblock / "mclp.json"))
        obj, ref = ours.get("mclp_sparse_obj"), theirs.get("mclp_sparse_obj")
        if obj == ref:
            texts.append(f"{SOLVER_NAMES[solver]} = {obj}")
        elif ours.get("status") == theirs.get("status") == "Optimal Solution Found":
            texts.append(f"DIFF: {SOLVER_NAMES[solver]} {obj} ≠ {ref}, both proven optimal")
        else:
            texts.append(f"{SOLVER_NAMES[solver]} {obj} vs {ref}, not both proven optimal")
    return ("MCLP vs careblock: " + ", ".join(texts)) if texts else ""


def run_agreement(args, label, input_format, per_input):
    """careblock run against the workload example and the peers: its siting objective must equal the workload's (the
    same model and solver; the same input format's run, else another format's, named), it must equal CBC's optimum when
    both are proven optimal, and its district index must agree with geopandas+tobler's district_index.csv."""
    out_dir = args.work / "out" / label
    best = per_input[input_format]["careblock-run"]["best"]
    problems, notes = [], []
    mclp = best.get("mclp")
    if mclp and not args.no_siting:
        ours = mclp["mclp_sparse_obj"]
        formats = [input_format, *(f for f in args.inputs if f != input_format)]
        workload = next((f for f in formats if (per_input[f].get("careblock") or {}).get("best")), None)
        if workload is None:
            notes.append("objective not checked: no workload run succeeded")
        else:
            theirs = json.loads((out_dir / workload / "careblock" / "mclp.json").read_text())
            where = "workload's" if workload == input_format else f"workload's from {workload}"
            if theirs.get("mclp_sparse_obj") == ours:
                notes.append(f"objective = {where} {ours}")
                if theirs.get("selected") != mclp["selected"]:
                    notes.append("other sites")
            else:
                problems.append(f"objective {ours} ≠ {where} {theirs.get('mclp_sparse_obj')}")
        reference = out_dir / input_format / "geopandas" / "mclp.json"
        if (per_input[input_format].get("geopandas") or {}).get("best") and reference.exists():
            ref = json.loads(reference.read_text())
            proven = mclp["status"] == ref.get("status") == "Optimal Solution Found"
            if ref.get("mclp_sparse_obj") != ours:
                text = f"objective {ours} vs geopandas's {ref.get('mclp_sparse_obj')}"
                (problems if proven else notes).append(text + ("" if proven else " (not both proven optimal)"))
    reference = out_dir / input_format / "geopandas" / "district_index.csv"
    if (per_input[input_format].get("geopandas") or {}).get("best") and reference.exists():
        worst = compare_cells(out_dir / input_format / "careblock-run" / "district_index_peers.csv", reference, args.rtol, problems, notes)
        notes.append(f"district index vs geopandas: max rel {worst[0]:.1e}")
    return ("ok" if not problems else "DIFF: " + ", ".join(problems)) + (f" ({'; '.join(notes)})" if notes else "")


def whole(run, tool):
    """A run's whole workload in seconds: careblock run's whole process; the workload example's and the peers' stage
    sum with index and siting (the workload's includes its Monte Carlo)."""
    if tool == "careblock-run":
        return run["process_s"]
    if "total_with_index_siting" in run:
        return run["total_with_index_siting"]
    return run["total"] + run.get("index", 0.0) + run.get("mc", 0.0)


def fmt_seconds(value):
    return f"{value:.2f}" if value is not None else "–"


def fmt_mclp(mclp):
    """MCLP objective, starred when the solver did not prove it optimal."""
    if not mclp or mclp.get("mclp_sparse_obj") is None:
        return "–"
    return f"{mclp['mclp_sparse_obj']}" + ("" if mclp.get("status") == "Optimal Solution Found" else "*")


def stage_table(results, args):
    """The stage table of the workload example and the peers (careblock run is in the product table): one row per city,
    input format and tool; the index/siting columns only when some run reported those stages, a column pair per further
    solver of --solvers; ratios to the workload example of the same city and input format."""
    tools = [tool for tool in args.tools if tool != "careblock-run"]
    entries = [e for _, per_input in results.values() for per_tool in per_input.values() for t, e in per_tool.items() if t in tools]
    extra = any(stage in (entry["best"] or {}) for entry in entries for stage in EXTRA_STAGES)
    others = [solver for solver in SOLVER_NAMES if any(f"siting_{solver}" in (entry["best"] or {}) for entry in entries)]
    stages = STAGES + (EXTRA_STAGES if extra else ())
    head = "| city | units | input | tool | load s | project s | interpolate s | coverage s | total s |"
    rule = "|---|---:|---|---|---:|---:|---:|---:|---:|"
    if extra:
        head += " index s | total+index s | MC s | siting s | total+index+siting s | MCLP obj |"
        rule += "---:|---:|---:|---:|---:|---:|"
    for solver in others:
        head += f" siting with {SOLVER_NAMES[solver]} s | {SOLVER_NAMES[solver]} obj |"
        rule += "---:|---:|"
    ratio_stages = ("total", "total_with_index", "total_with_index_siting") if extra else ("total",)
    ratios = " × careblock (total) |" + (" × careblock (total+index) | × careblock (total+index+siting) |" if extra else "")
    lines = [head + " process s | sys s | peak MB |" + ratios + " agreement |", rule + "---:|---:|---:|" + "---:|" * len(ratio_stages) + "---|"]
    for label, (units, per_input) in results.items():
        for input_format, per_tool in per_input.items():
            base = per_tool.get("careblock", {}).get("best")
            for tool in tools:
                entry = per_tool[tool]
                best = entry["best"]
                if best is None:
                    cells = ["–"] * (len(stages) + extra + 2 * len(others) + 3 + len(ratio_stages))
                    lines.append(f"| {label} | {units} | {input_format} | {tool} | " + " | ".join(cells) + f" | {entry['status']}{entry.get('detail', '')} |")
                    continue
                ratio = " | ".join(
                    f"{best[stage] / base[stage]:.2f}" if base and stage in base and stage in best else "–" for stage in ratio_stages
                )
                cells = " | ".join(fmt_seconds(best.get(s)) for s in stages) + (f" | {fmt_mclp(best.get('mclp'))}" if extra else "")
                cells += "".join(f" | {fmt_seconds(best.get(f'siting_{solver}'))} | {fmt_mclp(best.get(f'mclp_{solver}'))}" for solver in others)
                lines.append(
                    f"| {label} | {units} | {input_format} | {tool} | {cells} | {best['process_s']:.2f} | {best['sys_s']:.2f} "
                    f"| {entry['peak_mb']:.0f} | {ratio} | {entry['agreement']} |"
                )
    return "\n".join(lines)


def product_table(results, args):
    """careblock run (the product) per city and input format: its whole process against the workload example's whole
    (the issue's target: at most 2× from GeoJSON) and the peers' whole workloads against it."""
    peers = [tool for tool in PEERS if tool in args.tools]
    head = "| city | units | input | run whole s | run peak MB | run read / index / siting / write s | workload whole s | workload peak MB | run ÷ workload |"
    rule = "|---|---:|---|---:|---:|---|---:|---:|---:|"
    for peer in peers:
        head += f" {TOOL_NAMES[peer]} whole s | {TOOL_NAMES[peer]} ÷ run |"
        rule += "---:|---:|"
    lines = [head + " run MCLP obj | check |", rule + "---:|---|"]
    for label, (units, per_input) in results.items():
        for input_format, per_tool in per_input.items():
            entry = per_tool["careblock-run"]
            if entry["best"] is None:
                lines.append(f"| {label} | {units} | {input_format} | {entry['status']}{entry.get('detail', '')} |")
                continue
            run = entry["whole"]
            t = entry["best"].get("timings", {})
            stages = " / ".join(fmt_seconds(t.get(k)) for k in ("read_validate_project", "index", "siting", "write"))
            workload = per_tool.get("careblock", {})
            cells = [f"{run:.2f}", f"{entry['peak_mb']:.0f}", stages]
            cells += [fmt_seconds(workload.get("whole")), f"{workload['peak_mb']:.0f}" if workload.get("best") else "–"]
            cells.append(f"{run / workload['whole']:.2f}" if workload.get("best") else "–")
            for peer in peers:
                other = per_tool[peer]
                cells += [fmt_seconds(other.get("whole")), f"{other['whole'] / run:.1f}" if other.get("best") else "–"]
            cells += [fmt_mclp(entry["best"].get("mclp")), entry["agreement"]]
            lines.append(f"| {label} | {units} | {input_format} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def versions():
    found = []
    for package in PEER_PACKAGES:
        try:
            found.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            pass
    return ", ".join(found)


def binary_stamp(path):
    """A binary's path and modification time (so that a table says which build it measured)."""
    if not path.exists():
        return f"{path} (missing)"
    return f"{path} ({time.strftime('%Y-%m-%d %H:%M', time.localtime(path.stat().st_mtime))})"


def main():
    args = parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results, raw = {}, []
    for label, city, units in cities(args):
        runs = {(input_format, tool): [] for input_format in args.inputs for tool in args.tools}
        for repeat in range(args.repeats):
            for input_format in args.inputs:
                for tool in args.tools:
                    done = runs[input_format, tool]
                    if done and done[-1]["status"] == "unavailable":
                        continue
                    run = run_once(args, tool, city, input_format, args.work / "out" / label / input_format / tool)
                    done.append(run)
                    raw.append({"city": label, "units": units, "input": input_format, "tool": tool, "repeat": repeat, **run})
                    print(json.dumps(raw[-1]), file=sys.stderr, flush=True)

        per_input = {}
        for input_format in args.inputs:
            per_tool = {}
            for tool in args.tools:
                tool_runs = runs[input_format, tool]
                ok = [r for r in tool_runs if r["status"] == "ok"]
                key = (lambda r: r["process_s"]) if tool == "careblock-run" else (lambda r: r["total"])
                entry = {"status": tool_runs[-1]["status"], "best": min(ok, key=key) if ok else None}
                if ok:
                    entry["status"] = "ok"
                    entry["peak_mb"] = max(r["peak_mb"] for r in ok)
                    entry["whole"] = min(whole(r, tool) for r in ok)
                elif tool_runs and "detail" in tool_runs[-1]:
                    entry["detail"] = f": {tool_runs[-1]['detail']}"
                per_tool[tool] = entry
            per_input[input_format] = per_tool
            out_dir = args.work / "out" / label / input_format
            references = [ref for ref in REFERENCES if per_tool.get(ref, {}).get("best")]
            careblock_ok = per_tool.get("careblock", {}).get("best")
            for tool, entry in per_tool.items():
                if entry["best"] is None or tool == "careblock-run":
                    continue
                # Each tool is checked against the references ranked above it.
                rank = REFERENCES.index(tool) if tool in REFERENCES else len(REFERENCES)
                checks = [
                    f"vs {ref}: " + agreement(out_dir / tool, out_dir / ref, args.rtol, args.pop_rtol)
                    for ref in references if REFERENCES.index(ref) < rank
                ]
                checks = checks or (["reference"] if tool in REFERENCES else [])
                if tool in PEERS and careblock_ok:
                    checks.append(solver_checks(out_dir / tool, out_dir / "careblock", args.solvers))
                entry["agreement"] = "; ".join(c for c in checks if c) or "not checked"
        for input_format, per_tool in per_input.items():
            if per_tool.get("careblock-run", {}).get("best"):
                per_tool["careblock-run"]["agreement"] = run_agreement(args, label, input_format, per_input)
        results[label] = (units, per_input)

    solver = SOLVER_NAMES[args.solvers[0]] + (" via PuLP" if args.solvers[0] == "cbc" else " via scipy.optimize.milp")
    notes = (
        f"Best of {args.repeats} round-robin runs per tool and input format (the stage table: the run of the best total; "
        f"whole times: the best whole); peak MB is the largest ru_maxrss of the tool's runs (of the process or of one of its "
        f"workers, not their sum); process s is the whole process's wall time seen from the parent (interpreter start-up and "
        f"imports included); sys s is the best run's kernel CPU time (page faults, file reads).  \n"
        f"Inputs: {', '.join(args.inputs)} (GeoParquet: geopandas to_parquet copies of the GeoJSON, WKB, GeoParquet 1.1 with "
        f"bbox covering, zstd); ratios are within one city and input format.  \n"
        f"Machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}.  \n"
        f"careblock: workload {binary_stamp(args.careblock)}, CLI {binary_stamp(args.careblock_cli)}.  \n"
        f"Peers: {versions()}; tobler n_jobs={args.tobler_jobs}.  \n"
        f"Agreement: districts.csv within {args.rtol:g} relative per cell, coverage.csv n_units exact and "
        f"pop_covered within {args.pop_rtol:g}. tobler keeps intersection areas in float32, so from ~100k units on its "
        f"intensive (ipm) estimates can be more than 1e-6 relative off float64 ones; DuckDB's are float64.  \n"
        f"total = load + project + interpolate + coverage. Where shown, index and siting are the district index and "
        f"the MCLP (p = {args.p}, radius {args.radius:g}; careblock's own solver, the peers' {solver}"
        + (f", time limit {args.time_limit:g} s" if args.time_limit is not None else ", no time limit")
        + "); an MCLP objective marked * was not proven optimal. "
        + "".join(
            f"siting with {SOLVER_NAMES[other]} is the peers' siting stage run again with {SOLVER_NAMES[other]}, not counted in "
            f"their total+index+siting. " for other in args.solvers[1:]
        )
        + f"MC is careblock's {args.draws}-draw Monte Carlo over the district index (the peers have none), counted in its "
        f"total+index+siting."
    )
    report = "## Stages\n\n" + stage_table(results, args) + "\n\n"
    if "careblock-run" in args.tools:
        report += "## careblock run, the product\n\n" + product_table(results, args) + "\n\n" + (
            f"run whole = `careblock -q run <city>/{METHOD_FILES['geojson']} --out DIR` (or {METHOD_FILES['geoparquet']}, the "
            f"same method reading the .parquet layers; --method with this run's crs, radius, p and draws), default outputs, "
            f"the whole process; its read / index / siting / write are its timings.json. workload whole = the workload "
            f"example's total+index+siting (with its Monte Carlo), the same model without the unit outputs and report; the "
            f"issue's target is run whole ≤ 2 × workload whole from GeoJSON. Peer whole = their total+index+siting. check: "
            f"the run's siting objective against the workload's, and its district index against geopandas+tobler's.\n\n"
        )
    report += notes + "\n"
    print(report)
    (args.work / "results.md").write_text(report)
    (args.work / "results.json").write_text(json.dumps(raw, indent=1) + "\n")


if __name__ == "__main__":
    main()
