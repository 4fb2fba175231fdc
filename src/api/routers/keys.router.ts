// keys.*: api keys (admin only): create (the key is in this answer and nowhere else), list, revoke.
// auth.whoami lives beside them: any key may ask what it is (`caisson login` checks with it).
import { z } from 'zod';
import { ALL_NAMESPACES, ROLES } from '../../shared/roles.js';
import { procedure } from '../procedures.js';
import { NamespaceSchema } from '../schemas.js';
import { router } from '../trpc.js';

const KeyNamespaceSchema = z.union([z.literal(ALL_NAMESPACES), NamespaceSchema.unwrap()]);

const CreateKeyInput = z.object({
  name: z.string().min(1).max(100).regex(/^[\x20-\x7e]+$/, 'printable ASCII'),
  namespace: KeyNamespaceSchema,
  role: z.enum(ROLES),
  /** When the key stops working; absent: never. */
  expiresAt: z.iso.datetime({ offset: true }).refine((t) => Date.parse(t) > Date.now(), 'must be in the future').optional(),
});

export const keysRouter = router({
  create: procedure('keys').input(CreateKeyInput).mutation(({ ctx, input }) => {
    ctx.access.namespace(input.namespace);
    return ctx.keys.create({ ...input, expiresAt: input.expiresAt ? new Date(input.expiresAt) : null });
  }),
  list: procedure('keys').query(({ ctx }) => ctx.keys.list(ctx.access.key.namespace)),
  revoke: procedure('keys')
    .input(z.object({ id: z.string().regex(/^key_[0-9a-f]{1,40}$/, 'a key id (key_…)') }))
    .mutation(({ ctx, input }) => ctx.keys.revoke(input.id, ctx.access.sees)),
});

export const authRouter = router({
  /** The calling key's own name, namespace, role and expiry (never the key). */
  whoami: procedure(undefined).query(({ ctx }) => {
    const { id, name, namespace, role, expiresAt } = ctx.access.key;
    return { id, name, namespace, role, expiresAt: expiresAt?.toISOString() ?? null };
  }),
});
