// functions.*: deploy (create → v1, update → next version; deploy + deployment to follow the
// build steps), read, list, delete.
import { CreateFunctionInput, DeployFunctionRequest, DeploymentInput, FunctionRefInput, ListInput, UpdateFunctionInput } from '../schemas.js';
import { inNamespace, procedure } from '../procedures.js';
import { router } from '../trpc.js';
import { NotFoundError } from '../../shared/errors.js';

export const functionsRouter = router({
  create: procedure('deploy').input(CreateFunctionInput).use(inNamespace).mutation(({ ctx, input }) => ctx.functions.create(input)),
  update: procedure('deploy').input(UpdateFunctionInput).use(inNamespace).mutation(({ ctx, input }) => ctx.functions.update(input)),
  deploy: procedure('deploy').input(DeployFunctionRequest).use(inNamespace).mutation(({ ctx, input }) => ctx.functions.deploy(input)),
  deployment: procedure('deploy').input(DeploymentInput).query(async ({ ctx, input }) => {
    await ctx.access.owns('deployment', input.id);
    return ctx.functions.deployment(input.id, input.waitMs);
  }),
  get: procedure('read').input(FunctionRefInput).use(inNamespace).query(({ ctx, input }) => ctx.db.functions.get(input.namespace, input.name)),
  list: procedure('read').input(ListInput).use(inNamespace).query(({ ctx, input }) => ctx.db.functions.list(input)),
  versions: procedure('read')
    .input(FunctionRefInput).use(inNamespace)
    .query(({ ctx, input }) => ctx.db.functions.listVersions(input.namespace, input.name)),
  delete: procedure('deploy')
    .input(FunctionRefInput).use(inNamespace)
    .mutation(async ({ ctx, input }) => {
      if (!(await ctx.db.functions.delete(input.namespace, input.name))) throw new NotFoundError('function', `${input.namespace}/${input.name}`);
      return { deleted: true as const, name: input.name };
    }),
});
