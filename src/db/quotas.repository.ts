// Quota overrides per namespace, and the usage admission and deploys compare with them,
// counted from the records themselves (so every api process sees the same figures and a
// crashed one leaves nothing to reconcile).
import type { QuotaName, QuotaOverrides } from '../shared/quotas.js';
import type { Prisma, PrismaClient } from './generated/client.js';

export const quotaSelect = {
  concurrentInvocations: true,
  invocationsPerMinute: true,
  functions: true,
  versions: true,
  codeBytes: true,
  warmContainers: true,
} satisfies Prisma.QuotaSelect;

type QuotaRow = Prisma.QuotaGetPayload<{ select: typeof quotaSelect }>;

/** A namespace's invocations in flight and accepted since a time, with the oldest of those. */
export interface InvocationLoad {
  inFlight: number;
  recent: number;
  oldestRecentAt: Date | null;
}

export interface StoredUsage {
  functions: number;
  versions: number;
  codeBytes: number;
}

function toOverrides(row: QuotaRow): QuotaOverrides {
  const { codeBytes, ...rest } = row;
  return { ...rest, codeBytes: codeBytes === null ? null : Number(codeBytes) };
}

export function createQuotasRepository(prisma: PrismaClient) {
  return {
    async get(namespace: string): Promise<QuotaOverrides | null> {
      const row = await prisma.quota.findUnique({ where: { namespace }, select: quotaSelect });
      return row ? toOverrides(row) : null;
    },

    /** Sets the given overrides (null clears one: the default applies again); others are kept. */
    async set(namespace: string, overrides: QuotaOverrides): Promise<QuotaOverrides> {
      const data: Prisma.QuotaUpdateInput = {};
      for (const [name, value] of Object.entries(overrides) as [QuotaName, number | null | undefined][]) {
        if (value === undefined) continue;
        (data as Record<string, unknown>)[name] = name === 'codeBytes' && value !== null ? BigInt(value) : value;
      }
      const row = await prisma.quota.upsert({
        where: { namespace },
        create: { ...(data as Prisma.QuotaCreateInput), namespace },
        update: data,
        select: quotaSelect,
      });
      return toOverrides(row);
    },

    /**
     * One statement: the namespace's admitted invocations still PENDING or RUNNING, and those
     * accepted since `since` (with the oldest of them). Admitted invocations are invocation rows
     * that are not chain steps (their ids hold a '.') and chain invocations: a chain counts once.
     */
    async invocationLoad(namespace: string, since: Date): Promise<InvocationLoad> {
      const [row] = await prisma.$queryRaw<{ in_flight: bigint; recent: bigint; oldest: Date | null }[]>`
        SELECT count(*) FILTER (WHERE a."status" IN ('PENDING', 'RUNNING')) AS in_flight,
               count(*) FILTER (WHERE a."createdAt" >= ${since}) AS recent,
               min(a."createdAt") FILTER (WHERE a."createdAt" >= ${since}) AS oldest
        FROM (
          SELECT "status", "createdAt" FROM "Invocation"
          WHERE "namespace" = ${namespace} AND strpos("id", '.') = 0 AND ("status" IN ('PENDING', 'RUNNING') OR "createdAt" >= ${since})
          UNION ALL
          SELECT "status", "createdAt" FROM "ChainInvocation"
          WHERE "namespace" = ${namespace} AND ("status" IN ('PENDING', 'RUNNING') OR "createdAt" >= ${since})
        ) a`;
      return { inFlight: Number(row?.in_flight ?? 0), recent: Number(row?.recent ?? 0), oldestRecentAt: row?.oldest ?? null };
    },

    /** Functions not deleted, their versions, and the code bytes those versions hold. */
    async storedUsage(namespace: string): Promise<StoredUsage> {
      const [row] = await prisma.$queryRaw<{ functions: bigint; versions: bigint; code_bytes: bigint | null }[]>`
        SELECT count(DISTINCT f."id") AS functions, count(v."id") AS versions, sum(v."artifactBytes")::bigint AS code_bytes
        FROM "Function" f LEFT JOIN "FunctionVersion" v ON v."functionId" = f."id"
        WHERE f."namespace" = ${namespace} AND f."deletedAt" IS NULL`;
      return { functions: Number(row?.functions ?? 0), versions: Number(row?.versions ?? 0), codeBytes: Number(row?.code_bytes ?? 0) };
    },
  };
}

export type QuotasRepository = ReturnType<typeof createQuotasRepository>;
