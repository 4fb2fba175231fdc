// A public function's `rateLimitPerS` per client address, one limit for every api process: the
// bucket lives in the shared database (trigger-rate.repository.ts), one statement per call. In
// front of it, each process remembers only refusals: a client the database refused holds less
// than one token, and other processes can only take tokens, never add them, so refusing it here
// until its bucket could hold one again lets nothing through the database would not. A flood
// from one address then costs the database one statement per process per refill, not per request.
import type { TakeTokenInput, TakeTokenResult } from '../../db/index.js';
import type { HttpTriggerSettings } from '../../shared/http-trigger.js';
import { TriggerLimitError } from './limits.js';

export interface TriggerRateLimitDeps {
  takeToken(input: TakeTokenInput): Promise<TakeTokenResult>;
  /** Deletes a function's rows whose bucket is full again (when it holds maxClients). */
  sweepFull(fn: { namespace: string; functionName: string }): Promise<number>;
  /** Client rows one function may hold at once (CAISSON_TRIGGER_RATE_CLIENTS). */
  maxClients: number;
  now?: () => number;
}

/** Refusals remembered per process; past it the memory is dropped (which only costs queries). */
const MAX_REMEMBERED = 10_000;
/** A function at maxClients sweeps its full rows at most this often per process. */
const SWEEP_EVERY_MS = 1000;

export function createTriggerRateLimit(deps: TriggerRateLimitDeps) {
  const now = deps.now ?? Date.now;
  const refusedUntil = new Map<string, number>();
  const sweptAt = new Map<string, number>();

  function remember(key: string, until: number): void {
    if (refusedUntil.size >= MAX_REMEMBERED) {
      const t = now();
      for (const [k, u] of refusedUntil) if (u <= t) refusedUntil.delete(k);
      if (refusedUntil.size >= MAX_REMEMBERED) refusedUntil.clear();
    }
    refusedUntil.set(key, until);
  }

  /** Sweeps the function's full rows once a second at most; whether it did. */
  async function sweepOnce(input: TakeTokenInput): Promise<boolean> {
    const fnKey = `${input.namespace}\u0000${input.functionName}`;
    const t = now();
    if ((sweptAt.get(fnKey) ?? -Infinity) > t - SWEEP_EVERY_MS) return false;
    if (sweptAt.size >= MAX_REMEMBERED) sweptAt.clear();
    sweptAt.set(fnKey, t);
    return (await deps.sweepFull({ namespace: input.namespace, functionName: input.functionName })) > 0;
  }

  /** Takes one of the client's tokens, or throws TriggerLimitError (429 + Retry-After). */
  async function checkRate(fn: { namespace: string; name: string }, settings: HttpTriggerSettings, client: string): Promise<void> {
    const perS = settings.rateLimitPerS;
    if (perS === undefined || settings.access !== 'public') return;
    const key = `${fn.namespace}\u0000${fn.name}\u0000${client}`;
    const until = refusedUntil.get(key);
    if (until !== undefined) {
      if (until > now()) throw rateError(fn.name, perS, (until - now()) / 1000);
      refusedUntil.delete(key);
    }
    const input: TakeTokenInput = { namespace: fn.namespace, functionName: fn.name, client, perS, maxClients: deps.maxClients };
    let result = await deps.takeToken(input);
    if (!result.allowed && result.reason === 'clients' && (await sweepOnce(input))) result = await deps.takeToken(input);
    if (result.allowed) return;
    if (result.reason === 'clients') {
      throw new TriggerLimitError(`function '${fn.name}' is rate limiting ${deps.maxClients} client addresses already; try again shortly`, 1);
    }
    remember(key, now() + result.waitS * 1000);
    throw rateError(fn.name, perS, result.waitS);
  }

  return { checkRate };
}

/** Deletes every full bucket every everyMs (a minute): functions no flood pushes to maxClients keep none for long. Returns stop(). */
export function startRateSweep(deps: { sweepFull(): Promise<number>; everyMs?: number; log?: (m: string) => void }): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    deps.sweepFull().catch((err: Error) => deps.log?.(`http triggers: rate limit sweep failed: ${err.message}`)).finally(() => { running = false; });
  }, deps.everyMs ?? 60_000);
  timer.unref();
  return () => clearInterval(timer);
}

function rateError(name: string, perS: number, waitS: number): TriggerLimitError {
  return new TriggerLimitError(`function '${name}' takes at most ${perS} requests a second from one client`, Math.max(1, Math.ceil(waitS)));
}

export type TriggerRateLimit = ReturnType<typeof createTriggerRateLimit>;
