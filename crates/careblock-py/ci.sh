#!/usr/bin/env bash
# CI step of the Python bindings, run from .ci/run (any directory): a venv with the pinned test
# dependencies, `maturin develop` into it sharing the repository's target/ (pyo3-polars rebuilds
# part of polars once), clippy and rustfmt, the CLI build the parity
# tests compare with, then pytest: run() vs the CLI on the Bogotá presets, area_interpolate vs
# tobler, index/site, the exception classes, and examples/notebook.ipynb executed headless.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
crate="$root/crates/careblock-py"
venv=${CAREBLOCK_PY_VENV:-$root/target/py-venv}
export CARGO_TARGET_DIR="$root/target"
export PYO3_PYTHON="$venv/bin/python"

step() { echo "== careblock-py: $*"; }

step "venv $venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$crate/requirements-test.txt"

step "maturin develop (debug, shared target/)"
(cd "$crate" && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" maturin develop --locked --quiet)

step "cargo fmt and clippy"
cargo fmt --manifest-path "$crate/Cargo.toml" --check
cargo clippy --locked --manifest-path "$crate/Cargo.toml" --all-targets -- -D warnings
# Not `cargo test` of the crate: without maturin's extension-module feature it rebuilds pyo3 and
# with it polars (6 min, GBs); the WKB unit tests have their counterpart in tests/test_wkb.py.

step "the CLI the parity tests compare with"
cargo build --locked --manifest-path "$root/Cargo.toml"

step "pytest (with the notebook)"
CAREBLOCK_BIN="$root/target/debug/careblock" "$venv/bin/pytest" -q -p no:cacheprovider "$crate/tests"
