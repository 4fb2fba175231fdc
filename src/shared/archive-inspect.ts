// Walks a tar.gz as a stream, never holding more than a chunk of it expanded: gunzip with a
// byte counter that stops at the cap, node-tar's parser for the entries, the archive policy
// on every entry header before its data is read. Used on uploads (api) and to extract code
// (worker); an archive it refuses throws UnsafeArchiveError.
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { entryProblem, quoteName, type ArchiveLimits } from './archive-policy.js';
import { AppError, UnsafeArchiveError } from './errors.js';

export interface ArchiveSummary {
  entries: number;
  /** Bytes of the decompressed tar stream read up to the end-of-archive blocks. */
  expandedBytes: number;
  /** Bytes of the files' contents, as their headers declare them. */
  fileBytes: number;
}

/**
 * Checks every entry and the caps, calling visit for each entry that passes (it must take the
 * entry's data synchronously: on('data') as it flows). Stops at the first problem; data after
 * the end-of-archive blocks is never inflated.
 */
export async function walkTgz(input: { bytes: Uint8Array; limits: ArchiveLimits; visit?: (entry: ReadEntry) => void }): Promise<ArchiveSummary> {
  const { bytes, limits, visit } = input;
  const summary: ArchiveSummary = { entries: 0, expandedBytes: 0, fileBytes: 0 };
  let failure: Error | undefined;
  let eof = false;
  const fail = (err: Error) => void (failure ??= err);
  const tooBig = () => new UnsafeArchiveError(`it expands to more than ${limits.maxExpandedBytes} bytes`);
  // zstd off: the parser would otherwise sniff and inflate a compressed stream inside ours.
  const parser = new Parser({ strict: true, zstd: false });
  parser.on('entry', (entry: ReadEntry) => {
    const problem = ++summary.entries > limits.maxEntries ? `it holds more than ${limits.maxEntries} entries`
      : entryProblem(entry);
    // The header declares the size: a bomb of one huge file stops here, before its data.
    summary.fileBytes += entry.size;
    if (problem) fail(new UnsafeArchiveError(problem));
    else if (summary.fileBytes > limits.maxExpandedBytes) fail(tooBig());
    else visit?.(entry);
    entry.resume();
  });
  // Meta entries over the parser's limit: nothing may pass unseen.
  parser.on('ignoredEntry', (entry: ReadEntry) => fail(new UnsafeArchiveError(`${quoteName(entry.path)} (${entry.type}) is not allowed`)));
  parser.on('error', (err: Error) => fail(err instanceof AppError ? err : new UnsafeArchiveError(`it is not a valid tar archive (${err.message})`)));
  // node-tar keeps whatever follows the end blocks in memory: stop feeding it there.
  parser.on('eof', () => (eof = true));
  const ended = new Promise<void>((resolve) => parser.once('end', resolve));

  let head = Buffer.alloc(0);
  for await (const chunk of inflate(bytes)) {
    if (head.length < 2) {
      head = Buffer.concat([head, chunk]).subarray(0, 2);
      // A gzip inside the gzip: the parser would inflate it itself, past the counter.
      if (head[0] === 0x1f && head[1] === 0x8b) throw new UnsafeArchiveError('it is compressed twice');
    }
    summary.expandedBytes += chunk.length;
    if (summary.expandedBytes > limits.maxExpandedBytes) throw tooBig();
    parser.write(chunk);
    if (failure) throw failure;
    if (eof) break;
  }
  parser.end();
  await Promise.race([ended, new Promise((resolve) => parser.once('abort', resolve))]);
  if (failure) throw failure;
  return summary;
}

/** Checks an archive and lists its regular files ('./' prefixes dropped); writes nothing. */
export async function inspectTgz(bytes: Uint8Array, limits: ArchiveLimits): Promise<ArchiveSummary & { files: string[] }> {
  const files: string[] = [];
  const summary = await walkTgz({
    bytes, limits,
    visit: (entry) => {
      if (entry.type === 'File' || entry.type === 'OldFile') files.push(entry.path.replace(/^(\.\/)+/, ''));
    },
  });
  return { ...summary, files };
}

/** The decompressed stream in chunks of 64 KiB; gunzip stops as soon as the loop does. */
async function* inflate(bytes: Uint8Array): AsyncGenerator<Buffer> {
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  gunzip.end(bytes);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) yield chunk;
  } catch (err) {
    throw new UnsafeArchiveError(`it is not a valid gzip stream (${(err as Error).message})`);
  } finally {
    gunzip.destroy();
  }
}
