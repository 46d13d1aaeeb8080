#!/usr/bin/env bash
# Build benchmark: generates the shared corpus (../shared/bench/make-corpus.py) at each size, adds what the generator
# needs around the pages (site.yaml, the default theme, `page_kind: document` for the documents section; pages are
# not touched), then builds it RUNS times with the release binary and prints wall time and peak memory.
#
#   tests/bench/build.sh [SIZES...]        default: 1000 10000; RUNS=5 by default
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared}"
RUNS="${RUNS:-5}"
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000 10000)
WORK="${BENCH_DIR:-${TMPDIR:-/tmp}/cchc-bench}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cchc/target}"

[ -x /usr/bin/time ] || { echo "GNU time is needed: apt-get install -y time" >&2; exit 1; }
[ -f "$SHARED/bench/make-corpus.py" ] || { echo "corpus generator not found at $SHARED/bench (set SHARED=...)" >&2; exit 1; }

cargo build --release --locked -q -p cchc-generator
CCHC="$CARGO_TARGET_DIR/release/cchc"

# Puts the site around a generated corpus in $1.
prepare_site() {
  local site="$1"
  cat > "$site/site.yaml" <<'YAML'
title: Bench
base_url: https://example.gov.vn
paginate_by: 20
menu:
  - { name: Tin tức, url: /news/ }
  - { name: Văn bản, url: /documents/ }
  - { name: Báo cáo, url: /reports/ }
  - { name: Mô hình, url: /models/ }
YAML
  printf -- '---\ntitle: Văn bản\npage_kind: document\n---\n' > "$site/content/documents/_index.md"
  rm -rf "$site/themes"
  cp -r "$ROOT/themes" "$site/themes"
}

printf '%-8s %-6s %-28s %-26s %s\n' pages runs "wall s: median (min-max)" "peak MiB: median (min-max)" "output files"
for n in "${SIZES[@]}"; do
  site="$WORK/c$n"
  if [ ! -f "$site/.done" ]; then
    rm -rf "$site"
    python3 "$SHARED/bench/make-corpus.py" "$site" --pages "$n" >/dev/null
    touch "$site/.done"
  fi
  prepare_site "$site"
  out="$site/public"
  rm -rf "$out"
  "$CCHC" build --root "$site" --out "$out" >/dev/null 2>&1 || { "$CCHC" build --root "$site" --out "$out"; exit 1; }
  results=()
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$CCHC" build --root "$site" --out "$out" >/dev/null 2>&1
    results+=("$(tail -1 "$WORK/time.txt")")
  done
  files=$(find "$out" -type f | wc -l)
  html=$(find "$out" -name '*.html' | wc -l)
  printf '%s\n' "${results[@]}" | python3 -c '
import sys, statistics
rows = [l.split() for l in sys.stdin if l.strip()]
wall = [float(r[0]) for r in rows]; mem = [int(r[1]) / 1024 for r in rows]
n, runs, files, html = sys.argv[1:5]
w = f"{statistics.median(wall):.2f} ({min(wall):.2f}-{max(wall):.2f})"
m = f"{statistics.median(mem):.0f} ({min(mem):.0f}-{max(mem):.0f})"
print(f"{int(n):<8,} {runs:<6} {w:<28} {m:<26} {int(files):,} ({int(html):,} HTML)")
' "$n" "$RUNS" "$files" "$html"
done
