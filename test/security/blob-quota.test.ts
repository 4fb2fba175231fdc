// The blobBytes quota against the real stack: a namespace at its quota gets 429 for a large
// payload (nothing stored) while another's works; a result past the quota fails as
// InvalidOutput naming it; worker-written blobs are charged to their invocation's namespace,
// and the worker token writes none without naming a live invocation; the retention sweep
// deletes old blobs no live record needs and keeps those a running invocation or a dead
// letter awaiting replay refers to.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepBlobs } from '../../src/api/blob-retention.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployDir } from '../support/deploy.js';
import { outcome } from './support/tenants.js';

const INLINE = 1024;
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ name: 'blobquota', env: { CAISSON_INLINE_PAYLOAD_BYTES: String(INLINE) } });
  for (const namespace of ['blob-a', 'blob-b', 'blob-c', 'blob-r']) {
    await deployDir(stack.client, { dir: 'test/fixtures/functions/py-failures', name: 'echo', runtime: 'python', namespace, timeoutMs: 30_000, maxAttempts: 1 });
  }
});
afterAll(async () => {
  await stack?.stop();
});

/** A payload whose JSON is `bytes` long (over the inline size: it travels as a blob). */
const large = (bytes: number, extra: Record<string, unknown> = {}) => {
  const base = JSON.stringify({ ...extra, pad: '' }).length;
  return { ...extra, pad: 'x'.repeat(bytes - base) };
};
const blobUsage = async (namespace: string) => (await stack.client.namespace.get.query({ namespace })).usage.blobBytes;

describe('blobBytes quota', () => {
  it('refuses a large payload of a namespace at its quota before storing it, while another namespace runs', async () => {
    await stack.client.namespace.setQuota.mutate({ namespace: 'blob-a', quotas: { blobBytes: 1000 } });
    const refused = await outcome(stack.client.invocations.invoke.mutate({ namespace: 'blob-a', function: 'echo', payload: large(2000) }));
    expect(refused).toMatchObject({ ok: false, code: 'TOO_MANY_REQUESTS', message: expect.stringContaining("namespace 'blob-a' is at its quota blobBytes = 1000") });
    const started = await outcome(stack.client.invocations.start.mutate({ namespace: 'blob-a', function: 'echo', payload: large(2000) }));
    expect(started).toMatchObject({ ok: false, code: 'TOO_MANY_REQUESTS' });
    expect(await blobUsage('blob-a')).toBe(0);
    expect((await stack.client.invocations.list.query({ namespace: 'blob-a' })).items).toHaveLength(0);
    // A small payload travels inline: no blob, no refusal.
    expect((await stack.client.invocations.invoke.mutate({ namespace: 'blob-a', function: 'echo', payload: { small: 1 } })).status).toBe('SUCCEEDED');

    const payload = large(2000);
    const other = await stack.client.invocations.invoke.mutate({ namespace: 'blob-b', function: 'echo', payload });
    expect(other).toMatchObject({ status: 'SUCCEEDED', result: payload });
    // The api wrote the payload; the worker wrote the result (and stdout): all charged to blob-b.
    expect(await blobUsage('blob-b')).toBeGreaterThanOrEqual(2 * 2000);
    const view = await stack.client.namespace.get.query({ namespace: 'blob-a' });
    expect(view).toMatchObject({ quotas: { blobBytes: 1000 }, overrides: { blobBytes: 1000 }, defaults: { blobBytes: 10 * 1024 ** 3 } });
  });

  it('fails an attempt whose result would take the namespace past its quota, naming it', async () => {
    await stack.client.namespace.setQuota.mutate({ namespace: 'blob-c', quotas: { blobBytes: 3100 } });
    const v = await stack.client.invocations.invoke.mutate({ namespace: 'blob-c', function: 'echo', payload: large(3000) });
    expect(v).toMatchObject({ status: 'FAILED', error: { kind: 'InvalidOutput', message: expect.stringContaining('blobBytes = 3100') } });
    expect(v.error?.message).toContain('the result was not stored');
    // The payload was stored (it fit); the result and the log were not.
    expect(await blobUsage('blob-c')).toBe(3000);
    expect(v.logs.stdout).toContain('[caisson: log cut');
    // Now at its quota: the next large payload is refused up front.
    expect(await outcome(stack.client.invocations.invoke.mutate({ namespace: 'blob-c', function: 'echo', payload: large(3000) })))
      .toMatchObject({ ok: false, code: 'TOO_MANY_REQUESTS' });
  });
});

