// The migration runner against PGlite and PostgreSQL, and the real Prisma CLI's verdict
// on a database the runner migrated (through the wasm schema-engine stand-in).
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { defaultMigrationsDir } from '../../../src/db/client.js';
import {
  MigrationError,
  applyMigrations,
  pgMigrationConnection,
  pgliteMigrationConnection,
  readMigrations,
} from '../../../src/db/migrate.js';
import { migrationChecksum } from '../../../src/db/migration-plan.js';
import { createScratchPostgres, repoRoot } from './databases.js';

const run = promisify(execFile);
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function scratchPg(): Promise<string> {
  const s = await createScratchPostgres();
  cleanups.push(s.drop);
  return s.url;
}

async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'caisson-migrations-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await cp(defaultMigrationsDir(), dir, { recursive: true });
  return dir;
}

/** The real `prisma` CLI from this repo, against `url` (engine: see prisma.config.ts). */
function prisma(args: string[], url: string) {
  return run('npx', ['--no-install', 'prisma', ...args], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: url },
    timeout: 120_000,
  });
}

async function appliedRows(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query('SELECT * FROM _prisma_migrations ORDER BY started_at')).rows;
  } finally {
    await c.end();
  }
}

describe('applyMigrations on PostgreSQL', () => {
  it('records rows as the engine does; prisma migrate status/deploy see it up to date', async () => {
    const url = await scratchPg();
    const local = await readMigrations(defaultMigrationsDir());
    expect(local.length).toBeGreaterThan(0);

    const conn = await pgMigrationConnection(url);
    try {
      expect((await applyMigrations(conn, defaultMigrationsDir())).applied).toEqual(local.map((m) => m.name));
      expect((await applyMigrations(conn, defaultMigrationsDir())).applied).toEqual([]);
    } finally {
      await conn.close();
    }

    const rows = await appliedRows(url);
    expect(rows).toHaveLength(local.length);
    rows.forEach((row, i) => {
      expect(row).toMatchObject({
        migration_name: local[i]!.name,
        checksum: migrationChecksum(local[i]!.sql),
        logs: null,
        rolled_back_at: null,
        applied_steps_count: 1,
      });
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
    });

    const status = await prisma(['migrate', 'status'], url);
    expect(status.stdout).toContain('Database schema is up to date!');
    const deploy = await prisma(['migrate', 'deploy'], url);
    expect(deploy.stdout).toContain('No pending migrations to apply.');
    expect(await appliedRows(url)).toHaveLength(local.length);
  });

  it('agrees with a database migrated by `prisma migrate deploy` (no-op on it)', async () => {
    const url = await scratchPg();
    await prisma(['migrate', 'deploy'], url);
    const conn = await pgMigrationConnection(url);
    try {
      expect(await applyMigrations(conn, defaultMigrationsDir())).toEqual({ applied: [], unknown: [] });
    } finally {
      await conn.close();
    }
  });

  it('lets two concurrent runners apply each migration exactly once', async () => {
    const url = await scratchPg();
    const [a, b] = await Promise.all([pgMigrationConnection(url), pgMigrationConnection(url)]);
    try {
      const results = await Promise.all([
        applyMigrations(a, defaultMigrationsDir()),
        applyMigrations(b, defaultMigrationsDir()),
      ]);
      const local = await readMigrations(defaultMigrationsDir());
      expect(results.flatMap((r) => r.applied).sort()).toEqual(local.map((m) => m.name).sort());
      expect(await appliedRows(url)).toHaveLength(local.length);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('refuses when an applied migration file changed', async () => {
    const url = await scratchPg();
    const dir = await copyOfMigrations();
    const conn = await pgMigrationConnection(url);
    try {
      await applyMigrations(conn, dir);
      const [first] = await readMigrations(dir);
      await writeFile(path.join(dir, first!.name, 'migration.sql'), `${first!.sql}\n-- edited\n`);
      await expect(applyMigrations(conn, dir)).rejects.toThrow(/changed after being applied/);
      await expect(applyMigrations(conn, dir)).rejects.toBeInstanceOf(MigrationError);
    } finally {
      await conn.close();
    }
  });

  it('records a failing migration (logs, no finished_at) and then refuses until resolved', async () => {
    const url = await scratchPg();
    const dir = await copyOfMigrations();
    const broken = path.join(dir, '99999999999999_broken');
    await mkdir(broken);
    await writeFile(path.join(broken, 'migration.sql'), 'CREATE TABLE "Oops" (id INT);\nSELECT * FROM "no_such_table";\n');
    const conn = await pgMigrationConnection(url);
    try {
      await expect(applyMigrations(conn, dir)).rejects.toThrow(/99999999999999_broken failed/);
      const broke = (await appliedRows(url)).find((r) => r.migration_name === '99999999999999_broken');
      expect(broke).toMatchObject({ finished_at: null, applied_steps_count: 0 });
      expect(broke.logs).toMatch(/no_such_table/);
      await expect(applyMigrations(conn, dir)).rejects.toThrow(/failed earlier/);
    } finally {
      await conn.close();
    }
  });
});

describe('applyMigrations on PGlite', () => {
  it('applies once, is idempotent, and serialises concurrent callers on one instance', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'caisson-pglite-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const t0 = performance.now();
    const db = await PGlite.create({ dataDir });
    const opened = performance.now();
    try {
      const conn = pgliteMigrationConnection(db);
      const [a, b] = await Promise.all([
        applyMigrations(conn, defaultMigrationsDir(), db),
        applyMigrations(pgliteMigrationConnection(db), defaultMigrationsDir(), db),
      ]);
      const migrated = performance.now();
      const local = await readMigrations(defaultMigrationsDir());
      expect([...a.applied, ...b.applied]).toEqual(local.map((m) => m.name));
      expect((await applyMigrations(conn, defaultMigrationsDir(), db)).applied).toEqual([]);
      const rows = (await db.query<{ checksum: string }>('SELECT checksum FROM _prisma_migrations')).rows;
      expect(rows.map((r) => r.checksum)).toEqual(local.map((m) => migrationChecksum(m.sql)));
      console.log(
        JSON.stringify({ pgliteOpenMs: Math.round(opened - t0), pgliteMigrateMs: Math.round(migrated - opened) }),
      );
    } finally {
      await db.close();
    }
  });

  it('the committed migration is the engine output for schema.prisma (no drift)', async () => {
    const local = await readMigrations(defaultMigrationsDir());
    const schema = await readFile(path.join(repoRoot, 'prisma/schema.prisma'), 'utf8');
    expect(schema).toContain('provider = "postgresql"');
    // prisma migrate diff --from-migrations … --to-schema … --exit-code: 0 = no difference.
    const url = await scratchPg();
    const diff = await prisma(
      ['migrate', 'diff', '--from-migrations', 'prisma/migrations', '--to-schema', 'prisma/schema.prisma', '--exit-code'],
      url,
    ).then(
      () => 0,
      (err: { code?: number }) => err.code ?? 1,
    );
    expect(diff).toBe(0);
    expect(local[0]!.name).toMatch(/^\d{14}_init$/);
  });
});
