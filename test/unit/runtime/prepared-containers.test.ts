import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPreparedContainers } from '../../../src/runtime/lifecycle/prepared-containers.js';

afterEach(() => vi.useRealTimers());

function setup() {
  const removed: string[] = [];
  const registry = createPreparedContainers(async (name) => void removed.push(name));
  return { registry, removed };
}

describe('prepared containers', () => {
  it('a prepared container is claimed once, for the key it was made for', async () => {
    const { registry, removed } = setup();
    registry.prepare({ name: 'c-1', key: 'k', ttlMs: 60_000, create: async () => 'id-1' });
    expect(registry.size).toBe(1);
    expect(await registry.claim('c-1', 'k')).toBe('id-1');
    expect(await registry.claim('c-1', 'k')).toBeUndefined();
    expect(registry.size).toBe(0);
    expect(removed).toEqual([]);
  });

  it('preparing a name twice creates it once', async () => {
    const { registry } = setup();
    const create = vi.fn(async () => 'id');
    registry.prepare({ name: 'c-1', key: 'k', ttlMs: 60_000, create: create });
    registry.prepare({ name: 'c-1', key: 'k', ttlMs: 60_000, create: create });
    expect(create).toHaveBeenCalledTimes(1);
  });

  it('a claim for another key (say, a resumed step on a newer version) removes it and creates afresh', async () => {
    const { registry, removed } = setup();
    registry.prepare({ name: 'c-1', key: 'old', ttlMs: 60_000, create: async () => 'id-1' });
    expect(await registry.claim('c-1', 'new')).toBeUndefined();
    expect(removed).toEqual(['c-1']);
  });

  it('a failed creation is removed (it may have left a container) and the claim creates afresh', async () => {
    const { registry, removed } = setup();
    registry.prepare({ name: 'c-1', key: 'k', ttlMs: 60_000, create: async () => {
      throw new Error('engine said no');
    } });
    expect(await registry.claim('c-1', 'k')).toBeUndefined();
    expect(removed).toEqual(['c-1']);
  });

  it('an unclaimed container is removed after its TTL, once its creation settled', async () => {
    vi.useFakeTimers();
    const { registry, removed } = setup();
    let finish!: (id: string) => void;
    registry.prepare({ name: 'c-1', key: 'k', ttlMs: 1000, create: () => new Promise<string>((resolve) => (finish = resolve)) });
    await vi.advanceTimersByTimeAsync(1001);
    expect(registry.size).toBe(0);
    expect(removed).toEqual([]); // still being created: removed only after
    const claimed = registry.claim('c-1', 'k'); // waits for that removal before the caller creates
    finish('id-1');
    await vi.advanceTimersByTimeAsync(0);
    expect(removed).toEqual(['c-1']);
    expect(await claimed).toBeUndefined();
  });

  it('a container of a name still being removed (a retried step) is created only after the removal', async () => {
    const order: string[] = [];
    let finishRemoval!: () => void;
    const registry = createPreparedContainers((name) => new Promise<void>((resolve) => {
      order.push(`remove ${name}`);
      finishRemoval = () => {
        order.push(`removed ${name}`);
        resolve();
      };
    }));
    registry.prepare({ name: 'c-1', key: 'k', ttlMs: 60_000, create: async () => 'id-1' });
    const discarded = registry.discard('c-1');
    await new Promise((r) => setTimeout(r, 0));
    registry.prepare({ name: 'c-1', key: 'k', ttlMs: 60_000, create: async () => {
      order.push('create c-1');
      return 'id-2';
    } });
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(['remove c-1']);
    finishRemoval();
    await discarded;
    expect(await registry.claim('c-1', 'k')).toBe('id-2');
    expect(order).toEqual(['remove c-1', 'removed c-1', 'create c-1']);
  });

  it('discard removes at once; clear forgets without removing (the worker sweep does)', async () => {
    const { registry, removed } = setup();
    registry.prepare({ name: 'c-1', key: 'k', ttlMs: 60_000, create: async () => 'id-1' });
    registry.prepare({ name: 'c-2', key: 'k', ttlMs: 60_000, create: async () => 'id-2' });
    await registry.discard('c-1');
    await registry.discard('missing');
    expect(removed).toEqual(['c-1']);
    registry.clear();
    expect(registry.size).toBe(0);
    expect(removed).toEqual(['c-1']);
  });
});
