#!/usr/bin/env bash
# The SIPAS peak on this machine: survey responses (sipas-dich-vu-cong, through the sealing store as on AWS) sent to
# `cchc serve` on a fixed schedule at the rates of infra/README.md's "Capacity on paper": the design peak of
# 10 responses/s (3.6 times the busiest hour of a 200,000-response week) and the API's route throttle of 100/s
# (what API Gateway lets through at most). Latency is counted from when each request was due (no coordinated
# omission). A figure, not a test: it prints each run and the median and spread of p50, p99 and max; the only
# failure is a lost write (fewer stored responses than acknowledged, or counters that do not add up).
#
#   tests/bench/peak.sh        RUNS=3 DURATION=30 RATES="10 100" by default; CCHC_BIN, LOAD_BIN: other builds
#
# Anti-spam is off (CCHC_SPAM_CHECKS=off), as in api.sh: the load generator cannot solve proofs of work. The local
# server writes to SQLite, not DynamoDB: the figure is the functions' own cost (parsing, checks, sealing, store);
# on AWS add a DynamoDB transaction (about 10-20 ms) and API Gateway.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNS="${RUNS:-3}"
DURATION="${DURATION:-30}"
RATES="${RATES:-10 100}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cchc/target}"
# CCHC_BIN and LOAD_BIN: other builds to use (e.g. debug ones, when there is no room for a release build).
if [ -z "${CCHC_BIN:-}" ] || [ -z "${LOAD_BIN:-}" ]; then
  cargo build --release --locked -q -p cchc-generator --bin cchc --example load
fi
CCHC="${CCHC_BIN:-$CARGO_TARGET_DIR/release/cchc}"
LOAD="${LOAD_BIN:-$CARGO_TARGET_DIR/release/examples/load}"

# shellcheck source=tests/bench/local-server.sh
. "$ROOT/tests/bench/local-server.sh"
start_local_server
url="http://127.0.0.1:$port/api/surveys/sipas-dich-vu-cong/responses"
echo "SIPAS peak: POST $url, $RUNS runs of ${DURATION}s at each rate ($RATES responses/s), 16 connections"

stored() { stored_rows "select count(*) from survey_responses"; }

for rate in $RATES; do
  lines=()
  for run in $(seq "$RUNS"); do
    before=$(stored)
    line=$("$LOAD" "$url" "$rate" "$DURATION" survey "peak$rate-$run-$$" 16 | grep '^RESULT')
    after=$(stored)
    acknowledged=$(( $(field requests "$line") - $(field non2xx "$line") - $(field socket_errors "$line") ))
    echo "  $rate/s run $run: $line stored=$((after - before))" >&2
    [ $((after - before)) -ge "$acknowledged" ] || { echo "LOST WRITES: $acknowledged acknowledged, $((after - before)) stored" >&2; exit 1; }
    lines+=("$line")
  done
  printf '%s\n' "${lines[@]}" | python3 -c '
import re, statistics, sys
rows = [dict(re.findall(r"(\w+)=([\d.]+)", l)) for l in sys.stdin if l.strip()]
def spread(k):
    v = [float(r[k]) for r in rows]
    return f"median {statistics.median(v):.2f} (min {min(v):.2f}, max {max(v):.2f})"
total = sum(int(r["requests"]) for r in rows)
print(f"{sys.argv[1]} responses/s: {total} responses in {len(rows)} runs")
for key, label in (("rps", "achieved/s"), ("p50_ms", "p50 ms"), ("p90_ms", "p90 ms"), ("p99_ms", "p99 ms"), ("max_ms", "max ms")):
    print(f"  {label:<12} {spread(key)}")
non2xx, sockets = (int(sum(float(r[k]) for r in rows)) for k in ("non2xx", "socket_errors"))
print(f"  errors       non-2xx {non2xx}, socket {sockets}")
' "$rate"
done
python3 - "$work/.cchc/cchc.sqlite3" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
responses = db.execute("select count(*) from survey_responses").fetchone()[0]
counted = db.execute("select coalesce(sum(count), 0) from survey_counters where key like '%#_#n'").fetchone()[0]
print(f"stored responses {responses}, response counter {counted}")
sys.exit(0 if responses == counted else 1)
PY
