// A build's /out reaches the worker as a tar stream on the container's stdout (never as a host
// directory the build could have filled or planted links in). This is hostile input: the bytes
// are capped while they arrive, the archive must be complete, and it is checked whole (the code
// archive policy's entry types and names, file count, total size) before one file of it is
// written. Symbolic links are dropped, never unpacked: code archives hold no links.
import { closeSync, constants, createReadStream, openSync, writeSync } from 'node:fs';
import { Parser, Unpack, type ReadEntry } from 'tar';
import { entryProblem, quoteName } from '../../shared/archive-policy.js';

export interface OutputLimits {
  /** Sum of the files' sizes. */
  maxBytes: number;
  /** Entries of every kind (files, dirs, links). */
  maxFiles: number;
}

/** The build's output is not acceptable (too big, too many files, an entry that is not allowed). */
export class BuildOutputError extends Error {
  override name = 'BuildOutputError';
}

const TAR_TRAILER_BYTES = 1024;

/** Tar framing on top of the files: a 512-byte header (two with a long name) and padding per entry. */
export function streamCapBytes(limits: OutputLimits): number {
  return limits.maxBytes + limits.maxFiles * 2048 + 1024 * 1024;
}

/**
 * Writes chunks to a new file (O_EXCL | O_NOFOLLOW) until capBytes, then drops and counts the
 * rest. Synchronous writes: a chunk is never buffered in memory behind a slow disk.
 */
export function createCappedFileSink(file: string, capBytes: number) {
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  let written = 0;
  let dropped = 0;
  let closed = false;
  let last = Buffer.alloc(0);
  return {
    write(chunk: Buffer): void {
      if (closed) return;
      const room = capBytes - written;
      const keep = Math.min(room, chunk.length);
      if (keep > 0) {
        writeSync(fd, chunk, 0, keep);
        written += keep;
        const kept = chunk.subarray(0, keep);
        last = Buffer.from(keep >= TAR_TRAILER_BYTES ? kept.subarray(-TAR_TRAILER_BYTES) : Buffer.concat([last, kept]).subarray(-TAR_TRAILER_BYTES));
      }
      dropped += chunk.length - keep;
    },
    /** Ends as tar ends (two zero blocks): a stream cut short (at an entry boundary, too) is not complete. */
    get complete(): boolean {
      return dropped === 0 && written % 512 === 0 && last.length === TAR_TRAILER_BYTES && last.every((b) => b === 0);
    },
    close(): void {
      if (!closed) closeSync(fd);
      closed = true;
    },
    get overflowed(): boolean {
      return dropped > 0;
    },
  };
}

/** Checks the whole archive, then unpacks it into dir (which must exist and be empty). */
export async function unpackBuildOutput(tarFile: string, dir: string, limits: OutputLimits): Promise<{ files: number; bytes: number; linksDropped: number }> {
  let files = 0;
  let bytes = 0;
  let linksDropped = 0;
  const problems: string[] = [];
  const validate = new Parser({ strict: true, zstd: false });
  // Meta entries over the parser's limit: nothing may pass unseen.
  validate.on('ignoredEntry', (entry: ReadEntry) => problems.push(`${quoteName(entry.path)} (${entry.type}) is not allowed`));
  await pipeTar(tarFile, validate, (entry) => {
    files += 1;
    bytes += entry.size ?? 0;
    if (entry.type === 'SymbolicLink') linksDropped += 1;
    const problem = entry.type === 'SymbolicLink' ? undefined : entryProblem(entry);
    if (problem && problems.length < 5) problems.push(problem);
  });
  if (files > limits.maxFiles) throw new BuildOutputError(`/out holds more than ${limits.maxFiles} entries`);
  if (bytes > limits.maxBytes) throw new BuildOutputError(`/out holds more than ${limits.maxBytes} bytes`);
  if (problems.length > 0) throw new BuildOutputError(problems.join('; '));
  const unpack = new Unpack({
    cwd: dir, strict: true, preserveOwner: false, noMtime: true, zstd: false,
    filter: (_path, entry) => {
      const e = entry as ReadEntry;
      if (e.type === 'SymbolicLink') return false;
      // No set-id or sticky bits on a host file the worker (root) owns: 0755 or 0644 only.
      e.mode = e.type === 'Directory' || (e.mode ?? 0) & 0o111 ? 0o755 : 0o644;
      return true;
    },
  });
  await pipeTar(tarFile, unpack);
  return { files, bytes, linksDropped };
}

function pipeTar(tarFile: string, sink: Parser, onEntry?: (entry: ReadEntry) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    if (onEntry) {
      sink.on('entry', (entry: ReadEntry) => {
        onEntry(entry);
        entry.resume();
      });
    }
    const fail = (err: unknown) => reject(err instanceof BuildOutputError ? err : new BuildOutputError(`its archive is unreadable (${String(err)})`));
    sink.on('error', fail);
    sink.on('end', () => resolve());
    // The file is ours (written by the sink), still: never through a link.
    const source = createReadStream(tarFile, { fd: openSync(tarFile, constants.O_RDONLY | constants.O_NOFOLLOW) });
    source.on('error', fail);
    source.pipe(sink as unknown as NodeJS.WritableStream);
  });
}
