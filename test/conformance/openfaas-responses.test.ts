// OpenFaaS templates' response defaults: the Content-Type each template's server sends when the
// handler sets none (python3-http: Flask; node18: Express's res.send of a string).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployFixture } from '../support/conventions.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ name: 'conform-openfaas' });
  const root = 'test/fixtures/conformance';
  await Promise.all([
    deployFixture(stack.client, { dir: 'py-openfaas-http-types', name: 'py-types', runtime: 'python', convention: 'openfaas', root }),
    deployFixture(stack.client, { dir: 'node-openfaas-types', name: 'node-types', runtime: 'node', convention: 'openfaas', root }),
  ]);
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

async function call(fn: string, kind: string) {
  const r = await stack.client.invocations.invoke.mutate({ function: fn, payload: { method: 'GET', query: { kind } }, waitMs: 60_000 });
  expect(r.error).toBeUndefined();
  return r.result as { statusCode: number; headers: Record<string, string>; body: string };
}

describe('python3-http template', () => {
  it.each([
    { kind: 'dict', type: 'application/json', body: '{"hello": "world"}' },
    { kind: 'text', type: 'text/html; charset=utf-8', body: '<p>hi</p>' },
    { kind: 'typed', type: 'text/csv', body: 'a,b' },
    { kind: 'bare', type: 'text/html; charset=utf-8', body: 'plain string' },
  ])('$kind body → $type', async ({ kind, type, body }) => {
    const res = await call('py-types', kind);
    expect(res.headers['Content-Type']).toBe(type);
    expect(kind === 'dict' ? JSON.parse(res.body) : res.body).toEqual(kind === 'dict' ? JSON.parse(body) : body);
  });
});

describe('node18 template', () => {
  it.each([
    { kind: 'object', type: 'text/html; charset=utf-8', body: '{"hello":"world"}' },
    { kind: 'typed', type: 'text/csv; charset=utf-8', body: 'a,b' },
    { kind: 'string', type: 'text/html; charset=utf-8', body: 'plain string' },
  ])('$kind → $type', async ({ kind, type, body }) => {
    const res = await call('node-types', kind);
    expect(res.headers['Content-Type']).toBe(type);
    expect(res.body).toBe(body);
  });

  it('nothing returned: an empty body and no Content-Type', async () => {
    const res = await call('node-types', 'empty');
    expect(res.body).toBe('');
    expect(Object.keys(res.headers).map((k) => k.toLowerCase())).not.toContain('content-type');
  });
});
