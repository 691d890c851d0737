"""Derives comuna_rates.csv from censo_2017_comunas_los_lagos.csv (Censo 2017, INE, via
chilemapas): per comuna, the rates careblock's Chile preset allocates to census zones, which
carry only four age groups and no sex.

    python3 data/chile/derive_comuna_rates.py   # standard library only; rewrites comuna_rates.csv
"""

import csv
from collections import defaultdict
from pathlib import Path

here = Path(__file__).parent
pop = defaultdict(float)  # (comuna, first age of the group, sex) -> persons
with open(here / "censo_2017_comunas_los_lagos.csv", newline="", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        first_age = int(row["edad"].split()[0])
        pop[(row["codigo_comuna"], first_age, row["sexo"])] += float(row["poblacion"])

comunas = sorted({k[0] for k in pop})
with open(here / "comuna_rates.csv", "w", newline="", encoding="utf-8") as f:
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
