// functions.*: deploy (create → v1, update → next version; deploy + deployment + buildLog to
// follow the build steps and output), read, list, delete. Plain env values are answered to keys that may deploy
// (admin, developer); any other role reads the names with null values (envRedacted: true).
import { BuildLogInput, CreateFunctionInput, DeployFunctionRequest, DeploymentInput, FunctionRefInput, ListInput, UpdateFunctionInput } from '../schemas.js';
import { inNamespace, procedure } from '../procedures.js';
import { router } from '../trpc.js';
import { NotFoundError } from '../../shared/errors.js';
import { roleAllows } from '../../shared/roles.js';
import type { FunctionVersionRecord } from '../../db/index.js';
import type { SecretRef } from '../../shared/secrets.js';
import { versionState } from '../services/version-state.js';
import { refuseIfScheduled } from '../services/schedule-guard.js';

/** A version as answered: env values null unless the caller may deploy. */
export type FunctionVersionView = Omit<FunctionVersionRecord, 'env'> & { env: Record<string, string | null>; envRedacted: boolean };

function versionView(record: FunctionVersionRecord, seesEnv: boolean): FunctionVersionView {
  if (seesEnv) return { ...record, envRedacted: false };
  return { ...record, env: Object.fromEntries(Object.keys(record.env).map((k) => [k, null])), envRedacted: true };
}

export const functionsRouter = router({
  create: procedure('deploy').input(CreateFunctionInput).use(inNamespace).mutation(({ ctx, input }) => ctx.functions.create(input)),
  update: procedure('deploy').input(UpdateFunctionInput).use(inNamespace).mutation(({ ctx, input }) => ctx.functions.update(input)),
  deploy: procedure('deploy').input(DeployFunctionRequest).use(inNamespace).mutation(({ ctx, input }) => ctx.functions.deploy(input)),
  deployment: procedure('deploy').input(DeploymentInput).query(async ({ ctx, input }) => {
    await ctx.access.owns('deployment', input.id);
    return ctx.functions.deployment(input.id, input.waitMs);
  }),
  /** The running build's output lines (the worker forwards them), for `fn deploy` to print as they come. */
  buildLog: procedure('deploy').input(BuildLogInput).query(async ({ ctx, input }) => {
    await ctx.access.owns('deployment', input.id);
    return ctx.buildLogs.read(input.id, input.after, input.waitMs);
  }),
  /** The function, and the secrets its latest version uses (names only). */
  get: procedure('read').input(FunctionRefInput).use(inNamespace).query(async ({ ctx, input }) => {
    const summary = await ctx.db.functions.get(input.namespace, input.name);
    if (!summary) return null;
    const [latest, state] = await Promise.all([
      ctx.db.functions.getVersionSpec(input.namespace, input.name, summary.latestVersion).catch(() => undefined),
      versionState(ctx.db, { namespace: input.namespace, name: input.name, version: summary.latestVersion }),
    ]);
    return { ...summary, secrets: latest?.secrets ?? ([] as SecretRef[]), state };
  }),
  list: procedure('read').input(ListInput).use(inNamespace).query(({ ctx, input }) => ctx.db.functions.list(input)),
  versions: procedure('read')
    .input(FunctionRefInput).use(inNamespace)
    .query(async ({ ctx, input }) => {
      const seesEnv = roleAllows(ctx.access.key.role, 'deploy');
      return (await ctx.db.functions.listVersions(input.namespace, input.name)).map((v) => versionView(v, seesEnv));
    }),
  delete: procedure('deploy')
    .input(FunctionRefInput).use(inNamespace)
    .mutation(async ({ ctx, input }) => {
      await refuseIfScheduled(ctx.schedules, { namespace: input.namespace, kind: 'function', name: input.name });
      if (!(await ctx.db.functions.delete(input.namespace, input.name))) throw new NotFoundError('function', `${input.namespace}/${input.name}`);
      return { deleted: true as const, name: input.name };
    }),
});
