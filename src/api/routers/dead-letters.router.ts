// deadLetters.*: inspect, replay and delete invocations whose attempts ran out.
import { z } from 'zod';
import { FunctionNameSchema, NamespaceSchema } from '../schemas.js';
import { publicProcedure, router } from '../trpc.js';
import { DEAD_LETTER_ID_PATTERN } from '../../shared/ids.js';

const DeadLetterIdInput = z.object({ id: z.string().regex(DEAD_LETTER_ID_PATTERN, 'a dead-letter id (dlq_inv_…)') });

export const deadLettersRouter = router({
  list: publicProcedure
    .input(z.object({
      namespace: NamespaceSchema,
      function: FunctionNameSchema.optional(),
      includeReplayed: z.boolean().default(true),
      cursor: z.string().optional(),
      limit: z.number().int().min(1).max(200).default(50),
    }))
    .query(({ ctx, input }) => ctx.deadLetters.list({ ...input, functionName: input.function })),
  get: publicProcedure.input(DeadLetterIdInput).query(({ ctx, input }) => ctx.deadLetters.get(input.id)),
  replay: publicProcedure
    .input(DeadLetterIdInput.extend({ latest: z.boolean().default(false) }))
    .mutation(({ ctx, input }) => ctx.deadLetters.replay(input)),
  delete: publicProcedure.input(DeadLetterIdInput).mutation(({ ctx, input }) => ctx.deadLetters.remove(input.id)),
});
