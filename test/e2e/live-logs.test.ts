// Live logs on the real stack: `caisson inv logs ID --follow` prints a function's lines while it
// still sleeps (warm and cold), `caisson fn logs NAME --since` across invocations, a function
// printing 100 MB is bounded in the live store and stalls nothing, and the namespace rules of
// invocations.logs and POST /logs/live.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployDir } from '../support/deploy.js';
import { runCli } from '../support/cli.js';
import { waitFor } from '../support/containers.js';

let stack: TestStack;
const LOG_CAP = 64 * 1024;

beforeAll(async () => {
  stack = await startTestStack({ name: 'livelogs', env: { CAISSON_LOG_CAP_BYTES: String(LOG_CAP) } });
  await Promise.all([
    deployDir(stack.client, { name: 'live-warm', runtime: 'python', dir: 'test/fixtures/functions/py-live-logs', timeoutMs: 30_000 }),
    deployDir(stack.client, { name: 'live-cold', runtime: 'python', dir: 'test/fixtures/functions/py-live-logs', timeoutMs: 30_000, fresh: true }),
    deployDir(stack.client, { name: 'flood', runtime: 'python', dir: 'test/fixtures/functions/py-flood', timeoutMs: 60_000, memoryMb: 128 }),
    deployDir(stack.client, { name: 'flood-cold', runtime: 'python', dir: 'test/fixtures/functions/py-flood', timeoutMs: 60_000, memoryMb: 128, fresh: true }),
    deployDir(stack.client, { name: 'hello', runtime: 'python', dir: 'test/fixtures/functions/py-hello-script' }),
  ]);
});

afterAll(async () => {
  await stack?.stop();
});

