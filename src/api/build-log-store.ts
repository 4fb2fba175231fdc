// The lines of running builds, as workers send them (POST /deployments/<id>/log), for readers
// of functions.buildLog (`caisson fn deploy` follows them). In this api process's memory only:
// a build log is live output, not a record (the deploy's outcome keeps the build's tail).
// Bounded everywhere: lines per deploy, deploys kept (least recently written go first), how
// long a reader waits, and how many wait at once.
import { BUILD_LOG_LIMITS } from '../shared/build-log.js';

export interface BuildLogPage {
  /** Lines after the cursor, in order. */
  lines: string[];
  /** The cursor to read on from. */
  next: number;
  /** Lines the api did not keep (over its per-deploy limit). */
  dropped: number;
}

export interface BuildLogAppend {
  attempt: number;
  seq: number;
  lines: string[];
}

interface Entry {
  lines: string[];
  dropped: number;
  attempt: number;
  /** The next line index expected of the current attempt (a batch sent twice is kept once). */
  nextSeq: number;
  waiters: Set<() => void>;
}

export interface BuildLogStoreOptions {
  maxDeployments?: number;
  linesPerDeployment?: number;
  maxWaitersPerDeployment?: number;
}

export function createBuildLogStore(opts: BuildLogStoreOptions = {}) {
  const maxDeployments = opts.maxDeployments ?? 500;
  const maxLines = opts.linesPerDeployment ?? BUILD_LOG_LIMITS.linesPerDeployment;
  const maxWaiters = opts.maxWaitersPerDeployment ?? 32;
  // Insertion order is recency: an entry written to is moved to the end, the first one goes first.
  const entries = new Map<string, Entry>();

  function entryFor(id: string): Entry {
    let entry = entries.get(id);
    if (entry) {
      entries.delete(id);
    } else {
      entry = { lines: [], dropped: 0, attempt: 0, nextSeq: 0, waiters: new Set() };
      while (entries.size >= maxDeployments) {
        const [oldest, old] = entries.entries().next().value!;
        entries.delete(oldest);
        for (const wake of old.waiters) wake();
      }
    }
    entries.set(id, entry);
    return entry;
  }

  return {
    /** Keeps a batch's new lines (up to the limit); lines of an older attempt than the last one are ignored. */
    append(id: string, batch: BuildLogAppend): { kept: number } {
      const entry = entryFor(id);
      if (batch.attempt < entry.attempt) return { kept: 0 };
      if (batch.attempt > entry.attempt) {
        if (entry.attempt > 0) pushLines(entry, [`(the build is retried: attempt ${batch.attempt})`]);
        entry.attempt = batch.attempt;
        entry.nextSeq = 0;
      }
      const fresh = batch.lines.slice(Math.max(0, entry.nextSeq - batch.seq));
      entry.nextSeq = Math.max(entry.nextSeq, batch.seq + batch.lines.length);
      const kept = pushLines(entry, fresh);
      for (const wake of entry.waiters) wake();
      entry.waiters.clear();
      return { kept };
    },

    /** Lines after `after`; when there are none yet, waits up to waitMs for some. */
    async read(id: string, after: number, waitMs = 0): Promise<BuildLogPage> {
      const page = () => {
        const entry = entries.get(id);
        const lines = entry ? entry.lines.slice(after) : [];
        return { lines, next: after + lines.length, dropped: entry?.dropped ?? 0 };
      };
      const now = page();
      if (now.lines.length > 0 || waitMs <= 0) return now;
      const entry = entries.get(id) ?? entryFor(id);
      if (entry.waiters.size >= maxWaiters) return now;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          entry.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(waitMs, BUILD_LOG_LIMITS.maxWaitMs));
        entry.waiters.add(wake);
      });
      return page();
    },

    has: (id: string): boolean => entries.has(id),

    /** Deploys whose lines are kept (for tests and health). */
    get size(): number {
      return entries.size;
    },
  };

  function pushLines(entry: Entry, lines: string[]): number {
    const room = Math.max(0, maxLines - entry.lines.length);
    const kept = lines.slice(0, room);
    entry.lines.push(...kept);
    entry.dropped += lines.length - kept.length;
    return kept.length;
  }
}

export type BuildLogStore = ReturnType<typeof createBuildLogStore>;
