#!/usr/bin/env python3
"""The real Bogotá city for the careblock peer comparison, in gen_city.py's schema.

Writes, from the repository's bundled data (``data/bogota``, see its PROVENANCE.md), a city
directory that compare.py and the peers read like a generated one: four RFC 7946 GeoJSON
files (lon/lat, no ``crs`` member, one feature per line).

* ``units.geojson``: the 641 CNPV 2018 urban census sectors (``sectores_censales.shp``,
  WGS 84) joined to ``sociodemograficas_sector_censal.csv`` on ``SETU_CCNCT``, sorted by it
  (635 Polygons, 6 MultiPolygons, 127,291 vertices, concave; 70 reach partly beyond every UPZ).
  Properties, in gen_city.py's order:

  ===================== ==============================================================
  ``unit_id``           ``SETU_CCNCT`` (the 18-digit sector code, as text)
  ``pop_total``         ``STP27_PERS`` (persons)
  ``pop_0_5``           ``STP34_1_ED``: persons aged 0–9, the documented proxy for the
                        under-5s (CNPV publishes 10-year bands only at sector level)
  ``pop_60_plus``       ``STP34_7_ED + STP34_8_ED + STP34_9_ED`` (60–69, 70–79, 80+)
  ``women``, ``men``    ``STP32_2_SE``, ``STP32_1_SE`` (they sum to ``STP27_PERS``)
  ``dwellings``         ``STVIVIENDA``
  ``ipm``               ``IPM_PROMEDIO`` (float, 0–1; a null would become 0.0, the
                        bundled file has none)
  ``pop_disability``    round(r_dis · pop_total)
  ``women_unpaid_care`` round(r_care · women · (1 − STP34_1_ED / pop_total)), i.e. the
                        rate applied to women aged 10+ assuming they share the sector's
                        age structure (0 where pop_total = 0), as examples/bogota.toml
  ===================== ==============================================================

  r_dis = ``limitacion_permanente`` / 100 and r_care = ``mujeres_hogar_sin_ingreso`` / 100
  from ``localidad_care_indicators.csv``, for the localidad (``localidades.geojson``)
  containing the sector's representative point, or the nearest one if none contains it; a
  localidad without the rate (Sumapaz) gets the mean of the other localidades' rates.
  round() is half up, floor(x + 0.5). Rates that vary between localidades keep the
  districts' unpaid-work shares apart; one city-wide rate would leave them equal up to
  rounding, and the index's min-max normalisation would then magnify float noise.
* ``districts.geojson``: the 116 planning units of ``upz.geojson`` (112 UPZ, 4 rural UPR;
  109 Polygons, 7 MultiPolygons, 8 holes, 84,369 vertices), sorted by code: ``district_id``
  ← ``UPlCodigo``, ``name`` ← ``UPlNombre``. The file is in MAGNA-SIRGAS (EPSG:4686), whose
  transformation to WGS 84 is the identity in PROJ, so its coordinates are copied as they are.
* ``facilities.geojson``: the 466 points of the seven ``supply/*.geojson`` layers, files in
  name order and features in file order: ``facility_id`` ``F00001``…, ``kind`` ← the file's
  stem (``atencion_ninos_discapacidad``, …, ``jardin_infantil``).
* ``candidates.geojson``: the 759 public school sedes of
  ``candidates/colegios_publicos.geojson`` in file order: ``candidate_id`` ``C00001``…
  (the n-th feature of that file), ``kind`` ``colegio``.

Geometry is never edited: coordinates are written as Python's shortest round-trip text of
the values read, and only the rings' direction changes (exteriors counter-clockwise, holes
clockwise, as RFC 7946 asks; the shapefile has them the other way). The output depends on
nothing but the input files, so it is byte-identical from run to run.

    .venv/bin/python benches/peers/bogota_city.py --out /tmp/bogota-city
"""

import argparse
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gen_city import write_collection

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "data" / "bogota"
AGE_60_PLUS = ["STP34_7_ED", "STP34_8_ED", "STP34_9_ED"]


def coord_text(x, y):
    return f"[{x!r},{y!r}]"


def geometry_text(geom):
    """GeoJSON geometry of a shapely Polygon or MultiPolygon, RFC 7946 ring directions."""
    def rings(polygon):
        polygon = shapely.geometry.polygon.orient(polygon, sign=1.0)
        return "[" + ",".join(
            "[" + ",".join(coord_text(x, y) for x, y in ring.coords) + "]"
            for ring in (polygon.exterior, *polygon.interiors)
        ) + "]"

    if geom.geom_type == "Polygon":
        return f'{{"type":"Polygon","coordinates":{rings(geom)}}}'
    if geom.geom_type == "MultiPolygon":
        return f'{{"type":"MultiPolygon","coordinates":[{",".join(rings(p) for p in geom.geoms)}]}}'
    raise ValueError(f"unexpected geometry {geom.geom_type}")


def half_up(values):
    return np.floor(np.asarray(values, dtype=np.float64) + 0.5).astype(np.int64)


