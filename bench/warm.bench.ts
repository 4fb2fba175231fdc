// The warm path against its floors, measured in one run: a synchronous invoke of the Python
// hello function through the tRPC api on the warm path, against the Temporal floor (a
// no-op workflow with one no-op activity on the same server), both timed from a caller in
// its own process (bench/lib/caller.ts); throughput at the same concurrency (callers in this
// process, for both); the memory of an idle warm container per runtime. Used by
// bench/invoke.bench.ts (benchWarmSection) or on its own:
//   npx tsx bench/warm.bench.ts [--n 30] [--concurrency 20] [--seconds 10] [--out FILE]
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Dockerode from 'dockerode';
import type { NativeConnection } from '@temporalio/worker';
import type { CaissonClient } from '../src/client/index.js';
import { packCode } from '../src/cli/code-package.js';
import { startWorker, type RunningWorker } from '../src/cli/processes/worker.process.js';
import type { Config } from '../src/config/env.js';
import { createCodeCache } from '../src/runtime/io/code-cache.js';
import { createDockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { imageFor } from '../src/runtime/docker/images.js';
import { createWarmPool } from '../src/runtime/warm/pool.js';
import { installWarmServers } from '../src/runtime/warm/warm-servers.js';
import { warmTarget } from '../src/runtime/warm/warm-target.js';
import { RetryPolicySchema, type Convention, type Runtime } from '../src/shared/types.js';
import { startBenchStack } from './lib/bench-stack.js';
import { startCaller } from './lib/caller.js';
import { roundOrder } from './lib/round-order.js';
import type { SwitchableCodec } from './lib/switchable-codec.js';
import { timedInvoke } from './lib/timed-invoke.js';
import { summarize, type Summary } from './lib/stats.js';

const repo = path.resolve(import.meta.dirname, '..');
const HELLO = 'examples/hello-python';

/**
 * Deploys the Python hello function (script convention, as users write it). By default with
 * a 1 s timeout and queue wait: short enough for the warm attempt to run as a local
 * activity (see invoke-function.workflow.ts); `defaults: true` keeps the 30 s default
 * timeout (an ordinary, eagerly dispatched activity).
 */
async function deployHello(client: CaissonClient, warm: Record<string, unknown> = {}, defaults = false): Promise<string> {
  const name = `bench-warm-${randomBytes(3).toString('hex')}`;
  const packed = await packCode(path.join(repo, HELLO));
  await client.functions.create.mutate({
    name, runtime: 'python', code: packed.code, fileName: packed.fileName,
    ...(defaults ? {} : { limits: { timeoutMs: 1000 } }),
    warm: { maxWarm: 24, ...(defaults ? {} : { queueTimeoutMs: 1000 }), ...warm },
  });
  return name;
}

function invoker(client: CaissonClient, name: string, expectCold?: boolean) {
  return () => timedInvoke(client, name, expectCold);
}

/** perS counts succeeded calls; a failed call is counted in `failed`, not fatal (a 1 s timeout can pass on a busy machine). */
interface Throughput { perS: number; failed: number }

/** Calls per second with `concurrency` callers looping for durationS. */
async function throughput(call: () => Promise<unknown>, concurrency: number, durationS: number): Promise<Throughput> {
  const until = performance.now() + durationS * 1000;
  let done = 0;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < until) {
      try {
        await call();
        done++;
      } catch {
        failed++;
      }
    }
  }));
  return { perS: Math.round((done / ((performance.now() - t0) / 1000)) * 10) / 10, failed };
}

/** Warm invocations per second through the api at `concurrency` (the pool grows to it first). */
export async function benchWarmThroughput(opts: { client: CaissonClient; concurrency: number; durationS: number; name?: string }): Promise<Throughput> {
  const name = opts.name ?? (await deployHello(opts.client, { minWarm: 0 }));
  const run = invoker(opts.client, name);
  await throughput(run, opts.concurrency, 2); // grows the pool
  return throughput(run, opts.concurrency, opts.durationS);
}

