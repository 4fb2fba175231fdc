// Blob retention: blobs older than CAISSON_BLOB_RETENTION_DAYS that no live record needs are
// deleted at api start and hourly, so the blobBytes quota bounds what a namespace keeps, not
// what it ever stored. What counts as live: blobs.repository.ts, sweepUnreferenced.
import type { Repositories } from '../db/index.js';

const DAY_MS = 86_400_000;

/**
 * One pass over every blob older than `before`, `batch` (1000) candidates at a time; what it
 * deleted. Each batch is one DELETE whose "still needed" checks read the invocation, dead-letter
 * and chain tables (their ref columns carry no index: an index on the hot path's rows for an
 * hourly sweep would cost more than it saves); an hourly pass usually has one batch.
 */
export async function sweepBlobs(input: { db: Pick<Repositories, 'blobs'>; before: Date; batch?: number }): Promise<{ deleted: number; bytes: number }> {
  const limit = input.batch ?? 1000;
  let after: { createdAt: Date; id: string } | undefined;
  let deleted = 0;
  let bytes = 0;
  for (;;) {
    const r = await input.db.blobs.sweepUnreferenced({ before: input.before, limit, ...(after ? { after } : {}) });
    deleted += r.deleted;
    bytes += r.bytes;
    if (r.scanned < limit || !r.last) return { deleted, bytes };
    after = r.last;
  }
}

/** Sweeps at start and every `everyMs` (hourly); days 0 keeps every blob. Returns stop(). */
export function startBlobRetention(deps: { db: Pick<Repositories, 'blobs'>; days: number; everyMs?: number; log?: (m: string) => void }): () => void {
  if (deps.days <= 0) return () => {};
  let running = false;
  const sweep = () => {
    if (running) return; // a slow pass is not overlapped by the next
    running = true;
    sweepBlobs({ db: deps.db, before: new Date(Date.now() - deps.days * DAY_MS) }).then(
      (r) => r.deleted > 0 && deps.log?.(`blobs: deleted ${r.deleted} blob(s), ${r.bytes} bytes, older than ${deps.days} days and no longer needed`),
      (err: Error) => deps.log?.(`blobs: retention sweep failed: ${err.message}`),
    ).finally(() => { running = false; });
  };
  sweep();
  const timer = setInterval(sweep, deps.everyMs ?? 3_600_000);
  timer.unref();
  return () => clearInterval(timer);
}
