#!/usr/bin/env bash
# `sam build` on a generated SAM application, as a team would deploy its own pipeline:
#
#   scripts/bench-sam.sh [PIPELINE]     (default: tests/sam/two-groups-approval)
#
# 1. `baton synth --sam` writes the pipeline's application into a scratch directory;
# 2. `sam build` builds every function there (cargo-lambda, release, arm64: what `sam deploy`
#    uploads), timed;
# 3. each function is zipped as `sam deploy` zips it, and its size printed against the 6 MB
#    target (exit 1 if one is over).
#
# Installs the SAM CLI, cargo-lambda and zig into .venv and the arm64 Rust target. Nothing leaves
# the machine: no credentials, no telemetry, no deploy.
set -euo pipefail
cd "$(dirname "$0")/.."

pipeline=${1:-tests/sam/two-groups-approval}
LIMIT_BYTES=$((6 * 1000 * 1000))

step() { printf '\n==> %s\n' "$*"; }

step "Tools (.venv: the SAM CLI, cargo-lambda, zig; rustup: aarch64 target)"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt -r scripts/requirements-bench.txt
export PATH="$PWD/.venv/bin:$PATH"
rustup target add aarch64-unknown-linux-gnu >/dev/null
sam --version
cargo lambda --version

step "baton synth --sam ($pipeline)"
cargo build --quiet --bin baton
app=$(mktemp -d)
trap 'rm -rf "$app"' EXIT
target/debug/baton synth --sam "$app" "$pipeline" --functions functions

step "sam build"
start=$(date +%s)
# The function crates are workspace members: cargo-lambda builds them in the workspace's target/.
(cd "$app" && SAM_CLI_TELEMETRY=0 sam build --template-file template.yaml 2>&1 | grep -E 'Build Succeeded|Error|error' || true)
echo "built in $(( $(date +%s) - start )) s"

step "Function zips (as sam deploy uploads them)"
printf '%-24s %12s  %s\n' FUNCTION "ZIP (bytes)" "≤ 6 MB"
over=0
for dir in "$app"/.aws-sam/build/*Function; do
  zip="$app/$(basename "$dir").zip"
  (cd "$dir" && zip -q -r -X "$zip" .)
  size=$(stat -c %s "$zip")
  ok=yes; [ "$size" -le "$LIMIT_BYTES" ] || { ok=NO; over=1; }
  printf '%-24s %12d  %s\n' "$(basename "$dir")" "$size" "$ok"
done
exit "$over"
