// Deploying and reading functions. Versions are immutable: update writes the next one,
// inheriting every setting the request does not give. Every deploy is a deployFunction
// workflow: build on a data-plane worker (Go, requirements.txt, package.json), then register
// here; create/update wait for it, deploy + deployment let a caller follow its steps.
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import type { Repositories } from '../../db/index.js';
import { BUILD_FAILED_TYPE, type DeployFunctionInput, type DeployProgress, type VersionRequest } from '../../shared/deploy.js';
import { AppError, ConflictError, NotFoundError, RuntimeUnavailableError, ValidationError, type ErrorCode } from '../../shared/errors.js';
import type { TaskQueues } from '../../shared/invocation.js';
import { LimitsSchema, RetryPolicySchema, WarmSettingsSchema, type FunctionVersionSpec, type Limits } from '../../shared/types.js';
import { resolveRequestedRuntime, runtimeFamily, storedRuntime } from '../../shared/runtimes.js';
import type { CreateFunctionInput, DeployFunctionRequest, UpdateFunctionInput } from '../schemas.js';
import { decodeCode, entryProblem, resolveEntry } from './function-code.js';
import { withinMs } from '../../shared/promises.js';
import type { ArchiveLimits } from '../../shared/archive-policy.js';
import { inspectTgz } from '../../shared/archive-inspect.js';
import { isRunNotFound } from '../../temporal/run-not-found.js';
import { CaissonNamespace } from '../../temporal/search-attributes.js';
import { deployFunction } from '../workflow-refs.js';
import { deployProgressQuery } from '../../shared/workflow-messages.js';
import type { SecretRef } from '../../shared/secrets.js';
import { mergeHttpTrigger } from '../../shared/http-trigger.js';
import type { SecretService } from './secret.service.js';
import type { QuotaService } from './quota.service.js';

export interface FunctionServiceDeps {
  db: Repositories;
  /** codeBytes: the largest upload; codeArchive: what it may expand to; functionCpus/functionMemoryMb: the most a worker can give one container. */
  limits: { codeBytes: number; codeArchive: ArchiveLimits; functionCpus: number; functionMemoryMb: number };
  temporal: Client;
  taskQueues: TaskQueues;
  /** Checks that the secrets a version names exist in its namespace. */
  secrets: Pick<SecretService, 'assertExist'>;
  /** The namespace's functions, versions and code bytes quotas, checked before anything is stored. */
  quotas: Pick<QuotaService, 'checkDeploy'>;
}

export interface DeploymentView extends DeployProgress {
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  spec?: FunctionVersionSpec;
  error?: { code: string; message: string };
}

export function createFunctionService({ db, limits, temporal, taskQueues, secrets, quotas }: FunctionServiceDeps) {
  /** Stores the source and resolves the version's settings; nothing is registered yet. */
  async function prepare(input: z.infer<typeof DeployFunctionRequest>): Promise<DeployFunctionInput> {
    const { previous, mode } = await previousVersion(db, input);
    // Stored concrete: a request's bare family is the newest version now, and an update that
    // names no runtime keeps the previous version's, so no version moves to another major by itself.
    const concrete = input.runtime ? resolveRequestedRuntime(input.runtime) : storedRuntime(previous!.runtime);
    const runtime = runtimeFamily(concrete);
    const { bytes, artifact } = decodeCode({ ...input, runtime, maxBytes: limits.codeBytes });
    // Every upload is hostile: an archive is walked as a stream (bounded memory) and refused
    // here, before anything is stored or started. Workers check again before extracting.
    const files = artifact.format === 'tgz' ? (await inspectTgz(bytes, limits.codeArchive)).files : [artifact.fileName ?? ''];
    const convention = input.convention ?? previous?.convention ?? 'script';
    const keepEntry = previous && convention === previous.convention && input.fileName === undefined;
    const entry = input.entry ?? (keepEntry ? previous.entry : resolveEntry({ runtime, convention, artifact, files }));
    const problem = entryProblem({ runtime, convention, entry, files });
    if (problem) throw new ValidationError(problem, 'entry');
    const versionLimits = LimitsSchema.parse({ ...previous?.limits, ...input.limits });
    assertWorkersCanGive(versionLimits, limits);
    const env = input.env ?? previous?.env ?? {};
    const secretRefs = input.secrets ?? previous?.secrets ?? [];
    assertNoEnvClash(secretRefs, env);
    await secrets.assertExist(input.namespace, secretRefs);
    await quotas.checkDeploy(input.namespace, { newFunction: !previous, codeBytes: artifact.sizeBytes });
    await db.artifacts.put(bytes);
    const version: VersionRequest = {
      namespace: input.namespace, name: input.name, runtime: concrete, convention,
      entry,
      artifact,
      limits: versionLimits,
      env,
      retryPolicy: RetryPolicySchema.parse({ ...previous?.retryPolicy, ...input.retryPolicy }),
      // Given now or by an earlier deploy (the policy is inherited): sync invokes retry per it.
      ...(previous?.retryPolicySet || hasFields(input.retryPolicy) ? { retryPolicySet: true } : {}),
      warm: WarmSettingsSchema.parse({ ...previous?.warm, ...input.warm }),
      ...(secretRefs.length > 0 ? { secrets: secretRefs } : {}),
      httpTrigger: mergeHttpTrigger(previous?.httpTrigger, input.http),
    };
    return {
      deploymentId: `dep_${crypto.randomUUID().replace(/-/g, '')}`,
      mode, version, taskQueues,
      mayNeedBuild: runtime === 'go' || artifact.format === 'tgz',
    };
  }

  async function deploy(input: z.infer<typeof DeployFunctionRequest>): Promise<{ deploymentId: string; mode: 'create' | 'update' }> {
    const request = await prepare(input);
    await temporal.workflow.start(deployFunction, {
      workflowId: request.deploymentId,
      taskQueue: taskQueues.data,
      args: [request],
      // The api reads it back to check a deployment id against the caller's namespace.
      typedSearchAttributes: [{ key: CaissonNamespace, value: request.version.namespace }],
      staticSummary: `deploy ${request.version.namespace}/${request.version.name} (${request.mode})`,
    });
    return { deploymentId: request.deploymentId, mode: request.mode };
  }

  /** The deploy's steps, and its outcome once it is over (waits up to waitMs for that). */
  async function deployment(id: string, waitMs = 0): Promise<DeploymentView> {
    const handle = temporal.workflow.getHandle<typeof deployFunction>(id);
    // Without this a deploy that never was would look RUNNING (its result never settles within waitMs).
    await handle.describe().catch((err: unknown) => {
      throw isRunNotFound(err) ? new NotFoundError('deployment', id) : err;
    });
    const settled = await withinMs(handle.result().then(
      (spec: FunctionVersionSpec) => ({ spec }),
      (err: unknown) => ({ err }),
    ), waitMs);
    const progress = await handle.query(deployProgressQuery).catch(() => ({ deploymentId: id, steps: [] }));
    if (!settled) return { ...progress, status: 'RUNNING' };
    if ('spec' in settled) return { ...progress, status: 'SUCCEEDED', spec: settled.spec };
    const error = toAppError(settled.err);
    return { ...progress, status: 'FAILED', error: { code: error.code, message: error.message } };
  }

  /** Deploys and waits for the version (a build failure is a ValidationError with its output). */
  async function deployAndWait(input: z.infer<typeof DeployFunctionRequest>): Promise<FunctionVersionSpec> {
    const { deploymentId } = await deploy(input);
    try {
      return await temporal.workflow.getHandle<typeof deployFunction>(deploymentId).result();
    } catch (err) {
      throw toAppError(err);
    }
  }

  const create = (input: z.infer<typeof CreateFunctionInput>) => deployAndWait({ ...input, mode: 'create' });
  const update = (input: z.infer<typeof UpdateFunctionInput>) => deployAndWait({ ...input, mode: 'update' });

  return { create, update, deploy, deployment };
}

