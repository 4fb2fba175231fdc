// Writes an artifact's files into a fresh directory: one named file, or a tar.gz walked as a
// stream under the archive policy (regular files and directories only, caps on entries and
// bytes). Files are created with O_EXCL|O_NOFOLLOW, so nothing is written through a link.
import { chmodSync, closeSync, constants, fchmodSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ReadEntry } from 'tar';
import { pathProblem, quoteName, type ArchiveLimits } from '../../shared/archive-policy.js';
import { walkTgz } from '../../shared/archive-inspect.js';
import { UnsafeArchiveError, ValidationError } from '../../shared/errors.js';
import type { Artifact } from '../../shared/types.js';

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Writes the artifact's code into dir (empty, made by the caller); returns the bytes written. */
export async function extractArtifact(input: { dir: string; artifact: Artifact; bytes: Buffer; limits: ArchiveLimits }): Promise<number> {
  const { dir, artifact, bytes } = input;
  if (artifact.format === 'tgz') return extractTgz(input);
  const name = artifact.fileName;
  if (!name || name !== path.basename(name) || name === '.' || pathProblem(name)) {
    throw new ValidationError(`artifact fileName ${quoteName(name ?? '')} must be a plain file name`, 'fileName');
  }
  await writeFile(path.join(dir, name), bytes, { mode: 0o644, flag: CREATE });
  return bytes.length;
}

/**
 * One pass: every entry is checked before it is written, and the walk stops at the first
 * problem (the caller removes dir). Writes are synchronous as the parser's data flows, so the
 * expanded stream is never buffered; the walk awaits gunzip between chunks.
 */
async function extractTgz({ dir, bytes, limits }: { dir: string; bytes: Buffer; limits: ArchiveLimits }): Promise<number> {
  const writer = entryWriter(dir);
  try {
    await walkTgz({ bytes, limits, visit: writer.write });
  } finally {
    writer.close(); // the walk may have stopped inside a file
  }
  return writer.written();
}

/** Writes checked entries under dir: directories 0755, files 0644 (0755 if any exec bit was set). */
function entryWriter(dir: string) {
  let written = 0;
  let open: number | undefined;
  const made = new Set<string>([dir]);
  const close = () => {
    if (open !== undefined) closeSync(open);
    open = undefined;
  };
  /** mkdir -p with explicit modes (mkdir's mode would be cut by the umask). */
  const ensureDir = (p: string): void => {
    if (made.has(p)) return;
    ensureDir(path.dirname(p));
    mkdirSync(p);
    chmodSync(p, 0o755);
    made.add(p);
  };
  const create = (target: string, rel: string, entry: ReadEntry): void => {
    try {
      if (entry.type === 'Directory') return ensureDir(target);
      ensureDir(path.dirname(target));
      // A name given twice fails (O_EXCL) rather than replacing what was checked.
      open = openSync(target, CREATE, 0o600);
      fchmodSync(open, ((entry.mode ?? 0) & 0o111) !== 0 ? 0o755 : 0o644);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') {
        throw new UnsafeArchiveError(`${quoteName(rel)} collides with an earlier entry`);
      }
      throw err;
    }
  };
  const write = (entry: ReadEntry): void => {
    const rel = entry.path.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    if (rel === '' || rel === '.') return; // the root itself
    const target = path.join(dir, rel);
    // The policy already refused absolute names and '..'; this keeps the promise locally too.
    if (!target.startsWith(dir + path.sep)) throw new UnsafeArchiveError(`${quoteName(rel)} lands outside the code dir`);
    create(target, rel, entry);
    if (open === undefined) return; // a directory
    if (entry.size === 0) return close();
    const fd = open;
    entry.on('data', (chunk: Buffer) => {
      for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
      written += chunk.length;
    });
    entry.on('end', close);
  };
  return { write, close, written: () => written };
}
