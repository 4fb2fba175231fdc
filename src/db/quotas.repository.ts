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
  blobBytes: true,
} satisfies Prisma.QuotaSelect;

/** Quotas stored as BIGINT (bytes). */
const BIGINT_QUOTAS: ReadonlySet<QuotaName> = new Set(['codeBytes', 'blobBytes']);

type QuotaRow = Prisma.QuotaGetPayload<{ select: typeof quotaSelect }>;

export interface StoredUsage {
  functions: number;
  versions: number;
  codeBytes: number;
}

function toOverrides(row: QuotaRow): QuotaOverrides {
  const { codeBytes, blobBytes, ...rest } = row;
  return { ...rest, codeBytes: codeBytes === null ? null : Number(codeBytes), blobBytes: blobBytes === null ? null : Number(blobBytes) };
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
        (data as Record<string, unknown>)[name] = BIGINT_QUOTAS.has(name) && value !== null ? BigInt(value) : value;
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
     * The namespace's admitted invocations still PENDING or RUNNING: invocation rows that are not
     * chain steps (their ids hold a '.') and chain invocations, so a chain counts once. Reads the
     * (namespace, status) indexes: as many rows as are in flight.
     */
    async inFlight(namespace: string): Promise<number> {
      const [row] = await prisma.$queryRaw<{ n: bigint }[]>`
        SELECT (SELECT count(*) FROM "Invocation"
                WHERE "namespace" = ${namespace} AND "status" IN ('PENDING', 'RUNNING') AND strpos("id", '.') = 0)
             + (SELECT count(*) FROM "ChainInvocation"
                WHERE "namespace" = ${namespace} AND "status" IN ('PENDING', 'RUNNING')) AS n`;
      return Number(row?.n ?? 0);
    },

    /** One function's invocations still PENDING or RUNNING (not chain steps): its HTTP trigger's maxConcurrency counts them. */
    async inFlightOfFunction(namespace: string, functionName: string): Promise<number> {
      const [row] = await prisma.$queryRaw<{ n: bigint }[]>`
        SELECT count(*) AS n FROM "Invocation"
        WHERE "namespace" = ${namespace} AND "status" IN ('PENDING', 'RUNNING') AND "functionName" = ${functionName} AND strpos("id", '.') = 0`;
      return Number(row?.n ?? 0);
    },

    /** The namespace's admitted invocations accepted since `since`, and the oldest of them. Reads as many rows as that. */
    async acceptedSince(namespace: string, since: Date): Promise<{ count: number; oldestAt: Date | null }> {
      const [row] = await prisma.$queryRaw<{ n: bigint; oldest: Date | null }[]>`
        SELECT count(*) AS n, min(a."createdAt") AS oldest FROM (
          SELECT "createdAt" FROM "Invocation" WHERE "namespace" = ${namespace} AND "createdAt" >= ${since} AND strpos("id", '.') = 0
          UNION ALL
          SELECT "createdAt" FROM "ChainInvocation" WHERE "namespace" = ${namespace} AND "createdAt" >= ${since}
        ) a`;
      return { count: Number(row?.n ?? 0), oldestAt: row?.oldest ?? null };
    },

    /** Ids of the namespace's invocations (not chain steps) still PENDING or RUNNING that were accepted before `before`. */
    async staleInFlightIds(namespace: string, before: Date, limit = 1000): Promise<string[]> {
      const rows = await prisma.invocation.findMany({
        where: { namespace, status: { in: ['PENDING', 'RUNNING'] }, createdAt: { lt: before }, NOT: { id: { contains: '.' } } },
        orderBy: { createdAt: 'asc' }, take: limit, select: { id: true },
      });
      return rows.map((r) => r.id);
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
