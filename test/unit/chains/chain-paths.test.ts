// The chain path syntax, mappings, and the deploy-time checks of a definition.
import { describe, expect, it } from 'vitest';
import { ChainDefinitionSchema } from '../../../src/shared/chain.js';
import { checkDefinition, evaluateMapping, MappingError, parsePath } from '../../../src/shared/chain-paths.js';
import { runLimited } from '../../../src/workflows/chain-steps.js';

const ctx = { input: { urls: ['a', 'b'], n: 2 }, steps: { fetch: { items: [{ url: 'x' }] }, both: { a: 1 } }, item: { id: 7 }, index: 3 };

describe('paths', () => {
  it.each([
    ['$.input', ctx.input],
    ['$.input.urls[1]', 'b'],
    ['$.steps.fetch.output.items[0].url', 'x'],
    ['$.steps.both.output', { a: 1 }],
    ['$.item.id', 7],
    ['$.index', 3],
  ])('%s', (path, expected) => {
    expect(evaluateMapping(path, ctx)).toEqual(expected);
  });

  it('maps templates; $$ is a literal $', () => {
    expect(evaluateMapping({ u: '$.input.urls', k: ['$.index', 'plain', '$$.input', 5] }, ctx))
      .toEqual({ u: ['a', 'b'], k: [3, 'plain', '$.input', 5] });
  });

  it.each([
    ['$.input.missing', /no 'missing'/],
    ['$.input.urls[5]', /no \[5\]/],
    ['$.steps.nope.output', /has no output/],
  ])('%s fails with a MappingError', (path, message) => {
    expect(() => evaluateMapping(path, ctx)).toThrow(MappingError);
    expect(() => evaluateMapping(path, ctx)).toThrow(message);
  });

  it.each(['$', '$.foo', '$.steps.x', '$.steps.x.result', '$.input..a', '$.index.a', '$.input[x]'])('rejects %s', (p) => {
    expect(() => parsePath(p)).toThrow(MappingError);
  });
});

const def = (steps: unknown[], extra: object = {}) => ChainDefinitionSchema.parse({ name: 'c', steps, ...extra });

describe('checkDefinition', () => {
  it('accepts a sequence, parallel and map with default inputs', () => {
    expect(() => checkDefinition(def([
      { name: 'a', function: 'f', input: '$.input.urls' },
      { name: 'b', parallel: { x: { function: 'g' }, y: { function: 'h@2', input: { v: '$.steps.a.output' } } } },
      { name: 'c', map: { items: '$.steps.a.output', concurrency: 5, function: 'f', input: { it: '$.item', i: '$.index' } } },
    ]))).not.toThrow();
  });

  it.each([
    [[{ name: 'a', function: 'f' }, { name: 'a', function: 'g' }], /step 'a': duplicate step name/],
    [[{ name: 'a', function: 'f', input: '$.steps.b.output' }, { name: 'b', function: 'g' }], /step 'a': .* step 'b', which runs later/],
    [[{ name: 'a', function: 'f', input: '$.steps.zz.output' }], /step 'a': .* step 'zz', which does not exist/],
    [[{ name: 'a', function: 'f', input: '$.steps.a.output' }], /step 'a': .* the step itself/],
    [[{ name: 'a', function: 'f', input: '$.item' }], /step 'a': .* only in a map step/],
    [[{ name: 'a', map: { items: [], function: 'f' } }], /step 'a': map items is an empty array/],
    [[{ name: 'a', map: { items: { x: 1 }, function: 'f' } }], /step 'a': map items must be a path to an array/],
    [[{ name: 'p', parallel: { x: { function: 'f' } } }, { name: 'm', map: { items: '$.steps.p.output', function: 'f' } }], /step 'm': .* not an array/],
    [[{ name: 'a', function: 'f', input: '$.input.' }], /step 'a': .*cannot read/],
  ])('rejects %j', (steps, message) => {
    expect(() => checkDefinition(def(steps))).toThrow(message);
  });

  it('the schema infers the step type and rejects unknown keys', () => {
    expect(def([{ name: 'a', map: { items: '$.input', function: 'f' } }]).steps[0]).toMatchObject({ type: 'map', map: { concurrency: 10 } });
    expect(ChainDefinitionSchema.safeParse({ name: 'c', steps: [{ name: 'a', function: 'f', bogus: 1 }] }).success).toBe(false);
    expect(def([{ name: 'a', function: 'f', retry: { maxAttempts: 2 } }]).steps[0]).toMatchObject({ retry: { maxAttempts: 2 } });
    expect(Object.keys((def([{ name: 'a', function: 'f', retry: { maxAttempts: 2 } }]).steps[0] as { retry: object }).retry)).toEqual(['maxAttempts']);
  });
});

describe('runLimited', () => {
  it('never runs more than the limit at once and keeps order', async () => {
    let running = 0;
    let peak = 0;
    const out = await runLimited(20, 5, () => false, async (i) => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, (i * 7) % 11));
      running--;
      return i * 2;
    });
    expect(peak).toBe(5);
    expect(out).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
  });

  it('stops starting new work once told', async () => {
    const started: number[] = [];
    const out = await runLimited(10, 2, () => started.includes(3), async (i) => { started.push(i); return i; });
    expect(out.filter((x) => x !== undefined).length).toBeLessThan(10);
  });
});
