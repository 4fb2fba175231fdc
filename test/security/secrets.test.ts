// Secrets against the real stack: an OpenFaaS function reads its secret where OpenFaaS puts it
// (warm and cold), namespaces and roles confine secrets, deploy and rm refuse clearly, and a
// known value is nowhere but in the container: not in Temporal's histories, memos or search
// attributes, not in any database row (nor any file under CAISSON_HOME), not in the
// platform's logs, not in any api answer.
import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { CaissonClient } from '../../src/client/index.js';
import { packCode } from '../../src/cli/code-package.js';
import { findTemporalCli } from '../../src/cli/processes/temporal-cli.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { outcome } from './support/tenants.js';

const run = promisify(execFile);
const namespace = 'team-s';
const other = 'team-o';
/** The known value: grepped for everywhere afterwards. */
const KNOWN = `known-secret-${randomBytes(12).toString('hex')}`;
const logs: string[] = [];
const seen: unknown[] = [];
/** Every api answer of this file is kept, to be grepped for the value at the end. */
const keep = <T>(value: T): T => {
  seen.push(value);
  return value;
};

let stack: TestStack;
let stopped = false;
let home: string;
let dev: CaissonClient;

async function deployHmac(client: CaissonClient, name: string, opts: { fresh?: boolean; secrets?: Array<{ name: string; env?: string }> } = {}) {
  const packed = await packCode(join(process.cwd(), 'test/fixtures/security/py-openfaas-hmac'));
  return client.functions.create.mutate({
    namespace, name, runtime: 'python', code: packed.code, fileName: packed.fileName, convention: 'openfaas',
    secrets: opts.secrets ?? [{ name: 'webhook-key', env: 'WEBHOOK_KEY' }], env: { GREETING: 'plain env value' },
    retryPolicy: { maxAttempts: 1 }, ...(opts.fresh ? { warm: { isolation: 'fresh' as const } } : {}),
  });
}

function webhook(body: string, key: string) {
  return { method: 'POST', path: '/hook', body, headers: { 'X-Hub-Signature-256': `sha256=${createHmac('sha256', key).update(body).digest('hex')}` } };
}

beforeAll(async () => {
  stack = await startTestStack({ name: 'secrets', log: (m) => logs.push(m) });
  home = stack.config.home;
  dev = (await stack.clientWithKey({ namespace, role: 'developer' })).client;
  keep(await dev.secrets.create.mutate({ namespace, name: 'webhook-key', value: KNOWN }));
});
afterAll(async () => {
  if (!stopped) await stack?.stop();
});

