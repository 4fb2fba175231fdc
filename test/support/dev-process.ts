// Runs `caisson dev` as a user does (bin/caisson.js dev in a child process) and stops it with
// Ctrl-C (SIGINT), for the tests of what survives a restart.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './ports.js';

/** Starts `caisson dev` and waits until it says it is running. */
export async function startDev(env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
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

/** Ctrl-C, and the exit code. */
export async function stopDev(child: ChildProcess): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill('SIGINT');
  const [code] = await exited;
  return code as number | null;
}

/** A fresh CAISSON_HOME and free ports for one `caisson dev` (kept across its restarts). */
export interface DevEnv extends Record<string, string> {
  CAISSON_HOME: string; CAISSON_API_PORT: string; TEMPORAL_ADDRESS: string; TEMPORAL_UI_PORT: string; CAISSON_WORKER_ID: string;
}

export async function devEnv(name: string): Promise<DevEnv> {
  await mkdir(join(process.cwd(), '.caisson', 'test'), { recursive: true });
  const home = mkdtempSync(join(process.cwd(), '.caisson', 'test', `${name}-`));
  const apiPort = await freePort();
  return {
    CAISSON_HOME: home,
    CAISSON_API_PORT: String(apiPort),
    TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    TEMPORAL_UI_PORT: String(await freePort()),
    CAISSON_WORKER_ID: `${name}-${apiPort}`,
  };
}
