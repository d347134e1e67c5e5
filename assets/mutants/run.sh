#!/usr/bin/env bash
# Mutation testing of the core (TESTING.md): cargo-mutants over every file of the
# `firebreak-core` crate (planners, guard, undo planning, findings, policy, baseline, journal,
# config, the scan's fold …), killed by that crate's own unit tests.
#
#   bash assets/mutants/run.sh [OUT_DIR] [-- extra cargo-mutants args, e.g. --iterate]
#
# Mutates a scratch clone of HEAD (never this checkout), builds in its own target dir
# (~/.cache/firebreak/mutants-target, reused between runs), writes cargo-mutants' results to
# OUT_DIR/mutants.out (default: mutants-result/; earlier runs move to OUT_DIR/earlier/) and
# prints the score per file over all of them, with the mutants still missed. Installs
# cargo-mutants if it is missing. Takes a few seconds per mutant: the core builds without the SDK.
set -euo pipefail

# The whole script is read before it runs: editing it during a run cannot break that run.
main() {
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/mutants-result"
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  out="$(realpath -m "$1")"
  shift
fi
if [ "${1:-}" = "--" ]; then shift; fi

if ! cargo mutants --version >/dev/null 2>&1; then
  echo "== installing cargo-mutants"
  cargo install --locked cargo-mutants
fi

scratch="$(mktemp -d)"
# Whatever happens, the results reach OUT_DIR before the scratch clone goes.
trap 'keep || true; rm -rf "$scratch"' EXIT
keep() {
  if [ -d "$scratch/firebreak/mutants.out" ]; then
    # An earlier run's results are kept beside the new ones (an --iterate run tests only
    # what the earlier one did not catch): the score reads them all, latest outcome first.
    if [ -d "$out/mutants.out" ]; then
      mkdir -p "$out/earlier"
      mv "$out/mutants.out" "$out/earlier/$(date -u +%Y%m%dT%H%M%SZ)"
    fi
    cp -r "$scratch/firebreak/mutants.out" "$out/mutants.out"
  fi
}
git clone -q "$root" "$scratch/firebreak"
git -C "$scratch/firebreak" checkout -q "$(git -C "$root" rev-parse HEAD)"

mkdir -p "$out"
# Keep outcomes of an earlier run in OUT_DIR so `--iterate` can skip mutants already caught.
if [ -d "$out/mutants.out" ]; then
  cp -r "$out/mutants.out" "$scratch/firebreak/mutants.out"
fi

export CARGO_TARGET_DIR="${MUTANTS_TARGET_DIR:-$HOME/.cache/firebreak/mutants-target}"
# The journal records the local user: give it one where the machine sets none (CI containers).
export USER="${USER:-firebreak-mutants}"
cd "$scratch/firebreak"
status=0
cargo mutants --in-place --no-shuffle --package firebreak-core --output "$scratch/firebreak" \
  --cargo-arg=--lib "$@" || status=$?
# cargo-mutants exits 2 when some mutants were missed, 3 on timeouts: the score says which; the
# 90 % goal is read from the score, it does not fail the run.
keep
shopt -s nullglob
python3 "$root/assets/mutants/score.py" "$out"/earlier/* "$out/mutants.out"
exit $(( status == 2 || status == 3 ? 0 : status ))
}

main "$@"
