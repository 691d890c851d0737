"""careblock.run_regions writes what `careblock regions` writes (every file of every
territory's folder, regions.csv and regions.json, byte for byte) and its frames are those files;
careblock.dask.run_regions on a real LocalCluster of two worker processes equals it, also when
a worker is killed mid-run; the units of the territories read back as one hive-partitioned
GeoParquet dataset; a missing attribute or an unknown value raises and writes nothing.

The method is the bundled Los Lagos preset (Censo 2017 urban zones → the 30 comunas, each
comuna carrying its `codigo_provincia`) with a siting on a hexagonal grid and the units written
as GeoParquet; by comuna, two comunas have no urban zone and some cannot be sited (failed rows).
"""

from __future__ import annotations

import os
import signal
import threading

import polars as pl
import pytest

import careblock
import careblock.dask
from conftest import ROOT, cli

SITING = """
[siting]
radius = 800
p = 3

[siting.grid]
spacing = 1000

[output.layers]
units = ["geoparquet", "csv"]
"""


@pytest.fixture(scope="module")
def method(tmp_path_factory):
    """Los Lagos with absolute data paths, 4000 draws (each territory a measurable task) and a
    siting."""
    d = tmp_path_factory.mktemp("regions")
    text = (ROOT / "examples/los_lagos.toml").read_text().replace('"../data/', f'"{ROOT}/data/')
    assert "draws = 1000" in text
    (d / "method.toml").write_text(text.replace("draws = 1000", "draws = 4000") + SITING)
    return d / "method.toml"


@pytest.fixture(scope="module")
def local(method, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "out"
    return careblock.run_regions(method, "codigo_comuna", out=out), out


def polars_of(x) -> pl.DataFrame:
    if isinstance(x, pl.DataFrame):
        return x
    if hasattr(x, "geometry") and hasattr(x, "to_wkb"):
        x = x.to_wkb()
    return pl.from_pandas(x)


def same(a, b) -> None:
    """Two tables equal cell for cell (missing values and geometries included)."""
    a, b = polars_of(a), polars_of(b)
    assert a.columns == b.columns
    assert a.equals(b), f"{a}\n!=\n{b}"


def files(folder):
    """Every file under `folder` by its relative path, with its bytes."""
    return {
        os.path.relpath(os.path.join(d, f), folder): open(os.path.join(d, f), "rb").read()
        for d, _, names in os.walk(folder)
        for f in names
    }


def same_folders(a, b) -> None:
    fa, fb = files(a), files(b)
    assert sorted(fa) == sorted(fb)
    differ = [f for f in fa if fa[f] != fb[f]]
    assert not differ, f"files differ: {differ}"


def test_run_regions_writes_what_the_cli_writes(method, local, tmp_path):
    result, out = local
    p = cli("--quiet", "regions", str(method), "--by", "codigo_comuna", "--out", str(tmp_path / "cli"))
    assert p.returncode == 0, p.stderr
    same_folders(out, tmp_path / "cli")
    # One territory alone, as `careblock run --region`, is the same folder (timings aside).
    p = cli("--quiet", "run", str(method), "--region", "codigo_comuna=10101", "--out", str(tmp_path / "one"))
    assert p.returncode == 0, p.stderr
    one = files(tmp_path / "one")
    assert one.pop("timings.json")
    assert one == files(out / "codigo_comuna=10101")

    table = polars_of(result.table)
    same(table, pl.read_csv(out / "regions.csv", schema=table.schema))
    assert result.values == sorted(result.values) and len(result.values) == 30
    assert table["value"].to_list() == result.values
    failed = table.filter(pl.col("status") == "failed")
    # The two comunas without an urban zone, in the catalogue's words.
    no_units = failed.filter(pl.col("units") == 0)
    assert no_units.height == 2
    assert all("hold no unit" in r for r in no_units["reason"])
    assert failed.height > 2, "some comunas cannot be sited: their rows carry the reason"
    assert set(result.sites) == set(table.filter(pl.col("status") == "ok")["value"])
    for v, sites in result.sites.items():
        got = polars_of(sites)
        same(got, pl.read_csv(out / f"codigo_comuna={v}" / "sites.csv", schema=got.schema))
        districts = polars_of(result.districts[v]).drop("geometry")
        same(districts, pl.read_csv(out / f"codigo_comuna={v}" / "districts.csv", schema=districts.schema))

    # The territories' units are one hive-partitioned GeoParquet dataset.
    units = pl.scan_parquet(str(out / "*" / "units.parquet"), hive_partitioning=True).collect()
    assert "codigo_comuna" in units.columns
    assert units.height == table.filter(pl.col("status") == "ok")["units"].sum()
    assert sorted(set(units["codigo_comuna"].cast(pl.String))) == sorted(result.sites)


def test_dask_run_regions_equals_the_local_one_even_when_a_worker_dies(method, local, tmp_path):
    distributed = pytest.importorskip("distributed")
    result, out = local

    def check(got) -> None:
        same(got.table, result.table)
        assert got.values == result.values
        assert sorted(got.sites) == sorted(result.sites)
        for v in result.sites:
            same(got.sites[v], result.sites[v])
            same(got.districts[v], result.districts[v])
            same(got.units[v], result.units[v])

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        got = careblock.dask.run_regions(method, regions="codigo_comuna", client=client, out=tmp_path / "dask")
        check(got)
        same_folders(tmp_path / "dask", out)
        # Each worker read the inputs once, whatever number of territories it ran.
        sessions = client.run(lambda: len(__import__("careblock.dask").dask._REGION_SESSIONS))
        assert sorted(sessions.values()) in ([1, 1], [0, 1])

        # A missing attribute raises on the client and writes nothing.
        with pytest.raises(careblock.InputError, match=r"no attribute \"provincia\".*codigo_provincia"):
            careblock.dask.run_regions(method, regions="provincia", client=client, out=tmp_path / "bad")
        assert not (tmp_path / "bad").exists()

        # A worker killed while the territories run costs a retry, not a result. The workers
        # forget their sessions first (each reads the inputs again).
        client.run(lambda: __import__("careblock.dask").dask._REGION_SESSIONS.clear())
        pids = list(client.run(os.getpid).values())
        killed = []

        def kill():
            os.kill(pids[0], signal.SIGKILL)
            killed.append(True)

        timer = threading.Timer(0.5, kill)
        timer.start()
        try:
            again = careblock.dask.run_regions(method, regions="codigo_comuna", client=client)
        finally:
            timer.cancel()
        assert killed, "the run ended before the worker was killed: the test proves nothing"
        assert pids[0] not in client.run(os.getpid).values()
        check(again)


def test_bad_attribute_or_value_raises_and_writes_nothing(method, tmp_path):
    with pytest.raises(careblock.InputError, match=r"no attribute \"provincia\""):
        careblock.run_regions(method, "provincia", out=tmp_path / "a")
    with pytest.raises(careblock.InputError, match=r"codigo_provincia = \"999\".*\"101\""):
        careblock.run_regions(method, "codigo_provincia", only=["101", "999"], out=tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    # `only` runs the territories asked for, sorted.
    got = careblock.run_regions(method, "codigo_provincia", only=["104", "101"])
    assert got.values == ["101", "104"]
    assert polars_of(got.table)["status"].to_list() == ["ok", "ok"]
