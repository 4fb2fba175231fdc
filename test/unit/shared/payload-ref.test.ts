import { describe, expect, it } from 'vitest';
import { toPayloadRef } from '../../../src/shared/payload-ref.js';

describe('toPayloadRef', () => {
  const stored: Uint8Array[] = [];
  const store = async (json: Uint8Array) => {
    stored.push(json);
    return `blob_${stored.length}`;
  };

  it('keeps a value whose JSON fits the threshold inline, counted in bytes', async () => {
    expect(await toPayloadRef({ a: 1 }, 7, store)).toEqual({ inline: { a: 1 } });
    expect(await toPayloadRef(undefined, 4, store)).toEqual({ inline: null });
    expect(stored).toHaveLength(0);
  });

  it('stores the JSON bytes of a larger value: multi-byte characters count as bytes', async () => {
    // "é" is one character but two bytes: 4 characters of JSON, 6 bytes.
    const ref = await toPayloadRef('éé', 5, store);
    expect(ref).toEqual({ ref: 'blob_1', sizeBytes: 6 });
    expect(new TextDecoder().decode(stored[0])).toBe('"éé"');
  });
});
