"""Derives candidates/colegios_publicos.geojson from the shared SED schools layer
(bogota-equipamientos-cuidado/colegios.geojson; see PROVENANCE.md): the public schools, which
can anchor a care block, with the few attributes careblock's Bogotá preset uses. Public means
`SECTOR` = 2: those 760 sedes are the district's IED schools ("Institución Educativa
Distrital", `NATU_JUR` 9/10), while the 1,779 with `SECTOR` = 1 are private (liceos,
gimnasios, private jardines) — the shared PROVENANCE.md has the two codes the other way round.
One public sede has the sentinel coordinate -1.797e308 (no location): it is left out and
named on the terminal. The script stops if any other kept feature lies outside Bogotá's
surroundings. Some names in the source are UTF-8 read as Windows-1252 and saved again
("SEÃ‘ORA" for "SEÑORA"): they are decoded back, and the script says how many.

    python3 data/bogota/derive_colegios_publicos.py [--src COLEGIOS.geojson] [--out OUT.geojson]

The defaults are the shared layer beside the checkout and the bundled file.
"""

import argparse
import json
import sys
from pathlib import Path

here = Path(__file__).parent
cli = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
cli.add_argument("--src", type=Path, help="the SED schools layer (default: %(default)s)",
                 default=here / "../../../shared/data/bogota-equipamientos-cuidado/colegios.geojson")
cli.add_argument("--out", type=Path, help="the candidates layer to write (default: %(default)s)",
                 default=here / "candidates" / "colegios_publicos.geojson")
args = cli.parse_args()
src = args.src
keep = ["NOMBRE_EST", "NOMBRE_SED", "COD_UPZ", "NOMBRE_UPZ", "COD_LOCA", "ZONA", "SECTOR"]
repaired = 0


def unmangle(v):
    """A text saved as UTF-8 after UTF-8 was read as Windows-1252, decoded back; any other
    value as it is."""
    global repaired
    if not isinstance(v, str) or not any(c in v for c in "ÃÂ"):
        return v
    try:
        fixed = v.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return v
    repaired += 1
    return fixed


features = []
for f in json.load(open(src, encoding="utf-8"))["features"]:
    p = f["properties"]
    if p["SECTOR"] != 2:
        continue
    lon, lat = f["geometry"]["coordinates"][:2]
    if abs(lon) > 1e300 or abs(lat) > 1e300:
        print(f"left out: school {p['DANE12_SED']!r} ({p['NOMBRE_SED']}) has no location ({lon}, {lat})")
        continue
    if not (-74.6 < lon < -73.8 and 3.6 < lat < 4.9):
        sys.exit(f"{src}: school {p['DANE12_SED']!r} at ({lon}, {lat}) is outside Bogotá")
    props = {"sede_id": f"{int(p['DANE12_SED'])}-{p['ORDEN_DE_S']}", **{k: unmangle(p[k]) for k in keep}}
    features.append({"type": "Feature", "properties": props,
                     "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]}})
out = args.out
with open(out, "w", encoding="utf-8") as f:
    f.write('{"type": "FeatureCollection", "features": [\n')
    f.write(",\n".join(json.dumps(x, ensure_ascii=False) for x in features))
    f.write("\n]}\n")
print(len(features), "public school sites;", repaired, "names decoded back from Windows-1252")
