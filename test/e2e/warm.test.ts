// The warm path end to end: a stack with warm pools and one with CAISSON_WARM=off give the
// same results and failure kinds for every runtime; warm attempts are recorded as such and
// name their container; a container that timed out or failed is never reused; two versions
// never share one; nothing is left after the worker stops. Real Temporal, Docker, database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { POOL_LABEL } from '../../src/runtime/warm/pool.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployDir } from '../support/deploy.js';
import { packCode } from '../../src/cli/code-package.js';

const docker = createDockerRuntime({});
let warm: TestStack;
let cold: TestStack;

const FUNCTIONS = [
  { name: 'py-script', runtime: 'python' as const, dir: 'test/fixtures/functions/py-hello-script' },
  { name: 'py-handler', runtime: 'python' as const, dir: 'test/fixtures/functions/py-hello-handler', convention: 'handler' as const },
  { name: 'node-script', runtime: 'node' as const, dir: 'test/fixtures/functions/node-hello-script' },
  { name: 'node-handler', runtime: 'node' as const, dir: 'test/fixtures/functions/node-hello-handler', convention: 'handler' as const },
  { name: 'py-fail', runtime: 'python' as const, dir: 'test/fixtures/functions/py-fail' },
  { name: 'py-probe', runtime: 'python' as const, dir: 'test/fixtures/functions/py-probe', timeoutMs: 1500, memoryMb: 64 },
];

beforeAll(async () => {
  [warm, cold] = await Promise.all([
    startTestStack({ name: 'warm' }),
    startTestStack({ name: 'cold', env: { CAISSON_WARM: 'off' } }),
  ]);
  for (const s of [warm, cold]) {
    await Promise.all(FUNCTIONS.map((f) => deployDir(s.client, f)));
  }
});

afterAll(async () => {
  for (const s of [warm, cold]) {
    await s?.stop();
    // Worker shutdown removes every pool container.
    expect(await docker.listManaged({ 'caisson.worker': s.workerId })).toEqual([]);
  }
});

const invoke = (s: TestStack, fn: string, payload: unknown) => s.client.invocations.invoke.mutate({ function: fn, payload });
type View = Awaited<ReturnType<typeof invoke>>;
const placement = (v: View) => v.attemptLog.at(-1) as { cold?: boolean; containerId?: string };
// Durations in messages differ run to run; stack traces differ by the wrappers' own frames.
const comparable = (v: View) =>
  ({ status: v.status, result: v.result, kind: v.error?.kind, message: v.error?.message.replace(/\d+ ms/g, 'N ms').split('\n')[0] });

describe('warm and cold give the same results', () => {
  it.each([
    { fn: 'py-script', payload: { name: 'Ada' } },
    { fn: 'py-handler', payload: { name: 'Ada' } },
    { fn: 'node-script', payload: { name: 'Ada' } },
    { fn: 'node-handler', payload: { name: 'Ada' } },
    { fn: 'py-handler', payload: { name: 'Ada', fail: true } },
    { fn: 'py-fail', payload: {} },
    { fn: 'py-probe', payload: { probe: 'whoami' } },
    { fn: 'py-probe', payload: { probe: 'network' } },
    { fn: 'py-probe', payload: { probe: 'oom' } },
    { fn: 'py-probe', payload: { probe: 'sleep', seconds: 30 } },
  ])('$fn $payload', async ({ fn, payload }) => {
    const [w, c] = await Promise.all([invoke(warm, fn, payload), invoke(cold, fn, payload)]);
    expect(comparable(w)).toEqual(comparable(c));
    expect(placement(c).cold).toBe(true);
  });

  it('a second invocation runs warm, in the same container, and the record says so', async () => {
    const first = await invoke(warm, 'py-script', { name: 'one' });
    const second = await invoke(warm, 'py-script', { name: 'two' });
    expect(second.result).toEqual({ message: 'Hello, two!' });
    expect(placement(second)).toMatchObject({ cold: false, containerId: placement(first).containerId });
    expect(second.cold).toBe(false);
    const [info] = await docker.listManaged({ 'caisson.worker': warm.workerId, 'caisson.version': '1', [POOL_LABEL]: 'warm' })
      .then((l) => l.filter((c) => c.id === placement(second).containerId));
    expect(info?.labels['caisson.function']).toBe('default/py-script');
  });
});

