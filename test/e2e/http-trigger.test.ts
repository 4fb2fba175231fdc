// HTTP triggers through real HTTP (node's fetch) against the real stack: /function/<name> in each
// convention's native shape, binary round trips (more in http-binary.test.ts), the 502/504/429 paths, private vs public,
// /async-function with a callback to a server on 127.0.0.1, and an idempotent retry.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packCode } from '../../src/cli/code-package.js';
import type { Convention } from '../../src/shared/types.js';
import { stopLeavingNoContainers } from '../support/conventions.js';
import { runCli } from '../support/cli.js';
import { startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
let invokerKey: string;
let foreignKey: string;
const HOOK_KEY = 's3cret-hook-key';

async function deploy(opts: {
  dir: string; name: string; runtime: 'python' | 'node'; convention: Convention; namespace?: string; timeoutMs?: number;
  http?: { access?: 'private' | 'public'; maxConcurrency?: number; maxQueued?: number; rateLimitPerS?: number };
  secrets?: Array<{ name: string }>;
}) {
  const packed = await packCode(join(process.cwd(), 'test/fixtures/http-trigger', opts.dir));
  return stack.client.functions.create.mutate({
    name: opts.name, runtime: opts.runtime, code: packed.code, fileName: packed.fileName, convention: opts.convention,
    namespace: opts.namespace, limits: { timeoutMs: opts.timeoutMs ?? 5000 }, retryPolicy: { maxAttempts: 1 },
    ...(opts.http ? { http: opts.http } : {}), ...(opts.secrets ? { secrets: opts.secrets } : {}),
  });
}

const url = (path: string) => `${stack.api.url}${path}`;
const auth = (key: string) => ({ authorization: `Bearer ${key}` });
const invocationsOf = async (fn: string, namespace = 'default') =>
  (await stack.client.invocations.list.query({ namespace, function: fn, limit: 200 })).items.length;

beforeAll(async () => {
  stack = await startTestStack({ name: 'http', env: { CAISSON_CALLBACK_ALLOW: '127.0.0.1:*', CAISSON_QUOTA_QUEUE_WAIT_MS: '3000' } });
  invokerKey = (await stack.clientWithKey({ namespace: 'default', role: 'invoker' })).key;
  foreignKey = (await stack.clientWithKey({ namespace: 'other', role: 'admin' })).key;
  await stack.client.secrets.create.mutate({ name: 'hook-key', value: HOOK_KEY });
  await Promise.all([
    deploy({ dir: 'py-lambda-url', name: 'lambda-url', runtime: 'python', convention: 'lambda', timeoutMs: 3000 }),
    deploy({ dir: 'py-openfaas-hook', name: 'hook', runtime: 'python', convention: 'openfaas', http: { access: 'public' }, secrets: [{ name: 'hook-key' }] }),
    deploy({ dir: 'node-web-action', name: 'web', runtime: 'node', convention: 'openwhisk', namespace: 'shop' }),
    deploy({ dir: 'py-script-json', name: 'script-json', runtime: 'python', convention: 'script' }),
    deploy({ dir: 'py-slow-script', name: 'slow', runtime: 'python', convention: 'script', http: { maxConcurrency: 1, maxQueued: 0 } }),
    deploy({ dir: 'py-script-json', name: 'limited', runtime: 'python', convention: 'script', http: { access: 'public', rateLimitPerS: 1 } }),
  ]);
});

afterAll(async () => {
  await stopLeavingNoContainers(stack);
});

describe('a Lambda function URL handler', () => {
  it('gets the 2.0 event and answers status, headers, cookies and body', async () => {
    const res = await fetch(url('/function/lambda-url/orders/7?a=1&a=2&b=x'), {
      method: 'POST',
      headers: [['authorization', `Bearer ${invokerKey}`], ['content-type', 'text/plain'], ['x-multi', 'one'], ['x-multi', 'two'], ['cookie', 'c1=v1; c2=v2']],
      body: 'hello 4.0',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-call-id')).toMatch(/^inv_/);
    expect(res.headers.get('x-seen-multi')).toBe('one, two');
    expect(res.headers.getSetCookie()).toEqual(['session=abc; Path=/; HttpOnly', 'theme=dark']);
    expect(await res.json()).toEqual({
      method: 'POST', rawPath: '/orders/7', rawQueryString: 'a=1&a=2&b=x', query: { a: '1,2', b: 'x' },
      cookies: ['c1=v1', 'c2=v2'], body: 'hello 4.0', isBase64Encoded: false, version: '2.0', hasAuthorization: false, time: true,
    });
    // One invocation, recorded like any other.
    const view = await stack.client.invocations.get.query({ id: res.headers.get('x-call-id')! });
    expect(view).toMatchObject({ function: 'lambda-url', status: 'SUCCEEDED' });
  });

  it('round-trips a binary body byte for byte (base64 both ways)', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const res = await fetch(url('/function/lambda-url/binary'), {
      method: 'PUT', headers: { ...auth(invokerKey), 'content-type': 'application/octet-stream' }, body: bytes,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(bytes).reverse());
  });

  it('answers a plain object result as a 200 JSON body', async () => {
    const res = await fetch(url('/function/lambda-url/plain'), { headers: auth(invokerKey) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ plain: true, items: [1, 2] });
  });

  it("maps the function's error to 502 and its timeout to 504, with a JSON error", async () => {
    const [failed, slow] = await Promise.all([
      fetch(url('/function/lambda-url/fail'), { method: 'POST', headers: auth(invokerKey) }),
      fetch(url('/function/lambda-url/slow'), { headers: auth(invokerKey) }),
    ]);
    expect(failed.status).toBe(502);
    expect(await failed.json()).toMatchObject({ error: { kind: 'FunctionError', message: expect.stringContaining('the order is not valid') } });
    expect(slow.status).toBe(504);
    expect(await slow.json()).toMatchObject({ error: { kind: 'FunctionTimeout' }, invocationId: slow.headers.get('x-call-id') });
  });
});

describe('an OpenFaaS webhook (public)', () => {
  it('reads a header against its secret and the Http_* variables, without a key', async () => {
    const ok = await fetch(url('/function/hook/events?q=7'), {
      method: 'POST', headers: [['x-hook-key', HOOK_KEY], ['x-multi', 'a'], ['x-multi', 'b']], body: '{"id": 4.0}',
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-http-multi')).toBe('a, b');
    expect(await ok.text()).toBe('accepted POST /events q=7 body={"id": 4.0}');
    const bad = await fetch(url('/function/hook'), { method: 'POST', headers: { 'x-hook-key': 'wrong' }, body: 'x' });
    expect(bad.status).toBe(401);
    expect(await bad.text()).toBe('bad key');
  });
});

describe('an OpenWhisk web action in namespace shop', () => {
  it('gets __ow_* parameters with query and JSON fields merged', async () => {
    const res = await fetch(url('/function/web.shop/items?name=Ada'), {
      method: 'POST', headers: [['authorization', `Bearer ${stack.adminKey}`], ['content-type', 'application/json'], ['x-multi', '1'], ['x-multi', '2']],
      body: JSON.stringify({ extra: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-action')).toBe('web');
    expect(await res.json()).toEqual({ name: 'Ada', method: 'post', path: '/items', query: 'name=Ada', multi: '1, 2', rawBody: null });
  });

  it('answers a base64 body of a binary type as bytes', async () => {
    const res = await fetch(url('/function/web.shop/png'), { headers: auth(stack.adminKey) });
    expect(res.headers.get('content-type')).toBe('image/png');
    expect([...Buffer.from(await res.arrayBuffer())]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
  });
});

describe('script functions', () => {
  it('take a JSON body as the payload and keep the JSON text of the result (4.0 stays 4.0)', async () => {
    const res = await fetch(url('/function/script-json'), { method: 'POST', headers: { ...auth(invokerKey), 'content-type': 'application/json' }, body: '{"a": [1, "x"]}' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"got": {"a": [1, "x"]}, "ratio": 4.0}');
  });

  it('refuse a binary body with 415 naming the conventions that take one, and start nothing', async () => {
    const before = await invocationsOf('script-json');
    const res = await fetch(url('/function/script-json'), { method: 'POST', headers: auth(invokerKey), body: Buffer.from([0xff, 0xfe, 0x00]) });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/binary.*openfaas, lambda or openwhisk/);
    expect(await invocationsOf('script-json')).toBe(before);
  });
});

describe('who may call', () => {
  it('a private function needs a key of its namespace; another namespace is refused and nothing runs', async () => {
    const before = await invocationsOf('script-json');
    const none = await fetch(url('/function/script-json'), { method: 'POST', body: '1' });
    const foreign = await fetch(url('/function/script-json'), { method: 'POST', headers: auth(foreignKey), body: '1' });
    const missingForeign = await fetch(url('/function/no-such-fn'), { method: 'POST', headers: auth(foreignKey), body: '1' });
    const missingNone = await fetch(url('/function/no-such-fn'), { method: 'POST', body: '1' });
    expect([none.status, foreign.status, missingForeign.status, missingNone.status]).toEqual([401, 403, 403, 401]);
    expect(await invocationsOf('script-json')).toBe(before);
    const missing = await fetch(url('/function/no-such-fn'), { headers: auth(invokerKey) });
    expect(missing.status).toBe(404);
    const bad = await fetch(url('/function/Bad.Name'), { headers: auth(invokerKey) });
    expect(bad.status).toBe(400);
  });

  it('a public function answers without a key, and a key of another namespace reaches it only as anyone', async () => {
    const res = await fetch(url('/function/limited'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n": 1}' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"got": {"n": 1}, "ratio": 4.0}');
    await new Promise((r) => setTimeout(r, 1100)); // its rate limit (1/s) refills
    const foreign = await fetch(url('/function/limited'), { method: 'POST', headers: auth(foreignKey), body: '{"n": 2}' });
    expect(foreign.status).toBe(200);
  });
});

describe('limits', () => {
  it('maxConcurrency 1 with no queue answers 429 to a second request while the first runs', async () => {
    const first = fetch(url('/function/slow'), { headers: auth(invokerKey) });
    await new Promise((r) => setTimeout(r, 300));
    const second = await fetch(url('/function/slow'), { headers: auth(invokerKey) });
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('1');
    expect((await first).status).toBe(200);
  });

  it('rateLimitPerS 1 on a public function answers 429 to a burst from one client', async () => {
    await new Promise((r) => setTimeout(r, 1100)); // the bucket refills after the earlier test
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(url('/function/limited'), { method: 'POST', body: '{}' })).status);
    expect(statuses[0]).toBe(200);
    expect(statuses).toContain(429);
  });
});

describe('async and idempotency', () => {
  let server: Server;
  const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
  let callbackUrl: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.end('ignored');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    callbackUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/done`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('answers 202 with X-Call-Id at once and POSTs the outcome to the callback', async () => {
    const res = await fetch(url('/async-function/lambda-url/cb'), { method: 'POST', headers: { ...auth(invokerKey), 'x-callback-url': callbackUrl }, body: 'later' });
    expect(res.status).toBe(202);
    const id = res.headers.get('x-call-id');
    expect(id).toMatch(/^inv_/);
    const deadline = Date.now() + 60_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(received).toHaveLength(1);
    expect(received[0]!.headers['x-call-id']).toBe(id);
    expect(received[0]!.headers['x-function-status']).toBe('201');
    expect(JSON.parse(received[0]!.body)).toMatchObject({ rawPath: '/cb', body: 'later' });
    // The delivery is an activity of the invocation's workflow.
    const history = await stack.api.temporal.workflow.getHandle(id!).fetchHistory();
    const scheduled = history.events?.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'deliverCallback') ?? [];
    expect(scheduled).toHaveLength(1);
  });

  it('does not follow a redirect from the callback target (one POST, the redirect target never called)', async () => {
    let redirectTargetHits = 0;
    const target = createServer((_req, res) => { redirectTargetHits++; res.end(); });
    const redirecting = createServer((req, res) => { req.resume(); res.writeHead(302, { location: `http://127.0.0.1:${(target.address() as AddressInfo).port}/x` }).end(); });
    let posts = 0;
    redirecting.on('request', () => posts++);
    await Promise.all([target, redirecting].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
    try {
      const res = await fetch(url('/async-function/lambda-url'), {
        method: 'POST', headers: { ...auth(invokerKey), 'x-callback-url': `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/` },
      });
      expect(res.status).toBe(202);
      const view = await stack.client.invocations.wait.query({ id: res.headers.get('x-call-id')!, waitMs: 60_000 });
      expect(view.status).toBe('SUCCEEDED');
      await stack.api.temporal.workflow.getHandle(view.id).result().catch(() => undefined);
      expect(posts).toBe(1); // a 3xx is final: not retried, not followed
      expect(redirectTargetHits).toBe(0);
    } finally {
      await Promise.all([target, redirecting].map((s) => new Promise((r) => s.close(r))));
    }
  });

  it('refuses a callback host not in CAISSON_CALLBACK_ALLOW at request time, starting nothing', async () => {
    const before = await invocationsOf('lambda-url');
    const res = await fetch(url('/async-function/lambda-url'), { method: 'POST', headers: { ...auth(invokerKey), 'x-callback-url': 'http://example.com/hook' } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/CAISSON_CALLBACK_ALLOW/);
    expect(await invocationsOf('lambda-url')).toBe(before);
  });

  it('an Idempotency-Key retry of the same request is the same invocation', async () => {
    const send = () => fetch(url('/function/lambda-url/pay'), { method: 'POST', headers: { ...auth(invokerKey), 'idempotency-key': 'order-42' }, body: 'pay 4.0' });
    const before = await invocationsOf('lambda-url');
    const first = await send();
    const again = await send();
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('x-call-id')).toBe(first.headers.get('x-call-id'));
    expect(await again.json()).toMatchObject({ rawPath: '/pay', time: false });
    expect(await invocationsOf('lambda-url')).toBe(before + 1);
  });
});

describe('the CLI', () => {
  it('fn deploy --http public --rate-limit --max-concurrency, and invoke --data-raw', async () => {
    const home = mkdtempSync(join(stack.config.home, 'cli-'));
    const caisson = (args: string[]) => runCli(args, { apiUrl: stack.api.url, home, apiKey: stack.adminKey });
    const deployed = await caisson(['fn', 'deploy', 'test/fixtures/http-trigger/py-script-json', '--name', 'cli-fn', '--convention', 'script',
      '--http', 'public', '--rate-limit', '50/s', '--max-concurrency', '3']);
    expect(deployed.code, deployed.text).toBe(0);
    expect(deployed.out).toMatchObject({ spec: { httpTrigger: { access: 'public', rateLimitPerS: 50, maxConcurrency: 3, maxQueued: 32 } } });
    const res = await fetch(url('/function/cli-fn'), { method: 'POST', body: 'as text' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"got": "as text", "ratio": 4.0}');
    const invoked = await caisson(['invoke', 'cli-fn', '--data-raw', 'not json']);
    expect(invoked.code, invoked.text).toBe(0);
    expect(invoked.out).toMatchObject({ result: { got: 'not json' } });
    const cleared = await caisson(['fn', 'deploy', 'test/fixtures/http-trigger/py-script-json', '--name', 'cli-fn', '--convention', 'script', '--max-concurrency', 'off']);
    expect(cleared.code, cleared.text).toBe(0);
    expect((cleared.out as { spec: { httpTrigger: unknown } }).spec.httpTrigger).toEqual({ access: 'public', rateLimitPerS: 50, maxQueued: 32 });
    const refused = await caisson(['fn', 'deploy', 'test/fixtures/http-trigger/py-script-json', '--name', 'cli-fn', '--http', 'open']);
    expect(refused.code).not.toBe(0);
    expect(refused.text).toMatch(/--http takes private or public/);
  });
});
