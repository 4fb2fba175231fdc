// What the container activities report as attempts run (metrics, logs): called synchronously,
// never awaited, so an observer cannot slow or fail an attempt.
import type { AttemptOutcome } from '../shared/invocation.js';
import type { FunctionVersionSpec } from '../shared/types.js';

/** hit: an idle warm container; started: one started for this attempt; none: no warm container, the attempt runs cold. */
export type WarmAcquireResult = 'hit' | 'started' | 'none';

export interface AttemptObserver {
  attempt(spec: FunctionVersionSpec, outcome: AttemptOutcome & { cold: boolean }, invocationId: string): void;
  warmAcquire(result: WarmAcquireResult): void;
}
