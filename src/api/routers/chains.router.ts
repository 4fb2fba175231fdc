// chains.*: deploy (create → v1, update → next version), read, list, delete; invoke (waits),
// start (returns the id), resume a failed chain invocation, read one with per-step status.
import { z } from 'zod';
import { FunctionNameSchema, InvocationIdInput, InvokeInput, ListInput, NamespaceSchema } from '../schemas.js';
import { publicProcedure, router } from '../trpc.js';
import { NotFoundError } from '../../shared/errors.js';

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
  create: publicProcedure.input(DeployChainInput).mutation(({ ctx, input }) => ctx.chains.create(input)),
  update: publicProcedure.input(DeployChainInput).mutation(({ ctx, input }) => ctx.chains.update(input)),
  get: publicProcedure
    .input(ChainRefInput.extend({ version: VersionSelector }))
    .query(({ ctx, input }) => ctx.chains.get(input)),
  list: publicProcedure.input(ListInput).query(({ ctx, input }) => ctx.db.chains.list(input)),
  versions: publicProcedure.input(ChainRefInput).query(async ({ ctx, input }) =>
    (await ctx.db.chains.listVersions(input.namespace, input.name)).map((v) => ({ version: v.version, functions: Object.keys(v.specs), createdAt: v.createdAt.toISOString() }))),
  delete: publicProcedure.input(ChainRefInput).mutation(async ({ ctx, input }) => {
    if (!(await ctx.db.chains.delete(input.namespace, input.name))) throw new NotFoundError('chain', `${input.namespace}/${input.name}`);
    return { deleted: true as const, name: input.name };
  }),
  start: publicProcedure.input(StartChainInput).mutation(({ ctx, input }) => ctx.chains.start(input)),
  invoke: publicProcedure
    .input(StartChainInput.extend({ waitMs: InvokeInput.shape.waitMs }))
    .mutation(({ ctx, input }) => ctx.chains.invoke(input)),
  resume: publicProcedure.input(ResumeChainInput).mutation(({ ctx, input }) => ctx.chains.resume(input)),
  invocation: publicProcedure
    .input(InvocationIdInput.extend({ waitMs: z.number().int().min(0).max(900_000).default(0) }))
    .query(({ ctx, input }) => ctx.chains.wait(input.id, input.waitMs)),
  invocations: publicProcedure
    .input(z.object({ namespace: NamespaceSchema, name: ChainNameSchema.optional(), limit: z.number().int().min(1).max(200).default(50) }))
    .query(({ ctx, input }) => ctx.db.chains.invocations.list({ namespace: input.namespace, chainName: input.name, limit: input.limit })),
});
