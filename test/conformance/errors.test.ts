// A failed invocation carries its error as the function's own platform reports it (Lambda's
// errorType/errorMessage and stack of the user's frames, OpenWhisk's {"error": …}, the status and
// body an OpenFaaS template answers), and no trace shows Caisson's runtime frames.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployFixture } from '../support/conventions.js';

let stack: TestStack;
const root = 'test/fixtures/conformance';

beforeAll(async () => {
  stack = await startTestStack({ name: 'conform-errors' });
  await Promise.all([
    deployFixture(stack.client, { dir: 'err-py-lambda', name: 'py-lambda', runtime: 'python', convention: 'lambda', root }),
    deployFixture(stack.client, { dir: 'err-node-lambda', name: 'node-lambda', runtime: 'node', convention: 'lambda', root }),
    deployFixture(stack.client, { dir: 'err-node-ow', name: 'node-ow', runtime: 'node', convention: 'openwhisk', root }),
    deployFixture(stack.client, { dir: 'err-py-ow', name: 'py-ow', runtime: 'python', convention: 'openwhisk', root }),
    deployFixture(stack.client, { dir: 'err-node-faas', name: 'node-faas', runtime: 'node', convention: 'openfaas', root }),
    deployFixture(stack.client, { dir: 'err-py-faas', name: 'py-faas', runtime: 'python', convention: 'openfaas', root }),
  ]);
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

async function failed(fn: string, payload: unknown) {
  const r = await stack.client.invocations.invoke.mutate({ function: fn, payload, waitMs: 60_000 });
  expect(r.status).toBe('FAILED');
  expect(r.error?.kind).toBe('FunctionError');
  expect(JSON.stringify(r.error)).not.toContain('/caisson/');
  return { ...r.error!, id: r.id };
}

describe('Lambda', () => {
  it('python: errorType, errorMessage, requestId and the user\'s frames', async () => {
    const e = await failed('py-lambda', { name: 'x' });
    expect(e.errorType).toBe('ValueError');
    expect(e.platform).toEqual({
      errorType: 'ValueError', errorMessage: 'bad input: x', requestId: e.id,
      stackTrace: [
        expect.stringMatching(/^ {2}File "\/app\/function\/lambda_function\.py", line 6, in lambda_handler\n/),
        expect.stringMatching(/^ {2}File "\/app\/function\/lambda_function\.py", line 2, in check\n/),
      ],
    });
  });

  it('node: errorType, errorMessage and the trace of the user\'s frames', async () => {
    const e = await failed('node-lambda', { name: 'y' });
    expect(e.platform).toMatchObject({ errorType: 'TypeError', errorMessage: 'bad input: y' });
    const trace = (e.platform as { trace: string[] }).trace;
    expect(trace[0]).toBe('TypeError: bad input: y');
    expect(trace.slice(1).every((l) => l.includes('/app/function/index.js'))).toBe(true);
    expect(trace.length).toBeGreaterThanOrEqual(2);
  });
});

describe('OpenWhisk', () => {
  it('node: a returned {error} as it was, a rejected promise serialised, a thrown error as text', async () => {
    expect((await failed('node-ow', { mode: 'return' })).platform).toEqual({ error: { code: 42, reason: 'no such user' } });
    expect((await failed('node-ow', { mode: 'reject' })).platform).toMatchObject({ error: { name: 'RangeError', message: 'out of range' } });
    expect((await failed('node-ow', { mode: 'throw' })).platform).toEqual({ error: 'An error has occurred: Error: thrown' });
  });

  it('python: a returned {error} as it was, a raised exception as text', async () => {
    expect((await failed('py-ow', { mode: 'return' })).platform).toEqual({ error: 'nope' });
    expect((await failed('py-ow', { mode: 'raise' })).platform).toEqual({ error: "An error has occurred: KeyError: 'missing'" });
  });
});

describe('OpenFaaS', () => {
  it('node18: a thrown error answers its text with the status so far; context.fail() answers 500', async () => {
    expect((await failed('node-faas', { method: 'GET', query: { mode: 'throw' } })).platform).toEqual({ statusCode: 200, body: 'Error: handler threw' });
    expect((await failed('node-faas', { method: 'GET', query: { mode: 'fail' } })).platform).toEqual({ statusCode: 500, body: 'FunctionFailed: declined' });
  });

  it('python3-http: an exception is a 500', async () => {
    expect((await failed('py-faas', { method: 'GET' })).platform).toEqual({ statusCode: 500, body: 'Internal Server Error' });
  });
});
