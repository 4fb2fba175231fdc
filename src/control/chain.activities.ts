// Control-plane activities of runChain: step and outcome records, child invocation rows,
// and the data mappings that need values stored by reference. They run in the api process
// (control task queue); every write is an upsert keyed by ids, so a retry changes nothing twice.
import type { ChainStepError, ChainStepStatus, ChainUnitRecord, StepType } from '../shared/chain.js';
import type { PayloadRef } from '../shared/payload-ref.js';
import type { FunctionVersionSpec } from '../shared/types.js';
import { typedActivities } from '../activities/to-failure.js';

export interface ChainStepStartedRecord {
  chainInvocationId: string;
  step: string;
  position: number;
  type: StepType;
  functions: string[];
  run: number;
  startedAt: string;
  /** The child invocations about to start: their rows are written first (PENDING). */
  children: Array<{ invocationId: string; spec: FunctionVersionSpec; input: PayloadRef }>;
  /** Earlier steps that finished since the last record, written before this one: one activity
   * per step instead of two (each activity costs the chain a workflow task; see run-chain). */
  finishedBefore?: ChainStepFinishedRecord[];
}

export interface ChainStepFinishedRecord extends Omit<ChainStepStartedRecord, 'children' | 'finishedBefore'> {
  status: Extract<ChainStepStatus, 'SUCCEEDED' | 'FAILED'>;
  endedAt: string;
  output?: PayloadRef;
  error?: ChainStepError;
  units: Record<string, ChainUnitRecord>;
}

export interface ChainOutcomeRecord {
  chainInvocationId: string;
  status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  acceptedAt: string;
  result?: PayloadRef;
  failedStep?: string;
  error?: ChainStepError;
  /** Steps that finished since the last record, written before the outcome. */
  finishedSteps?: ChainStepFinishedRecord[];
  /** On failure: what the dead letter keeps. */
  deadLetter?: { chain: { id: string; namespace: string; name: string; version: number }; input: PayloadRef; startedAt: string };
}

import type { MappingContextRefs } from '../shared/chain-mapping.js';
export type { MappingContextRefs };

export interface EvaluateMappingRequest {
  mapping: unknown;
  context: MappingContextRefs;
  /** Deterministic id prefix for blobs this writes (a retry writes the same blobs). */
  blobId: string;
  /** Expect an array and return one ref per element (a map step's items). */
  asArray?: boolean;
}

/** What the chain activities need from the database (implemented in chain.store.ts). */
export interface ChainStore {
  chainStepStarted(r: ChainStepStartedRecord): Promise<void>;
  chainStepFinished(r: ChainStepFinishedRecord): Promise<void>;
  recordChainOutcome(r: ChainOutcomeRecord): Promise<void>;
  evaluateChainMapping(r: EvaluateMappingRequest): Promise<PayloadRef | PayloadRef[]>;
  combineChainOutputs(r: { parts: PayloadRef[] | Record<string, PayloadRef>; blobId: string }): Promise<PayloadRef>;
}

export function createChainActivities(store: ChainStore) {
  return typedActivities({
    chainStepStarted: (r: ChainStepStartedRecord) => store.chainStepStarted(r),
    chainStepFinished: (r: ChainStepFinishedRecord) => store.chainStepFinished(r),
    recordChainOutcome: (r: ChainOutcomeRecord) => store.recordChainOutcome(r),
    evaluateChainMapping: (r: EvaluateMappingRequest) => store.evaluateChainMapping(r),
    combineChainOutputs: (r: { parts: PayloadRef[] | Record<string, PayloadRef>; blobId: string }) => store.combineChainOutputs(r),
  });
}

export type ChainActivities = ReturnType<typeof createChainActivities>;
