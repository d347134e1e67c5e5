#!/usr/bin/env bash
# Benchmark: wall time of a full `firebreak scan --format json --regions all` (release build)
# against a local moto server seeded with a larger estate. Prints one line per run and the median.
# Usage: bash assets/bench/scan.sh [FUNCTIONS_PER_REGION=25] [SNAPSHOTS_PER_REGION=25] [USERS=50] [RUNS=5]
set -euo pipefail
cd "$(dirname "$0")/../.."
functions=${1:-25} snapshots=${2:-25} users=${3:-50} runs=${4:-5}
bash tests/install-moto.sh
cargo build --quiet --release
bin="${CARGO_TARGET_DIR:-target}/release/firebreak"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MOTO_EC2_LOAD_DEFAULT_AMIS=false .venv/bin/moto_server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto=$!
work=$(mktemp -d)
trap 'kill $moto 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 200); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null && break
  sleep 0.1
done
.venv/bin/python assets/bench/seed_many.py "http://127.0.0.1:$port" "$functions" "$snapshots" "$users"

export AWS_ACCESS_KEY_ID=AKIAFIREBREAKBENCH AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
export HOME="$work" AWS_CONFIG_FILE="$work/none" AWS_SHARED_CREDENTIALS_FILE="$work/none"
times=()
for run in $(seq 1 "$runs"); do
  start=$(date +%s%N)
  "$bin" --endpoint-url "http://127.0.0.1:$port" --regions all scan --format json > "$work/report.json"
  end=$(date +%s%N)
  ms=$(( (end - start) / 1000000 ))
  times+=("$ms")
  echo "run $run: ${ms} ms"
done
python3 - "$work/report.json" "${times[@]}" <<'PY'
import json, statistics, sys
report = json.load(open(sys.argv[1]))
inv = report["inventory"]
print("items: %d functions, %d snapshots, %d users, %d keys; regions: %d" % (
    len(inv["functions"]), len(inv["snapshots"]), len(inv["users"]), len(inv["access_keys"]),
    len(report["regions"])))
print("median: %d ms" % statistics.median(int(t) for t in sys.argv[2:]))
PY
