#!/usr/bin/env bash
# The benchmarks (issue 13): seeds a private moto_server with a sized estate, puts the latency
# proxy in front of it, times firebreak against its peers (an aws-cli loop, a 16-thread boto3
# script, a sequential containment loop) and prints one table of ratios. See BENCHMARKS.md.
# Usage: bash assets/bench/run.sh small|large
# Knobs (environment): BENCH_LATENCY_MS (100), BENCH_RUNS (5 small, 3 large),
# BENCH_CONTAIN_FUNCTIONS (1000), BENCH_CONTAIN_THROTTLE (0.05), BENCH_SEQUENTIAL_SAMPLE (100:
# the sequential loop times that many functions and scales), BENCH_SKIP_CONTAIN,
# BENCH_KEEP (keep the proxy logs and reports; their folder is printed), BENCH_ONLY=contain|cockpit
# (that measure alone, no table).
set -euo pipefail
cd "$(dirname "$0")/../.."
size=${1:-}
case "$size" in small|large) ;; *) echo "usage: bash assets/bench/run.sh small|large" >&2; exit 2 ;; esac

bash tests/install-moto.sh
# The peers' own environment: the aws CLI and boto3, pinned.
if ! .venv-bench/bin/python -c 'import awscli, boto3' 2>/dev/null; then
  echo "== installing awscli and boto3 into .venv-bench" >&2
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install --quiet --disable-pip-version-check awscli==1.46.3 boto3==1.44.5
fi
if ! command -v tmux >/dev/null; then
  echo "== installing tmux (the cockpit's first-region time)" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq tmux >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq tmux >/dev/null; fi
fi

echo "== building firebreak, the proxy and the memory measure (release)" >&2
cargo build --quiet --release --bin firebreak --example bench_proxy --example bench_memory
echo "== render benchmark (criterion)" >&2
cargo bench --quiet --bench render -- --noplot >&2
target="${CARGO_TARGET_DIR:-target}"
exec .venv-bench/bin/python assets/bench/bench.py "$size" "$target/release/firebreak" \
  "$target/release/examples/bench_proxy" "$target/release/examples/bench_memory" "$target/criterion"
