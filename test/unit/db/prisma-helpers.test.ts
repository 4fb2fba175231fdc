import { describe, expect, it } from 'vitest';
import { databaseKind } from '../../../src/db/client.js';
import { afterTimeCursor, decodeTimeCursor, encodeTimeCursor, pageSize, toIso } from '../../../src/db/prisma-helpers.js';

describe('time cursors', () => {
  it.each([
    [{ createdAt: new Date('2026-11-26T07:00:00.123Z'), id: 'inv_abc' }],
    [{ createdAt: new Date(0), id: 'id|with|bars' }],
  ])('round-trip %o', (cursor) => {
    const encoded = encodeTimeCursor(cursor);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeTimeCursor(encoded)).toEqual(cursor);
  });

  it.each(['', 'garbage', Buffer.from('not-a-date|x').toString('base64url'), Buffer.from('2026-01-01T00:00:00Z|').toString('base64url')])(
    'rejects malformed %j',
    (bad) => {
      expect(decodeTimeCursor(bad)).toBeNull();
    },
  );

  it('continues strictly after the cursor in (createdAt desc, id desc) order', () => {
    const createdAt = new Date('2026-01-01T00:00:00Z');
    expect(afterTimeCursor({ createdAt, id: 'b' })).toEqual({
      OR: [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: 'b' } }],
    });
  });
});

describe('pageSize', () => {
  it.each([
    [undefined, 50],
    [0, 1],
    [-5, 1],
    [10.7, 10],
    [10_000, 500],
    [Number.NaN, 50],
  ])('%s → %s', (input, expected) => {
    expect(pageSize(input)).toBe(expected);
  });
});

describe('toIso', () => {
  it('formats dates and passes null through', () => {
    expect(toIso(new Date('2026-01-01T00:00:00Z'))).toBe('2026-01-01T00:00:00.000Z');
    expect(toIso(null)).toBeNull();
  });
});

describe('databaseKind', () => {
  it.each([
    [undefined, 'pglite'],
    ['', 'pglite'],
    ['postgres://u:p@h/db', 'postgres'],
    ['postgresql://u:p@h:5432/db?schema=public', 'postgres'],
  ] as const)('%s → %s', (url, kind) => {
    expect(databaseKind(url)).toBe(kind);
  });

  it('refuses other schemes', () => {
    expect(() => databaseKind('mysql://x')).toThrow(/unsupported database URL scheme/);
  });
});
