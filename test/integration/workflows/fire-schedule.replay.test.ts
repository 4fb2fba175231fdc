// fireSchedule histories recorded by earlier code (test/fixtures/histories/fire-schedule-*.json:
// a function's fire, a chain's fire and a fire refused by a quota; recorded by
// test/e2e/schedules.test.ts with RECORD_HISTORIES=1, payloads decoded by the api's codec
// endpoint) must replay against today's workflow code: a change that is not deterministic for
// them fails here and needs a patch (workflow.patched, src/workflows/patches.ts).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../../../src/cli/processes/worker.process.js';

const KINDS = ['function', 'chain', 'refused'] as const;

it.each(KINDS)('the recorded fire of a %s replays', async (kind) => {
  const file = join(process.cwd(), 'test', 'fixtures', 'histories', `fire-schedule-${kind}.json`);
  const history = JSON.parse(await readFile(file, 'utf8')) as { events: Array<{ eventType: string }> };
  expect(history.events[0]!.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
  expect(history.events.at(-1)!.eventType).toBe(kind === 'refused' ? 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED' : 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history);
});
