"""Derives localidad_care_indicators.csv from the two CEPAL "género Bogotá" localidad layers
(tabla_completa_indicadores.geojson, tabla_indicadores_actualizada.geojson; see PROVENANCE.md):
the localidad-level care rates careblock's Bogotá preset allocates to census sectors, keyed by
`LocCodigo` (the last two digits of `cod_localidad`) so that they join to localidades.geojson.

San Cristóbal appears twice in both source files with identical attributes; it is written once
(the script stops if the duplicates ever disagree). Sumapaz's nulls stay empty.

    python3 data/bogota/derive_localidad_indicators.py [--src CEPAL_DIR] [--out OUT.csv]

The defaults are the shared folder beside the checkout and the bundled file.
"""

import argparse
import csv
import json
import sys
from pathlib import Path

here = Path(__file__).parent
cli = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
cli.add_argument("--src", type=Path, help="folder of the two CEPAL layers (default: %(default)s)",
                 default=here / "../../../shared/data/bogota-localidad-care-indicators-cepal")
cli.add_argument("--out", type=Path, help="the rates table to write (default: %(default)s)",
                 default=here / "localidad_care_indicators.csv")
args = cli.parse_args()
src = args.src
completa = ["mujeres_hogar_sin_ingreso"]
actualizada = [
    "porc_mujeres_tarea_hogar",
    "monoparental_femeninos",
    "limitacion_permanente",
    "pobreza_multidimension",
    "hogares_pobreza_jefe_mujer",
]


def rows(name, fields):
    out = {}
    for f in json.load(open(src / name, encoding="utf-8"))["features"]:
        p = f["properties"]
        key = str(p["cod_localidad"])[-2:]
        vals = {"localidad": p["LocNombre"], **{k: p[k] for k in fields}}
        if key in out and out[key] != vals:
            sys.exit(f"{name}: localidad {key} appears twice with different values")
        out[key] = vals
    return out


a = rows("tabla_completa_indicadores.geojson", completa)
b = rows("tabla_indicadores_actualizada.geojson", actualizada)
assert a.keys() == b.keys() and len(a) == 20, sorted(a)
with open(args.out, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["LocCodigo", "localidad", *completa, *actualizada])
    for k in sorted(a):
        w.writerow([k, a[k]["localidad"], *(("" if a[k][c] is None else a[k][c]) for c in completa),
                    *(("" if b[k][c] is None else b[k][c]) for c in actualizada)])
