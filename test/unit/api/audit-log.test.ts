// The audit writer's batching, its bound and retry, what it reads of an input, and the CLI's
// parsers for `audit ls --since` and `namespace set-quota`. No I/O: the repository is a fake.
import { describe, expect, it } from 'vitest';
import { auditSubject, createAuditLog } from '../../../src/api/audit.js';
import type { AuditEventRow } from '../../../src/db/index.js';
import { sinceTime } from '../../../src/cli/commands/audit.commands.js';
import { quotaValue } from '../../../src/cli/commands/namespace.commands.js';
import { effectiveQuotas, type Quotas } from '../../../src/shared/quotas.js';

const event = (target: string) => ({ keyId: 'key_1', keyName: 'ci', namespace: 'shop', action: 'invoke', target, outcome: 'ok' });

function fakeDb(failures = 0) {
  const batches: AuditEventRow[][] = [];
  let left = failures;
  return {
    batches,
    db: { audit: { append: async (rows: AuditEventRow[]) => {
      if (left-- > 0) throw new Error('database down');
      batches.push(rows);
    } } } as never,
  };
}

describe('createAuditLog', () => {
  it('writes what was recorded in one batch, with time-ordered unique ids', async () => {
    const { db, batches } = fakeDb();
    const log = createAuditLog({ db, flushMs: 10_000 });
    for (const t of ['a', 'b', 'c']) log.record(event(t));
    expect(batches).toEqual([]);
    await log.flush();
    expect(batches).toHaveLength(1);
    expect(batches[0]!.map((e) => e.target)).toEqual(['a', 'b', 'c']);
    const ids = batches[0]!.map((e) => e.id);
    expect(new Set(ids).size).toBe(3);
    expect([...ids].sort()).toEqual(ids);
  });

  it('flushes on its own after flushMs', async () => {
    const { db, batches } = fakeDb();
    const log = createAuditLog({ db, flushMs: 20 });
    log.record(event('a'));
    await new Promise((r) => setTimeout(r, 80));
    expect(batches.flat().map((e) => e.target)).toEqual(['a']);
  });

  it('drops past maxQueued and says how many', async () => {
    const { db, batches } = fakeDb();
    const messages: string[] = [];
    const log = createAuditLog({ db, flushMs: 10_000, maxQueued: 2, log: (m) => messages.push(m) });
    for (const t of ['a', 'b', 'c', 'd', 'e']) log.record(event(t));
    await log.flush();
    expect(batches.flat().map((e) => e.target)).toEqual(['a', 'b']);
    expect(messages).toEqual([expect.stringContaining('3 event(s) dropped')]);
  });

  it('writes a failed batch again with the next one', async () => {
    const { db, batches } = fakeDb(1);
    const log = createAuditLog({ db, flushMs: 10_000, log: () => {} });
    log.record(event('a'));
    await log.flush();
    log.record(event('b'));
    await log.flush();
    expect(batches.flat().map((e) => e.target)).toEqual(['a', 'b']);
  });

  it('clips long fields', async () => {
    const { db, batches } = fakeDb();
    const log = createAuditLog({ db });
    log.record(event('x'.repeat(5000)));
    await log.stop();
    expect(batches[0]![0]!.target.length).toBe(200);
  });
});

describe('auditSubject', () => {
  it.each([
    [{ namespace: 'shop', function: 'resize', payload: { secret: 1 } }, { target: 'resize', namespace: 'shop', byId: false }],
    [{ name: 'hello', code: 'AAAA' }, { target: 'hello', namespace: undefined, byId: false }],
    [{ namespace: 'shop', definition: { name: 'pipeline', steps: [] } }, { target: 'pipeline', namespace: 'shop', byId: false }],
    [{ id: 'inv_abc' }, { target: 'inv_abc', namespace: undefined, byId: true }],
    [{ namespace: 'shop', quotas: { functions: 3 } }, { target: 'shop', namespace: 'shop', byId: false }],
    [{ namespace: 7, name: { nested: true } }, { target: '', namespace: undefined, byId: false }],
    [undefined, { target: '', namespace: undefined, byId: false }],
  ])('%j → %j', (input, expected) => {
    expect(auditSubject(input)).toEqual(expected);
  });
});

describe('CLI parsers', () => {
  const now = Date.parse('2026-12-06T10:00:00Z');
  it.each([
    ['30m', '2026-12-06T09:30:00.000Z'],
    ['2h', '2026-12-06T08:00:00.000Z'],
    ['1d', '2026-12-05T10:00:00.000Z'],
    ['2026-12-01T00:00:00Z', '2026-12-01T00:00:00.000Z'],
  ])('--since %s', (value, iso) => {
    expect(sinceTime(value, now)).toBe(iso);
  });
  it('refuses a --since it cannot read', () => {
    expect(() => sinceTime('yesterday', now)).toThrow(/--since/);
  });

  it.each([
    ['concurrency', '10', 10],
    ['concurrency', 'default', null],
    ['code-bytes', '512m', 512 * 1024 ** 2],
    ['code-bytes', '2GiB', 2 * 1024 ** 3],
    ['blob-bytes', '10g', 10 * 1024 ** 3],
    ['blob-bytes', 'default', null],
  ])('--%s %s', (flag, value, expected) => {
    expect(quotaValue(flag, value)).toBe(expected);
  });
  it.each([['concurrency', '10m'], ['per-minute', '-1'], ['functions', 'many'], ['blob-bytes', '1t']])('refuses --%s %s', (flag, value) => {
    expect(() => quotaValue(flag, value)).toThrow(`--${flag}`);
  });
});

describe('effectiveQuotas', () => {
  const defaults: Quotas = { concurrentInvocations: 100, invocationsPerMinute: 6000, functions: 1000, versions: 10_000, codeBytes: 1e10, warmContainers: 32, blobBytes: 1e10 };
  it('takes an override, and the default where it is null or absent; 0 is an override', () => {
    expect(effectiveQuotas(defaults, { concurrentInvocations: 1, functions: null, warmContainers: 0 }))
      .toEqual({ ...defaults, concurrentInvocations: 1, warmContainers: 0 });
    expect(effectiveQuotas(defaults, null)).toEqual(defaults);
  });
});
