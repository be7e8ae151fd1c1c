#!/usr/bin/env bash
# Runs the cargo-fuzz targets (fuzz/) and prints how many inputs each one executed and whether
# it found anything.
#
#   scripts/fuzz.sh [--seconds S | --runs N] [TARGET...]     default: 60 s each, every target
#
# Needs the nightly toolchain (libFuzzer's instrumentation) and cargo-fuzz, installed here if
# missing. The committed seeds (fuzz/seeds/<target>, written by fuzz/make_seeds.py) are read
# only; what libFuzzer learns goes to fuzz/corpus/<target>, a crash to fuzz/artifacts/<target>,
# both ignored by git. Exit status 1 when any target crashed, timed out or ran out of memory.
#
# No sanitizer by default: the workspace denies unsafe code, so AddressSanitizer has nothing to
# find that a panic would not show, and it costs five times the throughput. SANITIZER=address
# turns it on.
set -euo pipefail
cd "$(dirname "$0")/.."

limit=(-max_total_time=60)
case "${1:-}" in
    --seconds) limit=(-max_total_time="$2"); shift 2 ;;
    --runs) limit=(-runs="$2"); shift 2 ;;
esac
sanitizer="${SANITIZER:-none}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
echo "building the fuzz targets (nightly, sanitizer: $sanitizer)…"
cargo +nightly fuzz build -O -s "$sanitizer"

failed=0
printf '%-16s %14s %10s %9s  %s\n' target executions exec/s seconds result
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t"
    log="$(mktemp)"
    started=$SECONDS
    if cargo +nightly fuzz run -O -s "$sanitizer" "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
        "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
        result=ok
    else
        result="FOUND: see fuzz/artifacts/$t and $log"
        failed=1
    fi
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | awk '{print $2}')
    took=$((SECONDS - started))
    rate=$(( ${runs:-0} / (took > 0 ? took : 1) ))
    printf '%-16s %14s %10s %9s  %s\n' "$t" "${runs:-?}" "$rate" "$took" "$result"
    [ "$result" = ok ] && rm -f "$log"
done
exit "$failed"
