"""Derives localidad_care_indicators.csv from the two CEPAL "género Bogotá" localidad layers
(tabla_completa_indicadores.geojson, tabla_indicadores_actualizada.geojson; see PROVENANCE.md):
the localidad-level care rates careblock's Bogotá preset allocates to census sectors, keyed by
`LocCodigo` (the last two digits of `cod_localidad`) so that they join to localidades.geojson.

San Cristóbal appears twice in both source files with identical attributes; it is written once
(the script stops if the duplicates ever disagree). Sumapaz's nulls stay empty.

    python3 data/bogota/derive_localidad_indicators.py SHARED_DATA_DIR
"""

import csv
import json
import sys
from pathlib import Path

src = Path(sys.argv[1]) / "bogota-localidad-care-indicators-cepal"
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
here = Path(__file__).parent
with open(here / "localidad_care_indicators.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["LocCodigo", "localidad", *completa, *actualizada])
    for k in sorted(a):
        w.writerow([k, a[k]["localidad"], *(("" if a[k][c] is None else a[k][c]) for c in completa),
                    *(("" if b[k][c] is None else b[k][c]) for c in actualizada)])
