// The registry of warm attempts handed over from their local activity (warm-handover.ts).
import { describe, expect, it } from 'vitest';
import { createWarmHandovers } from '../../../src/activities/warm-handover.js';

/** Work that ends when told to, or rejects when its signal aborts. */
function controllable<T>() {
  let finish!: (v: T) => void;
  let seen: AbortSignal | undefined;
  const work = (signal: AbortSignal) => {
    seen = signal;
    return new Promise<T>((resolve, reject) => {
      finish = resolve;
      signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
  };
  return { work, finish: (v: T) => finish(v), signal: () => seen! };
}

const never = new AbortController().signal;

describe('warm handovers', () => {
  it('answers work that settles within the bound, and keeps nothing', async () => {
    const h = createWarmHandovers({ unclaimedMs: 1000 });
    expect(await h.runBounded({ key: 'a#1', boundMs: 200, signal: never, work: async () => 'done' })).toBe('done');
    expect(h.size()).toBe(0);
  });

  it('hands over work still running at the bound; its claimant gets the result, once', async () => {
    const h = createWarmHandovers({ unclaimedMs: 1000 });
    const c = controllable<string>();
    expect(await h.runBounded({ key: 'a#1', boundMs: 10, signal: never, work: c.work })).toBeUndefined();
    const claimed = h.take<string>('a#1')!;
    expect(h.take('a#1')).toBeUndefined();
    c.finish('late');
    expect(await claimed.result).toBe('late');
    await new Promise((r) => setImmediate(r));
    expect(h.size()).toBe(0);
  });

  it('the local activity\'s signal stops it only until the handover', async () => {
    const h = createWarmHandovers({ unclaimedMs: 1000 });
    const c = controllable<string>();
    const local = new AbortController();
    await h.runBounded({ key: 'a#1', boundMs: 10, signal: local.signal, work: c.work });
    local.abort();
    expect(c.signal().aborted).toBe(false);
    h.stop('a#1');
    expect(c.signal().aborted).toBe(true);
  });

  it.each([['claimed', true], ['not claimed', false]])('stop aborts an attempt %s', async (_, claim) => {
    const h = createWarmHandovers({ unclaimedMs: 1000 });
    const c = controllable<string>();
    await h.runBounded({ key: 'a#1', boundMs: 10, signal: never, work: c.work });
    const claimed = claim ? h.take<string>('a#1') : undefined;
    expect(h.stop('a#1')).toBe(true);
    expect(c.signal().aborted).toBe(true);
    if (claimed) await expect(claimed.result).rejects.toThrow('aborted');
    expect(h.stop('b#1')).toBe(false);
  });

  it('stops an attempt nobody claims in time', async () => {
    const h = createWarmHandovers({ unclaimedMs: 30 });
    const c = controllable<string>();
    await h.runBounded({ key: 'a#1', boundMs: 10, signal: never, work: c.work });
    await new Promise((r) => setTimeout(r, 60));
    expect(c.signal().aborted).toBe(true);
    expect(h.take('a#1')).toBeUndefined();
  });

  it('a rerun of the same attempt replaces (and stops) the first', async () => {
    const h = createWarmHandovers({ unclaimedMs: 1000 });
    const first = controllable<string>();
    const second = controllable<string>();
    await h.runBounded({ key: 'a#1', boundMs: 10, signal: never, work: first.work });
    await h.runBounded({ key: 'a#1', boundMs: 10, signal: never, work: second.work });
    expect(first.signal().aborted).toBe(true);
    const claimed = h.take<string>('a#1')!;
    second.finish('second');
    expect(await claimed.result).toBe('second');
  });
});
