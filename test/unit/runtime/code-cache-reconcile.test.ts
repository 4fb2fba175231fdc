import { describe, expect, it } from 'vitest';
import { planEviction } from '../../../src/runtime/lifecycle/code-cache-reconcile.js';
import type { CodeCacheEntry } from '../../../src/runtime/io/code-cache.js';

const now = 10_000_000;
const min = 60_000;
const sha = (c: string) => c.repeat(64);
/** name → [MiB, minutes since last use] */
const entries = (spec: Record<string, [number, number]>): CodeCacheEntry[] =>
  Object.entries(spec).map(([c, [mib, ago]]) => ({ sha256: sha(c), bytes: mib * 1024 * 1024, lastUsedMs: now - ago * min }));

describe('planEviction', () => {
  it.each([
    ['keeps live code and code used within the grace', { a: [1, 60], b: [1, 5] }, 'a', [], 100, []],
    ['removes code no live version uses once past the grace', { a: [1, 60], b: [1, 30], c: [1, 5] }, 'a', [], 100, ['b']],
    ['keeps code a warm pool holds however old', { b: [1, 60] }, '', ['bbbbbbbbbbbbbbbb'], 100, []],
    ['over the cap: the least recently used not in use go, live ones too', { a: [3, 90], b: [3, 60], c: [3, 1] }, 'abc', [], 5, ['a', 'b']],
    ['over the cap with everything in use: nothing goes', { a: [3, 1], b: [3, 2] }, 'ab', [], 1, []],
    ['not live first, then live code by age', { a: [3, 90], b: [3, 25], c: [3, 120] }, 'c', [], 2, ['a', 'b', 'c']],
  ])('%s', (_name, spec, live, pinned, maxMiB, evicted) => {
    const got = planEviction({
      entries: entries(spec as unknown as Record<string, [number, number]>), live: new Set([...live].map(sha)),
      pinned: (s) => pinned.some((p) => s.startsWith(p)), now, graceMs: 20 * min, maxBytes: maxMiB * 1024 * 1024,
    });
    expect(got.map((s) => s[0]).sort()).toEqual([...evicted].sort());
  });
});