/** The function's latest version (none for a new one), and whether this deploy creates or updates it. */
async function previousVersion(db: Repositories, input: z.infer<typeof DeployFunctionRequest>) {
  const previous = await db.functions.getVersionSpec(input.namespace, input.name, 'latest').catch((err) => {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  });
  const mode = input.mode ?? (previous ? 'update' : 'create');
  if (mode === 'create' && previous) throw new ConflictError(`function '${input.name}' already exists in namespace '${input.namespace}'`);
  if (mode === 'update' && !previous) throw new NotFoundError('function', `${input.namespace}/${input.name}`);
  if (!previous && !input.runtime) throw new ValidationError('runtime is required for a new function', 'runtime');
  if (previous && input.runtime && runtimeFamily(input.runtime) !== runtimeFamily(previous.runtime)) {
    throw new ValidationError(`function '${input.name}' is ${previous.runtime}; deploy a ${input.runtime} function under another name`, 'runtime');
  }
  return { previous, mode };
}

/** A version no worker could run (`docker create` refuses more CPUs than the host has) is refused at deploy. */
function assertWorkersCanGive(asked: Limits, max: FunctionServiceDeps['limits']): void {
  if (asked.cpus > max.functionCpus) {
    throw new ValidationError(`limits.cpus: ${asked.cpus} is more than a worker can give a function (at most ${max.functionCpus})`, 'limits.cpus');
  }
  if (asked.memoryMb > max.functionMemoryMb) {
    throw new ValidationError(`limits.memoryMb: ${asked.memoryMb} is more than a worker can give a function (at most ${max.functionMemoryMb})`, 'limits.memoryMb');
  }
}

const hasFields = (o: object | undefined): boolean => o !== undefined && Object.values(o).some((v) => v !== undefined);

/** A secret's env var may not also be a plain env var: which value wins would be a guess. */
function assertNoEnvClash(refs: readonly SecretRef[], env: Record<string, string>): void {
  const i = refs.findIndex((r) => r.env !== undefined && Object.hasOwn(env, r.env));
  if (i >= 0) throw new ValidationError(`secrets.${i}.env: '${refs[i]!.env}' is also a plain env variable of this version`, `secrets.${i}.env`);
}

const API_CODES = new Set<string>(['VALIDATION', 'NOT_FOUND', 'CONFLICT', 'LIMIT_EXCEEDED']);

function toAppError(err: unknown): AppError {
  const cause = err instanceof WorkflowFailedError ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    if (cause.type === BUILD_FAILED_TYPE) return new ValidationError(`the build failed:\n${cause.message}`, 'code');
    if (cause.type && API_CODES.has(cause.type)) return new AppError(cause.type as ErrorCode, cause.message, false);
    return new RuntimeUnavailableError(`the deploy failed: ${cause.message}`);
  }
  if (err instanceof AppError) return err;
  return new RuntimeUnavailableError(`the deploy failed: ${err instanceof Error ? err.message : String(err)}`);
}

export type FunctionService = ReturnType<typeof createFunctionService>;
