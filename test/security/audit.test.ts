// The audit trail against the real api: deploys, invokes, deletes and key creations appear with
// the key's name and outcome and never a payload; refused calls are recorded too; only admins
// read it, a namespace's admin its own namespace only; pages follow each other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaissonClient } from '../../src/client/index.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployDir } from '../support/deploy.js';
import { outcome } from './support/tenants.js';

let stack: TestStack;
const namespace = 'audit-a';
const PAYLOAD_MARK = 'payload-value-never-audited';

beforeAll(async () => {
  stack = await startTestStack({ name: 'audit' });
});
afterAll(async () => {
  await stack?.stop();
});

async function events(client: CaissonClient, input: Parameters<CaissonClient['audit']['list']['query']>[0] = {}) {
  await stack.api.audit.flush();
  return (await client.audit.list.query({ limit: 200, ...input })).items;
}

describe('audit trail', () => {
  it('records deploy, invoke, delete and key creation by key name, never the payload', async () => {
    const { client: dev, id: devId } = await stack.clientWithKey({ namespace, role: 'developer', name: 'ci-deployer' });
    const { client: admin } = await stack.clientWithKey({ namespace, role: 'admin', name: 'team-admin' });
    await deployDir(dev, { dir: 'test/fixtures/functions/py-failures', name: 'echo', runtime: 'python', namespace, env: { TOKEN: 'env-value-never-audited' } });
    const inv = await dev.invocations.invoke.mutate({ namespace, function: 'echo', payload: { secret: PAYLOAD_MARK } });
    expect(inv.status).toBe('SUCCEEDED');
    await dev.invocations.start.mutate({ namespace, function: 'echo', payload: { secret: PAYLOAD_MARK } });
    await dev.functions.delete.mutate({ namespace, name: 'echo' });
    await admin.keys.create.mutate({ namespace, name: 'made-by-admin', role: 'reader' });
    await dev.secrets.create.mutate({ namespace, name: 'db-password', value: 'secret-value-never-audited' });
    await dev.secrets.delete.mutate({ namespace, name: 'db-password' });

    const all = await events(stack.client, { namespace });
    const mine = all.filter((e) => e.keyId === devId);
    expect(mine.map((e) => [e.action, e.target, e.outcome]).reverse()).toEqual([
      ['function.create', 'echo', 'ok'],
      ['invoke', 'echo', 'ok'],
      ['invoke', 'echo', 'ok'],
      ['function.delete', 'echo', 'ok'],
      ['secret.create', 'db-password', 'ok'],
      ['secret.rm', 'db-password', 'ok'],
    ]);
    expect(mine.every((e) => e.keyName === 'ci-deployer' && e.namespace === namespace)).toBe(true);
    expect(all.find((e) => e.action === 'key.create')).toMatchObject({ keyName: 'team-admin', target: 'made-by-admin', outcome: 'ok', namespace });
    const text = JSON.stringify(all);
    expect(text).not.toContain(PAYLOAD_MARK);
    expect(text).not.toContain('env-value-never-audited');
    expect(text).not.toContain('secret-value-never-audited');
    expect(text).not.toMatch(/csk_/);
  });

  it('records refused mutations with their code', async () => {
    const { client: reader, id } = await stack.clientWithKey({ namespace, role: 'reader', name: 'nosy-reader' });
    expect(await outcome(reader.functions.delete.mutate({ namespace, name: 'anything' }))).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(await outcome(reader.keys.create.mutate({ namespace, name: 'x', role: 'admin' }))).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    const refused = (await events(stack.client, { keyId: id })).map((e) => [e.action, e.target, e.outcome]).reverse();
    expect(refused).toEqual([['function.delete', 'anything', 'FORBIDDEN'], ['key.create', 'x', 'FORBIDDEN']]);
  });

  it('is read by admins only; a namespace admin reads its own namespace', async () => {
    for (const role of ['reader', 'developer', 'invoker'] as const) {
      const { client } = await stack.clientWithKey({ namespace, role });
      expect(await outcome(client.audit.list.query({ namespace })), role).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    }
    const { client: otherAdmin } = await stack.clientWithKey({ namespace: 'audit-b', role: 'admin' });
    expect(await outcome(otherAdmin.audit.list.query({ namespace }))).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    await otherAdmin.keys.create.mutate({ namespace: 'audit-b', name: 'b-key', role: 'reader' });
    const seen = await events(otherAdmin);
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen.map((e) => e.namespace))).toEqual(new Set(['audit-b']));
  });

  it("records an id-addressed call of a key of every namespace under its object's namespace", async () => {
    const { id } = await stack.clientWithKey({ namespace, role: 'reader', name: 'to-revoke' });
    await stack.client.keys.revoke.mutate({ id });
    const { client: admin } = await stack.clientWithKey({ namespace, role: 'admin' });
    let found: unknown;
    for (let i = 0; i < 50 && !found; i++) {
      found = (await events(admin, { action: 'key.revoke' })).find((e) => e.target === id);
      if (!found) await new Promise((r) => setTimeout(r, 20));
    }
    expect(found).toMatchObject({ namespace, keyName: 'test audit', outcome: 'ok' });
  });

  it('filters by action and since, and pages', async () => {
    const invokes = await events(stack.client, { namespace, action: 'invoke' });
    expect(invokes.length).toBe(2);
    expect(await events(stack.client, { namespace, since: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
    const all = await events(stack.client, { namespace });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await stack.client.audit.list.query({ namespace, limit: 2, cursor });
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(all.map((e) => e.id));
  });
});
