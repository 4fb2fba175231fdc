// Per-namespace quotas: admission of invocations (concurrency and rate), checks at deploy
// (functions, versions, code bytes), and namespace.get/setQuota's view.
//
// Admission counts the namespace's admitted invocations in the database (quotas.repository.ts):
// every api process reads the same rows, and a crashed process leaves no counter behind.
// Between the count and the moment the new invocation's row is written, this process holds a
// reservation in memory (released once the row is visible), so concurrent requests to one api
// process never overshoot. Requests to different api processes in that window (a few ms) can:
// by at most the number of admissions racing in it, per process. A count that is a row too
// high (a sync success whose record is written just after the answer) only errs on the safe side.
import type { Repositories } from '../../db/index.js';
import { QuotaExceededError } from '../../shared/errors.js';
import { effectiveQuotas, QUOTA_NAMES, type QuotaOverrides, type Quotas } from '../../shared/quotas.js';

export interface QuotaServiceDeps {
  db: Pick<Repositories, 'quotas'>;
  defaults: Quotas;
  /** How long an invocation beyond the concurrency quota waits for a slot before its 429. */
  queueWaitMs: number;
  /** How often a waiting invocation counts again. */
  pollMs?: number;
  /** How long this process keeps a namespace's overrides (its own setQuota drops them at once). */
  cacheMs?: number;
  now?: () => number;
}

/** Held from admission until the invocation's row is written; release() is idempotent. */
export interface Admission {
  release(): void;
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
  const reserved = new Map<string, number>();

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
    reserved.set(namespace, (reserved.get(namespace) ?? 0) + 1);
    let held = true;
    return {
      release() {
        if (!held) return;
        held = false;
        const n = (reserved.get(namespace) ?? 1) - 1;
        if (n > 0) reserved.set(namespace, n);
        else reserved.delete(namespace);
      },
    };
  }

  /**
   * Admits one invocation of the namespace or throws QuotaExceededError (429): at once when the
   * rate quota is reached (retryAfterS: when the oldest invocation of the minute leaves it),
   * after waiting up to queueWaitMs for a slot when the concurrency quota is.
   */
  async function admit(namespace: string): Promise<Admission> {
    const deadline = now() + deps.queueWaitMs;
    for (;;) {
      const quotas = await quotasOf(namespace);
      const t = now();
      const load = await db.quotas.invocationLoad(namespace, new Date(t - MINUTE_MS));
      const mine = reserved.get(namespace) ?? 0;
      const recent = load.recent + mine;
      if (recent >= quotas.invocationsPerMinute) {
        const leaves = load.oldestRecentAt ? load.oldestRecentAt.getTime() + MINUTE_MS - t : MINUTE_MS;
        throw new QuotaExceededError({
          namespace, quota: 'invocationsPerMinute', limit: quotas.invocationsPerMinute, used: recent,
          retryAfterS: Math.max(1, Math.ceil(leaves / 1000)), why: `${recent} invocations in the last minute`,
        });
      }
      const inFlight = load.inFlight + mine;
      if (inFlight < quotas.concurrentInvocations) return reserve(namespace);
      if (t >= deadline) {
        throw new QuotaExceededError({
          namespace, quota: 'concurrentInvocations', limit: quotas.concurrentInvocations, used: inFlight, retryAfterS: 1,
          why: `${inFlight} invocations running; waited ${deps.queueWaitMs} ms for one to finish`,
        });
      }
      await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(1, deadline - t))));
    }
  }

  /** Admits, runs `write` (which makes the invocation's row visible), then releases the reservation. */
  async function admitWhile<T>(namespace: string, write: () => Promise<T>): Promise<T> {
    const admission = await admit(namespace);
    try {
      return await write();
    } finally {
      admission.release();
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

  async function view(namespace: string): Promise<NamespaceView> {
    const [own, stored, load] = await Promise.all([
      db.quotas.get(namespace), db.quotas.storedUsage(namespace), db.quotas.invocationLoad(namespace, new Date(now() - MINUTE_MS)),
    ]);
    const cleared = Object.fromEntries(QUOTA_NAMES.map((n) => [n, own?.[n] ?? null])) as QuotaOverrides;
    return {
      namespace, quotas: effectiveQuotas(defaults, own), overrides: cleared, defaults,
      usage: { concurrentInvocations: load.inFlight, invocationsPerMinute: load.recent, ...stored },
    };
  }

  async function set(namespace: string, changes: QuotaOverrides): Promise<NamespaceView> {
    await db.quotas.set(namespace, changes);
    overrides.delete(namespace);
    return view(namespace);
  }

  return { admit, admitWhile, checkDeploy, view, set, quotasOf };
}

export type QuotaService = ReturnType<typeof createQuotaService>;
