"""Long work runs with the GIL released (a Python thread keeps running during careblock.run),
and Ctrl-C (SIGINT) interrupts a run at the end of the current stage instead of the end of
the run."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from conftest import ROOT

CHILD = r"""
import sys, threading, time
import careblock
ticks = 0
stop = False
def tick():
    global ticks
    while not stop:
        time.sleep(0.01)
        ticks += 1
threading.Thread(target=tick, daemon=True).start()
t = time.perf_counter()
print("start", flush=True)
try:
    careblock.run("examples/bogota.toml")
    outcome = "finished"
except KeyboardInterrupt:
    outcome = "interrupted"
elapsed = time.perf_counter() - t
stop = True
print(outcome, elapsed, ticks, flush=True)
"""


def child(interrupt_after: float | None) -> tuple[str, float, int]:
    p = subprocess.Popen([sys.executable, "-c", CHILD], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "start"
    if interrupt_after is not None:
        time.sleep(interrupt_after)
        p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=600)
    outcome, elapsed, ticks = out.split()
    return outcome, float(elapsed), int(ticks)


def test_gil_released_and_ctrl_c():
    outcome, full, ticks = child(None)
    assert outcome == "finished"
    # A thread sleeping 10 ms per tick gets most of its ticks only if the GIL is free.
    assert ticks > 0.5 * full / 0.01, (ticks, full)
    # Early, while reading, validating and projecting (about 0.5 s): the run stops when that
    # stage ends. Sent later, the signal could land after it and wait for the index stage.
    outcome, elapsed, _ = child(0.1)
    assert outcome == "interrupted"
    assert elapsed < 0.8 * full, (elapsed, full)
