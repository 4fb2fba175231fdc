// Packs a function for deploy: one file as is, a folder as a tar.gz (deterministic order),
// and guesses the runtime from the files when --runtime is not given.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { create } from 'tar';
import type { Runtime } from '../shared/types.js';

export interface PackedCode {
  code: string; // base64
  fileName?: string;
  files: string[];
}

const SKIP = new Set(['node_modules', '.git', '__pycache__', '.venv']);

export async function packCode(path: string): Promise<PackedCode> {
  const info = await stat(path);
  if (info.isFile()) return { code: (await readFile(path)).toString('base64'), fileName: basename(path), files: [basename(path)] };
  const files = (await readdir(path, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => `${e.parentPath ?? e.path}/${e.name}`.slice(path.replace(/\/$/, '').length + 1))
    .filter((f) => !f.split('/').some((part) => SKIP.has(part)))
    .sort();
  if (files.length === 0) throw new Error(`${path} holds no files`);
  const chunks: Buffer[] = [];
  const stream = create({ gzip: true, cwd: path, portable: true, noMtime: true }, files);
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return { code: Buffer.concat(chunks).toString('base64'), files };
}

export function detectRuntime(files: string[]): Runtime | undefined {
  const exts = new Set(files.map((f) => extname(f)));
  if (exts.has('.go') || files.includes('go.mod')) return 'go';
  if (exts.has('.py')) return 'python';
  if (exts.has('.js') || exts.has('.mjs') || exts.has('.cjs') || files.includes('package.json')) return 'node';
  return undefined;
}
