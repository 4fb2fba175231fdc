// Load: many invocations of a mix of succeeding and failing functions through the api,
// optionally SIGKILLing and restarting the worker during the run. Prints JSON:
//   {"submitted","succeeded","failed","lost","duplicates","leaked_containers","duration_s"}
// lost, duplicates and leaked_containers must be 0.
//   npm run load -- --invocations 500 --concurrency 50 [--async] [--kill-worker-every 10] --out FILE
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createClient } from '../src/client/index.js';
import { loadConfig } from '../src/config/env.js';
import { startApi } from '../src/cli/processes/api.process.js';
import { findTemporalCli } from '../src/cli/processes/temporal-cli.js';
import { packCode } from '../src/cli/code-package.js';
import { createDockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { installTemporalRuntime } from '../src/temporal/worker-lifecycle.js';
import { freePort } from '../test/support/ports.js';

// --stack: the production topology (bench/load-stack.ts), with its own options.
if (process.argv.includes('--stack')) {
  await import('./load-stack.js');
  process.exit(0);
}

const { values } = parseArgs({
  options: {
    invocations: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '50' },
    async: { type: 'boolean', default: false },
    'kill-worker-every': { type: 'string' },
    'fail-every': { type: 'string', default: '5' },
    out: { type: 'string' },
  },
});
const total = Number(values.invocations);
const concurrency = Number(values.concurrency);
const failEvery = Number(values['fail-every']);
const killEveryS = values['kill-worker-every'] ? Number(values['kill-worker-every']) : undefined;

installTemporalRuntime('ERROR');
const repo = join(import.meta.dirname, '..');
const home = await mkdtemp(join(repo, '.caisson', 'load-'));
const port = await freePort();
const server = await startDevServer({ cli: findTemporalCli(join(repo, '.caisson')), port, namespace: 'default', logFile: join(home, 'temporal.log') });
const workerId = `load-${port}`;
// Every submission is admitted (the async runs keep up to all of them in flight at once): the
// load run measures loss and duplicates, not the namespace quotas.
const config = loadConfig({
  CAISSON_HOME: home, CAISSON_API_PORT: '0', TEMPORAL_ADDRESS: server.address, CAISSON_WORKER_ID: workerId, CAISSON_WORKER_CONCURRENCY: '8',
  CAISSON_QUOTA_INVOCATIONS_PER_MINUTE: '1000000', CAISSON_QUOTA_CONCURRENT_INVOCATIONS: '1000000',
});
const api = await startApi(config, { log: () => {} });
const { key: apiKey } = await api.keys.create({ name: 'load', namespace: '*', role: 'admin' });
const client = createClient(api.url, { apiKey });
const docker = createDockerRuntime({});

