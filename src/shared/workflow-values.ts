// Plain values the workflow code needs from the domain modules, kept free of zod so the
// workflow bundle does not carry the schema library (the domain modules re-export these).
import { runtimeFamily, type RuntimeFamily } from './runtimes.js';
import type { AttemptRecord, FunctionVersionSpec } from './types.js';

/** Runtime families with a warm server: every version of them. */
export const WARM_RUNTIMES: readonly RuntimeFamily[] = ['python', 'node'];

/** Function attempts only: infrastructure reruns never count against maxAttempts. */
export const countFunctionAttempts = (log: readonly AttemptRecord[]): number => log.filter((a) => !a.infrastructure).length;

/** A warm attempt waits at most this long for a container unless the version says otherwise (WarmSettingsSchema's default). */
export const DEFAULT_WARM_QUEUE_TIMEOUT_MS = 10_000;

/**
 * A warm attempt's local activity answers within this; one still running is handed over to
 * an ordinary activity (warm-attempt.ts). It bounds how long a cancel request waits for the
 * workflow task the local activity holds open.
 */
export const WARM_LOCAL_BOUND_MS = 1000;

/** Whether a version's attempts try a warm container first. */
export function runsWarm(spec: FunctionVersionSpec): boolean {
  return WARM_RUNTIMES.includes(runtimeFamily(spec.runtime)) && (spec.warm?.isolation ?? 'warm') === 'warm';
}

/** A cold attempt's container name: deterministic, so a rerun (or a prepared container) is found by it. */
export function coldContainerName(invocationId: string, attempt: number, infraRerun = 0): string {
  // Docker names allow [a-zA-Z0-9_.-]; chain children's ids carry dots.
  return `caisson-${invocationId}-${attempt}${infraRerun ? `-r${infraRerun}` : ''}`.replace(/[^a-zA-Z0-9.-]/g, '-');
}

export const CHAIN_FAILED_TYPE = 'ChainFailed';

/** Workflow id of a step's child: `<chain invocation id>/<step>[/<unit>]` (Web UI tree). */
export function childWorkflowId(chainInvocationId: string, step: string, unit?: string | number): string {
  return unit === undefined ? `${chainInvocationId}/${step}` : `${chainInvocationId}/${step}/${unit}`;
}

/** The child's invocation id: its workflow id with `.` for `/`, as container names allow no `/`
 * (step and branch names contain no `.`, so this stays unique). */
export function childInvocationId(workflowId: string): string {
  return workflowId.replaceAll('/', '.');
}
