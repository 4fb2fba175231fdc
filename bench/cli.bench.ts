// The CLI's start-up, whole process timed from outside: `caisson --help` and `caisson fn ls`
// (against a running api) through bin/caisson.js as a user runs it (dist/ when built), 20 runs
// each, interleaved with the same commands run from the TypeScript sources through tsx.
// Prints JSON. Run with `npm run bench:cli` (set-up builds dist/ first).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startBenchStack } from './lib/bench-stack.js';
import { summarize } from './lib/stats.js';

const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 20);
if (!existsSync('dist/.stamp')) throw new Error('dist/ is not built: run `npm run build` first');

/** One whole run of the command. Asynchronous: the api answering it lives in this process. */
function timeRun(args: string[], env: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => child.on('exit', (code) => {
    const ms = performance.now() - t0;
    if (code !== 0) reject(new Error(`${args.join(' ')} exited ${code}: ${stderr.slice(0, 500)}`));
    else resolve(ms);
  }));
}

const stack = await startBenchStack();
try {
  const env = { CAISSON_API_URL: stack.api.url, CAISSON_API_KEY: stack.apiKey };
  const commands = { help: ['--help'], fn_ls: ['fn', 'ls'] };
  const samples: Record<string, number[]> = {};
  for (let i = 0; i < RUNS; i++) {
    for (const [name, args] of Object.entries(commands)) {
      (samples[`${name}_compiled`] ??= []).push(await timeRun(['bin/caisson.js', ...args], env));
      (samples[`${name}_tsx`] ??= []).push(await timeRun(['--import', 'tsx', 'src/cli/main.ts', ...args], env));
    }
  }
  const out: Record<string, unknown> = { runs: RUNS };
  for (const [k, v] of Object.entries(samples)) out[k] = summarize(v);
  const p50 = (k: string) => (out[k] as { p50_ms: number }).p50_ms;
  out.ratio_help_compiled_to_tsx_p50 = Math.round((p50('help_compiled') / p50('help_tsx')) * 1000) / 1000;
  out.ratio_fn_ls_compiled_to_tsx_p50 = Math.round((p50('fn_ls_compiled') / p50('fn_ls_tsx')) * 1000) / 1000;
  console.log(JSON.stringify(out, null, 2));
} finally {
  await stack.stop();
}
