// The database side of the control activities: turns workflow records into rows.
// Upserts keyed by invocation id, so a retried activity writes the same row again.
import type { ControlStore } from './invocation.activities.js';
import type { Repositories } from '../db/index.js';
import { isInline, type PayloadRef } from '../shared/payload-ref.js';
import { countFunctionAttempts } from '../shared/attempt-rules.js';

export function createControlStore(db: Repositories): ControlStore {
  async function text(ref: PayloadRef | undefined): Promise<string | null> {
    if (!ref) return null;
    if (isInline(ref)) return typeof ref.inline === 'string' ? ref.inline : JSON.stringify(ref.inline);
    return (await db.blobs.getJson(ref.ref)) as string | null;
  }

  return {
    async recordInvocationOutcome(r) {
      const endedAt = r.endedAt ? new Date(r.endedAt) : new Date();
      const first = r.attempts[0];
      await db.invocations.complete({
        id: r.invocationId,
        status: r.status,
        result: r.result && isInline(r.result) ? r.result.inline : null,
        resultRef: r.result && !isInline(r.result) ? r.result.ref : null,
        errorKind: r.failure?.kind ?? null,
        errorMessage: r.failure?.message ?? null,
        attempts: countFunctionAttempts(r.attempts),
        attemptLog: r.attempts,
        stdout: await text(r.logs?.stdout),
        stderr: await text(r.logs?.stderr),
        cold: r.cold ?? null,
        startedAt: first ? new Date(first.startedAt) : null,
        endedAt,
        durationMs: endedAt.getTime() - new Date(r.acceptedAt).getTime(),
        ...(r.identity ? { identity: r.identity, acceptedAt: new Date(r.acceptedAt) } : {}),
      });
    },
    async recordDeadLetter(r) {
      await db.deadLetters.record({
        invocationId: r.invocationId,
        namespace: r.spec.namespace,
        functionName: r.spec.name,
        functionId: r.spec.functionId,
        version: r.spec.version,
        input: isInline(r.payload) ? r.payload.inline : null,
        inputRef: isInline(r.payload) ? null : r.payload.ref,
        errors: r.attempts,
        firstAttemptAt: r.attempts[0] ? new Date(r.attempts[0].startedAt) : null,
      });
    },
  };
}
