// Go functions written for AWS Lambda (lambda.Start programs and library handlers), Apache
// OpenWhisk and OpenFaaS (classic and golang-middleware) run unchanged (issue #5). Go is
// compiled once at deploy time; a compile error fails the deploy and registers nothing.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import { packCode } from '../../src/cli/code-package.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { checkOutcomes, deployFixture, FIXTURES, invokerOf, stopLeavingNoContainers, type Family } from '../support/conventions.js';

let stack: TestStack;

const FAMILIES: Family[] = [
  {
    name: 'go-lambda', runtime: 'go', convention: 'lambda', dir: 'go-lambda-start',
    ok: {
      payload: { name: 'Ada' }, log: 'handling Ada',
      result: { message: 'Hello, Ada!', requestId: expect.stringMatching(/^inv_/), functionName: 'go-lambda', hasDeadline: true },
    },
    thrown: { payload: { mode: 'throw', name: 'x' }, message: /^ValidationFailed: bad input: x/ },
  },
  {
    name: 'go-openwhisk', runtime: 'go', convention: 'openwhisk', dir: 'go-openwhisk',
    ok: { payload: { name: 'Ada' }, log: 'action started', result: { greeting: 'Hello, Ada!', activation: expect.stringMatching(/^inv_/) } },
    thrown: { payload: { mode: 'error', name: 'Bob' }, message: /^ActionError: cannot greet Bob/ },
  },
  {
    name: 'go-openfaas', runtime: 'go', convention: 'openfaas', dir: 'go-openfaas',
    ok: {
      payload: { body: 'hi', headers: { 'X-Caller': 'me' } }, log: 'handling a request',
      result: { statusCode: 200, headers: {}, body: 'Hello, Go. You said: hi (POST me)' },
    },
    thrown: { payload: { mode: 'throw' }, message: /^Panic: handler panicked/ },
  },
];

beforeAll(async () => {
  // One Go build cache for every test stack: std is compiled once per machine, not per file.
  stack = await startTestStack({ name: 'conv-go' });
  // The first build warms the cache; the rest then build in parallel.
  await deployFixture(stack.client, FAMILIES[1]!);
  await Promise.all([
    deployFixture(stack.client, FAMILIES[0]!),
    deployFixture(stack.client, FAMILIES[2]!),
    deployFixture(stack.client, { name: 'go-lambda-pkg', runtime: 'go', convention: 'lambda', dir: 'go-lambda-pkg' }),
    deployFixture(stack.client, { name: 'go-openfaas-http', runtime: 'go', convention: 'openfaas', dir: 'go-openfaas-http' }),
  ]);
}, 600_000);

afterAll(() => stopLeavingNoContainers(stack));

const invoke = invokerOf(() => stack);

describe('Go functions written for other platforms run unchanged', () => {
  it.each(FAMILIES)('$convention: success, thrown error, non-zero exit, timeout', async (f) => {
    await checkOutcomes(stack.client.invocations.invoke.mutate, f);
  });

  it('lambda: a handler in a library package (no lambda.Start)', async () => {
    const [ok, bad] = await Promise.all([invoke('go-lambda-pkg', { name: 'Ada' }), invoke('go-lambda-pkg', {})]);
    expect(ok).toMatchObject({ status: 'SUCCEEDED', result: 'Hello Ada!' });
    expect(bad.error).toMatchObject({ kind: 'FunctionError', message: expect.stringMatching(/received nil event/) });
  });

  it('a panic a shim recovers leaves its goroutine trace in the log and the stderr tail', async () => {
    const v = await invoke('go-openfaas', { mode: 'throw' });
    const trace = /panic: handler panicked \[recovered\]\n\ngoroutine \d+ \[running\]:\n[\s\S]*handler\.go:\d+/;
    expect(v.error?.stderrTail).toMatch(trace);
    expect(v.logs.stderr).toMatch(trace);
  });

  it('openfaas golang-middleware: method, path, query, body in; status and headers out', async () => {
    const v = await invoke('go-openfaas-http', { body: 'hi', method: 'put', path: '/p', query: { a: 'b' } });
    expect(v.result).toEqual({ statusCode: 202, headers: { 'X-Served-By': 'golang-middleware' }, body: 'PUT /p?a=b body=hi' });
  });
});

describe('Go builds happen at deploy time only', () => {
  it('a compile error fails the deploy with the compiler output; no version is created', async () => {
    const err = await deployFixture(stack.client, { name: 'go-broken', runtime: 'go', convention: 'script', dir: 'go-broken' }).catch((e) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    expect((err as TRPCClientError<never>).data).toMatchObject({ code: 'BAD_REQUEST' });
    expect(String(err.message)).toMatch(/the build failed:[\s\S]*undefined: undefinedThing/);
    expect(await stack.client.functions.get.query({ name: 'go-broken' })).toBeNull();
  });

  it('repeated invocations never build; redeploying the same source reuses the build', async () => {
    const runs = await Promise.all([1, 2, 3].map((i) => invoke('go-openwhisk', { name: `n${i}` })));
    expect(runs.map((r) => r.result)).toEqual([1, 2, 3].map((i) => expect.objectContaining({ greeting: `Hello, n${i}!` })));
    // The worker's lazy compile path (versions deployed before deploy-time builds) never ran.
    expect(existsSync(join(stack.config.worker.dataDir, 'go-bin'))).toBe(false);
    const packed = await packCode(join(process.cwd(), FIXTURES, 'go-openwhisk'));
    const { deploymentId } = await stack.client.functions.deploy.mutate({ name: 'go-openwhisk', code: packed.code, env: { V: '2' } });
    const d = await stack.client.functions.deployment.query({ id: deploymentId, waitMs: 60_000 });
    expect(d).toMatchObject({ status: 'SUCCEEDED', spec: { version: 2, convention: 'openwhisk' } });
    expect(d.steps[0]).toEqual({ name: 'build', status: 'succeeded', detail: 'go build: reused an earlier build' });
  });
});
