// Prometheus metrics on the real stack: the api's /metrics (its auth: the metrics token or an
// admin key of every namespace, nothing else) and a worker's metrics port, after real warm,
// cold and failing invocations; the Temporal SDK's own metrics beside Caisson's in a worker
// process; the label cap.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployDir } from '../support/deploy.js';
import { freePort } from '../support/ports.js';
import { sampleValue } from '../support/prometheus.js';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-process.js';

const TOKEN = 'metrics-token-0123456789abcdef';
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ name: 'metrics', env: { CAISSON_METRICS_TOKEN: TOKEN, CAISSON_METRICS_PORT: '0' } });
  await Promise.all([
    deployDir(stack.client, { name: 'm-hello', runtime: 'python', dir: 'test/fixtures/functions/py-hello-script' }),
    deployDir(stack.client, { name: 'm-cold', runtime: 'python', dir: 'test/fixtures/functions/py-hello-script', fresh: true }),
    deployDir(stack.client, { name: 'm-fail', runtime: 'python', dir: 'test/fixtures/functions/py-fail' }),
    deployDir(stack.client, { name: 'm-tp', runtime: 'python', dir: 'test/fixtures/functions/py-traceparent' }),
  ]);
});

afterAll(async () => {
  await stack?.stop();
});

const scrape = (url: string, authorization?: string) =>
  fetch(url, { headers: authorization ? { authorization } : {} });
const apiMetrics = async () => (await scrape(`${stack.api.url}/metrics`, `Bearer ${TOKEN}`)).text();

