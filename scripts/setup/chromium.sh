#!/usr/bin/env bash
# Makes sure a Chromium exists for the dashboard's browser tests (test/e2e/dashboard*.test.ts,
# driven by playwright-core, which downloads no browser). Order: $CAISSON_CHROMIUM, then
# /usr/bin/chromium; else Debian's `chromium` package is installed (as root with apt only).
# Prints the path on stdout. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/setup/lib.sh

report() { step "Chromium: $1 ($("$1" --version 2>/dev/null | head -n1))"; echo "$1"; exit 0; }

if [ -n "${CAISSON_CHROMIUM:-}" ]; then
  [ -x "$CAISSON_CHROMIUM" ] || fail "CAISSON_CHROMIUM=$CAISSON_CHROMIUM is not an executable file"
  report "$CAISSON_CHROMIUM"
fi
[ -x /usr/bin/chromium ] && report /usr/bin/chromium
is_root_with_apt || fail "no Chromium at /usr/bin/chromium; install Debian's chromium package (apt-get install chromium) or set CAISSON_CHROMIUM"
step "Chromium: missing; installing Debian's chromium package"
apt_install chromium
[ -x /usr/bin/chromium ] || fail "the chromium package installed no /usr/bin/chromium"
report /usr/bin/chromium
