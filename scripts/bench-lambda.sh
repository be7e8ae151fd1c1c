#!/usr/bin/env bash
# The Lambda functions as Lambda runs them:
#
#   1. every function built with `cargo lambda build --release --arm64 --output-format zip`
#      (what `sam build` runs), each zip's size against the 6 MB target;
#   2. each function's start-to-ready time: the host build of the same binary started against
#      cargo-lambda's Runtime API emulator (`cargo lambda watch --only-lambda-apis`) and timed to
#      its first answer (an invocation it rejects at once, so no AWS call is made), beside the
#      baseline measured in the same run: the same invocation of the already-warm function.
#
# Installs cargo-lambda and zig into .venv (scripts/requirements-bench.txt) and the arm64 Rust
# target. Nothing leaves the machine: the functions get dummy credentials and no endpoint is
# called.
set -euo pipefail
cd "$(dirname "$0")/.."

FUNCTIONS=(trigger gate source build deploy approval bake rollback events)
LIMIT_BYTES=$((6 * 1000 * 1000))
RUNS=${RUNS:-5}

step() { printf '\n==> %s\n' "$*"; }

step "Tools (.venv: cargo-lambda, zig; rustup: aarch64 target)"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r scripts/requirements-bench.txt
export PATH="$PWD/.venv/bin:$PATH"
rustup target add aarch64-unknown-linux-gnu >/dev/null
cargo lambda --version

packages=()
for f in "${FUNCTIONS[@]}"; do packages+=(-p "baton-$f"); done

step "cargo lambda build --release --arm64 (zips)"
start=$(date +%s)
cargo lambda build --release --arm64 --output-format zip "${packages[@]}" 2>&1 | grep -E '^(error|warning)' || true
echo "built in $(( $(date +%s) - start )) s"
printf '%-16s %12s %12s  %s\n' FUNCTION "ZIP (bytes)" "BINARY" "≤ 6 MB"
over=0
for f in "${FUNCTIONS[@]}"; do
  zip="target/lambda/baton-$f/bootstrap.zip"
  size=$(stat -c %s "$zip")
  binary=$(unzip -l "$zip" | awk '/bootstrap$/ { print $1 }')
  ok=yes; [ "$size" -le "$LIMIT_BYTES" ] || { ok=NO; over=1; }
  printf '%-16s %12d %12d  %s\n' "baton-$f" "$size" "$binary" "$ok"
done

step "Start-to-ready against the Runtime API emulator (host build, $RUNS runs each)"
cargo build --release --quiet "${packages[@]}"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
emulator_log=$(mktemp)
cargo lambda watch --only-lambda-apis --invoke-address 127.0.0.1 --invoke-port "$port" >"$emulator_log" 2>&1 &
emulator=$!
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  kill "$emulator" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -f "$emulator_log"
}
trap cleanup EXIT
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

# What every function's from_env needs. Init warms its connections (DynamoDB, S3): here every
# endpoint is a closed loopback port and one attempt, so nothing leaves the machine and the
# warm-up fails at once (on Lambda it is a TLS handshake, tens of ms, paid at init instead of by
# the first invocation).
export AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_MAX_ATTEMPTS=1 \
  AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench \
  BATON_TABLE=t BATON_BUCKET=b BATON_PROJECT=p BATON_APPLICATION=a BATON_REPOSITORY=r \
  BATON_STATE_MACHINE_ARN=arn:aws:states:us-east-1:123456789012:stateMachine:bench \
  BATON_SCHEDULE_GROUP=g BATON_EVENTS_FUNCTION_ARN=arn:aws:lambda:us-east-1:123456789012:function:e \
  BATON_SCHEDULER_ROLE_ARN=arn:aws:iam::123456789012:role/s \
  BATON_PIPELINE_YAML="$(cat examples/hello-app/pipeline.yml)"

ms() { python3 -c 'import sys; print(round((int(sys.argv[2]) - int(sys.argv[1])) / 1e6, 1))' "$1" "$2"; }
# The emulator serves the one function it was started for (named `_`); each is run alone.
invoke() { cargo lambda invoke --invoke-address 127.0.0.1 --invoke-port "$port" "$1" --data-ascii '{"not":"a valid input"}' >/dev/null 2>&1 || true; }

printf '%-16s %14s %14s %14s\n' FUNCTION "COLD p50 (ms)" "WARM p50 (ms)" "READY (ms)"
for f in "${FUNCTIONS[@]}"; do
  cold=(); warm=()
  for _ in $(seq "$RUNS"); do
    t0=$(date +%s%N)
    AWS_LAMBDA_FUNCTION_NAME=_ AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$port/.rt" \
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128 AWS_LAMBDA_FUNCTION_VERSION='$LATEST' \
      "target/release/baton-$f" >/dev/null 2>&1 &
    pid=$!; pids+=("$pid")
    invoke _
    t1=$(date +%s%N)
    invoke _
    t2=$(date +%s%N)
    kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
    cold+=("$(ms "$t0" "$t1")"); warm+=("$(ms "$t1" "$t2")")
  done
  p50() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
  c=$(p50 "${cold[@]}"); w=$(p50 "${warm[@]}")
  printf '%-16s %14s %14s %14s\n' "baton-$f" "$c" "$w" "$(python3 -c "print(round($c - $w, 1))")"
done
echo "READY = COLD − WARM: process start to its first answer, less what an invocation costs anyway."

[ "$over" -eq 0 ] || { echo "some zips exceed 6 MB" >&2; exit 1; }
