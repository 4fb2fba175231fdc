// Load on the production topology (`npm run load -- --stack`): async invocations through both apis
// (a client that fails over between them, idempotency keys), while host 2 (its Docker engine and
// worker) is SIGKILLed and restarted every --kill-host-every seconds until the LAST invocation has
// ended, and api 1 is SIGKILLed and restarted once. Prints JSON:
//   {"runs":[{"invocations","submitted","succeeded","failed","lost","duplicates","leaked_containers",
//     "leaked_io_mounts","duration_s","host_kills","api_restarts"}…], "completion_ratio"}
// lost, duplicates, leaked_containers and leaked_io_mounts must be 0. With --baseline N a first run of N invocations
// is measured the same way, and completion_ratio = duration(main) / duration(baseline).
//   npm run load -- --stack --invocations 10000 --concurrency 200 --kill-host-every 30 --baseline 1000
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createClient, createFailoverTransport } from '../src/client/index.js';
import { packCode } from '../src/cli/code-package.js';
import { adminKey, apiUrls, engines, stackCtl, strayIoMounts } from '../test/stack/stack-env.js';

const { values } = parseArgs({
  options: {
    stack: { type: 'boolean', default: true },
    invocations: { type: 'string', default: '1000' },
    baseline: { type: 'string' },
    concurrency: { type: 'string', default: '200' },
    'kill-host-every': { type: 'string', default: '30' },
    'restart-api': { type: 'boolean', default: true },
    'fail-every': { type: 'string', default: '5' },
    out: { type: 'string' },
  },
});
const concurrency = Number(values.concurrency);
const killEveryMs = Number(values['kill-host-every']) * 1000;
const failEvery = Number(values['fail-every']);
const repo = join(import.meta.dirname, '..');
const client = createClient(apiUrls[0]!, { apiKey: adminKey, transport: createFailoverTransport({ urls: apiUrls, retryDroppedMutations: true }) });

const runTag = Date.now().toString(36);
const namespace = `load-${runTag}`;
await client.namespace.setQuota.mutate({ namespace, quotas: { concurrentInvocations: 1_000_000, invocationsPerMinute: 1_000_000 } });
const kindOf = (i: number) => (failEvery > 0 && i % failEvery === failEvery - 1 ? 'bad' : 'ok');
/** Each run its own two functions, so counting a function's rows counts that run's invocations. */
async function deployRunFunctions(label: string): Promise<void> {
  for (const [kind, dir] of [['ok', 'examples/hello-python'], ['bad', 'test/fixtures/functions/py-fail']] as const) {
    const packed = await packCode(join(repo, dir));
    await client.functions.create.mutate({ namespace, name: `${kind}-${label}`, runtime: 'python', code: packed.code, fileName: packed.fileName, retryPolicy: { maxAttempts: 1 } });
  }
}

/** Kills host 2 every killEveryMs (and api 1 once, a third of the way in) until stop() is called. */
function startChaos(opts: { apiAfterMs: number | undefined }) {
  let stopped = false, hostKills = 0, apiRestarts = 0;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const hostLoop = (async () => {
    while (!stopped) {
      await sleep(killEveryMs);
      if (stopped) break;
      await stackCtl('kill-host', '2');
      hostKills++;
      await stackCtl('start-host', '2'); // a killed host comes back: its worker reaps what it left
    }
  })();
  const apiLoop = (async () => {
    if (opts.apiAfterMs === undefined) return;
    await sleep(opts.apiAfterMs);
    if (stopped) return;
    await stackCtl('kill-api', '1');
    await stackCtl('start-api', '1');
    apiRestarts++;
  })();
  return {
    async stop() {
      stopped = true;
      await Promise.all([hostLoop, apiLoop]);
      return { hostKills, apiRestarts };
    },
  };
}

