// One empty network namespace per function version on this worker, held by a tiny container
// (sleep, no network, hardened). Functions without network join their version's namespace
// (--network container:<holder>) instead of each getting a new one from the engine, which was
// the largest part of a container start (docs/performance.md, "Figures behind the code"). Isolation: the namespace has only a loopback interface, and only
// containers of the same function version share it (its warm containers and cold attempts),
// never two functions or two versions. A holder unused for a while is removed.
import { mkdir } from 'node:fs/promises';
import { errorMessage } from '../../shared/errors.js';
import type { ContainerRuntime } from '../docker/container-runtime.js';

export interface NetnsHolders {
  /** The holder's container id for this function version (netnsKey; started on first use);
   * undefined when none can be had (then the container gets its own empty namespace).
   * wait false: undefined at once while the version's holder is still starting (it is started
   * in the background), so a version's first container does not wait for its holder. */
  holderFor(key: string, opts?: { wait?: boolean }): Promise<string | undefined>;
  /** Removes holders unused for idleMs (they are started again when needed). */
  sweep(idleMs?: number): Promise<number>;
  shutdown(): Promise<void>;
}

/** The one key a function version's containers share a network namespace under. */
export function netnsKey(spec: { namespace: string; name: string; version: number }): string {
  return `${spec.namespace}/${spec.name}@${spec.version}`;
}

const LIFETIME_S = 6 * 3600;
const RENEW_AFTER_MS = 5 * 3600_000; // new containers join a fresh holder before the old one ends
const IDLE_MS = 30 * 60_000; // longer than a warm container idles (its idle TTL) before it is retired

interface Holder {
  id: Promise<string>;
  startedAt: number;
  usedAt: number;
  /** Started and answered: containers may join it without waiting. */
  ready: boolean;
}

export function createNetnsHolders(opts: {
  runtime: ContainerRuntime;
  workerId: string;
  image: string;
  /** An empty directory (local path and the engine's view of it) to mount as the holder's code dir. */
  emptyDir: { local: string; host: string };
  log?: (msg: string) => void;
}): NetnsHolders {
  const holders = new Map<string, Holder>();
  let seq = 0;

  async function start(key: string): Promise<string> {
    await mkdir(opts.emptyDir.local, { recursive: true });
    await opts.runtime.ensureImage(opts.image);
    const name = `caisson-netns-${opts.workerId}-${++seq}`.replace(/[^A-Za-z0-9_.-]/g, '-');
    const { id } = await opts.runtime.create({
      name,
      image: opts.image,
      labels: {
        'caisson.netns': key.replace(/[^A-Za-z0-9_.@/-]/g, '-'),
        'caisson.worker': opts.workerId,
        'caisson.deadline': String(Date.now() + LIFETIME_S * 1000 + 60_000),
      },
      env: {},
      codeDir: opts.emptyDir.host,
      memoryMb: 16,
      cpus: 0.1,
      pidsLimit: 4,
      network: false,
      entrypoint: ['sleep', String(LIFETIME_S)],
    });
    await opts.runtime.start(id);
    return id;
  }

  function current(key: string): Promise<string> {
    const held = holders.get(key);
    if (held && Date.now() - held.startedAt < RENEW_AFTER_MS) {
      held.usedAt = Date.now();
      return held.id;
    }
    const id = start(key);
    const entry: Holder = { id, startedAt: Date.now(), usedAt: Date.now(), ready: false };
    holders.set(key, entry);
    id.then(() => (entry.ready = true), (err: unknown) => {
      opts.log?.(`netns holder for ${key}: ${errorMessage(err)}`);
      if (holders.get(key)?.id === id) holders.delete(key);
    });
    return id;
  }

  async function removeHolders(keys: string[]): Promise<void> {
    const ids = await Promise.all(keys.map((k) => {
      const id = holders.get(k)?.id;
      holders.delete(k);
      return id?.catch(() => undefined);
    }));
    await Promise.all(ids.filter((id): id is string => !!id).map((id) => opts.runtime.remove(id).catch(() => undefined)));
  }

  return {
    async holderFor(key, { wait = true } = {}) {
      try {
        const pending = current(key);
        if (!wait && !holders.get(key)?.ready) return undefined;
        const id = await pending.catch(() => current(key)); // a start that failed is tried once more
        // One inspect (a few ms) so a holder that died is replaced before anything joins it.
        if ((await opts.runtime.inspectState(id)).running) return id;
        holders.delete(key);
        return await current(key);
      } catch {
        return undefined; // logged by current(); a network namespace of its own still isolates
      }
    },
    async sweep(idleMs = IDLE_MS) {
      const idle = [...holders].filter(([, h]) => Date.now() - h.usedAt > idleMs).map(([k]) => k);
      await removeHolders(idle);
      return idle.length;
    },
    async shutdown() {
      await removeHolders([...holders.keys()]);
    },
  };
}
