// The per-invocation host directory mounted at /caisson/io: payload in, result.json out.
// The container writes here as uid 65534, so everything read back is untrusted input.
import { execFile } from 'node:child_process';
import { chmodSync, constants, lstatSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { open, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ResultFile } from './result-protocol.js';

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$/;

/** Largest payload also handed over as FUNCTION_PAYLOAD (an env var over ~128 KiB cannot be exec'd). */
export const SMALL_PAYLOAD_ENV_BYTES = 64 * 1024;

/**
 * Creates root/name empty (a retried attempt starts clean), mode 0777, with payload.json.
 * envFile: also payload.env when the payload is small enough for FUNCTION_PAYLOAD, for a
 * container created before its payload was known (the run wrapper sets the env var from it).
 */
export async function createIoDir(root: string, name: string, payload: string | Buffer, opts: { envFile?: boolean } = {}): Promise<string> {
  if (!SAFE_NAME.test(name)) throw new Error(`invalid io dir name '${name}'`);
  // Direct calls, not fs/promises: each of these small steps through libuv's thread pool cost
  // the invocation ~0.3-0.5 ms on this machine, and they are all on its critical path.
  mkdirSync(root, { recursive: true });
  const dir = path.join(root, name);
  rmSync(dir, { recursive: true, force: true }); // a fresh name: normally nothing there
  mkdirSync(dir);
  // chmod, not mkdir's mode: the umask would strip the group/other write bits.
  chmodSync(dir, 0o777);
  await writePayloadFiles(dir, payload, opts);
  return dir;
}

/**
 * payload.json, and payload.env (envFile) when small enough for FUNCTION_PAYLOAD. A small
 * payload is written with direct calls: open, write and close through libuv's thread pool
 * cost the invocation ~1 ms here. The cold, prepared and warm paths all write it this way.
 */
export async function writePayloadFiles(dir: string, payload: string | Buffer, opts: { envFile?: boolean } = {}): Promise<void> {
  const small = Buffer.byteLength(payload) <= SMALL_PAYLOAD_ENV_BYTES;
  for (const name of opts.envFile && small ? ['payload.json', 'payload.env'] : ['payload.json']) {
    const file = path.join(dir, name);
    if (small) writeFileSync(file, payload, { mode: 0o644 });
    else await writeFile(file, payload, { mode: 0o644 });
  }
}

/**
 * Removes everything in a kept io dir (a warm container's, mounted: emptied, not made anew).
 * false when that failed.
 */
export async function emptyIoDir(dir: string): Promise<boolean> {
  try {
    const entries = await readdir(dir);
    await Promise.all(entries.map((e) => rm(path.join(dir, e), { recursive: true, force: true })));
    return true;
  } catch {
    return false;
  }
}

/**
 * The io dir of a container started before its invocation: empty, plus the fifo `go` its run
 * wrapper waits on (runtime-images/<runtime>/run). Node has no mkfifo: coreutils' does it.
 */
export async function createPreparedIoDir(root: string, name: string): Promise<string> {
  const dir = await createIoDir(root, name, '');
  const fifo = path.join(dir, 'go');
  await promisify(execFile)('mkfifo', ['-m', '0666', fifo]); // -m: exactly, whatever the umask
  return dir;
}

/**
 * Lets a prepared container run its function: opens its fifo `go` for writing, which its run
 * wrapper waits on. false when the dir has no fifo (an ordinary container). Non-blocking: a
 * container that is no longer waiting (ENXIO: no reader) is an error, not a hang.
 */
export async function releasePrepared(dir: string): Promise<boolean> {
  const fifo = path.join(dir, 'go');
  try {
    if (!lstatSync(fifo).isFIFO()) return false; // direct: asked on every cold run
  } catch {
    return false;
  }
  const handle = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    await handle.write('go\n');
  } finally {
    await handle.close();
  }
  return true;
}

/**
 * Reads result.json without trusting it: a symlink (which would resolve on the HOST) or a
 * non-regular file is refused, and the size is checked before anything is read.
 */
export async function readResultFile(dir: string, capBytes: number): Promise<ResultFile> {
  // Most functions write none (the script convention answers on stdout): a direct lstat says
  // so in microseconds, against a trip through libuv's thread pool (~0.3 ms here) for open.
  try {
    lstatSync(path.join(dir, 'result.json'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
  }
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
