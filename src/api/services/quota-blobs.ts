// Charging a namespace's new blobs against its blobBytes quota, on this process's last sum of
// the namespace's blob bytes plus what it charged since (see quota.service.ts).
import type { Repositories } from '../../db/index.js';
import { QuotaExceededError } from '../../shared/errors.js';
import type { Quotas } from '../../shared/quotas.js';

export interface BlobChargeDeps {
  db: { blobs: Pick<Repositories['blobs'], 'namespaceBytes'> };
  now: () => number;
  blobCountMs: number;
  quotasOf(namespace: string): Promise<Quotas>;
}

export function createBlobCharges(deps: BlobChargeDeps) {
  const { db, now, blobCountMs, quotasOf } = deps;
  /** Per namespace: blob bytes this process charged (only grows), and its last sum with `charged` when that sum began. */
  const charged = new Map<string, number>();
  const blobSums = new Map<string, { at: number; bytes: number; chargedAt: number }>();
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

  return { chargeBlob };
}
