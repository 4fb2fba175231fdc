// deadLetters.*: inspect, replay and delete invocations whose attempts ran out.
import { z } from 'zod';
import { FunctionNameSchema, NamespaceSchema } from '../schemas.js';
import { inNamespace, procedure } from '../procedures.js';
import { router } from '../trpc.js';
import { DEAD_LETTER_ID_PATTERN } from '../../shared/ids.js';

const DeadLetterIdInput = z.object({ id: z.string().regex(DEAD_LETTER_ID_PATTERN, 'a dead-letter id (dlq_inv_…)') });

export const deadLettersRouter = router({
  list: procedure('read')
    .input(z.object({
      namespace: NamespaceSchema,
      function: FunctionNameSchema.optional(),
      includeReplayed: z.boolean().default(true),
      cursor: z.string().optional(),
      limit: z.number().int().min(1).max(200).default(50),
    }))
    .use(inNamespace)
    .query(({ ctx, input }) => ctx.deadLetters.list({ ...input, functionName: input.function })),
  get: procedure('read').input(DeadLetterIdInput).query(async ({ ctx, input }) => {
    await ctx.access.owns('dead letter', input.id);
    return ctx.deadLetters.get(input.id);
  }),
  replay: procedure('invoke')
    .input(DeadLetterIdInput.extend({ latest: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.access.owns('dead letter', input.id);
      return ctx.deadLetters.replay(input);
    }),
  delete: procedure('deploy').input(DeadLetterIdInput).mutation(async ({ ctx, input }) => {
    await ctx.access.owns('dead letter', input.id);
    return ctx.deadLetters.remove(input.id);
  }),
});
