// AWS Lambda's documented log output (Python: the root logger's handler; Node.js: console.*),
// and the event an invoke without a payload delivers ({}), on the warm and the fresh path alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployFixture } from '../support/conventions.js';

const FIXTURES = 'test/fixtures/conformance';
const TIME = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`;
let stack: TestStack;

const variants = [
  { isolation: 'warm', format: 'text' }, { isolation: 'fresh', format: 'text' },
  { isolation: 'warm', format: 'json' }, { isolation: 'fresh', format: 'json' },
] as const;
const fnName = (lang: string, v: (typeof variants)[number]) => `${lang}-log-${v.isolation}-${v.format}`;

beforeAll(async () => {
  stack = await startTestStack({ name: 'conform-lambda' });
  await Promise.all(variants.flatMap((v) => {
    const env: Record<string, string> = v.format === 'json' ? { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: 'INFO' } : { AWS_LAMBDA_LOG_LEVEL: 'INFO' };
    return [
      deployFixture(stack.client, { dir: 'py-lambda-logging', name: fnName('py', v), runtime: 'python', convention: 'lambda', entry: 'app.lambda_handler', env, warm: { isolation: v.isolation }, root: FIXTURES }),
      deployFixture(stack.client, { dir: 'node-lambda-logging', name: fnName('node', v), runtime: 'node', convention: 'lambda', env, warm: { isolation: v.isolation }, root: FIXTURES }),
    ];
  }));
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

async function invoke(fn: string, payload?: unknown) {
  const r = await stack.client.invocations.invoke.mutate({ function: fn, ...(payload === undefined ? {} : { payload }), waitMs: 60_000 });
  expect(r.error).toBeUndefined();
  return r as typeof r & { result: { event: unknown; requestId: string } };
}

describe.each(variants)('lambda logging, $isolation path, $format format', (v) => {
  it('python: the root logger prints INFO and above, in Lambda\'s format, with the request id', async () => {
    const r = await invoke(fnName('py', v), { n: 1 });
    const out = r.logs.stdout;
    const id = r.result.requestId;
    expect(id).toBe(r.id);
    expect(out).not.toContain('debug line');
    if (v.format === 'text') {
      expect(out).toMatch(new RegExp(String.raw`^\[INFO\]\t${TIME}\t${id}\tinfo line 1$`, 'm'));
      expect(out).toMatch(new RegExp(String.raw`^\[WARNING\]\t${TIME}\t${id}\twarning line 1$`, 'm'));
      expect(out).toMatch(new RegExp(String.raw`^\[ERROR\]\t${TIME}\t${id}\terror line 1\nTraceback \(most recent call last\):`, 'm'));
    } else {
      const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.map((l) => [l.level, l.message])).toEqual([['INFO', 'info line 1'], ['WARNING', 'warning line 1'], ['ERROR', 'error line 1']]);
      expect(lines[0]).toMatchObject({ requestId: id, logger: 'root', timestamp: expect.stringMatching(new RegExp(`^${TIME}$`)) });
      expect(lines[2]).toMatchObject({ errorType: 'ValueError', errorMessage: 'logged, not raised', stackTrace: expect.any(Array) });
    }
  });

  it('node: console.* lines carry time, request id and level; below AWS_LAMBDA_LOG_LEVEL nothing', async () => {
    const r = await invoke(fnName('node', v), { n: 2 });
    const out = r.logs.stdout;
    const id = r.result.requestId;
    expect(out).not.toContain('debug line');
    if (v.format === 'text') {
      expect(out).toMatch(new RegExp(String.raw`^${TIME}\t${id}\tINFO\tlog line 2$`, 'm'));
      expect(out).toMatch(new RegExp(String.raw`^${TIME}\t${id}\tWARN\ttwo\rlines$`, 'm'));
      expect(out).toMatch(new RegExp(String.raw`^${TIME}\t${id}\tERROR\tTypeError: logged, not thrown\r    at `, 'm'));
    } else {
      const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.map((l) => l.level)).toEqual(['INFO', 'WARN', 'ERROR']);
      expect(lines[0]).toMatchObject({ requestId: id, message: 'log line 2', timestamp: expect.stringMatching(new RegExp(`^${TIME}$`)) });
      expect(lines[2]).toMatchObject({ errorType: 'TypeError', errorMessage: 'logged, not thrown', stackTrace: expect.any(Array) });
    }
  });

  it('an invoke without a payload reaches the handler as {}', async () => {
    const [py, node] = await Promise.all([invoke(fnName('py', v)), invoke(fnName('node', v))]);
    expect(py.result.event).toEqual({});
    expect(node.result.event).toEqual({});
  });
});
