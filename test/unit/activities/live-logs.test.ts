// The live-log tap (worker) and store (api) stay bounded whatever a function prints.
import { describe, expect, it } from 'vitest';
import { createLiveLogTap, type LiveLogBatch } from '../../../src/activities/live-logs.js';
import { createLiveLogStore } from '../../../src/api/live-logs.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('createLiveLogTap', () => {
  it('forwards up to its cap, counts the rest as dropped, and ends with a marked batch', async () => {
    const batches: LiveLogBatch[] = [];
    const tap = createLiveLogTap({ sink: async (_id, b) => void batches.push(b), invocationId: 'inv_a', capBytes: 10, flushMs: 5 });
    tap.push(1, Buffer.from('hello '));
    tap.push(2, Buffer.from('oops'));
    tap.push(1, Buffer.from('world, and more'));
    await tick(20);
    tap.push(2, Buffer.from('late'));
    tap.end();
    await tick(20);
    const text = batches.flatMap((b) => b.chunks).map((c) => c.text).join('');
    expect(text).toBe('hello oops');
    expect(batches.reduce((n, b) => n + b.droppedBytes, 0)).toBe(19);
    expect(batches.at(-1)!.end).toBe(true);
  });

  it('holds at most maxPendingBytes while the api is slow, one request in flight', async () => {
    let inFlight = 0;
    let most = 0;
    let received = 0;
    const tap = createLiveLogTap({
      sink: async (_id, b) => {
        most = Math.max(most, ++inFlight);
        received += b.chunks.reduce((n, c) => n + c.text.length, 0);
        await tick(30);
        inFlight--;
      },
      invocationId: 'inv_b', capBytes: 1 << 30, flushMs: 1, maxPendingBytes: 1000,
    });
    for (let i = 0; i < 200; i++) {
      tap.push(1, Buffer.alloc(100, 'a'));
      await tick(1);
    }
    tap.end();
    await tick(200);
    expect(most).toBe(1);
    expect(received).toBeLessThan(200 * 100);
  });

  it('sends nothing for an attempt that ends before its first batch was due', async () => {
    const batches: LiveLogBatch[] = [];
    const tap = createLiveLogTap({ sink: async (_id, b) => void batches.push(b), invocationId: 'inv_d', capBytes: 100, flushMs: 50 });
    tap.push(1, Buffer.from('{"message": "hi"}\n'));
    tap.end();
    await tick(80);
    expect(batches).toEqual([]);
  });

  it('does not cut a UTF-8 character split across chunks', async () => {
    const batches: LiveLogBatch[] = [];
    const tap = createLiveLogTap({ sink: async (_id, b) => void batches.push(b), invocationId: 'inv_c', capBytes: 100, flushMs: 1 });
    const euro = Buffer.from('€');
    tap.push(1, Buffer.concat([Buffer.from('a'), euro.subarray(0, 1)]));
    await tick(10);
    tap.push(1, euro.subarray(1));
    tap.end();
    await tick(10);
    expect(batches.flatMap((b) => b.chunks).map((c) => c.text).join('')).toBe('a€');
  });
});

describe('createLiveLogStore', () => {
  it('keeps maxBytesPerInvocation per invocation and maxTotalBytes in all, oldest invocation first out', () => {
    const store = createLiveLogStore({ maxBytesPerInvocation: 10, maxTotalBytes: 15, keepMs: 60_000 });
    store.append('a', { chunks: [{ stream: 1, text: '12345678' }, { stream: 1, text: 'abcdef' }], droppedBytes: 2, end: false });
    expect(store.read('a', 0)).toMatchObject({ chunks: [{ seq: 1, text: '12345678' }], next: 1, droppedBytes: 8 });
    store.append('b', { chunks: [{ stream: 2, text: '1234567890' }], droppedBytes: 0, end: true });
    expect(store.read('a', 0)).toBeUndefined();
    expect(store.read('b', 0)!.chunks).toHaveLength(1);
    expect(store.read('b', 1)!.chunks).toHaveLength(0);
    store.stop();
  });
});
