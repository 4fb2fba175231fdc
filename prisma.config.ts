// Prisma CLI configuration (Prisma 7). Tooling, not application code: with scripts/, the
// only place outside src/cli that reads process.env, because the Prisma CLI loads it.
//
// Schema engine: Prisma's native schema-engine is downloaded on first use, which fails
// offline. Unless PRISMA_SCHEMA_ENGINE_BINARY is set or a native engine is already in
// node_modules/@prisma/engines, the CLI is pointed at scripts/db/schema-engine-wasm.mjs,
// a stand-in speaking the same JSON-RPC and running @prisma/schema-engine-wasm. Set
// CAISSON_PRISMA_ENGINE=native to let Prisma download and use its own binary.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'prisma/config';

const root = path.dirname(fileURLToPath(import.meta.url));

function hasNativeSchemaEngine(): boolean {
  const dir = path.join(root, 'node_modules', '@prisma', 'engines');
  return existsSync(dir) && readdirSync(dir).some((f) => f.startsWith('schema-engine'));
}

if (!process.env['PRISMA_SCHEMA_ENGINE_BINARY'] && process.env['CAISSON_PRISMA_ENGINE'] !== 'native' && !hasNativeSchemaEngine()) {
  process.env['PRISMA_SCHEMA_ENGINE_BINARY'] = path.join(root, 'scripts', 'db', 'schema-engine-wasm.mjs');
}

const url = process.env['DATABASE_URL'];
const shadowDatabaseUrl = process.env['SHADOW_DATABASE_URL'];

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  // Optional so `prisma generate` works without a database; migrate commands need it.
  ...(url ? { datasource: { url, ...(shadowDatabaseUrl ? { shadowDatabaseUrl } : {}) } } : {}),
});
