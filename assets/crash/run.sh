#!/usr/bin/env bash
# The long crash-safety run: the kill -9 test with more trials and a bigger estate than the test
# run uses. Usage: assets/crash/run.sh [TRIALS=50] [FUNCTIONS=300]. Needs moto (tests/install-moto.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tests/install-moto.sh
export FIREBREAK_CRASH_TRIALS="${1:-50}" FIREBREAK_CRASH_FUNCTIONS="${2:-300}"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --no-capture -E 'test(killed_at_random_moments)'
else
  cargo test --test emulator killed_at_random_moments -- --nocapture
fi
