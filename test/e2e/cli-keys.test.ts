// The CLI's keys: `caisson key create|ls|revoke`, `caisson login` (key from stdin into
// $CAISSON_HOME/credentials, 0600), and which key a command sends: CAISSON_API_KEY, else the
// stored login, else $CAISSON_HOME/admin.key.
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli, type CliRun } from '../support/cli.js';
import { startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ name: 'cli-keys', withWorker: false });
});
afterAll(async () => {
  await stack?.stop();
});

function caisson(args: string[], opts: { home: string; apiKey?: string; stdin?: string }): Promise<CliRun> {
  return runCli(args, { ...opts, apiUrl: stack.api.url });
}

it('creates, logs in with, lists and revokes keys; falls back to admin.key', async () => {
  const home = mkdtempSync(join(stack.config.home, 'cli-'));
  const created = await caisson(['key', 'create', '--name', 'ci', '--namespace', 'team-c', '--role', 'developer'], { home, apiKey: stack.adminKey });
  expect(created.code, created.text).toBe(0);
  const { key, id } = created.out as { key: string; id: string };
  expect(key).toMatch(/^csk_/);

  const login = await caisson(['login'], { home, stdin: `${key}\n` });
  expect(login.code, login.text).toBe(0);
  expect(login.out).toMatchObject({ namespace: 'team-c', role: 'developer' });
  expect(statSync(join(home, 'credentials')).mode & 0o777).toBe(0o600);

  expect((await caisson(['fn', 'ls', '--namespace', 'team-c'], { home })).code).toBe(0);
  const forbidden = await caisson(['key', 'ls'], { home });
  expect(forbidden.code).toBe(1);
  expect(forbidden.text).toMatch(/FORBIDDEN/);

  const listed = await caisson(['key', 'ls'], { home, apiKey: stack.adminKey });
  expect((listed.out as { id: string }[]).map((k) => k.id)).toContain(id);
  expect(listed.text).not.toContain(key);
  expect((await caisson(['key', 'revoke', id], { home, apiKey: stack.adminKey })).code).toBe(0);
  const revoked = await caisson(['fn', 'ls', '--namespace', 'team-c'], { home });
  expect(revoked.code).toBe(1);
  expect(revoked.text).toMatch(/UNAUTHORIZED/);

  const fresh = mkdtempSync(join(stack.config.home, 'cli-'));
  expect((await caisson(['key', 'ls'], { home: fresh })).text).toMatch(/UNAUTHORIZED/);
  writeFileSync(join(fresh, 'admin.key'), `${stack.adminKey}\n`, { mode: 0o600 });
  expect((await caisson(['key', 'ls'], { home: fresh })).code).toBe(0);
});
