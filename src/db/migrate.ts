// Applies the committed prisma/migrations/*/migration.sql in order, recording them in
// `_prisma_migrations` exactly as Prisma's schema engine does, so `prisma migrate
// status|deploy` agree. Needs no schema engine: this is how Caisson migrates at start.
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import {
  PRISMA_MIGRATION_LOCK_KEY,
  PRISMA_MIGRATIONS_TABLE_DDL,
  migrationChecksum,
  planMigrations,
  sortMigrations,
  type AppliedMigration,
  type LocalMigration,
} from './migration-plan.js';

/** One database session: the advisory lock is per session, so every call uses the same one. */
export interface MigrationConnection {
  /** Runs a script of several statements (simple protocol: one implicit transaction). */
  exec(sql: string): Promise<void>;
  query<R extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

export interface ApplyMigrationsResult {
  applied: string[];
  /** Applied in the database but not present locally (a newer release migrated it). */
  unknown: string[];
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** A session on an in-process PGlite (which is a single session already). Not closed by close(). */
export function pgliteMigrationConnection(db: PGlite): MigrationConnection {
  return {
    exec: async (sql) => {
      await db.exec(sql);
    },
    query: async <R extends Record<string, unknown>>(sql: string, params: unknown[] = []) =>
      (await db.query<R>(sql, params)).rows,
    close: async () => {},
  };
}

/** A dedicated pg client (not a pool: the advisory lock must stay on one session). */
export async function pgMigrationConnection(databaseUrl: string): Promise<MigrationConnection> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  return {
    exec: async (sql) => {
      await client.query(sql);
    },
    query: async <R extends Record<string, unknown>>(sql: string, params: unknown[] = []) =>
      (await client.query<R>(sql, params)).rows,
    close: () => client.end(),
  };
}

/** Reads `<dir>/*\/migration.sql`, ordered by directory name as Prisma does. */
export async function readMigrations(migrationsDir: string): Promise<LocalMigration[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const migrations: LocalMigration[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const file = path.join(migrationsDir, entry.name, 'migration.sql');
    const sql = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (sql !== null) migrations.push({ name: entry.name, sql });
  }
  return sortMigrations(migrations);
}

// PGlite is one session shared by every caller in the process, so its advisory lock is
// re-entrant for concurrent callers; this queue serialises them.
const inProcessQueues = new WeakMap<object, Promise<unknown>>();

function serialised<T>(key: object, fn: () => Promise<T>): Promise<T> {
  const previous = inProcessQueues.get(key) ?? Promise.resolve();
  const run = previous.catch(() => {}).then(fn);
  inProcessQueues.set(key, run);
  return run;
}

/**
 * Applies pending migrations under Prisma's advisory lock. Idempotent; refuses when an
 * applied migration's file changed or a previous attempt failed half-way.
 * `lockKey` identifies callers sharing one in-process session (the PGlite instance).
 */
export async function applyMigrations(
  conn: MigrationConnection,
  migrationsDir: string,
  lockKey: object = conn,
): Promise<ApplyMigrationsResult> {
  const local = await readMigrations(migrationsDir);
  return serialised(lockKey, async () => {
    await conn.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATION_LOCK_KEY]);
    try {
      return await applyLocked(conn, local);
    } finally {
      await conn.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATION_LOCK_KEY]);
    }
  });
}

async function applyLocked(conn: MigrationConnection, local: LocalMigration[]): Promise<ApplyMigrationsResult> {
  await ensureMigrationsTable(conn);
  const applied = await readApplied(conn);
  const plan = planMigrations(local, applied);
  if (plan.failed.length > 0) {
    throw new MigrationError(
      `migration(s) ${plan.failed.join(', ')} failed earlier and were not rolled back; ` +
        'fix the database, then `prisma migrate resolve --rolled-back <name>` (Prisma P3009)',
    );
  }
  if (plan.edited.length > 0) {
    throw new MigrationError(
      `migration(s) ${plan.edited.join(', ')} changed after being applied (checksum differs); ` +
        'restore the committed migration.sql and add a new migration instead',
    );
  }
  for (const migration of plan.pending) await applyOne(conn, migration);
  return { applied: plan.pending.map((m) => m.name), unknown: plan.unknown };
}

async function ensureMigrationsTable(conn: MigrationConnection): Promise<void> {
  const rows = await conn.query<{ exists: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM information_schema.tables
       WHERE table_schema = current_schema() AND table_name = '_prisma_migrations') AS "exists"`,
  );
  if (!rows[0]?.exists) await conn.exec(PRISMA_MIGRATIONS_TABLE_DDL);
}

async function readApplied(conn: MigrationConnection): Promise<AppliedMigration[]> {
  const rows = await conn.query<{
    migration_name: string;
    checksum: string;
    finished_at: Date | null;
    rolled_back_at: Date | null;
  }>('SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at ASC');
  return rows.map((r) => ({
    migrationName: r.migration_name,
    checksum: r.checksum,
    finishedAt: r.finished_at,
    rolledBackAt: r.rolled_back_at,
  }));
}

/** The engine's sequence: insert the row, run the script, then mark it finished (or log the error). */
async function applyOne(conn: MigrationConnection, migration: LocalMigration): Promise<void> {
  const id = randomUUID();
  await conn.query(
    'INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())',
    [id, migrationChecksum(migration.sql), migration.name],
  );
  try {
    await conn.exec(migration.sql);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await conn.query('UPDATE _prisma_migrations SET logs = $2 WHERE id = $1', [id, message]);
    throw new MigrationError(`migration ${migration.name} failed: ${message}`);
  }
  await conn.query(
    'UPDATE _prisma_migrations SET finished_at = now(), applied_steps_count = applied_steps_count + 1 WHERE id = $1',
    [id],
  );
}
