// Public functions' rate limits in the database (trigger-rate.repository.ts) on PGlite and on a
// real PostgreSQL database, where two clients stand for two api processes: one bucket per client
// address shared by both, taken atomically, and a table that a flood of addresses cannot grow
// past maxClients per function. Also: an invocation's caller columns round-trip.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, createRepositories, type Database, type Repositories } from '../../../src/db/index.js';
import type { TakeTokenInput } from '../../../src/db/trigger-rate.repository.js';
import { DEFAULT_RETRY_POLICY } from '../../../src/shared/types.js';
import { TARGETS, openTarget, type OpenTarget } from './databases.js';

describe.each(TARGETS)('trigger rate buckets on %s', (kind) => {
  let target: OpenTarget;
  let repos: Repositories;
  /** A second api process on the same database (PostgreSQL only: PGlite is one process's). */
  let other: { db: Database; repos: Repositories } | undefined;

  beforeAll(async () => {
    target = await openTarget(kind);
    repos = createRepositories(target.db.prisma);
    if (kind === 'postgres') {
      const db = await createDatabase({ dataDir: '/nonexistent', databaseUrl: target.location, migrate: false });
      other = { db, repos: createRepositories(db.prisma) };
    }
  });
  afterAll(async () => {
    await other?.db.close();
    await target?.dispose();
  });

  const input = (over: Partial<TakeTokenInput>): TakeTokenInput =>
    ({ namespace: 'default', functionName: 'f', client: '203.0.113.1', perS: 1, maxClients: 100, ...over });

  it('a bucket of one second: R calls pass, the next is refused with how long until a token', async () => {
    const burst = input({ functionName: 'burst', perS: 3 });
    const started = Date.now();
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await repos.triggerRate.takeToken(burst));
    const allowed = results.filter((r) => r.allowed).length;
    // 3 at once, plus what refilled at 3/s while the calls ran.
    expect(allowed).toBeGreaterThanOrEqual(3);
    expect(allowed).toBeLessThanOrEqual(3 + Math.floor(((Date.now() - started) / 1000) * 3));
    const refused = results.at(-1)!;
    expect(refused).toMatchObject({ allowed: false, reason: 'rate' });
    if (!refused.allowed && refused.reason === 'rate') {
      expect(refused.tokens).toBeLessThan(1);
      expect(refused.waitS).toBeGreaterThan(0);
      expect(refused.waitS).toBeLessThanOrEqual(1 / 3);
    }
    // Another address and another function have buckets of their own.
    expect(await repos.triggerRate.takeToken({ ...burst, client: '203.0.113.2' })).toEqual({ allowed: true });
    expect(await repos.triggerRate.takeToken({ ...burst, functionName: 'burst2' })).toEqual({ allowed: true });
  });

  it('the table is UNLOGGED (no WAL flush per call)', async () => {
    const rows = await target.db.prisma.$queryRaw<Array<{ p: string }>>`SELECT relpersistence::text AS "p" FROM pg_class WHERE relname = 'TriggerRateBucket'`;
    expect(rows).toEqual([{ p: 'u' }]);
  });

  it('calls racing from every process share one bucket: never more than R plus the refill', async () => {
    const shared = input({ functionName: 'shared', perS: 5 });
    const sides = other ? [repos, other.repos] : [repos];
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => sides[i % sides.length]!.triggerRate.takeToken(shared)));
    const elapsedS = (Date.now() - started) / 1000;
    const allowed = results.filter((r) => r.allowed).length;
    expect(allowed).toBeGreaterThanOrEqual(5);
    expect(allowed).toBeLessThanOrEqual(5 + Math.floor(elapsedS * 5));
  });

  it('holds at most maxClients rows per function under a flood of addresses; full rows are swept', async () => {
    const flood = input({ functionName: 'flood', perS: 0.01, maxClients: 5 });
    const results = [];
    for (let i = 0; i < 60; i++) results.push(await repos.triggerRate.takeToken({ ...flood, client: `198.51.100.${i}` }));
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
    expect(results.slice(5).every((r) => !r.allowed && r.reason === 'clients')).toBe(true);
    expect(await repos.triggerRate.clientsOf('default', 'flood')).toBe(5);
    // A known address still gets its own answer (its bucket, not the cap).
    expect(await repos.triggerRate.takeToken({ ...flood, client: '198.51.100.0' })).toMatchObject({ allowed: false, reason: 'rate' });

    // Buckets of a fast limit are full again after 1/R s: the sweep deletes those, and only those.
    const fast = input({ functionName: 'fast', perS: 50 });
    for (let i = 0; i < 3; i++) await repos.triggerRate.takeToken({ ...fast, client: `192.0.2.${i}` });
    await new Promise((r) => setTimeout(r, 100));
    expect(await repos.triggerRate.sweepFull({ namespace: 'default', functionName: 'flood' })).toBe(0);
    expect(await repos.triggerRate.sweepFull()).toBeGreaterThanOrEqual(3);
    expect(await repos.triggerRate.clientsOf('default', 'fast')).toBe(0);
    expect(await repos.triggerRate.clientsOf('default', 'flood')).toBe(5);
  });

  it("records an invocation's caller: a key, or anonymous with an address", async () => {
    const spec = await repos.functions.create({
      namespace: 'default', name: 'callee', runtime: 'python', convention: 'script', entry: 'main.py',
      artifact: { sha256: createHash('sha256').update('1').digest('hex'), format: 'file', fileName: 'main.py', sizeBytes: 1 }, code: Buffer.from('1'),
      limits: { timeoutMs: 1000, memoryMb: 128, cpus: 0.5, network: false }, env: {},
      retryPolicy: DEFAULT_RETRY_POLICY,
    });
    const identity = { namespace: 'default', functionName: 'callee', functionId: spec.functionId, version: 1 };
    await repos.invocations.create({ ...identity, id: `inv_caller_a_${kind}`, caller: { kind: 'anonymous', address: '203.0.113.9' } });
    await repos.invocations.create({ ...identity, id: `inv_caller_k_${kind}`, caller: { kind: 'key', keyId: 'key_1', keyName: 'ci', address: '10.0.0.1' } });
    await repos.invocations.create({ ...identity, id: `inv_caller_n_${kind}` });
    expect(await repos.invocations.get(`inv_caller_a_${kind}`)).toMatchObject({ callerKeyId: null, callerKeyName: null, callerAddress: '203.0.113.9' });
    expect(await repos.invocations.get(`inv_caller_k_${kind}`)).toMatchObject({ callerKeyId: 'key_1', callerKeyName: 'ci', callerAddress: '10.0.0.1' });
    expect(await repos.invocations.get(`inv_caller_n_${kind}`)).toMatchObject({ callerKeyId: null, callerAddress: null });
  });
});
