// Python and Node.js functions written for AWS Lambda, Apache OpenWhisk and OpenFaaS run
// unchanged (issue #5): deploy once, invoke many, through the real api, Temporal, Docker and
// database. Dependencies from requirements.txt / package.json are installed at deploy time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { checkOutcomes, deployFixture, FIXTURES, type Family } from '../support/conventions.js';
import { packCode } from '../../src/cli/code-package.js';
import { join } from 'node:path';

let stack: TestStack;

const FAMILIES: Family[] = [
  {
    name: 'py-lambda', runtime: 'python', convention: 'lambda', dir: 'py-lambda',
    ok: {
      payload: { name: 'Ada' }, log: 'handling inv_',
      result: { statusCode: 200, message: 'Hello, Ada!', requestId: expect.stringMatching(/^inv_/), functionName: 'py-lambda',
        functionVersion: '1', memoryLimitInMB: '128', hasTimeLeft: true },
    },
    thrown: { payload: { mode: 'throw', name: 'x' }, message: /^ValidationFailed: bad input: x/ },
  },
  {
    name: 'py-openwhisk', runtime: 'python', convention: 'openwhisk', dir: 'py-openwhisk',
    ok: { payload: { name: 'Ada' }, log: 'action started', result: { greeting: 'Hello, Ada!', activation: expect.stringMatching(/^inv_/) } },
    thrown: { payload: { mode: 'error', name: 'Bob' }, message: /^ActionError: cannot greet Bob/ },
  },
  {
    name: 'py-openfaas', runtime: 'python', convention: 'openfaas', dir: 'py-openfaas',
    ok: {
      payload: { body: 'Ada', method: 'GET', path: '/x', headers: { 'X-Caller': 'me' } }, log: 'handling a request',
      result: { statusCode: 200, headers: {}, body: 'Hello, Ada (GET /x, me)' },
    },
    thrown: { payload: { mode: 'throw' }, message: /^KeyError: 'missing'/ },
  },
  {
    name: 'node-lambda', runtime: 'node', convention: 'lambda', dir: 'node-lambda-cjs',
    ok: {
      payload: { name: 'Ada' }, log: 'handling inv_',
      result: { statusCode: 200, message: 'Hello, Ada!', requestId: expect.stringMatching(/^inv_/), functionName: 'node-lambda',
        memoryLimitInMB: '128', hasTimeLeft: true },
    },
    thrown: { payload: { mode: 'throw', name: 'x' }, message: /^ValidationFailed: bad input: x/ },
  },
  {
    name: 'node-openwhisk', runtime: 'node', convention: 'openwhisk', dir: 'node-openwhisk',
    ok: { payload: { name: 'Ada' }, log: 'action started', result: { greeting: 'Hello, Ada!', activation: expect.stringMatching(/^inv_/) } },
    thrown: { payload: { mode: 'error', name: 'Bob' }, message: /^ActionError: \{"reason":"cannot greet Bob"\}/ },
  },
  {
    name: 'node-openfaas', runtime: 'node', convention: 'openfaas', dir: 'node-openfaas',
    ok: {
      payload: { body: { name: 'Ada' }, headers: { 'X-Caller': 'me' }, query: { q: '1' } }, log: 'handling POST /',
      result: { statusCode: 201, headers: { 'Content-Type': 'application/json; charset=utf-8', 'X-Caller': 'me' },
        body: JSON.stringify({ hello: 'Ada', query: { q: '1' }, env: 'POST' }) },
    },
    thrown: { payload: { mode: 'throw' }, message: /^Error: handler threw/ },
  },
];

beforeAll(async () => {
  stack = await startTestStack({ name: 'conv' });
  // Deploys are independent: run them at once.
  await Promise.all([
    ...FAMILIES.map((f) => deployFixture(stack.client, f)),
    deployFixture(stack.client, { name: 'node-lambda-cb', runtime: 'node', convention: 'lambda', dir: 'node-lambda-cjs', entry: 'callback.handler' }),
    deployFixture(stack.client, { name: 'node-lambda-esm', runtime: 'node', convention: 'lambda', dir: 'node-lambda-esm' }),
    deployFixture(stack.client, { name: 'py-openfaas-http', runtime: 'python', convention: 'openfaas', dir: 'py-openfaas-http' }),
  ]);
});

