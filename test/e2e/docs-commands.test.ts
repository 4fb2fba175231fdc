// Every shell block the docs mark runnable (```sh run) runs here against a real stack: the
// page's blocks in order, in one scratch directory per page (examples/ linked in), with
// `caisson` on PATH and the stack's URL and an admin key in the environment. A block that
// exits non-zero fails the test with its output. The stack runs in this process, so each block
// runs asynchronously (a synchronous spawn would stop the api from answering it).
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runnablePages } from '../../scripts/docs/runnable-blocks.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const root = process.cwd();
const pages = runnablePages(root);

describe('the docs\' runnable commands', () => {
  let stack: TestStack;
  let bin: string;

  beforeAll(async () => {
    stack = await startTestStack({ name: 'docs' });
    bin = mkdtempSync(join(root, '.caisson', 'test', 'docs-bin-'));
    writeFileSync(join(bin, 'caisson'), `#!/bin/sh\nexec "${process.execPath}" "${join(root, 'bin', 'caisson.js')}" "$@"\n`);
    chmodSync(join(bin, 'caisson'), 0o755);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('the docs mark commands to run', () => {
    expect([...pages.keys()]).toContain('README.md');
  });

  it.each([...pages.keys()])('%s', async (page) => {
    const dir = mkdtempSync(join(root, '.caisson', 'test', 'docs-run-'));
    symlinkSync(join(root, 'examples'), join(dir, 'examples'));
    const env = {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      CAISSON_API_URL: stack.api.url,
      CAISSON_API_KEY: stack.adminKey,
      CAISSON_HOME: stack.config.home,
    };
    for (const block of pages.get(page)!) {
      // The docs say `npx caisson` (run from the repo); here `caisson` is on PATH.
      const script = block.script.replace(/(^|[\s;&|(])npx caisson\b/g, '$1caisson');
      const run = await runScript(script, { cwd: dir, env });
      const where = `${page}:${block.line}`;
      expect(run.status, `${where} exited ${run.status}\n--- script\n${script}\n--- output\n${run.output}`).toBe(0);
    }
  });
});

/** Runs a shell block with bash -euo pipefail; its exit status (null: killed after 5 minutes) and output. */
function runScript(script: string, opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ status: number | null; output: string }> {
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
