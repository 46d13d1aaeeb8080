#!/usr/bin/env bash
# Build time with N photos (default 1,000, 1600×1200 JPEG, each on its own page): the first build, which resizes
# every photo, against the next ones, which take the copies from the image cache (.cchc/anh/, by content hash).
# Prints median (min-max) of RUNS runs each. Needs ffmpeg (Debian package) to make the photos.
# Usage: tests/bench/images.sh            N=1000 RUNS=3 by default
set -euo pipefail

N="${N:-1000}"
RUNS="${RUNS:-3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cchc/target}"
command -v ffmpeg >/dev/null || { echo "ffmpeg is needed to make the photos: apt-get install ffmpeg" >&2; exit 1; }
(cd "$ROOT" && cargo build --release --locked -q -p cchc-generator)
CCHC="$CARGO_TARGET_DIR/release/cchc"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
site="$work/site"
mkdir -p "$site"
cp -r "$ROOT/site.yaml" "$ROOT/content" "$ROOT/themes" "$site/"
mkdir -p "$site/content/tin-tuc/anh"
ffmpeg -loglevel error -f lavfi -i "testsrc2=size=1600x1200:rate=25" -frames:v "$N" -q:v 3 \
  "$site/content/tin-tuc/anh/bench-%04d.jpg"
for i in $(seq -f "%04g" 1 "$N"); do
  printf -- '---\ntitle: Ảnh thử %s\ndate: 2024-01-01\nimage: /tin-tuc/anh/bench-%s.jpg\nimage_alt: Ảnh thử %s\n---\nNội dung.\n' \
    "$i" "$i" "$i" > "$site/content/tin-tuc/bench-$i.md"
done
echo "$N photos: $(du -sh "$site/content/tin-tuc/anh" | cut -f1)"

build() { # prints wall seconds
  rm -rf "$work/out"
  local start end
  start=$(date +%s.%N)
  "$CCHC" build --root "$site" --out "$work/out" > /dev/null 2>&1
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
cold=(); warm=()
for _ in $(seq "$RUNS"); do
  rm -rf "$site/.cchc/anh"
  cold+=("$(build)")
  warm+=("$(build)")
done
summary() { python3 -c 'import statistics,sys; v=sorted(map(float,sys.argv[1:])); print(f"median {statistics.median(v):.2f} s (min {v[0]:.2f}, max {v[-1]:.2f}, n={len(v)})")' "$@"; }
echo "first build, every photo resized:   $(summary "${cold[@]}")"
echo "next build, copies from the cache:   $(summary "${warm[@]}")"
echo "copies made: $(find "$work/out/tin-tuc/anh" -name 'bench-*w.jpg' | wc -l), cache $(du -sh "$site/.cchc/anh" | cut -f1)"
