import { describe, expect, it } from 'vitest';
import { deriveKey, newMasterKey, open, parseMasterKey, seal, SealError } from '../../../src/shared/sealing.js';

describe('sealing', () => {
  const master = parseMasterKey(newMasterKey());
  const key = deriveKey(master, 'secrets-at-rest');

  it('opens what it sealed, in the same context', () => {
    const sealed = seal(key, Buffer.from('hunter2'), 'ns/name');
    expect(sealed.includes(Buffer.from('hunter2'))).toBe(false);
    expect(open(key, sealed, 'ns/name').toString()).toBe('hunter2');
  });

  it('refuses another context, another purpose, a flipped byte and a short input', () => {
    const sealed = seal(key, Buffer.from('hunter2'), 'ns/name');
    expect(() => open(key, sealed, 'other/name')).toThrow(SealError);
    expect(() => open(deriveKey(master, 'temporal-payloads'), sealed, 'ns/name')).toThrow(SealError);
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1]! ^= 1;
    expect(() => open(key, flipped, 'ns/name')).toThrow(SealError);
    expect(() => open(key, Buffer.from([1, 2, 3]))).toThrow(SealError);
  });

  it('parses base64 and hex master keys and refuses other lengths', () => {
    const hex = 'ab'.repeat(32);
    expect(parseMasterKey(hex).toString('hex')).toBe(hex);
    expect(() => parseMasterKey('c2hvcnQ=')).toThrow(SealError);
    expect(() => parseMasterKey('not a key at all')).toThrow(SealError);
  });
});
