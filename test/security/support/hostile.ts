// Helpers of the hostile suite: deploy one source file as a function through the real api,
// invoke it, and look at what the host sees (a marker file, the worker's containers).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import type { CaissonClient } from '../../../src/client/index.js';
import type { Convention, Runtime } from '../../../src/shared/types.js';

export interface HostileFunction {
  name: string;
  runtime: Runtime;
  convention?: Convention;
  fileName: string;
  source: string;
  entry?: string;
  /** fresh: every attempt in a new container (the cold path); else the warm default. */
  fresh?: boolean;
  timeoutMs?: number;
  memoryMb?: number;
}

export function deploySource(client: CaissonClient, f: HostileFunction) {
  return client.functions.create.mutate({
    name: f.name, runtime: f.runtime, convention: f.convention, entry: f.entry, fileName: f.fileName,
    code: Buffer.from(f.source).toString('base64'),
    limits: { timeoutMs: f.timeoutMs ?? 10_000, memoryMb: f.memoryMb ?? 128 },
    retryPolicy: { maxAttempts: 1 },
    ...(f.fresh ? { warm: { isolation: 'fresh' as const } } : {}),
  });
}

export function invoke(client: CaissonClient, fn: string, payload: unknown) {
  return client.invocations.invoke.mutate({ function: fn, payload });
}

/** A host file the attacks aim at: its content must never change. */
export function hostMarker(): { path: string; content: string; untouched(): boolean } {
  const dir = mkdtempSync(join(tmpdir(), 'caisson-marker-'));
  const path = join(dir, 'marker.txt');
  const content = `host file, not to be touched ${Date.now()}\n`;
  writeFileSync(path, content);
  return { path, content, untouched: () => readFileSync(path, 'utf8') === content };
}

/** Processes running in a container (docker top), by command line. */
export async function processesIn(containerId: string): Promise<string[]> {
  const top = await new Dockerode().getContainer(containerId).top({ ps_args: '-eo pid,args' });
  const { Titles, Processes } = top as { Titles: string[]; Processes: string[][] };
  const argsAt = Titles.findIndex((t) => /args|command|cmd/i.test(t));
  return Processes.map((p) => p[argsAt] ?? p.join(' '));
}
