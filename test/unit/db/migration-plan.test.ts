import { describe, expect, it } from 'vitest';
import {
  checksumMatches,
  migrationChecksum,
  planMigrations,
  sortMigrations,
  type AppliedMigration,
} from '../../../src/db/migration-plan.js';

const m = (name: string, sql = `-- ${name}\n`) => ({ name, sql });
const applied = (name: string, sql: string, over: Partial<AppliedMigration> = {}): AppliedMigration => ({
  migrationName: name,
  checksum: migrationChecksum(sql),
  finishedAt: new Date(0),
  rolledBackAt: null,
  ...over,
});

describe('migrationChecksum', () => {
  it.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ])('is lowercase sha256 hex of %j', (sql, expected) => {
    expect(migrationChecksum(sql)).toBe(expected);
    expect(migrationChecksum(sql)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('treats CRLF checkouts as unchanged, real edits as changed', () => {
    const sql = 'CREATE TABLE a ();\nCREATE TABLE b ();\n';
    expect(checksumMatches(sql.replace(/\n/g, '\r\n'), migrationChecksum(sql))).toBe(true);
    expect(checksumMatches(`${sql}-- x\n`, migrationChecksum(sql))).toBe(false);
  });
});

describe('sortMigrations', () => {
  it('orders by directory name', () => {
    expect(sortMigrations([m('20240102000000_b'), m('20240101000000_a'), m('20240101000000_0')]).map((x) => x.name)).toEqual([
      '20240101000000_0',
      '20240101000000_a',
      '20240102000000_b',
    ]);
  });
});

describe('planMigrations', () => {
  const one = m('20240101000000_init');
  const two = m('20240201000000_more');

  it.each([
    ['fresh database', [one, two], [], { pending: [one.name, two.name], edited: [], failed: [], unknown: [] }],
    ['up to date', [one, two], [applied(one.name, one.sql), applied(two.name, two.sql)], { pending: [], edited: [], failed: [], unknown: [] }],
    ['one behind', [one, two], [applied(one.name, one.sql)], { pending: [two.name], edited: [], failed: [], unknown: [] }],
    ['edited', [one, two], [applied(one.name, 'other')], { pending: [two.name], edited: [one.name], failed: [], unknown: [] }],
    ['failed', [one, two], [applied(one.name, one.sql, { finishedAt: null })], { pending: [two.name], edited: [], failed: [one.name], unknown: [] }],
    [
      'failed then rolled back and re-applied',
      [one],
      [applied(one.name, one.sql, { finishedAt: null, rolledBackAt: new Date(0) }), applied(one.name, one.sql)],
      { pending: [], edited: [], failed: [], unknown: [] },
    ],
    ['rolled back only', [one], [applied(one.name, one.sql, { finishedAt: null, rolledBackAt: new Date(0) })], { pending: [one.name], edited: [], failed: [], unknown: [] }],
    ['newer release ran', [one], [applied(one.name, one.sql), applied(two.name, two.sql)], { pending: [], edited: [], failed: [], unknown: [two.name] }],
  ])('%s', (_case, local, db, expected) => {
    const plan = planMigrations(local, db);
    expect({ ...plan, pending: plan.pending.map((p) => p.name) }).toEqual(expected);
  });
});
