#!/usr/bin/env bash
# The main job on a fresh machine: install the AWS emulator into the project's virtualenv (once),
# build firebreak, and start a game day — a private moto_server, a peacetime estate captured as
# the baseline, the full-breach scenario detonated — with the cockpit open on it. Quit with q to
# get the scorecard. Arguments go to `gameday run` (e.g. `--seed 42`, or another scenario:
# `bash assets/gameday.sh console-takeover`); the run's journals and scorecards are kept in
# target/gameday.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/install-moto.sh
scenario=full-breach
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  scenario=$1
  shift
fi
# A first build compiles the AWS SDK crates: it shows its progress, not a silent wait.
if [ ! -x "${CARGO_TARGET_DIR:-target}/debug/firebreak" ]; then
  echo "== building firebreak: a first build takes 10 to 20 minutes on a 2-core machine (the AWS SDK crates), later ones seconds" >&2
fi
cargo build --bin firebreak
exec "${CARGO_TARGET_DIR:-target}/debug/firebreak" --data-dir target/gameday gameday run "$scenario" "$@"
