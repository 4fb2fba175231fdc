// One empty network namespace per Caisson namespace on this worker, held by a tiny
// container (sleep, no network, hardened). Functions without network join it
// (--network container:<holder>) instead of each getting a new namespace from the engine,
// which was the largest part of a container start here (measured: a hardened `docker run`
// of Python 240-300 ms → 154 ms). Isolation kept: the namespace has only a loopback
// interface; functions of the same Caisson namespace share that loopback (and abstract
// unix sockets), never across namespaces.
import { mkdir } from 'node:fs/promises';
import { errorMessage } from '../shared/errors.js';
import type { ContainerRuntime } from './container-runtime.js';

export interface NetnsHolders {
  /** The holder's container id for this Caisson namespace (started on first use); undefined when
   * none can be had (then the container gets its own empty namespace, as before). */
  holderFor(namespace: string): Promise<string | undefined>;
  shutdown(): Promise<void>;
}

const LIFETIME_S = 6 * 3600;
const RENEW_AFTER_MS = 5 * 3600_000; // new containers join a fresh holder before the old one ends

export function createNetnsHolders(opts: {
  runtime: ContainerRuntime;
  workerId: string;
  image: string;
  /** An empty directory (local path and the engine's view of it) to mount as the holder's code dir. */
  emptyDir: { local: string; host: string };
  log?: (msg: string) => void;
}): NetnsHolders {
  const holders = new Map<string, { id: Promise<string>; startedAt: number }>();
  let seq = 0;

  async function start(namespace: string): Promise<string> {
    await mkdir(opts.emptyDir.local, { recursive: true });
    await opts.runtime.ensureImage(opts.image);
    const name = `caisson-netns-${opts.workerId}-${namespace}-${++seq}`.replace(/[^A-Za-z0-9_.-]/g, '-');
    const { id } = await opts.runtime.create({
      name,
      image: opts.image,
      labels: {
        'caisson.netns': namespace,
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

  function current(namespace: string): Promise<string> {
    const held = holders.get(namespace);
    if (held && Date.now() - held.startedAt < RENEW_AFTER_MS) return held.id;
    const id = start(namespace);
    holders.set(namespace, { id, startedAt: Date.now() });
    id.catch((err) => {
      opts.log?.(`netns holder for ${namespace}: ${errorMessage(err)}`);
      if (holders.get(namespace)?.id === id) holders.delete(namespace);
    });
    return id;
  }

  return {
    async holderFor(namespace) {
      try {
        const id = await current(namespace);
        // One inspect (a few ms) so a holder that died is replaced before anything joins it.
        if ((await opts.runtime.inspectState(id)).running) return id;
        holders.delete(namespace);
        return await current(namespace);
      } catch {
        return undefined; // logged by current(); a namespace of its own still isolates
      }
    },
    async shutdown() {
      const ids = await Promise.all([...holders.values()].map((h) => h.id.catch(() => undefined)));
      holders.clear();
      await Promise.all(ids.filter((id): id is string => !!id).map((id) => opts.runtime.remove(id).catch(() => undefined)));
    },
  };
}
