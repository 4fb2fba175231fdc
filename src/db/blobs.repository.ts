// Payloads and results over the inline threshold, stored by reference, each charged to a
// namespace (the blobBytes quota). A caller that may retry (an activity) passes its own
// deterministic id so the write is idempotent. Old blobs no live record refers to are
// deleted by the retention sweep (sweepUnreferenced).
import { randomUUID } from 'node:crypto';
import type { Prisma, PrismaClient } from './generated/client.js';
import { toBytes } from './artifacts.repository.js';

export const blobBytesSelect = { bytes: true } satisfies Prisma.BlobSelect;

export interface BlobSweepResult {
  deleted: number;
  bytes: number;
}

export function createBlobsRepository(prisma: PrismaClient) {
  async function get(id: string): Promise<Buffer | null> {
    const row = await prisma.blob.findUnique({ where: { id }, select: blobBytesSelect });
    return row ? Buffer.from(row.bytes) : null;
  }

  return {
    /**
     * Stores the bytes, charged to `namespace`, and returns the blob id. With `id`, writing
     * again keeps the first bytes and namespace (a blob is immutable once written) but renews
     * its createdAt: a value written again is in use again, and the retention sweep goes by age.
     */
    async put(bytes: Uint8Array, options: { namespace: string; id?: string }): Promise<string> {
      const id = options.id ?? `blob_${randomUUID()}`;
      if (!options.id) {
        await prisma.blob.create({ data: { id, namespace: options.namespace, bytes: toBytes(bytes), sizeBytes: bytes.byteLength }, select: { id: true } });
        return id;
      }
      await prisma.blob.upsert({
        where: { id },
        create: { id, namespace: options.namespace, bytes: toBytes(bytes), sizeBytes: bytes.byteLength },
        update: { createdAt: new Date() },
        select: { id: true },
      });
      return id;
    },

    get,

    /** The JSON value stored in a blob (payloads, results and outputs are stored as JSON text); null when missing. */
    async getJson(id: string): Promise<unknown> {
      const bytes = await get(id);
      return bytes ? JSON.parse(bytes.toString('utf8')) : null;
    },

    /** Bytes of the blobs charged to the namespace (an index-only scan of its rows). */
    async namespaceBytes(namespace: string): Promise<number> {
      const [row] = await prisma.$queryRaw<{ n: bigint | null }[]>`
        SELECT sum("sizeBytes")::bigint AS n FROM "Blob" WHERE "namespace" = ${namespace}`;
      return Number(row?.n ?? 0);
    },

    /**
     * Deletes blobs written before `before` that no record still needs, oldest first, at most
     * `limit` candidates (pass `after` to go on from the last one). A blob is kept while any of
     * these refers to it (by inputRef, resultRef or outputRef):
     * - an invocation (chain steps included) not ended, or ended at or after `before`;
     * - a dead letter not replayed, or failed at or after `before`;
     * - a chain invocation (its input and result, its steps' outputs) not ended, ended at or
     *   after `before`, or with a dead letter not replayed (it may be resumed from there); its
 *   steps' units (their `output.ref`) too.
     * Anything else (logs copied into their rows, values only a finished workflow held, blobs
     * whose records are gone) is deleted once older than `before`.
     */
    async sweepUnreferenced(input: { before: Date; limit: number; after?: { createdAt: Date; id: string } }): Promise<BlobSweepResult & { last?: { createdAt: Date; id: string }; scanned: number }> {
      const { before, limit } = input;
      const after = input.after ?? { createdAt: new Date(0), id: '' };
      const candidates = await prisma.$queryRaw<{ id: string; createdAt: Date }[]>`
        SELECT "id", "createdAt" FROM "Blob"
        WHERE "createdAt" < ${before} AND ("createdAt", "id") > (${after.createdAt}, ${after.id})
        ORDER BY "createdAt", "id" LIMIT ${limit}`;
      if (candidates.length === 0) return { deleted: 0, bytes: 0, scanned: 0 };
      const ids = candidates.map((c) => c.id);
      const [row] = await prisma.$queryRaw<{ deleted: bigint; bytes: bigint | null }[]>`
        WITH live_chains AS (
          SELECT c."id" FROM "ChainInvocation" c
          WHERE c."endedAt" IS NULL OR c."endedAt" >= ${before}
             OR EXISTS (SELECT 1 FROM "DeadLetter" d WHERE d."invocationId" = c."id" AND d."replayedAs" IS NULL)
        ), gone AS (
          DELETE FROM "Blob" b WHERE b."id" = ANY(${ids}) AND b."createdAt" < ${before} -- not renewed since the SELECT
            AND NOT EXISTS (SELECT 1 FROM "Invocation" i WHERE i."inputRef" = b."id" AND (i."endedAt" IS NULL OR i."endedAt" >= ${before}))
            AND NOT EXISTS (SELECT 1 FROM "Invocation" i WHERE i."resultRef" = b."id" AND (i."endedAt" IS NULL OR i."endedAt" >= ${before}))
            AND NOT EXISTS (SELECT 1 FROM "DeadLetter" d WHERE d."inputRef" = b."id" AND (d."replayedAs" IS NULL OR d."failedAt" >= ${before}))
            AND NOT EXISTS (SELECT 1 FROM "ChainInvocation" c WHERE c."inputRef" = b."id" AND c."id" IN (SELECT "id" FROM live_chains))
            AND NOT EXISTS (SELECT 1 FROM "ChainInvocation" c WHERE c."resultRef" = b."id" AND c."id" IN (SELECT "id" FROM live_chains))
            AND NOT EXISTS (SELECT 1 FROM "ChainStepRun" s WHERE s."outputRef" = b."id" AND s."chainInvocationId" IN (SELECT "id" FROM live_chains))
            AND NOT EXISTS (SELECT 1 FROM "ChainStepRun" s, jsonb_path_query(s."units", 'lax $.*.output.ref') AS u(ref)
                            WHERE s."chainInvocationId" IN (SELECT "id" FROM live_chains) AND u.ref #>> '{}' = b."id")
          RETURNING b."sizeBytes"
        )
        SELECT count(*) AS deleted, sum("sizeBytes")::bigint AS bytes FROM gone`;
      const last = candidates.at(-1)!;
      return { deleted: Number(row?.deleted ?? 0), bytes: Number(row?.bytes ?? 0), scanned: candidates.length, last: { createdAt: last.createdAt, id: last.id } };
    },
  };
}

export type BlobsRepository = ReturnType<typeof createBlobsRepository>;
