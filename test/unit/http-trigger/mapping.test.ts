// The pure parts of HTTP triggers: routes, each convention's request and answer mapping, the
// callback allowlist and the function's own limits.
import { describe, expect, it } from 'vitest';
import { checkCallbackUrl, parseCallbackAllow } from '../../../src/api/http-trigger/callback-allow.js';
import { requestToPayload, resultToAnswer, UnsupportedBodyError } from '../../../src/api/http-trigger/conventions.js';
import { BadFunctionAnswerError } from '../../../src/api/http-trigger/answer.js';
import { createTriggerLimits, TriggerLimitError } from '../../../src/api/http-trigger/limits.js';
import type { TriggerRequest } from '../../../src/api/http-trigger/request.js';
import { parseTriggerRoute } from '../../../src/api/http-trigger/route.js';
import { outcomeAnswer } from '../../../src/api/http-trigger/outcome.js';
import { storedResult, toView } from '../../../src/api/services/invocation-view.js';
import type { InvocationRow } from '../../../src/db/index.js';
import { HttpTriggerSettingsSchema, mergeHttpTrigger } from '../../../src/shared/http-trigger.js';

function request(over: Partial<TriggerRequest> & { headerList?: Array<[string, string]> } = {}): TriggerRequest {
  const headers = new Map<string, string[]>();
  for (const [k, v] of over.headerList ?? []) headers.set(k, [...(headers.get(k) ?? []), v]);
  return { method: 'POST', path: '/', rawQuery: '', headers, body: Buffer.alloc(0), sourceIp: '10.0.0.1', host: 'api.example.com', ...over };
}

describe('routes', () => {
  it.each([
    ['/function/hello', { async: false, name: 'hello', namespace: 'default', subPath: '/' }],
    ['/function/hello/', { async: false, name: 'hello', namespace: 'default', subPath: '/' }],
    ['/function/hello.shop/a/b%20c', { async: false, name: 'hello', namespace: 'shop', subPath: '/a/b%20c' }],
    ['/async-function/my_fn-2', { async: true, name: 'my_fn-2', namespace: 'default', subPath: '/' }],
  ])('%s', (path, route) => expect(parseTriggerRoute(path)).toEqual(route));

  it.each(['/function/', '/function/Hello', '/function/a.B', '/function/a.b.c', '/function/.shop'])('%s is a 400', (path) => {
    expect(parseTriggerRoute(path)).toHaveProperty('problem');
  });
});

