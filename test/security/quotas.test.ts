// Per-namespace quotas against the real stack: a namespace at its concurrency quota waits, then
// gets 429, while another namespace runs unhindered at the same time; the rate quota answers 429
// at once with Retry-After; the function and version quotas refuse a deploy and change nothing;
// only an admin of every namespace sets quotas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployDir } from '../support/deploy.js';
import { outcome } from './support/tenants.js';

const QUEUE_WAIT_MS = 1500;
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ name: 'quotas', env: { CAISSON_QUOTA_QUEUE_WAIT_MS: String(QUEUE_WAIT_MS) } });
  for (const namespace of ['quota-a', 'quota-b', 'quota-c']) {
    await deployDir(stack.client, { dir: 'test/fixtures/functions/py-failures', name: 'echo', runtime: 'python', namespace, timeoutMs: 30_000 });
  }
});
afterAll(async () => {
  await stack?.stop();
});

const timed = async <T>(call: Promise<T>) => {
  const t0 = performance.now();
  const result = await outcome(call);
  return { ...result, ms: performance.now() - t0 };
};

describe('concurrency quota', () => {
  it('queues, then refuses the extra invoke of a namespace at its quota while another runs at full speed', async () => {
    const admin = stack.client;
    await admin.namespace.setQuota.mutate({ namespace: 'quota-a', quotas: { concurrentInvocations: 1 } });
    for (let i = 0; i < 3; i++) await admin.invocations.invoke.mutate({ namespace: 'quota-b', function: 'echo', payload: { warm: i } });

    const slow = admin.invocations.invoke.mutate({ namespace: 'quota-a', function: 'echo', payload: { mode: 'sleep', seconds: 5 } });
    let slowDone = false;
    void slow.finally(() => { slowDone = true; });
    // The slow one is admitted (its row is PENDING) before the extra one asks.
    for (let i = 0; i < 100 && (await admin.namespace.get.query({ namespace: 'quota-a' })).usage.concurrentInvocations < 1; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const extra = timed(admin.invocations.invoke.mutate({ namespace: 'quota-a', function: 'echo', payload: {} }));
    const asyncExtra = timed(admin.invocations.start.mutate({ namespace: 'quota-a', function: 'echo', payload: {} }));
    const b: { ok: boolean; ms: number }[] = [];
    for (let i = 0; i < 5; i++) b.push(await timed(admin.invocations.invoke.mutate({ namespace: 'quota-b', function: 'echo', payload: { i } })));
    const bDoneWhileAFull = !slowDone;

    const refused = await extra;
    expect(refused).toMatchObject({ ok: false, code: 'TOO_MANY_REQUESTS', message: expect.stringContaining('concurrentInvocations = 1') });
    expect(refused.ms).toBeGreaterThanOrEqual(QUEUE_WAIT_MS - 50);
    expect(await asyncExtra).toMatchObject({ ok: false, code: 'TOO_MANY_REQUESTS' });
    // Namespace B was never queued behind A: all five ran, one after the other, while A's only
    // slot was taken, and none of them waited anything like A's queue wait.
    expect(b.every((r) => r.ok)).toBe(true);
    expect(bDoneWhileAFull).toBe(true);
    expect(b.map((r) => r.ms).sort((x, y) => x - y)[2]).toBeLessThan(QUEUE_WAIT_MS);
    // What was admitted is never lost.
    expect(await slow).toMatchObject({ status: 'SUCCEEDED', result: { slept: true } });
    // A slot is free again.
    expect((await admin.invocations.invoke.mutate({ namespace: 'quota-a', function: 'echo', payload: { after: 1 } })).status).toBe('SUCCEEDED');
  });
});

describe('slots held by invocations that never started', () => {
  it('are freed once the namespace is refused: the row is recorded FAILED, the next invoke runs', async () => {
    const namespace = 'quota-b';
    const fn = (await stack.client.functions.get.query({ namespace, name: 'echo' }))!;
    // A row accepted 20 minutes ago whose run never started (an api stopped between the two).
    const id = `inv_${'7'.repeat(32)}`;
    await stack.api.db.invocations.create({ id, namespace, functionName: 'echo', functionId: fn.id, version: 1, createdAt: new Date(Date.now() - 20 * 60_000) });
    await stack.client.namespace.setQuota.mutate({ namespace, quotas: { concurrentInvocations: 1 } });
    expect(await outcome(stack.client.invocations.invoke.mutate({ namespace, function: 'echo' }))).toMatchObject({ ok: false, code: 'TOO_MANY_REQUESTS' });
    let status = 'PENDING';
    for (let i = 0; i < 100 && status === 'PENDING'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await stack.api.db.invocations.get(id))!.status;
    }
    expect(await stack.api.db.invocations.get(id)).toMatchObject({ status: 'FAILED', errorKind: 'InfrastructureError' });
    expect((await stack.client.invocations.invoke.mutate({ namespace, function: 'echo' })).status).toBe('SUCCEEDED');
    await stack.client.namespace.setQuota.mutate({ namespace, quotas: { concurrentInvocations: null } });
  });
});

