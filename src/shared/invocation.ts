// The contract between the invokeFunction workflow, its activities and the api.
import type { AttemptRecord, FailureKind, FunctionVersionSpec, InvocationStatus } from './types.js';
import type { PayloadRef } from './payload-ref.js';

export interface TaskQueues {
  control: string;
  data: string;
}

export interface InvokeFunctionInput {
  invocationId: string;
  spec: FunctionVersionSpec;
  payload: PayloadRef;
  taskQueues: TaskQueues;
  /** ISO time the api accepted the invocation (for timings). */
  acceptedAt: string;
  /**
   * A synchronous caller awaits the result and writes the record of a success itself (the
   * result carries it). Set at start by a caller that does not use the outcome update.
   */
  callerRecords?: boolean;
  /**
   * A chain step's child: the container of the next step, which its worker may create while
   * this attempt runs (src/runtime/lifecycle/prepared-containers.ts). Only a hint: nothing waits for it.
   */
  prepareNext?: PrepareContainerRequest;
  /** An /async-function caller's callback: the outcome is POSTed to `url` once recorded (deliverCallback). */
  callback?: { url: string };
  /**
   * A chain step whose next step was started ahead (`awaitsInput`): on success this invocation
   * builds that step's input and signals it there itself, in the workflow task that learns its
   * result, so the next step does not wait for the chain's own workflow task.
   */
  handOff?: StepHandOff;
  /**
   * Started ahead by a chain: `payload` is a placeholder until the stepInput signal brings the
   * input (from the step before, or from the chain). Cancelled before that, it ends with no record.
   */
  awaitsInput?: true;
  /**
   * The container of this invocation's first attempt was started by the step before, with this
   * very payload, on that step's worker (chain-prefetch.ts): the attempt waits for it there.
   */
  started?: StartedStep;
}

/** How a chain step builds the next step's input from its own result (chain-handoff.ts). */
export interface StepHandOff {
  /** The next step's workflow id. */
  workflowId: string;
  /** This step's name: its result is `$.steps.<step>.output`. */
  step: string;
  /** The next step's input mapping. */
  mapping: unknown;
  /** The values the mapping reads that were known when this step started. */
  context: { input: PayloadRef; steps: Record<string, PayloadRef> };
  /** Values above this size are not handed over (the chain stores them by reference). */
  inlineBytes: number;
  /** The next step's own hand-off reads this step's output: the input carries it along. */
  forward: boolean;
  /** The container of the step after the next, prepared once the next one starts early. */
  prepareAfter?: PrepareContainerRequest;
}

/** The stepInput signal: a started-ahead step's input, and earlier outputs its hand-off reads. */
export interface StepInput {
  payload: PayloadRef;
  steps: Record<string, PayloadRef>;
  /** Its container is running with this payload already (the step before started it). */
  started?: StartedStep;
}

/** A chain step's container started early by the worker of the step before, with its input. */
export interface StartedStep {
  containerName: string;
  /** That worker's host queue: the step's attempt waits for the container there. */
  hostTaskQueue: string;
}

/** What a step's successful attempt started: the next step's container, and the input it was given. */
export interface StartedNext {
  /** The next step's workflow id. */
  workflowId: string;
  payload: PayloadRef;
  started: StartedStep;
}

/** What the next step's first cold attempt will ask createContainer for, less its payload. */
export interface PrepareContainerRequest {
  containerName: string;
  invocationId: string;
  attempt: number;
  spec: FunctionVersionSpec;
}

export interface AttemptFailure {
  kind: FailureKind;
  message: string;
  errorType?: string;
  stderrTail?: string;
  /** The error as the function's own platform reports it (Lambda's error object, OpenWhisk's {error}, …). */
  platform?: Record<string, unknown>;
}

/** What one attempt's executeWithTimeout reports; function failures are values, not throws. */
export type AttemptOutcome = (
  | { ok: true; result: PayloadRef; logs: Logs; durationMs: number }
  | { ok: false; failure: AttemptFailure; logs: Logs; durationMs: number }
) & AttemptPlacement;

/** Where an attempt ran: a container started for it (cold) or a warm one, and which. */
export interface AttemptPlacement {
  cold?: boolean;
  containerId?: string;
  /** A chain step's success: the next step's container it started (chain-prefetch.ts). */
  startedNext?: StartedNext;
}

/** executeWarm's answer: the attempt's outcome, or why it did not run (then the cold path runs). */
export type WarmAttemptResult =
  | { ran: true; outcome: AttemptOutcome }
  | { ran: false; reason: string }
  /** Still running when its local activity's bound came: awaitWarm on hostTaskQueue answers it. */
  | { ran: 'running'; hostTaskQueue: string };

export interface Logs {
  stdout: PayloadRef;
  stderr: PayloadRef;
}

export interface InvokeFunctionResult {
  invocationId: string;
  result: PayloadRef;
  attempts: number;
  /** Present when the synchronous caller took over writing the record (see outcomeUpdate in workflow-messages.ts): what to write. */
  record?: InvocationOutcomeRecord;
  /** A chain step's: the next step's container it started, as its childSucceeded signal said. */
  startedNext?: StartedNext;
}

/** An invocation's final outcome, as the invocation record stores it. */
export interface InvocationOutcomeRecord {
  invocationId: string;
  status: Extract<InvocationStatus, 'SUCCEEDED' | 'FAILED' | 'CANCELLED'>;
  attempts: AttemptRecord[];
  acceptedAt: string;
  result?: PayloadRef;
  failure?: AttemptFailure;
  logs?: Logs;
  /** Whether the last attempt ran in a container started for it (absent: no attempt ran). */
  cold?: boolean;
  /** When the outcome was known (workflow time); absent in records of older runs → time of recording. */
  endedAt?: string;
  /** Whose invocation: lets the record create its row when none exists yet (a chain step's row is written alongside). */
  identity?: { namespace: string; functionName: string; functionId: string; version: number };
}

/** What childSucceededSignal (shared/workflow-messages.ts) carries. */
export interface ChildSucceeded {
  workflowId: string;
  result: PayloadRef;
  /** The next step's container this step started: the chain's own input signal to it says so too. */
  startedNext?: StartedNext;
}

/** Details carried by the ApplicationFailure a failed invocation ends with. */
export interface InvocationFailureDetails {
  kind: FailureKind;
  message: string;
  attempts: number;
  stderrTail?: string;
}

export const INVOCATION_FAILED_TYPE = 'InvocationFailed';
