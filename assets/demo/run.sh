#!/usr/bin/env bash
# The main job, for now: start a private AWS emulator, seed a peacetime estate, capture its
# baseline, plant a breach, and run firebreak against it. With no arguments it prints the scan
# (findings first) as a table over every region; any arguments are passed to firebreak instead
# (e.g. `--regions all` opens the TUI). Baseline and journal live in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tests/install-moto.sh
cargo build --quiet

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
MOTO_EC2_LOAD_DEFAULT_AMIS=false MOTO_IAM_LOAD_MANAGED_POLICIES=true .venv/bin/moto_server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto=$!
work=$(mktemp -d)
trap 'kill $moto 2>/dev/null; rm -rf "$log" "$work"' EXIT
for _ in $(seq 1 200); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null && break
  sleep 0.1
done
endpoint="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=AKIAFIREBREAKDEMO AWS_SECRET_ACCESS_KEY=demo-secret AWS_REGION=us-east-1
unset AWS_PROFILE
firebreak() {
  cargo run --quiet -- --endpoint-url "$endpoint" --baseline "$work/baseline.toml" \
    --data-dir "$work/data" "$@"
}

.venv/bin/python assets/demo/seed.py "$endpoint" peacetime
firebreak baseline capture >&2
.venv/bin/python assets/demo/seed.py "$endpoint" breach
if [ $# -eq 0 ]; then set -- scan --format table --regions all; fi
status=0
firebreak "$@" || status=$?
exit "$status"
