// A one-file function and a shared io dir laid out as the worker would, for raw baselines.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createCodeCache } from '../../src/runtime/io/code-cache.js';
import { createIoDir } from '../../src/runtime/io/io-dir.js';

export async function materializeSingleFile(opts: { file: string; root: string; payload: string }): Promise<{ codeDir: string; ioDir: string }> {
  const source = await readFile(opts.file);
  const fileName = path.basename(opts.file);
  const codeDir = await createCodeCache({ dir: path.join(opts.root, 'code') }).materialize(
    { sha256: createHash('sha256').update(source).digest('hex'), format: 'file', fileName, sizeBytes: source.length },
    async () => source,
  );
  const ioDir = await createIoDir(path.join(opts.root, 'io'), 'shared', opts.payload, { sizeBytes: 16 << 20 });
  return { codeDir, ioDir };
}
