// What metrics and live logs add to one warm invoke, measured as CPU on this process: everything
// the api and the worker record for one invoke (the request timer, the warm acquire, the
// attempt's counter and histogram, the invocation's counter and histograms, a live-log tap of a
// line), timed over many iterations against 500 function label sets; and how long a scrape of
// that registry takes and the longest it holds the event loop. Prints JSON.
//   npx tsx bench/metrics.bench.ts [--n 200000] [--out FILE]
import { EventEmitter } from 'node:events';
import { writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { createLiveLogTap } from '../src/activities/live-logs.js';
import { observeRequest } from '../src/api/metrics-endpoint.js';
import { recordInvocationMetrics } from '../src/observability/control-metrics.js';
import { createMetrics } from '../src/observability/metrics.js';
import { metricsText } from '../src/observability/metrics-text.js';
import { attemptMetrics } from '../src/observability/worker-metrics.js';
import type { FunctionVersionSpec } from '../src/shared/types.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '200000' }, out: { type: 'string' } } });
const n = Number(values.n);
const FUNCTIONS = 500;

const metrics = createMetrics({ maxFunctionSeries: FUNCTIONS });
const observer = attemptMetrics(metrics);
const specs = Array.from({ length: FUNCTIONS }, (_, i) => ({ namespace: `ns${i % 10}`, name: `fn-${i}`, version: 1 }) as FunctionVersionSpec);
const logs = { stdout: { inline: '' }, stderr: { inline: '' } };
const line = Buffer.from('{"message": "Hello, Ada!"}\n');

function oneInvoke(i: number, withLiveLog: boolean): void {
  const spec = specs[i % FUNCTIONS]!;
  const res = Object.assign(new EventEmitter(), { statusCode: 200 }) as unknown as ServerResponse;
  observeRequest(metrics, res, '/trpc/invocations.invoke');
  observer.warmAcquire('hit');
  observer.attempt(spec, { ok: true, result: { inline: null }, logs, durationMs: 3, cold: false }, `inv_${i}`);
  const now = Date.now();
  recordInvocationMetrics(metrics, {
    invocationId: `inv_${i}`, status: 'SUCCEEDED', acceptedAt: new Date(now - 20).toISOString(), endedAt: new Date(now).toISOString(), cold: false,
    attempts: [{ attempt: 1, startedAt: new Date(now - 15).toISOString(), endedAt: new Date(now).toISOString(), durationMs: 3, cold: false }],
    identity: { namespace: spec.namespace, functionName: spec.name, functionId: 'f', version: 1 },
  });
  res.emit('finish');
  if (withLiveLog) {
    const tap = createLiveLogTap({ sink: () => Promise.resolve(), invocationId: `inv_${i}`, capBytes: 2 << 20 });
    tap.push(1, line);
    tap.end();
  }
}

function usPerInvoke(withLiveLog: boolean): number {
  for (let i = 0; i < 5000; i++) oneInvoke(i, withLiveLog); // warm-up: JIT, every label set made
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) oneInvoke(i, withLiveLog);
  const used = process.cpuUsage(start);
  return Math.round(((used.user + used.system) / n) * 100) / 100;
}

const metricsOnly = usPerInvoke(false);
const withLiveLog = usPerInvoke(true);
// A scrape's wall time, and the longest the event loop went without a turn during it (what an
// invocation arriving meanwhile could wait).
const scrapes: number[] = [];
let bytes = 0;
await metricsText(metrics); // warm-up
await new Promise((r) => setTimeout(r, 200));
let longestBlock = 0;
let last = performance.now();
const ticker = setInterval(() => {
  const now = performance.now();
  longestBlock = Math.max(longestBlock, now - last);
  last = now;
}, 1);
await new Promise((r) => setTimeout(r, 50));
longestBlock = 0;
for (let i = 0; i < 20; i++) {
  const t = performance.now();
  bytes = (await metricsText(metrics)).body.length;
  scrapes.push(performance.now() - t);
}
clearInterval(ticker);
scrapes.sort((a, b) => a - b);
const result = {
  n,
  function_label_sets: metrics.functions.size(),
  metrics_cpu_us_per_warm_invoke: metricsOnly,
  metrics_and_live_log_cpu_us_per_warm_invoke: withLiveLog,
  scrape_p50_ms: Math.round(scrapes[10]! * 10) / 10,
  scrape_bytes: bytes,
  scrape_longest_event_loop_block_ms: Math.round(longestBlock * 10) / 10,
};
console.log(JSON.stringify(result, null, 2));
if (values.out) await writeFile(values.out, `${JSON.stringify(result, null, 2)}\n`);