// A script-convention Python function runs in a fresh fork of the warm server per invocation:
// nothing one invocation does to its process reaches the next in the same container (files in
// /tmp do, as documented), and it fails exactly as it does cold.
const STATEFUL_SCRIPT = `
import builtins, json, os, signal, sys
payload = json.loads(sys.stdin.read() or "{}")
if payload.get("mode") == "exit":
    print("exiting on purpose", file=sys.stderr)
    sys.exit(3)
if payload.get("mode") == "raise":
    raise ValueError("raised on purpose")
counter = 0
counter += 1
builtins.caisson_hits = getattr(builtins, "caisson_hits", 0) + 1  # process-wide
json.caisson_hits = getattr(json, "caisson_hits", 0) + 1  # a module the warm server imported too
seen = {
    "counter": counter, "builtinsHits": builtins.caisson_hits, "jsonHits": json.caisson_hits,
    "leak": os.environ.get("CAISSON_TEST_LEAK"), "cwd": os.getcwd(), "decimal": "decimal" in sys.modules,
    "sigtermDefault": signal.getsignal(signal.SIGTERM) == signal.SIG_DFL, "argv": sys.argv, "name": __name__,
    "invocation": os.environ.get("CAISSON_INVOCATION_ID"), "payload": os.environ.get("FUNCTION_PAYLOAD"),
    "tmp": open("/tmp/caisson-state").read() if os.path.exists("/tmp/caisson-state") else None,
}
os.environ["CAISSON_TEST_LEAK"] = payload["tag"]
os.chdir("/")
import decimal
signal.signal(signal.SIGTERM, signal.SIG_IGN)
with open("/tmp/caisson-state", "a") as f:
    f.write(payload["tag"])
print(json.dumps(seen))
`;

describe('script convention: a fresh process per warm invocation', () => {
  beforeAll(async () => {
    const code = Buffer.from(STATEFUL_SCRIPT).toString('base64');
    for (const s of [warm, cold]) {
      await s.client.functions.create.mutate({
        name: 'py-stateful', runtime: 'python', code, fileName: 'main.py', retryPolicy: { maxAttempts: 1, initialIntervalMs: 100 },
      });
    }
  });

  it('carries no process state from one invocation to the next in the same container', async () => {
    const first = await invoke(warm, 'py-stateful', { tag: 'one' });
    const second = await invoke(warm, 'py-stateful', { tag: 'two' });
    const coldRun = await invoke(cold, 'py-stateful', { tag: 'cold' });
    expect([first.status, second.status, coldRun.status]).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(placement(second)).toMatchObject({ cold: false, containerId: placement(first).containerId });
    const fresh = {
      counter: 1, builtinsHits: 1, jsonHits: 1, leak: null, cwd: '/tmp', decimal: false,
      sigtermDefault: true, argv: ['/app/function/main.py'], name: '__main__',
    };
    expect(first.result).toEqual({ ...fresh, invocation: first.id, payload: JSON.stringify({ tag: 'one' }), tmp: null });
    // Only /tmp carries over (documented); the process is a new one, as on the cold path.
    expect(second.result).toEqual({ ...fresh, invocation: second.id, payload: JSON.stringify({ tag: 'two' }), tmp: 'one' });
    expect(coldRun.result).toEqual({ ...fresh, invocation: coldRun.id, payload: JSON.stringify({ tag: 'cold' }), tmp: null });
  });

  it('sys.exit(3) and an uncaught exception fail as they do cold, with the same message and traceback', async () => {
    const warmViews: View[] = [];
    for (const payload of [{ mode: 'exit' }, { mode: 'raise' }]) {
      await invoke(warm, 'py-stateful', { tag: 'before' }); // a failure retires its container: have an idle one
      const [w, c] = await Promise.all([invoke(warm, 'py-stateful', payload), invoke(cold, 'py-stateful', payload)]);
      expect(placement(w).cold).toBe(false);
      expect(w.error?.kind).toBe('FunctionError');
      expect(comparable(w)).toEqual(comparable(c));
      expect(w.error?.stderrTail).toBe(c.error?.stderrTail);
      warmViews.push(w);
    }
    const [exited, raised] = warmViews.map((v) => v.error?.stderrTail);
    expect(exited).toContain('exiting on purpose');
    expect(raised).toContain(
      'Traceback (most recent call last):\n  File "/app/function/main.py", line 8, in <module>\n    raise ValueError("raised on purpose")\n',
    );
    expect(raised).toContain('ValueError: raised on purpose');
    expect(raised).not.toContain('caisson_server');
  });
});

