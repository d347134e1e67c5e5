#!/usr/bin/env bash
# Installs the AWS emulator (moto server, pinned) into the project's .venv, unless it is there.
set -euo pipefail
cd "$(dirname "$0")/.."
MOTO_VERSION=5.2.5
installed=$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null || true)
if [ -x .venv/bin/moto_server ] && [ "$installed" = "$MOTO_VERSION" ]; then
  exit 0
fi
echo "== installing moto[server]==$MOTO_VERSION into .venv" >&2
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
