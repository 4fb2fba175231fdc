// The docs' blocks marked ```sh run-stack: commands that need the production topology (stack.sh's
// process control, the real Temporal server, several apis). They run here in page order, from
// the repository's root, with `caisson` on PATH and api 1's URL and the stack's admin key in the
// environment; a block that fails, or does not print what the page shows, fails the test.
import { afterAll, describe, expect, it } from 'vitest';
import { runnablePages } from '../../scripts/docs/runnable-blocks.js';
import { caissonBin, runBlock } from '../support/docs-run.js';
import { adminKey, apiUrls, closeStackClients, temporalAddress } from './stack-env.js';

const root = process.cwd();
const pages = runnablePages(root, 'run-stack');
afterAll(closeStackClients);

describe('the docs\' commands for the production topology', () => {
  it('the docs mark commands to run on the stack', () => {
    expect([...pages.keys()]).toContain('docs/operations.md');
  });

  it.each([...pages.keys()])('%s', async (page) => {
    const env = {
      ...process.env,
      PATH: `${caissonBin(root)}:${process.env.PATH}`,
      CAISSON_API_URL: apiUrls[0],
      CAISSON_API_KEY: adminKey,
      TEMPORAL_ADDRESS: temporalAddress,
    };
    for (const block of pages.get(page)!) {
      expect(await runBlock(block, { cwd: root, env })).toBeUndefined();
    }
  }, 600_000); // a host killed and started again waits for its engine and worker
});
