// Generic warm containers: per runtime image, a few started, hardened containers whose runtime
// server waits (hello mode "generic") before any function is known, so that the first
// invocation of a version that never ran on this worker skips `docker create` + start. A
// claim specialises one for one version (specialise.ts says which versions may, and what is
// delivered): the version's code is copied into the container's code slot (a host dir mounted
// read-only at /app/function, root-owned, empty until then), its memory and CPU limits are
// updated, and its environment is sent to the server, which then loads the function and says
// hello as any warm server does. From then on the container is that version's (the warm pool
// keeps it in the version's pool): it never comes back here. Each claim starts a replacement.
import { randomBytes } from 'node:crypto';
import { chmod, cp, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../../shared/errors.js';
import type { ContainerRuntime, ContainerSpec } from '../docker/container-runtime.js';
import type { SpecialiseRequest } from './specialise.js';
import { WarmContainer } from './warm-container.js';
import { WARM_SOCKET_DIR } from './warm-protocol.js';

/** What a generic container is made from: the image, its server, and the server's mount. */
export interface GenericTemplate {
  image: string;
  entrypoint: string[];
  mounts: NonNullable<ContainerSpec['mounts']>;
}

export interface GenericPoolOptions {
  runtime: ContainerRuntime;
  workerId: string;
  /** Local dir of the containers' socket dirs (the warm pool's). */
  ioRoot: string;
  /** Local dir of the containers' code slots. */
  codeRoot: string;
  hostPath: (local: string) => string;
  privateIoMb: number;
  /** Generic containers kept per image (0: none). */
  perImage: number;
  /** The limits a generic container is created with; a claim updates them to the version's. */
  memoryMb: number;
  cpus: number;
  readyTimeoutMs: number;
  /** Past this age an idle generic container is replaced; its deadline label adds a margin. */
  maxLifetimeMs: number;
  deadlineMarginMs: number;
  /** Whether the worker's warm-container budget has room for one more. */
  room: () => boolean;
  /** Labels every warm container of the pool carries (the pool label). */
  labels: Record<string, string>;
  log: (msg: string) => void;
}

export interface GenericPool {
  /** Keeps perImage generic containers of this template from now on (started in the background). */
  want(template: GenericTemplate): void;
  /** Whether a claim of this request would find an idle container (it takes it synchronously, as it starts). */
  hasIdle(request: SpecialiseRequest): boolean;
  /** A generic container of the request's image, specialised for it; undefined when none is free or it failed. */
  claim(request: SpecialiseRequest): Promise<WarmContainer | undefined>;
  /** Generic containers idle or starting (they count against the worker's warm budget). */
  size(): number;
  /** Per image: idle (ready to claim) and starting. */
  stats(): Record<string, { idle: number; starting: number }>;
  /** Removes one idle generic container to make room; false when there is none. */
  evictOne(): boolean;
  shutdown(): Promise<void>;
}

interface ImagePool {
  template: GenericTemplate;
  idle: WarmContainer[];
  starting: number;
  /** No start before this (after a failed one). */
  retryAt: number;
  failures: number;
}

export const GENERIC_POOL_VALUE = 'generic';

const templateKey = (t: { image: string; entrypoint: string[] }) => JSON.stringify([t.image, t.entrypoint]);

export function createGenericPool(opts: GenericPoolOptions): GenericPool {
  const pools = new Map<string, ImagePool>();
  const slots = new Map<WarmContainer, string>();
  const disposing = new Set<Promise<void>>();
  let closed = false;

  async function startOne(t: GenericTemplate): Promise<WarmContainer> {
    const id = randomBytes(6).toString('hex');
    const sockDir = path.join(opts.ioRoot, `g-${id}`);
    const slot = path.join(opts.codeRoot, id);
    await mkdir(slot, { recursive: true });
    await chmod(slot, 0o755); // readable by the server (uid 65534); writable by this worker only
    const c = await WarmContainer.start({
      runtime: opts.runtime, sockDir, readyTimeoutMs: opts.readyTimeoutMs,
      onRemoved: () => rm(slot, { recursive: true, force: true }),
      spec: {
        name: `caisson-generic-${id}`, image: t.image, entrypoint: t.entrypoint,
        env: { CAISSON_WARM_GENERIC: '1' }, codeDir: opts.hostPath(slot), privateIoMb: opts.privateIoMb,
        memoryMb: opts.memoryMb, cpus: opts.cpus, network: false,
        mounts: [...t.mounts, { hostPath: opts.hostPath(sockDir), containerPath: WARM_SOCKET_DIR, readOnly: false }],
        labels: {
          ...opts.labels,
          'caisson.worker': opts.workerId,
          'caisson.generic-image': t.image,
          'caisson.deadline': String(Date.now() + opts.maxLifetimeMs + opts.deadlineMarginMs),
        },
      },
    });
    if (c.mode !== GENERIC_POOL_VALUE) {
      await c.dispose();
      throw new Error(`its server said mode '${c.mode}', not '${GENERIC_POOL_VALUE}' (an older runtime server?)`);
    }
    slots.set(c, slot);
    return c;
  }

  function dispose(c: WarmContainer): void {
    slots.delete(c);
    const done = c.dispose().catch((err) => opts.log(`generic pool: removing ${c.name} failed: ${errorMessage(err)}`));
    disposing.add(done);
    void done.finally(() => disposing.delete(done));
  }

  function fill(p: ImagePool): void {
    while (!closed && Date.now() >= p.retryAt && p.idle.length + p.starting < opts.perImage && opts.room()) {
      p.starting++;
      startOne(p.template).then(
        (c) => {
          p.failures = 0;
          if (closed) dispose(c);
          else p.idle.push(c);
        },
        (err) => {
          p.failures++;
          p.retryAt = Date.now() + Math.min(60_000, 1000 * 2 ** (p.failures - 1));
          opts.log(`generic pool: starting a ${p.template.image} container failed: ${errorMessage(err)}`);
        },
      ).finally(() => p.starting--);
    }
  }

  /** Code, limits, environment: on any failure the container is removed and this throws. */
  async function specialise(c: WarmContainer, request: SpecialiseRequest): Promise<void> {
    const slot = slots.get(c)!;
    slots.delete(c);
    const limitsDiffer = request.memoryMb !== opts.memoryMb || request.cpus !== opts.cpus;
    await Promise.all([
      // From the worker's own code cache (no links) into a dir the container sees read-only.
      cp(request.codeDir, slot, { recursive: true, errorOnExist: true, force: false }),
      limitsDiffer ? opts.runtime.update!(c.id, { memoryMb: request.memoryMb, cpus: request.cpus }) : undefined,
    ]);
    await c.specialise(request.env, opts.readyTimeoutMs);
  }

  function sweep(): void {
    for (const p of pools.values()) {
      for (const c of p.idle.filter((x) => !x.alive || Date.now() - x.createdAt > opts.maxLifetimeMs)) {
        p.idle.splice(p.idle.indexOf(c), 1);
        dispose(c);
      }
      fill(p);
    }
  }
  const sweeper = setInterval(sweep, 5000);
  sweeper.unref();

  return {
    want(template) {
      if (closed || opts.perImage === 0) return;
      const key = templateKey(template);
      let p = pools.get(key);
      if (!p) pools.set(key, (p = { template, idle: [], starting: 0, retryAt: 0, failures: 0 }));
      fill(p);
    },

    hasIdle(request) {
      return !closed && (pools.get(templateKey(request))?.idle.some((c) => c.alive) ?? false);
    },

    async claim(request) {
      const p = pools.get(templateKey(request));
      if (!p || closed) return undefined;
      if ((request.memoryMb !== opts.memoryMb || request.cpus !== opts.cpus) && !opts.runtime.update) return undefined;
      let c = p.idle.shift();
      while (c && !c.alive) {
        dispose(c);
        c = p.idle.shift();
      }
      fill(p); // the replacement starts now, beside this claim
      if (!c) return undefined;
      try {
        await specialise(c, request);
        return c;
      } catch (err) {
        opts.log(`generic pool: specialising ${c.name} failed, starting a container of the version instead: ${errorMessage(err)}`);
        dispose(c);
        return undefined;
      }
    },

    size: () => [...pools.values()].reduce((n, p) => n + p.idle.length + p.starting, 0),

    stats() {
      const out: Record<string, { idle: number; starting: number }> = {};
      for (const p of pools.values()) out[p.template.image] = { idle: p.idle.length, starting: p.starting };
      return out;
    },

    evictOne() {
      for (const p of pools.values()) {
        const c = p.idle.shift();
        if (c) {
          dispose(c);
          return true;
        }
      }
      return false;
    },

    async shutdown() {
      closed = true;
      clearInterval(sweeper);
      for (const p of pools.values()) for (const c of p.idle.splice(0)) dispose(c);
      while (disposing.size > 0 || [...pools.values()].some((p) => p.starting > 0)) {
        await Promise.all([...disposing]);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
