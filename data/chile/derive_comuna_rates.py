"""Derives comuna_rates.csv from censo_2017_comunas_los_lagos.csv (Censo 2017, INE, via
chilemapas): per comuna, the rates careblock's Chile preset allocates to census zones, which
carry only four age groups and no sex.

Another region's extract of the same chilemapas/INE schema (columns `codigo_comuna`, `edad`
as "0 a 4", `sexo` as hombres/mujeres, `poblacion`) needs no edit, only its paths:

    python3 data/chile/derive_comuna_rates.py            # rewrites data/chile/comuna_rates.csv
    python3 data/chile/derive_comuna_rates.py --census censo_2017_comunas_r08.csv --out r08/comuna_rates.csv

Standard library only.
"""

import argparse
import csv
from collections import defaultdict
from pathlib import Path

here = Path(__file__).parent
cli = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
cli.add_argument("--census", type=Path, default=here / "censo_2017_comunas_los_lagos.csv",
                 help="comuna x age group x sex population table (default: %(default)s)")
cli.add_argument("--out", type=Path, default=here / "comuna_rates.csv",
                 help="the rates table to write (default: %(default)s)")
args = cli.parse_args()

pop = defaultdict(float)  # (comuna, first age of the group, sex) -> persons
with open(args.census, newline="", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        first_age = int(row["edad"].split()[0])
        pop[(row["codigo_comuna"], first_age, row["sexo"])] += float(row["poblacion"])

comunas = sorted({k[0] for k in pop})
if not comunas:
    raise SystemExit(f"{args.census}: no rows")
args.out.parent.mkdir(parents=True, exist_ok=True)
with open(args.out, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["codigo_comuna", "pob_total", "pct_mujeres_15a64", "pct_80ymas_de_65ymas"])
    for c in comunas:
        def total(lo, hi, sexes=("hombres", "mujeres")):
            return sum(v for (cc, a, s), v in pop.items() if cc == c and lo <= a <= hi and s in sexes)

        all_ages = total(0, 200)
        w15_64 = total(15, 64, ("mujeres",))
        p15_64 = total(15, 64)
        p65 = total(65, 200)
        p80 = total(80, 200)
        w.writerow([
            c,
            int(all_ages),
            round(100 * w15_64 / p15_64, 4),
            round(100 * p80 / p65, 4),
        ])
print(f"{args.out}: {len(comunas)} comunas")
