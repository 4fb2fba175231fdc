import { describe, expect, it } from 'vitest';
import { createBuildLogStore } from '../../../src/api/build-log-store.js';

describe('build log store', () => {
  it('answers lines after a cursor, keeps a batch sent twice once, and starts a retried attempt with a mark', async () => {
    const store = createBuildLogStore();
    store.append('d', { attempt: 1, seq: 0, lines: ['a', 'b'] });
    store.append('d', { attempt: 1, seq: 0, lines: ['a', 'b'] });
    store.append('d', { attempt: 1, seq: 2, lines: ['c'] });
    expect(await store.read('d', 0)).toEqual({ lines: ['a', 'b', 'c'], next: 3, dropped: 0 });
    expect(await store.read('d', 2)).toEqual({ lines: ['c'], next: 3, dropped: 0 });
    store.append('d', { attempt: 2, seq: 0, lines: ['a2'] });
    store.append('d', { attempt: 1, seq: 3, lines: ['late'] });
    expect((await store.read('d', 3)).lines).toEqual(['(the build is retried: attempt 2)', 'a2']);
  });

  it('keeps at most linesPerDeployment lines and counts the rest', async () => {
    const store = createBuildLogStore({ linesPerDeployment: 3 });
    store.append('d', { attempt: 1, seq: 0, lines: ['1', '2', '3', '4', '5'] });
    expect(await store.read('d', 0)).toEqual({ lines: ['1', '2', '3'], next: 3, dropped: 2 });
  });

  it('forgets the deploy written to longest ago beyond maxDeployments', async () => {
    const store = createBuildLogStore({ maxDeployments: 2 });
    store.append('a', { attempt: 1, seq: 0, lines: ['a'] });
    store.append('b', { attempt: 1, seq: 0, lines: ['b'] });
    store.append('a', { attempt: 1, seq: 1, lines: ['a2'] });
    store.append('c', { attempt: 1, seq: 0, lines: ['c'] });
    expect(store.has('b')).toBe(false);
    expect((await store.read('a', 0)).lines).toEqual(['a', 'a2']);
    expect(store.size).toBe(2);
  });

  it('a reader waiting for lines is answered when they arrive, and after waitMs when none do', async () => {
    const store = createBuildLogStore();
    const waiting = store.read('d', 0, 5000);
    setTimeout(() => store.append('d', { attempt: 1, seq: 0, lines: ['now'] }), 20);
    expect((await waiting).lines).toEqual(['now']);
    const t0 = Date.now();
    expect((await store.read('d', 1, 50)).lines).toEqual([]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
  });

  it('beyond maxWaitersPerDeployment a reader is answered at once', async () => {
    const store = createBuildLogStore({ maxWaitersPerDeployment: 1 });
    const first = store.read('d', 0, 5000);
    expect(await store.read('d', 0, 5000)).toEqual({ lines: [], next: 0, dropped: 0 });
    store.append('d', { attempt: 1, seq: 0, lines: ['x'] });
    expect((await first).lines).toEqual(['x']);
  });
});
