#!/usr/bin/env bash
# Fuzzes the parsers of untrusted text for panics: bash fuzz/run.sh [SECONDS] [TARGET...]
# Each target (config, baseline, policy; default all three) runs SECONDS seconds (default 60),
# starting from the seeds in fuzz/corpus/TARGET. New inputs go to fuzz/target/corpus/TARGET
# (not committed); a crash is saved under fuzz/artifacts/TARGET and stops the run.
# Needs the nightly toolchain; installs cargo-fuzz if it is missing. Not part of CI (slow).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "usage: bash fuzz/run.sh [SECONDS] [config|baseline|policy ...]" >&2
  exit 2
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(config baseline policy); fi

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzzing needs the nightly toolchain: rustup toolchain install nightly" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi

for target in "${targets[@]}"; do
  work="fuzz/target/corpus/$target"
  mkdir -p "$work"
  echo "== fuzzing $target for ${seconds}s" >&2
  # The targets are safe Rust and look for panics, which need no sanitizer; debug assertions
  # (-a) turn integer overflow into one. New inputs go to the first corpus directory only.
  cargo +nightly fuzz run --fuzz-dir fuzz --sanitizer none --debug-assertions "$target" \
    "$work" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -max_len=4096 -timeout=10 -print_final_stats=1
done
