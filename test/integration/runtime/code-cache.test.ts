// Code cache and io dir against the real filesystem (no engine needed).
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { create as tarCreate } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodeCache } from '../../../src/runtime/io/code-cache.js';
import { startCodeCacheReconciler } from '../../../src/runtime/lifecycle/code-cache-reconcile.js';
import { manyFilesTgz, oneFileBomb, tgzOf, type RawEntry } from '../../support/archives.js';
import { createIoDir, readResultFile, removeIoDir, removeIoDirsUnder } from '../../../src/runtime/io/io-dir.js';
import type { Artifact } from '../../../src/shared/types.js';

const MiB = 1024 * 1024;
let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'caisson-cache-test-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const artifactOf = (bytes: Buffer, format: 'file' | 'tgz', fileName?: string): Artifact => ({
  sha256: sha(bytes),
  format,
  sizeBytes: bytes.length,
  ...(fileName ? { fileName } : {}),
});

async function tgzOfDir(dir: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const stream = tarCreate({ gzip: true, cwd: dir, portable: true }, await readdir(dir));
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('createCodeCache', () => {
  it('writes a single-file artifact once, readable by everyone', async () => {
    const cache = createCodeCache({ dir: path.join(root, 'c1') });
    const bytes = Buffer.from('print("hi")\n');
    let loads = 0;
    const load = async () => (loads++, bytes);
    const [a, b] = await Promise.all([cache.materialize(artifactOf(bytes, 'file', 'main.py'), load), cache.materialize(artifactOf(bytes, 'file', 'main.py'), load)]);
    expect(a).toBe(b);
    expect(loads).toBe(1);
    expect(await readFile(path.join(a, 'main.py'), 'utf8')).toBe('print("hi")\n');
    expect((await stat(path.join(a, 'main.py'))).mode & 0o777).toBe(0o644);
    expect((await stat(a)).mode & 0o777).toBe(0o755);
    // A second cache over the same dir (a restarted worker) does not load again.
    await createCodeCache({ dir: path.join(root, 'c1') }).materialize(artifactOf(bytes, 'file', 'main.py'), load);
    expect(loads).toBe(1);
  });

  it('extracts a tgz with modes fixed', async () => {
    const src = await mkdtemp(path.join(root, 'src-'));
    await writeFile(path.join(src, 'main.py'), 'x = 1\n', { mode: 0o600 });
    await writeFile(path.join(src, 'run.sh'), '#!/bin/sh\n', { mode: 0o700 });
    const bytes = await tgzOfDir(src);
    const dir = await createCodeCache({ dir: path.join(root, 'c2') }).materialize(artifactOf(bytes, 'tgz'), async () => bytes);
    expect((await readdir(dir)).sort()).toEqual(['main.py', 'run.sh']);
    expect((await stat(path.join(dir, 'main.py'))).mode & 0o777).toBe(0o644);
    expect((await stat(path.join(dir, 'run.sh'))).mode & 0o777).toBe(0o755);
  });

  it('rejects bytes whose sha256 differs and writes nothing', async () => {
    const dir = path.join(root, 'c3');
    const artifact = artifactOf(Buffer.from('a'), 'file', 'main.py');
    await expect(createCodeCache({ dir }).materialize(artifact, async () => Buffer.from('b'))).rejects.toThrow(/sha256 mismatch/);
    await expect(readdir(dir)).rejects.toThrow(); // never even created
  });

  it.each([
    ['an absolute path', [{ path: '/etc/evil', body: Buffer.from('x') }], /absolute name/],
    ['a .. path', [{ path: '../evil', body: Buffer.from('x') }], /\.\. component/],
    ['a nested .. path', [{ path: 'a/../../evil', body: Buffer.from('x') }], /\.\. component/],
    ['a symlink out', [{ path: 'link', type: 'SymbolicLink' as const, linkpath: '../../etc/passwd' }], /SymbolicLink entry/],
    ['a symlink inside', [{ path: 'a.py', body: Buffer.from('x') }, { path: 'link', type: 'SymbolicLink' as const, linkpath: 'a.py' }], /SymbolicLink entry/],
    ['a hard link', [{ path: 'a.py', body: Buffer.from('x') }, { path: 'link', type: 'Link' as const, linkpath: 'a.py' }], /Link entry/],
    ['a fifo', [{ path: 'p', type: 'FIFO' as const }], /FIFO entry/],
    ['a newline in a name', [{ path: 'a\nb.py', body: Buffer.from('x') }], /control/],
    ['a name given twice', [{ path: 'a.py', body: Buffer.from('x') }, { path: 'a.py', body: Buffer.from('y') }], /collides/],
    ['a file where a directory is', [{ path: 'a', body: Buffer.from('x') }, { path: 'a/b.py', body: Buffer.from('y') }], /collides/],
  ])('refuses an archive with %s and leaves nothing behind', async (_name, entries, why) => {
    const bytes = tgzOf(entries as RawEntry[]);
    const dir = path.join(root, `c4-${sha(bytes).slice(0, 8)}`);
    await expect(createCodeCache({ dir }).materialize(artifactOf(bytes, 'tgz'), async () => bytes)).rejects.toThrow(why);
    expect(await readdir(dir)).toEqual([]); // temp dir cleaned up too
  });

  it('refuses a gzip bomb at its header, under its own limits (not trusting the api)', async () => {
    const bytes = oneFileBomb(2 * 1024 ** 3);
    const dir = path.join(root, 'c-bomb');
    const cache = createCodeCache({ dir, limits: { maxExpandedBytes: 16 * MiB, maxEntries: 100 } });
    await expect(cache.materialize(artifactOf(bytes, 'tgz'), async () => bytes)).rejects.toThrow(/expands to more than 16777216 bytes/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses files adding up past the cap after writing at most the cap, and removes them', async () => {
    const bytes = manyFilesTgz(20, 512 * 1024);
    const dir = path.join(root, 'c-many');
    const cache = createCodeCache({ dir, limits: { maxExpandedBytes: 4 * MiB, maxEntries: 100 } });
    await expect(cache.materialize(artifactOf(bytes, 'tgz'), async () => bytes)).rejects.toThrow(/expands to more than/);
    expect(await readdir(dir)).toEqual([]);
    const few = createCodeCache({ dir, limits: { maxExpandedBytes: 64 * MiB, maxEntries: 10 } });
    await expect(few.materialize(artifactOf(bytes, 'tgz'), async () => bytes)).rejects.toThrow(/more than 10 entries/);
  });

  it('refuses a single-file artifact whose name is a path', async () => {
    const bytes = Buffer.from('x');
    await expect(createCodeCache({ dir: path.join(root, 'c5') }).materialize(artifactOf(bytes, 'file', '../x.py'), async () => bytes)).rejects.toThrow(/plain file name/);
  });
});

describe('createCodeCache sweep', () => {
  it('removes temp dirs older than the limit, keeps younger ones (a write in progress) and the code', async () => {
    const { mkdir, readdir, utimes } = await import('node:fs/promises');
    const dir = path.join(root, 'c-sweep');
    const cache = createCodeCache({ dir });
    expect(await cache.sweepStale()).toBe(0); // no cache dir yet
    const bytes = Buffer.from('print(1)\n');
    const code = await cache.materialize(artifactOf(bytes, 'file', 'main.py'), async () => bytes);
    await mkdir(path.join(dir, '.tmp-old-1'), { recursive: true });
    await mkdir(path.join(dir, '.tmp-old-1', 'sub'));
    await mkdir(path.join(dir, '.tmp-young-2'));
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(path.join(dir, '.tmp-old-1'), hourAgo, hourAgo);
    expect(await cache.sweepStale()).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(['.tmp-young-2', path.basename(code)].sort());
  });
});

describe('code cache eviction', () => {
  const py = (text: string) => Buffer.from(text);
  const version = (name: string, bytes: Buffer) => ({ namespace: 'ns', name, version: 1, sha256: sha(bytes) });
  const pause = () => new Promise((r) => setTimeout(r, 5));

  it('removes the dirs no live version uses, retires gone warm keys, and builds a removed one again', async () => {
    const dir = path.join(root, 'c-evict');
    const cache = createCodeCache({ dir });
    const [a, b, c] = [py('a = 1\n'), py('b = 2\n'), py('c = 3\n')];
    let loads = 0;
    for (const bytes of [a, b, c]) await cache.materialize(artifactOf(bytes, 'file', 'main.py'), async () => (loads++, bytes));
    expect((await cache.entries()).map((e) => e.bytes)).toEqual([6, 6, 6]);
    let live = [version('fa', a), version('fc', c)];
    const gone: string[][] = [];
    const reconciler = startCodeCacheReconciler({
      cache, liveVersions: async () => live, intervalMs: 0, graceMs: 0, maxBytes: MiB,
      warmKeys: () => ['ns/fa@1#' + sha(a).slice(0, 16), 'ns/fb@1#' + sha(b).slice(0, 16)],
      onVersionsGone: (keys) => gone.push(keys),
    });
    await pause();
    // (It also ran once as it started: this one waits for that one.)
    await reconciler.reconcile();
    reconciler.stop();
    expect(gone.at(-1)).toEqual(['ns/fb@1#' + sha(b).slice(0, 16)]);
    expect((await readdir(dir)).sort()).toEqual([sha(a), sha(c)].sort());
    // Gone from the cache, it is fetched and written again when next asked for.
    await cache.materialize(artifactOf(b, 'file', 'main.py'), async () => (loads++, b));
    expect(loads).toBe(4);
    live = [];
    // Used a moment ago: in use for the grace, so it stays.
    const graceful = startCodeCacheReconciler({ cache, liveVersions: async () => live, intervalMs: 0, graceMs: 60_000, maxBytes: MiB });
    expect((await graceful.reconcile()).removed).toEqual([]);
    graceful.stop();
  });

  it('keeps the cache under its byte cap, least recently used first, and skips a reconcile the api did not answer', async () => {
    const dir = path.join(root, 'c-cap');
    const cache = createCodeCache({ dir });
    const blobs = [0, 1, 2].map((i) => Buffer.alloc(4096, 48 + i));
    for (const bytes of blobs) {
      await cache.materialize(artifactOf(bytes, 'file', 'data.txt'), async () => bytes);
      await pause();
    }
    await cache.materialize(artifactOf(blobs[0]!, 'file', 'data.txt'), async () => blobs[0]!); // now the most recent
    await pause();
    const failing = startCodeCacheReconciler({
      cache, liveVersions: async () => { throw new Error('api down'); }, intervalMs: 0, graceMs: 0, maxBytes: 0,
    });
    await expect(failing.reconcile()).rejects.toThrow(/api down/);
    failing.stop();
    expect(await readdir(dir)).toHaveLength(3);
    const live = blobs.map((b, i) => version(`f${i}`, b));
    const reconciler = startCodeCacheReconciler({ cache, liveVersions: async () => live, intervalMs: 0, graceMs: 0, maxBytes: 8192 });
    const report = await reconciler.reconcile();
    reconciler.stop();
    expect((await readdir(dir)).sort()).toEqual([sha(blobs[0]!), sha(blobs[2]!)].sort());
    expect(report.bytes).toBe(8192);
  });
});

describe('io dir', () => {
  it('is 0777 with payload.json, recreated empty, removable twice', async () => {
    const ioRoot = path.join(root, 'io');
    const dir = await createIoDir(ioRoot, 'inv-1', '{"a":1}', { sizeBytes: 16 << 20 });
    await writeFile(path.join(dir, 'junk'), 'x');
    expect(await createIoDir(ioRoot, 'inv-1', '{"a":2}', { sizeBytes: 16 << 20 })).toBe(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o777);
    expect(await readdir(dir)).toEqual(['payload.json']);
    expect(await readFile(path.join(dir, 'payload.json'), 'utf8')).toBe('{"a":2}');
    await removeIoDir(dir);
    await removeIoDir(dir);
  });

  it('reads result.json: missing, present, over the cap, symlink', async () => {
    const dir = await createIoDir(path.join(root, 'io'), 'inv-2', '{}', { sizeBytes: 16 << 20 });
    expect(await readResultFile(dir, 100)).toEqual({ kind: 'missing' });
    await writeFile(path.join(dir, 'result.json'), '{"ok":true,"result":1}');
    expect(await readResultFile(dir, 100)).toEqual({ kind: 'present', text: '{"ok":true,"result":1}' });
    expect(await readResultFile(dir, 5)).toEqual({ kind: 'too-large', sizeBytes: 22, capBytes: 5 });
    await rm(path.join(dir, 'result.json'));
    await symlink('/etc/passwd', path.join(dir, 'result.json'));
    expect(await readResultFile(dir, 100000)).toMatchObject({ kind: 'unreadable' });
    await removeIoDir(dir);
  });

  it('is a tmpfs of the given size: a write past it fails, and unmounting discards it unwalked', async () => {
    const dir = await createIoDir(path.join(root, 'io'), 'inv-3', '{}', { sizeBytes: 1 << 20 });
    await expect(writeFile(path.join(dir, 'fill'), Buffer.alloc(2 << 20))).rejects.toThrow(/ENOSPC/);
    await symlink('/etc', path.join(dir, 'etc-link'));
    await removeIoDir(dir);
    await expect(stat(dir)).rejects.toThrow(/ENOENT/);
    expect((await stat('/etc/passwd')).isFile()).toBe(true);
  });

  it('every io dir under a root can be unmounted and removed at once', async () => {
    const under = path.join(root, 'io-under');
    const dirs = await Promise.all(['a', 'b'].map((n) => createIoDir(under, n, '{}', { sizeBytes: 1 << 20 })));
    await removeIoDirsUnder(under);
    for (const d of dirs) await expect(stat(d)).rejects.toThrow(/ENOENT/);
    await rm(under, { recursive: true });
  });

  it('refuses a name that is a path', async () => {
    await expect(createIoDir(path.join(root, 'io'), '../x', '{}', { sizeBytes: 16 << 20 })).rejects.toThrow(/invalid/);
  });
});
