// The CLI's secrets: `caisson secret create` from stdin (bytes as given), a file or a literal,
// `secret ls` (never a value), `fn deploy --secret NAME[:ENV]`, `fn versions` naming them, and
// `secret rm` refused while a function uses the secret.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli, type CliRun } from '../support/cli.js';
import { startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ name: 'cli-secrets' });
});
afterAll(async () => {
  await stack?.stop();
});

function caisson(args: string[], stdin = ''): Promise<CliRun> {
  return runCli(args, { apiUrl: stack.api.url, home: stack.config.home, apiKey: stack.adminKey, stdin });
}

it('creates secrets from stdin, a file and a literal; deploys and runs a function using them; refuses rm in use', async () => {
  const dir = mkdtempSync(join(stack.config.home, 'cli-secrets-'));
  const ns = ['--namespace', 'team-cli'];
  const fromStdin = await caisson(['secret', 'create', 'from-stdin', ...ns], 'stdin value\n');
  expect(fromStdin.code, fromStdin.text).toBe(0);
  expect(fromStdin.out).toMatchObject({ name: 'from-stdin', sizeBytes: 12 }); // the newline kept: bytes as given
  writeFileSync(join(dir, 'key.pem'), 'file value');
  expect((await caisson(['secret', 'create', 'from-file', '--from-file', join(dir, 'key.pem'), ...ns])).code).toBe(0);
  expect((await caisson(['secret', 'create', 'from-literal', '--from-literal', 'literal value', ...ns])).code).toBe(0);
  const listed = await caisson(['secret', 'ls', ...ns]);
  expect((listed.out as { name: string }[]).map((s) => s.name)).toEqual(['from-file', 'from-literal', 'from-stdin']);
  expect(listed.text).not.toMatch(/stdin value|file value|literal value/);

  writeFileSync(join(dir, 'main.py'), [
    'import json, os',
    'read = lambda n: open("/var/openfaas/secrets/" + n).read()',
    'print(json.dumps({"stdin": read("from-stdin") == "stdin value\\n", "file": os.environ["FILE_VALUE"] == read("from-file") == "file value",',
    '                  "literal": open("/run/secrets/from-literal").read() == "literal value"}))',
  ].join('\n'));
  const deployed = await caisson(['fn', 'deploy', join(dir, 'main.py'), '--name', 'uses-secrets', '--secret', 'from-stdin', '--secret', 'from-file:FILE_VALUE', '--secret', 'from-literal', ...ns]);
  expect(deployed.code, deployed.text).toBe(0);
  const invoked = await caisson(['invoke', 'uses-secrets', '{}', ...ns]);
  expect(invoked.out, invoked.text).toMatchObject({ status: 'SUCCEEDED', result: { stdin: true, file: true, literal: true } });
  const versions = await caisson(['fn', 'versions', 'uses-secrets', ...ns]);
  expect(versions.out).toMatchObject([{ secrets: [{ name: 'from-stdin' }, { name: 'from-file', env: 'FILE_VALUE' }, { name: 'from-literal' }] }]);

  const refused = await caisson(['secret', 'rm', 'from-file', ...ns]);
  expect(refused.code).toBe(1);
  expect(refused.text).toMatch(/CONFLICT.*used by function 'uses-secrets'/s);
  const missing = await caisson(['fn', 'deploy', join(dir, 'main.py'), '--name', 'uses-secrets', '--secret', 'nope', ...ns]);
  expect(missing.code).toBe(1);
  expect(missing.text).toMatch(/BAD_REQUEST.*secret 'nope' not found in namespace 'team-cli'/s);
});