describe('an OpenFaaS function reads its secret as on OpenFaaS', () => {
  it.each([['warm', false], ['cold', true]] as const)('validates an HMAC with /var/openfaas/secrets/webhook-key (%s)', async (_path, fresh) => {
    const name = `hmac-${fresh ? 'cold' : 'warm'}`;
    const spec = keep(await deployHmac(dev, name, { fresh }));
    expect(spec.secrets).toEqual([{ name: 'webhook-key', env: 'WEBHOOK_KEY' }]);
    const good = keep(await dev.invocations.invoke.mutate({ namespace, function: name, payload: webhook('{"event":"push"}', KNOWN) }));
    expect(good.status).toBe('SUCCEEDED');
    expect(good.result).toMatchObject({ statusCode: 200 });
    expect(JSON.parse((good.result as { body: string }).body)).toEqual({
      valid: true, sameInRunSecrets: true, envMatches: true, fileWritable: false, dirWritable: false, mode: '0o444', listing: ['webhook-key'],
    });
    const forged = keep(await dev.invocations.invoke.mutate({ namespace, function: name, payload: webhook('{"event":"push"}', 'not the key') }));
    expect(forged.result).toMatchObject({ statusCode: 401 });
    expect(forged.cold).toBe(fresh); // warm: the container that served the first call
  });

  it('a chain step whose container was created ahead (while the step before ran) has its secret too', async () => {
    const webhookIn = { function: 'hmac-cold', input: '$.input' };
    await dev.chains.create.mutate({ namespace, definition: { name: 'hmac-twice', steps: [{ name: 'first', ...webhookIn }, { name: 'second', ...webhookIn }] } });
    const chain = keep(await dev.chains.invoke.mutate({ namespace, name: 'hmac-twice', input: webhook('{"event":"tag"}', KNOWN) }));
    expect(chain.status).toBe('SUCCEEDED');
    expect(chain.result).toMatchObject({ statusCode: 200 });
    expect(JSON.parse((chain.result as { body: string }).body)).toMatchObject({ valid: true, envMatches: true });
  });

  const mounted = async () => {
    const root = `${join(stack.config.worker.dataDir, 'secrets')}/`;
    return (await readFile('/proc/mounts', 'utf8')).split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(root)).map((m) => m.slice(root.length));
  };
  const until = async (done: () => Promise<boolean>) => {
    for (let i = 0; i < 100 && !(await done()); i++) await new Promise((r) => setTimeout(r, 50));
  };

  it('keeps a secrets tmpfs only for the warm containers still alive: a cold attempt takes its own away', async () => {
    const cold = async () => (await mounted()).filter((m) => !m.startsWith('caisson-warm-'));
    // A synchronous invoke is answered before its cold container's removal ends.
    await until(async () => (await cold()).length === 0);
    expect(await cold()).toEqual([]);
    expect((await mounted()).length).toBeGreaterThan(0);
  });

  it('a warm container retired (its function deleted) takes its secrets tmpfs with it', async () => {
    const before = (await mounted()).sort();
    await deployHmac(dev, 'hmac-retired');
    expect(keep(await dev.invocations.invoke.mutate({ namespace, function: 'hmac-retired', payload: webhook('{}', KNOWN) })).result).toMatchObject({ statusCode: 200 });
    expect((await mounted()).length).toBe(before.length + 1);
    await dev.functions.delete.mutate({ namespace, name: 'hmac-retired' });
    await stack.worker!.reconcileCodeCache(); // retires the warm pools of deleted versions
    await until(async () => (await mounted()).length === before.length);
    expect((await mounted()).sort()).toEqual(before);
  });
});

describe('namespaces and roles', () => {
  it('another namespace neither reads, lists, deletes nor uses the secret, nor learns it exists', async () => {
    const foreign = (await stack.clientWithKey({ namespace: other, role: 'admin' })).client;
    expect(await outcome(foreign.secrets.list.query({ namespace }))).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(await outcome(foreign.secrets.delete.mutate({ namespace, name: 'webhook-key' }))).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(await outcome(foreign.secrets.create.mutate({ namespace, name: 'webhook-key', value: 'x' }))).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(keep(await foreign.secrets.list.query({ namespace: other }))).toEqual([]);
    // Naming it from its own namespace is the same answer as naming one that exists nowhere.
    const packed = await packCode(join(process.cwd(), 'test/fixtures/security/py-openfaas-hmac'));
    const deploy = (secret: string) => outcome(foreign.functions.create.mutate({
      namespace: other, name: 'thief', runtime: 'python', code: packed.code, fileName: packed.fileName, convention: 'openfaas', secrets: [{ name: secret }],
    }));
    const stolen = await deploy('webhook-key');
    const nowhere = await deploy('no-such-secret');
    expect(stolen).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(stolen.ok === false && stolen.message.replace('webhook-key', 'no-such-secret')).toBe(nowhere.ok === false && nowhere.message);
    // Its own secret of the same name is its own.
    keep(await foreign.secrets.create.mutate({ namespace: other, name: 'webhook-key', value: 'team-o value' }));
    expect((await dev.secrets.list.query({ namespace })).map((s) => s.name)).toEqual(['webhook-key']);
  });

  it('developers and admins manage secrets; readers list names, sizes and dates; invokers do neither', async () => {
    const reader = (await stack.clientWithKey({ namespace, role: 'reader' })).client;
    const invoker = (await stack.clientWithKey({ namespace, role: 'invoker' })).client;
    const admin = (await stack.clientWithKey({ namespace, role: 'admin' })).client;
    for (const client of [reader, invoker]) {
      expect(await outcome(client.secrets.create.mutate({ namespace, name: 'nope', value: 'x' }))).toMatchObject({ ok: false, code: 'FORBIDDEN' });
      expect(await outcome(client.secrets.delete.mutate({ namespace, name: 'webhook-key' }))).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    }
    expect(await outcome(invoker.secrets.list.query({ namespace }))).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    const listed = keep(await reader.secrets.list.query({ namespace }));
    expect(listed).toEqual([{ namespace, name: 'webhook-key', sizeBytes: KNOWN.length, createdAt: expect.any(String) }]);
    keep(await admin.secrets.create.mutate({ namespace, name: 'admin-made', valueBase64: Buffer.from([0, 1, 2, 255]).toString('base64') }));
    expect(keep(await admin.secrets.delete.mutate({ namespace, name: 'admin-made' }))).toEqual({ deleted: true, name: 'admin-made' });
    expect(await outcome(admin.secrets.create.mutate({ namespace, name: 'webhook-key', value: 'again' }))).toMatchObject({ ok: false, code: 'CONFLICT' });
  });

  it('answers plain env values to developers only; readers get the names with null values', async () => {
    const reader = (await stack.clientWithKey({ namespace, role: 'reader' })).client;
    const [asReader] = keep(await reader.functions.versions.query({ namespace, name: 'hmac-warm' }));
    expect(asReader).toMatchObject({ env: { GREETING: null }, envRedacted: true, secrets: [{ name: 'webhook-key', env: 'WEBHOOK_KEY' }] });
    const [asDev] = keep(await dev.functions.versions.query({ namespace, name: 'hmac-warm' }));
    expect(asDev).toMatchObject({ env: { GREETING: 'plain env value' }, envRedacted: false });
    expect(keep(await reader.functions.get.query({ namespace, name: 'hmac-warm' }))).toMatchObject({ secrets: [{ name: 'webhook-key', env: 'WEBHOOK_KEY' }] });
  });
});

