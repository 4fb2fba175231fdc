// The retention sweep's pass over old blobs, with a fake repository: it walks every candidate
// batch by batch (going on after the last one, whether or not it was deleted) and adds up what
// each batch deleted; a retention of 0 days sweeps nothing.
import { describe, expect, it } from 'vitest';
import { startBlobRetention, sweepBlobs } from '../../../src/api/blob-retention.js';

function fakeBlobs(candidates: number, keepEvery: number) {
  const calls: { after?: { id: string } }[] = [];
  const all = Array.from({ length: candidates }, (_, i) => ({ id: `blob_${String(i).padStart(4, '0')}`, createdAt: new Date(i) }));
  const db = {
    blobs: {
      sweepUnreferenced: async (input: { before: Date; limit: number; after?: { createdAt: Date; id: string } }) => {
        calls.push({ ...(input.after ? { after: { id: input.after.id } } : {}) });
        const start = input.after ? all.findIndex((b) => b.id === input.after!.id) + 1 : 0;
        const batch = all.slice(start, start + input.limit);
        const deleted = batch.filter((_, i) => (start + i) % keepEvery !== 0).length;
        return { deleted, bytes: deleted * 10, scanned: batch.length, ...(batch.length ? { last: batch.at(-1)! } : {}) };
      },
    },
  } as never;
  return { db, calls };
}

describe('sweepBlobs', () => {
  it('walks every batch, going on after the last candidate, and adds up what was deleted', async () => {
    const { db, calls } = fakeBlobs(25, 5);
    expect(await sweepBlobs({ db, before: new Date(), batch: 10 })).toEqual({ deleted: 20, bytes: 200 });
    expect(calls).toEqual([{}, { after: { id: 'blob_0009' } }, { after: { id: 'blob_0019' } }]);
  });

  it('stops after a full batch followed by an empty one', async () => {
    const { db, calls } = fakeBlobs(10, 1);
    expect(await sweepBlobs({ db, before: new Date(), batch: 10 })).toEqual({ deleted: 0, bytes: 0 });
    expect(calls).toHaveLength(2);
  });
});

describe('startBlobRetention', () => {
  it('sweeps nothing with a retention of 0 days', () => {
    const { db, calls } = fakeBlobs(5, 2);
    startBlobRetention({ db, days: 0 })();
    expect(calls).toHaveLength(0);
  });
});
