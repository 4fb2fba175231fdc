// A function's output is kept as its platform keeps it, on the warm and the fresh path alike:
// lines printed before a timeout reach the log, and 12 MB of logging succeeds with the log
// capped and the truncation counting every dropped byte (capture does not use the function's memory).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployFixture } from '../support/conventions.js';

const LOG_CAP = 1024 * 1024;
let stack: TestStack;

const paths = ['warm', 'fresh'] as const;
const runtimes = [
  { runtime: 'python', heavy: 'py-heavy-log', timeout: 'py-print-timeout', oom: 'py-print-oom' },
  { runtime: 'node', heavy: 'node-heavy-log', timeout: 'node-print-timeout', oom: 'node-print-oom' },
] as const;
const cases = paths.flatMap((isolation) => runtimes.map((r) => ({ ...r, isolation })));

beforeAll(async () => {
  stack = await startTestStack({ name: 'conform-output' });
  const root = 'test/fixtures/conformance';
  await Promise.all(cases.flatMap((c) => [
    deployFixture(stack.client, { dir: c.heavy, name: `${c.heavy}-${c.isolation}`, runtime: c.runtime, convention: 'lambda', warm: { isolation: c.isolation }, root, timeoutMs: 30_000 }),
    ...(c.runtime === 'node' ? [deployFixture(stack.client, { dir: 'node-heavy-console', name: `node-heavy-console-${c.isolation}`, runtime: 'node', convention: 'lambda', warm: { isolation: c.isolation }, root, timeoutMs: 30_000 })] : []),
    deployFixture(stack.client, { dir: c.timeout, name: `${c.timeout}-${c.isolation}`, runtime: c.runtime, convention: 'lambda', warm: { isolation: c.isolation }, root, timeoutMs: 1500 }),
    deployFixture(stack.client, { dir: c.oom, name: `${c.oom}-${c.isolation}`, runtime: c.runtime, convention: 'lambda', warm: { isolation: c.isolation }, root, timeoutMs: 20_000 }),
  ]));
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

describe.each(cases)('$runtime, $isolation path', (c) => {
  it('keeps the lines printed before a timeout', async () => {
    const r = await stack.client.invocations.invoke.mutate({ function: `${c.timeout}-${c.isolation}`, payload: {}, waitMs: 60_000 });
    expect(r).toMatchObject({ status: 'FAILED', error: { kind: 'FunctionTimeout' } });
    expect(r.logs.stdout).toContain('printed before the timeout');
  });

  it('keeps the lines printed before an OOM kill', async () => {
    const r = await stack.client.invocations.invoke.mutate({ function: `${c.oom}-${c.isolation}`, payload: {}, waitMs: 60_000 });
    expect(r).toMatchObject({ status: 'FAILED', error: { kind: 'FunctionOOM' } });
    expect(r.logs.stdout).toContain('printed before the OOM kill');
  });

  it('logs 12 MB with 128 MB of memory: succeeds, the log capped, every dropped byte counted', async () => {
    const r = await stack.client.invocations.invoke.mutate({ function: `${c.heavy}-${c.isolation}`, payload: { mb: 12 }, waitMs: 120_000 });
    expect(r.error).toBeUndefined();
    const lines = (r.result as { lines: number }).lines;
    const written = lines * 100;
    const m = /\n…\[truncated (\d+) bytes\]$/.exec(r.logs.stdout);
    expect(m, `log ends: ${JSON.stringify(r.logs.stdout.slice(-120))} (${r.logs.stdout.length} chars)`).not.toBeNull();
    const kept = Buffer.byteLength(r.logs.stdout.slice(0, m!.index));
    expect(kept).toBe(LOG_CAP);
    expect(kept + Number(m![1])).toBe(written);
  });

  it.runIf(c.runtime === 'node')('logs 12 MB through console.log (Lambda\'s line format) as well', async () => {
    const r = await stack.client.invocations.invoke.mutate({ function: `node-heavy-console-${c.isolation}`, payload: { mb: 12 }, waitMs: 120_000 });
    expect(r.error).toBeUndefined();
    const { lines, requestId } = r.result as { lines: number; requestId: string };
    const lineBytes = '2026-01-01T00:00:00.000Z'.length + 1 + requestId.length + '\tINFO\t'.length + 99 + 1;
    const m = /\n…\[truncated (\d+) bytes\]$/.exec(r.logs.stdout);
    expect(m).not.toBeNull();
    expect(Buffer.byteLength(r.logs.stdout.slice(0, m!.index)) + Number(m![1])).toBe(lines * lineBytes);
  });
});
