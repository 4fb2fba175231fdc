// runChain histories recorded by earlier versions (test/fixtures/histories/run-chain-*.json,
// recorded from real chains: a five-step sequence with one of its children, a map step
// followed by parallel branches, and a three-step sequence whose steps handed over, recorded by
// test/e2e/chains.test.ts with RECORD_HISTORIES=1) must replay against today's code. A change that is not
// deterministic for them fails here and needs a patch (workflow.patched).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../../../src/cli/processes/worker.process.js';

const HISTORY_DIR = join(process.cwd(), 'test', 'fixtures', 'histories');
const files = (await readdir(HISTORY_DIR)).filter((f) => f.startsWith('run-chain-')).sort();

describe('runChain histories replay', () => {
  it('has fixtures from before and after the merged step records, and of steps handing over', () => {
    expect(files.some((f) => f.startsWith('run-chain-before-merge-'))).toBe(true);
    expect(files.some((f) => f.startsWith('run-chain-merged-'))).toBe(true);
    // A chain whose steps were started ahead, and one of those steps (it waited for its input).
    expect(files).toEqual(expect.arrayContaining(['run-chain-handoff-sequence.json', 'run-chain-handoff-sequence-child.json']));
  });

  it.each(files)('%s', async (file) => {
    const history = JSON.parse(await readFile(join(HISTORY_DIR, file), 'utf8')) as { events: Array<{ eventType: string }> };
    expect(history.events.at(-1)!.eventType).toMatch(/COMPLETED/);
    // Throws DeterminismViolationError (or any workflow failure) when today's code diverges.
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history);
  });
});
