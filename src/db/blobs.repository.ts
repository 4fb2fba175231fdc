// Payloads and results over the inline threshold, stored by reference. A caller that
// may retry (an activity) passes its own deterministic id so the write is idempotent.
import { randomUUID } from 'node:crypto';
import type { Prisma, PrismaClient } from './generated/client.js';
import { toBytes } from './artifacts.repository.js';

export const blobBytesSelect = { bytes: true } satisfies Prisma.BlobSelect;

export function createBlobsRepository(prisma: PrismaClient) {
  async function get(id: string): Promise<Buffer | null> {
    const row = await prisma.blob.findUnique({ where: { id }, select: blobBytesSelect });
    return row ? Buffer.from(row.bytes) : null;
  }

  return {
    /**
     * Stores the bytes and returns the blob id. With `id`, writing again is a no-op
     * (the first write wins: a blob is immutable once written).
     */
    async put(bytes: Uint8Array, options: { id?: string } = {}): Promise<string> {
      const id = options.id ?? `blob_${randomUUID()}`;
      await prisma.blob.createMany({
        data: [{ id, bytes: toBytes(bytes), sizeBytes: bytes.byteLength }],
        skipDuplicates: true,
      });
      return id;
    },

    get,

    /** The JSON value stored in a blob (payloads, results and outputs are stored as JSON text); null when missing. */
    async getJson(id: string): Promise<unknown> {
      const bytes = await get(id);
      return bytes ? JSON.parse(bytes.toString('utf8')) : null;
    },
  };
}

export type BlobsRepository = ReturnType<typeof createBlobsRepository>;
