// chain5_invoke: a synchronous chains.invoke of five Python hello steps in sequence
// (examples/chains/hello-five.yaml), through the tRPC HTTP api, alternating with single cold
// invokes of the same function (chain_cold_invoke), so the two are measured under the same load.
// What a chain adds per step is read from its children's histories (lib/chain-histories.ts):
// the hand-over, from one step's execute activity completing to the next one's starting.
// Called by invoke.bench.ts; alone (`npx tsx bench/chain.bench.ts [--n 20] [--out FILE]`) it
// also times chains with the hand-over turned off, alternated with those above (A/B).
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { CaissonClient } from '../src/client/index.js';
import { describeClientError } from '../src/client/index.js';
import { packCode } from '../src/cli/code-package.js';
import { readDefinition } from '../src/cli/commands/chain.commands.js';
import { startBenchStack, type BenchStack } from './lib/bench-stack.js';
import { chainHandOvers, type HandOver } from './lib/chain-histories.js';
import { handOffSwitch, type HandOffSwitch } from './lib/chain-handoff-switch.js';
import { percentile, summarize } from './lib/stats.js';

const repo = path.resolve(import.meta.dirname, '..');
const WARMUP = 2;
const STEPS = ['one', 'two', 'three', 'four', 'five'];

/** Deploys `hello` (unless present) and the hello-five chain as the next version. */
async function deploy(client: CaissonClient): Promise<void> {
  if (!(await client.functions.get.query({ name: 'hello' }))) {
    const packed = await packCode(path.join(repo, 'examples/hello-python'));
    await client.functions.create.mutate({ name: 'hello', runtime: 'python', code: packed.code, fileName: packed.fileName, warm: { isolation: 'fresh' } });
  }
  const definition = await readDefinition(path.join(repo, 'examples/chains/hello-five.yaml'));
  try {
    await client.chains.create.mutate({ definition });
  } catch (err) {
    if (describeClientError(err)?.code !== 'CONFLICT') throw err;
    await client.chains.update.mutate({ definition });
  }
}

interface Arm {
  ms: number[];
  ids: string[];
}

export interface ChainSectionOptions {
  client: CaissonClient;
  n: number;
  stack: BenchStack;
  /** With it, chains without the hand-over alternate with the others (keys `…_without_handoff`). */
  handOff?: HandOffSwitch;
}

export async function benchChain5(opts: ChainSectionOptions): Promise<Record<string, unknown>> {
  const { client, n, stack, handOff } = opts;
  await deploy(client);
  const arms: Record<string, Arm> = { on: { ms: [], ids: [] }, ...(handOff ? { off: { ms: [], ids: [] } } : {}) };
  const colds: number[] = [];
  const chainOnce = (arm: string) => async () => {
    if (handOff) handOff.on = arm === 'on';
    const t0 = performance.now();
    const v = await client.chains.invoke.mutate({ name: 'hello-five', input: { name: `bench-${arm}` }, waitMs: 300_000 });
    const ms = performance.now() - t0;
    if (v.status !== 'SUCCEEDED') throw new Error(`chain5 (${arm}) ended ${v.status}: ${v.error?.message ?? ''}`);
    return { ms, id: v.id };
  };
  const cold = async () => {
    const t0 = performance.now();
    const one = await client.invocations.invoke.mutate({ function: 'hello', payload: { name: 'bench' } });
    if (one.status !== 'SUCCEEDED') throw new Error(`cold invoke ended ${one.status}`);
    return { ms: performance.now() - t0, id: one.id };
  };
  // Two cold invokes per chain arm, in an order that rotates each round.
  const round: Array<[string, () => Promise<{ ms: number; id: string }>]> = Object.keys(arms).flatMap((arm) => [
    [arm, chainOnce(arm)], ['cold', cold], ['cold', cold],
  ] as Array<[string, () => Promise<{ ms: number; id: string }>]>);
  for (let i = 0; i < WARMUP + n; i++) {
    for (let j = 0; j < round.length; j++) {
      const [arm, run] = round[(i + j) % round.length]!;
      const r = await run();
      if (i < WARMUP) continue;
      if (arm === 'cold') colds.push(r.ms);
      else {
        arms[arm]!.ms.push(r.ms);
        arms[arm]!.ids.push(r.id);
      }
    }
  }
  if (handOff) handOff.on = true;
  const coldSummary = summarize(colds);
  const report: Record<string, unknown> = { chain_cold_invoke: coldSummary };
  for (const [arm, a] of Object.entries(arms)) {
    const suffix = arm === 'on' ? '' : '_without_handoff';
    // A chain whose history cannot be read so (none seen) is counted, not fatal: the timings stand.
    let unread = 0;
    const handOvers = (await Promise.all(a.ids.map((id) => chainHandOvers(stack.api.temporal, id, STEPS).catch((err: unknown) => {
      unread++;
      console.error(`chain ${id}: ${(err as Error).message}`);
      return [];
    })))).flat();
    if (unread > 0) report[`chain_histories_unread${suffix}`] = unread;
    const chain5 = summarize(a.ms);
    Object.assign(report, {
      [`chain5_invoke${suffix}`]: chain5,
      [`chain_handover${suffix}`]: handOverSummary(handOvers),
      [`chain_handover_pct_of_cold${suffix}`]: pct(percentile(handOvers.map((h) => h.total), 50), coldSummary.p50_ms),
      // What a chain adds per step over running its steps as lone cold invokes.
      [`chain_overhead_per_step_ms${suffix}`]: Math.round(((chain5.p50_ms - 5 * coldSummary.p50_ms) / 5) * 10) / 10,
      [`chain_overhead_per_step_pct_of_cold${suffix}`]: pct((chain5.p50_ms - 5 * coldSummary.p50_ms) / 5, coldSummary.p50_ms),
    });
  }
  return report;
}

const pct = (ms: number, of: number) => Math.round((ms / of) * 1000) / 10;

/** p50 and p95 of the whole hand-over, and the p50 of each stretch of it (ms). */
function handOverSummary(h: HandOver[]): Record<string, number> {
  const p50 = (k: Exclude<keyof HandOver, 'startedEarly'>) => Math.round(percentile(h.map((x) => x[k]), 50) * 10) / 10;
  const total = summarize(h.map((x) => x.total));
  return {
    ...total, result_task_p50_ms: p50('result_task'), input_arrives_p50_ms: p50('input_arrives'), start_task_p50_ms: p50('start_task'), dispatch_p50_ms: p50('dispatch'),
    // Steps whose function started from the step before's success on (the hand-over above is then off the chain's path).
    started_early: h.filter((x) => x.startedEarly).length,
  };
}

// Standalone: its own stack, and the A/B of the hand-over.
if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, n: { type: 'string', default: '20' } } });
  const sw = handOffSwitch();
  const stack = await startBenchStack({ CAISSON_WARM: 'on', CAISSON_WARM_MAX_CONTAINERS: '32' }, { clientInterceptors: [sw.interceptor] });
  try {
    const report = await benchChain5({ client: stack.client, n: Number(values.n), stack, handOff: sw });
    const text = JSON.stringify(report, null, 2);
    console.log(text);
    if (values.out) await writeFile(values.out, `${text}\n`);
  } finally {
    await stack.stop();
  }
}
