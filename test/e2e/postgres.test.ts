// The production path: the same platform with DATABASE_URL pointing at a real PostgreSQL
// server (Debian's, started by the suite's global set-up), migrated at start.
import { afterAll, beforeAll, expect, it } from 'vitest';
import pg from 'pg';
import { createScratchPostgres } from '../integration/db/databases.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployDir } from '../support/deploy.js';

let stack: TestStack;
let database: { url: string; drop(): Promise<void> };

beforeAll(async () => {
  database = await createScratchPostgres();
  stack = await startTestStack({ name: 'pg', databaseUrl: database.url });
});
afterAll(async () => {
  await stack?.stop();
  await database?.drop();
});

it('deploys and invokes with its records in PostgreSQL', async () => {
  await deployDir(stack.client, { dir: 'examples/hello-python', name: 'hello', runtime: 'python' });
  const ok = await stack.client.invocations.invoke.mutate({ function: 'hello', payload: { name: 'Postgres' } });
  expect(ok).toMatchObject({ status: 'SUCCEEDED', result: { message: 'Hello, Postgres!' } });
  await deployDir(stack.client, { dir: 'test/fixtures/functions/py-fail', name: 'fails', runtime: 'python' });
  const bad = await stack.client.invocations.invoke.mutate({ function: 'fails', payload: {} });
  expect(bad).toMatchObject({ status: 'FAILED', error: { kind: 'FunctionError' } });

  const sql = new pg.Client({ connectionString: database.url });
  await sql.connect();
  try {
    const rows = await sql.query('SELECT id, status FROM "Invocation" ORDER BY "createdAt"');
    expect(rows.rows).toEqual([{ id: ok.id, status: 'SUCCEEDED' }, { id: bad.id, status: 'FAILED' }]);
    const dl = await sql.query('SELECT "invocationId" FROM "DeadLetter"');
    expect(dl.rows).toEqual([{ invocationId: bad.id }]);
  } finally {
    await sql.end();
  }
});
