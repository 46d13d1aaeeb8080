#!/usr/bin/env bash
# Fuzzes the functions' input readers (JSON, form and multipart bodies, the survey response validator, the
# pagination cursor) with cargo-fuzz, each for a bounded time, starting from the committed corpus in fuzz/corpus/.
# Usage: tests/bench/fuzz.sh [seconds per target, default 60]. Needs the nightly toolchain; installs cargo-fuzz if
# missing. New interesting inputs stay in fuzz/corpus/<target>/ (commit the small ones); a crash is saved under
# fuzz/artifacts/<target>/ and makes this script fail. Not part of tests/run: the stable property tests
# (functions/tests/properties.rs) replay the same readers there.
set -euo pipefail

seconds="${1:-60}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root/fuzz"

if ! rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz.sh: needs the nightly toolchain (rustup toolchain install nightly)" >&2
    exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz from crates.io"
    cargo install cargo-fuzz --locked
fi

targets=$(cargo +nightly fuzz list)
echo "fuzz.sh: $(echo "$targets" | wc -l) targets, ${seconds}s each, 1 MiB inputs at most"
status=0
for target in $targets; do
    corpus="corpus/$target"
    mkdir -p "$corpus"
    before=$(find "$corpus" -type f | wc -l)
    log="$(mktemp)"
    if cargo +nightly fuzz run "$target" "$corpus" -- \
        -max_total_time="$seconds" -max_len=1048576 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        >"$log" 2>&1; then
        result="ok"
    else
        result="FAILED (see fuzz/artifacts/$target/)"
        status=1
        tail -40 "$log"
    fi
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
    coverage=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo "?")
    after=$(find "$corpus" -type f | wc -l)
    printf '%-18s %-8s %10s runs  coverage %6s  corpus %d -> %d\n' "$target" "$result" "$runs" "$coverage" "$before" "$after"
    rm -f "$log"
done
exit "$status"
