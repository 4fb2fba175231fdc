// Namespaces isolate everything: every procedure of the api (walked from the router itself, so
// a new one cannot be forgotten), called by an admin key of another namespace against team-a's
// objects, is refused (FORBIDDEN by name, NOT_FOUND by id) and changes nothing; the same walk
// without a key is UNAUTHORIZED, and with the worker token FORBIDDEN. Then tenant B's attack on
// tenant A over plain HTTP, step by step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type CaissonClient } from '../../src/client/index.js';
import { appRouter } from '../../src/api/routers/_app.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { outcome, setUpTenantA, snapshotOfA, type TenantA } from './support/tenants.js';

let stack: TestStack;
let a: TenantA;
let b: CaissonClient;

beforeAll(async () => {
  stack = await startTestStack({ name: 'tenancy' });
  a = await setUpTenantA(stack);
  ({ client: b } = await stack.clientWithKey({ namespace: 'team-b', role: 'admin' }));
});
afterAll(async () => {
  await stack?.stop();
});

type Expect = 'FORBIDDEN' | 'NOT_FOUND' | ((value: unknown) => void);

/** What team-b's admin sends to each procedure, aimed at team-a, and what it must get. */
function attacks(): Record<string, { input?: unknown; expect: Expect }> {
  const ns = 'team-a';
  const code = Buffer.from('print("{}")').toString('base64');
  const definition = { name: 'a-chain', steps: [{ name: 'only', function: 'secret-fn' }] };
  const byName = (input: unknown) => ({ input, expect: 'FORBIDDEN' as const });
  const byId = (input: unknown) => ({ input, expect: 'NOT_FOUND' as const });
  return {
    'functions.create': byName({ namespace: ns, name: 'intruder', runtime: 'python', code, fileName: 'main.py' }),
    'functions.update': byName({ namespace: ns, name: a.function, code, fileName: 'main.py' }),
    'functions.deploy': byName({ namespace: ns, name: a.function, code, fileName: 'main.py' }),
    'functions.deployment': byId({ id: a.deploymentId }),
    'functions.buildLog': byId({ id: a.deploymentId, waitMs: 100 }),
    'functions.get': byName({ namespace: ns, name: a.function }),
    'functions.list': byName({ namespace: ns }),
    'functions.versions': byName({ namespace: ns, name: a.function }),
    'functions.delete': byName({ namespace: ns, name: a.function }),
    'invocations.invoke': byName({ namespace: ns, function: a.function, payload: {} }),
    'invocations.start': byName({ namespace: ns, function: a.function, payload: {} }),
    'invocations.get': byId({ id: a.invocationId }),
    'invocations.wait': byId({ id: a.invocationId, waitMs: 0 }),
    'invocations.logs': byId({ id: a.invocationId, after: 0 }),
    // Every namespace's counters: an admin of one namespace is refused before anything is read.
    'metrics.summary': byName(undefined),
    'invocations.list': byName({ namespace: ns }),
    'invocations.cancel': byId({ id: a.invocationId }),
    'chains.create': byName({ namespace: ns, definition: { ...definition, name: 'intruder' } }),
    'chains.update': byName({ namespace: ns, definition }),
    'chains.get': byName({ namespace: ns, name: 'a-chain' }),
    'chains.list': byName({ namespace: ns }),
    'chains.versions': byName({ namespace: ns, name: 'a-chain' }),
    'chains.delete': byName({ namespace: ns, name: 'a-chain' }),
    'chains.start': byName({ namespace: ns, name: 'a-chain', input: {} }),
    'chains.invoke': byName({ namespace: ns, name: 'a-chain', input: {} }),
    'chains.resume': byId({ id: a.chainInvocationId }),
    'chains.invocation': byId({ id: a.chainInvocationId }),
    'chains.invocations': byName({ namespace: ns }),
    'deadLetters.list': byName({ namespace: ns }),
    'deadLetters.get': byId({ id: a.deadLetterId }),
    'deadLetters.replay': byId({ id: a.deadLetterId }),
    'deadLetters.delete': byId({ id: a.deadLetterId }),
    'secrets.create': byName({ namespace: ns, name: 'intruder', value: 'x' }),
    'secrets.list': byName({ namespace: ns }),
    'secrets.delete': byName({ namespace: ns, name: a.secret }),
    'keys.create': byName({ namespace: ns, name: 'intruder', role: 'admin' }),
    'keys.list': { expect: (keys) => expect((keys as { namespace: string }[]).map((k) => k.namespace)).toEqual(['team-b']) },
    'keys.revoke': byId({ id: a.keyId }),
    'auth.whoami': { expect: (me) => expect(me).toMatchObject({ namespace: 'team-b', role: 'admin' }) },
    'audit.list': byName({ namespace: ns }),
    'namespace.get': byName({ namespace: ns }),
    'namespace.setQuota': byName({ namespace: ns, quotas: { functions: 0 } }),
    'schedules.create': byName({ namespace: ns, name: 'intruder', target: { kind: 'function', name: 'secret-fn' }, every: '1s' }),
    'schedules.update': byName({ namespace: ns, name: 'a-sched', every: '1s', payload: { stolen: true } }),
    'schedules.delete': byName({ namespace: ns, name: 'a-sched' }),
    'schedules.pause': byName({ namespace: ns, name: 'a-sched' }),
    'schedules.resume': byName({ namespace: ns, name: 'a-sched' }),
    'schedules.trigger': byName({ namespace: ns, name: 'a-sched' }),
    'schedules.get': byName({ namespace: ns, name: 'a-sched' }),
    'schedules.list': byName({ namespace: ns }),
  };
}

