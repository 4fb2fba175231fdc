// Per-namespace quotas: admission of invocations (concurrency and rate), checks at deploy
// (functions, versions, code bytes), before each blob write (blob bytes), and
// namespace.get/setQuota's view.
//
// Admission counts the namespace's admitted invocations in the database (quotas.repository.ts):
// every api process reads the same rows, and a crashed process leaves no counter behind.
// - Concurrency: the rows in flight (an index scan of at most that many rows, ~1.4 PK lookups
//   on PGlite), plus the rows this process wrote since that count began and its admissions
//   whose rows are not written yet; finished ones are not subtracted, so for one process the
//   figure only errs high. Below half the quota a process reuses its count for up to
//   inFlightCountMs (100 ms); from half the quota on it counts at every admission. The
//   decision and the reservation happen without an await in between, so concurrent requests to
//   one api process never overshoot. Other api processes' admissions since the count are not
//   seen: a namespace overshoots only if they admit more than half its quota within 100 ms
//   (or, near the quota, race in the few ms between one's count and its row).
// - Rate: counting the last minute reads every row of it (~2 ms for a few thousand on PGlite),
//   so a process counts a namespace's minute at most every rateCountMs (1 s) and adds the rows
//   it wrote since. For one process that estimate only errs high, and a refusal is always
//   decided on a fresh count; other api processes' admissions of the last rateCountMs are not
//   seen, so with several processes the overshoot is at most what they admit in that time.
// - Blob bytes: a SUM over the namespace's Blob rows (an index-only scan of (namespace,
//   sizeBytes)); a process sums a namespace at most every blobCountMs (1 s) and adds what it
//   charged since (errs high); a refusal is always decided on a fresh sum. Other api
//   processes' writes of the last blobCountMs are not seen: with several processes the
//   overshoot is at most what they store in that time.
// A count that is a row too high (a sync success whose record is written just after the
// answer) only errs on the safe side.
import type { Repositories } from '../../db/index.js';
import { QuotaExceededError } from '../../shared/errors.js';
import { effectiveQuotas, QUOTA_NAMES, type QuotaOverrides, type Quotas } from '../../shared/quotas.js';

export interface QuotaServiceDeps {
  db: Pick<Repositories, 'quotas'> & { blobs: Pick<Repositories['blobs'], 'namespaceBytes'> };
  defaults: Quotas;
  /** How long an invocation beyond the concurrency quota waits for a slot before its 429. */
  queueWaitMs: number;
  /** How often a waiting invocation counts again. */
  pollMs?: number;
  /** How long this process keeps a namespace's overrides (its own setQuota drops them at once). */
  cacheMs?: number;
  /** How long this process trusts its count of a namespace's last minute (plus its own admissions since). */
  rateCountMs?: number;
  /** How long this process trusts its count of a namespace's invocations in flight while below half the quota. */
  inFlightCountMs?: number;
  /** How long this process trusts its sum of a namespace's blob bytes (plus what it charged since). */
  blobCountMs?: number;
  /**
   * Frees slots held by rows whose run never started (invocation-recovery.ts); called, at most
   * once a minute per namespace and in the background, when a namespace is refused at its
   * concurrency quota.
   */
  reclaim?: (namespace: string) => Promise<number>;
  log?: (message: string) => void;
  now?: () => number;
}

/** Held from admission until the invocation's row is written; release() is idempotent. */
export interface Admission {
  /** written: the invocation's row was written (false: the admission came to nothing). */
  release(written?: boolean): void;
}

export interface NamespaceView {
  namespace: string;
  /** What applies: the override, else the default. */
  quotas: Quotas;
  overrides: QuotaOverrides;
  defaults: Quotas;
  /** Warm containers live on the workers and are not counted by the api. */
  usage: Omit<Quotas, 'warmContainers'>;
}

const MINUTE_MS = 60_000;

