// namespace.get: a namespace's effective quotas, overrides and usage (any key that reads it);
// namespace.setQuota: changes overrides, for admins of every namespace only (a namespace's own
// admin raising its quota would defeat what quotas are for).
import { z } from 'zod';
import { ForbiddenError } from '../../shared/errors.js';
import { QUOTA_NAMES, type QuotaName } from '../../shared/quotas.js';
import { ALL_NAMESPACES } from '../../shared/roles.js';
import { inNamespace, procedure } from '../procedures.js';
import { NamespaceSchema } from '../schemas.js';
import { router } from '../trpc.js';

/** Each quota: a non-negative integer, or null to go back to the default. */
const QuotaChanges = z.strictObject(
  Object.fromEntries(QUOTA_NAMES.map((n) => [n, z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().optional()])) as
    Record<QuotaName, z.ZodOptional<z.ZodNullable<z.ZodNumber>>>,
);

export const namespaceRouter = router({
  get: procedure('read').input(z.object({ namespace: NamespaceSchema })).use(inNamespace)
    .query(({ ctx, input }) => ctx.quotas.view(input.namespace)),
  setQuota: procedure('keys')
    .input(z.object({ namespace: NamespaceSchema, quotas: QuotaChanges }))
    .mutation(({ ctx, input }) => {
      if (ctx.access.key.namespace !== ALL_NAMESPACES) throw new ForbiddenError('only an admin key of every namespace may set quotas');
      return ctx.quotas.set(input.namespace, input.quotas);
    }),
});
