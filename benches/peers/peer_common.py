"""Command line and CSV output shared by the peer implementations."""

import argparse
import csv
import json
from pathlib import Path

EXTENSIVE = ["pop_total", "pop_0_5", "pop_60_plus", "women", "men", "dwellings"]
INTENSIVE = ["ipm"]
DISTRICT_COLUMNS = ["district_id", *EXTENSIVE, *INTENSIVE]
COVERAGE_COLUMNS = ["facility_id", "n_units", "pop_covered"]
FALLBACK_PROJ = {
    9377: "+proj=tmerc +lat_0=4 +lon_0=-73 +k=0.9992 +x_0=5000000 +y_0=2000000 "
    "+ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
}


def parse_args(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--city", type=Path, required=True, help="directory made by gen_city.py")
    parser.add_argument("--crs", type=int, default=9377, help="EPSG code of the metric CRS to project to")
    parser.add_argument("--radius", type=float, default=800.0, help="coverage radius in CRS units (metres)")
    parser.add_argument("--out", type=Path, required=True, help="directory for districts.csv and coverage.csv")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def cell(value):
    """CSV text of a value: floats by repr (full precision), the rest by str."""
    return repr(value) if isinstance(value, float) else str(value)


def write_csv(path, columns, rows):
    """Write rows (sequences in column order), sorted by their first column."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in sorted(rows, key=lambda r: r[0]):
            writer.writerow([cell(v) for v in row])


def report(tool, times):
    """Print the one-line JSON timing report, stage times in seconds."""
    print(json.dumps({"tool": tool, **times, "total": sum(times.values())}), flush=True)
