// The audit trail's writer. Every mutation procedure is recorded by procedures.ts (who: the
// key's id and name at the time; what: an action and its target's name or id; where; when;
// how it ended), never a payload, code, env or secret value. Events are queued in memory and
// written in one batch every flushMs (~100 ms), so an invocation's hot path only pushes onto
// an array. The queue is bounded: past maxQueued, new events are dropped and counted (the
// next flush logs how many). What a crash loses: the events of its last flushMs, and those a
// failed write held (a write that fails is retried once with the next batch, then dropped).
import { randomBytes } from 'node:crypto';
import type { AuditEventRow, Repositories } from '../db/index.js';

export interface AuditEvent {
  keyId: string;
  keyName: string;
  namespace: string;
  /** e.g. function.deploy, function.delete, chain.create, invoke, key.create, key.revoke, secret.create, secret.rm, schedule.create, schedule.fire */
  action: string;
  /** The name or id acted on; never a value. */
  target: string;
  /** 'ok', or the tRPC code the call ended with (FORBIDDEN, TOO_MANY_REQUESTS, …). */
  outcome: string;
}

export interface AuditLog {
  record(event: AuditEvent): void;
  /** Writes what is queued now (tests, shutdown). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

const FIELD_MAX = 200;
const clip = (s: string) => (s.length > FIELD_MAX ? `${s.slice(0, FIELD_MAX - 1)}…` : s);

let sequence = 0;
/** Time-ordered ids: `aud_` + ms (hex) + a per-process counter + random bits. */
function eventId(at: Date): string {
  sequence = (sequence + 1) % 0x1000000;
  return `aud_${at.getTime().toString(16).padStart(12, '0')}${sequence.toString(16).padStart(6, '0')}${randomBytes(4).toString('hex')}`;
}

export function createAuditLog(deps: {
  db: Pick<Repositories, 'audit'>;
  flushMs?: number;
  maxQueued?: number;
  log?: (message: string) => void;
}): AuditLog {
  const flushMs = deps.flushMs ?? 100;
  const maxQueued = deps.maxQueued ?? 10_000;
  const log = deps.log ?? (() => {});
  let queue: AuditEventRow[] = [];
  let retry: AuditEventRow[] = [];
  let dropped = 0;
  let writing: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  async function write(): Promise<void> {
    timer = undefined;
    const batch = [...retry, ...queue];
    const again = queue;
    queue = [];
    retry = [];
    if (dropped > 0) {
      log(`audit: ${dropped} event(s) dropped (more than ${maxQueued} queued)`);
      dropped = 0;
    }
    try {
      await deps.db.audit.append(batch);
    } catch (err) {
      // Written once more with the next batch (the ids make a double write harmless), then dropped.
      retry = again;
      log(`audit: could not write ${batch.length} event(s): ${(err as Error).message}`);
    }
  }

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    writing = writing.then(write);
    return writing;
  }

  return {
    record(event) {
      if (queue.length >= maxQueued) {
        dropped++;
        return;
      }
      const at = new Date();
      queue.push({
        id: eventId(at), at, keyId: event.keyId, keyName: clip(event.keyName), namespace: clip(event.namespace),
        action: clip(event.action), target: clip(event.target), outcome: clip(event.outcome),
      });
      if (!timer) {
        timer = setTimeout(() => void flush(), flushMs);
        timer.unref();
      }
    },
    flush,
    async stop() {
      await flush();
      if (retry.length > 0) await flush();
    },
  };
}

/** The action recorded for a mutation procedure's path; a path not listed is recorded as itself. */
export const AUDIT_ACTIONS: Record<string, string> = {
  'functions.create': 'function.create',
  'functions.update': 'function.update',
  'functions.deploy': 'function.deploy',
  'functions.delete': 'function.delete',
  'invocations.invoke': 'invoke',
  'invocations.start': 'invoke',
  'invocations.cancel': 'invocation.cancel',
  'chains.create': 'chain.create',
  'chains.update': 'chain.update',
  'chains.delete': 'chain.delete',
  'chains.invoke': 'chain.invoke',
  'chains.start': 'chain.invoke',
  'chains.resume': 'chain.resume',
  'deadLetters.replay': 'deadletter.replay',
  'deadLetters.delete': 'deadletter.delete',
  'keys.create': 'key.create',
  'keys.revoke': 'key.revoke',
  'secrets.create': 'secret.create',
  'secrets.set': 'secret.create',
  'secrets.update': 'secret.update',
  'secrets.delete': 'secret.rm',
  'secrets.rm': 'secret.rm',
  'namespace.setQuota': 'quota.set',
  'schedules.create': 'schedule.create',
  'schedules.update': 'schedule.update',
  'schedules.delete': 'schedule.rm',
  'schedules.pause': 'schedule.pause',
  'schedules.resume': 'schedule.resume',
  'schedules.trigger': 'schedule.trigger',
};

/**
 * The target and namespace of a mutation, from its raw input: only short strings are read
 * (`function`, `name`, `definition.name`, `id`, else `namespace`); nothing else of the input is ever kept.
 */
export function auditSubject(rawInput: unknown): { target: string; namespace?: string; byId: boolean } {
  const input = (typeof rawInput === 'object' && rawInput !== null ? rawInput : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
  const definition = (typeof input.definition === 'object' && input.definition !== null ? input.definition : {}) as Record<string, unknown>;
  // A call on the namespace itself (namespace.setQuota) names only the namespace.
  const target = str(input.function) ?? str(input.name) ?? str(definition.name) ?? str(input.id) ?? str(input.namespace) ?? '';
  return { target, namespace: str(input.namespace), byId: target !== '' && target === str(input.id) };
}

/** Deletes events older than `days` at start and every `everyMs` (hourly); days 0 keeps them. Returns stop(). */
export function startAuditRetention(deps: { db: Pick<Repositories, 'audit'>; days: number; everyMs?: number; log?: (m: string) => void }): () => void {
  if (deps.days <= 0) return () => {};
  const sweep = () => {
    deps.db.audit.deleteBefore(new Date(Date.now() - deps.days * 86_400_000)).then(
      (n) => n > 0 && deps.log?.(`audit: deleted ${n} event(s) older than ${deps.days} days`),
      (err: Error) => deps.log?.(`audit: retention sweep failed: ${err.message}`),
    );
  };
  sweep();
  const timer = setInterval(sweep, deps.everyMs ?? 3_600_000);
  timer.unref();
  return () => clearInterval(timer);
}
