# Sourced by the API benchmarks (api.sh, peak.sh): `cchc serve` ($CCHC) on a copy of the repository's site in a
# temporary folder, on a free loopback port, with the suite's fixed day and spam checks off, stopped and deleted on
# exit. Sets `work` (the copy) and `port`.
start_local_server() {
  work="$(mktemp -d)"
  pid=""
  trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
  cp -r "$ROOT/site.yaml" "$ROOT/content" "$ROOT/themes" "$work/"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  CCHC_TODAY=2026-11-23 CCHC_SPAM_CHECKS=off "$CCHC" serve --root "$work" --port "$port" 2> "$work/serve.log" &
  pid=$!
  for _ in $(seq 100); do grep -q "Đang phục vụ" "$work/serve.log" && break; sleep 0.1; done
}

# The number of rows `query` counts in the served copy's store.
stored_rows() {
  python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$work/.cchc/cchc.sqlite3" "$1"
}

# $1 name, $2 a load RESULT line → the number after ` name=`.
field() { sed -E "s/.* $1=([0-9.]+).*/\1/" <<<"$2"; }
