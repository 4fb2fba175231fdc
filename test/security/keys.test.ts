// Keys and roles against the real api: what each role may do in its namespace, revocation that
// works at once, expiry, a namespace's admin confined to its namespace, and the Host check.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client/index.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployDir } from '../support/deploy.js';
import { outcome } from './support/tenants.js';

let stack: TestStack;
const namespace = 'team-r';
const fn = { namespace, name: 'echo' };

beforeAll(async () => {
  stack = await startTestStack({ name: 'keys' });
  await deployDir(stack.client, { dir: 'test/fixtures/functions/py-failures', name: 'echo', runtime: 'python', namespace });
});
afterAll(async () => {
  await stack?.stop();
});

describe('roles', () => {
  it('reader reads, invoker invokes and reads invocations, developer deploys; none manages keys', async () => {
    const reader = (await stack.clientWithKey({ namespace, role: 'reader' })).client;
    const invoker = (await stack.clientWithKey({ namespace, role: 'invoker' })).client;
    const developer = (await stack.clientWithKey({ namespace, role: 'developer' })).client;

    const inv = await invoker.invocations.invoke.mutate({ namespace, function: 'echo', payload: { x: 1 } });
    expect(inv).toMatchObject({ status: 'SUCCEEDED', result: { x: 1 } });
    expect((await invoker.invocations.get.query({ id: inv.id })).status).toBe('SUCCEEDED');
    expect(await outcome(invoker.functions.get.query(fn))).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(await outcome(invoker.functions.delete.mutate(fn))).toMatchObject({ ok: false, code: 'FORBIDDEN' });

    expect((await reader.functions.get.query(fn))?.name).toBe('echo');
    expect((await reader.invocations.get.query({ id: inv.id })).status).toBe('SUCCEEDED');
    expect(await outcome(reader.invocations.invoke.mutate({ namespace, function: 'echo' }))).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(await outcome(reader.functions.delete.mutate(fn))).toMatchObject({ ok: false, code: 'FORBIDDEN' });

    expect((await developer.functions.versions.query(fn)).length).toBeGreaterThan(0);
    for (const client of [reader, invoker, developer]) {
      expect(await outcome(client.keys.list.query())).toMatchObject({ ok: false, code: 'FORBIDDEN' });
      expect(await outcome(client.keys.create.mutate({ name: 'x', namespace, role: 'reader' }))).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    }
    expect(await (await stack.clientWithKey({ namespace, role: 'reader' })).client.auth.whoami.query()).toMatchObject({ namespace, role: 'reader' });
  });

  it("confines a namespace's admin to its namespace", async () => {
    const admin = (await stack.clientWithKey({ namespace, role: 'admin' })).client;
    expect(await outcome(admin.keys.create.mutate({ name: 'root', namespace: '*', role: 'admin' }))).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(await outcome(admin.keys.create.mutate({ name: 'other', namespace: 'team-z', role: 'reader' }))).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    const made = await admin.keys.create.mutate({ name: 'ci', namespace, role: 'invoker' });
    expect(made.key).toMatch(/^csk_/);
    const listed = await admin.keys.list.query();
    expect(new Set(listed.map((k) => k.namespace))).toEqual(new Set([namespace]));
    expect(listed.find((k) => k.id === made.id)).not.toHaveProperty('key');
  });
});

describe('revocation and expiry', () => {
  it('a revoked key stops working at once', async () => {
    const { client, id } = await stack.clientWithKey({ namespace, role: 'reader' });
    expect((await client.functions.get.query(fn))?.name).toBe('echo');
    await stack.client.keys.revoke.mutate({ id });
    expect(await outcome(client.functions.get.query(fn))).toMatchObject({ ok: false, code: 'UNAUTHORIZED' });
    expect((await stack.client.keys.list.query()).find((k) => k.id === id)?.revokedAt).toBeTruthy();
  });

  it('an expired key is refused', async () => {
    const made = await stack.client.keys.create.mutate({ name: 'short', namespace, role: 'reader', expiresAt: new Date(Date.now() + 1500).toISOString() });
    const client = createClient(stack.api.url, { apiKey: made.key });
    expect((await client.functions.get.query(fn))?.name).toBe('echo');
    await new Promise((r) => setTimeout(r, 1600));
    expect(await outcome(client.functions.get.query(fn))).toMatchObject({ ok: false, code: 'UNAUTHORIZED' });
    expect(await outcome(stack.client.keys.create.mutate({ name: 'past', namespace, role: 'reader', expiresAt: new Date(Date.now() - 1000).toISOString() })))
      .toMatchObject({ ok: false, code: 'BAD_REQUEST' });
  });
});

describe('Host header', () => {
  function statusFor(host: string | undefined): Promise<number> {
    const url = new URL(stack.api.url);
    return new Promise((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: '/healthz', setHost: host !== undefined, headers: host ? { host } : {} }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('answers only its own names (DNS rebinding): 421 for another, 400 for none', async () => {
    const port = new URL(stack.api.url).port;
    expect(await statusFor(`evil.example:${port}`)).toBe(421);
    expect(await statusFor(`127.0.0.1:${Number(port) + 1}`)).toBe(421);
    expect(await statusFor(undefined)).toBe(400);
    expect(await statusFor(`localhost:${port}`)).not.toBe(421);
    expect(await statusFor(`127.0.0.1:${port}`)).not.toBe(421);
  });
});
