// Live logs: a running attempt's stdout and stderr forwarded to the api in small batches while
// it runs, so `caisson inv logs ID --follow` shows them before the invocation ends. Bounded on
// every side, because the bytes are the function's: at most capBytes forwarded per attempt, at
// most maxPendingBytes waiting, one request in flight; the rest is counted and dropped (the
// invocation's record keeps its capped logs whatever happens here). Nothing is awaited by the
// attempt: a slow or absent api costs it nothing. An attempt that ends before its first batch was
// due sends nothing at all (its record has it all by the time anyone reads): warm invokes of a few
// milliseconds make no request.
import { StringDecoder } from 'node:string_decoder';

export interface LiveLogChunk { stream: 1 | 2; text: string }

export interface LiveLogBatch {
  chunks: LiveLogChunk[];
  /** Bytes this attempt dropped since the last batch (over its cap, or while the api was slow). */
  droppedBytes: number;
  /** The attempt's last batch. */
  end: boolean;
}

export type LiveLogSink = (invocationId: string, batch: LiveLogBatch) => Promise<void>;

export interface LiveLogTap {
  push(stream: 1 | 2, chunk: Buffer): void;
  /** Sends what is left, marked as the attempt's end. */
  end(): void;
}

export interface LiveLogTapOptions {
  sink: LiveLogSink;
  invocationId: string;
  capBytes: number;
  flushMs?: number;
  maxPendingBytes?: number;
}

export function createLiveLogTap(opts: LiveLogTapOptions): LiveLogTap {
  const flushMs = opts.flushMs ?? 200;
  const maxPending = opts.maxPendingBytes ?? 256 * 1024;
  // One decoder per stream: a UTF-8 character cut between two chunks is not mangled.
  const decoders = { 1: new StringDecoder('utf8'), 2: new StringDecoder('utf8') };
  let pending: LiveLogChunk[] = [];
  let pendingBytes = 0;
  let taken = 0;
  let dropped = 0;
  let inFlight = false;
  let ending = false;
  let ended = false;
  let sentAny = false;
  let timer: NodeJS.Timeout | undefined;

  function schedule(): void {
    timer ??= setTimeout(flush, flushMs).unref();
  }

  function flush(): void {
    timer = undefined;
    if (inFlight || ended) return;
    if (pending.length === 0 && dropped === 0 && !ending) return;
    const batch: LiveLogBatch = { chunks: pending, droppedBytes: dropped, end: ending };
    pending = [];
    pendingBytes = 0;
    dropped = 0;
    if (ending) ended = true;
    inFlight = true;
    sentAny = true;
    opts.sink(opts.invocationId, batch).catch(() => undefined).finally(() => {
      inFlight = false;
      if (pending.length > 0 || dropped > 0 || (ending && !ended)) schedule();
    });
  }

  return {
    push(stream, chunk) {
      if (ending) return;
      const room = Math.min(opts.capBytes - taken, maxPending - pendingBytes);
      const part = room >= chunk.length ? chunk : chunk.subarray(0, Math.max(0, room));
      dropped += chunk.length - part.length;
      if (part.length > 0) {
        taken += part.length;
        pendingBytes += part.length;
        const text = decoders[stream].write(part);
        const last = pending.at(-1);
        if (last?.stream === stream) last.text += text;
        else if (text) pending.push({ stream, text });
      }
      schedule();
    },
    end() {
      if (ending) return;
      for (const stream of [1, 2] as const) {
        const rest = decoders[stream].end();
        if (rest) pending.push({ stream, text: rest });
      }
      ending = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (!sentAny) {
        ended = true;
        pending = [];
        return;
      }
      flush();
    },
  };
}
