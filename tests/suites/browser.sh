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
provider_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  [ -n "$provider_pid" ] && kill "$provider_pid" 2>/dev/null && wait "$provider_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Serve a copy: the live-reload test edits content.
mkdir -p "$work/site"
cp -r "$ROOT/site.yaml" "$ROOT/content" "$ROOT/themes" "$work/site/"
export CCHC_MODERATION_TOKEN="kiem-duyet-$RANDOM$RANDOM"
# The sample consultations' windows are judged on a fixed day, so the tests do not expire with the calendar.
export CCHC_TODAY=2026-11-23
# The back office signs in through a real OpenID Connect provider on loopback (npm oidc-provider), as it does
# against Cognito on AWS: the provider must know the back office's redirect, so the port is chosen first.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port="$(free_port)"
provider_port="$(free_port)"
node oidc-provider.mjs "$provider_port" "http://127.0.0.1:$port/quan-tri/dang-nhap/xong" > "$work/oidc.log" 2>&1 &
provider_pid=$!
for _ in $(seq 100); do
  grep -q "oidc provider at" "$work/oidc.log" && break
  kill -0 "$provider_pid" 2>/dev/null || { cat "$work/oidc.log"; echo "the OpenID Connect provider did not start" >&2; exit 1; }
  sleep 0.1
done
export CCHC_OIDC_ISSUER="http://127.0.0.1:$provider_port" CCHC_OIDC_CLIENT_ID=cchc-quan-tri
"$CCHC" serve --root "$work/site" --port "$port" 2> "$work/serve.log" &
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
