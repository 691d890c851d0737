"""`careblock run --format`: the GeoParquet and FlatGeobuf layers it writes, read back by
independent readers (geopandas over pyarrow for GeoParquet, GDAL through pyogrio for
FlatGeobuf), hold the GeoJSON layer's rows, values and geometries."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, cli


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    d = tmp_path_factory.mktemp("formats")
    p = cli("run", str(ROOT / "examples/bogota.toml"), "--out", str(d), "--format", "geojson,geoparquet,flatgeobuf")
    assert p.returncode == 0, p.stderr
    return d


@pytest.mark.parametrize("layer", ["units", "districts", "uncovered"])
def test_geoparquet_and_flatgeobuf_hold_the_geojson_layer(out, layer):
    want = gpd.read_file(out / f"{layer}.geojson").sort_values("id").reset_index(drop=True)
    meta = json.loads(pq.read_metadata(out / f"{layer}.parquet").metadata[b"geo"])
    assert meta["version"] == "1.1.0"
    assert meta["primary_column"] == "geometry"
    for path in (out / f"{layer}.parquet", out / f"{layer}.fgb"):
        got = gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)
        got = got.sort_values("id").reset_index(drop=True)
        # GeoParquet without a `crs` key is OGC:CRS84 (lon/lat), FlatGeobuf says EPSG:4326.
        assert got.crs.to_string() in ("EPSG:4326", "OGC:CRS84"), path.name
        assert list(got["id"]) == list(want["id"]), path.name
        for col in want.columns.drop("geometry"):
            a, b = want[col], got[col]
            if a.dtype.kind == "f":
                x, y = a.to_numpy(float), b.to_numpy(float)
                assert np.allclose(x, y, rtol=1e-12, atol=0, equal_nan=True), f"{path.name}.{col}"
            else:
                assert a.isna().equals(b.isna()), f"{path.name}.{col}: nulls"
                assert (a.dropna().astype(str) == b.dropna().astype(str)).all(), f"{path.name}.{col}"
        # The GeoJSON has 7 decimals (1 cm); ring orientation and start may differ.
        gap = got.geometry.set_crs(None, allow_override=True).hausdorff_distance(want.geometry.set_crs(None, allow_override=True))
        assert (gap < 1e-7).all(), f"{path.name}: {gap.max()}"


@pytest.mark.parametrize("layer", ["units", "districts", "uncovered"])
def test_geoparquet_bbox_covering_holds_each_rows_bounds(out, layer):
    """GeoParquet 1.1's covering column: declared in the metadata, and each row's box is its
    geometry's bounds, so readers that skip row groups by it lose no row."""
    path = out / f"{layer}.parquet"
    meta = json.loads(pq.read_metadata(path).metadata[b"geo"])["columns"]["geometry"]
    assert meta["covering"]["bbox"] == {k: ["bbox", k] for k in ("xmin", "ymin", "xmax", "ymax")}
    # geopandas reads the covering column as metadata, not as a column: pyarrow reads it.
    bbox = pq.read_table(path, columns=["bbox"]).column("bbox").combine_chunks()
    boxes = np.column_stack([bbox.field(k).to_numpy(zero_copy_only=False) for k in ("xmin", "ymin", "xmax", "ymax")])
    bounds = gpd.read_parquet(path).geometry.bounds[["minx", "miny", "maxx", "maxy"]].to_numpy(float)
    assert np.array_equal(boxes, bounds)
    assert meta["bbox"] == [bounds[:, 0].min(), bounds[:, 1].min(), bounds[:, 2].max(), bounds[:, 3].max()]
