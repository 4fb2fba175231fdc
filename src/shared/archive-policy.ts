// What an uploaded (or built) code archive may hold, as pure rules: regular files and
// directories only, printable relative names, and caps on entries and expanded bytes.
// The api checks uploads with them and the worker checks again before it extracts.

export interface ArchiveLimits {
  /** The decompressed tar stream (headers and padding included) may be at most this long. */
  maxExpandedBytes: number;
  /** Entries (files and directories) in one archive. */
  maxEntries: number;
}

const MiB = 1024 * 1024;
export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = Object.freeze({ maxExpandedBytes: 256 * MiB, maxEntries: 10_000 });

/** Longest entry name and name component (bytes); Linux's NAME_MAX is 255. */
export const MAX_PATH_BYTES = 1024;
export const MAX_COMPONENT_BYTES = 255;
const utf8 = new TextEncoder();
const byteLength = (s: string) => utf8.encode(s).length;

// Links are refused, even pointing inside: a chain of in-tree links can still resolve outside
// (a -> ., a/b -> ..), and the worker reads files of the tree (package.json, requirements.txt).
// Devices, fifos, sparse and unknown entry types have no place in function code.
const ALLOWED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory']);

// Control characters (newline, escape, DEL, C1), format characters (bidi overrides, zero
// width), line/paragraph separators, surrogates, private use, unassigned, and U+FFFD (what
// bytes that are not UTF-8 decode to): names like these spoof or corrupt logs and terminals.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}\uFFFD]/u;

/** A name as it may appear in a message: escaped, and short. */
export function quoteName(name: string): string {
  const quoted = JSON.stringify(name.length > 120 ? `${name.slice(0, 120)}…` : name);
  // JSON leaves U+2028/2029 and bidi controls as they are: escape every unprintable one.
  return quoted.replace(new RegExp(UNPRINTABLE.source, 'gu'), (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

/** Why this relative path may not name an entry of function code, or undefined when it may. */
export function pathProblem(p: string): string | undefined {
  if (p.length === 0) return 'an empty name';
  if (UNPRINTABLE.test(p)) return 'a name with control or unprintable characters';
  if (p.includes('\\')) return 'a name with a backslash';
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return 'an absolute name';
  if (byteLength(p) > MAX_PATH_BYTES) return `a name over ${MAX_PATH_BYTES} bytes`;
  const parts = p.replace(/\/+$/, '').split('/');
  if (parts.includes('..')) return 'a name with a .. component';
  if (parts.some((part) => byteLength(part) > MAX_COMPONENT_BYTES)) return `a name component over ${MAX_COMPONENT_BYTES} bytes`;
  return undefined;
}

/** Why an archive entry is refused, or undefined. Messages quote the name (escaped). */
export function entryProblem(entry: { path: string; type: string }): string | undefined {
  if (!ALLOWED_TYPES.has(entry.type)) {
    return `${quoteName(entry.path)} is a ${entry.type} entry (only regular files and directories are allowed)`;
  }
  const problem = pathProblem(entry.path);
  return problem ? `${quoteName(entry.path)} is ${problem}` : undefined;
}
