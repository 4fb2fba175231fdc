// chains.*: deploy (create → v1, update → next version), read, list, delete; invoke (waits),
// start (returns the id), resume a failed chain invocation, read one with per-step status.
import { z } from 'zod';
import { FunctionNameSchema, InvocationIdInput, InvokeInput, ListInput, NamespaceSchema } from '../schemas.js';
import { inNamespace, procedure } from '../procedures.js';
import { router } from '../trpc.js';
import { NotFoundError } from '../../shared/errors.js';
import { refuseIfScheduled } from '../services/schedule-guard.js';

const ChainNameSchema = FunctionNameSchema;
const VersionSelector = z.union([z.number().int().min(1), z.literal('latest')]).default('latest');

/** The definition is validated by the service, so errors name the step (see shared/chain.ts). */
const DeployChainInput = z.object({ namespace: NamespaceSchema, definition: z.unknown() });
const ChainRefInput = z.object({ namespace: NamespaceSchema, name: ChainNameSchema });
const StartChainInput = z.object({ namespace: NamespaceSchema, name: ChainNameSchema, version: VersionSelector, input: z.unknown().default(null) });
const ResumeChainInput = InvocationIdInput.extend({
  /** Run these functions at this version (or 'latest') from the failed step on. */
  functions: z.record(FunctionNameSchema, z.union([z.number().int().min(1), z.literal('latest')])).optional(),
  /** Every function at its latest version from the failed step on. */
  latest: z.boolean().default(false),
});

export const chainsRouter = router({
  create: procedure('deploy').input(DeployChainInput).use(inNamespace).mutation(({ ctx, input }) => ctx.chains.create(input)),
  update: procedure('deploy').input(DeployChainInput).use(inNamespace).mutation(({ ctx, input }) => ctx.chains.update(input)),
  get: procedure('read')
    .input(ChainRefInput.extend({ version: VersionSelector })).use(inNamespace)
    .query(({ ctx, input }) => ctx.chains.get(input)),
  list: procedure('read').input(ListInput).use(inNamespace).query(({ ctx, input }) => ctx.db.chains.list(input)),
  versions: procedure('read').input(ChainRefInput).use(inNamespace).query(async ({ ctx, input }) =>
    (await ctx.db.chains.listVersions(input.namespace, input.name)).map((v) => ({ version: v.version, functions: Object.keys(v.specs), createdAt: v.createdAt.toISOString() }))),
  delete: procedure('deploy').input(ChainRefInput).use(inNamespace).mutation(async ({ ctx, input }) => {
    await refuseIfScheduled(ctx.schedules, { namespace: input.namespace, kind: 'chain', name: input.name });
    if (!(await ctx.db.chains.delete(input.namespace, input.name))) throw new NotFoundError('chain', `${input.namespace}/${input.name}`);
    return { deleted: true as const, name: input.name };
  }),
  start: procedure('invoke').input(StartChainInput).use(inNamespace).mutation(({ ctx, input }) => ctx.chains.start(input)),
  invoke: procedure('invoke')
    .input(StartChainInput.extend({ waitMs: InvokeInput.shape.waitMs })).use(inNamespace)
    .mutation(({ ctx, input }) => ctx.chains.invoke(input)),
  resume: procedure('invoke').input(ResumeChainInput).mutation(async ({ ctx, input }) => {
    await ctx.access.owns('chain invocation', input.id);
    return ctx.chains.resume(input);
  }),
  invocation: procedure('readInvocations')
    .input(InvocationIdInput.extend({ waitMs: z.number().int().min(0).max(900_000).default(0) }))
    .query(async ({ ctx, input }) => {
      await ctx.access.owns('chain invocation', input.id);
      return ctx.chains.wait(input.id, input.waitMs);
    }),
  invocations: procedure('readInvocations')
    .input(z.object({ namespace: NamespaceSchema, name: ChainNameSchema.optional(), limit: z.number().int().min(1).max(200).default(50) })).use(inNamespace)
    .query(({ ctx, input }) => ctx.db.chains.invocations.list({ namespace: input.namespace, chainName: input.name, limit: input.limit })),
});
