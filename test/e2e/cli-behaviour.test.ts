// What a CLI user meets besides the happy path: --version, shell completion, a missing function
// (NOT_FOUND, exit 1), a bad numeric flag (named, refused before any request), an unreachable api
// (which URL, how to start it), and one field name for the function in every --json answer.
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { freePort } from '../support/ports.js';
import { startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
let home: string;

beforeAll(async () => {
  stack = await startTestStack({ name: 'cli-behaviour' });
  home = mkdtempSync(join(stack.config.home, 'cli-'));
});
afterAll(async () => {
  await stack?.stop();
});

const caisson = (args: string[], apiUrl = stack.api.url) => runCli(args, { apiUrl, home, apiKey: stack.adminKey });

it('prints its version and a completion script made from its commands', async () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const version = await caisson(['--version']);
  expect(version.code).toBe(0);
  expect(version.text.trim()).toBe(pkg.version);
  const bash = await caisson(['completion', 'bash']);
  expect(bash.code).toBe(0);
  expect(bash.text).toContain('complete -F _caisson caisson');
  expect(bash.text).toMatch(/"fn deploy"\) w="[^"]*--timeout/);
  expect((await caisson(['completion', 'fish'])).code).toBe(1);
});

it('a missing function is NOT_FOUND with exit 1, for get and rm alike', async () => {
  for (const args of [['fn', 'get', 'no-such-fn'], ['fn', 'rm', 'no-such-fn']]) {
    const r = await caisson(args);
    expect(r.code, r.text).toBe(1);
    expect(r.out).toMatchObject({ details: { code: 'NOT_FOUND' } });
  }
});

it('a bad number names the flag, not an api field', async () => {
  const r = await caisson(['fn', 'deploy', 'examples/hello-python', '--timeout', 'abc']);
  expect(r.code).toBe(1);
  expect(r.text).toContain("option '--timeout <ms>' argument 'abc' is invalid");
  expect(r.text).not.toContain('timeoutMs');
});

it('an unreachable api says which URL and how to start one', async () => {
  const url = `http://127.0.0.1:${await freePort()}`;
  const r = await caisson(['fn', 'ls'], url);
  expect(r.code).toBe(1);
  expect(r.out).toMatchObject({ details: { code: 'UNAVAILABLE', url, reason: 'ECONNREFUSED' } });
  expect((r.out as { error: string }).error).toContain('npm run dev');
});

it('every --json answer names the function `function`', async () => {
  const deployed = await caisson(['fn', 'deploy', 'examples/hello-python', '--name', 'named']);
  expect(deployed.code, deployed.text).toBe(0);
  const invoked = await caisson(['invoke', 'named', '{"name":"x"}']);
  expect(invoked.code, invoked.text).toBe(0);
  const listed = await caisson(['inv', 'ls', '--function', 'named']);
  expect(listed.code, listed.text).toBe(0);
  const items = (listed.out as { items: Array<Record<string, unknown>> }).items;
  expect(items[0]).toMatchObject({ function: 'named' });
  expect(items[0]).not.toHaveProperty('functionName');
});

it('a redeploy of the same code and settings makes no new version, and says so', async () => {
  const first = await caisson(['fn', 'deploy', 'examples/hello-node', '--name', 'same']);
  expect(first.code, first.text).toBe(0);
  const again = await caisson(['fn', 'deploy', 'examples/hello-node', '--name', 'same']);
  expect(again.code, again.text).toBe(0);
  expect(again.out).toMatchObject({ unchanged: true, spec: { version: 1 } });
  const changed = await caisson(['fn', 'deploy', 'examples/hello-node', '--name', 'same', '--timeout', '4000']);
  expect(changed.out).toMatchObject({ spec: { version: 2 } });
  expect(changed.out).not.toHaveProperty('unchanged');
});

