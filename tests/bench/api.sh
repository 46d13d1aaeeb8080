#!/usr/bin/env bash
# API benchmark: comment posts or survey responses through `cchc serve` on the embedded SQLite store, 64
# concurrent connections, RUNS runs of DURATION each, in two ways:
#   closed  wrk (2 threads): every client sends again as soon as it is answered: the most requests a second, and
#           the latency of a saturated server (with 64 always-waiting clients, mean latency = 64 / throughput)
#   open    generator/examples/load.rs: RATE requests a second (5,000 by default) on a fixed schedule, latency
#           counted from when each request was due (no coordinated omission): the latency at the target load
# Anti-spam is switched off (CCHC_SPAM_CHECKS=off) so the figure is the server's own cost: the load generators cannot
# solve proofs of work. After each run the stored items are counted and must be at least the acknowledged ones (and
# for surveys, the response counter must equal the responses). During each run tests/bench/disk_probe.py flushes a
# small file every 10 ms and reports the disk's own stalls: no answer that waits for a flush beats the disk.
#
# Each request carries an idempotency key as the site's script makes one (time first: UUID version 7); with
# `comment-nokey`, comments come without one, as from a form without script or an API client, and the server derives
# a key from the client and the text (a hash: each lands on a random page of the key index, the costlier case).
#
#   tests/bench/api.sh [comment|comment-nokey|survey]   RUNS=5 DURATION=10 RATE=5000 by default; needs wrk
#   CCHC_BIN=/path/to/cchc tests/bench/api.sh comment   the same against another build
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNS="${RUNS:-5}"
DURATION="${DURATION:-10}"
RATE="${RATE:-5000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cchc/target}"
KIND="${1:-comment}"
case "$KIND" in survey|comment|comment-nokey) ;; *) echo "usage: tests/bench/api.sh [comment|comment-nokey|survey]" >&2; exit 2 ;; esac
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
cargo build --release --locked -q -p cchc-generator --bin cchc --example load
# CCHC_BIN: another build of cchc to measure (e.g. an older commit's, for a before/after comparison).
CCHC="${CCHC_BIN:-$CARGO_TARGET_DIR/release/cchc}"
LOAD="$CARGO_TARGET_DIR/release/examples/load"
CONSULTATION="du-thao-ke-hoach-cai-cach-hanh-chinh-2027"

# shellcheck source=tests/bench/local-server.sh
. "$ROOT/tests/bench/local-server.sh"
start_local_server
if [ "$KIND" = survey ]; then
  url="http://127.0.0.1:$port/api/surveys/sipas-dich-vu-cong/responses"
  query="select count(*) from survey_responses"
else
  url="http://127.0.0.1:$port/api/consultations/$CONSULTATION/comments"
  query="select count(*) from comments"
fi
echo "$KIND: POST $url"

stored() { stored_rows "$query"; }

# $1 mode, $2 run → runs the load and prints its RESULT line; fails if an acknowledged write is missing.
run_load() {
  local before after line requests failed acknowledged
  before=$(stored)
  python3 "$ROOT/tests/bench/disk_probe.py" "$work/probe.dat" "$DURATION" > "$work/probe.out" &
  local probe=$!
  if [ "$1" = closed ]; then
    line=$(wrk -t2 -c64 -d"${DURATION}s" --latency -s "$ROOT/tests/bench/post.lua" "$url" -- "run$2-$$" "$KIND" | grep '^RESULT')
  else
    line=$("$LOAD" "$url" "$RATE" "$DURATION" "$KIND" "open$2-$$" 64 | grep '^RESULT')
  fi
  wait "$probe"
  line="$line $(cat "$work/probe.out")"
  after=$(stored)
  requests=$(field requests "$line")
  failed=$(( $(field non2xx "$line") + $(field socket_errors "$line") ))
  acknowledged=$((requests - failed))
  echo "$1 run $2: $line stored=$((after - before)) acknowledged=$acknowledged" >&2
  [ $((after - before)) -ge "$acknowledged" ] || { echo "LOST WRITES: $acknowledged acknowledged, $((after - before)) stored" >&2; exit 1; }
  echo "$line"
}

summarise() { python3 -c '
import re, statistics, sys
rows = [dict(re.findall(r"(\w+)=([\d.]+)", l)) for l in sys.stdin if l.strip()]
def col(k): return [float(r[k]) for r in rows]
def spread(v): return f"median {statistics.median(v):.2f} (min {min(v):.2f}, max {max(v):.2f})"
print(sys.argv[1])
for key, label in (("rps", "requests/s"), ("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"), ("p999_ms", "p99.9 ms"),
                   ("disk_max_ms", "disk: slowest flush ms"), ("disk_stall_ms", "disk: ms in flushes > 10 ms"),
                   ("disk_over5_pct", "disk: % of run > 5 ms")):
    if key in rows[0]:
        print(f"  {label:<27} {spread(col(key))}")
# The same p99 over only the runs in which the disk probe saw no flush over 10 ms (all runs are shown above).
quiet = [float(r["p99_ms"]) for r in rows if float(r["disk_stall_ms"]) == 0]
label = "p99 ms, disk quiet".ljust(27)
if quiet:
    print(f"  {label} {spread(quiet)}, {len(quiet)} of {len(rows)} runs")
else:
    print(f"  {label} none of {len(rows)} runs without a flush over 10 ms")
# A run whose disk was busy flushing past 5 ms for 1 % of it or more: no answer-after-flush server has p99 < 5 ms there.
bound = sum(1 for r in rows if float(r["disk_over5_pct"]) >= 1)
print("  " + "disk bars p99 < 5 ms".ljust(27) + f" in {bound} of {len(rows)} runs (disk busy past 5 ms for >= 1 % of the run)")
non2xx, sockets = int(sum(col("non2xx"))), int(sum(col("socket_errors")))
print("  " + "errors".ljust(27) + f" non-2xx {non2xx}, socket {sockets}")
' "$1"; }

closed=() open=()
for run in $(seq "$RUNS"); do line=$(run_load open "$run"); open+=("$line"); done
for run in $(seq "$RUNS"); do line=$(run_load closed "$run"); closed+=("$line"); done
if [ "$KIND" = survey ]; then
  python3 - "$work/.cchc/cchc.sqlite3" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
responses = db.execute("select count(*) from survey_responses").fetchone()[0]
counted = db.execute("select coalesce(sum(count), 0) from survey_counters where key like '%#_#n'").fetchone()[0]
print(f"survey      stored responses {responses}, response counter {counted}")
sys.exit(0 if responses == counted else 1)
PY
fi
printf '%s\n' "${open[@]}" | summarise "open loop ($RATE requests/s on 64 connections, latency from when each was due)"
printf '%s\n' "${closed[@]}" | summarise "closed loop (wrk, 64 connections, each sending again once answered)"
