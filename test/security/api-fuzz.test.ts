// Hostile requests against a real api (real Temporal, Docker and database) over real HTTP:
// wrong methods, bad JSON, 10,000-level nesting, huge bodies, bad code, a wrong value in every
// field of every procedure (walked from the router), unknown procedures, giant batches, long
// URLs, unknown ids, bad content types and headers, bytes that are not HTTP. Every answer
// must be a 4xx (or a 2xx for what is allowed) with a readable message and nothing of the
// server's insides, and nothing may have been created.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { appRouter } from '../../src/api/routers/_app.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { createProber, problemsOf, tarOf, type Case } from './support/http-fuzz.js';

let stack: TestStack;
let before: unknown;
let prober: ReturnType<typeof createProber>;

/** Small limits, so "too large" costs the test little: body limit ≈ 1.4 × 1 MiB + 1 MiB. */
const CODE_BYTES = 1024 * 1024;

beforeAll(async () => {
  stack = await startTestStack({ name: 'fuzz', env: { CAISSON_MAX_CODE_BYTES: String(CODE_BYTES), CAISSON_MAX_PAYLOAD_BYTES: String(CODE_BYTES) } });
  before = await everything();
  prober = createProber(stack.api.url, stack.adminKey);
});
afterAll(async () => {
  await stack?.stop();
});
const send = (c: Case) => prober.send(c);

/** What the fuzz must not change: every list, in the namespaces the cases name. */
async function everything() {
  const c = stack.client;
  const lists = await Promise.all(['default', 'fz'].flatMap((namespace) => [
    c.functions.list.query({ namespace }), c.invocations.list.query({ namespace }), c.chains.list.query({ namespace }),
    c.deadLetters.list.query({ namespace }), c.chains.invocations.query({ namespace }),
  ]));
  return JSON.parse(JSON.stringify(lists)) as unknown;
}

type Procedure = { _def: { type: 'query' | 'mutation'; inputs: z.ZodType[] } };
const procedures = appRouter._def.procedures as unknown as Record<string, Procedure>;

/** Inputs that pass validation but name nothing that exists, or fail on a field the case does not touch,
 * so no case can create anything: create-like calls carry two bad fields (runtime, code). */
const BASE: Record<string, Record<string, unknown>> = {
  'functions.create': { namespace: 'fz', name: 'fz-none', runtime: 'cobol', code: '!!!' },
  'functions.update': { namespace: 'fz', name: 'fz-none', code: 'cHJpbnQoMSk=' },
  'functions.deploy': { namespace: 'fz', name: 'fz-none', runtime: 'cobol', code: '!!!', mode: 'create' },
  'functions.deployment': { id: `dep_${'0'.repeat(32)}` },
  'functions.buildLog': { id: `dep_${'0'.repeat(32)}` },
  'invocations.invoke': { namespace: 'fz', function: 'fz-none', waitMs: 0 },
  'invocations.start': { namespace: 'fz', function: 'fz-none' },
  'invocations.get': { id: 'inv_0000000000zzzzzzzzzz' },
  'invocations.wait': { id: 'inv_0000000000zzzzzzzzzz', waitMs: 100 },
  'invocations.cancel': { id: 'inv_0000000000zzzzzzzzzz' },
  'chains.create': { namespace: 'fz', definition: { name: 'fz-chain', steps: [{ function: 'fz-none' }] } },
  'chains.update': { namespace: 'fz', definition: { name: 'fz-chain', steps: [{ function: 'fz-none' }] } },
  'chains.start': { namespace: 'fz', name: 'fz-none' },
  'chains.invoke': { namespace: 'fz', name: 'fz-none', waitMs: 0 },
  'chains.resume': { id: 'inv_0000000000zzzzzzzzzz' },
  'chains.invocation': { id: 'inv_0000000000zzzzzzzzzz' },
  'deadLetters.get': { id: 'dlq_inv_0000000000zzzzzzzzzz' },
  'deadLetters.replay': { id: 'dlq_inv_0000000000zzzzzzzzzz' },
  'deadLetters.delete': { id: 'dlq_inv_0000000000zzzzzzzzzz' },
};
const baseOf = (path: string) => BASE[path] ?? { namespace: 'fz', name: 'fz-none' };

