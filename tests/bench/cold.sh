#!/usr/bin/env bash
# A newcomer's first command, cold: `cargo run --release -- build` in a fresh clone with an empty target folder.
# The registry's downloads are not the point: CARGO_HOME's caches stay as they are (run tests/run once first so they
# hold every crate), only compiling is timed. Prints the wall time of each run, then the median and spread, and the
# crates that took longest to compile in the last run (cargo's --timings report is kept beside it).
#
#   RUNS=3 tests/bench/cold.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNS="${RUNS:-3}"
WORK="${BENCH_DIR:-${TMPDIR:-/tmp}/cchc-cold}"
rm -rf "$WORK" && mkdir -p "$WORK"
trap 'rm -rf "$WORK/clone" "$WORK/target"' EXIT

times=()
for run in $(seq "$RUNS"); do
  rm -rf "$WORK/clone" "$WORK/target"
  git clone -q "$ROOT" "$WORK/clone"
  start=$(date +%s.%N)
  (cd "$WORK/clone" && CARGO_TARGET_DIR="$WORK/target" cargo build --release --locked --offline -q --timings -p cchc-generator)
  end=$(date +%s.%N)
  (cd "$WORK/clone" && CARGO_TARGET_DIR="$WORK/target" cargo run --release --locked --offline -q -- build >/dev/null)
  t=$(python3 -c "print(f'{$end - $start:.1f}')")
  times+=("$t")
  echo "run $run: $t s to build the release binary (then the site builds)"
  cp "$WORK/target/cargo-timings/cargo-timing.html" "$WORK/cargo-timing-$run.html"
done
printf '%s\n' "${times[@]}" | python3 -c '
import sys, statistics
t = [float(l) for l in sys.stdin]
print(f"cold release build: median {statistics.median(t):.1f} s (min {min(t):.1f}, max {max(t):.1f}, n={len(t)})")'
python3 - "$WORK/cargo-timing-$RUNS.html" <<'PY'
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
units = re.search(r"const UNIT_DATA = (\[.*?\]);", html, re.S)
if units:
    import json
    data = sorted(json.loads(units.group(1)), key=lambda u: -u["duration"])[:12]
    print("longest crates (s):", ", ".join(f'{u["name"]} {u["duration"]:.0f}' for u in data))
PY
echo "reports: $WORK/cargo-timing-*.html"
