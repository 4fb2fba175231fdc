// Admitting invocations under a namespace's concurrency and rate quotas, on this process's
// counts (quota-counts.ts); the reasoning behind each count is at the top of quota.service.ts.
import { QuotaExceededError } from '../../shared/errors.js';
import type { Quotas } from '../../shared/quotas.js';
import { createAdmissionCounts, MINUTE_MS } from './quota-counts.js';
import type { Repositories } from '../../db/index.js';
import type { Admission } from './quota-counts.js';

export interface AdmitterDeps {
  db: Pick<Repositories, 'quotas'>;
  /** How long an invocation beyond the concurrency quota waits for a slot before its 429. */
  queueWaitMs: number;
  /** How often a waiting invocation counts again. */
  pollMs?: number;
  /** How long this process trusts its count of a namespace's last minute (plus its own admissions since). */
  rateCountMs?: number;
  /** How long this process trusts its count of a namespace's invocations in flight while below half the quota. */
  inFlightCountMs?: number;
  /**
   * Frees slots held by rows whose run never started (invocation-recovery.ts); called, at most
   * once a minute per namespace and in the background, when a namespace is refused at its
   * concurrency quota.
   */
  reclaim?: (namespace: string) => Promise<number>;
  log?: (message: string) => void;
  now?: () => number;
  /** The namespace's quotas (the service's cached overrides over the defaults). */
  quotasOf(namespace: string): Promise<Quotas>;
}

export function createInvocationAdmitter(deps: AdmitterDeps) {
  const { quotasOf } = deps;
  const now = deps.now ?? Date.now;
  const pollMs = deps.pollMs ?? 50;
  const rateCountMs = deps.rateCountMs ?? 1000;
  const inFlightCountMs = deps.inFlightCountMs ?? 100;
  const counts = createAdmissionCounts({ db: deps.db, now });

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
      const countedAt = counts.minuteCountedAt(namespace);
      const stale = countedAt === undefined || now() - countedAt >= rateCountMs;
      const flyingAt = counts.inFlightCountedAt(namespace);
      const countFlying = flyingAt === undefined || now() - flyingAt >= inFlightCountMs || counts.inFlightEstimate(namespace) * 2 >= quotas.concurrentInvocations;
      await Promise.all([countFlying ? counts.countInFlight(namespace) : undefined, recount || stale ? counts.countMinute(namespace) : undefined]);
      // Nothing awaits from here to the decision: concurrent admissions in this process see
      // each other's reservations. Rows written during the count may be in it or not: added.
      const minute = counts.minuteEstimate(namespace);
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
      const inFlight = counts.inFlightEstimate(namespace);
      if (inFlight < quotas.concurrentInvocations) return counts.reserve(namespace);
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

  return { admit, admitWhile };
}
