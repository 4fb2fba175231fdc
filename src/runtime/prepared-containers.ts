// Containers created ahead of need. While a chain step runs, its worker creates the container
// of the next step: same image, flags, labels and env, only without the payload, which is not
// known yet (the run wrapper reads it from the io dir; see runtime-images/*/run). The next
// step's createContainer claims it instead of waiting for `docker create` (~25 ms here).
// Isolation is the cold path's: a prepared container is never started before it is claimed,
// and is claimed at most once. One that nobody claims within its TTL is removed.
export interface PreparedContainers {
  /** Starts creating container `name` for `key` (what it was made from), unless it is prepared already. */
  prepare(name: string, key: string, ttlMs: number, create: () => Promise<string>): void;
  /**
   * The container's id when `name` was prepared for this very key; it leaves the registry either
   * way. A mismatch (or a failed creation) is removed first: the caller then creates afresh.
   */
  claim(name: string, key: string): Promise<string | undefined>;
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

  function take(name: string): Entry | undefined {
    const entry = entries.get(name);
    if (!entry) return undefined;
    entries.delete(name);
    clearTimeout(entry.timer);
    return entry;
  }

  /** After its creation settled (a removal racing a create could leave it behind). */
  const removeWhenCreated = (name: string, entry: Entry) =>
    entry.created.then(() => undefined, () => undefined).then(() => remove(name)).catch(() => undefined);

  return {
    prepare(name, key, ttlMs, create) {
      if (entries.has(name)) return;
      const created = create();
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
      if (!entry) return undefined;
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