def localidad_rates(data, sectors):
    """Per sector, (r_dis, r_care) of its localidad; see the module docstring."""
    localidades = gpd.read_file(data / "localidades.geojson", engine="pyogrio")
    rates = pd.read_csv(data / "localidad_care_indicators.csv", dtype={"LocCodigo": str}).set_index("LocCodigo")
    # MAGNA-SIRGAS and WGS 84 coincide (identity transformation): compare the coordinates as they are.
    polygons = localidades.geometry.values
    points = shapely.point_on_surface(sectors.geometry.values)
    tree = shapely.STRtree(polygons)
    point_idx, poly_idx = tree.query(points, predicate="within")
    codes = np.full(len(points), None, dtype=object)
    codes[point_idx] = localidades["LocCodigo"].to_numpy()[poly_idx]
    for k in np.flatnonzero(codes == None):  # noqa: E711 (elementwise)
        codes[k] = localidades["LocCodigo"].iloc[int(tree.nearest(points[k]))]
    out = []
    for column in ("limitacion_permanente", "mujeres_hogar_sin_ingreso"):
        values = rates[column].astype(float)
        fill = values.dropna().mean()
        out.append(values.fillna(fill).loc[codes].to_numpy() / 100.0)
    return out


def write_units(path, data):
    sectors = gpd.read_file(data / "sectores_censales.shp", engine="pyogrio")
    table = pd.read_csv(data / "sociodemograficas_sector_censal.csv", dtype={"SETU_CCNCT": str})
    if not sectors["SETU_CCNCT"].is_unique or not table["SETU_CCNCT"].is_unique:
        raise SystemExit("SETU_CCNCT is not a key")
    units = sectors[["SETU_CCNCT", "geometry"]].merge(table, on="SETU_CCNCT", how="inner", validate="one_to_one")
    if len(units) != len(sectors) or len(units) != len(table):
        raise SystemExit("sectors and table do not match one to one")
    units = units.sort_values("SETU_CCNCT", kind="stable").reset_index(drop=True)

    pop_total = units["STP27_PERS"].to_numpy(dtype=np.int64)
    age_0_9 = units["STP34_1_ED"].to_numpy(dtype=np.int64)
    women = units["STP32_2_SE"].to_numpy(dtype=np.int64)
    r_dis, r_care = localidad_rates(data, units)
    women_10_plus = np.zeros(len(units))
    populated = pop_total > 0
    women_10_plus[populated] = women[populated] * (1.0 - age_0_9[populated] / pop_total[populated])
    columns = {
        "pop_total": pop_total,
        "pop_0_5": age_0_9,
        "pop_60_plus": units[AGE_60_PLUS].sum(axis=1).to_numpy(dtype=np.int64),
        "women": women,
        "men": units["STP32_1_SE"].to_numpy(dtype=np.int64),
        "dwellings": units["STVIVIENDA"].to_numpy(dtype=np.int64),
        "ipm": units["IPM_PROMEDIO"].astype(float).fillna(0.0).to_numpy(),
        "pop_disability": half_up(r_dis * pop_total),
        "women_unpaid_care": half_up(r_care * women_10_plus),
    }
    if not (columns["women"] + columns["men"] == pop_total).all():
        raise SystemExit("women + men != STP27_PERS")
    lists = {name: values.tolist() for name, values in columns.items()}
    features = []
    for i, (unit_id, geom) in enumerate(zip(units["SETU_CCNCT"], units.geometry)):
        properties = f'"unit_id":"{unit_id}",' + ",".join(
            f'"{name}":{values[i]!r}' for name, values in lists.items()
        )
        features.append(f'{{"type":"Feature","properties":{{{properties}}},"geometry":{geometry_text(geom)}}}')
    write_collection(path, features)
    return len(features)


def write_districts(path, data):
    upz = gpd.read_file(data / "upz.geojson", engine="pyogrio")
    if not upz["UPlCodigo"].is_unique:
        raise SystemExit("UPlCodigo is not a key")
    upz = upz.sort_values("UPlCodigo", kind="stable")
    features = [
        f'{{"type":"Feature","properties":{{"district_id":{json.dumps(code)},"name":{json.dumps(name, ensure_ascii=False)}}},'
        f'"geometry":{geometry_text(geom)}}}'
        for code, name, geom in zip(upz["UPlCodigo"], upz["UPlNombre"], upz.geometry)
    ]
    write_collection(path, features)
    return len(features)


def point_features(id_field, prefix, points):
    return [
        f'{{"type":"Feature","properties":{{"{id_field}":"{prefix}{i + 1:05d}","kind":"{kind}"}},'
        f'"geometry":{{"type":"Point","coordinates":{coord_text(geom.x, geom.y)}}}}}'
        for i, (kind, geom) in enumerate(points)
    ]


def read_points(path):
    frame = gpd.read_file(path, engine="pyogrio")
    if not (frame.geom_type == "Point").all():
        raise SystemExit(f"{path}: not all points")
    return list(frame.geometry)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the bundled data/bogota folder")
    parser.add_argument("--out", type=Path, required=True, help="output city directory")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    n_units = write_units(args.out / "units.geojson", args.data)
    n_districts = write_districts(args.out / "districts.geojson", args.data)
    facilities = [
        (layer.stem, geom) for layer in sorted((args.data / "supply").glob("*.geojson")) for geom in read_points(layer)
    ]
    write_collection(args.out / "facilities.geojson", point_features("facility_id", "F", facilities))
    candidates = [("colegio", geom) for geom in read_points(args.data / "candidates" / "colegios_publicos.geojson")]
    write_collection(args.out / "candidates.geojson", point_features("candidate_id", "C", candidates))
    print(
        f"{n_units} units, {n_districts} districts, {len(facilities)} facilities, {len(candidates)} candidates in {args.out}"
    )


if __name__ == "__main__":
    main()