/** `caisson inv logs ID --follow` as a child process, its stdout and stderr as they arrive. */
function followCli(id: string) {
  const child = spawn(process.execPath, ['bin/caisson.js', '--api', stack.api.url, 'inv', 'logs', id, '--follow'], {
    env: { ...process.env, CAISSON_HOME: stack.config.home, CAISSON_API_KEY: stack.adminKey }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const seen = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (seen.stdout += d));
  child.stderr.on('data', (d) => (seen.stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { seen, exited };
}

describe('caisson inv logs --follow', () => {
  it.each(['live-warm', 'live-cold'])('%s: shows the first line while the function still sleeps, then the rest, and exits', async (fn) => {
    const { id } = await stack.client.invocations.start.mutate({ function: fn, payload: { sleep: 6 } });
    const cli = followCli(id);
    await waitFor('the first line', async () => cli.seen.stdout.includes('live-first'), 60_000);
    // Seen while the invocation runs: it has not printed its second line yet.
    const during = await stack.client.invocations.get.query({ id });
    expect(during.status).toBe('RUNNING');
    expect(cli.seen.stdout).not.toContain('live-second');
    expect(await cli.exited).toBe(0);
    expect(cli.seen.stdout).toContain('live-second');
    expect(cli.seen.stdout.indexOf('live-first')).toBeLessThan(cli.seen.stdout.indexOf('live-second'));
    expect(cli.seen.stderr).toContain('live-err');
    expect((await stack.client.invocations.get.query({ id })).status).toBe('SUCCEEDED');
  });

  it('of an invocation that has ended: its stored logs', async () => {
    const v = await stack.client.invocations.invoke.mutate({ function: 'hello', payload: { name: 'Ended' } });
    const cli = followCli(v.id);
    expect(await cli.exited).toBe(0);
    expect(cli.seen.stdout).toContain('Hello, Ended!');
  });
});

describe('caisson fn logs', () => {
  it('--since prints every recent invocation\'s lines, prefixed with its id', async () => {
    const a = await stack.client.invocations.invoke.mutate({ function: 'live-warm', payload: { sleep: 0 } });
    const b = await stack.client.invocations.invoke.mutate({ function: 'live-warm', payload: { sleep: 0 } });
    const home = stack.config.home;
    const run = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, ['bin/caisson.js', '--api', stack.api.url, 'fn', 'logs', 'live-warm', '--since', '10m'], {
        env: { ...process.env, CAISSON_HOME: home, CAISSON_API_KEY: stack.adminKey }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('exit', (code) => resolve({ code, out, err }));
    });
    expect(run.code).toBe(0);
    for (const v of [a, b]) {
      expect(run.out).toContain(`${v.id} live-first`);
      expect(run.out).toContain(`${v.id} live-second`);
      expect(run.err).toContain(`${v.id} live-err`);
    }
    // Oldest first.
    expect(run.out.indexOf(a.id)).toBeLessThan(run.out.indexOf(b.id));
    // --since in the future: nothing.
    const none = await runCli(['fn', 'logs', 'live-warm', '--since', new Date(Date.now() + 60_000).toISOString()], { apiUrl: stack.api.url, home, apiKey: stack.adminKey });
    expect(none.code).toBe(0);
    expect(none.text).not.toContain('live-first');
  });
});

describe('caisson fn logs --follow', () => {
  it('prints the lines of an invocation started after it, while that invocation runs', async () => {
    const child = spawn(process.execPath, ['bin/caisson.js', '--api', stack.api.url, 'fn', 'logs', 'live-cold', '--since', '1s', '--follow'], {
      env: { ...process.env, CAISSON_HOME: stack.config.home, CAISSON_API_KEY: stack.adminKey }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      await new Promise((r) => setTimeout(r, 1500)); // it lists the function's invocations: none yet
      const { id } = await stack.client.invocations.start.mutate({ function: 'live-cold', payload: { sleep: 5 } });
      await waitFor('the first line', async () => out.includes(`${id} live-first`), 60_000);
      expect((await stack.client.invocations.get.query({ id })).status).toBe('RUNNING');
      await waitFor('the second line', async () => out.includes(`${id} live-second`), 60_000);
      // --follow keeps going after the invocation ended.
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});

describe('bounds', () => {
  // Warm: the runtime server itself caps what it sends; cold: the worker reads all 100 MB off the
  // engine and its tap drops what is past the cap.
  it.each(['flood', 'flood-cold'])('%s printing 100 MB: the live store keeps at most twice the log cap of it, and another invocation runs meanwhile', async (fn) => {
    const { id } = await stack.client.invocations.start.mutate({ function: fn, payload: null });
    const other = await stack.client.invocations.invoke.mutate({ function: 'hello', payload: { name: 'Meanwhile' } });
    expect(other.status).toBe('SUCCEEDED');
    const ended = await stack.client.invocations.wait.query({ id, waitMs: 120_000 });
    expect(ended.status).toBe('SUCCEEDED');
    const live = await stack.client.invocations.logs.query({ id, after: 0 });
    expect(live.source).toBe('live');
    const bytes = live.chunks.reduce((n, c) => n + Buffer.byteLength(c.text), 0);
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(2 * LOG_CAP);
    if (fn === 'flood-cold') expect(live.droppedBytes).toBeGreaterThan(100 * 1024 * 1024 - 2 * LOG_CAP);
    // The record keeps its own capped log, every dropped byte counted.
    const dropped = Number(/…\[truncated (\d+) bytes\]$/.exec(ended.logs.stderr)?.[1]);
    expect(dropped).toBeGreaterThan(100 * 1024 * 1024 - 2 * LOG_CAP);
  });
});

describe('who may read and write live logs', () => {
  it('invocations.logs of another namespace\'s invocation is NOT_FOUND', async () => {
    const { id } = await stack.client.invocations.start.mutate({ function: 'live-warm', payload: { sleep: 2 } });
    const other = await stack.clientWithKey({ namespace: 'elsewhere', role: 'admin' });
    await expect(other.client.invocations.logs.query({ id, after: 0 })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    const mine = await stack.clientWithKey({ namespace: 'default', role: 'reader' });
    await waitFor('a live line', async () => (await mine.client.invocations.logs.query({ id, after: 0 })).chunks.length > 0, 60_000);
    await stack.client.invocations.wait.query({ id, waitMs: 60_000 });
  });

  it('POST /logs/live takes the worker token only, and bounded JSON', async () => {
    const url = `${stack.api.url}/logs/live?invocation=inv_x`;
    const post = (authorization: string, body: string) => fetch(url, { method: 'POST', body, headers: { authorization, 'content-type': 'application/json' } });
    const batch = JSON.stringify({ chunks: [{ stream: 1, text: 'forged' }], droppedBytes: 0, end: false });
    expect((await post(`Bearer ${stack.adminKey}`, batch)).status).toBe(403);
    expect((await post('Bearer nope', batch)).status).toBe(401);
    expect((await post(`Bearer ${stack.api.workerToken}`, '{"chunks": "x"}')).status).toBe(400);
    expect((await post(`Bearer ${stack.api.workerToken}`, 'x'.repeat(3 * 1024 * 1024))).status).toBe(413);
  });
});
