// Pure decisions of the migration runner: checksums, ordering, and what to apply.
// Mirrors Prisma's schema engine so the real CLI agrees with what the runner did.
import { createHash } from 'node:crypto';

/** Prisma's advisory-lock key for migrations (`SELECT pg_advisory_lock(72707369)`). */
export const PRISMA_MIGRATION_LOCK_KEY = 72707369;

/** Prisma's `_prisma_migrations` DDL for PostgreSQL, verbatim from the schema engine. */
export const PRISMA_MIGRATIONS_TABLE_DDL = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);`;

export interface LocalMigration {
  /** Directory name, e.g. `20261126073749_init`. */
  name: string;
  /** Content of its migration.sql. */
  sql: string;
}

export interface AppliedMigration {
  migrationName: string;
  checksum: string;
  finishedAt: Date | null;
  rolledBackAt: Date | null;
}

export interface MigrationPlan {
  /** Local migrations not yet applied, in order. */
  pending: LocalMigration[];
  /** Applied migrations whose file changed since (refuse to continue). */
  edited: string[];
  /** Started but neither finished nor rolled back (refuse, as `migrate deploy` does: P3009). */
  failed: string[];
  /** Applied to the database but absent locally (a newer release ran): informational. */
  unknown: string[];
}

/** Lowercase hex sha256 of the migration file, as the engine records it. */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql, 'utf8').digest('hex');
}

/** Prisma orders migration directories by name. */
export function sortMigrations<T extends { name: string }>(migrations: readonly T[]): T[] {
  return [...migrations].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Checksums match as the engine matches them: exactly, or after normalising CRLF to LF
 * (a checkout with autocrlf must not count as an edit).
 */
export function checksumMatches(sql: string, recorded: string): boolean {
  return migrationChecksum(sql) === recorded || migrationChecksum(sql.replace(/\r\n/g, '\n')) === recorded;
}

export function planMigrations(local: readonly LocalMigration[], applied: readonly AppliedMigration[]): MigrationPlan {
  const live = applied.filter((m) => m.rolledBackAt === null);
  const failed = live.filter((m) => m.finishedAt === null).map((m) => m.migrationName);
  const done = new Map(live.filter((m) => m.finishedAt !== null).map((m) => [m.migrationName, m]));
  const localNames = new Set(local.map((m) => m.name));
  const pending: LocalMigration[] = [];
  const edited: string[] = [];
  for (const migration of sortMigrations(local)) {
    const record = done.get(migration.name);
    if (!record) {
      if (!failed.includes(migration.name)) pending.push(migration);
    } else if (!checksumMatches(migration.sql, record.checksum)) {
      edited.push(migration.name);
    }
  }
  const unknown = [...done.keys()].filter((name) => !localNames.has(name));
  return { pending, edited, failed, unknown };
}