describe('rate quota', () => {
  it('answers 429 at once with Retry-After past the per-minute quota', async () => {
    await stack.client.namespace.setQuota.mutate({ namespace: 'quota-c', quotas: { invocationsPerMinute: 2 } });
    for (let i = 0; i < 2; i++) expect((await stack.client.invocations.invoke.mutate({ namespace: 'quota-c', function: 'echo' })).status).toBe('SUCCEEDED');
    const third = await timed(stack.client.invocations.invoke.mutate({ namespace: 'quota-c', function: 'echo' }));
    expect(third).toMatchObject({ ok: false, code: 'TOO_MANY_REQUESTS', message: expect.stringContaining('invocationsPerMinute = 2') });
    expect(third.ms).toBeLessThan(QUEUE_WAIT_MS);
    const res = await fetch(`${stack.api.url}/trpc/invocations.start`, {
      method: 'POST', body: JSON.stringify({ namespace: 'quota-c', function: 'echo' }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminKey}` },
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    const view = await stack.client.namespace.get.query({ namespace: 'quota-c' });
    expect(view).toMatchObject({ quotas: { invocationsPerMinute: 2 }, overrides: { invocationsPerMinute: 2, functions: null }, usage: { invocationsPerMinute: 2 } });
  });
});

describe('stored-object quotas', () => {
  it('refuses the extra function and the extra version with a message naming the quota, changing nothing', async () => {
    const namespace = 'quota-d';
    await stack.client.namespace.setQuota.mutate({ namespace, quotas: { functions: 1, versions: 2 } });
    const code = (s: string) => Buffer.from(`print('${s}')`).toString('base64');
    await stack.client.functions.create.mutate({ namespace, name: 'one', runtime: 'python', code: code('{}'), fileName: 'main.py' });
    const second = await outcome(stack.client.functions.create.mutate({ namespace, name: 'two', runtime: 'python', code: code('{}'), fileName: 'main.py' }));
    expect(second).toMatchObject({ ok: false, code: 'TOO_MANY_REQUESTS', message: expect.stringContaining("namespace 'quota-d' is at its quota functions = 1") });
    expect((await stack.client.functions.list.query({ namespace })).items.map((f) => f.name)).toEqual(['one']);

    await stack.client.functions.update.mutate({ namespace, name: 'one', code: code('{"v": 2}'), fileName: 'main.py' });
    const third = await outcome(stack.client.functions.update.mutate({ namespace, name: 'one', code: code('{"v": 3}'), fileName: 'main.py' }));
    expect(third).toMatchObject({ ok: false, code: 'TOO_MANY_REQUESTS', message: expect.stringContaining('versions = 2') });
    expect((await stack.client.functions.versions.query({ namespace, name: 'one' })).length).toBe(2);
    expect((await stack.client.namespace.get.query({ namespace })).usage).toMatchObject({ functions: 1, versions: 2 });

    // Back to the defaults: the next deploy goes through.
    await stack.client.namespace.setQuota.mutate({ namespace, quotas: { functions: null, versions: null } });
    await stack.client.functions.create.mutate({ namespace, name: 'two', runtime: 'python', code: code('{}'), fileName: 'main.py' });
  });
});

describe('who sets quotas', () => {
  it('only an admin of every namespace; any key that reads the namespace sees them', async () => {
    const namespace = 'quota-a';
    for (const role of ['admin', 'developer', 'reader'] as const) {
      const { client } = await stack.clientWithKey({ namespace, role });
      expect(await outcome(client.namespace.setQuota.mutate({ namespace, quotas: { concurrentInvocations: 1000 } })), role)
        .toMatchObject({ ok: false, code: 'FORBIDDEN' });
    }
    const { client: reader } = await stack.clientWithKey({ namespace, role: 'reader' });
    const view = await reader.namespace.get.query({ namespace });
    expect(view.quotas.concurrentInvocations).toBe(1);
    expect(view.defaults.concurrentInvocations).toBe(100);
    expect(await outcome(reader.namespace.get.query({ namespace: 'quota-b' }))).toMatchObject({ ok: false, code: 'FORBIDDEN' });
  });
});
