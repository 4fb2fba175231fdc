// Chains: the definition users deploy (zod), and the contract between the api, the runChain
// workflow and its control activities. Pure data and zod only (bundled into the workflow).
import { z } from 'zod';
import type { PayloadRef } from './payload-ref.js';
import type { InvocationFailureDetails, TaskQueues } from './invocation.js';
import { assertNever } from './errors.js';
import { FUNCTION_FAILURE_KINDS, type FunctionVersionSpec } from './types.js';

const NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const NAME_HINT = 'lowercase letters, digits, _ and -, starting with a letter (max 63)';
export const StepNameSchema = z.string().regex(NAME, NAME_HINT);
/** `name` (the latest version at deploy time) or `name@3`. */
export const FunctionRefSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,62}(@[1-9][0-9]{0,8})?$/, 'a function name, optionally @version');

/**
 * A data mapping: any JSON value. Strings starting with `$` are paths (see chain-paths.ts):
 * `$.input.urls`, `$.steps.resize.output[0].url`, `$.item`, `$.index`; `$$x` is the literal `$x`.
 */
const MappingSchema = z.json();

/** Fields of the function's retry policy to override. (Not RetryPolicySchema.partial(): in
 * zod 4 that fills every absent field with its default, overriding the function's own.) */
export const RetryOverrideSchema = z.strictObject({
  maxAttempts: z.number().int().min(1).max(20).optional(),
  initialIntervalMs: z.number().int().min(0).max(3_600_000).optional(),
  backoffCoefficient: z.number().min(1).max(10).optional(),
  maximumIntervalMs: z.number().int().min(0).max(3_600_000).optional(),
  retryOn: z.array(z.enum(FUNCTION_FAILURE_KINDS)).optional(),
});

const CallFields = {
  function: FunctionRefSchema,
  input: MappingSchema.optional(),
  /** Overrides fields of the function's retry policy for this step. */
  retry: RetryOverrideSchema.optional(),
  /** Overrides the function's per-attempt timeout for this step. */
  timeoutMs: z.number().int().min(100).max(900_000).optional(),
};
export const CallSchema = z.strictObject(CallFields);
export type Call = z.infer<typeof CallSchema>;

const StepBase = { name: StepNameSchema, continueOnError: z.boolean().optional() };

export const FunctionStepSchema = z.strictObject({ type: z.literal('function'), ...StepBase, ...CallFields });
export const ParallelStepSchema = z.strictObject({
  type: z.literal('parallel'),
  ...StepBase,
  parallel: z.record(z.string().regex(NAME, NAME_HINT), CallSchema)
    .refine((b) => Object.keys(b).length > 0, 'a parallel step needs at least one branch'),
});
export const MapStepSchema = z.strictObject({
  type: z.literal('map'),
  ...StepBase,
  map: z.strictObject({
    /** The array to map over (a path, or a literal array). */
    items: MappingSchema,
    concurrency: z.number().int().min(1).max(100).default(10),
    ...CallFields,
  }),
});

/** `type` may be left out: it follows from the key present (`function`, `parallel`, `map`). */
function inferType(step: unknown): unknown {
  if (typeof step !== 'object' || step === null || Array.isArray(step) || 'type' in step) return step;
  const type = 'parallel' in step ? 'parallel' : 'map' in step ? 'map' : 'function';
  return { type, ...step };
}

export const StepSchema = z.preprocess(inferType, z.discriminatedUnion('type', [FunctionStepSchema, ParallelStepSchema, MapStepSchema]));
export type Step = z.infer<typeof StepSchema>;
export type StepType = Step['type'];

export const ChainDefinitionSchema = z.strictObject({
  name: StepNameSchema,
  description: z.string().max(1000).optional(),
  steps: z.array(StepSchema).min(1, 'a chain needs at least one step').max(100),
  /** The chain's result; default: the last step's output. */
  output: MappingSchema.optional(),
});
export type ChainDefinition = z.infer<typeof ChainDefinitionSchema>;

/** Pinned function versions of a chain version, keyed by the `name@version` its calls name. */
export type PinnedSpecs = Record<string, FunctionVersionSpec>;

export const CHAIN_STEP_STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const;
export type ChainStepStatus = (typeof CHAIN_STEP_STATUSES)[number];

/** Why a step (or one of its units) failed. `MappingError`: its input could not be built. */
export interface ChainStepError {
  kind: InvocationFailureDetails['kind'] | 'MappingError';
  message: string;
  attempts?: number;
  /** The failing unit: a branch name or a map index. */
  unit?: string;
}

/** One child invocation of a step: the whole function step, a branch, or a map element. */
export interface ChainUnitRecord {
  status: ChainStepStatus;
  workflowId: string;
  invocationId: string;
  output?: PayloadRef;
  error?: ChainStepError;
}

export interface RunChainInput {
  chainInvocationId: string;
  chain: { id: string; namespace: string; name: string; version: number };
  definition: ChainDefinition;
  specs: PinnedSpecs;
  input: PayloadRef;
  taskQueues: TaskQueues;
  acceptedAt: string;
  /** Values at or under this size stay inline; bigger ones become blob refs. */
  inlineBytes: number;
  /** 1 for the first run; resume starts run 2, 3, … */
  run: number;
  /** On resume: outputs already stored, by step name and by unit (`step/branch`, `step/3`). */
  done?: { steps: Record<string, PayloadRef>; units: Record<string, PayloadRef> };
  /**
   * false: every function step starts when the one before it has succeeded and this workflow
   * has built its input, as chains did before the hand-over (run-chain.workflow.ts); absent:
   * the next function step is started ahead and takes its input from the step before it.
   * Only bench/chain.bench.ts sets it, to time both in one run.
   */
  handOff?: boolean;
}

/** The `chainOutcome` update's answer: the chain's outcome is recorded (read it back for the view). */
export interface ChainSettled {
  status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
}

export interface RunChainResult {
  chainInvocationId: string;
  result: PayloadRef;
}

/** Details of the ApplicationFailure a failed chain ends with. */
export interface ChainFailureDetails {
  step: string;
  error: ChainStepError;
}

/** Every `name@version` a definition calls, in step order. */
export function callsOf(step: Step): Array<{ unit?: string; call: Call }> {
  switch (step.type) {
    case 'function':
      return [{ call: step }];
    case 'parallel':
      return Object.entries(step.parallel).map(([unit, call]) => ({ unit, call }));
    case 'map':
      return [{ call: step.map }];
    default:
      return assertNever(step);
  }
}