/** Resident memory (MB) of an idle warm container per runtime, hello handler loaded. */
export async function idleWarmContainerRssMb(): Promise<Record<string, number>> {
  const runtime = createDockerRuntime({});
  const docker = new Dockerode();
  const root = await mkdtemp(path.join(repo, '.caisson', 'bench-rss-'));
  const pool = createWarmPool({ runtime, workerId: `bench-rss-${randomBytes(3).toString('hex')}`, ioRoot: path.join(root, 'io'), privateIoMb: 16, hostPath: (p) => p, maxContainers: 4 });
  const code = createCodeCache({ dir: path.join(root, 'code') });
  const out: Record<string, number> = {};
  try {
    await installWarmServers(path.join(root, 'servers'));
    const cases: Array<{ runtime: Runtime; convention: Convention; dir: string; file: string; entry: string }> = [
      { runtime: 'python', convention: 'handler', dir: 'examples/handler-python', file: 'main.py', entry: 'main.handler' },
      { runtime: 'node', convention: 'handler', dir: 'examples/handler-node', file: 'index.mjs', entry: 'index.handler' },
    ];
    for (const c of cases) {
      await runtime.ensureImage(imageFor(c.runtime));
      const { readFile } = await import('node:fs/promises');
      const bytes = await readFile(path.join(repo, c.dir, c.file));
      const { createHash } = await import('node:crypto');
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const codeDir = await code.materialize({ sha256, format: 'file', fileName: c.file, sizeBytes: bytes.length }, async () => bytes);
      const target = warmTarget({
        spec: { functionId: 'fn', namespace: 'bench', name: c.runtime, version: 1, runtime: c.runtime, convention: c.convention, entry: c.entry,
          artifact: { sha256, format: 'file', fileName: c.file, sizeBytes: bytes.length }, limits: { timeoutMs: 10_000, memoryMb: 128, cpus: 1, network: false },
          env: {}, retryPolicy: RetryPolicySchema.parse({}) },
        codeDir, serverDir: path.join(root, 'servers'), env: { CAISSON_CONVENTION: c.convention, CAISSON_ENTRY: c.entry },
      })!;
      const lease = (await pool.acquire(target))!;
      lease.release(true);
      await new Promise((r) => setTimeout(r, 1000));
      const stats = (await docker.getContainer(lease.container.id).stats({ stream: false })) as unknown as {
        memory_stats: { usage?: number; stats?: Record<string, number> };
      };
      const s = stats.memory_stats.stats ?? {};
      const bytesUsed = s.rss ?? s.anon ?? stats.memory_stats.usage ?? 0;
      out[c.runtime] = Math.round((bytesUsed / 2 ** 20) * 10) / 10;
    }
  } finally {
    await pool.shutdown();
    await rm(root, { recursive: true, force: true });
  }
  return out;
}

export interface WarmSectionOptions {
  client: CaissonClient;
  n: number;
  /** The bench stack; its worker is replaced by one with warm pools for this section. */
  stack: {
    config: Config; worker: RunningWorker; connection: NativeConnection; api: { url: string }; apiKey: string; floorTaskQueue: string;
    payloadCodec: SwitchableCodec;
  };
  /** One timed no-op workflow (the Temporal floor) on the same server, from this process (for throughput). */
  floor: () => Promise<number>;
  /** The same, started eagerly on its worker (reported beside the floor; in this process, as
   * an eager start needs the worker's own connection). */
  floorEager?: () => Promise<number>;
  concurrency?: number;
  durationS?: number;
}

