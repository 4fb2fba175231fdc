// How an invocation's attempts run: warm or cold, which of them count, what a cold attempt's
// container is called. Free of zod, so the workflow bundle does not carry the schema library,
// and of shared/types.ts (whose schemas take their defaults from here): the parameters are
// typed by the fields read.
import { runtimeFamily, type Runtime, type RuntimeFamily } from './runtimes.js';

/** Runtime families with a warm server: every version of them (Go functions always run cold). */
export const WARM_RUNTIMES: readonly RuntimeFamily[] = ['python', 'node'];

/** Function attempts only: infrastructure reruns never count against maxAttempts. */
export const countFunctionAttempts = (log: readonly { infrastructure?: boolean }[]): number => log.filter((a) => !a.infrastructure).length;

/** A warm attempt waits at most this long for a container unless the version says otherwise (WarmSettingsSchema's default). */
export const DEFAULT_WARM_QUEUE_TIMEOUT_MS = 10_000;

/**
 * A warm attempt's local activity answers within this; one still running is handed over to
 * an ordinary activity (warm-attempt.ts). It bounds how long a cancel request waits for the
 * workflow task the local activity holds open.
 */
export const WARM_LOCAL_BOUND_MS = 1000;

/** Whether a version's attempts try a warm container first. */
export function runsWarm(spec: { runtime: Runtime; warm?: { isolation?: 'warm' | 'fresh' } }): boolean {
  return WARM_RUNTIMES.includes(runtimeFamily(spec.runtime)) && (spec.warm?.isolation ?? 'warm') === 'warm';
}

/** A cold attempt's container name: deterministic, so a rerun (or a prepared container) is found by it. */
export function coldContainerName(invocationId: string, attempt: number, infraRerun = 0): string {
  // Docker names allow [a-zA-Z0-9_.-]; chain children's ids carry dots.
  return `caisson-${invocationId}-${attempt}${infraRerun ? `-r${infraRerun}` : ''}`.replace(/[^a-zA-Z0-9.-]/g, '-');
}
