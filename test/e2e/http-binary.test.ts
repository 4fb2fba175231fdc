// Binary bodies and a handler's own JSON text through real HTTP (node's fetch) against the real
// stack: all 256 byte values round-trip through OpenFaaS Python, Node.js and Go functions, on the
// cold path (a container per invocation) and the warm one; a handler or a Lambda function
// returning 4.0 answers 4.0;
// a function answering too much or forging its result gets a 502 and the platform serves on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Convention, Runtime } from '../../src/shared/types.js';
import { deployFixture, stopLeavingNoContainers } from '../support/conventions.js';
import { startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
const RESULT_LIMIT = 64 * 1024;
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

const url = (path: string) => `${stack.api.url}${path}`;
const auth = () => ({ authorization: `Bearer ${stack.adminKey}` });

function deploy(name: string, dir: string, o: { runtime: Runtime; convention?: Convention; cold?: boolean }) {
  return deployFixture(stack.client, {
    dir, name, runtime: o.runtime, convention: o.convention ?? 'openfaas', root: 'test/fixtures/http-trigger', timeoutMs: 10_000,
    ...(o.cold ? { warm: { isolation: 'fresh' as const } } : {}),
  });
}

beforeAll(async () => {
  stack = await startTestStack({ name: 'http-bin', env: { CAISSON_MAX_RESULT_BYTES: String(RESULT_LIMIT) } });
  await Promise.all([
    deploy('py-bin', 'py-openfaas-binary', { runtime: 'python' }),
    deploy('py-bin-cold', 'py-openfaas-binary', { runtime: 'python', cold: true }),
    deploy('node-bin', 'node-openfaas-binary', { runtime: 'node' }),
    deploy('node-bin-cold', 'node-openfaas-binary', { runtime: 'node', cold: true }),
    deploy('go-bin', 'go-openfaas-binary', { runtime: 'go' }),
    deploy('float', 'py-handler-float', { runtime: 'python', convention: 'handler' }),
    deploy('lambda-float', 'py-lambda-float', { runtime: 'python', convention: 'lambda' }),
    deploy('action-float', 'py-web-action-float', { runtime: 'python', convention: 'openwhisk' }),
  ]);
}, 600_000);

afterAll(async () => {
  await stopLeavingNoContainers(stack);
});

async function postBytes(fn: string, body: Buffer) {
  const res = await fetch(url(`/function/${fn}/upload`), { method: 'POST', headers: { ...auth(), 'content-type': 'application/octet-stream' }, body });
  const view = await stack.client.invocations.get.query({ id: res.headers.get('x-call-id')! });
  return { res, bytes: Buffer.from(await res.arrayBuffer()), view };
}

describe('an OpenFaaS function takes and answers a binary body byte for byte', () => {
  it.each([
    { fn: 'py-bin', path: 'warm', bodyType: 'bytes' },
    { fn: 'py-bin-cold', path: 'cold', bodyType: 'bytes' },
    { fn: 'node-bin', path: 'warm', bodyType: 'Buffer' },
    { fn: 'node-bin-cold', path: 'cold', bodyType: 'Buffer' },
    { fn: 'go-bin', path: 'cold', bodyType: null },
  ])('$fn ($path)', async ({ fn, path, bodyType }) => {
    // Twice: on the warm path the second request runs in the container the first one started.
    for (const body of [ALL_BYTES, Buffer.from(ALL_BYTES).reverse()]) {
      const { res, bytes, view } = await postBytes(fn, body);
      expect(res.status, bytes.toString()).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      if (bodyType) expect(res.headers.get('x-body-type')).toBe(bodyType);
      expect(bytes.equals(body)).toBe(true);
      expect(view.status).toBe('SUCCEEDED');
    }
    const { view } = await postBytes(fn, ALL_BYTES);
    expect(view.cold).toBe(path === 'cold');
  });
});

describe("a handler's JSON numbers keep their text on the HTTP path", () => {
  it('4.0 answers 4.0, in a bare result and inside an object; the recorded value is the number', async () => {
    for (let i = 0; i < 2; i++) { // the first request starts the container, the second reuses it
      const bare = await fetch(url('/function/float?kind=bare'), { headers: auth() });
      expect(bare.status).toBe(200);
      expect(bare.headers.get('content-type')).toBe('application/json');
      expect(await bare.text()).toBe('4.0');
      const dict = await fetch(url('/function/float'), { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: '{"kind": "dict"}' });
      expect(await dict.text()).toBe('{"ratio": 4.0, "items": [1, 2.5], "name": "x"}');
      const view = await stack.client.invocations.get.query({ id: dict.headers.get('x-call-id')! });
      expect(view.result).toEqual({ ratio: 4, items: [1, 2.5], name: 'x' });
    }
  });
});

describe("a Lambda function's or OpenWhisk action's plain result keeps its JSON text, as their platforms send it", () => {
  it('{"ratio": 4.0} answers 4.0; a {statusCode, body} response is sent as it says', async () => {
    const plain = await fetch(url('/function/lambda-float'), { headers: auth() });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('application/json');
    expect(await plain.text()).toBe('{"ratio": 4.0, "items": [1, 2.5]}');
    const response = await fetch(url('/function/lambda-float?kind=response'), { headers: auth() });
    expect(response.status).toBe(201);
    expect(await response.text()).toBe('made');
  });

  it("an OpenWhisk web action's plain result answers its own text too", async () => {
    const res = await fetch(url('/function/action-float'), { headers: auth() });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"ratio": 4.0, "items": [1, 2.5]}');
  });
});

describe('hostile answers fail cleanly with a 502', () => {
  async function errorOf(path: string, init: RequestInit = {}) {
    const res = await fetch(url(path), { ...init, headers: auth() });
    return { status: res.status, body: (await res.json()) as { error: { kind: string; message: string } } };
  }

  it.each(['py-bin', 'py-bin-cold'])('%s: a body over the result limit (base64 and all) is InvalidOutput', async (fn) => {
    // 50,000 bytes are 66,668 in base64: over the 64 KiB result limit.
    const { status, body } = await errorOf(`/function/${fn}?n=50000`);
    expect(status).toBe(502);
    expect(body.error).toMatchObject({ kind: 'InvalidOutput', message: expect.stringMatching(/over the limit of 65536 bytes/) });
  });

  it.each([
    { forge: 'base64', message: /isBase64Encoded with a body that is not base64/ },
    { forge: 'envelope', message: /result\.json is not valid JSON/ },
  ])('a result forged past the wrapper ($forge) is InvalidOutput', async ({ forge, message }) => {
    const { status, body } = await errorOf(`/function/py-bin-cold?forge=${forge}`);
    expect(status).toBe(502);
    expect(body.error).toMatchObject({ kind: 'InvalidOutput', message: expect.stringMatching(message) });
  });

  it('the same functions serve the next request', async () => {
    for (const fn of ['py-bin', 'py-bin-cold']) {
      const { res, bytes } = await postBytes(fn, ALL_BYTES);
      expect(res.status).toBe(200);
      expect(bytes.equals(ALL_BYTES)).toBe(true);
    }
  });
});
