// Every repository against PGlite (temp dir) and a real PostgreSQL database. No mocks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createRepositories, type Repositories } from '../../../src/db/index.js';
import { ConflictError, NotFoundError, ValidationError } from '../../../src/shared/errors.js';
import { DEFAULT_RETRY_POLICY, type AttemptRecord } from '../../../src/shared/types.js';
import type { FunctionVersionInput } from '../../../src/db/functions.repository.js';
import { TARGETS, openTarget, type OpenTarget } from './databases.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function versionInput(namespace: string, name: string, source: string): FunctionVersionInput {
  const code = Buffer.from(source);
  return {
    namespace,
    name,
    runtime: 'python',
    convention: 'script',
    entry: 'main.py',
    artifact: { sha256: sha(code), format: 'file', fileName: 'main.py', sizeBytes: code.byteLength },
    code,
    limits: { timeoutMs: 5000, memoryMb: 128, cpus: 0.5, network: false },
    env: { GREETING: 'hi' },
    retryPolicy: DEFAULT_RETRY_POLICY,
  };
}

const attempt = (n: number): AttemptRecord => ({
  attempt: n,
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:00:01.000Z',
  durationMs: 1000,
  failure: { kind: 'FunctionError', message: `boom ${n}` },
});

describe.each(TARGETS)('repositories on %s', (kind) => {
  let target: OpenTarget;
  let repos: Repositories;

  beforeAll(async () => {
    target = await openTarget(kind);
    repos = createRepositories(target.db.prisma);
  });
  afterAll(async () => {
    await target?.dispose();
  });

  describe('functions', () => {
    it('creates version 1 with its artifact in one go and reads the spec back', async () => {
      const spec = await repos.functions.create(versionInput('ns1', 'hello', 'print(1)'));
      expect(spec).toMatchObject({ namespace: 'ns1', name: 'hello', version: 1, runtime: 'python', entry: 'main.py' });
      expect(spec.artifact).toEqual({ sha256: sha(Buffer.from('print(1)')), format: 'file', fileName: 'main.py', sizeBytes: 8 });
      expect(spec.limits).toEqual({ timeoutMs: 5000, memoryMb: 128, cpus: 0.5, network: false });
      expect(spec.env).toEqual({ GREETING: 'hi' });
      expect(spec.retryPolicy).toEqual(DEFAULT_RETRY_POLICY);
      expect((await repos.artifacts.get(spec.artifact.sha256))?.toString()).toBe('print(1)');
      expect(await repos.functions.getVersionSpec('ns1', 'hello', 'latest')).toEqual(spec);
      expect(await repos.functions.getVersionSpec('ns1', 'hello', 1)).toEqual(spec);
    });

    it('rejects a second function with the same name in a namespace, allows it in another', async () => {
      await expect(repos.functions.create(versionInput('ns1', 'hello', 'x'))).rejects.toBeInstanceOf(ConflictError);
      const other = await repos.functions.create(versionInput('ns2', 'hello', 'x'));
      expect(other.version).toBe(1);
    });

    it('maps a race of two creates to one winner and one ConflictError', async () => {
      const results = await Promise.allSettled([
        repos.functions.create(versionInput('race', 'f', 'a')),
        repos.functions.create(versionInput('race', 'f', 'b')),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(ConflictError);
    });

    it('adds versions with consecutive numbers, also when concurrent', async () => {
      await repos.functions.create(versionInput('ns1', 'counter', 'v1'));
      const v2 = await repos.functions.addVersion(versionInput('ns1', 'counter', 'v2'));
      expect(v2.version).toBe(2);
      const concurrent = await Promise.all(
        [3, 4, 5, 6].map((n) => repos.functions.addVersion(versionInput('ns1', 'counter', `v${n}`))),
      );
      expect(concurrent.map((s) => s.version).sort()).toEqual([3, 4, 5, 6]);
      expect((await repos.functions.get('ns1', 'counter'))?.latestVersion).toBe(6);
      const versions = await repos.functions.listVersions('ns1', 'counter');
      expect(versions.map((v) => v.version)).toEqual([6, 5, 4, 3, 2, 1]);
      expect(typeof versions[0]?.createdAt).toBe('string');
      expect((await repos.functions.getVersionSpec('ns1', 'counter', 2)).artifact.sha256).toBe(sha(Buffer.from('v2')));
    });

    it('accepts an artifact stored beforehand and refuses one that is not stored', async () => {
      const code = Buffer.from('stored first');
      await repos.artifacts.put(code);
      const { code: _code, ...withoutCode } = versionInput('ns1', 'prestored', 'stored first');
      expect((await repos.functions.create(withoutCode)).version).toBe(1);
      const missing = { ...withoutCode, name: 'missing', artifact: { ...withoutCode.artifact, sha256: 'f'.repeat(64) } };
      await expect(repos.functions.create(missing)).rejects.toBeInstanceOf(ValidationError);
      expect(await repos.functions.get('ns1', 'missing')).toBeNull();
    });

    it("sees its own deploys and deletes at once, another process's within a second", async () => {
      const other = createRepositories(target.db.prisma); // another api process on the same database
      await repos.functions.create(versionInput('heads', 'f', 'v1'));
      expect((await repos.functions.getVersionSpec('heads', 'f', 'latest')).version).toBe(1);
      expect((await other.functions.getVersionSpec('heads', 'f', 'latest')).version).toBe(1);
      await repos.functions.addVersion(versionInput('heads', 'f', 'v2'));
      expect((await repos.functions.getVersionSpec('heads', 'f', 'latest')).version).toBe(2);
      await new Promise((r) => setTimeout(r, 1100));
      expect((await other.functions.getVersionSpec('heads', 'f', 'latest')).version).toBe(2);
      expect(await repos.functions.delete('heads', 'f')).toBe(true);
      await expect(repos.functions.getVersionSpec('heads', 'f', 'latest')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('answers NotFoundError for unknown functions and versions', async () => {
      await expect(repos.functions.getVersionSpec('ns1', 'nope', 'latest')).rejects.toBeInstanceOf(NotFoundError);
      await expect(repos.functions.getVersionSpec('ns1', 'hello', 9)).rejects.toBeInstanceOf(NotFoundError);
      await expect(repos.functions.addVersion(versionInput('ns1', 'nope', 'x'))).rejects.toBeInstanceOf(NotFoundError);
      await expect(repos.functions.listVersions('ns1', 'nope')).rejects.toBeInstanceOf(NotFoundError);
      expect(await repos.functions.get('ns1', 'nope')).toBeNull();
    });

    it('lists a namespace by name with a cursor', async () => {
      for (const n of ['a', 'b', 'c', 'd', 'e']) await repos.functions.create(versionInput('paged', n, n));
      const first = await repos.functions.list({ namespace: 'paged', limit: 2 });
      expect(first.items.map((f) => f.name)).toEqual(['a', 'b']);
      const second = await repos.functions.list({ namespace: 'paged', limit: 2, cursor: first.nextCursor! });
      expect(second.items.map((f) => f.name)).toEqual(['c', 'd']);
      const third = await repos.functions.list({ namespace: 'paged', limit: 2, cursor: second.nextCursor! });
      expect(third).toEqual({ items: [expect.objectContaining({ name: 'e' })], nextCursor: null });
    });

    it('soft-deletes, hides the function, and lets the name be created again from version 1', async () => {
      await repos.functions.create(versionInput('ns1', 'doomed', 'v1'));
      await repos.functions.addVersion(versionInput('ns1', 'doomed', 'v2'));
      expect(await repos.functions.delete('ns1', 'doomed')).toBe(true);
      expect(await repos.functions.delete('ns1', 'doomed')).toBe(false);
      expect(await repos.functions.get('ns1', 'doomed')).toBeNull();
      await expect(repos.functions.getVersionSpec('ns1', 'doomed', 1)).rejects.toBeInstanceOf(NotFoundError);
      expect((await repos.functions.list({ namespace: 'ns1' })).items.map((f) => f.name)).not.toContain('doomed');
      const again = await repos.functions.create(versionInput('ns1', 'doomed', 'reborn'));
      expect(again.version).toBe(1);
      expect(await repos.functions.listVersions('ns1', 'doomed')).toHaveLength(1);
    });
  });

  describe('secrets', () => {
    it('stores sealed bytes per namespace and name; views never select them', async () => {
      const row = await repos.secrets.create({ namespace: 'sec1', name: 'k', sealed: Buffer.from([1, 2, 3]), sizeBytes: 2 });
      expect(row).toEqual({ namespace: 'sec1', name: 'k', sizeBytes: 2, createdAt: expect.any(Date) });
      await expect(repos.secrets.create({ namespace: 'sec1', name: 'k', sealed: Buffer.from([4]), sizeBytes: 1 })).rejects.toThrow(ConflictError);
      await repos.secrets.create({ namespace: 'sec2', name: 'k', sealed: Buffer.from([9]), sizeBytes: 1 });
      expect((await repos.secrets.list('sec1')).map((r) => r.name)).toEqual(['k']);
      expect(await repos.secrets.existing('sec1', ['k', 'x'])).toEqual(new Set(['k']));
      expect(await repos.secrets.sealed('sec1', ['k', 'x'])).toEqual(new Map([['k', Buffer.from([1, 2, 3])]]));
      expect(await repos.secrets.delete('sec1', 'k')).toBe(true);
      expect(await repos.secrets.delete('sec1', 'k')).toBe(false);
      expect(await repos.secrets.existing('sec2', ['k'])).toEqual(new Set(['k']));
    });

    it("stores a version's secret names and finds the live functions that use one", async () => {
      const uses = { ...versionInput('sec3', 'uses', 'print(3)'), secrets: [{ name: 'db', env: 'DB' }, { name: 'tls.crt' }] };
      expect((await repos.functions.create(uses)).secrets).toEqual([{ name: 'db', env: 'DB' }, { name: 'tls.crt' }]);
      const plain = await repos.functions.create(versionInput('sec3', 'plain', 'print(4)'));
      expect(plain).not.toHaveProperty('secrets');
      await repos.functions.create({ ...versionInput('sec3', 'gone', 'print(5)'), secrets: [{ name: 'db' }] });
      await repos.functions.delete('sec3', 'gone');
      expect(await repos.secrets.usedBy('sec3', 'db')).toEqual(['uses']);
      expect(await repos.secrets.usedBy('sec3', 'tls.crt')).toEqual(['uses']);
      expect(await repos.secrets.usedBy('sec3', 'other')).toEqual([]);
      expect(await repos.secrets.usedBy('sec4', 'db')).toEqual([]);
      // An older version that names it still counts: it can be invoked by number.
      await repos.functions.addVersion(versionInput('sec3', 'uses', 'print(6)'));
      expect(await repos.secrets.usedBy('sec3', 'db')).toEqual(['uses']);
    });
  });

  describe('artifacts and blobs', () => {
    it('stores artifacts by sha256, idempotently (also concurrently)', async () => {
      const bytes = new Uint8Array([0, 1, 2, 255, 254]);
      const ids = await Promise.all([repos.artifacts.put(bytes), repos.artifacts.put(bytes), repos.artifacts.put(bytes)]);
      expect(new Set(ids)).toEqual(new Set([sha(bytes)]));
      expect(await repos.artifacts.get(sha(bytes))).toEqual(Buffer.from(bytes));
      expect(await repos.artifacts.get('0'.repeat(64))).toBeNull();
    });

    it('stores blobs by id; a given id is written once', async () => {
      const id = await repos.blobs.put(Buffer.from('{"big":true}'), { namespace: 'default' });
      expect((await repos.blobs.get(id))?.toString()).toBe('{"big":true}');
      expect(await repos.blobs.put(Buffer.from('first'), { id: 'blob_fixed', namespace: 'default' })).toBe('blob_fixed');
      expect(await repos.blobs.put(Buffer.from('second'), { id: 'blob_fixed', namespace: 'other' })).toBe('blob_fixed');
      expect((await repos.blobs.get('blob_fixed'))?.toString()).toBe('first');
      expect(await repos.blobs.get('blob_nope')).toBeNull();
    });

    it("sums a namespace's blob bytes; unattributed blobs count for none", async () => {
      const ns = 'blobsum';
      await repos.blobs.put(Buffer.alloc(100), { namespace: ns });
      await repos.blobs.put(Buffer.alloc(23), { namespace: ns });
      await repos.blobs.put(Buffer.alloc(7), { namespace: 'blobsum-other' });
      await target.db.prisma.blob.create({ data: { id: 'blob_unattributed', bytes: new Uint8Array(50), sizeBytes: 50 } });
      expect(await repos.blobs.namespaceBytes(ns)).toBe(123);
      expect(await repos.blobs.namespaceBytes('blobsum-none')).toBe(0);
    });
  });

  describe('invocations', () => {
    const base = { namespace: 'inv', functionName: 'f', functionId: 'fn_1', version: 1 };

    it('creates PENDING, returns the existing row for a repeated id or idempotency key', async () => {
      const first = await repos.invocations.create({ ...base, id: 'inv_1', idempotencyKey: 'k1', inputHash: 'h1', input: { a: 1 } });
      expect(first.created).toBe(true);
      expect(first.row).toMatchObject({ id: 'inv_1', status: 'PENDING', input: { a: 1 }, attempts: 0, attemptLog: null });
      expect(first.row.createdAt).toBeInstanceOf(Date);
      // The row create answers (built, not read back) is the row stored.
      expect(await repos.invocations.get('inv_1')).toEqual(first.row);
      const sameKey = await repos.invocations.create({ ...base, id: 'inv_2', idempotencyKey: 'k1', inputHash: 'h2' });
      expect(sameKey).toMatchObject({ created: false, row: { id: 'inv_1', inputHash: 'h1' } });
      const sameId = await repos.invocations.create({ ...base, id: 'inv_1' });
      expect(sameId).toMatchObject({ created: false, row: { id: 'inv_1' } });
      const otherNs = await repos.invocations.create({ ...base, namespace: 'inv2', id: 'inv_3', idempotencyKey: 'k1' });
      expect(otherNs.created).toBe(true);
    });

    it('keeps an explicit null payload apart from no payload', async () => {
      const nullInput = await repos.invocations.create({ ...base, id: 'inv_null', input: null });
      expect(nullInput.row.input).toBeNull();
      const byRef = await repos.invocations.create({ ...base, id: 'inv_ref', inputRef: 'blob_x' });
      expect(byRef.row).toMatchObject({ input: null, inputRef: 'blob_x' });
      expect(await repos.invocations.get('inv_null')).toEqual(nullInput.row);
      expect(await repos.invocations.get('inv_ref')).toEqual(byRef.row);
    });

    it('moves PENDING → RUNNING → SUCCEEDED; completing twice writes the same row', async () => {
      await repos.invocations.create({ ...base, id: 'inv_run' });
      expect(await repos.invocations.markRunning('inv_run')).toBe(true);
      expect((await repos.invocations.get('inv_run'))?.status).toBe('RUNNING');
      const outcome = {
        id: 'inv_run',
        status: 'SUCCEEDED' as const,
        result: { ok: [1, 2] },
        attempts: 2,
        attemptLog: [attempt(1), { ...attempt(2), failure: undefined }],
        stdout: 'out',
        stderr: '',
        cold: true,
        startedAt: new Date('2026-01-01T00:00:00Z'),
        endedAt: new Date('2026-01-01T00:00:02Z'),
        durationMs: 2000,
      };
      expect(await repos.invocations.complete(outcome)).toBe(true);
      expect(await repos.invocations.complete(outcome)).toBe(true);
      const row = await repos.invocations.get('inv_run');
      expect(row).toMatchObject({ status: 'SUCCEEDED', result: { ok: [1, 2] }, attempts: 2, stdout: 'out', cold: true, durationMs: 2000 });
      expect(row?.attemptLog?.[0]).toEqual(attempt(1));
      expect(row?.endedAt?.toISOString()).toBe('2026-01-01T00:00:02.000Z');
      expect(await repos.invocations.markRunning('inv_run')).toBe(false);
      expect((await repos.invocations.get('inv_run'))?.status).toBe('SUCCEEDED');
    });

    it('with identity, complete updates an existing row: outcome and the version that ran, startedAt kept when not given', async () => {
      const { row: pending } = await repos.invocations.create({ ...base, id: 'inv_up', inputHash: 'h', input: { n: 1 } });
      await repos.invocations.markRunning('inv_up', new Date('2026-01-01T00:00:00.500Z'));
      const outcome = {
        id: 'inv_up', status: 'SUCCEEDED' as const, result: { ok: true }, attempts: 1, attemptLog: [{ ...attempt(1), failure: undefined }],
        stdout: '{"ok": true}\n', stderr: '', cold: false, endedAt: new Date('2026-01-01T00:00:01.250Z'), durationMs: 750,
        identity: { ...base, version: 9 },
      };
      expect(await repos.invocations.complete(outcome)).toBe(true);
      expect(await repos.invocations.complete(outcome)).toBe(true); // a retried record writes the same row
      expect(await repos.invocations.get('inv_up')).toEqual({
        ...pending, version: 9, status: 'SUCCEEDED', result: { ok: true }, attempts: 1, attemptLog: [{ ...attempt(1), failure: undefined }],
        stdout: '{"ok": true}\n', stderr: '', cold: false, startedAt: new Date('2026-01-01T00:00:00.500Z'),
        endedAt: new Date('2026-01-01T00:00:01.250Z'), durationMs: 750,
      });
    });

    it('records a failure; with identity, complete creates a missing row', async () => {
      expect(await repos.invocations.complete({ id: 'inv_ghost', status: 'FAILED', attempts: 1 })).toBe(false);
      await repos.invocations.complete({
        id: 'inv_ghost',
        status: 'FAILED',
        errorKind: 'FunctionTimeout',
        errorMessage: 'timed out after 5000 ms',
        attempts: 1,
        attemptLog: [attempt(1)],
        identity: base,
      });
      expect(await repos.invocations.get('inv_ghost')).toMatchObject({
        status: 'FAILED',
        errorKind: 'FunctionTimeout',
        errorMessage: 'timed out after 5000 ms',
        result: null,
        namespace: 'inv',
      });
      expect(await repos.invocations.get('inv_never')).toBeNull();
    });

    it('lists newest first with filters and a stable cursor', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const id = `list_${i}`;
        ids.push(id);
        await repos.invocations.create({ ...base, namespace: 'listing', functionName: i % 2 ? 'odd' : 'even', id });
      }
      await repos.invocations.complete({ id: 'list_3', status: 'FAILED', attempts: 1 });
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await repos.invocations.list({ namespace: 'listing', limit: 3, ...(cursor ? { cursor } : {}) });
        seen.push(...page.items.map((r) => r.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toHaveLength(7);
      expect(new Set(seen)).toEqual(new Set(ids));
      const created = await Promise.all(seen.map(async (id) => (await repos.invocations.get(id))!.createdAt.getTime()));
      expect([...created].sort((a, b) => b - a)).toEqual(created);
      const odd = await repos.invocations.list({ namespace: 'listing', functionName: 'odd', limit: 10 });
      expect(odd.items.map((r) => r.id).sort()).toEqual(['list_1', 'list_3', 'list_5']);
      const viaAlias = await repos.invocations.list({ namespace: 'listing', function: 'odd', status: 'FAILED', limit: 10 });
      expect(viaAlias.items.map((r) => r.id)).toEqual(['list_3']);
      await expect(repos.invocations.list({ namespace: 'listing', cursor: 'garbage' })).rejects.toBeInstanceOf(ValidationError);
    });
  });

  describe('dead letters', () => {
    const dl = {
      invocationId: 'inv_dead',
      namespace: 'dlq',
      functionName: 'f',
      functionId: 'fn_1',
      version: 3,
      input: { x: 1 },
      errors: [attempt(1), attempt(2)],
      firstAttemptAt: new Date('2026-01-01T00:00:00Z'),
    };

    it('records once per invocation (upsert) and reads it back', async () => {
      const id = await repos.deadLetters.record(dl);
      expect(await repos.deadLetters.record({ ...dl, errors: [attempt(1), attempt(2), attempt(3)] })).toBe(id);
      const row = await repos.deadLetters.get(id);
      expect(row).toMatchObject({ invocationId: 'inv_dead', version: 3, input: { x: 1 }, replayedAs: null });
      expect(row?.errors).toHaveLength(3);
      expect((await repos.deadLetters.list({ namespace: 'dlq' })).items.map((r) => r.id)).toEqual([id]);
    });

    it('lets exactly one replay claim it (a retry of the winner still wins)', async () => {
      const id = await repos.deadLetters.record({ ...dl, invocationId: 'inv_dead2' });
      const claims = await Promise.all(['inv_a', 'inv_b', 'inv_c'].map((n) => repos.deadLetters.markReplayed(id, n)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      const winner = (await repos.deadLetters.get(id))!.replayedAs!;
      expect(await repos.deadLetters.markReplayed(id, winner)).toBe(true);
      expect(await repos.deadLetters.markReplayed(id, 'inv_late')).toBe(false);
      const pending = await repos.deadLetters.list({ namespace: 'dlq', includeReplayed: false });
      expect(pending.items.map((r) => r.invocationId)).toEqual(['inv_dead']);
    });

    it('deletes', async () => {
      const id = await repos.deadLetters.record({ ...dl, invocationId: 'inv_dead3' });
      expect(await repos.deadLetters.delete(id)).toBe(true);
      expect(await repos.deadLetters.delete(id)).toBe(false);
      expect(await repos.deadLetters.get(id)).toBeNull();
      expect(await repos.deadLetters.markReplayed(id, 'x')).toBe(false);
    });
  });
});
