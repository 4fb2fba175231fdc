// Every concrete runtime version (src/shared/runtimes.ts) runs the conventions, warm and fresh,
// on the real stack: a script, a Lambda handler and an OpenWhisk (Python) or OpenFaaS (Node.js)
// function per version each report the interpreter version they ran on and echo the payload.
// Go (always cold): a script and an OpenFaaS function report the Go that built them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { CONCRETE_RUNTIMES, RUNTIME_VERSIONS, runtimeFamily, type ConcreteRuntime, type RuntimeFamily } from '../../src/shared/runtimes.js';
import type { Convention } from '../../src/shared/types.js';
import { packCode } from '../../src/cli/code-package.js';
import { deployFixture } from '../support/conventions.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const ROOT = 'test/fixtures/runtime-versions';
const VERSIONS = CONCRETE_RUNTIMES;
/** How each version is asked for: canonical names and Lambda's spellings both. */
const ASKED_AS: Partial<Record<ConcreteRuntime, string>> = { nodejs20: 'nodejs20.x', nodejs22: 'nodejs22.x', nodejs24: 'node' };
const CONVENTIONS: Record<RuntimeFamily, { convention: Convention; dir: string }[]> = {
  python: [{ convention: 'script', dir: 'py-script' }, { convention: 'lambda', dir: 'py-lambda' }, { convention: 'openwhisk', dir: 'py-openwhisk' }],
  node: [{ convention: 'script', dir: 'node-script' }, { convention: 'lambda', dir: 'node-lambda' }, { convention: 'openfaas', dir: 'node-openfaas' }],
  go: [{ convention: 'script', dir: 'go-script' }, { convention: 'openfaas', dir: 'go-openfaas' }],
};
/** The build image's Go (Debian forky's golang-go); a go.mod asking for less is built by it too. */
const GO_VERSION = /^go1\.27\./;

interface Case { runtime: ConcreteRuntime; convention: Convention; dir: string; isolation: 'warm' | 'fresh'; name: string }
const CASES: Case[] = VERSIONS.flatMap((runtime) => CONVENTIONS[runtimeFamily(runtime)].flatMap((c) =>
  (runtimeFamily(runtime) === 'go' ? ['fresh' as const] : ['warm', 'fresh'] as const).map((isolation) => ({
    runtime, ...c, isolation, name: `rv-${runtime.replace('.', '')}-${c.convention}-${isolation}`,
  }))));

let stack: TestStack;
const stored = new Map<string, string>();

beforeAll(async () => {
  stack = await startTestStack({ name: 'runtime-versions' });
  // Deploys are independent (no build): all at once.
  await Promise.all(CASES.map(async (c) => {
    const fn = await deployFixture(stack.client, {
      root: ROOT, dir: c.dir, name: c.name, convention: c.convention, warm: { isolation: c.isolation }, timeoutMs: 10_000,
      runtime: (ASKED_AS[c.runtime] ?? c.runtime) as ConcreteRuntime,
    });
    stored.set(c.name, fn.runtime);
  }));
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  const left = await createDockerRuntime({}).listManaged({ 'caisson.worker': stack.workerId });
  expect(left.map((c) => c.name)).toEqual([]);
});

const invoke = (fn: string, payload: unknown) => stack.client.invocations.invoke.mutate({ function: fn, payload, waitMs: 60_000 });
type View = Awaited<ReturnType<typeof invoke>>;
const placement = (v: View) => v.attemptLog.at(-1) as { cold?: boolean; containerId?: string };

/** The function's report: OpenFaaS answers an HTTP response whose body is its JSON text. */
function report(c: Case, v: View): { version: string; echo: unknown } {
  expect(v.error).toBeUndefined();
  expect(v.status).toBe('SUCCEEDED');
  const r = v.result as { body?: string; version?: string };
  return c.convention === 'openfaas' ? JSON.parse(String(r.body)) : (r as { version: string; echo: unknown });
}

function versionPattern(runtime: ConcreteRuntime): RegExp {
  if (runtimeFamily(runtime) === 'go') return GO_VERSION;
  const v = RUNTIME_VERSIONS[runtime].version.replace('.', '\\.');
  return runtimeFamily(runtime) === 'node' ? new RegExp(`^v${v}\\.`) : new RegExp(`^${v}\\.`);
}

