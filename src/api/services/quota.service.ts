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
// - Rate: counting the last minute reads every row of it (milliseconds for a few thousand on PGlite),
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
import { createInvocationAdmitter, type AdmitterDeps } from './quota-admission.js';
import { createBlobCharges } from './quota-blobs.js';
import { MINUTE_MS, type Admission } from './quota-counts.js';

export interface QuotaServiceDeps extends Omit<AdmitterDeps, 'db' | 'quotasOf'> {
  db: Pick<Repositories, 'quotas'> & { blobs: Pick<Repositories['blobs'], 'namespaceBytes'> };
  defaults: Quotas;
  /** How long this process keeps a namespace's overrides (its own setQuota drops them at once). */
  cacheMs?: number;
  /** How long this process trusts its sum of a namespace's blob bytes (plus what it charged since). */
  blobCountMs?: number;
}

export type { Admission };

export interface NamespaceView {
  namespace: string;
  /** What applies: the override, else the default. */
  quotas: Quotas;
  overrides: QuotaOverrides;
  defaults: Quotas;
  /** Warm containers live on the workers and are not counted by the api. */
  usage: Omit<Quotas, 'warmContainers'>;
}

export function createQuotaService(deps: QuotaServiceDeps) {
  const { db, defaults } = deps;
  const cacheMs = deps.cacheMs ?? 1000;
  const now = deps.now ?? Date.now;
  const overrides = new Map<string, { until: number; value: Promise<QuotaOverrides | null> }>();

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

  const { admit, admitWhile } = createInvocationAdmitter({ ...deps, quotasOf });
  const { chargeBlob } = createBlobCharges({ db, now, blobCountMs: deps.blobCountMs ?? 1000, quotasOf });
  return { admit, admitWhile, checkDeploy, chargeBlob, view, set, quotasOf };
}

export type QuotaService = ReturnType<typeof createQuotaService>;