/** Everything the main bench reports for the warm path, ratios against the floor measured alongside. */
export async function benchWarmSection(opts: WarmSectionOptions): Promise<Record<string, unknown>> {
  const { client, stack } = opts;
  const concurrency = opts.concurrency ?? 20;
  const durationS = opts.durationS ?? 10;
  if (!stack.config.worker.warm.enabled || !stack.worker.pool) {
    // Same api, server and queues; only the worker changes. The stack's own stop() then
    // stops this one (it holds the original object, whose stop is redirected).
    const original = stack.worker;
    await original.stop();
    const config = { ...stack.config, worker: { ...stack.config.worker, warm: { ...stack.config.worker.warm, enabled: true, maxContainers: 32 } } };
    const warmWorker = await startWorker(config, { log: () => {}, connection: stack.connection, payloadCodec: stack.payloadCodec });
    original.stop = () => warmWorker.stop();
    stack.worker = warmWorker;
  }
  const name = await deployHello(client);
  const nameDefaults = await deployHello(client, {}, true);
  // Latency is timed by a caller in its own process (bench/lib/caller.ts): the warm invokes
  // through the api and the floor through a Temporal client, alike.
  const caller = await startCaller(stack.apiKey);
  const api = stack.api.url;
  const remoteFloor = () => caller.floor(stack.config.temporal.address, stack.floorTaskQueue, stack.config.temporal.namespace);
  // Interleaved, so drift between runs affects all alike.
  try {
    for (const fn of [name, nameDefaults]) for (let i = 0; i < 3; i++) await caller.invoke(api, fn);
    for (let i = 0; i < 3; i++) await caller.http(api, name);
    for (let i = 0; i < 3; i++) await remoteFloor();
  } catch (err) {
    caller.stop();
    throw err;
  }
  // The same warm invoke with Temporal payload encryption off (api and worker alike), for its cost.
  const plain = async () => {
    stack.payloadCodec.encrypt = false;
    try {
      return await caller.invoke(api, name, false);
    } finally {
      stack.payloadCodec.encrypt = true;
    }
  };
  // The same warm function through its URL (/function/<name>), as a webhook sender calls it.
  const http = () => caller.http(api, name);
  const timers = [remoteFloor, () => caller.invoke(api, name, false), () => caller.invoke(api, nameDefaults, false), plain, http,
    ...(opts.floorEager ? [opts.floorEager] : [])];
  const samples: number[][] = timers.map(() => []);
  // Each sample takes tens of ms: three times the section's n keeps the p50s of one run from
  // swinging with a few noisy samples (the machine's noise is larger than the gaps measured).
  try {
    for (let i = 0; i < opts.n * 3; i++) {
      for (const k of roundOrder(timers.length, i)) samples[k]!.push(await timers[k]!());
    }
  } finally {
    caller.stop();
  }
  const [floor, warm, warmDefaults, warmPlain, httpWarm, floorEager] = samples.map(summarize) as [Summary, Summary, Summary, Summary, Summary, Summary | undefined];
  const warmTput = await benchWarmThroughput({ client, concurrency, durationS, name });
  const floorTput = await throughput(opts.floor, concurrency, durationS);
  return {
    warm_invoke: warm,
    http_warm_invoke: httpWarm,
    ratio_http_warm_to_warm_p50: Math.round((httpWarm.p50_ms / warm.p50_ms) * 1000) / 1000,
    warm_invoke_default_timeout: warmDefaults,
    warm_temporal_floor: floor,
    ratio_warm_to_floor_p50: Math.round((warm.p50_ms / floor.p50_ms) * 1000) / 1000,
    ratio_warm_default_timeout_to_floor_p50: Math.round((warmDefaults.p50_ms / floor.p50_ms) * 1000) / 1000,
    warm_invoke_codec_off: warmPlain,
    ratio_warm_codec_to_plain_p50: Math.round((warm.p50_ms / warmPlain.p50_ms) * 1000) / 1000,
    ...(floorEager ? {
      warm_temporal_floor_eager: floorEager,
      ratio_warm_to_eager_floor_p50: Math.round((warm.p50_ms / floorEager.p50_ms) * 1000) / 1000,
    } : {}),
    warm_throughput_per_s: warmTput.perS,
    floor_throughput_per_s: floorTput.perS,
    ratio_warm_to_floor_throughput: Math.round((warmTput.perS / floorTput.perS) * 1000) / 1000,
    throughput_failed_calls: { warm: warmTput.failed, floor: floorTput.failed },
    throughput_concurrency: concurrency,
    idle_warm_container_rss_mb: await idleWarmContainerRssMb(),
  };
}

// Standalone: its own stack (Temporal dev server, api, worker with warm pools).
if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const { values } = parseArgs({ options: {
    out: { type: 'string' }, n: { type: 'string', default: '30' },
    concurrency: { type: 'string', default: '20' }, seconds: { type: 'string', default: '10' },
  } });
  const stack = await startBenchStack({ CAISSON_WARM: 'on' });
  try {
    const floor = async () => {
      const t0 = performance.now();
      await stack.api.temporal.workflow.execute('floorWorkflow', { taskQueue: stack.floorTaskQueue, workflowId: `floor-${randomBytes(6).toString('hex')}` });
      return performance.now() - t0;
    };
    const report: Record<string, unknown> = await benchWarmSection({
      client: stack.client, n: Number(values.n), stack, floor,
      concurrency: Number(values.concurrency), durationS: Number(values.seconds),
    });
    // The cold path on the same stack, for comparison (isolation 'fresh' forces it).
    const fresh = await deployHello(stack.client, { isolation: 'fresh' });
    const cold = invoker(stack.client, fresh, true);
    for (let i = 0; i < 2; i++) await cold();
    const coldSamples: number[] = [];
    for (let i = 0; i < Math.min(Number(values.n), 15); i++) coldSamples.push(await cold());
    report.cold_invoke = summarize(coldSamples);
    report.machine = { cpus: os.cpus().length, node: process.version };
    const text = JSON.stringify(report, null, 2);
    console.log(text);
    if (values.out) await writeFile(values.out, `${text}\n`);
  } finally {
    await stack.stop();
  }
}
