// `caisson fn deploy` prints the build's output while the build runs: the worker forwards the
// build container's lines to the api (POST /deployments/<id>/log, worker token), the CLI reads
// them (functions.buildLog) and prints each before the step's end and the deploy's answer.
// The fixture's npm postinstall prints a line, an escape sequence, a 5000-character line,
// sleeps 3 s, and prints another: the first must arrive while the build still runs.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import { packCode } from '../../src/cli/code-package.js';
import { createDockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const FIXTURE = 'test/fixtures/functions/node-build-log';
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ name: 'buildlog' });
});

afterAll(async () => {
  await stack?.stop();
  const left = await createDockerRuntime({}).listManaged({ 'caisson.worker': stack.workerId });
  expect(left.map((c) => c.name)).toEqual([]);
});

interface Line { at: number; stream: 'stdout' | 'stderr'; text: string }

/** The CLI as a person runs it (no --json): every output line with when it arrived. */
function deployWithCli(name: string): Promise<{ code: number | null; lines: Line[] }> {
  const child = spawn(process.execPath, ['bin/caisson.js', '--api', stack.api.url, 'fn', 'deploy', FIXTURE, '--name', name, '--runtime', 'node'], {
    env: { ...process.env, CAISSON_HOME: stack.config.home, CAISSON_API_KEY: stack.adminKey }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Line[] = [];
  const collect = (stream: Line['stream']) => {
    let partial = '';
    return (chunk: Buffer) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      for (const text of parts) lines.push({ at: performance.now(), stream, text });
    };
  };
  child.stdout.on('data', collect('stdout'));
  child.stderr.on('data', collect('stderr'));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, lines })));
}

function codeOf(err: unknown): string | undefined {
  return err instanceof TRPCClientError ? (err.data as { code?: string } | undefined)?.code : undefined;
}

describe('build output during fn deploy', () => {
  it('prints the build lines as they come, before the build step ends and before the answer', async () => {
    const { code, lines } = await deployWithCli('buildlog-cli');
    const all = lines.map((l) => l.text).join('\n');
    expect(code, all).toBe(0);
    const index = (match: (l: Line) => boolean, what: string) => {
      const i = lines.findIndex(match);
      expect(i, `${what} in:\n${all}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    const running = index((l) => l.text === '  build: running', 'build: running');
    const one = index((l) => l.text === '  | BUILD-LINE-ONE', 'the first line');
    const color = index((l) => l.text === '  | COLOR-RED-END', 'the escape sequence and BEL taken out');
    const long = index((l) => l.text.startsWith('  | LLLL'), 'the long line');
    const two = index((l) => l.text === '  | BUILD-LINE-TWO', 'the line after the sleep');
    const built = index((l) => l.text.startsWith('  build: succeeded (npm install'), 'build: succeeded');
    const answer = index((l) => l.stream === 'stdout' && l.text.startsWith('deployed buildlog-cli version 1'), 'the answer');
    expect([running, one, color, long, two, built]).toEqual([...[running, one, color, long, two, built]].sort((a, b) => a - b));
    expect(new Set([running, one, color, long, two, built]).size).toBe(6);
    // Different streams: ordered by arrival.
    expect(lines[answer]!.at).toBeGreaterThanOrEqual(lines[built]!.at);
    // Streamed, not printed at the end: the build sleeps 3 s between the two lines.
    expect(lines[two]!.at - lines[one]!.at).toBeGreaterThan(1500);
    expect(lines[long]!.text).toBe(`  | ${'L'.repeat(1000)}… (4000 more characters)`);
    // No escape sequence or control byte reached the terminal.
    expect([...all].filter((c) => (c < ' ' && c !== '\n') || c === '\x7f')).toEqual([]);
  });

  it('answers the lines to keys that may deploy in the namespace only; workers alone write them', async () => {
    const packed = await packCode(`${process.cwd()}/${FIXTURE}`);
    // Another namespace: the first test's build (same source) is not reused, so this one runs and prints.
    const { deploymentId } = await stack.client.functions.deploy.mutate({ namespace: 'logs-ns', name: 'buildlog-api', runtime: 'node', code: packed.code });
    const done = await stack.client.functions.deployment.query({ id: deploymentId, waitMs: 60_000 });
    expect(done.status).toBe('SUCCEEDED');
    const page = await stack.client.functions.buildLog.query({ id: deploymentId });
    expect(page.lines).toContain('BUILD-LINE-ONE');
    expect(page.lines.indexOf('BUILD-LINE-TWO')).toBeGreaterThan(page.lines.indexOf('BUILD-LINE-ONE'));
    expect(page).toMatchObject({ next: page.lines.length, dropped: 0 });
    const rest = await stack.client.functions.buildLog.query({ id: deploymentId, after: page.next });
    expect(rest.lines).toEqual([]);

    const other = await stack.clientWithKey({ namespace: 'default', role: 'admin' });
    const otherCode = await other.client.functions.buildLog.query({ id: deploymentId }).then(() => 'answered', codeOf);
    expect(['FORBIDDEN', 'NOT_FOUND']).toContain(otherCode);
    const reader = await stack.clientWithKey({ namespace: 'logs-ns', role: 'reader' });
    expect(await reader.client.functions.buildLog.query({ id: deploymentId }).then(() => 'answered', codeOf)).toBe('FORBIDDEN');

    const post = (token: string, body: unknown, id = deploymentId) => fetch(`${stack.api.url}/deployments/${id}/log`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    }).then((r) => r.status);
    const batch = { attempt: 1, seq: 0, lines: ['planted'] };
    expect(await post(stack.adminKey, batch)).toBe(403);
    expect(await post(other.key, batch)).toBe(403);
    expect(await post(stack.api.workerToken, { ...batch, lines: 'planted' })).toBe(400);
    expect(await post(stack.api.workerToken, { ...batch, extra: true })).toBe(400);
    expect(await post(stack.api.workerToken, { ...batch, lines: Array(201).fill('x') })).toBe(400);
    expect(await post(stack.api.workerToken, batch, `dep_${'0'.repeat(32)}`)).toBe(404);
    // Refused writes changed nothing; a batch already kept (attempt 1, seq 0) is not kept twice.
    expect(await post(stack.api.workerToken, batch)).toBe(200);
    expect((await stack.client.functions.buildLog.query({ id: deploymentId })).lines).toEqual(page.lines);
  });
});
