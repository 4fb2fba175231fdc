// invocations.*: invoke (waits), start (returns the id), get, list, cancel.
import { InvocationIdInput, InvokeInput, ListInvocationsInput, StartInvocationInput } from '../schemas.js';
import { publicProcedure, router } from '../trpc.js';

export const invocationsRouter = router({
  invoke: publicProcedure.input(InvokeInput).mutation(({ ctx, input }) => ctx.invocations.invoke(input, input.waitMs)),
  start: publicProcedure.input(StartInvocationInput).mutation(async ({ ctx, input }) => {
    const { invocationId, deduplicated } = await ctx.invocations.start(input);
    return { id: invocationId, deduplicated };
  }),
  get: publicProcedure.input(InvocationIdInput).query(({ ctx, input }) => ctx.invocations.get(input.id)),
  wait: publicProcedure
    .input(InvocationIdInput.extend({ waitMs: InvokeInput.shape.waitMs }))
    .query(({ ctx, input }) => ctx.invocations.wait(input.id, input.waitMs)),
  list: publicProcedure.input(ListInvocationsInput).query(({ ctx, input }) => ctx.db.invocations.list(input)),
  cancel: publicProcedure.input(InvocationIdInput).mutation(({ ctx, input }) => ctx.invocations.cancel(input.id)),
});
