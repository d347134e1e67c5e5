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
exec cargo run --quiet -- --data-dir target/gameday gameday run "$scenario" "$@"
