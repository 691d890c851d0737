"""Shared helpers: the repository root and the `careblock` CLI the bindings are compared with."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Runs the careblock CLI: $CAREBLOCK_BIN, else `cargo run` in the root workspace."""
    binary = os.environ.get("CAREBLOCK_BIN")
    cmd = [binary] if binary else ["cargo", "run", "--quiet", "--manifest-path", str(ROOT / "Cargo.toml"), "--"]
    return subprocess.run([*cmd, *args], cwd=cwd, capture_output=True, text=True)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
