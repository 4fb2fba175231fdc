// Public HTTP triggers behind two api processes on one PostgreSQL database (the production
// topology): one rate limit per client address across both, the caller each invocation records
// (anonymous + address, or the key), X-Forwarded-For believed only from a trusted proxy, and a
// flood of distinct addresses that cannot grow the rate table past its cap. Real HTTP from
// distinct loopback addresses (127.0.0.0/8 is all loopback on Linux), real Temporal and Docker.
import { request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packCode } from '../../src/cli/code-package.js';
import { startApi, type RunningApi } from '../../src/cli/processes/api.process.js';
import { createScratchPostgres } from '../integration/db/databases.js';
import { runCli } from '../support/cli.js';
import { stopLeavingNoContainers } from '../support/conventions.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const RATE_CLIENTS = 4;
const PROXY = '127.0.0.3';
let database: { url: string; drop(): Promise<void> };
let stack: TestStack;
/** The second api process: same database, home and task queues; it trusts PROXY's X-Forwarded-For. */
let apiB: RunningApi;
let sql: pg.Client;

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** One request from a chosen local address (the client address the api sees). */
function send(apiUrl: string, path: string, opts: { from: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
  const target = new URL(apiUrl);
  return new Promise((resolve, reject) => {
    const req = request({
      host: target.hostname, port: target.port, path, method: 'POST', localAddress: opts.from,
      headers: { 'content-type': 'application/json', ...opts.headers }, agent: false,
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body ?? '{}');
  });
}

async function deploy(name: string, http: { access: 'public' | 'private'; rateLimitPerS?: number }) {
  const packed = await packCode(join(process.cwd(), 'test/fixtures/http-trigger/py-script-json'));
  await stack.client.functions.create.mutate({
    name, runtime: 'python', code: packed.code, fileName: packed.fileName, convention: 'script',
    limits: { timeoutMs: 5000 }, retryPolicy: { maxAttempts: 1 }, http,
  });
  // Warm it through tRPC (no rate limit there), so the requests below are quick.
  expect(await stack.client.invocations.invoke.mutate({ function: name, payload: {}, waitMs: 60_000 })).toMatchObject({ status: 'SUCCEEDED' });
}

beforeAll(async () => {
  database = await createScratchPostgres();
  stack = await startTestStack({ name: 'rl2', databaseUrl: database.url, env: { CAISSON_TRIGGER_RATE_CLIENTS: String(RATE_CLIENTS) } });
  apiB = await startApi({ ...stack.config, triggers: { ...stack.config.triggers, trustedProxies: [PROXY] } }, { log: () => {} });
  sql = new pg.Client({ connectionString: database.url });
  await sql.connect();
  await Promise.all([
    deploy('shared', { access: 'public', rateLimitPerS: 3 }),
    deploy('open', { access: 'public' }),
    deploy('closed', { access: 'private' }),
    // Its buckets stay unfull for 20 s: nothing expires while the flood runs.
    deploy('flood', { access: 'public', rateLimitPerS: 0.05 }),
  ]);
});

afterAll(async () => {
  await sql?.end();
  await apiB?.stop();
  await stopLeavingNoContainers(stack);
  await database?.drop();
});

describe('one rate limit across api processes', () => {
  it('requests alternating between the two apis get 429 after R in total, not R per api', async () => {
    const apis = [stack.api.url, apiB.url];
    const started = Date.now();
    // Sent together: one after the other, each admitted call runs the function first, and on a
    // busy machine that is long enough for the bucket to refill before the next.
    const answers = await Promise.all(Array.from({ length: 10 }, async (_, i) => {
      const a = await send(apis[i % 2]!, '/function/shared', { from: '127.0.0.2' });
      return { api: i % 2, status: a.status, retryAfter: a.headers['retry-after'] };
    }));
    const elapsedS = (Date.now() - started) / 1000;
    const allowed = answers.filter((a) => a.status === 200).length;
    // A bucket of 3 plus what refills at 3/s while the requests ran (each api alone would allow 3).
    expect(allowed).toBeGreaterThanOrEqual(3);
    expect(allowed, JSON.stringify({ answers, elapsedS })).toBeLessThanOrEqual(3 + Math.floor(elapsedS * 3));
    expect(answers.filter((a) => a.status !== 200).every((a) => a.status === 429 && a.retryAfter === '1')).toBe(true);
    // Both apis refused: the second api knew what the first admitted.
    expect(new Set(answers.filter((a) => a.status === 429).map((a) => a.api))).toEqual(new Set([0, 1]));
    // Another address has its own bucket, on either api.
    expect((await send(apiB.url, '/function/shared', { from: '127.0.0.4' })).status).toBe(200);
  });
});

describe('who called', () => {
  it('a public call records anonymous and the client address; inv get shows it', async () => {
    const res = await send(stack.api.url, '/function/open', { from: '127.0.0.5' });
    expect(res.status).toBe(200);
    const id = res.headers['x-call-id'] as string;
    expect(await stack.client.invocations.get.query({ id })).toMatchObject({ caller: { kind: 'anonymous', address: '127.0.0.5' } });
    const listed = await stack.client.invocations.list.query({ function: 'open', limit: 10 });
    expect(listed.items.find((i) => i.id === id)?.caller).toEqual({ kind: 'anonymous', address: '127.0.0.5' });
    const cli = await runCli(['inv', 'get', id], { apiUrl: stack.api.url, home: mkdtempSync(join(stack.config.home, 'cli-')), apiKey: stack.adminKey });
    expect(cli.code, cli.text).toBe(0);
    expect(cli.out).toMatchObject({ id, caller: { kind: 'anonymous', address: '127.0.0.5' } });
  });

  it('a private call records the key (id and name) and its address; a tRPC invoke records the key', async () => {
    const { key, id: keyId } = await stack.clientWithKey({ namespace: 'default', role: 'invoker', name: 'ci deploys' });
    const res = await send(apiB.url, '/function/closed', { from: '127.0.0.6', headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    const view = await stack.client.invocations.get.query({ id: res.headers['x-call-id'] as string });
    expect(view.caller).toEqual({ kind: 'key', keyId, keyName: 'ci deploys', address: '127.0.0.6' });
    const viaTrpc = await stack.client.invocations.invoke.mutate({ function: 'closed', payload: {}, waitMs: 60_000 });
    expect(viaTrpc.caller).toMatchObject({ kind: 'key', keyName: 'test rl2' });
  });
});

describe('hostile callers', () => {
  it('a spoofed X-Forwarded-For is ignored unless the peer is a trusted proxy', async () => {
    const spoof = { 'x-forwarded-for': '198.51.100.77' };
    const callerOf = async (a: Answer) => (await stack.client.invocations.get.query({ id: a.headers['x-call-id'] as string })).caller;
    // Api A trusts no proxy; api B trusts PROXY only.
    expect(await callerOf(await send(stack.api.url, '/function/open', { from: PROXY, headers: spoof }))).toEqual({ kind: 'anonymous', address: PROXY });
    expect(await callerOf(await send(apiB.url, '/function/open', { from: '127.0.0.7', headers: spoof }))).toEqual({ kind: 'anonymous', address: '127.0.0.7' });
    expect(await callerOf(await send(apiB.url, '/function/open', { from: PROXY, headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.77' } })))
      .toEqual({ kind: 'anonymous', address: '198.51.100.77' });
    // A spoofed header does not buy a fresh rate bucket either: the address is the peer's.
    const started = Date.now();
    const statuses = await Promise.all(Array.from({ length: 6 }, async (_, i) =>
      (await send(stack.api.url, '/function/shared', { from: '127.0.0.8', headers: { 'x-forwarded-for': `203.0.113.${50 + i}` } })).status));
    const allowed = statuses.filter((s) => s === 200).length;
    expect(allowed, JSON.stringify(statuses)).toBeLessThanOrEqual(3 + Math.floor(((Date.now() - started) / 1000) * 3));
    expect(statuses).toContain(429);
  });

  it('a flood of distinct addresses holds at most CAISSON_TRIGGER_RATE_CLIENTS rows per function', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await send(i % 2 ? apiB.url : stack.api.url, '/function/flood', { from: `127.0.1.${i + 1}` });
      statuses.push(res.status);
      if (res.status === 429) expect(res.body).toMatch(/rate limiting 4 client addresses already/);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(RATE_CLIENTS);
    expect(statuses.slice(RATE_CLIENTS).every((s) => s === 429)).toBe(true);
    const { rows } = await sql.query(`SELECT count(*)::int AS n FROM "TriggerRateBucket" WHERE "functionName" = 'flood'`);
    expect(rows[0]).toEqual({ n: RATE_CLIENTS });
    // The first addresses keep their own (exhausted) buckets: refused for their rate, not the cap.
    const first = await send(stack.api.url, '/function/flood', { from: '127.0.1.1' });
    expect(first.status).toBe(429);
    expect(first.body).toMatch(/at most 0.05 requests a second/);
  });
});
