#!/usr/bin/env bash
# Generates the Prisma client into src/db/generated (gitignored) when it is missing or
# stale. Idempotent: skipped when the hash of the schema, the config and the Prisma
# version matches the stamp left by the last generation. Prints what it does on stderr.
# `prisma generate` needs no schema engine, but the CLI tries to download one unless
# PRISMA_SCHEMA_ENGINE_BINARY names a file; prisma.config.ts points it at the wasm
# stand-in (scripts/db/schema-engine-wasm.mjs) when no native engine is installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/setup/lib.sh

out=src/db/generated
stamp="$out/.schema-hash"
prisma_version="$(node -p "require('prisma/package.json').version")"
hash="$( { cat prisma/schema.prisma prisma.config.ts; echo "prisma $prisma_version"; } | sha256sum | cut -d' ' -f1)"

if [ -f "$stamp" ] && [ -f "$out/client.ts" ] && [ "$(cat "$stamp")" = "$hash" ]; then
  step "Prisma client: up to date ($out, schema ${hash:0:12})"
  exit 0
fi

if [ -z "${PRISMA_SCHEMA_ENGINE_BINARY:-}" ] && [ "${CAISSON_PRISMA_ENGINE:-}" != native ]; then
  export PRISMA_SCHEMA_ENGINE_BINARY="$PWD/scripts/db/schema-engine-wasm.mjs"
fi
step "Prisma client: generating into $out (prisma $prisma_version, schema ${hash:0:12}, engine ${PRISMA_SCHEMA_ENGINE_BINARY:-native})"
npx --no-install prisma generate >&2
echo "$hash" > "$stamp"
step "Prisma client: generated"