describe('lambda', () => {
  it('builds the 2.0 event: repeated headers and query joined, cookies apart, a binary body in base64', () => {
    const event = requestToPayload('lambda', request({
      path: '/x', rawQuery: 'a=1&a=2', body: Buffer.from([0, 1, 255]),
      headerList: [['x-multi', 'one'], ['x-multi', 'two'], ['cookie', 'a=1; b=2'], ['content-type', 'application/octet-stream']],
    }), { requestId: 'r1', time: new Date('2026-12-06T11:30:05Z') }) as { headers: Record<string, string> };
    expect(event).toMatchObject({
      version: '2.0', rawPath: '/x', rawQueryString: 'a=1&a=2', cookies: ['a=1', 'b=2'],
      headers: { 'x-multi': 'one, two', 'content-type': 'application/octet-stream' }, queryStringParameters: { a: '1,2' },
      body: 'AAH/', isBase64Encoded: true,
      requestContext: { requestId: 'r1', time: '06/Dec/2026:11:30:05 +0000', timeEpoch: Date.parse('2026-12-06T11:30:05Z'), http: { method: 'POST', sourceIp: '10.0.0.1' } },
    });
    expect(event.headers.cookie).toBeUndefined();
  });

  it('keeps a text body as text; a NUL makes it binary', () => {
    expect(requestToPayload('lambda', request({ body: Buffer.from('{"n": 4.0}'), headerList: [['content-type', 'application/json']] }), { requestId: 'r' }))
      .toMatchObject({ body: '{"n": 4.0}', isBase64Encoded: false });
    expect(requestToPayload('lambda', request({ body: Buffer.from('a\u0000b') }), { requestId: 'r' })).toMatchObject({ isBase64Encoded: true });
  });

  it('answers the response format, and a plain result as 200 JSON', () => {
    const answer = resultToAnswer('lambda', { statusCode: 302, headers: { location: '/y', 'x-bad': 'a\r\nb', connection: 'close' }, cookies: ['a=1', 'b=2'], body: 'AQI=', isBase64Encoded: true });
    expect(answer.status).toBe(302);
    expect(answer.headers).toEqual([['location', '/y'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['content-type', 'application/json']]);
    expect([...answer.body]).toEqual([1, 2]);
    expect(resultToAnswer('lambda', { ok: 1 })).toMatchObject({ status: 200, body: Buffer.from('{"ok":1}') });
  });

  it.each([{ statusCode: 99 }, { statusCode: 'x' }, { statusCode: 200, headers: [] }, { statusCode: 200, cookies: 'a' }, { statusCode: 200, body: '%%', isBase64Encoded: true }])(
    'refuses a malformed answer %j', (result) => expect(() => resultToAnswer('lambda', result)).toThrow(BadFunctionAnswerError));
});

describe('openwhisk', () => {
  it('merges query and JSON fields and adds __ow_*', () => {
    expect(requestToPayload('openwhisk', request({ path: '/p', rawQuery: 'q=1', body: Buffer.from('{"b":2}'), headerList: [['content-type', 'application/json']] }), { requestId: 'r' }))
      .toEqual({ q: '1', b: 2, __ow_method: 'post', __ow_headers: { 'content-type': 'application/json' }, __ow_path: '/p', __ow_query: 'q=1' });
    expect(requestToPayload('openwhisk', request({ body: Buffer.from('raw text'), headerList: [['content-type', 'text/plain']] }), { requestId: 'r' }))
      .toMatchObject({ __ow_body: 'raw text', __ow_path: '' });
  });

  it('decodes a base64 body of a binary type; a body without statusCode is 200, no body 204', () => {
    expect([...resultToAnswer('openwhisk', { headers: { 'content-type': 'image/png' }, body: 'AP8=' }).body]).toEqual([0, 255]);
    expect(resultToAnswer('openwhisk', { body: { a: 1 } })).toMatchObject({ status: 200, headers: [['content-type', 'application/json']] });
    expect(resultToAnswer('openwhisk', { headers: {} }).status).toBe(204);
    expect(resultToAnswer('openwhisk', { greeting: 'hi' })).toMatchObject({ status: 200, body: Buffer.from('{"greeting":"hi"}') });
  });
});

describe('openfaas, script and handler', () => {
  it('openfaas gets canonical header names with repeats joined; a binary body in base64', () => {
    expect(requestToPayload('openfaas', request({ rawQuery: 'q=1', body: Buffer.from('hi'), headerList: [['x-multi', 'a'], ['x-multi', 'b']] }), { requestId: 'r' }))
      .toEqual({ method: 'POST', path: '/', query: { q: '1' }, headers: { 'X-Multi': 'a, b' }, body: 'hi' });
    expect(requestToPayload('openfaas', request({ body: Buffer.from([0xff, 0x00, 0x41]) }), { requestId: 'r' }))
      .toMatchObject({ body: '/wBB', isBase64Encoded: true });
    // Valid UTF-8 with a NUL cannot be a JSON column's string: base64 too.
    expect(requestToPayload('openfaas', request({ body: Buffer.from('a\u0000b') }), { requestId: 'r' })).toMatchObject({ body: 'YQBi', isBase64Encoded: true });
  });

  it('openfaas answers a base64 body as its bytes, and malformed base64 as a 502 error', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const answer = resultToAnswer('openfaas', { statusCode: 201, headers: { 'Content-Type': 'application/octet-stream' }, body: all.toString('base64'), isBase64Encoded: true });
    expect(answer).toEqual({ status: 201, headers: [['Content-Type', 'application/octet-stream']], body: all });
    expect(resultToAnswer('openfaas', { statusCode: 200, body: 'AAH/' }).body.toString()).toBe('AAH/'); // no flag: text
    for (const body of ['%%%', 'AAH/A', 42]) {
      expect(() => resultToAnswer('openfaas', { statusCode: 200, body, isBase64Encoded: true })).toThrow(BadFunctionAnswerError);
    }
  });

  it('script and handler refuse a binary body (415), naming the conventions that take one', () => {
    for (const convention of ['script', 'handler'] as const) {
      expect(() => requestToPayload(convention, request({ body: Buffer.from([0xff, 0xfe]) }), { requestId: 'r' })).toThrow(/binary.*openfaas, lambda or openwhisk/);
      expect(() => requestToPayload(convention, request({ body: Buffer.from([0xff]) }), { requestId: 'r' })).toThrow(UnsupportedBodyError);
    }
  });

  it('script: JSON is the payload, other text a string, nothing the query', () => {
    expect(requestToPayload('script', request({ body: Buffer.from('{"a":1}') }), { requestId: 'r' })).toEqual({ a: 1 });
    expect(requestToPayload('handler', request({ body: Buffer.from('plain') }), { requestId: 'r' })).toBe('plain');
    expect(requestToPayload('script', request({ rawQuery: 'x=1' }), { requestId: 'r' })).toEqual({ x: '1' });
    expect(requestToPayload('script', request(), { requestId: 'r' })).toBeNull();
    expect(resultToAnswer('script', { n: 4 }, '{"n": 4.0}').body.toString()).toBe('{"n": 4.0}');
  });
});

