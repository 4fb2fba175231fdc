// A transport over several api processes (the production topology runs two or more behind one key
// store and database): each request goes to the api that answered last; when it cannot be reached
// the request moves to the next one. An answer, whatever its status, is never retried here.
// Which failures are retried is deliberate:
// - nothing delivered (connection refused, host unreachable): always, queries and mutations alike;
// - the connection dropped after the request went out (the api died mid-request): queries always;
//   mutations only with `retryDroppedMutations`, for callers whose mutations are idempotent (every
//   invoke/start carries an idempotencyKey: the retry then attaches to the run the first request
//   started, or starts it if it never did, so a drop can neither lose nor double an invocation).
import { createHttpTransport, type HttpTransport, type TransportInit, type TransportResponse } from './http-transport.js';

export interface FailoverTransportOptions {
  /** The apis' base URLs, e.g. ['http://10.0.0.1:3000', 'http://10.0.0.2:3000']. */
  urls: string[];
  ca?: string | Uint8Array;
  retryDroppedMutations?: boolean;
  /** Rounds over every url before giving up (default 5; 0.5 s, 1 s, 2 s… between rounds). */
  rounds?: number;
}

const NOT_DELIVERED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const DROPPED = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET']);

/** Whether a failed send may go to the next api (see the header for why each case is safe). */
export function mayRetry(err: unknown, opts: { mutation: boolean; retryDroppedMutations: boolean }): boolean {
  const e = err as NodeJS.ErrnoException | undefined;
  const code = e?.code ?? (e?.message === 'socket hang up' ? 'ECONNRESET' : undefined);
  if (code && NOT_DELIVERED.has(code)) return true;
  if (code && DROPPED.has(code)) return !opts.mutation || opts.retryDroppedMutations;
  return false;
}

export function createFailoverTransport(opts: FailoverTransportOptions): HttpTransport {
  if (opts.urls.length === 0) throw new TypeError('createFailoverTransport: urls is empty');
  const bases = opts.urls.map((u) => new URL(u));
  const inner = createHttpTransport({ ca: opts.ca });
  const rounds = opts.rounds ?? 5;
  let current = 0;
  async function send(url: string | URL, init: TransportInit = {}): Promise<TransportResponse> {
    const mutation = (init.method ?? 'GET').toUpperCase() !== 'GET';
    let lastError: unknown;
    for (let tried = 0; tried < rounds * bases.length; tried++) {
      if (tried > 0 && tried % bases.length === 0) await new Promise((r) => setTimeout(r, 500 * 2 ** (tried / bases.length - 1)));
      const index = current;
      const target = new URL(url);
      target.protocol = bases[index]!.protocol;
      target.host = bases[index]!.host;
      try {
        return await inner.fetch(target, init);
      } catch (err) {
        if ((init.signal as { aborted?: boolean } | null | undefined)?.aborted || !mayRetry(err, { mutation, retryDroppedMutations: opts.retryDroppedMutations ?? false })) throw err;
        lastError = err;
        if (current === index) current = (index + 1) % bases.length;
      }
    }
    throw lastError;
  }
  return { fetch: send, close: () => inner.close() };
}
