// The HTTP trigger flags of `caisson fn deploy`: --http private|public, --max-concurrency N,
// --http-max-queued N, --rate-limit R[/s]. Only what is given is sent (the rest is inherited).
import { InvalidArgumentError, type Command } from 'commander';
import { intFlag } from './flags.js';

export function httpTriggerOptions(command: Command): Command {
  return command
    .option('--http <access>', 'who may call /function/<name>: private (default: a key that may invoke) or public (anyone)')
    .option('--max-concurrency <n>', 'at most this many invocations at once through the function URL (more wait, then 429); off: no limit', offOr(intFlag))
    .option('--http-max-queued <n>', 'requests that may wait beyond --max-concurrency before a 429 (default 32)', intFlag)
    .option('--rate-limit <r>', 'public functions: requests per second per client address, e.g. 10/s; off: no limit', offOr(rateFlag));
}

/** `off` (sent as null: the limit is cleared) or a parsed value; commander would turn a null into ''. */
function offOr(parse: (v: string) => number): (v: string) => number | 'off' {
  return (v) => (v === 'off' ? 'off' : parse(v));
}

export function rateFlag(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(value.trim());
  if (!m || Number(m[1]) <= 0) throw new InvalidArgumentError('a rate such as 10/s');
  return Number(m[1]);
}

const orNull = (v: number | 'off' | undefined) => (v === 'off' ? null : v);

export function httpTriggerInput(o: { http?: string; maxConcurrency?: number | 'off'; httpMaxQueued?: number; rateLimit?: number | 'off' }) {
  if (o.http !== undefined && o.http !== 'private' && o.http !== 'public') throw new Error(`--http takes private or public, got '${o.http}'`);
  const http = Object.fromEntries(Object.entries({
    access: o.http as 'private' | 'public' | undefined, maxConcurrency: orNull(o.maxConcurrency), maxQueued: o.httpMaxQueued, rateLimitPerS: orNull(o.rateLimit),
  }).filter(([, v]) => v !== undefined));
  return Object.keys(http).length > 0 ? { http } : {};
}
