// Admission under the concurrency and rate quotas, with a fake repository standing for the
// database's rows: concurrent requests to one process never overshoot, a request over the
// concurrency quota waits for a slot then gets the 429, the rate quota refuses at once on a
// fresh count, and the last minute is counted at most once per rateCountMs; blob bytes are
// charged against a sum taken at most once per blobCountMs, and refused on a fresh one.
import { describe, expect, it } from 'vitest';
import { createQuotaService } from '../../../src/api/services/quota.service.js';
import { QuotaExceededError } from '../../../src/shared/errors.js';
import type { Quotas } from '../../../src/shared/quotas.js';

const defaults: Quotas = { concurrentInvocations: 2, invocationsPerMinute: 1000, functions: 10, versions: 10, codeBytes: 1000, warmContainers: 4, blobBytes: 1000 };

function fake(rows = { inFlight: 0, lastMinute: 0 }) {
  const calls = { acceptedSince: 0, inFlight: 0 };
  const db = {
    quotas: {
      get: async () => null,
      inFlight: async () => {
        calls.inFlight++;
        return rows.inFlight;
      },
      acceptedSince: async () => {
        calls.acceptedSince++;
        return { count: rows.lastMinute, oldestAt: new Date(Date.now() - 45_000) };
      },
      storedUsage: async () => ({ functions: 0, versions: 0, codeBytes: 0 }),
    },
  } as never;
  /** What writing the admitted invocation's row does to the counts. */
  const write = async () => {
    rows.inFlight++;
    rows.lastMinute++;
  };
  return { db, rows, calls, write };
}

const refusal = async (p: Promise<unknown>) => p.then(() => undefined, (err: unknown) => (err instanceof QuotaExceededError ? err : Promise.reject(err)));

