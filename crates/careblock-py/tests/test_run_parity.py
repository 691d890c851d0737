"""careblock.run on the Bogotá presets equals `careblock run`: every column of every CSV
(floats within 1e-12 relative), the geometries of the GeoJSON layers, and run.json."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import polars as pl
import pytest
import shapely

import careblock
from conftest import ROOT, cli


def _frame_of(x) -> pl.DataFrame:
    if isinstance(x, pl.DataFrame):
        return x.drop("geometry", strict=False)
    df = pd.DataFrame(x)
    return pl.from_pandas(df.drop(columns=["geometry"], errors="ignore"))


def assert_same_table(got, csv_path) -> int:
    """Every column of the CLI's CSV, in order, equals the binding's (numbers within 1e-12
    relative, text exactly); returns the number of cells checked."""
    want = pl.read_csv(csv_path, infer_schema_length=0)  # every column as text, as written
    got = _frame_of(got)
    assert got.columns == want.columns, f"{csv_path.name}: columns differ"
    assert got.height == want.height, f"{csv_path.name}: rows differ"
    for name in want.columns:
        a, b = got[name], want[name]
        if a.dtype.is_numeric():
            x = a.cast(pl.Float64).fill_nan(None).to_numpy()
            y = b.cast(pl.Float64).to_numpy()
            assert np.array_equal(np.isnan(x), np.isnan(y)), f"{csv_path.name}.{name}: missing values differ"
            ok = ~np.isnan(y)
            np.testing.assert_allclose(x[ok], y[ok], rtol=1e-12, atol=0, err_msg=f"{csv_path.name}.{name}")
        elif a.dtype == pl.Boolean:
            assert [None if v is None else str(v).lower() for v in a.to_list()] == b.to_list(), f"{csv_path.name}.{name}"
        else:
            assert a.cast(pl.String).to_list() == b.to_list(), f"{csv_path.name}.{name}"
    return want.height * want.width


def assert_same_geometries(got, geojson_path) -> None:
    """The binding's lon/lat geometries equal the CLI's GeoJSON (7 decimals) to 1e-6 degrees."""
    import geopandas as gpd

    want = gpd.read_file(geojson_path)
    assert len(got) == len(want)
    assert got.crs.to_epsg() == 4326
    d = shapely.hausdorff_distance(got.geometry.values, want.geometry.values)
    assert np.nanmax(d) < 1e-6, f"{geojson_path.name}: geometries differ by {np.nanmax(d)}"
    assert (got.geometry.is_empty | got.geometry.isna()).tolist() == (want.geometry.is_empty | want.geometry.isna()).tolist()


@pytest.mark.parametrize("preset", ["bogota", "bogota_equity"])
def test_run_equals_cli(preset, tmp_path):
    method = f"examples/{preset}.toml"
    out = tmp_path / "out"
    p = cli("run", method, "--out", str(out), "--quiet")
    assert p.returncode == 0, p.stderr
    cwd = os.getcwd()
    os.chdir(ROOT)  # the same relative method path as the CLI got, so run.json's paths agree
    try:
        r = careblock.run(method)
    finally:
        os.chdir(cwd)
    cells = 0
    cells += assert_same_table(r.units, out / "units.csv")
    cells += assert_same_table(r.districts, out / "districts.csv")
    cells += assert_same_table(r.sites, out / "sites.csv")
    cells += assert_same_table(r.assignments, out / "assignments.csv")
    if preset == "bogota_equity":
        cells += assert_same_table(r.equity, out / "equity.csv")
    else:
        assert r.equity is None and not (out / "equity.csv").exists()
    assert cells > 40_000
    assert_same_geometries(r.units, out / "units.geojson")
    assert_same_geometries(r.districts, out / "districts.geojson")
    assert_same_geometries(r.sites, out / "sites.geojson")
    assert_same_geometries(r.uncovered, out / "uncovered.geojson")
    cli_report = json.loads((out / "run.json").read_text())
    # What the CLI wrote where (run() writes no file, so its report has no `outputs` and no
    # QGIS project).
    written = cli_report.pop("outputs")
    assert cli_report.pop("qgis_project") == "careblock.qgs"
    assert [w["layer"] for w in written] == ["units", "districts", "sites", "catchments", "uncovered"]
    assert r.report == cli_report
    assert r.crs == "EPSG:9377"
    # The uncertainty frame is the districts' Monte Carlo columns.
    u = r.uncertainty
    assert len(u) == len(r.districts)
    assert (u["rank_p05"] <= u["rank_median"]).all() and (u["rank_median"] <= u["rank_p95"]).all()


def test_run_from_dict_equals_file(root):
    """A method dict gives the same tables as its file (paths relative to base)."""
    import tomllib

    spec = tomllib.loads((root / "examples/bogota.toml").read_text())
    spec["uncertainty"] = {**spec.get("uncertainty", {}), "draws": 50}
    spec.pop("siting")
    r = careblock.run(spec, base=root / "examples")
    assert r.sites is None and r.assignments is None
    assert r.report["inputs"] == []
    assert r.report["units"]["draws"] == 50
    assert len(r.units) == 641 and len(r.districts) == 116
    ranks = sorted(int(x) for x in r.districts["rank"].dropna())
    assert ranks == list(range(1, len(ranks) + 1))
    assert r.report["conservation"] and all(c["relative_error"] < 1e-9 for c in r.report["conservation"])


def test_robust_siting_equals_cli(root, tmp_path):
    """With [siting.robust], run() gives the CLI's robust.csv and robust_districts.csv, and
    the sites' selection frequencies."""
    text = (root / "examples/bogota.toml").read_text().replace('"../data/', f'"{root}/data/')
    method = tmp_path / "robust.toml"
    method.write_text(text.replace("draws = 1000", "draws = 50") + "\n[siting.robust]\ndraws = 6\n")
    out = tmp_path / "out"
    p = cli("run", str(method), "--out", str(out), "--quiet")
    assert p.returncode == 0, p.stderr
    r = careblock.run(str(method))
    assert_same_table(r.robust, out / "robust.csv")
    assert_same_table(r.robust_districts, out / "robust_districts.csv")
    assert_same_table(r.sites, out / "sites.csv")
    assert r.report["siting"]["robust"]["draws"] == 6
    freq = _frame_of(r.robust)["sel_freq"].to_list()
    assert freq == sorted(freq, reverse=True) and all(0 <= f <= 1 for f in freq)


