#!/usr/bin/env bash
# Compiles src/ to dist/ (plain JavaScript: the CLI starts in ~0.1 s instead of ~1.4 s through
# tsx). Idempotent: skipped when dist/.stamp matches the sources. bin/caisson.js runs dist/
# only while that stamp is current, and the TypeScript sources otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup/lib.sh

stamp="$(node scripts/source-stamp.mjs)"
if [ -f dist/.stamp ] && [ "$(cat dist/.stamp)" = "$stamp" ] && [ -f dist/cli/main.js ] && [ -f packages/client/dist/index.js ]; then
  step "build: dist/ is up to date"
  exit 0
fi
step "build: compiling src/ to dist/ (tsc)"
start=$(date +%s)
rm -rf dist
npx --no-install tsc -p tsconfig.build.json
# tsc emits only what it compiles: the other files under src/ (e.g. temporal/failure-converter.cjs,
# loaded by path) are copied beside the output.
(cd src && find . -type f ! -name '*.ts' ! -path './db/generated/*' -exec cp --parents {} ../dist/ \;)
# The typed client as a package (@caisson/client; the root package's "caisson/client" points at it).
bash packages/client/build.sh
echo "$stamp" > dist/.stamp
step "build: done in $(( $(date +%s) - start )) s"
