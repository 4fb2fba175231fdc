// Removes the per-container tmpfs mounts (io dirs, secrets dirs) that a worker which died
// (SIGKILL, crash, its host losing power) left under this worker's own roots: the reaper removes
// containers, and their dirs with them, but a worker killed between mounting a dir and creating
// its container, or between removing a container and unmounting its dir, leaves a mount that no
// container names. A mount is stale when the process that made it (mount-table.ts) no longer
// runs AND no container of its name exists on this host's engine: a live worker's mounts, even
// one whose container is still being created, are never touched.
// Safe by construction: only direct children of the given roots, only tmpfs mounts whose source
// is the worker's own tag, names as containers are named, the mount point checked to be a
// directory (never a link) just before; lazily unmounted (nothing in it is walked), then its now
// empty mount point removed with rmdir (never recursive). Bounded: `max` dirs per sweep.
import { lstat, opendir, realpath, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../../shared/errors.js';
import { SAFE_NAME, unmount } from '../io/io-dir.js';
import { ownerAlive, ownerOf, readMountTable, type MountEntry, type MountOwner } from '../io/mount-table.js';

export interface StaleMountSweep {
  /** Dirs whose direct children are per-container tmpfs mounts (the worker's io and secrets roots). */
  roots: string[];
  /** Names of the containers on this host's engine, whatever their state: their dirs are in use. */
  containers: ReadonlySet<string>;
  /** At a worker's start only: also rmdir EMPTY unmounted dirs (killed between mkdir and mount). */
  emptyDirs?: boolean;
  /** Most dirs removed in one sweep; the rest wait for the next one. */
  max?: number;
  /** Tests: the mount table and the owner check (default: /proc). */
  table?: () => MountEntry[];
  isOwnerAlive?: (owner: MountOwner) => boolean;
  log?: (m: string) => void;
}

const DEFAULT_MAX = 256;
/** Entries of a root looked at for empty dirs (a root holds one dir per attempt in flight). */
const MAX_SCAN = 4096;

/** Removes stale mounts (and, with emptyDirs, empty dirs) under the roots; answers the dirs removed. */
export async function sweepStaleIoMounts(opts: StaleMountSweep): Promise<string[]> {
  const table = (opts.table ?? readMountTable)();
  const alive = opts.isOwnerAlive ?? ((o: MountOwner) => ownerAlive(o));
  const budget = { left: opts.max ?? DEFAULT_MAX };
  const removed: string[] = [];
  for (const given of opts.roots) {
    // The operator's path, resolved once as the kernel writes mount points; nothing below it is followed.
    const root = await realpath(given).catch(() => undefined); // no root yet: nothing to sweep
    if (!root) continue;
    const mountPoints = new Set(table.filter((m) => m.mountPoint.startsWith(`${root}/`)).map((m) => m.mountPoint));
    const stale = staleMounts({ table, root, containers: opts.containers, alive });
    for (const [dir, layers] of stale) {
      if (budget.left <= 0) break;
      if (await removeMount(dir, layers, opts.log)) {
        removed.push(dir);
        budget.left--;
      }
    }
    if (opts.emptyDirs) removed.push(...(await removeEmptyDirs({ root, skip: mountPoints, containers: opts.containers, budget })));
  }
  if (budget.left <= 0) opts.log?.(`io mounts: sweep stopped at ${opts.max ?? DEFAULT_MAX} dirs; the next sweep goes on`);
  return removed;
}

/**
 * The stale mount points directly under root, each with how many mounts are stacked there. A
 * point any foreign mount shares (another source or file system) is not the worker's: kept.
 */
export function staleMounts(input: {
  table: MountEntry[]; root: string; containers: ReadonlySet<string>; alive: (owner: MountOwner) => boolean;
}): Map<string, number> {
  const byPoint = new Map<string, MountEntry[]>();
  for (const m of input.table) {
    if (path.dirname(m.mountPoint) !== input.root || !SAFE_NAME.test(path.basename(m.mountPoint))) continue;
    byPoint.set(m.mountPoint, [...(byPoint.get(m.mountPoint) ?? []), m]);
  }
  const stale = new Map<string, number>();
  for (const [dir, layers] of byPoint) {
    if (input.containers.has(path.basename(dir))) continue;
    const owners = layers.map((m) => (m.fsType === 'tmpfs' ? ownerOf(m.source) : undefined));
    if (owners.every((o) => o !== undefined && !input.alive(o))) stale.set(dir, layers.length);
  }
  return stale;
}

async function removeMount(dir: string, layers: number, log?: (m: string) => void): Promise<boolean> {
  try {
    if (!(await lstat(dir)).isDirectory()) return false; // a link or a file: never followed
    for (let i = 0; i < layers; i++) await unmount(dir);
    await rmdir(dir);
    return true;
  } catch (err) {
    log?.(`io mounts: could not remove the stale mount ${dir}: ${errorMessage(err)}`);
    return false;
  }
}

/** Empty, unmounted dirs named as containers that do not exist; rmdir leaves anything else. */
async function removeEmptyDirs(input: {
  root: string; skip: ReadonlySet<string>; containers: ReadonlySet<string>; budget: { left: number };
}): Promise<string[]> {
  const removed: string[] = [];
  const dir = await opendir(input.root);
  let seen = 0;
  for await (const entry of dir) {
    if (++seen > MAX_SCAN || input.budget.left <= 0) break;
    const full = path.join(input.root, entry.name);
    if (!entry.isDirectory() || !SAFE_NAME.test(entry.name) || input.skip.has(full) || input.containers.has(entry.name)) continue;
    try {
      await rmdir(full);
      removed.push(full);
      input.budget.left--;
    } catch {
      /* not empty, or gone meanwhile: left alone */
    }
  }
  return removed;
}
