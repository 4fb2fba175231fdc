// The payload codec: what Temporal stores is ciphertext naming its key, it round-trips every
// payload shape, passes unencrypted payloads through, and refuses a foreign key or a changed byte.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { createPayloadCodec, ENCODING_ENCRYPTED, isEncrypted, PayloadKeyError } from '../../../src/temporal/payload-codec.js';
import { corsHeaders, mayUseCodec } from '../../../src/api/codec-endpoint.js';

const master = randomBytes(32);
const codec = createPayloadCodec(master);
const text = (u: Uint8Array | null | undefined) => Buffer.from(u ?? []).toString('utf8');

describe('payload codec', () => {
  it.each([
    ['an object', { marker: 'MARKER-x1', nested: { list: [1, 2, 3] } }],
    ['a string', 'MARKER-x1'],
    ['null', null],
    ['undefined', undefined],
    ['binary', new Uint8Array([0, 1, 2, 255])],
  ])('round-trips %s and stores ciphertext only', async (_, value) => {
    const plain = defaultPayloadConverter.toPayload(value);
    const [sealed] = await codec.encode([plain]);
    expect(isEncrypted(sealed!)).toBe(true);
    expect(text(sealed!.metadata!.encoding)).toBe(ENCODING_ENCRYPTED);
    expect(text(sealed!.metadata!['encryption-key-id'])).toBe(codec.keyId);
    expect(Object.keys(sealed!.metadata!)).toEqual(['encoding', 'encryption-key-id']); // the original encoding is inside
    expect(text(sealed!.data)).not.toContain('MARKER');
    const [opened] = await codec.decode([sealed!]);
    expect(defaultPayloadConverter.fromPayload(opened!)).toEqual(value);
  });

  it('gives back an empty data field as bytes', async () => {
    const [sealed] = await codec.encode([{ metadata: { encoding: new TextEncoder().encode('binary/null') } }]);
    const [opened] = await codec.decode([sealed!]);
    expect(opened!.data).toBeInstanceOf(Uint8Array);
    expect(opened!.data!.length).toBe(0);
    expect(text(opened!.metadata!.encoding)).toBe('binary/null');
  });

  it('seals the same payload differently each time (random IV)', async () => {
    const p = defaultPayloadConverter.toPayload({ a: 1 });
    const [a, b] = await codec.encode([p, p]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('passes payloads that are not encrypted through decode (histories from before)', async () => {
    const plain = defaultPayloadConverter.toPayload({ old: true });
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('the same master key gives the same key id; another one is refused with a clear message', async () => {
    expect(createPayloadCodec(Buffer.from(master)).keyId).toBe(codec.keyId);
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload('x')]);
    const other = createPayloadCodec(randomBytes(32));
    await expect(other.decode([sealed!])).rejects.toThrow(PayloadKeyError);
    await expect(other.decode([sealed!])).rejects.toThrow(/same CAISSON_SECRETS_KEY/);
  });

  it('refuses a changed byte, and a key id rewritten to match', async () => {
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload('x')]);
    const data = Buffer.from(sealed!.data!);
    data[data.length - 1]! ^= 1;
    await expect(codec.decode([{ ...sealed!, data }])).rejects.toThrow(/does not open/);
    const other = createPayloadCodec(randomBytes(32));
    const [foreign] = await other.encode([defaultPayloadConverter.toPayload('x')]);
    const relabelled: Payload = { ...foreign!, metadata: { ...foreign!.metadata, 'encryption-key-id': new TextEncoder().encode(codec.keyId) } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/does not open/);
  });
});

describe('codec endpoint rules', () => {
  const key = (namespace: string, role: 'admin' | 'reader') => ({ kind: 'key' as const, id: 'k', name: 'n', namespace, role, expiresAt: null });
  it.each([
    [key('*', 'admin'), true],
    [key('*', 'reader'), false],
    [key('shop', 'admin'), false],
    [{ kind: 'worker' as const }, false],
  ])('%o may decode: %s', (caller, allowed) => {
    expect(mayUseCodec(caller)).toBe(allowed);
  });

  it('answers CORS for the configured origins only', () => {
    const allowed = ['http://127.0.0.1:8233'];
    expect(corsHeaders('http://127.0.0.1:8233', allowed)['access-control-allow-origin']).toBe('http://127.0.0.1:8233');
    expect(corsHeaders('http://evil.example', allowed)['access-control-allow-origin']).toBeUndefined();
    expect(corsHeaders(undefined, allowed)['access-control-allow-origin']).toBeUndefined();
  });
});
