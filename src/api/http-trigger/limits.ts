// A function's own concurrency limit on its HTTP trigger: maxConcurrency (invocations of the
// function in flight, counted as the namespace quota counts them: its PENDING and RUNNING rows in
// the database, which every api process shares, and what this process admitted and has not
// finished) with a bounded queue. rateLimitPerS: rate-limit.ts.
// As in quota.service.ts, the decision and the reservation take no await in between, so one
// process never overshoots; another process's admissions are seen once their rows are written.
import type { HttpTriggerSettings } from '../../shared/http-trigger.js';

export class TriggerLimitError extends Error {
  override name = 'TriggerLimitError';
  constructor(message: string, readonly retryAfterS: number) {
    super(message);
  }
}

export interface TriggerLimitsDeps {
  /** The function's invocations in flight, from the database. */
  inFlight(namespace: string, name: string): Promise<number>;
  /** How long a request beyond maxConcurrency waits for a slot before its 429. */
  queueWaitMs: number;
  pollMs?: number;
  now?: () => number;
}

export interface Slot {
  release(): void;
}

const NO_SLOT: Slot = { release() {} };

export function createTriggerLimits(deps: TriggerLimitsDeps) {
  const pollMs = deps.pollMs ?? 50;
  const now = deps.now ?? Date.now;
  const active = new Map<string, number>();
  const waiting = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string, by: number) => {
    const n = (m.get(k) ?? 0) + by;
    if (n > 0) m.set(k, n);
    else m.delete(k);
  };

  function hold(key: string): Slot {
    bump(active, key, 1);
    let held = true;
    return { release() { if (held) { held = false; bump(active, key, -1); } } };
  }

  /** A slot of the function's maxConcurrency, after waiting in its queue if need be; 429 when the queue is full or the wait too long. */
  async function acquire(fn: { namespace: string; name: string }, settings: HttpTriggerSettings): Promise<Slot> {
    const max = settings.maxConcurrency;
    if (max === undefined) return NO_SLOT;
    const key = `${fn.namespace}\u0000${fn.name}`;
    const deadline = now() + deps.queueWaitMs;
    let queued = false;
    try {
      for (;;) {
        const counted = await deps.inFlight(fn.namespace, fn.name);
        // Nothing awaits from here to the reservation.
        const used = Math.max(counted, active.get(key) ?? 0);
        if (used < max) return hold(key);
        if (!queued) {
          if ((waiting.get(key) ?? 0) >= settings.maxQueued) {
            throw new TriggerLimitError(`function '${fn.name}' is at its maxConcurrency ${max} and its queue of ${settings.maxQueued} is full`, 1);
          }
          queued = true;
          bump(waiting, key, 1);
        }
        if (now() >= deadline) throw new TriggerLimitError(`function '${fn.name}' is at its maxConcurrency ${max}; waited ${deps.queueWaitMs} ms for a slot`, 1);
        await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(1, deadline - now()))));
      }
    } finally {
      if (queued) bump(waiting, key, -1);
    }
  }

  return { acquire };
}

export type TriggerLimits = ReturnType<typeof createTriggerLimits>;
