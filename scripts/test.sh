#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need, then runs them.
#
#   1. a Python venv (.venv) with moto[server], cfn-lint and the SAM CLI, pinned in scripts/requirements-test.txt
#   2. asl-validator and playwright-core from npm, pinned in package.json / package-lock.json,
#      and Debian's chromium (apt) for the console's browser test
#   3. cargo fmt --check, cargo test (every crate), cargo clippy -D warnings
#   4. the console (`baton ui`) driven in headless Chromium: tests/browser/console.mjs
#   5. the committed state machine checked by asl-validator, the SAM template by cfn-lint and
#      `sam validate --lint` (offline: no credentials, no telemetry)
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

step "Node test tools (asl-validator)"
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
cargo test --workspace --locked 2>&1 | tee "$results"

step "Lints"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Console in a browser (headless Chromium)"
node tests/browser/console.mjs --baton target/debug/baton

step "State machine (asl-validator)"
for f in infra/statemachine/*.asl.json; do
  npx --no-install asl-validator --json-path "$f"
done

step "SAM template (cfn-lint, sam validate --lint)"
cfn-lint infra/template.yaml
(cd infra && SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=none AWS_SECRET_ACCESS_KEY=none sam validate --lint)

step "All checks passed"
# One closing line for the whole suite (cargo prints one per test binary, the last often a
# doc-test run with nothing in it).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$results"
