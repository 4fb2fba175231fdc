// A function whose module fails or exits while loading reports an init failure (a FunctionError,
// never an InfrastructureError), and its warm pool does not restart doomed containers forever.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Docker from 'dockerode';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployFixture } from '../support/conventions.js';

let stack: TestStack;
const root = 'test/fixtures/conformance';

const cases = [
  { dir: 'node-init-exit', runtime: 'node', message: /^Runtime\.ExitError: Runtime exited with error: exit status 3/ },
  { dir: 'node-init-throw', runtime: 'node', message: /^Error: config missing/ },
  { dir: 'py-init-exit', runtime: 'python', message: /^Runtime\.ExitError: Runtime exited with error: exit status 2/ },
  { dir: 'py-init-import', runtime: 'python', message: /^Runtime\.ImportModuleError: Unable to import module 'lambda_function': No module named 'not_a_module'/ },
] as const;
const isolations = ['warm', 'fresh'] as const;

beforeAll(async () => {
  stack = await startTestStack({ name: 'conform-init' });
  await Promise.all([
    ...cases.flatMap((c) => isolations.map((isolation) => deployFixture(stack.client, {
      dir: c.dir, name: `${c.dir}-${isolation}`, runtime: c.runtime, convention: 'lambda', warm: { isolation }, root,
    }))),
    // os._exit while importing: no wrapper can answer, the warm server dies before it is ready.
    deployFixture(stack.client, { dir: 'py-init-osexit', name: 'doomed', runtime: 'python', convention: 'lambda', root }),
  ]);
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

it('the function says its latest version fails while loading; a healthy one says nothing', async () => {
  await stack.client.invocations.invoke.mutate({ function: 'py-init-import-warm', payload: {}, waitMs: 60_000 });
  const f = await stack.client.functions.get.query({ name: 'py-init-import-warm' });
  expect(f?.state.initFailure).toMatchObject({ errorType: 'Runtime.ImportModuleError', message: expect.stringContaining("No module named 'not_a_module'") });
  await deployFixture(stack.client, { dir: 'err-py-lambda', name: 'healthy', runtime: 'python', convention: 'lambda', root });
  await stack.client.invocations.invoke.mutate({ function: 'healthy', payload: { name: 'x' }, waitMs: 60_000 });
  expect((await stack.client.functions.get.query({ name: 'healthy' }))?.state).toEqual({});
});

describe.each(cases)('$dir', (c) => {
  it.each(isolations)('%s path: FunctionError naming the init failure', async (isolation) => {
    const r = await stack.client.invocations.invoke.mutate({ function: `${c.dir}-${isolation}`, payload: {}, waitMs: 60_000 });
    expect(r.status).toBe('FAILED');
    expect(r.error?.kind).toBe('FunctionError');
    expect(r.error?.message).toMatch(c.message);
  });
});

/** Warm containers this stack's worker created between two times (the engine's own event log). */
async function warmCreates(since: number, until: number): Promise<number> {
  const stream = await new Docker().getEvents({
    since: Math.floor(since / 1000), until: Math.ceil(until / 1000),
    filters: JSON.stringify({ type: ['container'], event: ['create'], label: [`caisson.worker=${stack.workerId}`, 'caisson.pool=warm'] }),
  });
  const text = await new Promise<string>((resolve, reject) => {
    let out = '';
    stream.on('data', (c: Buffer) => (out += c.toString()));
    stream.on('end', () => resolve(out));
    stream.on('error', reject);
  });
  return text.split('\n').filter((l) => l.trim()).length;
}

it('a warm pool stops starting containers that die while loading', async () => {
  const t0 = Date.now();
  const first = await stack.client.invocations.invoke.mutate({ function: 'doomed', payload: {}, waitMs: 60_000 });
  expect(first.error).toMatchObject({ kind: 'FunctionError', message: 'the function exited with code 4' });
  const t1 = Date.now();
  await new Promise((r) => setTimeout(r, 12_000));
  // Without a backoff the pool refilled every second while the version was in use: ~12 starts
  // here. With it: a few while the first invocation runs (its own start and infrastructure
  // reruns, the refill's two tries), none once it has answered.
  expect(await warmCreates(t0, Date.now())).toBeLessThanOrEqual(5);
  expect(await warmCreates(t1 + 4000, Date.now())).toBe(0);
});
