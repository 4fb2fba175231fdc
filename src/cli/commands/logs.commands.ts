// caisson inv logs <id> --follow and caisson fn logs <name> [--since 10m] [--follow]: an
// invocation's stdout and stderr as they are written (invocations.logs, polled), and the logs of
// a function's invocations, each line prefixed with its invocation id.
import type { Command } from 'commander';
import type { CaissonClient } from '../../client/index.js';
import type { Output } from '../output.js';
import { sinceTime } from './audit.commands.js';

type Ctx = () => { client: CaissonClient; out: Output };
type Chunk = { seq: number; stream: 1 | 2; text: string };

const POLL_MS = 250;
const LIST_POLL_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const STREAM = { 1: 'stdout', 2: 'stderr' } as const;

/** Polls one invocation's lines from `after` on; done once it ended and a last poll brought nothing new. */
function logCursor(client: CaissonClient, id: string) {
  let after = 0;
  let endedSeen = false;
  let finished = false;
  let droppedBytes = 0;
  return {
    get finished() { return finished; },
    get droppedBytes() { return droppedBytes; },
    async poll(): Promise<Chunk[]> {
      const r = await client.invocations.logs.query({ id, after });
      after = r.next;
      droppedBytes = r.droppedBytes;
      // One more poll after the end: the worker's last batch may land just after the record.
      if (r.ended && r.chunks.length === 0) finished = endedSeen || r.source === 'record';
      if (r.ended) endedSeen = true;
      return r.chunks;
    },
  };
}

/** Writes lines as they come: raw text to stdout/stderr, or (--json) one JSON object per chunk. */
function chunkWriter(out: Output, prefix?: string) {
  const partial: Record<1 | 2, string> = { 1: '', 2: '' };
  const write = (stream: 1 | 2, text: string) => (stream === 1 ? process.stdout : process.stderr).write(text);
  return {
    write(c: Chunk, invocation?: string) {
      if (out.json) return void process.stdout.write(`${JSON.stringify({ ...(invocation ? { invocation } : {}), seq: c.seq, stream: STREAM[c.stream], text: c.text })}\n`);
      if (!prefix) return void write(c.stream, c.text);
      const lines = (partial[c.stream] + c.text).split('\n');
      partial[c.stream] = lines.pop()!;
      for (const line of lines) write(c.stream, `${prefix} ${line}\n`);
    },
    flush() {
      for (const stream of [1, 2] as const) {
        if (partial[stream] && prefix) write(stream, `${prefix} ${partial[stream]}\n`);
        partial[stream] = '';
      }
    },
  };
}

export async function followInvocationLogs(client: CaissonClient, out: Output, id: string): Promise<void> {
  const cursor = logCursor(client, id);
  const writer = chunkWriter(out);
  while (!cursor.finished) {
    for (const c of await cursor.poll()) writer.write(c);
    if (!cursor.finished) await sleep(POLL_MS);
  }
  if (cursor.droppedBytes > 0 && !out.json) {
    process.stderr.write(`[caisson: ${cursor.droppedBytes} bytes were not streamed live; \`caisson inv logs ${id}\` shows the stored logs]\n`);
  }
}

/** A function's invocations created since `since` (ISO), oldest first. */
async function invocationsSince(client: CaissonClient, o: { name: string; namespace?: string; since: string }): Promise<{ id: string }[]> {
  const found: { id: string }[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await client.invocations.list.query({ namespace: o.namespace, function: o.name, limit: 200, cursor });
    const recent = page.items.filter((i) => new Date(String(i.createdAt)).toISOString() >= o.since);
    found.push(...recent.map((i) => ({ id: i.id })));
    if (recent.length < page.items.length || !page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return found.reverse();
}

export function registerFnLogs(fn: Command, ctx: Ctx): void {
  fn.command('logs <name>')
    .description("the stdout and stderr of a function's invocations, each line prefixed with its invocation id")
    .option('--since <time>', 'ISO time, or an age: 30s, 10m, 2h, 1d', '1h')
    .option('--follow', 'keep printing new lines and invocations until interrupted')
    .option('--namespace <ns>', 'namespace (default: default)')
    .action(async (name: string, o: { since: string; follow?: boolean; namespace?: string }) => {
      const { client, out } = ctx();
      const since = sinceTime(o.since);
      const cursors = new Map<string, { cursor: ReturnType<typeof logCursor>; writer: ReturnType<typeof chunkWriter> }>();
      let listedAt = 0;
      for (;;) {
        if (Date.now() - listedAt >= LIST_POLL_MS) {
          listedAt = Date.now();
          for (const { id } of await invocationsSince(client, { name, namespace: o.namespace, since })) {
            if (!cursors.has(id)) cursors.set(id, { cursor: logCursor(client, id), writer: chunkWriter(out, id) });
          }
        }
        for (const [id, { cursor, writer }] of cursors) {
          if (cursor.finished) continue;
          for (const c of await cursor.poll()) writer.write(c, id);
          if (cursor.finished) writer.flush();
        }
        if (!o.follow && [...cursors.values()].every((c) => c.cursor.finished)) break;
        await sleep(POLL_MS);
      }
    });
}
