// Warm pools and the code cache are per host, on the production topology (`npm run stack`): each
// host that runs a version's warm attempts keeps its own warm container(s) for it, on its own
// Docker engine and labelled with its worker, and fetches the version's code from the api once
// (each worker's caisson_code_fetches_total, read from its metrics port).
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deployDir } from '../support/deploy.js';
import { sampleValue } from '../support/prometheus.js';
import { apiClient, closeStackClients, engines, workerIdOf, workerMetrics } from './stack-env.js';

const run = Date.now().toString(36);
const fn = `per-host-${run}`;
const admin = [apiClient(0), apiClient(1)] as const;
const hosts = [1, 2] as const;
// Code of its own (no other test's version shares its sha256, so no host has it cached yet).
const codeDir = mkdtempSync(join(tmpdir(), 'caisson-per-host-'));

const codeFetches = async (host: 1 | 2) => sampleValue(await workerMetrics(host), 'caisson_code_fetches_total');
/** Attempts of the version a host ran (start "cold" when the pool started a container for it, "warm" when one was idle). */
const attemptsOn = async (host: 1 | 2, start?: 'warm') =>
  sampleValue(await workerMetrics(host), 'caisson_worker_attempts_total', { function: fn, outcome: 'Succeeded', ...(start ? { start } : {}) });
/** The version's own warm containers on a host's engine (a claimed generic container carries no function label). */
const warmContainers = (host: 1 | 2) => engines[host].listManaged({ 'caisson.function': `default/${fn}`, 'caisson.pool': 'warm' });

const fetchesBefore = { 1: 0, 2: 0 };
beforeAll(async () => {
  cpSync('test/fixtures/functions/py-slow', codeDir, { recursive: true });
  writeFileSync(join(codeDir, 'run.txt'), `${run}\n`);
  for (const host of hosts) fetchesBefore[host] = await codeFetches(host);
  // Warm (the default isolation): attempts run in the version's warm pool of whichever worker takes them.
  await deployDir(admin[0], { dir: relative(process.cwd(), codeDir), name: fn, runtime: 'python', timeoutMs: 60_000 });
});
afterAll(async () => {
  rmSync(codeDir, { recursive: true, force: true });
  await closeStackClients();
});

it('each host keeps its own warm containers for a version and fetches its code once', async () => {
  // Rounds of concurrent invocations until both workers keep warm containers of the version
  // (each worker takes what it polls; 16 at once are more than one host's first container serves).
  let round = 0;
  while ((await warmContainers(1)).length === 0 || (await warmContainers(2)).length === 0) {
    expect(round++, 'rounds of 16 invocations until both hosts keep warm containers').toBeLessThan(5);
    const ids = await Promise.all(Array.from({ length: 16 }, async (_, i) =>
      (await admin[i % 2]!.invocations.start.mutate({ function: fn, payload: { sleep: 1 }, idempotencyKey: `${fn}-${round}-${i}` })).id));
    const results = await Promise.all(ids.map((id) => admin[0].invocations.wait.query({ id, waitMs: 240_000 })));
    expect(results.map((r) => r.status)).toEqual(ids.map(() => 'SUCCEEDED'));
  }
  for (const host of hosts) {
    expect(await attemptsOn(host), `attempts run by host ${host}`).toBeGreaterThan(0);
    // Its warm containers are on its own engine, labelled with its worker; none of them on the other's.
    const warm = await warmContainers(host);
    expect(new Set(warm.map((c) => c.labels['caisson.worker']))).toEqual(new Set([workerIdOf(host)]));
    expect(new Set(warm.map((c) => c.labels['caisson.warm-key'])).size).toBe(1); // one version: one pool
    // The version's code: fetched once by this host (by the deploy's build or its first attempt), then cached.
    expect(await codeFetches(host) - fetchesBefore[host], `code fetches by host ${host}`).toBe(1);
  }
  // One more round: idle warm containers reused, and still no fetch on either host.
  const warmBefore = (await attemptsOn(1, 'warm')) + (await attemptsOn(2, 'warm'));
  const again = await Promise.all(Array.from({ length: 8 }, async (_, i) =>
    (await admin[i % 2]!.invocations.invoke.mutate({ function: fn, payload: { sleep: 0 }, idempotencyKey: `${fn}-again-${i}`, waitMs: 120_000 }))));
  expect(again.map((r) => r.status)).toEqual(again.map(() => 'SUCCEEDED'));
  expect((await attemptsOn(1, 'warm')) + (await attemptsOn(2, 'warm'))).toBeGreaterThan(warmBefore);
  for (const host of hosts) expect(await codeFetches(host) - fetchesBefore[host]).toBe(1);
});
