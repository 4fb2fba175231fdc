// The per-invocation host directory of a cold container, mounted at /caisson/io: payload in,
// result.json out. Everything in it after the container ran is hostile input, so:
// - it is a tmpfs of its own, mounted by the worker (size-limited: a function cannot fill the
//   host's disk through it) and unmounted afterwards (nothing in it is walked or followed);
// - the worker writes into it only before the function's code runs (a fresh dir, or a
//   prepared container whose trusted run wrapper is still waiting for its payload), with
//   O_NOFOLLOW | O_EXCL, and reads result.json once the container has stopped, with
//   O_NOFOLLOW, as a regular file only, and capped.
// Warm containers keep no host io dir (warm-container.ts: payload and result travel over
// the server's socket).
import { closeSync, constants, lstatSync, mkdirSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import { RuntimeUnavailableError, errorMessage } from '../../shared/errors.js';
import { createMountHelper } from './mount-helper.js';
import { mountsUnder, ownMountSource, readMountTable } from './mount-table.js';
import type { ResultFile } from './result-protocol.js';

const mounts = createMountHelper();
/** What an io or secrets dir may be called (a container's name): never `.`, `..` or a path. */
export const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$/;
const MiB = 1024 * 1024;
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Largest payload also handed over as FUNCTION_PAYLOAD (an env var over ~128 KiB cannot be exec'd). */
export const SMALL_PAYLOAD_ENV_BYTES = 64 * 1024;

export interface IoDirOptions {
  /** Size of the dir's tmpfs: room for the payload and the largest result, plus a margin. */
  sizeBytes: number;
  /** Also payload.env when the payload is small enough for FUNCTION_PAYLOAD (prepared containers). */
  envFile?: boolean;
}

/** The tmpfs size for payloads and results up to these limits (1 MiB of margin, whole MiB). */
export function ioDirSizeBytes(limits: { payloadBytes: number; resultBytes: number }): number {
  return Math.ceil((limits.payloadBytes + limits.resultBytes) / MiB + 1) * MiB;
}

/**
 * root/name as a new, empty tmpfs of opts.sizeBytes (mode 0777: the container's uid 65534
 * writes result.json) holding payload.json. A retried attempt's leftover dir is unmounted and
 * removed first.
 */
export async function createIoDir(root: string, name: string, payload: string | Buffer, opts: IoDirOptions): Promise<string> {
  const dir = await mountIoDir(root, name, opts.sizeBytes);
  writePayloadFiles(dir, payload, opts);
  return dir;
}

/**
 * The io dir of a container started before its invocation: empty, plus the fifo `go` its run
 * wrapper waits on (runtime-images/<runtime>/run). Node has no mkfifo: coreutils' does it.
 */
export async function createPreparedIoDir(root: string, name: string, opts: IoDirOptions): Promise<string> {
  const dir = await mountIoDir(root, name, opts.sizeBytes);
  await mounts.run('mkfifo', ['-m', '0666', path.join(dir, 'go')]); // -m: exactly, whatever the umask
  return dir;
}

/**
 * payload.json, and payload.env (envFile) when small enough for FUNCTION_PAYLOAD. Written only
 * where no function code has run yet; still, an entry already there (a retried write) is
 * unlinked, never followed, and the file is created new. Direct calls: through libuv's thread
 * pool the open, write and close cost the invocation more.
 */
export function writePayloadFiles(dir: string, payload: string | Buffer, opts: { envFile?: boolean } = {}): void {
  const small = Buffer.byteLength(payload) <= SMALL_PAYLOAD_ENV_BYTES;
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  for (const name of opts.envFile && small ? ['payload.json', 'payload.env'] : ['payload.json']) {
    const file = path.join(dir, name);
    try {
      unlinkSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const fd = openSync(file, CREATE_NEW, 0o644);
    try {
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
    } finally {
      closeSync(fd);
    }
  }
}

/** How long a prepared container's run wrapper may take to open its fifo after `docker start` returned. */
const FIFO_READER_WAIT_MS = 5000;
const FIFO_READER_POLL_MS = 2;

/**
 * Lets a prepared container run its function: opens its fifo `go` for writing, which its run
 * wrapper waits on. false when the dir has no fifo (an ordinary container). Non-blocking: with
 * no reader yet (ENXIO) it tries again every few ms, as `docker start` returns before the
 * wrapper has opened the fifo (a container started just now, then released at once); one that
 * never opens it within FIFO_READER_WAIT_MS is an error, not a hang.
 */
export async function releasePrepared(dir: string): Promise<boolean> {
  const fifo = path.join(dir, 'go');
  try {
    if (!lstatSync(fifo).isFIFO()) return false; // direct: asked on every cold run
  } catch {
    return false;
  }
  const handle = await openFifoWriter(fifo, Date.now() + FIFO_READER_WAIT_MS);
  try {
    if (!(await handle.stat()).isFIFO()) return false;
    await handle.write('go\n');
  } finally {
    await handle.close();
  }
  return true;
}

async function openFifoWriter(fifo: string, deadline: number) {
  for (;;) {
    try {
      return await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() >= deadline) throw err;
      await new Promise((r) => setTimeout(r, FIFO_READER_POLL_MS));
    }
  }
}

/**
 * Reads result.json without trusting it: a symlink (which would resolve on the HOST) or a
 * non-regular file is refused, and the size is checked before anything is read.
 */
export async function readResultFile(dir: string, capBytes: number): Promise<ResultFile> {
  // Most functions write none (the script convention answers on stdout): a direct lstat says
  // so in microseconds, against a trip through libuv's thread pool for open.
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
    return { kind: 'unreadable', message: errorMessage(err) };
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

/**
 * Unmounts and removes the io dir; already gone is success. Unmounting discards whatever the
 * function left there without walking it (no link in it is ever followed).
 */
export async function removeIoDir(dir: string): Promise<void> {
  await unmount(dir);
  await rm(dir, { recursive: true, force: true });
}

/** Unmounts and removes every io dir mounted under root (a data dir about to be removed). */
export async function removeIoDirsUnder(root: string): Promise<void> {
  const mounted = mountsUnder(readMountTable(), root).map((m) => m.mountPoint);
  for (const dir of mounted.reverse()) await removeIoDir(dir);
}

/**
 * root/name as a new, empty tmpfs (a leftover one is unmounted and removed first). mode: of the
 * tmpfs's root (0777 for io dirs; secrets dirs are 0755, root-owned). Removed with removeIoDir.
 */
export async function mountIoDir(root: string, name: string, sizeBytes: number, mode = '0777'): Promise<string> {
  if (!SAFE_NAME.test(name)) throw new Error(`invalid io dir name '${name}'`);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const dir = path.join(root, name);
  if (exists(dir)) await removeIoDir(dir); // a retried attempt's: normally nothing there
  // recursive: no error if the engine made it meanwhile (a bind source it did not find).
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const size = Math.max(1, Math.ceil(sizeBytes / MiB));
  try {
    // The source names this process: a later worker tells a dead owner's leftover (stale-io-mounts.ts).
    await mounts.run('mount', ['-t', 'tmpfs', '-o', `size=${size}m,mode=${mode},nosuid,nodev,noexec`, ownMountSource(), dir]);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new RuntimeUnavailableError(
      `cannot mount the io dir's tmpfs at ${dir} (the worker needs root or CAP_SYS_ADMIN): ${errorMessage(err).trim()}`,
      err,
    );
  }
  return dir;
}

/** Detaches the mount at dir at once (lazily: a busy one goes when its last user does); none there is success. */
export async function unmount(dir: string): Promise<void> {
  try {
    await mounts.run('umount', ['--lazy', dir]);
  } catch (err) {
    // Not mounted (already unmounted, or never was) or not there: nothing to do.
    if (!/not mounted|no mount point|not found|No such file/i.test(errorMessage(err))) throw err;
  }
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