async function loadRun(total: number, label: string) {
  const keyOf = (i: number) => `${label}-${i}`;
  const fnOf = (i: number) => `${kindOf(i)}-${label}`;
  await deployRunFunctions(label);
  const ids = new Array<string>(total);
  const t0 = performance.now();
  const chaos = startChaos({ apiAfterMs: values['restart-api'] ? Math.min(20_000, total * 5) : undefined });
  let next = 0, submitted = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) {
      const i = next++;
      for (let attempt = 0; ; attempt++) {
        try {
          ids[i] = (await client.invocations.start.mutate({ namespace, function: fnOf(i), payload: { name: `n${i}` }, idempotencyKey: keyOf(i) })).id;
          submitted++;
          break;
        } catch (err) {
          if (attempt === 20) throw err;
          await new Promise((r) => setTimeout(r, 1000)); // both apis unreachable for a moment: retry, same key
        }
      }
    }
  }));
  let succeeded = 0, failed = 0, lost = 0, reruns = 0;
  let waitNext = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (waitNext < total) {
      const i = waitNext++;
      const v = await client.invocations.wait.query({ id: ids[i]!, waitMs: 600_000 });
      if (v.status === 'SUCCEEDED' && kindOf(i) === 'ok') succeeded++;
      else if (v.status === 'FAILED' && kindOf(i) === 'bad' && v.error?.kind === 'FunctionError') failed++;
      else lost++;
      if (v.attempts > 1) reruns++;
    }
  }));
  const durationS = (performance.now() - t0) / 1000;
  // Kills went on until the last invocation ended; the host is back before containers are counted.
  const { hostKills, apiRestarts } = await chaos.stop();
  // One row per key: a second run of any key would be a second invocation of its function.
  let duplicates = 0;
  for (const fn of [`ok-${label}`, `bad-${label}`]) {
    const seen = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await client.invocations.list.query({ namespace, function: fn, limit: 200, cursor });
      for (const item of page.items) seen.add(item.id);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const expected = Array.from({ length: total }, (_, i) => fnOf(i)).filter((f) => f === fn).length;
    duplicates += Math.max(0, seen.size - expected);
  }
  return { ids, report: {
    invocations: total, submitted, succeeded, failed, lost, duplicates, function_reruns: reruns,
    duration_s: Math.round(durationS * 10) / 10, invocations_per_s: Math.round((total / durationS) * 10) / 10,
    host_kills: hostKills, api_restarts: apiRestarts,
  } };
}

/** Cold containers of these invocations still present on either engine after a minute of reaping. */
async function leakedOf(ids: string[]): Promise<number> {
  const wanted = new Set(ids);
  const deadline = Date.now() + 60_000;
  for (;;) {
    let n = 0;
    for (const engine of Object.values(engines)) {
      n += (await engine.listManaged()).filter((c) => wanted.has(c.labels['caisson.invocation'] ?? '')).length;
    }
    if (n === 0 || Date.now() > deadline) return n;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** io tmpfs mounts on either host that no container names, after up to 90 s (three reaps, each sweeping). */
async function leakedMounts(): Promise<number> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const n = (await strayIoMounts(1)).length + (await strayIoMounts(2)).length;
    if (n === 0 || Date.now() > deadline) return n;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

const runs: Record<string, unknown>[] = [];
for (const [total, label] of [
  ...(values.baseline ? [[Number(values.baseline), `base-${runTag}`] as const] : []),
  [Number(values.invocations), `main-${runTag}`] as const,
]) {
  const { ids, report } = await loadRun(total, label);
  runs.push({ ...report, leaked_containers: await leakedOf(ids), leaked_io_mounts: await leakedMounts() });
}
const durations = runs.map((r) => r.duration_s as number);
const result = {
  mode: 'stack', concurrency, kill_host_every_s: killEveryMs / 1000, namespace, runs,
  ...(runs.length === 2 ? { completion_ratio: Math.round((durations[1]! / durations[0]!) * 100) / 100 } : {}),
};
const text = JSON.stringify(result, null, 2);
console.log(text);
if (values.out) await writeFile(values.out, `${text}\n`);
process.exit(0);
