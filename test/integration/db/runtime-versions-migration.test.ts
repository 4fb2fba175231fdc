// The runtime versions migration: versions stored with a bare family before runtime versions
// existed are rewritten to what they ran on (python → python3.11, node → nodejs18).
import { afterAll, expect, it } from 'vitest';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { defaultMigrationsDir } from '../../../src/db/client.js';
import { applyMigrations, pgliteMigrationConnection } from '../../../src/db/migrate.js';

const MIGRATION = '20261206100000_runtime_versions';
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

it('rewrites bare python/node runtimes to the versions they ran on; concrete ones and go stay', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'caisson-migrations-'));
  dirs.push(dir);
  await cp(defaultMigrationsDir(), dir, { recursive: true });
  await rm(path.join(dir, MIGRATION), { recursive: true });
  const db = new PGlite();
  try {
    const conn = pgliteMigrationConnection(db);
    await applyMigrations(conn, dir, db);
    const runtimes = ['python', 'node', 'go', 'nodejs22'];
    for (const [i, runtime] of runtimes.entries()) {
      await db.query(`INSERT INTO "Function" (id, name, runtime, "updatedAt") VALUES ($1, $2, $3, now())`, [`fn_${i}`, `f${i}`, runtime]);
      await db.query(
        `INSERT INTO "FunctionVersion" (id, "functionId", version, runtime, convention, entry, "artifactSha256", "artifactFormat",
           "artifactBytes", "timeoutMs", "memoryMb", cpus, env, "retryPolicy")
         VALUES ($1, $2, 1, $3, 'script', 'main', 'x', 'file', 1, 1000, 128, 1, '{}', '{}')`,
        [`fv_${i}`, `fn_${i}`, runtime],
      );
    }
    await cp(path.join(defaultMigrationsDir(), MIGRATION), path.join(dir, MIGRATION), { recursive: true });
    expect((await applyMigrations(conn, dir, db)).applied).toEqual([MIGRATION]);
    const want = ['python3.11', 'nodejs18', 'go', 'nodejs22'];
    for (const table of ['Function', 'FunctionVersion']) {
      const rows = (await db.query<{ runtime: string }>(`SELECT runtime FROM "${table}" ORDER BY id`)).rows;
      expect(rows.map((r) => r.runtime), table).toEqual(want);
    }
  } finally {
    await db.close();
  }
});
