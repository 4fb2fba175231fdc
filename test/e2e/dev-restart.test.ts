// `caisson dev` is the embedded default: stopping it (Ctrl-C) and starting it again keeps
// every function and every invocation record (Temporal's SQLite file and PGlite's data dir
// live under CAISSON_HOME).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createClient } from '../../src/client/index.js';
import { createDockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { freePort } from '../support/ports.js';
import { deployDir } from '../support/deploy.js';

let dev: ChildProcess | undefined;

afterAll(async () => {
  if (dev && dev.exitCode === null) {
    dev.kill('SIGKILL');
  }
});

async function startDev(env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['bin/caisson.js', 'dev'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 120_000;
  while (!out.includes('Caisson is running')) {
    if (child.exitCode !== null) throw new Error(`caisson dev exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) throw new Error(`caisson dev did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, output: () => out };
}

async function stopDev(child: ChildProcess): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill('SIGINT');
  const [code] = await exited;
  return code as number | null;
}

it('keeps functions and invocation records across a restart', async () => {
  await mkdir(join(process.cwd(), '.caisson', 'test'), { recursive: true });
  const home = mkdtempSync(join(process.cwd(), '.caisson', 'test', 'dev-'));
  const apiPort = await freePort();
  const env = {
    CAISSON_HOME: home,
    CAISSON_API_PORT: String(apiPort),
    TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    TEMPORAL_UI_PORT: String(await freePort()),
    CAISSON_WORKER_ID: `dev-restart-${apiPort}`,
  };
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
