// Content-addressed function code: the key is the sha256 of the bytes, so writing the
// same code twice (or from a retried activity) is a no-op. Also which artifacts live
// versions use (what workers may keep in their code caches).
import type { Prisma, PrismaClient } from './generated/client.js';
import { sha256Hex } from './prisma-helpers.js';
import type { LiveVersion } from '../shared/types.js';

export const artifactBytesSelect = { bytes: true } satisfies Prisma.ArtifactSelect;

export const liveVersionSelect = {
  version: true,
  artifactSha256: true,
  function: { select: { namespace: true, name: true } },
} satisfies Prisma.FunctionVersionSelect;

/** Prisma's Bytes type wants a Uint8Array backed by a plain ArrayBuffer. */
export function toBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

/**
 * Inserts the artifact unless present. `INSERT … ON CONFLICT DO NOTHING` (createMany with
 * skipDuplicates) rather than upsert: a concurrent writer of the same code must not fail,
 * nor abort the surrounding transaction.
 */
export async function artifactWrite(
  client: PrismaClient | Prisma.TransactionClient,
  bytes: Uint8Array,
): Promise<{ sha256: string; sizeBytes: number }> {
  const sha256 = sha256Hex(bytes);
  await client.artifact.createMany({
    data: [{ sha256, bytes: toBytes(bytes), sizeBytes: bytes.byteLength }],
    skipDuplicates: true,
  });
  return { sha256, sizeBytes: bytes.byteLength };
}

export function createArtifactsRepository(prisma: PrismaClient) {
  return {
    /** Stores the bytes; returns their sha256 (lowercase hex). */
    async put(bytes: Uint8Array): Promise<string> {
      return (await artifactWrite(prisma, bytes)).sha256;
    },

    /** Every version of every function not deleted: what workers may keep cached. */
    async liveVersions(): Promise<LiveVersion[]> {
      const rows = await prisma.functionVersion.findMany({ where: { function: { deletedAt: null } }, select: liveVersionSelect });
      return rows.map((r) => ({ namespace: r.function.namespace, name: r.function.name, version: r.version, sha256: r.artifactSha256 }));
    },

    async get(sha256: string): Promise<Buffer | null> {
      const row = await prisma.artifact.findUnique({ where: { sha256 }, select: artifactBytesSelect });
      return row ? Buffer.from(row.bytes) : null;
    },
  };
}

export type ArtifactsRepository = ReturnType<typeof createArtifactsRepository>;