describe('api /metrics', () => {
  it('counts invocations by function, version, outcome and start, with durations, queue waits and request latency', async () => {
    const invoke = (fn: string) => stack.client.invocations.invoke.mutate({ function: fn, payload: { name: 'M' } });
    expect((await invoke('m-hello')).status).toBe('SUCCEEDED');
    expect((await invoke('m-hello')).status).toBe('SUCCEEDED');
    expect((await invoke('m-cold')).status).toBe('SUCCEEDED');
    expect((await invoke('m-fail')).status).toBe('FAILED');
    const text = await apiMetrics();
    const fn = (name: string) => ({ namespace: 'default', function: name, version: '1' });
    // The first invoke may run cold while its version's first warm container starts; the second runs warm.
    expect(sampleValue(text, 'caisson_invocations_total', { ...fn('m-hello'), outcome: 'Succeeded' })).toBe(2);
    expect(sampleValue(text, 'caisson_invocations_total', { ...fn('m-hello'), outcome: 'Succeeded', start: 'warm' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'caisson_invocations_total', { ...fn('m-cold'), outcome: 'Succeeded', start: 'cold' })).toBe(1);
    expect(sampleValue(text, 'caisson_invocations_total', { ...fn('m-fail'), outcome: 'FunctionError' })).toBe(1);
    expect(sampleValue(text, 'caisson_invocation_duration_seconds_count', { namespace: 'default', outcome: 'Succeeded' })).toBe(3);
    expect(sampleValue(text, 'caisson_invocation_seconds_total', fn('m-hello'))).toBeGreaterThan(0);
    expect(sampleValue(text, 'caisson_invocation_queue_wait_seconds_count', { namespace: 'default' })).toBe(4);
    expect(sampleValue(text, 'caisson_invocation_attempts_total', { ...fn('m-fail'), kind: 'function' })).toBe(1);
    // Its only attempt failed: a dead letter.
    expect(sampleValue(text, 'caisson_dead_letters_total', { namespace: 'default', function: 'm-fail' })).toBe(1);
    expect(sampleValue(text, 'caisson_api_request_duration_seconds_count', { procedure: 'invocations.invoke', status: '200' })).toBeGreaterThanOrEqual(4);
    expect(sampleValue(text, 'caisson_api_request_duration_seconds_count', { procedure: 'functions.create', status: '200' })).toBeGreaterThanOrEqual(3);
    // The process's own metrics come along.
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('labels a request to a procedure that does not exist `unknown`, never by its made-up name', async () => {
    await scrape(`${stack.api.url}/trpc/made.up.procedure-x1`, `Bearer ${stack.adminKey}`);
    const text = await apiMetrics();
    expect(text).not.toContain('made.up.procedure-x1');
    expect(sampleValue(text, 'caisson_api_request_duration_seconds_count', { procedure: 'unknown', status: '404' })).toBeGreaterThanOrEqual(1);
  });

  it('answers the metrics token and admin keys of every namespace only', async () => {
    const url = `${stack.api.url}/metrics`;
    expect((await scrape(url)).status).toBe(401);
    expect((await scrape(url, 'Bearer not-the-token-0123456789')).status).toBe(401);
    expect((await scrape(url, `Bearer ${stack.api.workerToken}`)).status).toBe(403);
    const nsAdmin = await stack.clientWithKey({ namespace: 'default', role: 'admin' });
    expect((await scrape(url, `Bearer ${nsAdmin.key}`)).status).toBe(403);
    const reader = await stack.clientWithKey({ namespace: '*', role: 'reader' });
    expect((await scrape(url, `Bearer ${reader.key}`)).status).toBe(403);
    const ok = await scrape(url, `Bearer ${stack.adminKey}`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/plain');
    expect(await ok.text()).toContain('caisson_invocations_total');
  });
});

describe('without OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('tracing is off: no TRACEPARENT reaches a function', async () => {
    const v = await stack.client.invocations.invoke.mutate({ function: 'm-tp', payload: null });
    expect(v.status).toBe('SUCCEEDED');
    expect(v.result).toEqual({ traceparent: null });
  });
});

describe('a worker\'s metrics port', () => {
  it('serves attempts, warm acquires, pool sizes and container creates, behind the token', async () => {
    const url = stack.worker!.metricsUrl!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect((await scrape(url)).status).toBe(401);
    const text = await (await scrape(url, `Bearer ${TOKEN}`)).text();
    expect(sampleValue(text, 'caisson_worker_attempts_total', { namespace: 'default', function: 'm-hello', outcome: 'Succeeded' })).toBe(2);
    expect(sampleValue(text, 'caisson_worker_attempts_total', { namespace: 'default', function: 'm-hello', outcome: 'Succeeded', start: 'warm' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'caisson_worker_attempts_total', { function: 'm-cold', start: 'cold' })).toBe(1);
    expect(sampleValue(text, 'caisson_worker_attempts_total', { function: 'm-fail', outcome: 'FunctionError' })).toBe(1);
    expect(sampleValue(text, 'caisson_warm_acquires_total', { result: 'hit' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'caisson_warm_acquires_total', { result: 'started' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'caisson_containers_created_total', { kind: 'warm' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'caisson_containers_created_total', { kind: 'cold' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'caisson_containers_removed_total')).toBeGreaterThanOrEqual(1);
    // m-hello's pool and m-fail's (its container was retired after the failure; the pool stays).
    expect(sampleValue(text, 'caisson_warm_pools')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'caisson_warm_pool_containers', { state: 'idle' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'caisson_worker_attempt_duration_seconds_count', { namespace: 'default' })).toBeGreaterThanOrEqual(4);
    // Every deploy runs buildFunction on a worker (three deploys; nothing to build for these).
    expect(sampleValue(text, 'caisson_build_duration_seconds_count', { outcome: 'ok' })).toBeGreaterThanOrEqual(3);
  });
});

describe('a `caisson worker` process', () => {
  let worker: WorkerProcess | undefined;
  afterAll(async () => worker?.kill('SIGTERM'));

  it('serves Caisson\'s and the Temporal SDK\'s metrics on CAISSON_METRICS_PORT, on loopback', async () => {
    const port = await freePort();
    worker = await spawnWorkerProcess(stack, { CAISSON_METRICS_PORT: String(port), CAISSON_METRICS_TOKEN: '', CAISSON_WORKER_ID: `${stack.workerId}-proc` });
    expect(worker.output()).toContain(`metrics at http://127.0.0.1:${port}/metrics`);
    const text = await (await scrape(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toContain('# TYPE caisson_worker_attempts_total counter');
    // The SDK's core exporter: its worker metrics, named for this worker's task queues.
    expect(text).toMatch(/^temporal_[a-z_]+\{.*task_queue="caisson-metrics-[^"]+-data"/m);
    expect((await scrape(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  });
});
