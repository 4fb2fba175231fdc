// caisson invoke <fn> [payload] and caisson inv get | ls | logs | cancel
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { intFlag } from '../flags.js';
import type { CaissonClient } from '../../client/index.js';
import type { Output } from '../output.js';
import { followInvocationLogs } from './logs.commands.js';

type Ctx = () => { client: CaissonClient; out: Output };
type View = Awaited<ReturnType<CaissonClient['invocations']['get']['query']>>;

/** The payload: JSON (or @file.json), or with --data-raw / --data-file any text, passed as a string. */
async function readPayload(arg: string | undefined, o: { dataRaw?: string; dataFile?: string } = {}): Promise<unknown> {
  const given = [arg !== undefined, o.dataRaw !== undefined, o.dataFile !== undefined].filter(Boolean).length;
  if (given > 1) throw new Error('give the payload once: as JSON, --data-raw or --data-file');
  if (o.dataRaw !== undefined) return o.dataRaw;
  if (o.dataFile !== undefined) return readFile(o.dataFile, 'utf8');
  if (arg === undefined) return null;
  const text = arg.startsWith('@') ? await readFile(arg.slice(1), 'utf8') : arg;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`the payload is not JSON: ${text.slice(0, 80)} (--data-raw sends text as a string)`);
  }
}

function summary(v: View): string {
  const head = `${v.id}  ${v.function} v${v.version}  ${v.status}  attempts ${v.attempts}${v.durationMs != null ? `  ${v.durationMs} ms` : ''}`;
  if (v.status === 'SUCCEEDED') return JSON.stringify(v.result, null, 2);
  if (v.error) {
    const platform = v.error.platform ? `\n--- as its platform reports it ---\n${JSON.stringify(v.error.platform, null, 2)}` : '';
    return `${head}\n${v.error.kind}: ${v.error.message}${platform}${v.error.stderrTail ? `\n--- stderr (tail) ---\n${v.error.stderrTail}` : ''}`;
  }
  return head;
}

/** Who called, as `inv get` prints it (nothing when not recorded). */
function callerLine(v: View): string {
  const c = v.caller;
  if (!c) return '';
  const from = c.address ? ` from ${c.address}` : '';
  return c.kind === 'key' ? `called by key '${c.keyName}' (${c.keyId})${from}\n` : `called anonymously${from}\n`;
}

/** Failed, cancelled or still running after the wait: a non-zero exit code. */
function exitCodeFor(v: View): number {
  return v.status === 'SUCCEEDED' ? 0 : v.status === 'RUNNING' || v.status === 'PENDING' ? 2 : 1;
}

/** `--retry` → true, `--retry 5` → at most 5 attempts, `--no-retry` → false, neither → the default rule. */
function retryOption(value: unknown): boolean | { maxAttempts: number } | undefined {
  return typeof value === 'number' ? { maxAttempts: value } : typeof value === 'boolean' ? value : undefined;
}

export function registerInvokeCommands(program: Command, ctx: Ctx): void {
  program.command('invoke <function> [payload]')
    .description('invoke a function; payload is JSON or @file.json; waits for the result unless --async')
    .option('--version <n>', 'version (default: latest)', intFlag)
    .option('--async', 'print the invocation id and return at once')
    .option('--idempotency-key <key>', 'the same key never runs the function twice')
    .option('--wait <ms>', 'how long to wait for the result', intFlag, 300_000)
    .option('--retry [n]', "retry per the function's policy (a sync invoke runs one attempt unless its policy was set); n: at most n attempts", intFlag)
    .option('--no-retry', 'one attempt, whatever the policy')
    .option('--data-raw <text>', 'the payload is this text, as a JSON string (not parsed)')
    .option('--data-file <path>', "the payload is the file's text, as a JSON string (not parsed)")
    .option('--namespace <ns>', 'namespace', 'default')
    .action(async (fn: string, payloadArg: string | undefined, o) => {
      const { client, out } = ctx();
      const input = {
        namespace: o.namespace, function: fn, version: o.version ?? 'latest', payload: await readPayload(payloadArg, o),
        idempotencyKey: o.idempotencyKey, retry: retryOption(o.retry),
      } as const;
      if (o.async) {
        const r = await client.invocations.start.mutate(input);
        out.print(r.id, r);
        return;
      }
      const v: View = await out.during(`invoking ${fn}`, () => client.invocations.invoke.mutate({ ...input, waitMs: o.wait }));
      out.print(summary(v), v);
      process.exitCode = exitCodeFor(v);
    });

  const inv = program.command('inv').description('inspect invocations');
  inv.command('get <id>').description('status, result, error, attempts, timings').action(async (id: string) => {
    const { client, out } = ctx();
    const v = await client.invocations.get.query({ id });
    out.print(`${summary(v)}\n${callerLine(v)}${v.attemptLog.map((a) => JSON.stringify(a)).join('\n')}`, v);
    process.exitCode = exitCodeFor(v) === 2 ? 0 : exitCodeFor(v);
  });
  inv.command('ls').description('list invocations (newest first)')
    .option('--function <name>', 'only this function')
    .option('--status <status>', 'PENDING, RUNNING, SUCCEEDED, FAILED or CANCELLED')
    .option('--limit <n>', 'how many', intFlag, 20)
    .option('--cursor <cursor>', 'from a previous page')
    .option('--namespace <ns>', 'namespace', 'default')
    .action(async (o) => {
      const { client, out } = ctx();
      const page = await client.invocations.list.query({ namespace: o.namespace, function: o.function, status: o.status, limit: o.limit, cursor: o.cursor });
      const lines = page.items.map((i) => `${i.id}\t${i.function} v${i.version}\t${i.status}\t${i.createdAt}`);
      out.print([...lines, ...(page.nextCursor ? [`(more: --cursor ${page.nextCursor})`] : [])].join('\n') || '(none)', page);
    });
  inv.command('logs <id>').description("the function's stdout and stderr")
    .option('--follow', 'stream them while the invocation runs, until it ends').action(async (id: string, o: { follow?: boolean }) => {
    const { client, out } = ctx();
    if (o.follow) return followInvocationLogs(client, out, id);
    const v = await client.invocations.get.query({ id });
    out.print(`--- stdout ---\n${v.logs.stdout}\n--- stderr ---\n${v.logs.stderr}`, v.logs);
  });
  inv.command('cancel <id>').description('cancel a running invocation').action(async (id: string) => {
    const { client, out } = ctx();
    const v = await client.invocations.cancel.mutate({ id });
    out.print(`${v.id} ${v.status}`, v);
  });
}
