// The mount table as this process sees it (/proc/self/mountinfo), and who made each of the
// worker's tmpfs mounts: mountIoDir puts its owner, `caisson-io.<pid>.<start time>`, in the
// mount's source field. Only root can mount, so a function cannot forge that field; the start
// time (clock ticks since boot, /proc/<pid>/stat) tells a live owner from a reused pid.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface MountEntry {
  mountPoint: string;
  fsType: string;
  source: string;
}

/** The process that mounted an io dir; `unowned` for a mount made before owners were recorded. */
export type MountOwner = { pid: number; start: string } | 'unowned';

const SOURCE = 'caisson-io';
const OWNED = /^caisson-io\.(\d{1,10})\.(\d{1,20})$/;

/** The kernel writes space, tab, newline and backslash in paths as \ooo. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));

/**
 * Lines of /proc/<pid>/mountinfo: `id parent major:minor root mountpoint options [optional...] -
 * fstype source superoptions`. Lines that do not have that shape are skipped.
 */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (dash < 0 || fields.length < dash + 3) continue;
    out.push({ mountPoint: unescape(fields[4]!), fsType: fields[dash + 1]!, source: unescape(fields[dash + 2]!) });
  }
  return out;
}

export function readMountTable(): MountEntry[] {
  return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'));
}

/** Mounts strictly below root (root: an absolute, resolved path), deepest last as mounted. */
export function mountsUnder(table: MountEntry[], root: string): MountEntry[] {
  const prefix = `${path.resolve(root)}/`;
  return table.filter((m) => m.mountPoint.startsWith(prefix));
}

/** The start time field of a /proc/<pid>/stat text (after the parenthesised command name). */
export function startTimeOf(statText: string): string | undefined {
  const rest = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); the start time is field 22.
  const start = rest[19];
  return start && /^\d+$/.test(start) ? start : undefined;
}

let ownSource: string | undefined;
/** The source field this process gives the tmpfs it mounts. */
export function ownMountSource(): string {
  if (ownSource === undefined) {
    let start: string | undefined;
    try {
      start = startTimeOf(readFileSync('/proc/self/stat', 'utf8'));
    } catch {
      start = undefined;
    }
    ownSource = `${SOURCE}.${process.pid}.${start ?? '0'}`;
  }
  return ownSource;
}

/** The owner a source field names; undefined when the mount is not one of the worker's. */
export function ownerOf(source: string): MountOwner | undefined {
  if (source === SOURCE) return 'unowned';
  const m = OWNED.exec(source);
  return m ? { pid: Number(m[1]), start: m[2]! } : undefined;
}

/**
 * Whether the owner still runs: its pid exists with the same start time. Unowned mounts have
 * none. A /proc entry that cannot be read for another reason than absence counts as alive.
 */
export function ownerAlive(owner: MountOwner, readStat = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8')): boolean {
  if (owner === 'unowned') return false;
  try {
    return startTimeOf(readStat(owner.pid)) === owner.start;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
