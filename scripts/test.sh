#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need, then runs them.
#
#   1. a Python venv (.venv) with moto[server], cfn-lint and the SAM CLI, pinned in scripts/requirements-test.txt
#   2. asl-validator, jsonata (the reference for shared/asl/tests/jsonata_reference.rs) and
#      playwright-core from npm, pinned in package.json / package-lock.json,
#      and Debian's chromium (apt) for the console's browser test
#   3. cargo fmt --check, cargo test (every crate; the CLI with its `aws` feature, and its stack
#      commands without it), cargo clippy -D warnings (the CLI with and without it)
#   4. the console (`baton ui`) driven in headless Chromium: tests/browser/console.mjs
#   5. the SAM applications — infra/ and one generated for each pipeline under tests/sam — each
#      state machine checked by asl-validator, each template by cfn-lint and `sam validate --lint`
#      (offline: no credentials, no telemetry)
#
# CI runs exactly this through .ci/run. Nothing here reaches beyond the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."

# A CI run builds once from a clean clone: incremental caches would only cost disk (gigabytes).
if [ "${CI:-}" = "true" ]; then
  export CARGO_INCREMENTAL=0
fi

step() { printf '\n==> %s\n' "$*"; }

step "Python test tools (.venv)"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
export PATH="$PWD/.venv/bin:$PATH"
moto_server --help >/dev/null
.venv/bin/python scripts/moto_serial.py --help >/dev/null
cfn-lint --version
sam --version

step "Node test tools (asl-validator, jsonata, playwright-core)"
npm ci --no-audit --no-fund --silent
npx --no-install asl-validator --version

step "Chromium (Debian) for the browser test"
chromium=${BATON_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
"$chromium" --version

step "Formatting"
cargo fmt --all -- --check

step "Tests"
results=$(mktemp)
trap 'rm -f "$results"' EXIT
# With the CLI's `aws` feature, so `--stack` is tested too (its default build is linted below).
cargo test --workspace --locked --features baton/aws 2>&1 | tee "$results"
# The CLI as a newcomer builds it, without the AWS SDK: what it answers a stack command (the
# tests of `stack` written for that build; the others are the same in both).
cargo test -p baton --locked --test integration -- stack:: 2>&1 | tee -a "$results"

step "Lints"
cargo clippy --workspace --all-targets --locked --features baton/aws -- -D warnings
# The CLI as a newcomer builds it, without the AWS SDK.
cargo clippy -p baton --all-targets --locked -- -D warnings

step "Console in a browser (headless Chromium)"
node tests/browser/console.mjs --baton target/debug/baton

step "SAM applications: infra/ and one per tests/sam pipeline (asl-validator, cfn-lint, sam validate --lint)"
sam_env=(env SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=none AWS_SECRET_ACCESS_KEY=none)
generated=$(mktemp -d)
trap 'rm -f "$results"; rm -rf "$generated"' EXIT
apps=(infra)
for pipeline in tests/sam/*/; do
  app="$generated/$(basename "$pipeline")"
  target/debug/baton synth --sam "$app" "$pipeline" --functions functions 2>/dev/null
  apps+=("$app")
done
for app in "${apps[@]}"; do
  npx --no-install asl-validator --json-path "$app/statemachine/pipeline.asl.json"
  cfn-lint "$app/template.yaml"
  "${sam_env[@]}" sam validate --lint --template-file "$app/template.yaml"
done

step "All checks passed"
# One closing line for the whole suite (cargo prints one per test binary, the last often a
# doc-test run with nothing in it).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$results"
