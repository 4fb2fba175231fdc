// The api's store of live logs: what workers forward of running attempts' output (POST
// /logs/live, worker token), read by invocations.logs while the invocation runs. In memory and
// bounded: maxBytesPerInvocation per invocation (later bytes counted as dropped), maxTotalBytes in
// all (the oldest invocation's lines go first), and each invocation's lines kept keepMs after its
// last one. The invocation's record keeps its capped logs for good; this is only the running view.
import { z } from 'zod';

export interface LiveChunk { seq: number; stream: 1 | 2; text: string; at: string }

interface Entry { chunks: LiveChunk[]; bytes: number; seq: number; droppedBytes: number; updatedAt: number }

export const LiveLogBatchSchema = z.object({
  chunks: z.array(z.object({ stream: z.union([z.literal(1), z.literal(2)]), text: z.string() })).max(10_000),
  droppedBytes: z.number().int().nonnegative(),
  end: z.boolean(),
});

export interface LiveLogRead { chunks: LiveChunk[]; next: number; droppedBytes: number }

export interface LiveLogStore {
  append(invocationId: string, batch: z.infer<typeof LiveLogBatchSchema>): void;
  /** Lines after `after` (a seq), at most `limit`; undefined when none were ever kept for it. */
  read(invocationId: string, after: number, limit?: number): LiveLogRead | undefined;
  stop(): void;
}

export function createLiveLogStore(opts: { maxBytesPerInvocation: number; maxTotalBytes: number; keepMs: number }): LiveLogStore {
  const entries = new Map<string, Entry>();
  let total = 0;
  const drop = (id: string) => {
    const e = entries.get(id);
    if (!e) return;
    total -= e.bytes;
    entries.delete(id);
  };
  const sweep = setInterval(() => {
    const before = Date.now() - opts.keepMs;
    for (const [id, e] of entries) if (e.updatedAt < before) drop(id);
  }, Math.min(60_000, opts.keepMs)).unref();
  return {
    append(invocationId, batch) {
      let e = entries.get(invocationId);
      if (!e) entries.set(invocationId, (e = { chunks: [], bytes: 0, seq: 0, droppedBytes: 0, updatedAt: 0 }));
      // Map order is insertion order: moved to the end, an active invocation is evicted last.
      entries.delete(invocationId);
      entries.set(invocationId, e);
      e.updatedAt = Date.now();
      e.droppedBytes += batch.droppedBytes;
      const at = new Date(e.updatedAt).toISOString();
      for (const c of batch.chunks) {
        const size = Buffer.byteLength(c.text);
        if (e.bytes + size > opts.maxBytesPerInvocation) {
          e.droppedBytes += size;
          continue;
        }
        e.chunks.push({ seq: ++e.seq, stream: c.stream, text: c.text, at });
        e.bytes += size;
        total += size;
      }
      for (const id of entries.keys()) {
        if (total <= opts.maxTotalBytes || id === invocationId) break;
        drop(id);
      }
    },
    read(invocationId, after, limit = 1000) {
      const e = entries.get(invocationId);
      if (!e) return undefined;
      const chunks = e.chunks.filter((c) => c.seq > after).slice(0, limit);
      return { chunks, next: chunks.at(-1)?.seq ?? after, droppedBytes: e.droppedBytes };
    },
    stop: () => clearInterval(sweep),
  };
}