describe('replacement', () => {
  it('a container that timed out or failed is never reused', async () => {
    const ok = await invoke(warm, 'py-probe', { probe: 'echo' });
    const timedOut = await invoke(warm, 'py-probe', { probe: 'sleep', seconds: 30 });
    expect(timedOut.error?.kind).toBe('FunctionTimeout');
    const failed = await invoke(warm, 'py-probe', { probe: 'fail' });
    expect(failed.error?.kind).toBe('FunctionError');
    const after = await invoke(warm, 'py-probe', { probe: 'echo' });
    const ids = [ok, timedOut, failed, after].map((v) => placement(v).containerId);
    expect(new Set(ids.slice(1)).size).toBe(3); // the failed ones were each replaced
    for (const id of ids.slice(1, 3)) expect((await docker.inspectState(id!)).running).toBe(false);
  });

  it('two versions never share a container', async () => {
    const v1 = await invoke(warm, 'node-script', { name: 'v1' });
    const code = Buffer.from('console.log(JSON.stringify({ v: 2 }));\n').toString('base64');
    await warm.client.functions.update.mutate({ name: 'node-script', code, fileName: 'index.js' });
    const v2 = await invoke(warm, 'node-script', {});
    const v1again = await warm.client.invocations.invoke.mutate({ function: 'node-script', version: 1, payload: { name: 'again' } });
    expect([v1.result, v2.result, v1again.result]).toEqual([{ message: 'Hello, v1!' }, { v: 2 }, { message: 'Hello, again!' }]);
    expect(placement(v2).containerId).not.toBe(placement(v1).containerId);
    expect(placement(v1again).containerId).toBe(placement(v1).containerId);
    const byVersion = await docker.listManaged({ 'caisson.worker': warm.workerId, [POOL_LABEL]: 'warm' });
    const labelOf = (id?: string) => byVersion.find((c) => c.id === id)?.labels['caisson.version'];
    expect([labelOf(placement(v1).containerId), labelOf(placement(v2).containerId)]).toEqual(['1', '2']);
  });
});

describe('per-version settings', () => {
  const deploy = async (name: string, warmSettings: Record<string, unknown>) => {
    const { code } = await packCode('test/fixtures/functions/py-probe');
    await warm.client.functions.create.mutate({ name, runtime: 'python', code, warm: warmSettings });
  };
  const poolIds = async () =>
    new Set((await docker.listManaged({ 'caisson.worker': warm.workerId, [POOL_LABEL]: 'warm' })).map((c) => c.id));
  const sleepy = { probe: 'sleep', seconds: 1 };

  it('above maxWarm with maxQueued 0 the extra invocations run cold', async () => {
    await deploy('overflow', { maxWarm: 1, maxQueued: 0, minWarm: 0 });
    const views = await Promise.all([1, 2, 3].map(() => invoke(warm, 'overflow', sleepy)));
    expect(views.map((v) => v.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    const ids = views.map((v) => placement(v).containerId);
    expect(new Set(ids).size).toBe(3);
    const pooled = await poolIds();
    expect(ids.filter((id) => pooled.has(id!))).toHaveLength(1);
  });

  it('above maxWarm with a queue they wait for the one warm container', async () => {
    await deploy('queued', { maxWarm: 1, maxQueued: 5, minWarm: 0 });
    const views = await Promise.all([1, 2, 3].map(() => invoke(warm, 'queued', sleepy)));
    expect(new Set(views.map((v) => placement(v).containerId)).size).toBe(1);
    expect(views.filter((v) => placement(v).cold === false)).toHaveLength(2);
  });

  it('an attempt outlasting its local activity (1 s) is handed over and still answers warm', async () => {
    await deploy('long', { minWarm: 0 });
    await invoke(warm, 'long', { probe: 'echo' }); // its container is started
    const v = await invoke(warm, 'long', { probe: 'sleep', seconds: 1.5 });
    expect(v.status).toBe('SUCCEEDED');
    expect(placement(v).cold).toBe(false);
    const history = await warm.api.temporal.workflow.getHandle(v.id).fetchHistory();
    const activities = (history.events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    expect(activities).toEqual(['awaitWarm']);
  });

  it("isolation 'fresh' runs every invocation in a new container", async () => {
    await deploy('fresh', { isolation: 'fresh' });
    const [a, b] = [await invoke(warm, 'fresh', { probe: 'echo' }), await invoke(warm, 'fresh', { probe: 'echo' })];
    expect([placement(a).cold, placement(b).cold, b.cold]).toEqual([true, true, true]);
    expect(placement(a).containerId).not.toBe(placement(b).containerId);
    const pooled = await poolIds();
    expect(pooled.has(placement(b).containerId!)).toBe(false);
    const versions = await warm.client.functions.versions.query({ name: 'fresh' });
    expect(versions[0]).toMatchObject({ warm: { isolation: 'fresh', maxWarm: 8 } });
  });
});
