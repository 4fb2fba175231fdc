// The contract between the invokeFunction workflow, its activities and the api.
import type { FailureKind, FunctionVersionSpec } from './types.js';
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
}

export interface AttemptFailure {
  kind: FailureKind;
  message: string;
  errorType?: string;
  stderrTail?: string;
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
}

/** executeWarm's answer: the attempt's outcome, or why it did not run (then the cold path runs). */
export type WarmAttemptResult = { ran: true; outcome: AttemptOutcome } | { ran: false; reason: string };

export interface Logs {
  stdout: PayloadRef;
  stderr: PayloadRef;
}

export interface InvokeFunctionResult {
  invocationId: string;
  result: PayloadRef;
  attempts: number;
}

/** Details carried by the ApplicationFailure a failed invocation ends with. */
export interface InvocationFailureDetails {
  kind: FailureKind;
  message: string;
  attempts: number;
  stderrTail?: string;
}

export const INVOCATION_FAILED_TYPE = 'InvocationFailed';
