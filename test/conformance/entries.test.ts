// Convention and entry as `caisson fn deploy` finds them (detectConvention, then the api's entry
// choice) for the forms in each platform's docs; an entry that names no file fails the deploy.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectConvention, detectRuntime, packCode } from '../../src/cli/code-package.js';
import type { RuntimeFamily } from '../../src/shared/types.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { outcome } from '../security/support/tenants.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ name: 'conform-entries' });
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

/** What `caisson fn deploy <dir>` does without --runtime, --convention or --entry. */
async function deployAsCli(dir: string, name: string) {
  const root = join(process.cwd(), 'test/fixtures/conformance', dir);
  const packed = await packCode(root);
  const runtime = detectRuntime(packed.files) as RuntimeFamily;
  const detected = await detectConvention(root, packed.files, runtime);
  const fn = await stack.client.functions.create.mutate({
    name, runtime, code: packed.code, fileName: packed.fileName, convention: detected.convention, entry: detected.entry,
    retryPolicy: { maxAttempts: 1 },
  });
  return { fn, detected };
}

describe('entries found the way each platform documents them', () => {
  it('an OpenWhisk Node.js action whose main takes no parameter', async () => {
    const { fn, detected } = await deployAsCli('ow-node-noarg', 'ow-noarg');
    expect(detected).toMatchObject({ convention: 'openwhisk', entry: 'hello.main' });
    expect(fn.entry).toBe('hello.main');
    const r = await stack.client.invocations.invoke.mutate({ function: 'ow-noarg', payload: { ignored: true }, waitMs: 60_000 });
    expect(r).toMatchObject({ status: 'SUCCEEDED', result: { payload: 'Hello world' } });
  });

  it('a folder whose only source file is not index.js runs that file', async () => {
    const { fn, detected } = await deployAsCli('node-single-script', 'single-script');
    expect(detected.convention).toBe('script');
    expect(fn.entry).toBe('app.js');
    const r = await stack.client.invocations.invoke.mutate({ function: 'single-script', payload: { n: 1 }, waitMs: 60_000 });
    expect(r).toMatchObject({ status: 'SUCCEEDED', result: { ran: 'app.js', got: { n: 1 } } });
  });

  it('a typed Lambda handler in a file of another name', async () => {
    const { fn } = await deployAsCli('py-lambda-typed', 'typed');
    expect(fn).toMatchObject({ convention: 'lambda', entry: 'app.lambda_handler' });
    const r = await stack.client.invocations.invoke.mutate({ function: 'typed', payload: { a: 1 }, waitMs: 60_000 });
    expect(r).toMatchObject({ status: 'SUCCEEDED', result: { typed: true, event: { a: 1 } } });
  });

  it('an entry naming a missing file fails the deploy with BAD_REQUEST, and nothing is created', async () => {
    const packed = await packCode(join(process.cwd(), 'test/fixtures/conformance/node-single-script'));
    const refused = await outcome(stack.client.functions.create.mutate({
      name: 'wrong-entry', runtime: 'node', code: packed.code, convention: 'lambda', entry: 'index.handler',
    }));
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.code).toBe('BAD_REQUEST');
    expect(refused.message).toMatch(/entry 'index\.handler' needs its module \(index\.js or index\.mjs or index\.cjs\).*its node files: app\.js/);
    expect(await outcome(stack.client.functions.versions.query({ name: 'wrong-entry' }))).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    const listed = await stack.client.functions.list.query({});
    expect(JSON.stringify(listed)).not.toContain('wrong-entry');
  });
});
