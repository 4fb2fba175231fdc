// A schedule lives in Temporal (its SQLite file under CAISSON_HOME with `caisson dev`): after
// Ctrl-C and a new `caisson dev` (Temporal, api and worker all restarted) it still fires, and
// each fire is still an ordinary invocation recorded in Caisson's database.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createClient, type CaissonClient } from '../../src/client/index.js';
import { deployDir } from '../support/deploy.js';
import { devEnv, startDev, stopDev } from '../support/dev-process.js';

let dev: ChildProcess | undefined;

afterAll(() => {
  if (dev && dev.exitCode === null) dev.kill('SIGKILL');
});

async function firesSince(client: CaissonClient, since: number): Promise<number> {
  const page = await client.invocations.list.query({ function: 'ticker', limit: 200 });
  return page.items.filter((i) => i.status === 'SUCCEEDED' && new Date(i.createdAt).getTime() >= since).length;
}

async function waitForFires(client: CaissonClient, since: number, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await firesSince(client, since)) < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} fire(s) since ${new Date(since).toISOString()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

it('a schedule still fires after caisson dev restarts (Temporal, api and worker)', async () => {
  const env = await devEnv('sched-restart');
  let run = await startDev(env);
  dev = run.child;
  const client = createClient(`http://127.0.0.1:${env.CAISSON_API_PORT}`, { apiKey: readFileSync(join(env.CAISSON_HOME, 'admin.key'), 'utf8').trim() });
  await deployDir(client, { dir: 'examples/hello-python', name: 'ticker', runtime: 'python' });
  const startedAt = Date.now();
  await client.schedules.create.mutate({ name: 'tick', target: { kind: 'function', name: 'ticker' }, payload: { name: 'tick' }, every: '2s' });
  await waitForFires(client, startedAt, 1);
  expect(await stopDev(run.child)).toBe(0);

  run = await startDev(env);
  dev = run.child;
  const restartedAt = Date.now();
  const kept = await client.schedules.get.query({ name: 'tick' });
  expect(kept).toMatchObject({ every: '2s', paused: false, payload: { name: 'tick' } });
  await waitForFires(client, restartedAt, 2);
  await client.schedules.delete.mutate({ name: 'tick' });
  expect(await stopDev(run.child)).toBe(0);
});
