// The first invocation of a version deployed just before (never run anywhere): each round
// deploys a new version of a Python hello function (its code differs by a comment), waits
// until the worker's generic container of the image is ready (the steady state the generic
// pool keeps), then times one synchronous invoke through the api. Interleaved with `docker run
// --rm` of the same function, and with the first invoke of new versions that may not claim a
// generic container (their environment sets TZ, read by the interpreter at start: see
// src/runtime/specialise.ts), which start a warm container of their own as before.
import type { CaissonClient } from '../src/client/index.js';
import { imageFor } from '../src/runtime/docker/images.js';
import type { WarmPool } from '../src/runtime/warm/pool.js';
import { resolveRequestedRuntime } from '../src/shared/runtimes.js';
import { summarize, type Summary } from './lib/stats.js';

export interface FirstInvokeOptions {
  client: CaissonClient;
  n: number;
  pool: WarmPool | undefined;
  /** One timed `docker run --rm` of the same hello function (invoke.bench.ts's raw floor). */
  raw: () => Promise<number>;
}

const ratio = (a: Summary, b: Summary) => Math.round((a.p50_ms / b.p50_ms) * 1000) / 1000;

export async function benchFirstInvokeNewVersion(opts: FirstInvokeOptions): Promise<Record<string, unknown>> {
  const { client, pool } = opts;
  const image = imageFor(resolveRequestedRuntime('python'));
  let seq = 0;
  const deploy = async (name: string, env?: Record<string, string>) => {
    const code = Buffer.from(`# version ${++seq}\nimport json, os\npayload = json.loads(os.environ.get('FUNCTION_PAYLOAD', '{}'))\n`
      + `print(json.dumps({'message': f"Hello, {payload.get('name', 'World')}!"}))\n`).toString('base64');
    // A retired version's container goes soon after its one invocation: the next round finds room.
    const body = { name, code, fileName: 'main.py', ...(env ? { env } : {}), warm: { minWarm: 0, idleTtlMs: 1000 } };
    if (seq <= 2) await client.functions.create.mutate({ ...body, runtime: 'python' });
    else await client.functions.update.mutate(body);
  };
  const genericReady = async () => {
    const until = Date.now() + 30_000;
    while ((pool?.genericStats()[image]?.idle ?? 0) < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  };
  let specialised = 0;
  const firstInvoke = async (name: string, expect: 'claimed' | 'own') => {
    const t0 = performance.now();
    const v = await client.invocations.invoke.mutate({ function: name, payload: { name: 'bench' } });
    const ms = performance.now() - t0;
    if (v.status !== 'SUCCEEDED') throw new Error(`first invoke ${v.id} ended ${v.status}: ${JSON.stringify(v.error)}`);
    if (expect === 'claimed' && v.cold === false) specialised++;
    return ms;
  };
  const samples = { first_invoke_new_version: [] as number[], first_invoke_new_version_no_generic: [] as number[], raw_docker_run: [] as number[] };
  const warmup = 2;
  for (let i = 0; i < warmup + opts.n; i++) {
    await deploy('first-generic');
    await deploy('first-own', { TZ: 'UTC' });
    await genericReady();
    const a = await firstInvoke('first-generic', 'claimed');
    const b = await firstInvoke('first-own', 'own');
    const c = await opts.raw();
    if (i < warmup) {
      specialised = 0; // the first round only tells the worker the image is used
      continue;
    }
    samples.first_invoke_new_version.push(a);
    samples.first_invoke_new_version_no_generic.push(b);
    samples.raw_docker_run.push(c);
  }
  const s = {
    first_invoke_new_version: summarize(samples.first_invoke_new_version),
    first_invoke_new_version_no_generic: summarize(samples.first_invoke_new_version_no_generic),
    first_invoke_raw_docker_run: summarize(samples.raw_docker_run),
  };
  return {
    ...s,
    first_invoke_new_version_specialised: `${specialised}/${opts.n}`,
    ratio_first_invoke_new_version_to_raw_docker_run_p50: ratio(s.first_invoke_new_version, s.first_invoke_raw_docker_run),
    ratio_first_invoke_new_version_no_generic_to_raw_docker_run_p50: ratio(s.first_invoke_new_version_no_generic, s.first_invoke_raw_docker_run),
  };
}