/** Values of the wrong type or shape for nearly any field. */
const WRONG: unknown[] = [
  null, 12345, -1, 1.5, 1e308, true, '', 'Ünïcödé ☃ \u0000 \u202e', [], [1, 'two'], {}, { nested: { deeper: [null] } },
  'a'.repeat(10_000), '../../../../etc/passwd', '9007199254740993',
];

function inputCases(): Case[] {
  const cases: Case[] = [];
  for (const [path, proc] of Object.entries(procedures)) {
    const schema = proc._def.inputs[0];
    const fields = schema instanceof z.ZodObject ? Object.keys(schema.shape as Record<string, unknown>) : [];
    const call = (what: string, input: unknown): Case => proc._def.type === 'query'
      ? { what, method: 'GET', path: `/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}` }
      : { what, method: 'POST', path: `/trpc/${path}`, body: JSON.stringify(input) };
    for (const field of fields) {
      for (const [i, value] of WRONG.entries()) cases.push(call(`${path}.${field} = wrong[${i}]`, { ...baseOf(path), [field]: value }));
    }
    cases.push(call(`${path} with the base input`, baseOf(path)));
    cases.push(call(`${path} with an unknown key`, { ...baseOf(path), __proto__: { admin: true }, constructor: 'x', extra: 1 }));
    for (const whole of [null, 42, 'text', [], [1, 2]]) cases.push(call(`${path} input ${JSON.stringify(whole)}`, whole));
    // Wrong methods: a query by POST, a mutation by GET, and verbs tRPC does not serve.
    cases.push({ what: `${path} by the other method`, method: proc._def.type === 'query' ? 'POST' : 'GET', path: `/trpc/${path}`, body: proc._def.type === 'query' ? '{}' : undefined });
    for (const method of ['PUT', 'DELETE', 'PATCH']) cases.push({ what: `${path} by ${method}`, method, path: `/trpc/${path}`, body: '{}' });
  }
  return cases;
}

const deep = (levels: number, open = '[', close = ']') => open.repeat(levels) + close.repeat(levels);

