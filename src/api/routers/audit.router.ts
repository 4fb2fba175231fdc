// audit.list: the audit trail, newest first, for admins (of one namespace: its events only).
import { z } from 'zod';
import { ALL_NAMESPACES } from '../../shared/roles.js';
import { procedure } from '../procedures.js';
import { NamespaceSchema } from '../schemas.js';
import { router } from '../trpc.js';

const ListAuditInput = z.object({
  /** Absent: every namespace the key reaches. `*`: events of keys of every namespace that named none. */
  namespace: z.union([z.literal(ALL_NAMESPACES), NamespaceSchema.unwrap()]).optional(),
  keyId: z.string().regex(/^key_[0-9a-f]{1,40}$/, 'a key id (key_…)').optional(),
  action: z.string().min(1).max(100).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().max(100).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

export const auditRouter = router({
  list: procedure('audit').input(ListAuditInput).query(async ({ ctx, input }) => {
    const own = ctx.access.key.namespace;
    if (input.namespace) ctx.access.namespace(input.namespace);
    const namespaces = input.namespace ? [input.namespace] : own === ALL_NAMESPACES ? undefined : [own];
    const page = await ctx.db.audit.list({
      namespaces, keyId: input.keyId, action: input.action, since: input.since ? new Date(input.since) : undefined,
      cursor: input.cursor, limit: input.limit,
    });
    return { items: page.items.map((e) => ({ ...e, at: e.at.toISOString() })), nextCursor: page.nextCursor };
  }),
});
