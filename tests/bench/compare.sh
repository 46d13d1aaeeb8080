#!/usr/bin/env bash
# Build benchmark, side by side: our release build and, if installed, Hugo (`apt-get install -y hugo`) and Zola
# (`zola` on PATH, built from source), on the shared corpus (../shared/bench/make-corpus.py) with the peers'
# skeletons from ../shared/bench/. Runs alternate between tools (A B A B …) so that both see the same machine.
#
#   tests/bench/compare.sh [SIZES...]      default sizes: 1000 10000 real-10000; RUNS=5 by default
#
# A size N is the shared synthetic corpus of N pages; real-N is N pages of real Markdown found on the machine
# (tests/bench/real-corpus.py: the crates' and npm packages' READMEs and changelogs, repeated to N).
#
# Every tool writes to `public/` beside its content. Three modes, all timed as whole processes (wall time and peak RSS
# from GNU time):
#   clean    no output folder: the previous one is moved aside before each run (not timed), as on a fresh checkout
#   deleted  the previous output folder is deleted (and `sync`ed) just before each run. On an ext4 without a journal
#            (this machine's root) the kernel's inode allocator then skips every inode freed in the last seconds
#            (`recently_deleted` in `find_inode_bit`, most of the samples in `perf record -g`), so creating 12,000
#            files and folders costs seconds of system time: the same for every tool, but a cost of the benchmark
#            deleting, not of the build
#   again    the output of the previous run is left in place: a full build again, nothing changed in the content
# The folders moved aside are deleted at the end.
# Correctness is checked, not timed: every page, list, tag page, feed, sitemap and the search index must be there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared}"
RUNS="${RUNS:-5}"
MODES="${MODES:-clean deleted again}"
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000 10000 real-10000)
WORK="${BENCH_DIR:-${TMPDIR:-/tmp}/cchc-bench}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cchc/target}"
mkdir -p "$WORK"
TRASH="$WORK/moved-aside"
trap 'rm -rf "$TRASH"' EXIT

[ -x /usr/bin/time ] || { echo "GNU time is needed: apt-get install -y time" >&2; exit 1; }
[ -f "$SHARED/bench/make-corpus.py" ] || { echo "corpus generator not found at $SHARED/bench (set SHARED=...)" >&2; exit 1; }
cargo build --release --locked -q -p cchc-generator
CCHC="$CARGO_TARGET_DIR/release/cchc"
tools=(cchc)
if command -v hugo >/dev/null; then tools+=(hugo); else echo "hugo not installed (apt-get install -y hugo): not measured" >&2; fi
if command -v zola >/dev/null; then tools+=(zola); else echo "zola not on PATH (build it from source): not measured" >&2; fi

# Our site around a generated corpus (pages untouched): site.yaml, the default theme, documents as documents.
prepare_cchc() {
  local site="$1"
  cp "$ROOT/tests/bench/corpus-site.yaml" "$site/site.yaml"
  printf -- '---\ntitle: Văn bản\npage_kind: document\n---\n' > "$site/content/documents/_index.md"
  rm -rf "$site/themes" && cp -r "$ROOT/themes" "$site/themes"
}

pages_of() { echo "${1#real-}"; } # a size is N (synthetic) or real-N (tests/bench/real-corpus.py)

corpus() { # $1 size, $2 format → folder with content/
  local dir="$WORK/$2-$1"
  if [ ! -f "$dir/.done" ]; then
    rm -rf "$dir"
    local make="$SHARED/bench/make-corpus.py"
    [ "${1#real-}" = "$1" ] || make="$ROOT/tests/bench/real-corpus.py"
    SHARED="$SHARED" python3 "$make" "$dir" --pages "$(pages_of "$1")" ${3:+--format "$3"} >/dev/null
    touch "$dir/.done"
  fi
  echo "$dir"
}

site_for() { # $1 tool, $2 size → the folder the tool builds
  case "$1" in
    cchc) local d; d="$(corpus "$2" yaml)"; prepare_cchc "$d"; echo "$d" ;;
    hugo) local d; d="$(corpus "$2" yaml)"; local h="$WORK/hugo-$2"
          if [ ! -d "$h/content" ]; then rm -rf "$h"; mkdir -p "$h"; cp -r "$d/content" "$h/content"; fi
          cp -r "$SHARED/bench/hugo-skel/." "$h/"; echo "$h" ;;
    zola) local d; d="$(corpus "$2" zola zola)"; cp -r "$SHARED/bench/zola-skel/." "$d/"; echo "$d" ;;
  esac
}

