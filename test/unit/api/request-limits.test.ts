import { describe, expect, it } from 'vitest';
import { MAX_BATCH_CALLS, MAX_URL_BYTES, parseUrl, scanJson, trpcUrlProblem } from '../../../src/api/request-limits.js';

describe('scanJson', () => {
  it.each([
    ['flat', '{"a":[1,2,{"b":3}]}', 8, undefined],
    ['at the bound', '[[[[]]]]', 4, undefined],
    ['over the bound', '[[[[[]]]]]', 4, 'deep'],
    ['brackets inside strings do not nest', `["${'['.repeat(50)}"]`, 4, undefined],
    ['an escaped quote does not end the string', '["\\"[[[[[[", 1]', 2, undefined],
    ['an escaped backslash ends before the quote', '["\\\\", [[[[[]]]]]]', 3, 'deep'],
    ['not even JSON', '{{{{{{', 3, 'deep'],
    ['\\u0000', '{"a":"x\\u0000y"}', 8, 'nul'],
    ['a literal backslash then u0000 is text', '{"a":"\\\\u0000"}', 8, undefined],
    ['a surrogate pair', '"\\ud83d\\ude00"', 8, undefined],
    ['a lone high surrogate', '"\\ud83d x"', 8, 'surrogate'],
    ['a high surrogate at the end of a string', '"\\ud83d"', 8, 'surrogate'],
    ['a lone low surrogate', '"\\ude00"', 8, 'surrogate'],
    ['other escapes', '"\\n\\t\\u00e9\\/"', 8, undefined],
  ] as const)('%s', (_name, text, max, expected) => {
    expect(scanJson(text, max)).toBe(expected);
  });
});

describe('URL bounds', () => {
  const url = (path: string) => parseUrl(path) as URL;
  it('refuses a long URL with 414 and one that cannot be parsed with 400', () => {
    expect(parseUrl(`/trpc/x?${'q'.repeat(MAX_URL_BYTES)}`)).toMatchObject({ status: 414 });
    expect(parseUrl('http://[::1')).toMatchObject({ status: 400 });
    expect(parseUrl('/trpc/functions.list')).toBeInstanceOf(URL);
  });

  it('bounds batches and the nesting of a GET input', () => {
    const batch = (n: number) => url(`/trpc/${Array(n).fill('functions.list').join(',')}?batch=1`);
    expect(trpcUrlProblem(batch(MAX_BATCH_CALLS))).toBeUndefined();
    expect(trpcUrlProblem(batch(MAX_BATCH_CALLS + 1))?.message).toMatch(/at most 10 calls, this one has 11/);
    expect(trpcUrlProblem(url(`/trpc/a?input=${'['.repeat(200)}`))).toMatchObject({ status: 400 });
  });
});
