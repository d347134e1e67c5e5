#!/usr/bin/env bash
# The test command (README): installs what the tests need into the project, then runs
# formatting, lints, and every test. Safe to run again; the second run reuses the installs.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/install-moto.sh
if ! command -v tmux >/dev/null; then
  echo "== installing tmux (terminal end-to-end test)"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq tmux >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq tmux >/dev/null; fi
fi

echo "== cargo fmt --all --check"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings
echo "== tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --no-fail-fast
else
  cargo test --no-fail-fast
fi
