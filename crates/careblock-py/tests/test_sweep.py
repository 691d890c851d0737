"""careblock.sweep equals `careblock sweep` (every cell of sweep.csv, sweep_districts.csv and
each scenario's sites.csv), and careblock.dask.sweep on a real LocalCluster of two worker
processes equals careblock.sweep, also when a worker is killed mid-sweep; a bad key raises
before anything is submitted, and a scenario that cannot be sited is a row with its reason."""

from __future__ import annotations

import os
import signal

import polars as pl
import pytest

import careblock
import careblock.dask
from conftest import ROOT, cli

SWEEP = """
[[scenario]]
name = "supply gap double"
"dimensions.supply_gap.weight" = 2

[[scenario]]
name = "no eligible site"
"siting.anchor.min_facilities" = 100000

[product]
"siting.p" = [5, 10, 21]
"siting.radius" = [500, 800]
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The Bogotá preset with absolute data paths and 100 draws, and the sweep file."""
    d = tmp_path_factory.mktemp("sweep")
    text = (ROOT / "examples/bogota.toml").read_text().replace('"../data/', f'"{ROOT}/data/')
    (d / "method.toml").write_text(text.replace("draws = 1000", "draws = 100"))
    (d / "sweep.toml").write_text(SWEEP)
    return d / "method.toml", d / "sweep.toml"


@pytest.fixture(scope="module")
def local(files):
    return careblock.sweep(*files)


def polars_of(x) -> pl.DataFrame:
    return x if isinstance(x, pl.DataFrame) else pl.from_pandas(x)


def same(a, b) -> None:
    """Two tables equal cell for cell (missing values included)."""
    a, b = polars_of(a), polars_of(b)
    assert a.columns == b.columns
    assert a.equals(b), f"{a}\n!=\n{b}"


def test_sweep_equals_the_cli(files, local, tmp_path):
    out = tmp_path / "out"
    p = cli("--quiet", "sweep", str(files[0]), str(files[1]), "--out", str(out))
    assert p.returncode == 0, p.stderr
    # The CLI's CSVs read back with the types the frames have.
    want = pl.read_csv(out / "sweep.csv", schema=polars_of(local.summary).schema)
    same(local.summary, want)
    same(local.districts, pl.read_csv(out / "sweep_districts.csv", schema=polars_of(local.districts).schema))
    assert sorted(local.sites) == [1, 3, 4, 5, 6, 7, 8]
    for n, sites in local.sites.items():
        got = polars_of(sites)
        want = pl.read_csv(out / f"scenarios/{n}/sites.csv", schema=got.schema)
        same(got, want)
    summary = polars_of(local.summary)
    assert summary["status"].to_list() == ["ok", "failed"] + ["ok"] * 6
    assert "eligible" in summary["reason"][1]
    assert local.names[2] == "siting.p=5, siting.radius=500"


def test_dask_sweep_equals_the_local_one_even_when_a_worker_dies(files, local):
    distributed = pytest.importorskip("distributed")

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        got = careblock.dask.sweep(*files, client=client)
        same(got.summary, local.summary)
        same(got.districts, local.districts)
        assert sorted(got.sites) == sorted(local.sites)
        for n in local.sites:
            same(got.sites[n], local.sites[n])
        # Each worker read the inputs once for the sweep, whatever number of scenarios it ran.
        sessions = client.run(lambda: len(__import__("careblock.dask").dask._SESSIONS))
        assert sorted(sessions.values()) in ([1, 1], [0, 1])

        # A worker killed while the sweep runs costs a retry, not a result.
        # A worker killed while the sweep runs costs a retry, not a result. The workers forget
        # their sessions first, so that the sweep takes seconds (each re-reads the inputs).
        client.run(lambda: __import__("careblock.dask").dask._SESSIONS.clear())
        pids = list(client.run(os.getpid).values())
        killed = []

        def kill():
            os.kill(pids[0], signal.SIGKILL)
            killed.append(True)

        import threading

        timer = threading.Timer(1.0, kill)
        timer.start()
        try:
            again = careblock.dask.sweep(*files, client=client)
        finally:
            timer.cancel()
        assert killed, "the sweep ended before the worker was killed: the test proves nothing"
        assert pids[0] not in client.run(os.getpid).values()
        same(again.summary, local.summary)
        for n in local.sites:
            same(again.sites[n], local.sites[n])


def test_a_bad_key_raises_before_anything_is_submitted(files, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[product]\n"siting.pp" = [1, 2]\n')
    with pytest.raises(careblock.MethodError, match=r"siting\.pp"):
        careblock.sweep(files[0], bad)

    class NoClient:
        def submit(self, *a, **k):  # pragma: no cover - must not be reached
            raise AssertionError("submitted")

    with pytest.raises(careblock.MethodError, match=r"siting\.pp"):
        careblock.dask.sweep(files[0], bad, client=NoClient())