let worker: ChildProcess | undefined;
let kills = 0;
async function spawnWorker(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['bin/caisson.js', 'worker'], {
    cwd: repo,
    env: { ...process.env, CAISSON_HOME: home, TEMPORAL_ADDRESS: server.address, CAISSON_WORKER_ID: workerId, CAISSON_API_URL: api.url, CAISSON_WORKER_TOKEN: api.workerToken, CAISSON_WORKER_CONCURRENCY: '8' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  while (!out.includes('polling')) {
    if (child.exitCode !== null) throw new Error(`worker exited: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return child;
}

async function stopWorker(): Promise<void> {
  if (!worker || worker.exitCode !== null || worker.signalCode !== null) return;
  const exited = once(worker, 'exit');
  worker.kill('SIGTERM');
  await exited;
}

const report: Record<string, unknown> = {};
const t0 = performance.now();
try {
  worker = await spawnWorker();
  const ok = await packCode(join(repo, 'examples/hello-python'));
  const bad = await packCode(join(repo, 'test/fixtures/functions/py-fail'));
  await client.functions.create.mutate({ name: 'ok', runtime: 'python', code: ok.code, fileName: ok.fileName, retryPolicy: { maxAttempts: 1 } });
  await client.functions.create.mutate({ name: 'bad', runtime: 'python', code: bad.code, fileName: bad.fileName, retryPolicy: { maxAttempts: 1 } });

  const killer = killEveryS ? setInterval(() => {
    void (async () => {
      const old = worker;
      if (!old || old.exitCode !== null) return;
      const exited = once(old, 'exit');
      old.kill('SIGKILL');
      await exited;
      kills++;
      worker = await spawnWorker();
    })();
  }, killEveryS * 1000) : undefined;

  const runId = Date.now().toString(36);
  const keyOf = (i: number) => `load-${runId}-${i}`;
  const fnOf = (i: number) => (failEvery > 0 && i % failEvery === failEvery - 1 ? 'bad' : 'ok');
  const ids = new Array<string>(total);
  let submitted = 0;
  let next = 0;
  const submitErrors: string[] = [];
  async function submitOne(i: number): Promise<void> {
    // The idempotency key makes a retried submit safe: it can never start a second run.
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        const input = { function: fnOf(i), payload: { name: `n${i}` }, idempotencyKey: keyOf(i) };
        ids[i] = values.async
          ? (await client.invocations.start.mutate(input)).id
          : (await client.invocations.invoke.mutate({ ...input, waitMs: 300_000 })).id;
        submitted++;
        return;
      } catch (err) {
        if (attempt === 19) submitErrors.push(String(err));
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) await submitOne(next++);
  }));

  // Drain: every submitted invocation must reach a final state.
  let succeeded = 0, failed = 0, lost = 0, duplicates = 0;
  const deadline = Date.now() + 600_000;
  for (let i = 0; i < total; i++) {
    if (!ids[i]) { lost++; continue; }
    const v = await client.invocations.wait.query({ id: ids[i]!, waitMs: Math.max(1000, deadline - Date.now()) });
    if (v.status === 'SUCCEEDED') succeeded++;
    else if (v.status === 'FAILED' && fnOf(i) === 'bad' && v.error?.kind === 'FunctionError') failed++;
    else lost++;
    if (v.attempts > 1) duplicates++;
  }
  // One row per key: a second run of any key would show up as a second invocation.
  for (const fn of ['ok', 'bad']) {
    let cursor: string | undefined;
    const seen = new Set<string>();
    do {
      const page = await client.invocations.list.query({ function: fn, limit: 200, cursor });
      for (const item of page.items) {
        if (seen.has(item.id)) duplicates++;
        seen.add(item.id);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const expected = Array.from({ length: total }, (_, i) => fnOf(i)).filter((f) => f === fn).length;
    duplicates += Math.max(0, seen.size - expected);
  }
  const durationS = (performance.now() - t0) / 1000;
  // Kills went on until the last invocation ended (stopping at the end of submission killed
  // nothing in an async run: the work runs after it).
  if (killer) clearInterval(killer);
  while (worker && worker.exitCode !== null) await new Promise((r) => setTimeout(r, 100)); // a restart in flight
  // Leaked = still there once the worker has stopped: a stopping worker removes its warm
  // pools, and a restarted one reaps what its killed predecessors left.
  await stopWorker();
  await new Promise((r) => setTimeout(r, 2000));
  const leaked = (await docker.listManaged({ 'caisson.worker': workerId })).length;
  Object.assign(report, {
    submitted, succeeded, failed, lost, duplicates, leaked_containers: leaked,
    duration_s: Math.round(durationS * 10) / 10,
    invocations_per_s: Math.round((total / durationS) * 10) / 10,
    mode: values.async ? 'async' : 'sync', concurrency, worker_kills: kills,
    ...(submitErrors.length ? { submit_errors: submitErrors.slice(0, 5) } : {}),
  });
  const text = JSON.stringify(report, null, 2);
  console.log(text);
  if (values.out) await writeFile(values.out, `${text}\n`);
} finally {
  await stopWorker();
  await api.stop();
  await server.stop();
  await rm(home, { recursive: true, force: true });
}
