// Code cache and io dir against the real filesystem (no engine needed).
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Header, Pack, ReadEntry, create as tarCreate } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodeCache, entryProblem } from '../../../src/runtime/code-cache.js';
import { createIoDir, readResultFile, removeIoDir } from '../../../src/runtime/io-dir.js';
import type { Artifact } from '../../../src/shared/types.js';

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

async function tgzOf(dir: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const stream = tarCreate({ gzip: true, cwd: dir, portable: true }, await readdir(dir));
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A tgz with one hand-made entry (paths/links tar.create would refuse to write). */
async function craftedTgz(entry: { path: string; type: 'File' | 'SymbolicLink' | 'Link'; linkpath?: string }): Promise<Buffer> {
  const pack = new Pack({ gzip: true, preservePaths: true });
  const body = entry.type === 'File' ? Buffer.from('x') : Buffer.alloc(0);
  const header = new Header({ path: entry.path, type: entry.type, mode: 0o644, size: body.length, linkpath: entry.linkpath, mtime: new Date(0) });
  const re = new ReadEntry(header);
  pack.add(re as never);
  re.end(body);
  pack.end();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
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
    const bytes = await tgzOf(src);
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
    ['an absolute path', { path: '/etc/evil', type: 'File' as const }],
    ['a .. path', { path: '../evil', type: 'File' as const }],
    ['a nested .. path', { path: 'a/../../evil', type: 'File' as const }],
    ['a symlink out', { path: 'link', type: 'SymbolicLink' as const, linkpath: '../../etc/passwd' }],
    ['an absolute symlink', { path: 'link', type: 'SymbolicLink' as const, linkpath: '/etc/passwd' }],
    ['a hard link', { path: 'link', type: 'Link' as const, linkpath: 'main.py' }],
  ])('refuses an archive with %s', async (_name, entry) => {
    const bytes = await craftedTgz(entry);
    const dir = path.join(root, `c4-${sha(bytes).slice(0, 8)}`);
    await expect(createCodeCache({ dir }).materialize(artifactOf(bytes, 'tgz'), async () => bytes)).rejects.toThrow(/unsafe archive/);
    expect((await readdir(dir)).filter((n) => !n.startsWith('.'))).toEqual([]);
    expect(await readdir(dir)).toEqual([]); // temp dir cleaned up too
  });

  it.each([
    ['a/b/c.py', 'File', undefined, undefined],
    ['a/link', 'SymbolicLink', '../b.py', undefined],
    ['a/link', 'SymbolicLink', '../../b.py', 'escapes'],
    ['dev', 'CharacterDevice', undefined, 'not allowed'],
  ])('entryProblem(%s %s → %s)', (p, type, linkpath, problem) => {
    const got = entryProblem({ path: p, type: type as never, linkpath: linkpath as never });
    if (problem) expect(got).toContain(problem);
    else expect(got).toBeUndefined();
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

  it('refuses a name that is a path', async () => {
    await expect(createIoDir(path.join(root, 'io'), '../x', '{}', { sizeBytes: 16 << 20 })).rejects.toThrow(/invalid/);
  });
});
