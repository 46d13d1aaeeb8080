#!/usr/bin/env bash
# Browser tests: installs Debian's Chromium and the pinned npm packages, serves a copy of the site with
# `cchc serve` on a free loopback port, runs the node tests against it, and stops the server.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cchc/target}"

if ! command -v /usr/bin/chromium >/dev/null; then
  echo "installing Debian's chromium (once per machine)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-core >/dev/null
fi

cd "$ROOT/tests/browser"
npm ci --no-audit --no-fund --loglevel=error

cargo build --locked -q -p cchc-generator
CCHC="$CARGO_TARGET_DIR/debug/cchc"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Serve a copy: the live-reload test edits content.
mkdir -p "$work/site"
cp -r "$ROOT/site.yaml" "$ROOT/content" "$ROOT/themes" "$work/site/"
export CCHC_MODERATION_TOKEN="kiem-duyet-$RANDOM$RANDOM"
# The sample consultations' windows are judged on a fixed day, so the tests do not expire with the calendar.
export CCHC_TODAY=2026-11-23
"$CCHC" serve --root "$work/site" --port 0 2> "$work/serve.log" &
server_pid=$!
for _ in $(seq 300); do
  url=$(grep -o 'http://127.0.0.1:[0-9]*/' "$work/serve.log" | head -1 || true)
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log"; echo "cchc serve stopped before listening" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { cat "$work/serve.log"; echo "cchc serve did not start" >&2; exit 1; }
echo "serving $url"

export CCHC_URL="$url" CCHC_SITE_ROOT="$work/site" CCHC_BIN="$CCHC"
export CCHC_TEST_OUTPUT="${CCHC_TEST_OUTPUT:-$ROOT/target/test-output}"
mkdir -p "$CCHC_TEST_OUTPUT"
# Arguments name test files to run alone (e.g. `tests/suites/browser.sh search.test.mjs`); by default, all.
if [ $# -gt 0 ]; then node --test --test-concurrency=1 "$@"; else node --test --test-concurrency=1 ./*.test.mjs; fi
