#!/usr/bin/env bash
# Times the back office's everyday tasks in Chromium (tests/bench/backoffice.mjs) against `cchc serve` on a copy of
# the site, with the spam checks off so that 100 comments can be seeded quickly. Prints median and range.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cchc/target}"
(cd "$ROOT/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
# The debug build tests/run makes: the server answers in milliseconds either way; what is timed is the person.
cargo build --locked -q -p cchc-generator
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r "$ROOT/site.yaml" "$ROOT/content" "$ROOT/themes" "$work/"
export CCHC_MODERATION_TOKEN="do-thoi-gian-$RANDOM" CCHC_SPAM_CHECKS=off CCHC_TODAY=2026-11-23
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$CARGO_TARGET_DIR/debug/cchc" serve --root "$work" --port "$port" 2> "$work/serve.log" &
pid=$!
for _ in $(seq 600); do grep -q "http://127.0.0.1:$port" "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
CCHC_URL="http://127.0.0.1:$port/" node "$ROOT/tests/bench/backoffice.mjs"
