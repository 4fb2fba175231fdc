// zod input schemas of the public api: one place, so the CLI, docs and tests agree.
import { z } from 'zod';
import { ConventionSchema, FailureKindSchema, LimitsSchema, RetryPolicySchema, RuntimeSchema, INVOCATION_STATUSES, WarmSettingsSchema } from '../shared/types.js';
import { envProblems } from '../shared/function-env.js';
import { INVOCATION_ID_PATTERN } from '../shared/ids.js';
import { SecretRefsSchema } from '../shared/secrets.js';
import { InvocationRetrySchema } from '../shared/retry-rule.js';
import { HttpTriggerInputSchema } from '../shared/http-trigger.js';
import { BUILD_LOG_LIMITS } from '../shared/build-log.js';

export const NamespaceSchema = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'lowercase letters, digits and -, starting with a letter')
  .describe('the namespace the object lives in (a key of one namespace reaches only it)').default('default');
export const FunctionNameSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, _ and -, starting with a letter (max 63)')
  .describe('a function\'s name, unique in its namespace');
/** Checked as a whole (shared/function-env.ts), so an error names the variable: `env.FOO: why`. */
const EnvSchema = z.record(z.string(), z.string()).superRefine((env, ctx) => {
  for (const p of envProblems(env)) ctx.addIssue({ code: 'custom', path: p.name === undefined ? [] : [p.name], message: p.message });
}).default({});
const Base64Schema = z.string().min(1, 'code is empty').regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

/** Every field optional and WITHOUT its default: zod's .partial() keeps defaults, which would
 * make an update that names no limits reset the previous version's limits to the defaults. */
function overrides<T extends z.ZodRawShape>(schema: z.ZodObject<T>) {
  const shape = Object.fromEntries(Object.entries(schema.shape).map(([key, field]) => {
    const bare = field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : (field as z.ZodType);
    return [key, bare.optional()];
  }));
  return z.strictObject(shape) as unknown as z.ZodObject<{ [K in keyof T]: z.ZodOptional<z.ZodType<z.output<T[K]>, z.output<T[K]>>> }>;
}

const FunctionBody = {
  namespace: NamespaceSchema,
  code: Base64Schema.describe('base64 of one source file, or of a tar.gz of a folder'),
  fileName: z.string().regex(/^[A-Za-z0-9._-]+$/, 'a plain file name').describe('the file name when code is one file').optional(),
  convention: ConventionSchema.describe('how the function is called (default: detected from the code)').optional(),
  entry: z.string().min(1).max(200).describe('script file, module.function, or the Go function name (default: the convention\'s)').optional(),
  limits: overrides(LimitsSchema).describe('fields not given keep the previous version\'s (or the defaults)').optional(),
  env: EnvSchema.describe('plain environment variables (visible to developers; use secrets for credentials)').optional(),
  retryPolicy: overrides(RetryPolicySchema).describe('fields not given keep the previous version\'s (or the defaults)').optional(),
  /** Warm pool settings (docs/runtimes.md, "Warm containers"); isolation 'fresh' forces cold. */
  warm: overrides(WarmSettingsSchema).describe('warm pool settings; fields not given keep the previous version\'s').optional(),
  /** Secrets the version uses, by name (each must exist in the namespace): files, and env vars when `env` is given. Absent: the previous version's. */
  secrets: SecretRefsSchema.describe('secrets the version uses, by name: files, and env vars when env is given (absent: the previous version\'s)').optional(),
  /** The HTTP trigger (/function/<name>): access private|public, maxConcurrency, maxQueued, rateLimitPerS. Absent fields: the previous version's; null clears a limit. */
  http: HttpTriggerInputSchema.describe('the HTTP trigger (/function/<name>): access private|public, maxConcurrency, maxQueued, rateLimitPerS; absent fields keep the previous version\'s, null clears a limit').optional(),
};

export const CreateFunctionInput = z.object({ name: FunctionNameSchema, runtime: RuntimeSchema, ...FunctionBody });
/** runtime: another version of the function's family (omitted: the previous version's). */
export const UpdateFunctionInput = z.object({ name: FunctionNameSchema, runtime: RuntimeSchema.optional(), ...FunctionBody });
/** functions.deploy: create or update (decided by whether the function exists, or by mode); on an update runtime may
 * name another version of the same family. */
export const DeployFunctionRequest = z.object({
  name: FunctionNameSchema, runtime: RuntimeSchema.optional(), mode: z.enum(['create', 'update']).optional(), ...FunctionBody,
});
export const DeploymentInput = z.object({
  id: z.string().regex(/^dep_[0-9a-f]{32}$/, 'a deployment id (dep_…)'),
  /** Wait up to this long for the deploy to finish before answering its progress. */
  waitMs: z.number().int().min(0).max(60_000).default(0),
});
/** functions.buildLog: the running build's lines after the cursor `after`, waiting up to waitMs for some. */
export const BuildLogInput = z.object({
  id: DeploymentInput.shape.id,
  after: z.number().int().min(0).max(1_000_000).default(0),
  waitMs: z.number().int().min(0).max(BUILD_LOG_LIMITS.maxWaitMs).default(0),
});
export const FunctionRefInput = z.object({ namespace: NamespaceSchema, name: FunctionNameSchema });
export const ListInput = z.object({
  namespace: NamespaceSchema,
  cursor: z.string().optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

const VersionSelector = z.union([z.number().int().min(1), z.literal('latest')]).default('latest');

export const StartInvocationInput = z.object({
  namespace: NamespaceSchema,
  function: FunctionNameSchema,
  version: VersionSelector.describe('a version number, or latest'),
  payload: z.unknown().describe('any JSON value; the function\'s input').default(null),
  idempotencyKey: z.string().min(1).max(200).describe('a second start with the same key answers the first invocation').optional(),
  /** Retries of this invocation (src/shared/retry-rule.ts): true, false, or fields of the version's policy. */
  retry: InvocationRetrySchema.describe('true, false, or fields of the version\'s retry policy (default: one attempt when waited for, unless the version set a policy)').optional(),
});
export const InvokeInput = StartInvocationInput.extend({
  /** How long to wait for the result before answering with the id and status. */
  waitMs: z.number().int().min(0).max(900_000).describe('how long to wait for the result before answering with the id and status').default(60_000),
});
export const InvocationIdInput = z.object({ id: z.string().regex(INVOCATION_ID_PATTERN, 'an invocation id (inv_…, or inv_….<step> for a chain step)') });
/** invocations.logs: lines after `after` (the previous answer's next). */
export const InvocationLogsInput = InvocationIdInput.extend({ after: z.number().int().min(0).default(0) });
export const ListInvocationsInput = z.object({
  namespace: NamespaceSchema,
  function: FunctionNameSchema.optional(),
  status: z.enum(INVOCATION_STATUSES).optional(),
  /** The failure kind of failed invocations (FunctionError, FunctionTimeout, …). */
  errorKind: FailureKindSchema.optional(),
  /** true: cold starts only; false: warm ones only. */
  cold: z.boolean().optional(),
  /** Accepted at or after / before these times. */
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