afterAll(async () => {
  await stack?.stop();
  const left = await createDockerRuntime({}).listManaged({ 'caisson.worker': stack.workerId });
  expect(left.map((c) => c.name)).toEqual([]);
});

const invoke = (fn: string, payload: unknown) => stack.client.invocations.invoke.mutate({ function: fn, payload, waitMs: 60_000 });

describe('functions written for other platforms run unchanged', () => {
  it.each(FAMILIES)('$convention ($runtime): success, thrown error, non-zero exit, timeout', async (f) => {
    await checkOutcomes(stack.client.invocations.invoke.mutate, f);
  });

  it('lambda (node): callback style and ES modules', async () => {
    const [cb, cbErr, esm, esmErr] = await Promise.all([
      invoke('node-lambda-cb', { name: 'cb' }), invoke('node-lambda-cb', { mode: 'throw' }),
      invoke('node-lambda-esm', { name: 'esm' }), invoke('node-lambda-esm', { mode: 'throw' }),
    ]);
    expect(cb).toMatchObject({ status: 'SUCCEEDED', result: { via: 'callback', name: 'cb' } });
    expect(cbErr.error).toMatchObject({ kind: 'FunctionError', message: 'TypeError: callback error' });
    expect(esm).toMatchObject({ status: 'SUCCEEDED', result: { message: 'Hello, esm!', functionVersion: '1' } });
    expect(esmErr.error).toMatchObject({ kind: 'FunctionError', message: 'RangeError: out of range' });
  });

  it('openwhisk (node): main may return a Promise', async () => {
    expect((await invoke('node-openwhisk', { mode: 'promise', name: 'P' })).result).toEqual({ greeting: 'Hello later, P!' });
  });

  it('openfaas (python3-http): status code, headers and body come back', async () => {
    const v = await invoke('py-openfaas-http', { body: { name: 'Ada' }, method: 'PUT', query: { a: '1' } });
    const result = v.result as { statusCode: number; headers: unknown; body: string };
    expect(result).toMatchObject({ statusCode: 201, headers: { 'X-Greeting': 'yes' } });
    expect(JSON.parse(result.body)).toEqual({ hello: 'Ada', method: 'PUT', query: { a: '1' } });
  });
});

describe('dependencies are installed at deploy time', () => {
  it('python: requirements.txt, with the deploy steps reported', async () => {
    const packed = await packCode(join(process.cwd(), FIXTURES, 'py-deps'));
    const { deploymentId } = await stack.client.functions.deploy.mutate({
      name: 'py-deps', runtime: 'python', convention: 'lambda', code: packed.code, retryPolicy: { maxAttempts: 1 },
    });
    const d = await stack.client.functions.deployment.query({ id: deploymentId, waitMs: 60_000 });
    expect(d.error).toBeUndefined();
    expect(d.status).toBe('SUCCEEDED');
    expect(d.steps).toEqual([
      { name: 'build', status: 'succeeded', detail: expect.stringMatching(/^pip install -r requirements.txt: /) },
      { name: 'register', status: 'succeeded', detail: 'version 1' },
    ]);
    expect(d.spec?.artifact.sha256).not.toBe(undefined);
    const [a, b] = await Promise.all([invoke('py-deps', {}), invoke('py-deps', {})]);
    expect(a.result).toEqual({ six: '1.16.0', text: 'ok' });
    expect(b.result).toEqual(a.result);
  });

  it('node: package.json dependencies', async () => {
    await deployFixture(stack.client, { name: 'node-deps', runtime: 'node', convention: 'lambda', dir: 'node-deps' });
    expect((await invoke('node-deps', { duration: '1h' })).result).toEqual({ ms: 3_600_000 });
  });
});
