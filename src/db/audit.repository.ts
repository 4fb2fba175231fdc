// The audit trail: appended in batches (api/audit.ts), listed newest first, swept by age.
import type { Prisma, PrismaClient } from './generated/client.js';

export const auditEventSelect = {
  id: true,
  at: true,
  keyId: true,
  keyName: true,
  namespace: true,
  action: true,
  target: true,
  outcome: true,
} satisfies Prisma.AuditEventSelect;

export type AuditEventRow = Prisma.AuditEventGetPayload<{ select: typeof auditEventSelect }>;

export interface ListAuditOptions {
  /** Only these namespaces (undefined: all). */
  namespaces?: string[];
  keyId?: string;
  action?: string;
  since?: Date;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
  limit: number;
}

/** A page's position: the last row's time and id (rows of one batch share a millisecond). */
function decodeCursor(cursor: string | undefined): { at: Date; id: string } | undefined {
  if (!cursor) return undefined;
  const [ms, id] = cursor.split('~');
  const at = new Date(Number(ms));
  return id && !Number.isNaN(at.getTime()) ? { at, id } : undefined;
}

export function createAuditRepository(prisma: PrismaClient) {
  return {
    async append(events: AuditEventRow[]): Promise<void> {
      if (events.length > 0) await prisma.auditEvent.createMany({ data: events, skipDuplicates: true });
    },

    async list(opts: ListAuditOptions): Promise<{ items: AuditEventRow[]; nextCursor: string | null }> {
      const after = decodeCursor(opts.cursor);
      const where: Prisma.AuditEventWhereInput = {
        ...(opts.namespaces ? { namespace: { in: opts.namespaces } } : {}),
        ...(opts.keyId ? { keyId: opts.keyId } : {}),
        ...(opts.action ? { action: opts.action } : {}),
        ...(opts.since ? { at: { gte: opts.since } } : {}),
        ...(after ? { OR: [{ at: { lt: after.at } }, { at: after.at, id: { lt: after.id } }] } : {}),
      };
      const rows = await prisma.auditEvent.findMany({
        where, orderBy: [{ at: 'desc' }, { id: 'desc' }], take: opts.limit + 1, select: auditEventSelect,
      });
      const items = rows.slice(0, opts.limit);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > opts.limit && last ? `${last.at.getTime()}~${last.id}` : null };
    },

    /** Deletes events older than `before`; the count deleted. */
    async deleteBefore(before: Date): Promise<number> {
      return (await prisma.auditEvent.deleteMany({ where: { at: { lt: before } } })).count;
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
