"""careblock.robust_siting equals `careblock run`'s robust.csv, robust_districts.csv and
sites.csv (every cell), with the draws in the method or given as an argument; and
careblock.dask.robust_siting on a real LocalCluster of two worker processes equals it, whatever
the block size and also when a worker is killed mid-run. Draws that cannot be run raise before
anything is read or submitted."""

from __future__ import annotations

import os
import signal
import threading

import polars as pl
import pytest

import careblock
import careblock.dask
from conftest import ROOT, cli

DRAWS = 24


@pytest.fixture(scope="module")
def methods(tmp_path_factory):
    """The Bogotá preset with absolute data paths and 100 index draws: as it is (no
    `[siting.robust]`), and with `[siting.robust] draws = 24`."""
    d = tmp_path_factory.mktemp("robust")
    text = (ROOT / "examples/bogota.toml").read_text().replace('"../data/', f'"{ROOT}/data/')
    text = text.replace("draws = 1000", "draws = 100")
    assert "[siting.robust]" not in text
    (d / "plain.toml").write_text(text)
    (d / "robust.toml").write_text(text + f"\n[siting.robust]\ndraws = {DRAWS}\n")
    return d / "plain.toml", d / "robust.toml"


@pytest.fixture(scope="module")
def local(methods):
    return careblock.robust_siting(methods[1])


def polars_of(x) -> pl.DataFrame:
    return x if isinstance(x, pl.DataFrame) else pl.from_pandas(x)


def same(a, b) -> None:
    """Two tables equal cell for cell (missing values included)."""
    a, b = polars_of(a), polars_of(b)
    assert a.columns == b.columns
    assert a.equals(b), f"{a}\n!=\n{b}"


def same_result(a: careblock.RobustResult, b: careblock.RobustResult) -> None:
    assert a.draws == b.draws
    same(a.candidates, b.candidates)
    same(a.districts, b.districts)
    same(a.sites, b.sites)


def test_robust_siting_equals_the_cli(methods, local, tmp_path):
    out = tmp_path / "out"
    p = cli("--quiet", "run", str(methods[1]), "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert local.draws == DRAWS
    # The CLI's CSVs read back with the types the frames have.
    for got, name in [(local.candidates, "robust.csv"), (local.districts, "robust_districts.csv"),
                      (local.sites, "sites.csv")]:
        got = polars_of(got)
        same(got, pl.read_csv(out / name, schema=got.schema))
    # The draws differ: some candidate is chosen in some draws only, and frequencies are
    # multiples of 1/24 summing to the 21 blocks of each draw.
    freq = polars_of(local.candidates)["sel_freq"]
    assert ((freq > 0) & (freq < 1)).any()
    assert abs(freq.sum() - 21) < 1e-9
    sites = polars_of(local.sites)
    assert sites.filter(pl.col("status") == "proposed")["sel_freq"].null_count() == 0


def test_draws_given_as_an_argument_are_the_methods(methods, local):
    same_result(careblock.robust_siting(methods[0], DRAWS), local)
    same_result(careblock.robust_siting(methods[1], draws=DRAWS), local)
    # Fewer draws are the first ones: the same candidates, other frequencies.
    fewer = careblock.robust_siting(methods[1], draws=6)
    assert fewer.draws == 6
    assert not polars_of(fewer.candidates).equals(polars_of(local.candidates))
    assert (polars_of(fewer.candidates)["sel_freq"] * 6).round(9).to_list() == \
        (polars_of(fewer.candidates)["sel_freq"] * 6).round(0).to_list()


def test_draws_that_cannot_run_raise_before_anything_is_read_or_submitted(methods):
    with pytest.raises(careblock.MethodError, match=r"siting\.robust: the method has no \[siting\.robust\]"):
        careblock.robust_siting(methods[0])
    for bad in [0, -3]:
        with pytest.raises(careblock.MethodError, match=rf"siting\.robust\.draws: must be at least 1 .*got {bad}"):
            careblock.robust_siting(methods[1], draws=bad)

    class NoClient:
        def submit(self, *a, **k):  # pragma: no cover - must not be reached
            raise AssertionError("submitted")

        def scheduler_info(self):  # pragma: no cover - must not be reached
            raise AssertionError("asked the scheduler")

    for method, draws in [(methods[1], 0), (methods[1], -1), (methods[0], None)]:
        with pytest.raises(careblock.MethodError, match=r"siting\.robust"):
            careblock.dask.robust_siting(method, draws, client=NoClient())
    with pytest.raises(ValueError, match="block must be at least 1"):
        careblock.dask.robust_siting(methods[1], client=NoClient(), block=0)


def test_dask_robust_siting_equals_the_local_one_even_when_a_worker_dies(methods, local):
    distributed = pytest.importorskip("distributed")

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        # Default blocks: ceil(24 / (4 × 2)) = 3 draws per task.
        got = careblock.dask.robust_siting(methods[1], client=client)
        same_result(got, local)
        # Each worker built its session once, however many blocks it solved.
        sessions = client.run(lambda: len(__import__("careblock.dask").dask._ROBUST_SESSIONS))
        assert sorted(sessions.values()) in ([1, 1], [0, 1])
        # Blocks that do not divide the draws, and the draws given as an argument.
        same_result(careblock.dask.robust_siting(methods[0], DRAWS, client=client, block=7), local)

        # A worker killed while the draws run costs a retry, not a result. The workers forget
        # their sessions first, so that the run takes seconds (each re-reads the inputs).
        client.run(lambda: __import__("careblock.dask").dask._ROBUST_SESSIONS.clear())
        pids = list(client.run(os.getpid).values())
        killed = []

        def kill():
            os.kill(pids[0], signal.SIGKILL)
            killed.append(True)

        timer = threading.Timer(1.0, kill)
        timer.start()
        try:
            again = careblock.dask.robust_siting(methods[1], client=client, block=2)
        finally:
            timer.cancel()
        assert killed, "the run ended before the worker was killed: the test proves nothing"
        assert pids[0] not in client.run(os.getpid).values()
        same_result(again, local)
