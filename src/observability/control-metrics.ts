// The control plane's recorders: one count per invocation record and dead letter the api
// writes (the workflow's record activity, or the synchronous caller that took it over). A record
// written again by a repair after an api crash is counted again: rare, and never lost.
import type { ControlStore } from '../control/invocation.activities.js';
import type { InvocationOutcomeRecord } from '../shared/invocation.js';
import { countFunctionAttempts } from '../shared/attempt-rules.js';
import type { Metrics } from './metrics.js';

const UNKNOWN = '_unknown';

function outcomeOf(r: InvocationOutcomeRecord): string {
  if (r.status === 'SUCCEEDED') return 'Succeeded';
  if (r.status === 'CANCELLED') return 'Cancelled';
  return r.failure?.kind ?? 'Unknown';
}

export function recordInvocationMetrics(metrics: Metrics, r: InvocationOutcomeRecord): void {
  const id = r.identity;
  const labels = id ? metrics.functions.labels(id.namespace, id.functionName, id.version)
    : { namespace: UNKNOWN, function: UNKNOWN, version: UNKNOWN };
  const outcome = outcomeOf(r);
  const start = r.cold === undefined ? 'none' : r.cold ? 'cold' : 'warm';
  metrics.invocations.inc({ ...labels, outcome, start });
  const accepted = Date.parse(r.acceptedAt);
  const ended = r.endedAt ? Date.parse(r.endedAt) : Date.now();
  if (Number.isFinite(accepted) && ended >= accepted) {
    metrics.invocationDuration.observe({ namespace: labels.namespace, outcome }, (ended - accepted) / 1000);
    metrics.invocationSeconds.inc(labels, (ended - accepted) / 1000);
  }
  const first = r.attempts[0] && Date.parse(r.attempts[0].startedAt);
  if (first && Number.isFinite(accepted) && first >= accepted) metrics.queueWait.observe({ namespace: labels.namespace }, (first - accepted) / 1000);
  const fnAttempts = countFunctionAttempts(r.attempts);
  if (fnAttempts > 0) metrics.invocationAttempts.inc({ ...labels, kind: 'function' }, fnAttempts);
  const infra = r.attempts.length - fnAttempts;
  if (infra > 0) metrics.invocationAttempts.inc({ ...labels, kind: 'infrastructure' }, infra);
}

/** The store, counting each record and dead letter once it is written. */
export function countingControlStore(store: ControlStore, metrics: Metrics): ControlStore {
  return {
    async recordInvocationOutcome(r) {
      await store.recordInvocationOutcome(r);
      recordInvocationMetrics(metrics, r);
    },
    async recordDeadLetter(r) {
      await store.recordDeadLetter(r);
      const labels = metrics.functions.labels(r.spec.namespace, r.spec.name, r.spec.version);
      metrics.deadLetters.inc({ namespace: labels.namespace, function: labels.function });
    },
  };
}
