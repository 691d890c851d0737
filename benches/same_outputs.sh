#!/usr/bin/env bash
# Checks that two careblock binaries write byte-identical outputs for every preset method
# (examples/*.toml), and for examples/reference/city.toml on a peer city when one is given.
# timings.json is skipped (wall-clock times); run.json is compared without its "careblock"
# member (the binary's version and build) and without the members named in
# SAME_OUTPUTS_IGNORE (comma-separated, dotted for nested members, e.g.
# "outputs,resolved_method.output" against a build from before run.json listed its files) — everything else must match byte for byte.
#
#   benches/same_outputs.sh OLD_BINARY NEW_BINARY [PEER_CITY_DIR]
#
# e.g. build main into /tmp/careblock-old and the change into target/release/careblock, then
#   benches/same_outputs.sh /tmp/careblock-old target/release/careblock /tmp/careblock-peers/city-100000-d112-f2000-s42
set -euo pipefail
old=$1 new=$2 city=${3:-}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
methods=(examples/*.toml)
status=0
compare() { # name dir_a dir_b
  local name=$1 a=$2 b=$3
  for f in "$a"/*; do
    local base
    base=$(basename "$f")
    case $base in
      timings.json) continue ;;
      run.json)
        if ! python3 - "$f" "$b/$base" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
import os
skip = ["careblock"] + [k for k in os.environ.get("SAME_OUTPUTS_IGNORE", "").split(",") if k]
for d in (a, b):
    for k in skip:  # "a.b" names a member of a member
        *path, last = k.split(".")
        for p in path:
            d = d.get(p, {}) if isinstance(d, dict) else {}
        if isinstance(d, dict):
            d.pop(last, None)
sys.exit(0 if a == b else 1)
PY
        then echo "DIFFERENT: $name/$base"; status=1; fi ;;
      *) cmp -s "$f" "$b/$base" || { echo "DIFFERENT: $name/$base"; status=1; } ;;
    esac
  done
  [ "$(ls "$a" | wc -l)" = "$(ls "$b" | wc -l)" ] || { echo "DIFFERENT: $name file lists"; status=1; }
}
for m in "${methods[@]}"; do
  name=$(basename "$m" .toml)
  "$old" run "$m" --out "$work/old/$name" -q
  "$new" run "$m" --out "$work/new/$name" -q
  compare "$name" "$work/old/$name" "$work/new/$name"
  echo "checked $m"
done
if [ -n "$city" ]; then
  # The method's paths are relative to it: a folder of links to the city's files beside a copy.
  mkdir -p "$work/city"
  for f in "$city"/*; do ln -s "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" "$work/city/"; done
  cp examples/reference/city.toml "$work/city/city.toml"
  "$old" run "$work/city/city.toml" --out "$work/old/reference" -q
  "$new" run "$work/city/city.toml" --out "$work/new/reference" -q
  compare reference "$work/old/reference" "$work/new/reference"
  echo "checked examples/reference/city.toml on $city"
fi
[ $status = 0 ] && echo "all outputs byte-identical" || echo "outputs differ"
exit $status
