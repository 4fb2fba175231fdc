// One platform log line per attempt a worker ran: which invocation, function and version, how
// it ended, cold or warm, how long the function ran (the worker id comes with every line).
import type { AttemptObserver } from '../activities/attempt-observer.js';
import type { PlatformLog } from './platform-log.js';
import { outcomeLabel } from './worker-metrics.js';

export function attemptLog(log: PlatformLog): Pick<AttemptObserver, 'attempt'> {
  return {
    attempt(spec, outcome, invocationId) {
      log.event(outcome.ok ? 'info' : 'warn', 'attempt ended', {
        invocationId, namespace: spec.namespace, function: spec.name, version: spec.version,
        outcome: outcomeLabel(outcome), start: outcome.cold ? 'cold' : 'warm', durationMs: outcome.durationMs,
      });
    },
  };
}

/** Every observer told of each event, in order. */
export function allObservers(...observers: Partial<AttemptObserver>[]): AttemptObserver {
  return {
    attempt: (...args) => observers.forEach((o) => o.attempt?.(...args)),
    warmAcquire: (result) => observers.forEach((o) => o.warmAcquire?.(result)),
  };
}
