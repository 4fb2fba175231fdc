// A container's secrets on the host: a small tmpfs of its own (never the host's disk), one file
// per secret, root-owned, 0444 in a 0755 root, written with O_EXCL | O_NOFOLLOW before the
// container starts. The container sees it read-only at /var/openfaas/secrets and /run/secrets.
// It goes with its container: cold at the end of the attempt, warm when the container is
// retired, and the reaper's removal of a container a dead worker left takes it too.
import { closeSync, constants, lstatSync, openSync, readdirSync, writeSync } from 'node:fs';
import path from 'node:path';
import { SECRET_MOUNT_PATHS, SECRET_NAME_PATTERN } from '../../shared/secrets.js';
import { mountIoDir, removeIoDir } from './io-dir.js';

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const PAGE = 4096;
const KiB = 1024;

export interface SecretsDirOptions {
  /** This worker's root of secrets dirs (one per container, named as the container). */
  root: string;
  /** The container's name. */
  name: string;
  /** Secret names and their values. */
  values: ReadonlyMap<string, Buffer>;
}

/** The dir of container `name` under root (whether or not it exists). */
export const secretsDirOf = (root: string, name: string): string => path.join(root, name);

/**
 * Mounts root/name as a tmpfs just big enough, writes one file per secret and answers the dir.
 * On any failure nothing is left mounted.
 */
export async function createSecretsDir(opts: SecretsDirOptions): Promise<string> {
  let bytes = 64 * KiB;
  for (const value of opts.values.values()) bytes += Math.ceil(value.length / PAGE + 1) * PAGE;
  const dir = await mountIoDir(opts.root, opts.name, bytes, '0755');
  try {
    for (const [name, value] of opts.values) writeSecretFile(dir, name, value);
  } catch (err) {
    await removeIoDir(dir).catch(() => undefined);
    throw err;
  }
  return dir;
}

function writeSecretFile(dir: string, name: string, value: Buffer): void {
  // The names were checked at deploy; checked again, so no name ever leaves the dir.
  if (!SECRET_NAME_PATTERN.test(name) || name === '.' || name === '..') throw new Error('invalid secret name');
  const fd = openSync(path.join(dir, name), CREATE_NEW, 0o444);
  try {
    for (let off = 0; off < value.length; ) off += writeSync(fd, value, off);
  } finally {
    closeSync(fd);
  }
}

/** Unmounts and removes the container's secrets dir; none there is success (one lstat: most containers have none). */
export async function removeSecretsDir(root: string, name: string): Promise<void> {
  const dir = secretsDirOf(root, name);
  try {
    lstatSync(dir);
  } catch {
    return;
  }
  await removeIoDir(dir);
}

/**
 * Removes the secrets dirs under root of containers that do not exist (a worker that died
 * between mounting a dir and creating its container). Called at start, before any create.
 */
export async function removeOrphanSecretsDirs(root: string, containers: ReadonlySet<string>): Promise<string[]> {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const orphans = names.filter((n) => !containers.has(n));
  for (const name of orphans) await removeIoDir(secretsDirOf(root, name));
  return orphans;
}

/** The read-only bind mounts of a secrets dir (hostDir: as the engine sees it). */
export function secretMounts(hostDir: string): Array<{ hostPath: string; containerPath: string; readOnly: true }> {
  return SECRET_MOUNT_PATHS.map((containerPath) => ({ hostPath: hostDir, containerPath, readOnly: true }));
}
