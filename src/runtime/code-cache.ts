// Host directories holding a function version's code, one per artifact sha256, made once
// (verify hash → write to a temp dir → atomic rename) and readable by uid 65534.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Parser, Unpack, type ReadEntry } from 'tar';
import type { Artifact } from '../shared/types.js';

export interface CodeCache {
  /** The host dir of this artifact's code; `load` is called only when it is not cached yet. */
  materialize(artifact: Artifact, load: () => Promise<Buffer>): Promise<string>;
  /**
   * Removes temp dirs a process left when it died mid-write, once older than olderThanMs
   * (a younger one may be another worker's write in progress). Returns how many.
   */
  sweepStale(olderThanMs?: number): Promise<number>;
}

const STALE_TMP_MS = 10 * 60_000;

export class ArtifactIntegrityError extends Error {
  override name = 'ArtifactIntegrityError';
}

export function createCodeCache(options: { dir: string }): CodeCache {
  const root = path.resolve(options.dir);
  const inFlight = new Map<string, Promise<string>>();
  /** Made or found by this process: no stat per invocation (the warm path asks every time). */
  const known = new Set<string>();

  async function build(artifact: Artifact, load: () => Promise<Buffer>): Promise<string> {
    const final = path.join(root, artifact.sha256);
    if (await exists(final)) return final;
    const bytes = await load();
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== artifact.sha256) {
      throw new ArtifactIntegrityError(`artifact sha256 mismatch: expected ${artifact.sha256}, got ${actual}`);
    }
    await mkdir(root, { recursive: true });
    const tmp = path.join(root, `.tmp-${artifact.sha256}-${randomBytes(6).toString('hex')}`);
    try {
      await mkdir(tmp);
      if (artifact.format === 'file') await writeSingleFile(tmp, artifact, bytes);
      else await extractTgz(tmp, bytes);
      await fixModes(tmp);
      try {
        await rename(tmp, final);
      } catch (err) {
        // Another process won the race: its directory is as good as ours.
        if (!(await exists(final))) throw err;
      }
      return final;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  return {
    materialize(artifact, load) {
      if (!/^[0-9a-f]{64}$/.test(artifact.sha256)) return Promise.reject(new Error('invalid artifact sha256'));
      if (known.has(artifact.sha256)) return Promise.resolve(path.join(root, artifact.sha256));
      let pending = inFlight.get(artifact.sha256);
      if (!pending) {
        pending = build(artifact, load)
          .then((dir) => {
            known.add(artifact.sha256);
            return dir;
          })
          .finally(() => inFlight.delete(artifact.sha256));
        inFlight.set(artifact.sha256, pending);
      }
      return pending;
    },

    async sweepStale(olderThanMs = STALE_TMP_MS) {
      let names: string[];
      try {
        names = await readdir(root);
      } catch {
        return 0; // no cache yet
      }
      let removed = 0;
      for (const name of names.filter((n) => n.startsWith('.tmp-'))) {
        const dir = path.join(root, name);
        const info = await lstat(dir).catch(() => undefined);
        if (!info || Date.now() - info.mtimeMs < olderThanMs) continue;
        await rm(dir, { recursive: true, force: true });
        removed++;
      }
      return removed;
    },
  };
}

async function writeSingleFile(dir: string, artifact: Artifact, bytes: Buffer): Promise<void> {
  const name = artifact.fileName;
  if (!name || name !== path.basename(name) || name === '.' || name === '..' || name.includes('\0')) {
    throw new ArtifactIntegrityError(`artifact fileName '${name ?? ''}' must be a plain file name`);
  }
  await writeFile(path.join(dir, name), bytes, { mode: 0o644 });
}

const ALLOWED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink']);

/** Lists the archive first and refuses it whole if any entry could land outside `dir`. */
async function extractTgz(dir: string, bytes: Buffer): Promise<void> {
  const problems: string[] = [];
  await runTar(new Parser({ strict: true }), bytes, (entry) => {
    const problem = entryProblem(entry);
    if (problem) problems.push(problem);
  });
  if (problems.length > 0) throw new ArtifactIntegrityError(`unsafe archive: ${problems.slice(0, 5).join('; ')}`);
  await runTar(new Unpack({ cwd: dir, strict: true, preserveOwner: false }), bytes);
}

export function entryProblem(entry: Pick<ReadEntry, 'path' | 'type' | 'linkpath'>): string | undefined {
  const p = entry.path;
  if (!ALLOWED_TYPES.has(entry.type)) return `${p}: entries of type ${entry.type} are not allowed`;
  if (!isInside(p)) return `${p}: path escapes the archive root`;
  if (entry.type === 'SymbolicLink') {
    const target = entry.linkpath ?? '';
    if (path.posix.isAbsolute(target) || !isInside(path.posix.join(path.posix.dirname(p), target))) {
      return `${p}: symbolic link to '${target}' escapes the archive root`;
    }
  }
  return undefined;
}

function isInside(p: string): boolean {
  if (p.includes('\0') || path.posix.isAbsolute(p) || /^[A-Za-z]:/.test(p)) return false;
  const normal = path.posix.normalize(p.replace(/\\/g, '/'));
  return normal !== '..' && !normal.startsWith('../');
}

function runTar(stream: Parser, bytes: Buffer, onEntry?: (entry: ReadEntry) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    if (onEntry) {
      stream.on('entry', (entry: ReadEntry) => {
        onEntry(entry);
        entry.resume();
      });
    }
    stream.on('error', reject);
    // Unpack emits 'end' only once every file is written.
    stream.on('end', () => resolve());
    stream.end(bytes);
  });
}

/** Files 0644 (0755 if any exec bit was set), dirs 0755; symlinks untouched. */
async function fixModes(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await fixModes(p);
    else if (entry.isFile()) await chmod(p, ((await lstat(p)).mode & 0o111) !== 0 ? 0o755 : 0o644);
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
