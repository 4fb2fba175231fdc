// Warm attempts that outlast their local activity's bound, kept running on this worker until
// the ordinary activity awaitWarm (on this worker's host queue) claims them.
//
// Why: a local activity holds its workflow task open, so a cancel request reaches the
// workflow only once it ends. Every warm attempt starts as a local activity (no activity
// task, no extra workflow task: the fast path, whatever the version's timeout), which answers
// within a short bound; an attempt still running then is handed over here, and from that
// point cancellation and a lost worker are caught like any ordinary activity's.

export interface HandedOver<T> {
  result: Promise<T>;
  /** Stops the attempt (the container is killed; the pool retires it). */
  abort: () => void;
}

export interface WarmHandovers {
  /**
   * Runs `work`, answering its result if it settles within boundMs; else keeps it under key
   * and answers undefined. `signal` (the local activity's) stops it only until then.
   */
  runBounded<T>(opts: { key: string; boundMs: number; signal: AbortSignal; work: (signal: AbortSignal) => Promise<T> }): Promise<T | undefined>;
  /** The attempt handed over under key, once: its claimant owns it from now on. */
  take<T>(key: string): HandedOver<T> | undefined;
  /** Stops the attempt under key, claimed or not (cancellation); nothing if it is not here. */
  stop(key: string): boolean;
  /** Attempts handed over and not finished (or claimed) yet. */
  size(): number;
}

interface Entry extends HandedOver<unknown> {
  claimed: boolean;
  expiry: NodeJS.Timeout;
}

/** unclaimedMs: an attempt nobody claims within it (the workflow was cancelled, or moved on) is stopped. */
export function createWarmHandovers(opts: { unclaimedMs: number }): WarmHandovers {
  const running = new Map<string, Entry>();
  const forget = (key: string, entry: Entry) => {
    clearTimeout(entry.expiry);
    if (running.get(key) === entry) running.delete(key);
  };
  return {
    async runBounded({ key, boundMs, signal, work }) {
      const controller = new AbortController();
      const forward = () => controller.abort();
      signal.addEventListener('abort', forward, { once: true });
      if (signal.aborted) forward();
      const result = work(controller.signal);
      result.catch(() => undefined); // not an unhandled rejection while nobody awaits it
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<typeof HANDED_OVER>((resolve) => (timer = setTimeout(resolve, boundMs, HANDED_OVER)));
      try {
        const first = await Promise.race([result, bound]);
        if (first !== HANDED_OVER) return first as Awaited<typeof result>;
      } finally {
        clearTimeout(timer);
        signal.removeEventListener('abort', forward);
      }
      // A rerun of the same local activity (its workflow task was retried) replaces the first.
      const earlier = running.get(key);
      if (earlier) {
        forget(key, earlier);
        earlier.abort();
      }
      const entry: Entry = {
        result, abort: () => controller.abort(), claimed: false,
        expiry: setTimeout(() => {
          forget(key, entry);
          controller.abort();
        }, opts.unclaimedMs),
      };
      entry.expiry.unref();
      running.set(key, entry);
      return undefined;
    },
    take<T>(key: string) {
      const entry = running.get(key);
      if (!entry || entry.claimed) return undefined;
      entry.claimed = true;
      clearTimeout(entry.expiry);
      void entry.result.finally(() => forget(key, entry)).catch(() => undefined);
      return { result: entry.result as Promise<T>, abort: entry.abort };
    },
    stop(key: string) {
      const entry = running.get(key);
      if (!entry) return false;
      entry.abort();
      if (!entry.claimed) forget(key, entry);
      return true;
    },
    size: () => running.size,
  };
}

const HANDED_OVER = Symbol('handed over');

export const handoverKey = (invocationId: string, attempt: number): string => `${invocationId}#${attempt}`;
