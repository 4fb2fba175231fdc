// Runs the docs' shell blocks for the docs' tests (test/e2e/ and test/stack/docs-commands.test.ts):
// `caisson` on PATH as the repo's CLI, each block with bash -euo pipefail, its output checked
// against what the page shows (scripts/docs/runnable-blocks.ts).
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { missingOutput, type RunnableBlock } from '../../scripts/docs/runnable-blocks.js';

/** A directory holding a `caisson` that runs this checkout's CLI with this Node.js. */
export function caissonBin(root: string): string {
  const bin = mkdtempSync(join(root, '.caisson', 'test', 'docs-bin-'));
  writeFileSync(join(bin, 'caisson'), `#!/bin/sh\nexec "${process.execPath}" "${join(root, 'bin', 'caisson.js')}" "$@"\n`);
  chmodSync(join(bin, 'caisson'), 0o755);
  return bin;
}

/** Runs one block; what went wrong (exit status, or output the page shows but the run did not print), or undefined. */
export async function runBlock(block: RunnableBlock, opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<string | undefined> {
  // The docs say `npx caisson` (run from the repo); here `caisson` is on PATH.
  const script = block.script.replace(/(^|[\s;&|(])npx caisson\b/g, '$1caisson');
  const run = await runScript(script, opts);
  const where = `${block.page}:${block.line}`;
  if (run.status !== 0) return `${where} exited ${run.status}\n--- script\n${script}\n--- output\n${run.output}`;
  const missing = missingOutput(run.output, block.expected);
  if (missing !== undefined) return `${where} did not print what the page shows: ${missing}\n--- script\n${script}\n--- output\n${run.output}`;
  return undefined;
}

/** Runs a shell block with bash -euo pipefail; its exit status (null: killed after 5 minutes) and output. */
function runScript(script: string, opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ status: number | null; output: string }> {
  // Asynchronous: a stack in this process must go on answering while the block runs.
  const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  return new Promise((resolve) => child.on('close', (status) => {
    clearTimeout(timer);
    resolve({ status, output });
  }));
}