describe('PUT /blobs with the worker token', () => {
  const put = (query: string, body: string, token = stack.api.workerToken) => fetch(`${stack.api.url}/blobs${query}`, {
    method: 'PUT', body, headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${token}` },
  });

  it('charges the blob to the namespace of the live invocation it names', async () => {
    const { id } = await stack.client.invocations.start.mutate({ namespace: 'blob-r', function: 'echo', payload: { mode: 'sleep', seconds: 4 } });
    for (let i = 0; i < 100 && !(await stack.api.db.invocations.get(id)); i++) await new Promise((r) => setTimeout(r, 50));
    const before = await blobUsage('blob-r');
    const res = await put(`?invocation=${id}`, '"written by a worker"');
    expect(res.status).toBe(200);
    const { id: blobId } = (await res.json()) as { id: string };
    expect((await stack.api.db.blobs.get(blobId))?.toString()).toBe('"written by a worker"');
    expect(await blobUsage('blob-r')).toBe(before + '"written by a worker"'.length);
    expect(await stack.client.invocations.wait.query({ id, waitMs: 30_000 })).toMatchObject({ status: 'SUCCEEDED' });
    // Ended: the token may no longer store anything for it.
    expect((await put(`?invocation=${id}`, '"late"')).status).toBe(409);
  });

  it('writes nothing without a real, live invocation of the namespace', async () => {
    const before = await blobUsage('blob-r');
    expect((await put('', '"anywhere"')).status).toBe(400);
    expect((await put('?namespace=blob-r', '"anywhere"')).status).toBe(400);
    expect((await put(`?invocation=inv_${'0'.repeat(32)}`, '"nowhere"')).status).toBe(404);
    expect((await put('?invocation=../x', '"bad"')).status).toBe(400);
    // An api key, even an admin of the namespace, does not open the content store.
    const { key } = await stack.clientWithKey({ namespace: 'blob-r', role: 'admin' });
    expect((await put(`?invocation=inv_${'0'.repeat(32)}`, '"key"', key)).status).toBe(403);
    expect(await blobUsage('blob-r')).toBe(before);
  });
});

describe('blob retention', () => {
  it('deletes old blobs no live record needs; keeps those of a running invocation and of a dead letter awaiting replay', async () => {
    const namespace = 'blob-r';
    const orphan = await stack.api.db.blobs.put(Buffer.from('"orphan"'), { namespace });
    const done = await stack.client.invocations.invoke.mutate({ namespace, function: 'echo', payload: large(2000) });
    expect(done.status).toBe('SUCCEEDED');
    const doneRow = (await stack.api.db.invocations.get(done.id))!;
    const dead = await stack.client.invocations.invoke.mutate({ namespace, function: 'echo', payload: large(2000, { mode: 'flaky', succeedOn: 99 }) });
    expect(dead.status).toBe('FAILED');
    const deadRow = (await stack.api.db.invocations.get(dead.id))!;
    const { id: runningId } = await stack.client.invocations.start.mutate({ namespace, function: 'echo', payload: large(2000, { mode: 'sleep', seconds: 5 }) });
    let runningRow = await stack.api.db.invocations.get(runningId);
    for (let i = 0; i < 100 && !runningRow; i++) runningRow = await new Promise((r) => setTimeout(r, 50)).then(() => stack.api.db.invocations.get(runningId));
    for (const ref of [doneRow.inputRef, doneRow.resultRef, deadRow.inputRef, runningRow?.inputRef]) expect(ref).toMatch(/^blob_/);

    // Every blob written so far is "older" than this cutoff; the finished invocation ended before it.
    const swept = await sweepBlobs({ db: stack.api.db, before: new Date(Date.now() + 60_000), batch: 2 });
    expect(swept.deleted).toBeGreaterThanOrEqual(3);
    expect(await stack.api.db.blobs.get(orphan)).toBeNull();
    expect(await stack.api.db.blobs.get(doneRow.inputRef!)).toBeNull();
    expect(await stack.api.db.blobs.get(doneRow.resultRef!)).toBeNull();
    expect(await stack.api.db.blobs.get(deadRow.inputRef!)).not.toBeNull(); // its dead letter may be replayed
    expect(await stack.api.db.blobs.get(runningRow!.inputRef!)).not.toBeNull();
    const running = await stack.client.invocations.wait.query({ id: runningId, waitMs: 30_000 });
    expect(running).toMatchObject({ status: 'SUCCEEDED', result: { slept: true } });

    // A sweep with the real retention deletes nothing this recent.
    expect(await sweepBlobs({ db: stack.api.db, before: new Date(Date.now() - 86_400_000) })).toEqual({ deleted: 0, bytes: 0 });
  });
});
