// invocations.*: invoke (waits), start (returns the id), get, list, cancel.
import { InvocationIdInput, InvocationLogsInput, InvokeInput, ListInvocationsInput, StartInvocationInput } from '../schemas.js';
import { readInvocationLogs } from '../services/invocation-logs.js';
import { inNamespace, procedure } from '../procedures.js';
import { router } from '../trpc.js';
import { callerOf, type InvocationCaller } from '../../shared/caller.js';
import type { Principal } from '../auth/authenticator.js';

/** The key a call is recorded under (procedure() admits keys only). */
const keyCaller = (p: Principal): InvocationCaller | undefined => (p.kind === 'key' ? { kind: 'key', keyId: p.id, keyName: p.name } : undefined);

export const invocationsRouter = router({
  invoke: procedure('invoke').input(InvokeInput).use(inNamespace)
    .mutation(({ ctx, input }) => ctx.invocations.invoke({ ...input, caller: keyCaller(ctx.principal) }, input.waitMs)),
  start: procedure('invoke').input(StartInvocationInput).use(inNamespace).mutation(async ({ ctx, input }) => {
    const { invocationId, deduplicated } = await ctx.invocations.start({ ...input, caller: keyCaller(ctx.principal) });
    return { id: invocationId, deduplicated };
  }),
  get: procedure('readInvocations').input(InvocationIdInput).query(async ({ ctx, input }) => {
    await ctx.access.owns('invocation', input.id);
    return ctx.invocations.get(input.id);
  }),
  wait: procedure('readInvocations')
    .input(InvocationIdInput.extend({ waitMs: InvokeInput.shape.waitMs }))
    .query(async ({ ctx, input }) => {
      await ctx.access.owns('invocation', input.id);
      return ctx.invocations.wait(input.id, input.waitMs);
    }),
  /** Its stdout and stderr while it runs (forwarded by its worker), then from its record. */
  logs: procedure('readInvocations').input(InvocationLogsInput).query(async ({ ctx, input }) => {
    await ctx.access.owns('invocation', input.id);
    return readInvocationLogs(ctx, input);
  }),
  list: procedure('readInvocations').input(ListInvocationsInput).use(inNamespace).query(async ({ ctx, input }) => {
    const page = await ctx.db.invocations.list(input);
    // `function` and `caller`, as invocations.get and every other answer name them (the row's columns differ).
    return {
      ...page,
      items: page.items.map(({ functionName, callerKeyId, callerKeyName, callerAddress, ...row }) => ({
        ...row, function: functionName, caller: callerOf({ callerKeyId, callerKeyName, callerAddress }),
      })),
    };
  }),
  cancel: procedure('invoke').input(InvocationIdInput).mutation(async ({ ctx, input }) => {
    await ctx.access.owns('invocation', input.id);
    return ctx.invocations.cancel(input.id);
  }),
});
