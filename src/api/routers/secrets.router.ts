// secrets.*: a namespace's secrets. create and delete need the 'secrets' permission (admin,
// developer); list needs 'read' and answers names, sizes and dates. No procedure answers a value.
import { z } from 'zod';
import { SecretNameSchema } from '../../shared/secrets.js';
import { inNamespace, procedure } from '../procedures.js';
import { NamespaceSchema } from '../schemas.js';
import { router } from '../trpc.js';

const SecretRefInput = z.object({ namespace: NamespaceSchema, name: SecretNameSchema });

/** The value as text (UTF-8) or as base64 (any bytes): exactly one of them. */
const CreateSecretInput = SecretRefInput.extend({
  value: z.string().optional(),
  valueBase64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64').optional(),
}).refine((i) => (i.value === undefined) !== (i.valueBase64 === undefined), { message: 'give exactly one of value and valueBase64', path: ['value'] });

export const secretsRouter = router({
  create: procedure('secrets').input(CreateSecretInput).use(inNamespace).mutation(({ ctx, input }) =>
    ctx.secrets.create({
      namespace: input.namespace, name: input.name,
      value: input.value !== undefined ? Buffer.from(input.value, 'utf8') : Buffer.from(input.valueBase64!, 'base64'),
    })),
  list: procedure('read').input(z.object({ namespace: NamespaceSchema })).use(inNamespace).query(({ ctx, input }) => ctx.secrets.list(input.namespace)),
  delete: procedure('secrets').input(SecretRefInput).use(inNamespace).mutation(({ ctx, input }) => ctx.secrets.remove(input.namespace, input.name)),
});
