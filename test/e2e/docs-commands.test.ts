// Every shell block the docs mark runnable (```sh run) runs here against a real stack: the
// page's blocks in order, in one scratch directory per page (examples/ linked in), with
// `caisson` and `temporal` on PATH and the stack's URL, an admin key and the Temporal server's
// address in the environment. A block that exits non-zero, or does not print what the page shows
// (`# … → output`), fails the test with its output. No shell block of the docs may be left
// unmarked (scripts/docs/runnable-blocks.ts).
import { mkdtempSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runnablePages, unmarkedFences } from '../../scripts/docs/runnable-blocks.js';
import { findTemporalCli } from '../../src/cli/processes/temporal-cli.js';
import { caissonBin, runBlock } from '../support/docs-run.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const root = process.cwd();
const pages = runnablePages(root, 'run');

describe('the docs\' runnable commands', () => {
  let stack: TestStack;
  let bin: string;

  beforeAll(async () => {
    stack = await startTestStack({ name: 'docs' });
    bin = caissonBin(root);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('every shell block is run, or says why not', () => {
    expect(unmarkedFences(root)).toEqual([]);
    expect([...pages.keys()]).toContain('README.md');
  });

  it.each([...pages.keys()])('%s', async (page) => {
    const dir = mkdtempSync(join(root, '.caisson', 'test', 'docs-run-'));
    symlinkSync(join(root, 'examples'), join(dir, 'examples'));
    const env = {
      ...process.env,
      PATH: `${bin}:${dirname(findTemporalCli(join(root, '.caisson')))}:${process.env.PATH}`,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      CAISSON_API_URL: stack.api.url,
      CAISSON_API_KEY: stack.adminKey,
      CAISSON_HOME: stack.config.home,
    };
    for (const block of pages.get(page)!) {
      expect(await runBlock(block, { cwd: dir, env })).toBeUndefined();
    }
  }, 600_000); // a page's blocks together: deploys, builds (a cold Go cache compiles the standard library) and invocations
});
