// An archive the api accepts but a worker refuses (its own, stricter archive limits) fails the
// deploy at once as bad input: the worker's ValidationError keeps its type through
// deployFunction, so the api answers BAD_REQUEST, never 503 after retries. Real api,
// Temporal, worker and Docker.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { packCode } from '../../src/cli/code-package.js';
import { startWorker, type RunningWorker } from '../../src/cli/processes/worker.process.js';
import { startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
let worker: RunningWorker;

beforeAll(async () => {
  stack = await startTestStack({ name: 'refusal', withWorker: false });
  const limits = { ...stack.config.limits, codeArchive: { ...stack.config.limits.codeArchive, maxEntries: 1 } };
  worker = await startWorker({ ...stack.config, limits }, { log: () => {} });
});
afterAll(async () => {
  await worker?.stop();
  await stack?.stop();
});

it('a deploy the worker refuses is BAD_REQUEST within seconds, naming code, and creates nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'caisson-refusal-'));
  writeFileSync(join(dir, 'main.py'), 'import helper\nprint(helper.X)\n');
  writeFileSync(join(dir, 'helper.py'), 'X = 1\n');
  const { code } = await packCode(dir);

  const t0 = Date.now();
  const err = await stack.client.functions.create.mutate({ name: 'two-files', runtime: 'python', code }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(TRPCClientError);
  expect((err as TRPCClientError<never>).data).toMatchObject({ code: 'BAD_REQUEST', caissonCode: 'VALIDATION' });
  expect((err as Error).message).toMatch(/code is refused as an archive/);
  expect(Date.now() - t0).toBeLessThan(10_000);

  const { deploymentId } = await stack.client.functions.deploy.mutate({ name: 'two-files', runtime: 'python', code });
  const d = await stack.client.functions.deployment.query({ id: deploymentId, waitMs: 30_000 });
  expect(d).toMatchObject({ status: 'FAILED', error: { code: 'VALIDATION' } });
  expect(d.steps.find((s) => s.name === 'register')?.status).toBe('skipped');
  expect((await stack.client.functions.list.query({})).items).toEqual([]);
});