run_once() { # $1 tool, $2 site → "wall_s peak_kib"
  local tool="$1" site="$2"
  case "$tool" in
    cchc) /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$CCHC" build --root "$site" --out "$site/public" >/dev/null 2>"$WORK/err.txt" ;;
    hugo) (cd "$site" && /usr/bin/time -f '%e %M' -o "$WORK/time.txt" hugo --quiet >/dev/null 2>"$WORK/err.txt") ;;
    zola) (cd "$site" && /usr/bin/time -f '%e %M' -o "$WORK/time.txt" zola build >/dev/null 2>"$WORK/err.txt") ;;
  esac || { echo "$tool failed on $site:" >&2; cat "$WORK/err.txt" >&2; exit 1; }
  tail -1 "$WORK/time.txt"
}

check_output() { # $1 tool, $2 site, $3 size: the output is complete
  local out="$2/public"
  local html; html=$(find "$out" -name '*.html' | wc -l)
  [ "$html" -gt "$3" ] || { echo "$1: only $html HTML files for $3 pages" >&2; exit 1; }
  [ -f "$out/sitemap.xml" ] || { echo "$1: no sitemap.xml" >&2; exit 1; }
  if [ "$1" = cchc ]; then
    [ -f "$out/search/index.json" ] || { echo "cchc: no search index" >&2; exit 1; }
    python3 - "$out/search/index.json" "$3" <<'PY'
import json, sys
entry = json.load(open(sys.argv[1]))
assert entry["pages"] >= int(sys.argv[2]), f"search index has {entry['pages']} pages"
PY
  fi
  echo "$(find "$out" -type f | wc -l) ($html HTML)"
}

summary() { python3 -c '
import sys, statistics
rows = [l.split() for l in sys.stdin if l.strip()]
wall = [float(r[0]) for r in rows]; mem = [int(r[1]) / 1024 for r in rows]
print(f"{statistics.median(wall):.2f} ({min(wall):.2f}-{max(wall):.2f})|{statistics.median(mem):.0f} ({min(mem):.0f}-{max(mem):.0f})|{statistics.median(wall)}|{statistics.median(mem)}")
'; }

printf '\n%-7s %-6s %-7s %-24s %-22s %-22s %s\n' pages tool mode "wall s: median (min-max)" "peak MiB: median (min-max)" "output files" "vs hugo: time, memory"
for n in "${SIZES[@]}"; do
  declare -A sites=() files=()
  for tool in "${tools[@]}"; do
    sites[$tool]="$(site_for "$tool" "$n")"
    rm -rf "${sites[$tool]}/public"
    run_once "$tool" "${sites[$tool]}" >/dev/null # warm-up, and the output checked below
    files[$tool]="$(check_output "$tool" "${sites[$tool]}" "$(pages_of "$n")")"
  done
  for mode in $MODES; do
    declare -A times=()
    for _ in $(seq "$RUNS"); do
      for tool in "${tools[@]}"; do
        case "$mode" in
          clean) mkdir -p "$TRASH" && mv "${sites[$tool]}/public" "$(mktemp -d "$TRASH/XXXXXX")/" && sync ;;
          deleted) rm -rf "${sites[$tool]}/public" && sync ;;
        esac
        times[$tool]+="$(run_once "$tool" "${sites[$tool]}")"$'\n'
      done
    done
    declare -A shown=() medians=()
    for tool in "${tools[@]}"; do
      IFS='|' read -r wall mem wall_median mem_median <<<"$(printf '%s' "${times[$tool]}" | summary)"
      shown[$tool]="$(printf '%-24s %-22s' "$wall" "$mem")"
      medians[$tool]="$wall_median $mem_median"
    done
    for tool in "${tools[@]}"; do
      ratio=""
      if [ "$tool" != hugo ] && [ -n "${medians[hugo]:-}" ]; then
        # shellcheck disable=SC2086
        ratio="$(python3 -c 'import sys; a,b,c,d=map(float,sys.argv[1:]); print(f"{a/c:.2f}x, {b/d:.2f}x")' ${medians[$tool]} ${medians[hugo]})"
      fi
      printf '%-7s %-6s %-7s %s %-22s %s\n' "$n" "$tool" "$mode" "${shown[$tool]}" "${files[$tool]}" "$ratio"
    done
    unset times shown medians
  done
  unset sites files
done
