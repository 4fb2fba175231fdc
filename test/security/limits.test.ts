// Limits a worker cannot give, and an env the platform cannot pass, are refused at deploy
// (BAD_REQUEST naming the field, nothing created); a function that misuses ptrace on its own
// container fails as the function's fault, never as infrastructure. Real api, Temporal and Docker.
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { FUNCTION_FAILURE_KINDS } from '../../src/shared/types.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const docker = createDockerRuntime({});
let stack: TestStack;

beforeAll(async () => {
  // Fixed, so the test means the same on any host (the defaults are this host's CPUs and half its memory).
  stack = await startTestStack({ name: 'limits', env: { CAISSON_MAX_FUNCTION_CPUS: '1', CAISSON_MAX_FUNCTION_MEMORY_MB: '512' } });
});
afterAll(async () => {
  await stack?.stop();
  expect(await docker.listManaged({ 'caisson.worker': stack.workerId })).toEqual([]);
});

const py = (src: string) => Buffer.from(src).toString('base64');
const HELLO = py('import json\nprint(json.dumps({"ok": True}))\n');

/** The tRPC code and message of a refused call (undefined when it was not refused). */
async function refusal(call: Promise<unknown>): Promise<{ code?: string; message: string } | undefined> {
  try {
    await call;
    return undefined;
  } catch (err) {
    if (!(err instanceof TRPCClientError)) throw err;
    return { code: (err.data as { code?: string } | undefined)?.code, message: err.message };
  }
}

describe('impossible limits and env', () => {
  const create = (name: string, extra: Record<string, unknown>) =>
    stack.client.functions.create.mutate({ name, runtime: 'python', code: HELLO, ...extra } as Parameters<typeof stack.client.functions.create.mutate>[0]);

  it.each([
    ['more CPUs than a worker has', { limits: { cpus: 16 } }, /^limits\.cpus: 16 is more than a worker can give a function \(at most 1\)/],
    ['more memory than a worker gives', { limits: { memoryMb: 4096 } }, /^limits\.memoryMb: 4096 is more than a worker can give a function \(at most 512\)/],
    ['100,000 env keys', { env: Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`K${i}`, 'v'])) }, /^env: 100000 variables, at most 256/],
    ['env over 64 KiB', { env: { BIG: 'v'.repeat(70_000) } }, /^env: \d+ bytes in all, at most 65536/],
    ['an env name with =', { env: { 'A=B': 'x' } }, /^env\.A=B: not an environment variable name/],
    ['an env name that is not a name', { env: { 'has space': 'x' } }, /^env\.has space: not an environment variable name/],
    ['a platform name', { env: { CAISSON_ENTRY: 'evil.py' } }, /^env\.CAISSON_ENTRY: reserved/],
    ['the payload name', { env: { FUNCTION_PAYLOAD: '{"forged":true}' } }, /^env\.FUNCTION_PAYLOAD: reserved/],
    ['a NUL in a value', { env: { OK: 'a\u0000b' } }, /\\u0000/],
  ])('%s: BAD_REQUEST naming the field, nothing created', async (_what, extra, message) => {
    const before = await stack.client.functions.list.query({});
    const r = await refusal(create('impossible', extra));
    expect(r?.code).toBe('BAD_REQUEST');
    expect(r?.message).toMatch(message);
    expect(await stack.client.functions.list.query({})).toEqual(before);
    expect(await stack.client.functions.get.query({ name: 'impossible' })).toBeNull();
  });

  it('an update asking for too much is refused and the previous version stays', async () => {
    await create('bounded', { limits: { cpus: 1, memoryMb: 512 }, retryPolicy: { maxAttempts: 1 } });
    const r = await refusal(stack.client.functions.update.mutate({ name: 'bounded', code: HELLO, limits: { cpus: 2 } }));
    expect(r).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^limits\.cpus: 2 /) });
    expect((await stack.client.functions.versions.query({ name: 'bounded' })).length).toBe(1);
    // What is allowed runs: the bound is what the engine accepts.
    const v = await stack.client.invocations.invoke.mutate({ function: 'bounded', payload: {} });
    expect(v).toMatchObject({ status: 'SUCCEEDED', result: { ok: true } });
  });
});

describe('ptrace misuse is the function failing', () => {
  // A child of the handler closes its fds and holds PID 1 (tini) stopped under ptrace; the
  // handler then exits the runtime server. The container keeps running without a server: that
  // was reported (and rerun) as InfrastructureError, 'the container exit status is unknown'.
  const HOLD_PID1 = py([
    'import ctypes, os, time',
    'def handler(event, context=None):',
    '    if os.fork() == 0:',
    '        os.closerange(0, 4096)',
    '        ctypes.CDLL(None).ptrace(16, 1, 0, 0)  # PTRACE_ATTACH to PID 1',
    '        time.sleep(60)',
    '        os._exit(0)',
    '    time.sleep(0.5)',
    '    os._exit(0)',
    '',
  ].join('\n'));
  // PTRACE_TRACEME, then stopping itself: its parent (tini) gives up on it.
  const TRACE_SELF = py('import ctypes, os, signal\nctypes.CDLL(None).ptrace(0, 0, 0, 0)\nos.kill(os.getpid(), signal.SIGSTOP)\n');

  async function invokeTwice(name: string) {
    const views = [];
    // The first runs in a newly started container, the second in a reused one (warm).
    for (let i = 0; i < 2; i++) views.push(await stack.client.invocations.invoke.mutate({ function: name, payload: {} }));
    return views;
  }

  it('a handler holding PID 1 under ptrace: FunctionError, one attempt, container removed', async () => {
    await stack.client.functions.create.mutate({ name: 'hold-pid1', runtime: 'python', code: HOLD_PID1, fileName: 'main.py',
      convention: 'handler', entry: 'main.handler', limits: { timeoutMs: 10_000 }, retryPolicy: { maxAttempts: 1 } });
    for (const v of await invokeTwice('hold-pid1')) {
      expect(v.status).toBe('FAILED');
      expect(v.error).toMatchObject({ kind: 'FunctionError', attempts: 1 });
      expect(v.error!.message).toMatch(/stopped answering its runtime server/);
      expect((v.attemptLog as { infrastructure?: boolean }[]).some((a) => a.infrastructure)).toBe(false);
    }
  });

  it('a script that traces and stops itself: the function failing, cold or warm', async () => {
    for (const fresh of [true, false]) {
      const name = fresh ? 'trace-self-cold' : 'trace-self-warm';
      await stack.client.functions.create.mutate({ name, runtime: 'python', code: TRACE_SELF, limits: { timeoutMs: 5000 },
        retryPolicy: { maxAttempts: 1 }, ...(fresh ? { warm: { isolation: 'fresh' as const } } : {}) });
      for (const v of await invokeTwice(name)) {
        expect(v.status).toBe('FAILED');
        expect(FUNCTION_FAILURE_KINDS).toContain(v.error!.kind);
      }
    }
  });

  it('the worker is unharmed: a plain function still runs', async () => {
    await stack.client.functions.create.mutate({ name: 'after', runtime: 'python', code: HELLO });
    expect(await stack.client.invocations.invoke.mutate({ function: 'after', payload: {} })).toMatchObject({ status: 'SUCCEEDED' });
  });
});