function rawCases(): Case[] {
  const post = (what: string, body: string | Buffer, headers?: Record<string, string>): Case =>
    ({ what, method: 'POST', path: '/trpc/functions.create', body, ...(headers ? { headers } : {}) });
  const create = (fields: Record<string, unknown>) => JSON.stringify({ namespace: 'fz', name: 'fz-raw', runtime: 'python', ...fields });
  const junkTgz = Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not gzip at all')]).toString('base64');
  return [
    // Bad JSON.
    post('empty body', ''), post('truncated JSON', '{"name":'), post('not JSON', 'hello'), post('NaN', '{"limits":{"cpus":NaN}}'),
    post('trailing garbage', '{}}}}'), post('bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])),
    post('a lone surrogate', '{"name":"\\ud800"}'), post('a BOM', '\ufeff{}'),
    // Deep nesting, in a body and in a query's input, and just under the bound.
    post('10,000 levels of arrays', deep(10_000)), post('10,000 levels of objects', '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)),
    { what: 'deep payload', method: 'POST', path: '/trpc/invocations.start', body: `{"function":"fz-none","payload":${deep(10_000)}}` },
    { what: 'deep chain definition', method: 'POST', path: '/trpc/chains.create', body: `{"definition":${deep(5000, '{"steps":[', ']}')}}` },
    { what: 'deep query input', method: 'GET', path: `/trpc/functions.list?input=${encodeURIComponent(deep(1000))}` },
    { what: 'payload 100 levels deep', method: 'POST', path: '/trpc/invocations.start', body: `{"namespace":"fz","function":"fz-none","payload":${deep(100)}}` },
    // Huge bodies: over the body limit, and over the code limit but under the body limit.
    post('a 3 MiB body', 'x'.repeat(3 * 1024 * 1024)),
    { ...post('a 3 MiB body, chunked', 'x'.repeat(3 * 1024 * 1024)), chunked: true },
    { ...post('a 100 KiB body, chunked', `{"namespace":"fz","name":"fz-none","runtime":"cobol","code":"${'A'.repeat(100 * 1024)}"}`), chunked: true },
    post('code over its limit', create({ code: Buffer.alloc(CODE_BYTES + 10, 'a').toString('base64') })),
    { what: 'payload over its limit', method: 'POST', path: '/trpc/invocations.start', body: JSON.stringify({ function: 'fz-none', payload: 'p'.repeat(CODE_BYTES + 10) }) },
    // Bad code.
    post('code not base64', create({ code: '%%%not base64%%%' })), post('code empty', create({ code: '' })),
    post('code of one padding char', create({ code: '=' })), post('code gzip magic then junk', create({ code: junkTgz, runtime: 'cobol' })),
    post('code of nothing but padding', create({ code: '====' })),
    // Unknown procedures and paths.
    ...['/trpc/nope', '/trpc/functions.nope', '/trpc/functions', '/trpc/', '/trpc/__proto__', '/trpc/constructor', '/trpc/functions.__proto__',
      '/trpc/_def', '/trpc/functions.create.mutate', '/trpc/..%2f..%2fetc%2fpasswd', '/trpc/%00', '/trpc/functions.list%20'].flatMap((path) => [
      { what: `GET ${path}`, method: 'GET', path }, { what: `POST ${path}`, method: 'POST', path, body: '{}' },
    ]),
    ...['/', '/nope', '/artifacts/xyz', `/artifacts/${'0'.repeat(64)}`, '/blobs/nope', '/blobs/../etc/passwd', '/healthz/x'].map((path) => ({ what: `GET ${path}`, method: 'GET', path })),
    { what: 'POST /healthz', method: 'POST', path: '/healthz', body: '{}' },
    { what: 'PUT an artifact under the wrong hash', method: 'PUT', path: `/artifacts/${'0'.repeat(64)}`, body: 'not these bytes' },
    { what: 'PUT a large blob naming no invocation', method: 'PUT', path: '/blobs', body: 'b'.repeat(CODE_BYTES * 3) },
    { what: 'PUT a blob of an unknown invocation', method: 'PUT', path: `/blobs?invocation=inv_${'0'.repeat(32)}`, body: 'b' },
    { what: 'DELETE /blobs', method: 'DELETE', path: '/blobs' },
    // Giant batches, and a batch that is not one.
    { what: 'a batch of 11', method: 'GET', path: `/trpc/${Array(11).fill('functions.list').join(',')}?batch=1&input={}` },
    { what: 'a batch of 500', method: 'GET', path: `/trpc/${Array(500).fill('functions.list').join(',')}?batch=1&input={}` },
    { what: 'a POST batch of 50', method: 'POST', path: `/trpc/${Array(50).fill('functions.delete').join(',')}?batch=1`, body: '{}' },
    { what: 'a batch with an array input', method: 'GET', path: '/trpc/functions.list,functions.list?batch=1&input=[1,2]' },
    { what: 'a batch of unknown procedures', method: 'GET', path: '/trpc/a,b,c?batch=1&input={}' },
    // Long URLs.
    { what: 'a 9 KiB URL', method: 'GET', path: `/trpc/functions.list?input=${encodeURIComponent(JSON.stringify({ cursor: 'c'.repeat(9 * 1024) }))}` },
    { what: 'a 9 KiB path', method: 'GET', path: `/trpc/${'p'.repeat(9 * 1024)}` },
    { what: 'a 15 KiB URL', method: 'GET', path: `/nope?${'q'.repeat(15 * 1024)}` },
    { what: 'a 40 KiB URL', method: 'GET', path: `/trpc/functions.list?x=${'q'.repeat(40 * 1024)}` },
    // Content types and headers.
    ...['text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'application/jsonl', '', 'application/octet-stream']
      .map((type) => post(`content-type '${type}'`, '{}', { 'content-type': type })),
    post('trpc-accept jsonl', '{}', { 'trpc-accept': 'application/jsonl' }),
    post('a 12 KiB header', '{}', { 'x-big': 'h'.repeat(12 * 1024) }),
    post('a 20 KiB header', '{}', { 'x-big': 'h'.repeat(20 * 1024) }),
    post('accept nothing useful', '{}', { accept: 'image/png' }),
    post('content-encoding gzip on plain bytes', '{}', { 'content-encoding': 'gzip' }),
  ];
}

/** Ids of every kind that were never issued, through every procedure that takes one. */
function unknownIdCases(): Case[] {
  const ids = ['inv_0000000000aaaaaaaaaa', 'inv_zzzzzzzzzzzzzzzzzzzzzzzzzz', 'inv_0000000000aaaaaaaaaa.step1', 'inv_k00000000000000000000000000000000'];
  const get = (path: string, input: unknown): Case => ({ what: `${path} ${JSON.stringify(input)}`, method: 'GET', path: `/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}` });
  const post = (path: string, input: unknown): Case => ({ what: `${path} ${JSON.stringify(input)}`, method: 'POST', path: `/trpc/${path}`, body: JSON.stringify(input) });
  return [
    ...ids.flatMap((id) => [
      get('invocations.get', { id }), get('invocations.wait', { id, waitMs: 2000 }), post('invocations.cancel', { id }),
      get('chains.invocation', { id }), get('chains.invocation', { id, waitMs: 2000 }), post('chains.resume', { id }),
      get('deadLetters.get', { id: `dlq_${id}` }), post('deadLetters.replay', { id: `dlq_${id}` }), post('deadLetters.delete', { id: `dlq_${id}` }),
    ]),
    get('functions.deployment', { id: `dep_${'a'.repeat(32)}` }), get('functions.deployment', { id: `dep_${'b'.repeat(32)}`, waitMs: 500 }),
    // Missing functions and chains, by every procedure that names one.
    ...['default', 'fz'].flatMap((namespace) => [
      get('functions.get', { namespace, name: 'fz-missing' }), get('functions.versions', { namespace, name: 'fz-missing' }),
      post('functions.delete', { namespace, name: 'fz-missing' }), post('functions.update', { namespace, name: 'fz-missing', code: 'cHJpbnQoMSk=' }),
      post('functions.deploy', { namespace, name: 'fz-missing', code: 'cHJpbnQoMSk=', mode: 'update' }),
      post('invocations.invoke', { namespace, function: 'fz-missing', waitMs: 0 }), post('invocations.start', { namespace, function: 'fz-missing', version: 7 }),
      get('chains.get', { namespace, name: 'fz-missing' }), get('chains.versions', { namespace, name: 'fz-missing' }), post('chains.delete', { namespace, name: 'fz-missing' }),
      post('chains.start', { namespace, name: 'fz-missing' }), post('chains.invoke', { namespace, name: 'fz-missing', waitMs: 0 }),
      post('chains.update', { namespace, definition: { name: 'fz-missing', steps: [{ function: 'fz-missing' }] } }),
    ]),
  ];
}

/** Bytes that are not HTTP, or not HTTP Node can route. */
const RAW_REQUESTS: Array<[string, string]> = [
  ['an absolute-form URL that is not a URL', 'GET http://[::1 HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['a method that does not exist', 'BREW /trpc/functions.list HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['a header without a colon', 'GET /healthz HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n'],
  ['two content-lengths', 'POST /trpc/functions.create HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n{}'],
  ['a bad chunk size', 'POST /trpc/functions.create HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'],
  ['not HTTP at all', '\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003 a TLS hello\r\n\r\n'],
  ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
  ['a content-length past the end', 'POST /trpc/functions.create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\nConnection: close\r\n\r\n{}'],
];

describe('a hostile client', () => {
  it('gets a 4xx with a readable message for every malformed request, and changes nothing', async () => {
    const cases = [...inputCases(), ...rawCases(), ...unknownIdCases()];
    // A few at a time: the point is what each answer says, not load.
    for (let i = 0; i < cases.length; i += 8) await Promise.all(cases.slice(i, i + 8).map(send));
    const { answers } = prober;
    for (const [what, bytes] of RAW_REQUESTS) {
      // 'a content-length past the end' is answered when the client gives up (half-close): any 4xx or nothing.
      const a = await prober.sendRaw(what, bytes);
      if (what === 'a content-length past the end' && a.status === 0) answers.pop();
    }

    const bad = answers.map((a) => ({ what: a.what, status: a.status, problems: problemsOf(a), text: a.text.slice(0, 200) })).filter((a) => a.problems.length > 0);
    const fiveHundreds = answers.filter((a) => a.status >= 500).length;
    console.log(JSON.stringify({ requests: answers.length, status5xx: fiveHundreds, byStatus: countBy(answers.map((a) => a.status)) }));
    expect(bad).toEqual([]);
    expect(answers.length).toBeGreaterThanOrEqual(300);
    expect(await everything()).toEqual(before);
  });

  it('answers the cases the issue names with the status it names', async () => {
    const status = async (c: Case) => (await send(c)).status;
    const get = (path: string, input: unknown) => ({ what: path, method: 'GET', path: `/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}` });
    expect(await status(get('invocations.get', { id: 'inv_0000000000aaaaaaaaaa' }))).toBe(404);
    expect(await status(get('functions.deployment', { id: `dep_${'c'.repeat(32)}` }))).toBe(404);
    expect(await status({ what: 'delete', method: 'POST', path: '/trpc/functions.delete', body: '{"name":"fz-missing"}' })).toBe(404);
    expect(await status({ what: 'deep', method: 'POST', path: '/trpc/invocations.start', body: `{"function":"x","payload":${deep(10_000)}}` })).toBe(400);
    expect(await status({ what: 'batch', method: 'GET', path: `/trpc/${Array(11).fill('functions.list').join(',')}?batch=1&input={}` })).toBe(400);
    expect(await status({ what: 'url', method: 'GET', path: `/trpc/functions.list?x=${'q'.repeat(9000)}` })).toBe(414);
    expect(await status({ what: 'big', method: 'POST', path: '/trpc/functions.create', body: 'x'.repeat(3 * 1024 * 1024) })).toBe(413);
    const junk = await send({ what: 'junk archive', method: 'POST', path: '/trpc/functions.create',
      body: JSON.stringify({ namespace: 'fz', name: 'fz-junk', runtime: 'python', code: Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('junk')]).toString('base64') }) });
    expect(junk.status).toBe(400);
    expect(problemsOf(junk)).toEqual([]);
    // An archive whose entry climbs out of its root: refused as the code's fault after one
    // build attempt (it was retried five times over 15 s and answered 503).
    const t0 = Date.now();
    const unsafe = await send({ what: 'unsafe archive', method: 'POST', path: '/trpc/functions.create',
      body: JSON.stringify({ namespace: 'fz', name: 'fz-unsafe', runtime: 'python', code: gzipSync(tarOf('../escape.py', 'print(1)\n')).toString('base64') }) });
    expect(unsafe.status).toBe(400);
    expect(problemsOf(unsafe)).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await everything()).toEqual(before);
  });
});

function countBy(values: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
