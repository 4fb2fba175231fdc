// Opens Caisson's database: PGlite in-process (embedded default, data under dataDir) or
// PostgreSQL through @prisma/adapter-pg, migrated at start. Nothing happens at import.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/client.js';
import {
  applyMigrations,
  pgMigrationConnection,
  pgliteMigrationConnection,
  type ApplyMigrationsResult,
} from './migrate.js';

export type DatabaseKind = 'pglite' | 'postgres';

export interface Database {
  prisma: PrismaClient;
  kind: DatabaseKind;
  /** What the start-up migration applied (empty when `migrate: false` or up to date). */
  migrations: ApplyMigrationsResult;
  /** A round trip to the database (health checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface CreateDatabaseOptions {
  /** postgres:// or postgresql:// URL; absent → embedded PGlite under dataDir. */
  databaseUrl?: string;
  /** Where PGlite keeps its files (`<dataDir>/pglite`); created if missing. */
  dataDir: string;
  /** Apply committed migrations before returning (default true). */
  migrate?: boolean;
  /** Defaults to the repository's prisma/migrations. */
  migrationsDir?: string;
}

/** The committed migrations, located from this file (src/db → ../../prisma/migrations). */
export function defaultMigrationsDir(): string {
  return fileURLToPath(new URL('../../prisma/migrations', import.meta.url));
}

export function databaseKind(databaseUrl: string | undefined): DatabaseKind {
  if (!databaseUrl) return 'pglite';
  if (/^postgres(ql)?:\/\//i.test(databaseUrl)) return 'postgres';
  throw new Error(`unsupported database URL scheme: ${databaseUrl.split(':')[0]}: (expected postgresql://)`);
}

export async function createDatabase(options: CreateDatabaseOptions): Promise<Database> {
  const kind = databaseKind(options.databaseUrl);
  const migrationsDir = options.migrationsDir ?? defaultMigrationsDir();
  const migrate = options.migrate ?? true;
  const noMigrations: ApplyMigrationsResult = { applied: [], unknown: [] };

  if (kind === 'pglite') {
    const dir = `${options.dataDir.replace(/\/+$/, '')}/pglite`;
    await mkdir(dir, { recursive: true });
    const pglite = await PGlite.create({ dataDir: dir });
    try {
      const migrations = migrate
        ? await applyMigrations(pgliteMigrationConnection(pglite), migrationsDir, pglite)
        : noMigrations;
      const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
      return {
        prisma,
        kind,
        migrations,
        ping: () => ping(prisma),
        close: async () => {
          await prisma.$disconnect();
          if (!pglite.closed) await pglite.close();
        },
      };
    } catch (err) {
      await pglite.close();
      throw err;
    }
  }

  const databaseUrl = options.databaseUrl as string;
  let migrations = noMigrations;
  if (migrate) {
    const conn = await pgMigrationConnection(databaseUrl);
    try {
      migrations = await applyMigrations(conn, migrationsDir);
    } finally {
      await conn.close();
    }
  }
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
  return { prisma, kind, migrations, ping: () => ping(prisma), close: () => prisma.$disconnect() };
}

async function ping(prisma: PrismaClient): Promise<void> {
  await prisma.$queryRaw`SELECT 1`;
}
