// Host directories holding a function version's code, one per artifact sha256, made once
// (verify hash → extract under the archive policy into a temp dir → atomic rename) and
// readable by uid 65534. Remembers when each was last used, so the reconciler
// (code-cache-reconcile.ts) can remove the dirs no live version needs.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from '../../shared/archive-policy.js';
import type { Artifact } from '../../shared/types.js';
import { extractArtifact } from './code-extract.js';

export interface CodeCacheEntry {
  sha256: string;
  bytes: number;
  /** Last materialize by this process, else the dir's mtime (when it was made). */
  lastUsedMs: number;
}

export interface CodeCache {
  /** The host dir of this artifact's code; `load` is called only when it is not cached yet. */
  materialize(artifact: Artifact, load: () => Promise<Buffer>): Promise<string>;
  /**
   * Removes temp dirs a process left when it died mid-write, once older than olderThanMs
   * (a younger one may be another worker's write in progress). Returns how many.
   */
  sweepStale(olderThanMs?: number): Promise<number>;
  /** Every cached artifact dir, with its size and last use. */
  entries(): Promise<CodeCacheEntry[]>;
  /**
   * Removes an artifact's dir unless it is being written or was used after usedBefore (a
   * materialize since the caller looked). Resolves true when it was removed.
   */
  evict(sha256: string, usedBefore: number): Promise<boolean>;
}

const STALE_TMP_MS = 10 * 60_000;
const SHA256 = /^[0-9a-f]{64}$/;

export class ArtifactIntegrityError extends Error {
  override name = 'ArtifactIntegrityError';
}

export function createCodeCache(options: { dir: string; limits?: ArchiveLimits }): CodeCache {
  const root = path.resolve(options.dir);
  const limits = options.limits ?? DEFAULT_ARCHIVE_LIMITS;
  const inFlight = new Map<string, Promise<string>>();
  /** Made or found by this process: no stat per invocation (the warm path asks every time). */
  const known = new Set<string>();
  const lastUsed = new Map<string, number>();
  const sizes = new Map<string, number>();
  /** Removals in progress: a materialize of the same artifact waits for them. */
  const removing = new Map<string, Promise<void>>();

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
      await chmod(tmp, 0o755);
      sizes.set(artifact.sha256, await extractArtifact({ dir: tmp, artifact, bytes, limits }));
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
      if (!SHA256.test(artifact.sha256)) return Promise.reject(new Error('invalid artifact sha256'));
      lastUsed.set(artifact.sha256, Date.now());
      if (known.has(artifact.sha256)) return Promise.resolve(path.join(root, artifact.sha256));
      let pending = inFlight.get(artifact.sha256);
      if (!pending) {
        const removal = removing.get(artifact.sha256) ?? Promise.resolve();
        pending = removal
          .then(() => build(artifact, load))
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
      let removed = 0;
      for (const name of await names(root)) {
        const trash = name.startsWith('.trash-'); // a removal cut short: never in use
        if (!trash && !name.startsWith('.tmp-')) continue;
        const dir = path.join(root, name);
        const info = await lstat(dir).catch(() => undefined);
        if (!info || (!trash && Date.now() - info.mtimeMs < olderThanMs)) continue;
        await rm(dir, { recursive: true, force: true });
        removed++;
      }
      return removed;
    },

    async entries() {
      const out: CodeCacheEntry[] = [];
      for (const sha256 of (await names(root)).filter((n) => SHA256.test(n))) {
        const dir = path.join(root, sha256);
        const info = await lstat(dir).catch(() => undefined);
        if (!info?.isDirectory()) continue;
        let bytes = sizes.get(sha256);
        if (bytes === undefined) sizes.set(sha256, (bytes = await treeBytes(dir)));
        out.push({ sha256, bytes, lastUsedMs: lastUsed.get(sha256) ?? info.mtimeMs });
      }
      return out;
    },

    async evict(sha256, usedBefore) {
      if (!SHA256.test(sha256) || inFlight.has(sha256) || removing.has(sha256)) return false;
      if ((lastUsed.get(sha256) ?? 0) >= usedBefore) return false;
      // Decided synchronously: from here a materialize waits for the removal and builds anew.
      known.delete(sha256);
      lastUsed.delete(sha256);
      sizes.delete(sha256);
      const trash = path.join(root, `.trash-${sha256}-${randomBytes(6).toString('hex')}`);
      const removal = rename(path.join(root, sha256), trash).then(
        () => rm(trash, { recursive: true, force: true }),
        (err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err; },
      );
      removing.set(sha256, removal.catch(() => undefined));
      try {
        await removal;
        return true;
      } finally {
        removing.delete(sha256);
      }
    },
  };
}

async function names(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []); // no cache yet
}

/** Bytes of the regular files under dir (no links: extraction makes none). */
async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await lstat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