describe('concurrency quota', () => {
  it('admits no more than the quota from concurrent requests to one process', async () => {
    const { db } = fake();
    const quotas = createQuotaService({ db, defaults, queueWaitMs: 0 });
    const results = await Promise.all(Array.from({ length: 5 }, () => refusal(quotas.admit('ns'))));
    expect(results.filter((r) => r === undefined)).toHaveLength(2);
    expect(results.filter((r) => r instanceof QuotaExceededError)).toHaveLength(3);
    expect(results.find((r) => r)?.message).toBe("namespace 'ns' is at its quota concurrentInvocations = 2 (2 invocations running; waited 0 ms for one to finish)");
  });

  it('waits up to queueWaitMs for a slot', async () => {
    const { db, rows } = fake({ inFlight: 2, lastMinute: 2 });
    const quotas = createQuotaService({ db, defaults, queueWaitMs: 1000, pollMs: 10 });
    const t0 = Date.now();
    setTimeout(() => { rows.inFlight = 1; }, 100);
    (await quotas.admit('ns')).release(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
  });

  it('refuses after queueWaitMs with the quota named and retryAfterS', async () => {
    const { db } = fake({ inFlight: 2, lastMinute: 2 });
    const quotas = createQuotaService({ db, defaults, queueWaitMs: 100, pollMs: 10 });
    const t0 = Date.now();
    const err = await refusal(quotas.admit('ns'));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(95);
    expect(err).toMatchObject({ code: 'QUOTA_EXCEEDED', details: { quota: 'concurrentInvocations', limit: 2, retryAfterS: 1 } });
  });

  it('an admission that came to nothing frees its slot', async () => {
    const { db } = fake();
    const quotas = createQuotaService({ db, defaults, queueWaitMs: 0 });
    await expect(quotas.admitWhile('ns', async () => { throw new Error('row not written'); })).rejects.toThrow('row not written');
    (await quotas.admit('ns')).release(true);
  });
});

describe('counting in flight', () => {
  it('reuses a count for inFlightCountMs below half the quota, and counts at every admission from half on', async () => {
    const { db, calls, write } = fake();
    const quotas = createQuotaService({ db, defaults: { ...defaults, concurrentInvocations: 8 }, queueWaitMs: 0, inFlightCountMs: 60_000 });
    for (let i = 0; i < 4; i++) await quotas.admitWhile('ns', write);
    expect(calls.inFlight).toBe(1); // 0, 1, 2, 3 in flight by its own count: below 4
    for (let i = 0; i < 4; i++) await quotas.admitWhile('ns', write);
    expect(calls.inFlight).toBe(5);
    await expect(quotas.admit('ns')).rejects.toBeInstanceOf(QuotaExceededError);
  });

  it('sees rows another process wrote once its count is older than inFlightCountMs', async () => {
    const { db, rows } = fake();
    let t = 1_000_000;
    const quotas = createQuotaService({ db, defaults: { ...defaults, concurrentInvocations: 4 }, queueWaitMs: 0, inFlightCountMs: 100, now: () => t });
    (await quotas.admit('ns')).release(false);
    rows.inFlight = 4; // admitted by other api processes
    t += 100;
    await expect(quotas.admit('ns')).rejects.toMatchObject({ details: { quota: 'concurrentInvocations', used: 4 } });
  });
});

describe('rate quota', () => {
  it('refuses at once past the per-minute quota, with the time the oldest leaves the minute', async () => {
    const { db, write } = fake();
    const quotas = createQuotaService({ db, defaults: { ...defaults, invocationsPerMinute: 3, concurrentInvocations: 100 }, queueWaitMs: 5000 });
    for (let i = 0; i < 3; i++) await quotas.admitWhile('ns', write);
    const t0 = Date.now();
    const err = await refusal(quotas.admit('ns'));
    expect(Date.now() - t0).toBeLessThan(100);
    expect(err).toMatchObject({ message: expect.stringContaining('invocationsPerMinute = 3'), details: { used: 3, retryAfterS: 15 } });
  });

  it('counts the minute once per rateCountMs, adding its own admissions between counts', async () => {
    const { db, calls, write } = fake();
    const quotas = createQuotaService({ db, defaults: { ...defaults, invocationsPerMinute: 5, concurrentInvocations: 100 }, queueWaitMs: 0, rateCountMs: 60_000 });
    for (let i = 0; i < 5; i++) await quotas.admitWhile('ns', write);
    expect(calls.acceptedSince).toBe(1);
    await expect(quotas.admit('ns')).rejects.toBeInstanceOf(QuotaExceededError);
    expect(calls.acceptedSince).toBe(2); // a refusal is decided on a fresh count
  });

  it('admits when the fresh count shows the minute has moved on', async () => {
    const { db, rows, write } = fake();
    const quotas = createQuotaService({ db, defaults: { ...defaults, invocationsPerMinute: 2, concurrentInvocations: 100 }, queueWaitMs: 0, rateCountMs: 60_000 });
    await quotas.admitWhile('ns', write);
    await quotas.admitWhile('ns', write);
    rows.lastMinute = 0; // both left the window: the cached estimate errs high, the fresh count admits
    (await quotas.admit('ns')).release(true);
  });
});

describe('blob bytes quota', () => {
  /** Blob rows per namespace; `store` charges then writes, as the api does. */
  function blobs(initial: Record<string, number>, options: { blobCountMs?: number; now?: () => number; blobBytes?: number } = {}) {
    const rows = new Map(Object.entries(initial));
    const state = { sums: 0 };
    const db = {
      quotas: { get: async () => null },
      blobs: { namespaceBytes: async (ns: string) => { state.sums++; return rows.get(ns) ?? 0; } },
    } as never;
    const quotas = createQuotaService({
      db, defaults: { ...defaults, blobBytes: options.blobBytes ?? 1000 }, queueWaitMs: 0,
      ...(options.blobCountMs ? { blobCountMs: options.blobCountMs } : {}), ...(options.now ? { now: options.now } : {}),
    });
    const store = async (ns: string, bytes: number) => {
      await quotas.chargeBlob(ns, bytes);
      rows.set(ns, (rows.get(ns) ?? 0) + bytes);
    };
    return { rows, state, store };
  }

  it('charges writes up to the quota, then refuses naming it', async () => {
    const { store } = blobs({ ns: 900 });
    await store('ns', 60);
    const refused = await refusal(store('ns', 60));
    expect(refused?.code).toBe('QUOTA_EXCEEDED');
    expect(refused?.details).toMatchObject({ quota: 'blobBytes', limit: 1000, used: 960, namespace: 'ns' });
    expect(refused?.message).toContain("namespace 'ns' is at its quota blobBytes = 1000");
    await store('ns', 40); // exactly at the quota is allowed
  });

  it('sums at most once per blobCountMs, and decides a refusal on a fresh sum', async () => {
    let t = 0;
    const { rows, state, store } = blobs({}, { blobCountMs: 1000, now: () => t });
    for (let i = 0; i < 5; i++) await store('ns', 100);
    expect(state.sums).toBe(1);
    rows.set('ns', 100); // blobs were deleted meanwhile: the fresh sum admits what the estimate (500 + 600) would not
    await store('ns', 600);
    expect(state.sums).toBe(2);
    t += 1000;
    await store('ns', 1);
    expect(state.sums).toBe(3);
  });

  it('counts each namespace on its own', async () => {
    const { store } = blobs({ a: 1000 }, { blobBytes: 2000 });
    await store('a', 1000);
    expect(await refusal(store('a', 1))).toBeInstanceOf(QuotaExceededError);
    await store('b', 2000);
  });
});
