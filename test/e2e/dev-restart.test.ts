// `caisson dev` is the embedded default: stopping it (Ctrl-C) and starting it again keeps
// every function and every invocation record (Temporal's SQLite file and PGlite's data dir
// live under CAISSON_HOME).
import type { ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createClient } from '../../src/client/index.js';
import { createDockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { deployDir } from '../support/deploy.js';
import { devEnv, startDev, stopDev } from '../support/dev-process.js';

let dev: ChildProcess | undefined;

afterAll(async () => {
  if (dev && dev.exitCode === null) {
    dev.kill('SIGKILL');
  }
});

it('keeps functions and invocation records across a restart', async () => {
  const env = await devEnv('dev-restart');
  const home = env.CAISSON_HOME;
  const apiPort = Number(env.CAISSON_API_PORT);
  let run = await startDev(env);
  dev = run.child;
  // The quick start needs no key handling: the first start writes an admin key, owner-only.
  const adminKeyFile = join(home, 'admin.key');
  expect(statSync(adminKeyFile).mode & 0o777).toBe(0o600);
  expect(statSync(join(home, 'worker.token')).mode & 0o777).toBe(0o600);
  const adminKey = readFileSync(adminKeyFile, 'utf8').trim();
  expect(adminKey).toMatch(/^csk_[A-Za-z0-9_-]{43}$/);
  const client = createClient(`http://127.0.0.1:${apiPort}`, { apiKey: adminKey });
  expect(run.output()).toMatch(/Temporal UI: +http:\/\/127\.0\.0\.1:\d+/);
  const health = await fetch(`http://127.0.0.1:${apiPort}/healthz`).then((r) => r.json());
  expect(health).toMatchObject({ ok: true, database: { ok: true }, temporal: { ok: true }, workers: { ok: true } });
  await deployDir(client, { dir: 'examples/hello-python', name: 'persisted', runtime: 'python' });
  const before = await client.invocations.invoke.mutate({ function: 'persisted', payload: { name: 'before' } });
  expect(before.status).toBe('SUCCEEDED');
  expect(await stopDev(run.child)).toBe(0);

  run = await startDev(env);
  dev = run.child;
  // A restart keeps the key (no second admin key while one works).
  expect(readFileSync(adminKeyFile, 'utf8').trim()).toBe(adminKey);
  expect(await client.keys.list.query()).toHaveLength(1);
  const fns = await client.functions.list.query({});
  expect(fns.items.map((f) => f.name)).toEqual(['persisted']);
  const again = await client.invocations.get.query({ id: before.id });
  expect(again).toMatchObject({ status: 'SUCCEEDED', result: { message: 'Hello, before!' } });
  const after = await client.invocations.invoke.mutate({ function: 'persisted', payload: { name: 'after' } });
  expect(after.result).toEqual({ message: 'Hello, after!' });
  expect(await stopDev(run.child)).toBe(0);
  expect(await createDockerRuntime({}).listManaged({ 'caisson.worker': env.CAISSON_WORKER_ID })).toEqual([]);
});
