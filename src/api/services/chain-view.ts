// How a chain invocation reads through the api: the fields of a single invocation's view
// (so invocations.get answers for both), plus `chain` with per-step status, timings, outputs.
import type { ChainInvocationRow, ChainStepRow } from '../../db/index.js';
import type { ChainStepError, ChainStepStatus, StepType } from '../../shared/chain.js';
import type { PayloadRef } from '../../shared/payload-ref.js';
import type { InvocationStatus } from '../../shared/types.js';
import type { InvocationView } from './invocation.service.js';

export interface ChainUnitView {
  unit: string;
  status: ChainStepStatus;
  invocationId: string;
  workflowId: string;
  output?: unknown;
  error?: ChainStepError;
}

export interface ChainStepView {
  name: string;
  type: StepType;
  status: ChainStepStatus;
  functions: string[];
  run: number;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  /** Inline outputs as they are; one stored by reference as { ref, sizeBytes }. */
  output?: unknown;
  error?: ChainStepError;
  units: ChainUnitView[];
}

export interface ChainInvocationDetails {
  name: string;
  version: number;
  runs: number;
  failedStep: string | null;
  steps: ChainStepView[];
}

/** A single invocation's view (the chain's name in `function`, runs in `attempts`, one line per
 * step in `attemptLog`) plus the steps. */
export type ChainInvocationView = Omit<InvocationView, 'error'> & {
  error?: { kind: string; message: string; attempts: number; step?: string };
  kind: 'chain';
  chain: ChainInvocationDetails;
};

const shown = (ref: PayloadRef | undefined): unknown => (ref === undefined ? undefined : 'inline' in ref ? ref.inline : ref);

function stepView(s: ChainStepRow): ChainStepView {
  const view: ChainStepView = {
    name: s.name, type: s.type, status: s.status, functions: s.functions, run: s.run,
    startedAt: s.startedAt?.toISOString() ?? null, endedAt: s.endedAt?.toISOString() ?? null, durationMs: s.durationMs,
    units: Object.entries(s.units ?? {}).map(([unit, u]) => ({
      unit, status: u.status, invocationId: u.invocationId, workflowId: u.workflowId,
      ...(u.output ? { output: shown(u.output) } : {}), ...(u.error ? { error: u.error } : {}),
    })),
  };
  if (s.outputRef) view.output = { ref: s.outputRef };
  else if (s.output !== null) view.output = s.output;
  if (s.error) view.error = s.error;
  return view;
}

/** A step as one line of `inv get`: name, type, status, duration, functions, error or output. */
function stepLine(s: ChainStepView): Record<string, unknown> {
  return {
    step: s.name, type: s.type, status: s.status, durationMs: s.durationMs, functions: s.functions.join(','),
    ...(s.error ? { error: `${s.error.unit ? `[${s.error.unit}] ` : ''}${s.error.kind}: ${s.error.message}` } : {}),
    ...(s.output !== undefined ? { output: s.output } : {}),
  };
}

export function chainInvocationView(row: ChainInvocationRow, status: InvocationStatus, result: unknown): ChainInvocationView {
  const steps = row.steps.map(stepView);
  const view: ChainInvocationView = {
    id: row.id, namespace: row.namespace, function: row.chainName, version: row.version, status,
    attempts: row.runs, attemptLog: steps.map(stepLine), cold: null, replayOf: null, caller: null,
    createdAt: row.createdAt.toISOString(), endedAt: row.endedAt?.toISOString() ?? null, durationMs: row.durationMs,
    logs: { stdout: '', stderr: '' }, kind: 'chain',
    chain: { name: row.chainName, version: row.version, runs: row.runs, failedStep: row.failedStep, steps },
  };
  if (status === 'SUCCEEDED') view.result = result;
  if (row.errorKind) {
    view.error = { kind: row.errorKind, message: `step '${row.failedStep}': ${row.errorMessage ?? ''}`, attempts: row.runs, ...(row.failedStep ? { step: row.failedStep } : {}) };
  }
  return view;
}