describe('clear refusals', () => {
  it('a version naming a missing secret is refused at deploy with a 400 naming it', async () => {
    const r = await outcome(deployHmac(dev, 'hmac-missing', { secrets: [{ name: 'webhook-key' }, { name: 'db-password' }] }));
    expect(r).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(r.ok === false && r.message).toMatch(/secret 'db-password' not found in namespace 'team-s'/);
    expect(await dev.functions.get.query({ namespace, name: 'hmac-missing' })).toBeNull();
  });

  it('bad names and env vars are refused naming the field', async () => {
    const badName = await outcome(dev.secrets.create.mutate({ namespace, name: '../etc/passwd', value: 'x' }));
    expect(badName.ok === false && badName.message).toMatch(/^name: /);
    const badEnv = await outcome(deployHmac(dev, 'hmac-bad', { secrets: [{ name: 'webhook-key', env: 'CAISSON_X' }] }));
    expect(badEnv.ok === false && badEnv.message).toMatch(/^secrets\.0\.env: reserved/);
    const tooBig = await outcome(dev.secrets.create.mutate({ namespace, name: 'big', valueBase64: Buffer.alloc(64 * 1024 + 1).toString('base64') }));
    expect(tooBig).toMatchObject({ ok: false, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('rm of a secret in use is refused listing the functions; once unused it goes', async () => {
    keep(await dev.secrets.create.mutate({ namespace, name: 'rotating', value: 'old' }));
    await deployHmac(dev, 'uses-rotating', { fresh: true, secrets: [{ name: 'rotating' }] });
    const refused = await outcome(dev.secrets.delete.mutate({ namespace, name: 'rotating' }));
    expect(refused).toMatchObject({ ok: false, code: 'CONFLICT' });
    expect(refused.ok === false && refused.message).toMatch(/used by function 'uses-rotating'/);
    await dev.functions.delete.mutate({ namespace, name: 'uses-rotating' });
    expect(await dev.secrets.delete.mutate({ namespace, name: 'rotating' })).toEqual({ deleted: true, name: 'rotating' });
    expect(await outcome(dev.secrets.delete.mutate({ namespace, name: 'rotating' }))).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('a secret gone from under a version (straight from the database) fails its attempts as a FunctionError naming it', async () => {
    keep(await dev.secrets.create.mutate({ namespace, name: 'vanishing', value: 'soon gone' }));
    await deployHmac(dev, 'uses-vanishing', { fresh: true, secrets: [{ name: 'vanishing' }] });
    expect(await stack.api.db.secrets.delete(namespace, 'vanishing')).toBe(true);
    const failed = keep(await dev.invocations.invoke.mutate({ namespace, function: 'uses-vanishing', payload: webhook('{}', 'x') }));
    expect(failed).toMatchObject({ status: 'FAILED', error: { kind: 'FunctionError', message: expect.stringContaining("secret 'vanishing' not found in namespace 'team-s'") } });
  });

  it('the value route answers the worker token only', async () => {
    const body = JSON.stringify({ namespace, names: ['webhook-key'] });
    const post = (authorization: string) => fetch(`${stack.api.url}/secrets/resolve`, { method: 'POST', body, headers: { authorization, 'content-type': 'application/json' } });
    expect((await post(`Bearer ${stack.adminKey}`)).status).toBe(403);
    expect((await post('Bearer csk_nope')).status).toBe(401);
    const worker = await post(`Bearer ${stack.api.workerToken}`);
    expect(worker.status).toBe(200);
    expect(worker.headers.get('cache-control')).toBe('no-store');
  });
});

describe('the known value is nowhere but in the container', () => {
  const needles = [KNOWN, Buffer.from(KNOWN).toString('base64'), Buffer.from(KNOWN).toString('hex')];
  const expectNone = (what: string, text: string) => {
    for (const n of needles) expect(text.includes(n), `${what} holds the secret value`).toBe(false);
  };

  it('not in any api answer, nor in the platform logs', () => {
    expectNone('api answers', JSON.stringify(seen));
    expectNone('api and worker logs', logs.join('\n'));
  });

  it("not in Temporal's histories, memos or search attributes", async () => {
    const cli = findTemporalCli(join(process.cwd(), '.caisson'));
    const address = inject('temporalAddress');
    const temporal = async (args: string[]) => (await run(cli, [...args, '--address', address, '--namespace', 'default', '--output', 'json'], { maxBuffer: 64 * 1024 * 1024 })).stdout;
    const listed = JSON.parse(await temporal(['workflow', 'list', '--limit', '500'])) as Array<{ execution: { workflowId: string } }>;
    const ids = [...new Set(listed.map((w) => w.execution.workflowId))];
    expect(ids.length).toBeGreaterThan(4);
    for (const id of ids) {
      const history = await temporal(['workflow', 'show', '--workflow-id', id]);
      expect(history).toContain('WORKFLOW_EXECUTION_STARTED'); // a real history was read
      expectNone(`history of ${id}`, history);
      expectNone(`description of ${id}`, await temporal(['workflow', 'describe', '--workflow-id', id]));
    }
    expectNone("the Temporal server's log", await readFile(join(process.cwd(), '.caisson', 'logs', 'temporal-test.log'), 'utf8').catch(() => ''));
  });

  it('not in any database row, nor in any file under CAISSON_HOME, once the stack stopped', async () => {
    stopped = true;
    await stack.stop();
    const db = await PGlite.create({ dataDir: join(stack.config.pgliteDir, 'pglite') });
    try {
      const tables = (await db.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).rows.map((r) => r.table_name);
      expect(tables).toContain('Secret');
      for (const table of tables) {
        const rows = (await db.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${table}" t`)).rows.map((r) => r.row).join('\n');
        expectNone(`table ${table}`, rows);
        if (table === 'FunctionVersion') expect(rows).toContain('plain env value'); // the dump reads real rows
      }
      const sealed = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM "Secret" WHERE namespace = $1', [namespace])).rows[0]!.n;
      expect(sealed).toBe(1);
    } finally {
      await db.close();
    }
    // Raw bytes, everywhere: the database's files, the worker's data dir (the secrets tmpfs are unmounted by now).
    const mounts = await readFile('/proc/mounts', 'utf8');
    expect(mounts.includes(home)).toBe(false);
    const needle = Buffer.from(KNOWN);
    for (const entry of await readdir(home, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      expect((await readFile(path)).includes(needle), `${path} holds the secret value`).toBe(false);
    }
  });
});
