#!/usr/bin/env bash
# Builds @caisson/client from src/client: dist/index.js (ESM) and dist/cjs/index.js (CommonJS),
# each one file with tRPC's client bundled in (esbuild), so installing the package installs
# nothing else (tRPC's packages would pull TypeScript itself in as a peer); and beside them the
# .d.ts files (tsc), which import only each other: src/client/api-types.ts holds the api's types
# as plain types, so a consumer's compiler needs nothing else. Uses the repository's tools (run
# from a checkout; npm pack runs it as prepack).
set -euo pipefail
cd "$(dirname "$0")"
bin=../../node_modules/.bin
rm -rf dist
"$bin/tsc" -p tsconfig.esm.json --emitDeclarationOnly
"$bin/tsc" -p tsconfig.cjs.json --emitDeclarationOnly
bundle=(../../src/client/index.ts --bundle --platform=node --target=node18 --legal-comments=inline --log-level=warning)
"$bin/esbuild" "${bundle[@]}" --format=esm --outfile=dist/index.js
"$bin/esbuild" "${bundle[@]}" --format=cjs --outfile=dist/cjs/index.js
echo '{ "type": "commonjs" }' > dist/cjs/package.json
# tRPC is MIT-licensed: its notice travels with the bundled copy.
cp ../../node_modules/@trpc/client/LICENSE dist/LICENSE.trpc
# A declaration that reached outside src/client would need other packages' types: refuse it.
if grep -rlE "from ['\"](\.\./|@trpc|@prisma|@temporalio|dockerode|zod)" dist --include='*.d.ts'; then
  echo "@caisson/client: a declaration above imports something outside the client" >&2
  exit 1
fi