export function createQuotaService(deps: QuotaServiceDeps) {
  const { db, defaults } = deps;
  const pollMs = deps.pollMs ?? 50;
  const cacheMs = deps.cacheMs ?? 1000;
  const now = deps.now ?? Date.now;
  const overrides = new Map<string, { until: number; value: Promise<QuotaOverrides | null> }>();
  /** Per namespace: admitted by this process, row not written yet. */
  const reserved = new Map<string, number>();
  /** Per namespace: admissions of this process whose row was written (only grows). */
  const written = new Map<string, number>();
  /** Per namespace: this process's last count of the minute, and `written` when that count began. */
  const minuteCounts = new Map<string, { at: number; count: number; oldestAt: Date | null; writtenAt: number }>();
  const rateCountMs = deps.rateCountMs ?? 1000;
  /** Per namespace: this process's last count of the invocations in flight, and `written` when it began. */
  const inFlightCounts = new Map<string, { at: number; count: number; writtenAt: number }>();
  const inFlightCountMs = deps.inFlightCountMs ?? 100;
  /** Per namespace: blob bytes this process charged (only grows), and its last sum with `charged` when that sum began. */
  const charged = new Map<string, number>();
  const blobSums = new Map<string, { at: number; bytes: number; chargedAt: number }>();
  const blobCountMs = deps.blobCountMs ?? 1000;
  const reservedOf = (namespace: string) => reserved.get(namespace) ?? 0;
  const writtenOf = (namespace: string) => written.get(namespace) ?? 0;

  function quotasOf(namespace: string): Promise<Quotas> {
    const t = now();
    let hit = overrides.get(namespace);
    if (!hit || hit.until <= t) {
      if (overrides.size > 10_000) overrides.clear();
      hit = { until: t + cacheMs, value: db.quotas.get(namespace) };
      hit.value.catch(() => overrides.delete(namespace));
      overrides.set(namespace, hit);
    }
    return hit.value.then((o) => effectiveQuotas(defaults, o));
  }

  function reserve(namespace: string): Admission {
    reserved.set(namespace, reservedOf(namespace) + 1);
    let held = true;
    return {
      release(rowWritten = true) {
        if (!held) return;
        held = false;
        const n = reservedOf(namespace) - 1;
        if (n > 0) reserved.set(namespace, n);
        else reserved.delete(namespace);
        if (rowWritten) written.set(namespace, writtenOf(namespace) + 1);
      },
    };
  }

  async function countMinute(namespace: string): Promise<void> {
    const t = now();
    const writtenAt = writtenOf(namespace);
    const { count, oldestAt } = await db.quotas.acceptedSince(namespace, new Date(t - MINUTE_MS));
    if (minuteCounts.size > 10_000) minuteCounts.clear();
    minuteCounts.set(namespace, { at: t, count, oldestAt, writtenAt });
  }

  async function countInFlight(namespace: string): Promise<void> {
    const t = now();
    const writtenAt = writtenOf(namespace);
    const count = await db.quotas.inFlight(namespace);
    if (inFlightCounts.size > 10_000) inFlightCounts.clear();
    inFlightCounts.set(namespace, { at: t, count, writtenAt });
  }

  /** In flight as this process knows it (errs high: finished ones are not subtracted until the next count). */
  function inFlightEstimate(namespace: string): number {
    const c = inFlightCounts.get(namespace);
    return (c ? c.count + (writtenOf(namespace) - c.writtenAt) : 0) + reservedOf(namespace);
  }

  /**
   * Accepted in the last minute as this process knows it: its last count, plus the rows it
   * wrote since that count began (some may be in the count: the estimate errs high), plus
   * its admissions whose rows are not written yet.
   */
  function minuteEstimate(namespace: string): { count: number; oldestAt: Date | null } {
    const c = minuteCounts.get(namespace);
    if (!c) return { count: reservedOf(namespace), oldestAt: null };
    return { count: c.count + (writtenOf(namespace) - c.writtenAt) + reservedOf(namespace), oldestAt: c.oldestAt };
  }

  /**
   * Admits one invocation of the namespace or throws QuotaExceededError (429): at once when the
   * rate quota is reached (on a fresh count; retryAfterS: when the oldest invocation of the
   * minute leaves it), after waiting up to queueWaitMs for a slot when the concurrency quota is.
   */
  async function admit(namespace: string): Promise<Admission> {
    const deadline = now() + deps.queueWaitMs;
    let recount = false;
    for (;;) {
      const quotas = await quotasOf(namespace);
      const counted = minuteCounts.get(namespace);
      const stale = !counted || now() - counted.at >= rateCountMs;
      const flying = inFlightCounts.get(namespace);
      const countFlying = !flying || now() - flying.at >= inFlightCountMs || inFlightEstimate(namespace) * 2 >= quotas.concurrentInvocations;
      await Promise.all([countFlying ? countInFlight(namespace) : undefined, recount || stale ? countMinute(namespace) : undefined]);
      // Nothing awaits from here to the decision: concurrent admissions in this process see
      // each other's reservations. Rows written during the count may be in it or not: added.
      const minute = minuteEstimate(namespace);
      if (minute.count >= quotas.invocationsPerMinute) {
        if (!recount && !stale) {
          recount = true; // a refusal is decided on a fresh count
          continue;
        }
        const leavesMs = minute.oldestAt ? minute.oldestAt.getTime() + MINUTE_MS - now() : MINUTE_MS;
        throw new QuotaExceededError({
          namespace, quota: 'invocationsPerMinute', limit: quotas.invocationsPerMinute, used: minute.count,
          retryAfterS: Math.max(1, Math.ceil(leavesMs / 1000)), why: `${minute.count} invocations in the last minute`,
        });
      }
      recount = false;
      const inFlight = inFlightEstimate(namespace);
      if (inFlight < quotas.concurrentInvocations) return reserve(namespace);
      const t = now();
      if (t >= deadline) {
        reclaimSoon(namespace);
        throw new QuotaExceededError({
          namespace, quota: 'concurrentInvocations', limit: quotas.concurrentInvocations, used: inFlight, retryAfterS: 1,
          why: `${inFlight} invocations running; waited ${deps.queueWaitMs} ms for one to finish`,
        });
      }
      await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(1, deadline - t))));
    }
  }

  const reclaimed = new Map<string, number>();
  function reclaimSoon(namespace: string): void {
    if (!deps.reclaim || now() - (reclaimed.get(namespace) ?? -Infinity) < MINUTE_MS) return;
    if (reclaimed.size > 10_000) reclaimed.clear();
    reclaimed.set(namespace, now());
    deps.reclaim(namespace).then(
      (n) => n > 0 && deps.log?.(`quotas: ${n} invocation(s) of '${namespace}' never started, recorded FAILED (their slots are free)`),
      (err: Error) => deps.log?.(`quotas: could not look for invocations of '${namespace}' that never started: ${err.message}`),
    );
  }

  /** Admits, runs `write` (which makes the invocation's row visible), then releases the reservation. */
  async function admitWhile<T>(namespace: string, write: () => Promise<T>): Promise<T> {
    const admission = await admit(namespace);
    try {
      const written = await write();
      admission.release(true);
      return written;
    } catch (err) {
      admission.release(false);
      throw err;
    }
  }

  /** Throws QuotaExceededError when a deploy would take the namespace past a stored-object quota. */
  async function checkDeploy(namespace: string, change: { newFunction: boolean; codeBytes: number }): Promise<void> {
    const [quotas, usage] = await Promise.all([quotasOf(namespace), db.quotas.storedUsage(namespace)]);
    const after = {
      functions: usage.functions + (change.newFunction ? 1 : 0),
      versions: usage.versions + 1,
      codeBytes: usage.codeBytes + change.codeBytes,
    };
    for (const quota of ['functions', 'versions', 'codeBytes'] as const) {
      if (quota === 'functions' && !change.newFunction) continue;
      if (after[quota] > quotas[quota]) {
        throw new QuotaExceededError({
          namespace, quota, limit: quotas[quota], used: usage[quota],
          why: `${usage[quota]} ${quota === 'codeBytes' ? 'bytes stored, this version adds ' + change.codeBytes : 'already'}`,
        });
      }
    }
  }

  const chargedOf = (namespace: string) => charged.get(namespace) ?? 0;

  async function sumBlobs(namespace: string): Promise<void> {
    const t = now();
    const chargedAt = chargedOf(namespace);
    const bytes = await db.blobs.namespaceBytes(namespace);
    if (blobSums.size > 10_000) blobSums.clear();
    blobSums.set(namespace, { at: t, bytes, chargedAt });
  }

  /**
   * Charges `bytes` of a new blob to the namespace, or throws QuotaExceededError (429) when it
   * would take the namespace past its blobBytes quota (decided on a fresh sum); called before
   * the blob is written. A write that then fails leaves the charge until the next sum (≤ 1 s).
   */
  async function chargeBlob(namespace: string, bytes: number): Promise<void> {
    const quotas = await quotasOf(namespace);
    for (let recount = false; ; recount = true) {
      const sum = blobSums.get(namespace);
      const fresh = recount || !sum || now() - sum.at >= blobCountMs;
      if (fresh) await sumBlobs(namespace);
      const counted = blobSums.get(namespace)!;
      // Nothing awaits from here to the charge: concurrent writes in this process see each other.
      const used = counted.bytes + (chargedOf(namespace) - counted.chargedAt);
      if (used + bytes <= quotas.blobBytes) {
        charged.set(namespace, chargedOf(namespace) + bytes);
        return;
      }
      if (!fresh) continue; // a refusal is decided on a fresh sum
      throw new QuotaExceededError({
        namespace, quota: 'blobBytes', limit: quotas.blobBytes, used,
        why: `${used} bytes of blobs stored, this one adds ${bytes}`,
      });
    }
  }

  async function view(namespace: string): Promise<NamespaceView> {
    const [own, stored, inFlight, recent, blobBytes] = await Promise.all([
      db.quotas.get(namespace), db.quotas.storedUsage(namespace), db.quotas.inFlight(namespace),
      db.quotas.acceptedSince(namespace, new Date(now() - MINUTE_MS)), db.blobs.namespaceBytes(namespace),
    ]);
    const cleared = Object.fromEntries(QUOTA_NAMES.map((n) => [n, own?.[n] ?? null])) as QuotaOverrides;
    return {
      namespace, quotas: effectiveQuotas(defaults, own), overrides: cleared, defaults,
      usage: { concurrentInvocations: inFlight, invocationsPerMinute: recent.count, ...stored, blobBytes },
    };
  }

  async function set(namespace: string, changes: QuotaOverrides): Promise<NamespaceView> {
    await db.quotas.set(namespace, changes);
    overrides.delete(namespace);
    return view(namespace);
  }

  return { admit, admitWhile, checkDeploy, chargeBlob, view, set, quotasOf };
}

export type QuotaService = ReturnType<typeof createQuotaService>;
