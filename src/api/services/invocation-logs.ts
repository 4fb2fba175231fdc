// invocations.logs: an invocation's output as a stream of numbered lines. While it runs: what
// its worker forwarded so far (live-logs.ts), from `after` on. Once it ended with nothing live
// kept here (an api restarted since, or lines older than the store keeps): its record's logs.
import type { ApiContext } from '../context.js';

const ENDED = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export interface InvocationLogs {
  id: string;
  status: string;
  ended: boolean;
  /** live: forwarded while it ran (may lack droppedBytes of it); record: its stored, capped logs. */
  source: 'live' | 'record';
  chunks: { seq: number; stream: 1 | 2; text: string }[];
  /** Pass as `after` to get the next lines. */
  next: number;
  droppedBytes: number;
}

export async function readInvocationLogs(ctx: Pick<ApiContext, 'db' | 'invocations' | 'liveLogs'>, input: { id: string; after: number }): Promise<InvocationLogs> {
  const { id, after } = input;
  // The row, else the run (invocations.get answers NOT_FOUND for neither).
  const status = (await ctx.db.invocations.ownerOf(id))?.status ?? (await ctx.invocations.get(id)).status;
  const ended = ENDED.has(status);
  const live = ctx.liveLogs?.read(id, after);
  if (live || !ended) {
    return { id, status, ended, source: 'live', chunks: live?.chunks ?? [], next: live?.next ?? after, droppedBytes: live?.droppedBytes ?? 0 };
  }
  const { logs } = await ctx.invocations.get(id);
  const chunks = after > 0 ? [] : [{ seq: 1, stream: 1 as const, text: logs.stdout }, { seq: 2, stream: 2 as const, text: logs.stderr }].filter((c) => c.text);
  return { id, status, ended, source: 'record', chunks, next: Math.max(after, 2), droppedBytes: 0 };
}