describe("a function's stored result text", () => {
  const row = {
    id: 'inv_1', namespace: 'default', functionName: 'f', version: 1, attempts: 1, attemptLog: [], cold: false, replayOf: null,
    createdAt: new Date(0), endedAt: new Date(1), durationMs: 1, stdout: '', stderr: '', errorKind: null, errorMessage: null,
  } as unknown as InvocationRow;
  const blobs = { get: async (id: string) => (id === 'b1' ? Buffer.from('{"ratio": 4.0}') : null) };

  it('is the answer of a handler and of a Lambda or OpenWhisk plain result, not of an OpenFaaS function, and never part of the view itself', async () => {
    const view = toView(row, 'SUCCEEDED', await storedResult({ blobs } as never, 'b1'));
    expect(view.result).toEqual({ ratio: 4 });
    expect(JSON.stringify(view)).not.toContain('4.0');
    expect(outcomeAnswer('handler', view).body.toString()).toBe('{"ratio": 4.0}');
    expect(outcomeAnswer('lambda', view).body.toString()).toBe('{"ratio": 4.0}');
    expect(outcomeAnswer('openwhisk', view).body.toString()).toBe('{"ratio": 4.0}');
    expect(outcomeAnswer('openfaas', view).body.toString()).not.toContain('4.0'); // its {statusCode, body} answer maps the value
    const inline = toView(row, 'SUCCEEDED', { value: { ratio: 4 } });
    expect(outcomeAnswer('handler', inline).body.toString()).toBe('{"ratio":4}');
  });
});

describe('callback allowlist', () => {
  const allow = parseCallbackAllow('127.0.0.1:*, *.hooks.example.com, api.example.org:8443');
  it.each([
    ['http://127.0.0.1:9999/x', true], ['https://a.hooks.example.com/x', true], ['https://hooks.example.com/x', false],
    ['https://a.hooks.example.com:8080/x', false], ['https://api.example.org:8443/', true], ['https://api.example.org/', false],
    ['http://evil.example.net/', false],
  ])('%s → %s', (url, ok) => expect(checkCallbackUrl(url, allow).ok).toBe(ok));

  it('refuses everything when empty, and malformed or credentialled URLs with 400', () => {
    expect(checkCallbackUrl('http://127.0.0.1/', parseCallbackAllow(''))).toMatchObject({ ok: false, status: 403 });
    expect(checkCallbackUrl('not a url', allow)).toMatchObject({ ok: false, status: 400 });
    expect(checkCallbackUrl('ftp://127.0.0.1/', allow)).toMatchObject({ ok: false, status: 400 });
    expect(checkCallbackUrl('http://u:p@127.0.0.1:1/', allow)).toMatchObject({ ok: false, status: 400 });
  });
});

describe('limits', () => {
  const fn = { namespace: 'default', name: 'f' };
  it('maxConcurrency admits up to N, queues up to maxQueued, then refuses', async () => {
    const limits = createTriggerLimits({ inFlight: async () => 0, queueWaitMs: 200, pollMs: 5 });
    const settings = HttpTriggerSettingsSchema.parse({ maxConcurrency: 1, maxQueued: 1 });
    const first = await limits.acquire(fn, settings);
    const queued = limits.acquire(fn, settings);
    await expect(limits.acquire(fn, settings)).rejects.toThrow(/queue of 1 is full/);
    first.release();
    (await queued).release();
  });

  it('a waiter gives up after the wait; rows in flight elsewhere count', async () => {
    const limits = createTriggerLimits({ inFlight: async () => 2, queueWaitMs: 30, pollMs: 5 });
    await expect(limits.acquire(fn, HttpTriggerSettingsSchema.parse({ maxConcurrency: 2 }))).rejects.toThrow(TriggerLimitError);
  });
});

describe('settings of a new version', () => {
  it('keeps what the deploy does not name, takes what it names, and null clears a limit', () => {
    const first = mergeHttpTrigger(undefined, { access: 'public', maxConcurrency: 3, rateLimitPerS: 5 });
    expect(first).toEqual({ access: 'public', maxConcurrency: 3, maxQueued: 32, rateLimitPerS: 5 });
    expect(mergeHttpTrigger(first, { maxQueued: 0 })).toEqual({ ...first, maxQueued: 0 });
    expect(mergeHttpTrigger(first, { maxConcurrency: null, rateLimitPerS: null })).toEqual({ access: 'public', maxQueued: 32 });
    expect(mergeHttpTrigger(undefined, undefined)).toEqual({ access: 'private', maxQueued: 32 });
  });
});
