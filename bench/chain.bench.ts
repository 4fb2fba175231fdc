// chain5_invoke: a synchronous chains.invoke of five Python hello steps in sequence
// (examples/chains/hello-five.yaml), through the tRPC HTTP api, alternating with single cold
// invokes of the same function (chain_cold_invoke), so the two are measured under the same
// load; called by invoke.bench.ts, which derives chain_overhead_per_step_ms from the pair.
import path from 'node:path';
import type { CaissonClient } from '../src/client/index.js';
import { describeClientError } from '../src/client/index.js';
import { packCode } from '../src/cli/code-package.js';
import { readDefinition } from '../src/cli/commands/chain.commands.js';
import { summarize, type Summary } from './lib/stats.js';

const repo = path.resolve(import.meta.dirname, '..');
const WARMUP = 2;

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

export async function benchChain5({ client, n }: { client: CaissonClient; n: number }): Promise<{ chain5: Summary; cold: Summary }> {
  await deploy(client);
  const chains: number[] = [];
  const colds: number[] = [];
  for (let i = 0; i < WARMUP + n; i++) {
    let t0 = performance.now();
    const v = await client.chains.invoke.mutate({ name: 'hello-five', input: { name: `bench-${i}` }, waitMs: 300_000 });
    const ms = performance.now() - t0;
    if (v.status !== 'SUCCEEDED') throw new Error(`chain5 run ${i} ended ${v.status}: ${v.error?.message ?? ''}`);
    if (i >= WARMUP) chains.push(ms);
    for (let k = 0; k < 2; k++) {
      t0 = performance.now();
      const one = await client.invocations.invoke.mutate({ function: 'hello', payload: { name: `bench-${i}` } });
      if (one.status !== 'SUCCEEDED') throw new Error(`cold invoke ended ${one.status}`);
      if (i >= WARMUP) colds.push(performance.now() - t0);
    }
  }
  return { chain5: summarize(chains), cold: summarize(colds) };
}
