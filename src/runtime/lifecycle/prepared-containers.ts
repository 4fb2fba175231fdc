// Containers created ahead of need. While a chain step runs, its worker creates and starts the
// container of the next step: same image, flags, labels and env, only without the payload,
// which is not known yet. Its run wrapper waits on a fifo before any function code runs
// (runtime-images/*/run); the payload is written to the io dir before the fifo is opened.
// The next step's createContainer claims it instead of waiting for `docker create` and
// `docker start` (or the step before claims it to start it early: activities/chain-prefetch.ts).
// Isolation is the cold path's: a prepared container is claimed at most once, serves one
// attempt, and one that nobody claims within its TTL is removed.
export interface PreparedContainers {
  /** Starts creating container `name` for `key` (what it was made from), unless it is prepared already. */
  prepare(p: { name: string; key: string; ttlMs: number; create: () => Promise<string> }): void;
  /**
   * The container's id when `name` was prepared for this very key; it leaves the registry either
   * way. A mismatch (or a failed creation) is removed first, and so is one whose TTL has just
   * run out: the caller then creates afresh under that name.
   */
  claim(name: string, key: string): Promise<string | undefined>;
  /** Whether `name` is prepared (or being prepared) for this very key and not claimed yet. */
  has(name: string, key: string): boolean;
  /** Removes a prepared container nobody will claim (its step failed). */
  discard(name: string): Promise<void>;
  /** Forgets every entry (the worker's last sweep removes their containers). */
  clear(): void;
  readonly size: number;
}

interface Entry {
  key: string;
  created: Promise<string>;
  timer: NodeJS.Timeout;
}

/** remove: removes the container (and its io dir) by name; missing is success. */
export function createPreparedContainers(remove: (name: string) => Promise<void>): PreparedContainers {
  const entries = new Map<string, Entry>();
  /** Removals under way, by name: a new container of that name (a retried step's) waits for them. */
  const removing = new Map<string, Promise<void>>();

  function take(name: string): Entry | undefined {
    const entry = entries.get(name);
    if (!entry) return undefined;
    entries.delete(name);
    clearTimeout(entry.timer);
    return entry;
  }

  /** After its creation settled (a removal racing a create could leave it behind). */
  function removeWhenCreated(name: string, entry: Entry): Promise<void> {
    const done = entry.created.then(() => undefined, () => undefined).then(() => remove(name)).catch(() => undefined)
      .finally(() => {
        if (removing.get(name) === done) removing.delete(name);
      });
    removing.set(name, done);
    return done;
  }

  return {
    prepare({ name, key, ttlMs, create }) {
      if (entries.has(name)) return;
      // By name, so never while an earlier container of this name is still being removed.
      const earlier = removing.get(name);
      const created = earlier ? earlier.then(create) : create();
      created.catch(() => undefined); // seen by claim; an unclaimed failure needs nothing
      const entry: Entry = {
        key, created,
        timer: setTimeout(() => {
          if (entries.get(name) === entry) void removeWhenCreated(name, take(name)!);
        }, ttlMs),
      };
      entry.timer.unref();
      entries.set(name, entry);
    },

    async claim(name, key) {
      const entry = take(name);
      if (!entry) {
        await removing.get(name); // its TTL ran out just now: the caller's own create comes after
        return undefined;
      }
      if (entry.key === key) {
        try {
          return await entry.created;
        } catch {
          /* fall through: remove what a failed create may have left, then create afresh */
        }
      }
      await removeWhenCreated(name, entry);
      return undefined;
    },

    has(name, key) {
      return entries.get(name)?.key === key;
    },

    async discard(name) {
      const entry = take(name);
      if (entry) await removeWhenCreated(name, entry);
    },

    clear() {
      for (const name of [...entries.keys()]) take(name);
    },

    get size() {
      return entries.size;
    },
  };
}
