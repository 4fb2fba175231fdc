// Caisson against its floors, measured in ONE run on this machine (timings drift 20–40 %
// between runs; only ratios measured together mean anything):
//   raw_docker_run  `docker run --rm` of the Python hello function, same image and flags
//   temporal_floor  a no-op workflow with one no-op activity on the same Temporal server
//   cold_invoke     a synchronous invoke through the tRPC HTTP api (one workflow, a fresh container:
//                   the function is deployed with isolation 'fresh' on a worker that runs warm
//                   pools, as in production, so it always takes the cold path)
//   first_invoke_new_version  the first invoke of a version deployed just before (first-invoke.bench.ts)
// Further sections (Go, chains, warm path) join when their modules exist.
//   npm run bench -- --out FILE [--n 20]
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { imageFor } from '../src/runtime/docker/images.js';
import { resolveRequestedRuntime } from '../src/shared/runtimes.js';
import { packCode } from '../src/cli/code-package.js';
import { startBenchStack } from './lib/bench-stack.js';
import { materializeSingleFile } from './lib/single-file-code.js';
import { rawDockerRun, spawnCollect } from './lib/raw-docker-run.js';
import { roundOrder } from './lib/round-order.js';
import { summarize, type Summary } from './lib/stats.js';

const { values } = parseArgs({ options: { out: { type: 'string' }, n: { type: 'string', default: '20' } } });
const n = Number(values.n);
const repo = path.resolve(import.meta.dirname, '..');
const runId = `bench-${randomBytes(4).toString('hex')}`;
const ratio = (a: Summary, b: Summary) => Math.round((a.p50_ms / b.p50_ms) * 1000) / 1000;

async function optional<T>(module: string): Promise<T | undefined> {
  try {
    return (await import(module)) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

/** Runs the timers in rounds (each in its own shuffled order: lib/round-order.ts), after `warmup` untimed rounds. */
async function interleave(timers: Record<string, () => Promise<number>>, rounds: number, warmup = 3) {
  const names = Object.keys(timers);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
  for (let i = 0; i < warmup + rounds; i++) {
    const order = roundOrder(names.length, i).map((k) => names[k]!);
    for (const name of order) {
      const ms = await timers[name]!();
      if (i >= warmup) samples[name]!.push(ms);
    }
  }
  return Object.fromEntries(names.map((k) => [k, summarize(samples[k]!)]));
}

// One worker with warm pools for every section (the default configuration); the cold
// sections' functions are deployed with isolation 'fresh'.
const stack = await startBenchStack({ CAISSON_WARM: 'on', CAISSON_WARM_MAX_CONTAINERS: '32' });
const report: Record<string, unknown> = {};
try {
  const { client } = stack;
  const packed = await packCode(path.join(repo, 'examples/hello-python'));
  await client.functions.create.mutate({ name: 'hello', runtime: 'python', code: packed.code, fileName: packed.fileName, warm: { isolation: 'fresh' } });

  const payload = JSON.stringify({ name: 'bench' });
  const { codeDir, ioDir } = await materializeSingleFile({
    file: path.join(repo, 'examples/hello-python/main.py'), root: path.join(stack.config.home, 'bench-raw'), payload,
  });
  let seq = 0;
  const raw = rawDockerRun({
    spec: () => ({
      name: `${runId}-${++seq}`, image: imageFor(resolveRequestedRuntime('python')), labels: { 'caisson.managed': 'true', 'caisson.bench': runId },
      env: { FUNCTION_PAYLOAD: payload, CAISSON_CONVENTION: 'script', CAISSON_ENTRY: 'main.py' },
      codeDir, ioDir, memoryMb: 128, cpus: 1, network: false,
    }),
    expectStdout: (out) => out.includes('Hello, bench!'),
  });
  const floor = async () => {
    const t0 = performance.now();
    await stack.api.temporal.workflow.execute('floorWorkflow', { taskQueue: stack.floorTaskQueue, workflowId: `floor-${randomBytes(6).toString('hex')}` });
    return performance.now() - t0;
  };
  // The same no-op workflow started eagerly on its worker, as Caisson's warm path starts its own:
  // reported beside the floor so the warm ratio can be read against either.
  const floorEager = async () => {
    const t0 = performance.now();
    await stack.floorClient.workflow.execute('floorWorkflow', {
      taskQueue: stack.floorTaskQueue, workflowId: `floor-e-${randomBytes(6).toString('hex')}`, requestEagerStart: true,
    });
    return performance.now() - t0;
  };
  const cold = async () => {
    const t0 = performance.now();
    const v = await client.invocations.invoke.mutate({ function: 'hello', payload: { name: 'bench' } });
    const ms = performance.now() - t0;
    if (v.status !== 'SUCCEEDED') throw new Error(`cold invoke failed: ${JSON.stringify(v.error)}`);
    return ms;
  };
  const base = await interleave({ raw_docker_run: raw, temporal_floor: floor, cold_invoke: cold }, n);
  Object.assign(report, base, { ratio_cold_to_raw_p50: ratio(base.cold_invoke!, base.raw_docker_run!) });

  const go = await optional<{ benchGoCold(o: unknown): Promise<Record<string, unknown>> }>('./go.bench.ts');
  if (go) Object.assign(report, await go.benchGoCold({ client, n, stack }));
  const chain = await optional<typeof import('./chain.bench.ts')>('./chain.bench.ts');
  if (chain) {
    // Chains alternate with cold invokes, so both see the same machine. The overhead per step is
    // what a chain adds over its steps run as lone cold invokes (a difference of two medians,
    // noisy: −2 to 12 % of a cold invoke from run to run); chain_handover, read from the
    // children's histories, says where a step's hand-over spends its time.
    Object.assign(report, await chain.benchChain5({ client, n, stack }));
  }
  const warm = await optional<{ benchWarmSection(o: unknown): Promise<Record<string, unknown>> }>('./warm.bench.ts');
  if (warm) Object.assign(report, await warm.benchWarmSection({ client, n, stack, floor, floorEager, temporalFloor: base.temporal_floor }));
  const first = await optional<typeof import('./first-invoke.bench.ts')>('./first-invoke.bench.ts');
  if (first) Object.assign(report, await first.benchFirstInvokeNewVersion({ client, n, pool: stack.worker.pool, raw }));

  const dockerVersion = (await spawnCollect('docker', ['version', '--format', '{{.Server.Version}}'])).stdout.trim();
  report.machine = { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version, docker: dockerVersion };
  const text = JSON.stringify(report, null, 2);
  console.log(text);
  if (values.out) await writeFile(values.out, `${text}\n`);
} finally {
  await stack.stop();
}
