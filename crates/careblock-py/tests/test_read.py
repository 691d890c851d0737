"""careblock.read: a layer file read by careblock's own readers gives what geopandas reads
(rows, values, geometries, CRS); run() takes GeoParquet layers like GeoJSON ones; unreadable
files are errors naming the file."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import careblock
from conftest import ROOT
from test_steps import CITY, METHOD

GEOPARQUET = ROOT / "tests/fixtures/geoparquet"


def assert_same_layer(got, want, id_column):
    got = got.sort_values(id_column).reset_index(drop=True)
    want = want.sort_values(id_column).reset_index(drop=True)
    assert got.crs == want.crs
    assert list(got[id_column]) == list(want[id_column])
    for col in want.columns.drop("geometry"):
        a, b = want[col], got[col]
        if a.dtype.kind in "fi":
            assert np.allclose(a.to_numpy(float), b.to_numpy(float), rtol=0, atol=0, equal_nan=True), col
        else:
            assert (a.astype(str) == b.astype(str)).all(), col
    # Ring orientation and start may differ between readers, the points may not.
    plain = [g.geometry.set_crs(None, allow_override=True) for g in (got, want)]
    assert (plain[0].hausdorff_distance(plain[1]) == 0).all()


def test_reads_a_shapefile_as_geopandas_does():
    path = ROOT / "data/bogota/sectores_censales.shp"
    got = careblock.read(path, id="SETU_CCNCT")
    assert_same_layer(got, gpd.read_file(path), "SETU_CCNCT")


@pytest.mark.parametrize("name", ["districts_wkb", "districts_geoarrow", "districts_9377"])
def test_reads_geoparquet_as_geopandas_does_in_the_files_crs(name):
    path = GEOPARQUET / f"{name}.parquet"
    got = careblock.read(path, id="district_id")
    want = gpd.read_parquet(path)
    assert got.crs.to_epsg() == want.crs.to_epsg()
    assert_same_layer(got, want.set_crs(got.crs, allow_override=True), "district_id")


def test_without_an_id_the_first_column_is_the_row_index():
    got = careblock.read(GEOPARQUET / "districts_wkb.parquet")
    assert list(got.columns[:1]) == ["id"]
    assert list(got["id"]) == [str(i) for i in range(len(got))]


def test_run_takes_geoparquet_layers(tmp_path):
    for name in ("units", "districts"):
        gpd.read_file(CITY / f"{name}.geojson").to_parquet(tmp_path / f"{name}.parquet")
    from_geojson = careblock.run({**METHOD, "units": {**METHOD["units"], "path": "units.geojson"},
                                  "districts": {**METHOD["districts"], "path": "districts.geojson"}}, base=CITY)
    from_parquet = careblock.run({**METHOD, "units": {**METHOD["units"], "path": "units.parquet"},
                                  "districts": {**METHOD["districts"], "path": "districts.parquet"}}, base=tmp_path)
    for level in ("units", "districts"):
        pd.testing.assert_frame_equal(getattr(from_parquet, level).drop(columns="geometry"),
                                      getattr(from_geojson, level).drop(columns="geometry"))


def test_a_truncated_geoparquet_is_an_input_error_naming_the_file(tmp_path):
    data = (GEOPARQUET / "districts_wkb.parquet").read_bytes()
    path = tmp_path / "cut.parquet"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(careblock.InputError, match="cut.parquet"):
        careblock.read(path)


def test_metres_without_a_crs_are_a_crs_error(tmp_path):
    path = tmp_path / "metres.geojson"
    path.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
                    '"geometry":{"type":"Point","coordinates":[4900000,2050000]}}]}')
    with pytest.raises(careblock.CrsError, match="metres.geojson"):
        careblock.read(path)
    assert careblock.read(path, crs=9377).crs.to_epsg() == 9377


def test_a_plain_parquet_wkb_column_is_read_when_named(tmp_path):
    want = gpd.read_parquet(GEOPARQUET / "districts_9377.parquet")
    frame = pd.DataFrame(want.drop(columns="geometry"))
    frame["shape_wkb"] = want.geometry.to_wkb()
    path = tmp_path / "plain.parquet"
    frame.to_parquet(path)  # no GeoParquet metadata
    # No column named geometry, geom or wkb_geometry: nothing says which one holds geometries.
    with pytest.raises(careblock.InputError, match="plain.parquet") as refused:
        careblock.read(path, id="district_id", crs=9377)
    # The hint in Python's terms, not the command line's.
    assert 'geometry="<column>"' in str(refused.value)
    assert "--source" not in str(refused.value)
    got = careblock.read(path, id="district_id", crs=9377, geometry="shape_wkb")
    assert "shape_wkb" not in got.columns
    assert_same_layer(got, want, "district_id")
