// What Temporal payload encryption costs a warm invoke, measured alone: blocks of warm invokes
// of the Python hello function (timed by a caller in its own process) with the codec's
// encryption on and off, alternating, on one api and worker; the latency of each and the CPU
// the api-and-worker process spent per invoke (CPU moves less than latency on a busy machine).
// With --cold the function runs in a fresh container per invoke (the cold path) instead.
//   npx tsx bench/codec.bench.ts [--cold] [--blocks 16] [--per-block 25] [--out FILE]
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { packCode } from '../src/cli/code-package.js';
import { startBenchStack } from './lib/bench-stack.js';
import { startCaller } from './lib/caller.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({ options: {
  out: { type: 'string' }, blocks: { type: 'string', default: '16' }, 'per-block': { type: 'string', default: '25' },
  cold: { type: 'boolean', default: false },
} });
const section = values.cold ? 'cold' : 'warm';
const blocks = Number(values.blocks);
const perBlock = Number(values['per-block']);
const stack = await startBenchStack({ CAISSON_WARM: 'on' });
const caller = await startCaller(stack.apiKey);
try {
  const packed = await packCode(path.resolve(import.meta.dirname, '..', 'examples/hello-python'));
  await stack.client.functions.create.mutate({
    name: 'hello', runtime: 'python', code: packed.code, fileName: packed.fileName,
    ...(values.cold ? { warm: { isolation: 'fresh' as const } } : { limits: { timeoutMs: 1000 }, warm: { maxWarm: 24, queueTimeoutMs: 1000 } }),
  });
  for (let i = 0; i < 10; i++) await caller.invoke(stack.api.url, 'hello');
  const sides = { on: { ms: [] as number[], cpuMs: 0 }, off: { ms: [] as number[], cpuMs: 0 } };
  const settle = () => new Promise((r) => setTimeout(r, 200)); // the previous block's tail (records, completions)
  for (let b = 0; b < blocks * 2; b++) {
    const side = b % 2 ? sides.on : sides.off;
    stack.payloadCodec.encrypt = side === sides.on;
    await settle();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < perBlock; i++) side.ms.push(await caller.invoke(stack.api.url, 'hello', values.cold));
    await settle();
    const cpu = process.cpuUsage(cpu0);
    side.cpuMs += (cpu.user + cpu.system) / 1000;
  }
  const on = summarize(sides.on.ms);
  const off = summarize(sides.off.ms);
  const perInvoke = (s: { ms: number[]; cpuMs: number }) => Math.round((s.cpuMs / s.ms.length) * 100) / 100;
  const report = {
    [`${section}_invoke_codec_on`]: on,
    [`${section}_invoke_codec_off`]: off,
    [`ratio_${section}_codec_to_plain_p50`]: Math.round((on.p50_ms / off.p50_ms) * 1000) / 1000,
    cpu_ms_per_invoke_codec_on: perInvoke(sides.on),
    cpu_ms_per_invoke_codec_off: perInvoke(sides.off),
  };
  const text = JSON.stringify(report, null, 2);
  console.log(text);
  if (values.out) await writeFile(values.out, `${text}\n`);
} finally {
  stack.payloadCodec.encrypt = true;
  caller.stop();
  await stack.stop();
}
