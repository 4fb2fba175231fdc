// functions.*: deploy (create → v1, update → next version; deploy + deployment to follow the
// build steps), read, list, delete.
import { CreateFunctionInput, DeployFunctionRequest, DeploymentInput, FunctionRefInput, ListInput, UpdateFunctionInput } from '../schemas.js';
import { publicProcedure, router } from '../trpc.js';
import { NotFoundError } from '../../shared/errors.js';

export const functionsRouter = router({
  create: publicProcedure.input(CreateFunctionInput).mutation(({ ctx, input }) => ctx.functions.create(input)),
  update: publicProcedure.input(UpdateFunctionInput).mutation(({ ctx, input }) => ctx.functions.update(input)),
  deploy: publicProcedure.input(DeployFunctionRequest).mutation(({ ctx, input }) => ctx.functions.deploy(input)),
  deployment: publicProcedure.input(DeploymentInput).query(({ ctx, input }) => ctx.functions.deployment(input.id, input.waitMs)),
  get: publicProcedure.input(FunctionRefInput).query(({ ctx, input }) => ctx.db.functions.get(input.namespace, input.name)),
  list: publicProcedure.input(ListInput).query(({ ctx, input }) => ctx.db.functions.list(input)),
  versions: publicProcedure
    .input(FunctionRefInput)
    .query(({ ctx, input }) => ctx.db.functions.listVersions(input.namespace, input.name)),
  delete: publicProcedure
    .input(FunctionRefInput)
    .mutation(async ({ ctx, input }) => {
      if (!(await ctx.db.functions.delete(input.namespace, input.name))) throw new NotFoundError('function', `${input.namespace}/${input.name}`);
      return { deleted: true as const, name: input.name };
    }),
});
