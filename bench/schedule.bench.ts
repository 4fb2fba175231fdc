// What a schedule's fire costs: a schedule firing every second runs a warm hello function; for
// each fire: from the time it was due (its nominal time, in the fire's id) to Temporal's start of
// the fire workflow; from that start to its invocation's row (the fire's first workflow task and
// its admitting activity); from due to the invocation's end; next to sync invokes of the same
// function in the same run. Compare ratios within one run.
//   npx tsx bench/schedule.bench.ts [--n 20] [--out FILE]
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { packCode } from '../src/cli/code-package.js';
import { startBenchStack } from './lib/bench-stack.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '20' }, out: { type: 'string' } } });
const n = Number(values.n);
const stack = await startBenchStack();
try {
  const { client } = stack;
  await client.functions.create.mutate({ name: 'tick', runtime: 'python', ...(await packCode('examples/hello-python')) });
  const invoke: number[] = [];
  for (let i = 0; i < 10 + n; i++) {
    const t0 = performance.now();
    const v = await client.invocations.invoke.mutate({ function: 'tick', payload: { name: 'sync' } });
    if (v.status !== 'SUCCEEDED') throw new Error(`invoke: ${v.status}`);
    if (i >= 10) invoke.push(performance.now() - t0);
  }
  await client.schedules.create.mutate({ name: 'bench', target: { kind: 'function', name: 'tick' }, payload: { name: 'fire' }, every: '1s' });
  const rows = async () => (await client.invocations.list.query({ function: 'tick', limit: 200 })).items.filter((r) => r.status === 'SUCCEEDED');
  // The first fires warm nothing up (the pool is warm from the invokes); skip two anyway.
  while ((await rows()).length < 10 + n + 2 + n) await new Promise((r) => setTimeout(r, 500));
  await client.schedules.pause.mutate({ name: 'bench' });
  const started: number[] = [];
  const admitted: number[] = [];
  const ended: number[] = [];
  for (const row of (await rows()).slice(0, n)) {
    const full = await stack.api.db.invocations.get(row.id);
    const nominal = /-(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$/.exec(full?.idempotencyKey ?? '')?.[1];
    if (!nominal || !full?.endedAt) continue;
    const fire = await stack.api.temporal.workflow.getHandle(full.idempotencyKey!.slice('schedule:'.length)).describe();
    started.push(fire.startTime.getTime() - Date.parse(nominal));
    admitted.push(full.createdAt.getTime() - fire.startTime.getTime());
    ended.push(full.endedAt.getTime() - Date.parse(nominal));
  }
  await client.schedules.delete.mutate({ name: 'bench' });
  const result = {
    n, warm_invoke: summarize(invoke),
    fire_due_to_started: summarize(started), fire_started_to_admitted: summarize(admitted), fire_due_to_ended: summarize(ended),
  };
  console.log(JSON.stringify(result, null, 2));
  if (values.out) await writeFile(values.out, JSON.stringify(result, null, 2));
} finally {
  await stack.stop();
}
