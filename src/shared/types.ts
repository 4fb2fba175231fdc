// Domain types shared by workflows, activities, runtime, db and api. Pure data and zod
// schemas only: this file is bundled into the workflow sandbox.
import { z } from 'zod';
import { CONVENTIONS } from './names.js';
import { DEFAULT_WARM_QUEUE_TIMEOUT_MS } from './attempt-rules.js';
import type { SecretRef } from './secrets.js';
import type { HttpTriggerSettings } from './http-trigger.js';

import { RUNTIME_NAMES, normalizeRuntimeName, type Runtime, type RuntimeRequestName } from './runtimes.js';

export type { Runtime, RuntimeFamily } from './runtimes.js';
/** A runtime name, normalised (`nodejs22.x` → `nodejs22`, `go1.x` → `go`); src/shared/runtimes.ts. */
export const RuntimeSchema = z.preprocess(
  (v) => (typeof v === 'string' ? (normalizeRuntimeName(v) ?? v) : v),
  z.enum(RUNTIME_NAMES as [Runtime, ...Runtime[]]),
  // Typed as what it accepts (preprocess alone would type its input unknown, and the client with it).
) as unknown as z.ZodType<Runtime, RuntimeRequestName>;
export { CONVENTIONS };

/** How the function is called. script: the old platform's way (FUNCTION_PAYLOAD/stdin in,
 * JSON on stdout out). handler: an exported function whose return value is the result.
 * lambda, openwhisk, openfaas: those platforms' handler shapes, run unchanged
 * (docs/runtimes.md, "Conventions"). */
export const ConventionSchema = z.enum(CONVENTIONS);
export type Convention = z.infer<typeof ConventionSchema>;

/** The closed set of ways an invocation can fail. */
export const FAILURE_KINDS = [
  'FunctionError',
  'FunctionTimeout',
  'FunctionOOM',
  'InvalidOutput',
  'InfrastructureError',
  'Cancelled',
] as const;
export const FailureKindSchema = z.enum(FAILURE_KINDS);
export type FailureKind = z.infer<typeof FailureKindSchema>;

/** Failure kinds that are the function's fault (subject to its retry policy). */
export const FUNCTION_FAILURE_KINDS = ['FunctionError', 'FunctionTimeout', 'FunctionOOM', 'InvalidOutput'] as const;

export const RetryPolicySchema = z.object({
  maxAttempts: z.number().int().min(1).max(20).describe('attempts in all, the first included').default(3),
  initialIntervalMs: z.number().int().min(0).max(3_600_000).describe('wait before the second attempt').default(1000),
  backoffCoefficient: z.number().min(1).max(10).describe('each wait is the previous one times this').default(2),
  maximumIntervalMs: z.number().int().min(0).max(3_600_000).describe('the longest wait between attempts').default(30_000),
  retryOn: z.array(z.enum(FUNCTION_FAILURE_KINDS)).describe('the failure kinds that are retried (InvalidOutput is not, by default)').default(['FunctionError', 'FunctionTimeout', 'FunctionOOM']),
});
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;
export const DEFAULT_RETRY_POLICY: RetryPolicy = RetryPolicySchema.parse({});

export const LimitsSchema = z.object({
  timeoutMs: z.number().int().min(100).max(900_000).describe('one attempt is stopped after this long (FunctionTimeout)').default(30_000),
  memoryMb: z.number().int().min(16).max(8192).describe('the container\'s memory limit; past it the attempt fails with FunctionOOM').default(128),
  cpus: z.number().min(0.05).max(16).describe('CPUs the container may use').default(1),
  network: z.boolean().describe('outbound network access (default: none)').default(false),
});
export type Limits = z.infer<typeof LimitsSchema>;

/** Per-version warm pool settings (docs/runtimes.md, "Warm containers"). A warm
 * container serves one version only, one invocation at a time, and is replaced after any
 * failure. isolation 'fresh' forces a new container per invocation (the cold path). */
export const WarmSettingsSchema = z.object({
  isolation: z.enum(['warm', 'fresh']).describe('warm: reuse started containers of this version; fresh: a new container per invocation').default('warm'),
  minWarm: z.number().int().min(0).max(32).describe('Containers kept started while the version is in use (refilled in the background).').default(1),
  maxWarm: z.number().int().min(1).max(64).describe('At most this many containers per version on one worker.').default(8),
  maxQueued: z.number().int().min(0).max(1000).describe('Invocations that may wait for a busy container; beyond this they run cold. 0: never wait.').default(32),
  queueTimeoutMs: z.number().int().min(0).max(300_000).describe('How long one may wait for a container before running cold instead.').default(DEFAULT_WARM_QUEUE_TIMEOUT_MS),
  idleTtlMs: z.number().int().min(1000).max(86_400_000).describe('A container unused this long is removed (and the version\'s pool drains to zero).').default(300_000),
  maxInvocations: z.number().int().min(1).max(1_000_000).describe('A container is replaced after this many invocations.').default(1000),
});
export type WarmSettings = z.infer<typeof WarmSettingsSchema>;

/** How a version's code is stored: one file (named) or a tar.gz of a folder. */
export const ArtifactSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  format: z.enum(['file', 'tgz']),
  fileName: z.string().optional(),
  sizeBytes: z.number().int().nonnegative(),
});
export type Artifact = z.infer<typeof ArtifactSchema>;

/** A version of a function not deleted, and its artifact: what workers may keep cached. */
export const LiveVersionSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  version: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type LiveVersion = z.infer<typeof LiveVersionSchema>;

/** Everything the data plane needs to run one version; resolved by the control plane. */
export interface FunctionVersionSpec {
  functionId: string;
  namespace: string;
  name: string;
  version: number;
  runtime: Runtime;
  convention: Convention;
  entry: string;
  artifact: Artifact;
  limits: Limits;
  env: Record<string, string>;
  retryPolicy: RetryPolicy;
  /**
   * true when a deploy gave the retry policy (any field, on this version or inherited):
   * a synchronous invoke then retries per it. Absent or false: defaults only, and a
   * synchronous invoke runs one attempt (src/shared/retry-rule.ts).
   */
  retryPolicySet?: boolean;
  /** Absent on versions deployed before warm pools: the defaults apply. */
  warm?: WarmSettings;
  /** The secrets the version uses, by name (their values never travel with the spec); absent: none. */
  secrets?: SecretRef[];
  /** Its HTTP trigger (/function/<name>); absent: private, no limits of its own. */
  httpTrigger?: HttpTriggerSettings;
  /**
   * The namespace's warmContainers quota when the api started the invocation (never stored
   * with the version): each worker keeps at most this many warm containers of the namespace.
   */
  namespaceWarmContainers?: number;
}

export const INVOCATION_STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type InvocationStatus = (typeof INVOCATION_STATUSES)[number];

export interface AttemptRecord {
  attempt: number;
  /** An infrastructure failure (Docker, a lost worker): logged, but not a function attempt. */
  infrastructure?: boolean;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  failure?: { kind: FailureKind; message: string; stderrTail?: string; errorType?: string; platform?: Record<string, unknown> };
  /** false when the attempt ran in an already started warm container. */
  cold?: boolean;
  /** The container the attempt ran in (a warm container serves many attempts). */
  containerId?: string;
}
