// The two real databases every db integration test runs against: PGlite in a temp dir
// and a fresh database on a real PostgreSQL server (dropped afterwards).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createDatabase, type CreateDatabaseOptions, type Database } from '../../../src/db/client.js';

export type TargetKind = 'pglite' | 'postgres';
export const TARGETS: TargetKind[] = ['pglite', 'postgres'];
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** CAISSON_TEST_DATABASE_URL (set by postgres.global-setup.ts), else the script is run here. */
export function postgresServerUrl(): string {
  const fromEnv = process.env['CAISSON_TEST_DATABASE_URL'];
  if (fromEnv) return fromEnv;
  const script = path.join(repoRoot, 'scripts/db/postgres-test-server.sh');
  const url = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  process.env['CAISSON_TEST_DATABASE_URL'] = url;
  return url;
}

/** A new empty database on the test server; drop() removes it. */
export async function createScratchPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  const server = postgresServerUrl();
  const name = `caisson_t_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: server });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface OpenTarget {
  db: Database;
  /** For PGlite, the dataDir; for PostgreSQL, the database URL. */
  location: string;
  dispose(): Promise<void>;
}

/** Opens (and migrates) a fresh database of the given kind. */
export async function openTarget(kind: TargetKind, options: Partial<CreateDatabaseOptions> = {}): Promise<OpenTarget> {
  if (kind === 'pglite') {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'caisson-db-'));
    const db = await createDatabase({ dataDir, ...options });
    return { db, location: dataDir, dispose: async () => { await db.close(); await rm(dataDir, { recursive: true, force: true }); } };
  }
  const scratch = await createScratchPostgres();
  const db = await createDatabase({ dataDir: '/nonexistent', databaseUrl: scratch.url, ...options });
  return { db, location: scratch.url, dispose: async () => { await db.close(); await scratch.drop(); } };
}
