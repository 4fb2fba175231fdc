#!/usr/bin/env bash
# Compiles src/ to dist/ (plain JavaScript: the CLI starts in ~0.1 s instead of ~1.4 s through
# tsx). Idempotent: skipped when dist/.stamp matches the sources. bin/caisson.js runs dist/
# only while that stamp is current, and the TypeScript sources otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup/lib.sh

stamp="$(node scripts/source-stamp.mjs)"
if [ -f dist/.stamp ] && [ "$(cat dist/.stamp)" = "$stamp" ] && [ -f dist/cli/main.js ]; then
  step "build: dist/ is up to date"
  exit 0
fi
step "build: compiling src/ to dist/ (tsc)"
start=$(date +%s)
rm -rf dist
npx --no-install tsc -p tsconfig.build.json
echo "$stamp" > dist/.stamp
step "build: done in $(( $(date +%s) - start )) s"