def test_lang_words_the_report_as_the_cli_does(root, tmp_path):
    """run(lang="es") gives the notes and warnings of `careblock run --lang es`'s run.json, in
    Spanish; an unknown code raises MethodError listing the available ones."""
    spec = __import__("tomllib").loads((root / "examples/bogota.toml").read_text())
    spec["uncertainty"] = {**spec.get("uncertainty", {}), "draws": 20}
    spec.pop("siting")
    es = careblock.run(spec, base=root / "examples", lang="es")
    en = careblock.run(spec, base=root / "examples")
    assert es.report["lang"] == "es" and en.report["lang"] == "en"
    assert len(es.report["notes"]) == len(en.report["notes"]) > 0
    assert any("unidad(es) tienen población 0" in n for n in es.report["notes"]), es.report["notes"]
    assert any("unit(s) have population 0" in n for n in en.report["notes"])
    assert not any("unit(s) have population 0" in n for n in es.report["notes"])
    # The tables do not depend on the language.
    assert_frame = lambda a, b: _frame_of(a).equals(_frame_of(b))  # noqa: E731
    assert assert_frame(es.districts, en.districts)
    with pytest.raises(careblock.MethodError, match=r'unknown language "fr" \(available: en, es\)'):
        careblock.run(spec, base=root / "examples", lang="fr")
