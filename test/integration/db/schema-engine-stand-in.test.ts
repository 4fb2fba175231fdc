// The ordinary Prisma CLI commands, offline, through scripts/db/schema-engine-wasm.mjs
// (wired by prisma.config.ts): migrate diff turns the schema into SQL, and
// migrate dev turns a schema change into a new migration on a real PostgreSQL database.
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { defaultMigrationsDir } from '../../../src/db/client.js';
import { readMigrations } from '../../../src/db/migrate.js';
import { createScratchPostgres, postgresServerUrl, repoRoot } from './databases.js';

const run = promisify(execFile);
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function prisma(cwd: string, args: string[], env: Record<string, string> = {}) {
  return run('npx', ['--no-install', 'prisma', ...args], { cwd, env: { ...process.env, ...env }, timeout: 120_000 });
}

describe('prisma CLI through the wasm schema-engine stand-in', () => {
  // (That the committed migrations together give exactly schema.prisma is checked in
  // migrate.test.ts with `migrate diff --from-migrations … --exit-code`.)
  it('migrate diff --from-empty turns the schema into SQL offline, one table per model', async () => {
    const { stdout } = await prisma(repoRoot, ['migrate', 'diff', '--from-empty', '--to-schema', 'prisma/schema.prisma', '--script']);
    const schema = await readFile(path.join(repoRoot, 'prisma/schema.prisma'), 'utf8');
    const models = [...schema.matchAll(/^model (\w+) \{/gm)].map((m) => m[1]!);
    expect(models.length).toBeGreaterThan(5);
    for (const model of models) expect(stdout).toContain(`CREATE TABLE "${model}"`);
    const migrations = await readMigrations(defaultMigrationsDir());
    expect(migrations[0]!.sql).toContain('CREATE TABLE "Function"');
  });

  it('migrate dev creates and applies a migration for a schema change', async () => {
    const project = await mkdtemp(path.join(tmpdir(), 'caisson-migrate-dev-'));
    cleanups.push(() => rm(project, { recursive: true, force: true }));
    for (const p of ['prisma', 'prisma.config.ts', 'package.json', 'scripts/db', 'scripts/setup']) {
      await cp(path.join(repoRoot, p), path.join(project, p), { recursive: true });
    }
    await symlink(path.join(repoRoot, 'node_modules'), path.join(project, 'node_modules'));
    const schemaFile = path.join(project, 'prisma/schema.prisma');
    const schema = await readFile(schemaFile, 'utf8');
    await writeFile(schemaFile, schema.replace('  durationMs       Int?\n', '  durationMs       Int?\n  label            String?\n'));

    const scratch = await createScratchPostgres();
    cleanups.push(scratch.drop);
    const env = { DATABASE_URL: scratch.url };
    await prisma(project, ['migrate', 'dev', '--name', 'add_label'], env);

    const dirs = (await readdir(path.join(project, 'prisma/migrations'))).filter((d) => d.endsWith('_add_label'));
    expect(dirs).toHaveLength(1);
    const sql = await readFile(path.join(project, 'prisma/migrations', dirs[0]!, 'migration.sql'), 'utf8');
    expect(sql).toContain('ALTER TABLE "Invocation" ADD COLUMN');
    expect(sql).toContain('"label" TEXT');
    expect((await prisma(project, ['migrate', 'status'], env)).stdout).toContain('Database schema is up to date!');

    // The temporary shadow database is gone again.
    const admin = new pg.Client({ connectionString: postgresServerUrl() });
    await admin.connect();
    const shadows = await admin.query("SELECT datname FROM pg_database WHERE datname LIKE 'prisma_migrate_shadow_db_%'");
    await admin.end();
    expect(shadows.rows).toEqual([]);
  });
});