function call(client: CaissonClient, path: string, input: unknown): Promise<unknown> {
  const type = (appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>)[path]!._def.type;
  const [router, name] = path.split('.') as [string, string];
  const proc = (client as unknown as Record<string, Record<string, Record<string, (i: unknown) => Promise<unknown>>>>)[router]![name]!;
  return type === 'query' ? proc.query!(input) : proc.mutate!(input);
}

const paths = () => Object.keys(appRouter._def.procedures).sort();

describe('every procedure', () => {
  it('has an attack in this table (a new procedure must be added here)', () => {
    expect(paths()).toEqual(Object.keys(attacks()).sort());
  });

  it('refuses a key of another namespace and changes nothing of team-a', async () => {
    const before = await snapshotOfA(stack.client, a);
    for (const [path, attack] of Object.entries(attacks())) {
      const result = await outcome(call(b, path, attack.input));
      if (typeof attack.expect === 'function') {
        expect(result.ok, `${path}: ${JSON.stringify(result)}`).toBe(true);
        attack.expect((result as { value: unknown }).value);
      } else {
        expect(result, path).toMatchObject({ ok: false, code: attack.expect });
        // The answer names nothing of team-a beyond what the caller sent.
        expect((result as { message: string }).message, path).not.toMatch(/team-a only|secret-fn'? (exists|already)/);
      }
    }
    expect(await snapshotOfA(stack.client, a)).toEqual(before);
  });

  it('answers UNAUTHORIZED without a key or with an unknown one, FORBIDDEN to the worker token', async () => {
    const clients = {
      none: createClient(stack.api.url),
      unknown: createClient(stack.api.url, { apiKey: 'csk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }),
      worker: createClient(stack.api.url, { apiKey: stack.api.workerToken }),
    };
    const before = await snapshotOfA(stack.client, a);
    for (const [path, attack] of Object.entries(attacks())) {
      expect(await outcome(call(clients.none, path, attack.input)), path).toMatchObject({ ok: false, code: 'UNAUTHORIZED' });
      expect(await outcome(call(clients.unknown, path, attack.input)), path).toMatchObject({ ok: false, code: 'UNAUTHORIZED' });
      expect(await outcome(call(clients.worker, path, attack.input)), path).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    }
    expect(await snapshotOfA(stack.client, a)).toEqual(before);
  });

  it('answers a foreign id exactly as a missing one', async () => {
    const foreign = await outcome(b.invocations.get.query({ id: a.invocationId }));
    const missing = await outcome(b.invocations.get.query({ id: `inv_${'0'.repeat(32)}` }));
    expect(foreign).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(missing).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect((foreign as { message: string }).message.replace(a.invocationId, 'ID')).toBe((missing as { message: string }).message.replace(`inv_${'0'.repeat(32)}`, 'ID'));
  });

  it("resolves a chain's steps in its own namespace only", async () => {
    const r = await outcome(b.chains.create.mutate({ namespace: 'team-b', definition: { name: 'borrow', steps: [{ name: 's', function: 'secret-fn' }] } }));
    expect(r).toMatchObject({ ok: false, code: 'BAD_REQUEST', message: expect.stringContaining("does not exist in namespace 'team-b'") });
  });
});

describe("tenant B against tenant A's function, over HTTP", () => {
  const get = (path: string, key?: string) => fetch(`${stack.api.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  const post = (path: string, body: unknown, key?: string) => fetch(`${stack.api.url}${path}`, {
    method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
  });
  const q = (input: unknown) => `?input=${encodeURIComponent(JSON.stringify(input))}`;

  it('fails at every step: read env, download code, read invocations, replace code, delete', async () => {
    const { key: bKey } = await stack.clientWithKey({ namespace: 'team-b', role: 'admin' });
    const ref = { namespace: 'team-a', name: a.function };
    for (const key of [undefined, bKey]) {
      const denied = key ? 403 : 401;
      expect((await get(`/trpc/functions.get${q(ref)}`, key)).status).toBe(denied);
      expect((await get(`/artifacts/${a.artifactSha256}`, key)).status).toBe(denied);
      expect((await get(`/trpc/invocations.list${q({ namespace: 'team-a' })}`, key)).status).toBe(denied);
      expect((await post('/trpc/functions.update', { ...ref, code: Buffer.from('print(1)').toString('base64'), fileName: 'main.py' }, key)).status).toBe(denied);
      expect((await post('/trpc/functions.delete', ref, key)).status).toBe(denied);
      expect((await get('/blobs/blob_x', key)).status).toBe(denied);
      expect((await fetch(`${stack.api.url}/blobs`, { method: 'PUT', body: 'x', headers: key ? { authorization: `Bearer ${key}` } : {} })).status).toBe(denied);
    }
    // team-a's own key reads its function; its code is the workers' (a key of one namespace cannot fetch code by hash).
    expect((await a.client.functions.get.query(ref))?.name).toBe(a.function);
    expect((await get(`/artifacts/${a.artifactSha256}`, stack.api.workerToken)).status).toBe(200);
    expect((await get('/healthz')).status).not.toBe(401);
  });
});
