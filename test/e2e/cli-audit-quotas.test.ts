// The CLI's `caisson namespace get | set-quota` and `caisson audit ls` against a real api.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ name: 'cli-audit', withWorker: false });
});
afterAll(async () => {
  await stack?.stop();
});

async function caisson(args: string[], apiKey = stack.adminKey): Promise<{ code: number; out: unknown; text: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/caisson.js', '--api', stack.api.url, '--json', ...args], {
      cwd: process.cwd(), env: { ...process.env, CAISSON_API_KEY: apiKey },
    });
    return { code: 0, out: JSON.parse(stdout), text: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: undefined, text: `${e.stdout}${e.stderr}` };
  }
}

it('sets and shows quotas, and lists the change in the audit trail', async () => {
  const set = await caisson(['namespace', 'set-quota', 'shop', '--concurrency', '7', '--code-bytes', '1m', '--blob-bytes', '2g']);
  expect(set.code, set.text).toBe(0);
  const got = await caisson(['namespace', 'get', 'shop']);
  expect(got.out).toMatchObject({
    namespace: 'shop', quotas: { concurrentInvocations: 7, codeBytes: 1024 * 1024, invocationsPerMinute: 6000, blobBytes: 2 * 1024 ** 3 },
    overrides: { concurrentInvocations: 7, invocationsPerMinute: null, blobBytes: 2 * 1024 ** 3 },
    usage: { functions: 0, concurrentInvocations: 0, blobBytes: 0 },
  });
  expect((await caisson(['namespace', 'set-quota', 'shop', '--concurrency', 'default'])).code).toBe(0);
  expect((await caisson(['namespace', 'get', 'shop'])).out).toMatchObject({ quotas: { concurrentInvocations: 100 } });

  const { key: nsAdmin } = await stack.clientWithKey({ namespace: 'shop', role: 'admin', name: 'shop-admin' });
  const refused = await caisson(['namespace', 'set-quota', 'shop', '--concurrency', '1000'], nsAdmin);
  expect(refused.code).toBe(1);
  expect(refused.text).toMatch(/FORBIDDEN/);

  await stack.api.audit.flush();
  const listed = await caisson(['audit', 'ls', '--namespace', 'shop', '--action', 'quota.set', '--since', '1h']);
  expect(listed.code, listed.text).toBe(0);
  const items = (listed.out as { items: { keyName: string; outcome: string; target: string }[] }).items;
  expect(items.map((e) => [e.keyName, e.target, e.outcome])).toEqual([['shop-admin', 'shop', 'FORBIDDEN'], ['test cli-audit', 'shop', 'ok'], ['test cli-audit', 'shop', 'ok']]);
  const asNsAdmin = await caisson(['audit', 'ls'], nsAdmin);
  expect((asNsAdmin.out as { items: { namespace: string }[] }).items.every((e) => e.namespace === 'shop')).toBe(true);
});
