// The per-invocation host directory mounted at /caisson/io: payload in, result.json out.
// The container writes here as uid 65534, so everything read back is untrusted input.
import { constants } from 'node:fs';
import { chmod, mkdir, open, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResultFile } from './result-protocol.js';

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$/;

/** Creates root/name empty (a retried attempt starts clean), mode 0777, with payload.json. */
export async function createIoDir(root: string, name: string, payload: string | Buffer): Promise<string> {
  if (!SAFE_NAME.test(name)) throw new Error(`invalid io dir name '${name}'`);
  await mkdir(root, { recursive: true });
  const dir = path.join(root, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir);
  // chmod, not mkdir's mode: the umask would strip the group/other write bits.
  await chmod(dir, 0o777);
  await writeFile(path.join(dir, 'payload.json'), payload, { mode: 0o644 });
  return dir;
}

/**
 * Reads result.json without trusting it: a symlink (which would resolve on the HOST) or a
 * non-regular file is refused, and the size is checked before anything is read.
 */
export async function readResultFile(dir: string, capBytes: number): Promise<ResultFile> {
  let handle;
  try {
    handle = await open(path.join(dir, 'result.json'), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    if (code === 'ELOOP') return { kind: 'unreadable', message: 'result.json is a symbolic link' };
    return { kind: 'unreadable', message: (err as Error).message };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { kind: 'unreadable', message: 'result.json is not a regular file' };
    if (stat.size > capBytes) return { kind: 'too-large', sizeBytes: stat.size, capBytes };
    const buffer = Buffer.alloc(stat.size);
    const { bytesRead } = await handle.read(buffer, 0, stat.size, 0);
    return { kind: 'present', text: buffer.subarray(0, bytesRead).toString('utf8') };
  } finally {
    await handle.close();
  }
}

/** Removes the io dir; already gone is success. */
export async function removeIoDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