/** Runs fn over items, at most n at a time (2 cores: 42 container starts at once only queue). */
async function limited<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: n }, async () => {
    for (let item = queue.shift(); item; item = queue.shift()) await fn(item);
  }));
}

describe('runtime versions', () => {
  it('stores the concrete runtime a deploy asked for (a bare family is the newest)', () => {
    for (const c of CASES) expect(stored.get(c.name), c.name).toBe(c.runtime);
  });

  it('every version runs every convention, warm and fresh, on its own interpreter', async () => {
    const failures: string[] = [];
    await limited(CASES, 4, async (c) => {
      try {
        const payload = { name: c.name, n: Math.random() };
        const first = await invoke(c.name, payload);
        const second = await invoke(c.name, { ...payload, again: true });
        for (const [v, p] of [[first, payload], [second, { ...payload, again: true }]] as const) {
          const r = report(c, v);
          expect(r.version, c.name).toMatch(versionPattern(c.runtime));
          expect(r.echo, c.name).toEqual(p);
          // No deprecation or experimental warnings from the wrappers and servers on any version.
          expect(`${v.logs.stdout}${v.logs.stderr}`, c.name).not.toMatch(/Warning/);
        }
        if (c.isolation === 'fresh') {
          expect(placement(second).cold, c.name).toBe(true);
        } else {
          // The second invocation finds the container the first left warm.
          expect(placement(second), c.name).toMatchObject({ cold: false });
        }
      } catch (err) {
        failures.push(`${c.name}: ${(err as Error).message}`);
      }
    });
    expect(failures).toEqual([]);
  }, 600_000);
});

describe('deploy-time builds', () => {
  it("each version's dependencies are installed by its own build image (pip, npm of that version)", async () => {
    const deps = VERSIONS.filter((r) => runtimeFamily(r) !== 'go');
    const results = await Promise.all(deps.map(async (runtime) => {
      const python = runtimeFamily(runtime) === 'python';
      const name = `rv-deps-${runtime.replace('.', '')}`;
      await deployFixture(stack.client, { dir: python ? 'py-deps' : 'node-deps', name, runtime, convention: 'lambda', timeoutMs: 10_000 });
      const v = await invoke(name, python ? {} : { duration: '1h' });
      return { runtime, status: v.status, result: v.result };
    }));
    for (const r of results) {
      expect(r, r.runtime).toEqual({ runtime: r.runtime, status: 'SUCCEEDED',
        result: runtimeFamily(r.runtime) === 'python' ? { six: '1.16.0', text: 'ok' } : { ms: 3_600_000 } });
    }
  }, 300_000);
});

describe('what a version stores', () => {
  it('an update keeps the concrete runtime unless it names another version of the family; old versions keep theirs', async () => {
    const packed = await packCode(`${process.cwd()}/${ROOT}/node-script`);
    const body = { code: packed.code, retryPolicy: { maxAttempts: 1 }, warm: { isolation: 'fresh' as const } };
    const v1 = await stack.client.functions.create.mutate({ name: 'rv-pin', runtime: 'nodejs20.x', ...body });
    // Another timeout: an update identical to the latest version makes no new one.
    const v2 = await stack.client.functions.update.mutate({ name: 'rv-pin', ...body, limits: { timeoutMs: 4000 } });
    const v3 = await stack.client.functions.update.mutate({ name: 'rv-pin', runtime: 'node', ...body });
    expect([v1.runtime, v2.runtime, v3.runtime]).toEqual(['nodejs20', 'nodejs20', 'nodejs24']);
    expect([v1.version, v2.version, v3.version]).toEqual([1, 2, 3]);
    await expect(stack.client.functions.update.mutate({ name: 'rv-pin', runtime: 'python3.13', ...body }))
      .rejects.toThrow(/is nodejs24; deploy a python3.13 function under another name/);
    const run = (version: number) => stack.client.invocations.invoke.mutate({ function: 'rv-pin', version, payload: null, waitMs: 60_000 });
    const [r1, r3] = await Promise.all([run(1), run(3)]);
    expect((r1.result as { version: string }).version).toMatch(/^v20\./);
    expect((r3.result as { version: string }).version).toMatch(/^v24\./);
  }, 120_000);
});
