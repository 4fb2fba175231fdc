// Warm pools on one worker: per function version (the key), started containers that each
// serve one invocation at a time. acquire() takes a free one, else starts one (up to
// maxWarm), else waits (up to maxQueued, queueTimeoutMs), else answers undefined so the
// caller runs cold. A container is retired after any failure, its invocation budget, its
// idle TTL or its lifetime; while a version is in use its pool refills to minWarm in the
// background. Knows nothing of Temporal: the activities decide what an invocation is.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { errorMessage } from '../../shared/errors.js';
import { LimitsSchema, type WarmSettings } from '../../shared/types.js';
import type { ContainerRuntime, ContainerSpec } from '../docker/container-runtime.js';
import { createGenericPool, type GenericPool, type GenericTemplate } from './generic-pool.js';
import type { SpecialiseRequest } from './specialise.js';
import { WarmContainer } from './warm-container.js';
import { WARM_SOCKET_DIR } from './warm-protocol.js';

export const POOL_LABEL = 'caisson.pool';

export interface WarmTarget {
  /** Namespace, function, version and code hash: a container never serves two of them. */
  key: string;
  settings: WarmSettings;
  /** The namespace, and the most warm containers this worker keeps for it across its versions. */
  namespace?: string;
  namespaceMax?: number;
  /** The hardened create spec (the pool adds name, io dir and its labels). */
  container: Omit<ContainerSpec, 'name' | 'ioDir' | 'privateIoMb'>;
  /**
   * More of the spec, resolved only when container `name` is started (the network to join, its
   * secrets); its env and mounts are added to the container's.
   */
  prepare?: (c: { name: string }) => Promise<Partial<ContainerSpec>>;
  /** After container `name` is removed (or failed to start): what else of it goes (its secrets dir). */
  cleanup?: (name: string) => Promise<void>;
  /** Present when the version may claim a generic container (specialise.ts): what a claim delivers. */
  specialise?: SpecialiseRequest & { template: GenericTemplate };
}

export interface WarmLease {
  container: WarmContainer;
  /** true when the container was started for this invocation. */
  cold: boolean;
  /** Call exactly once; reusable=false retires the container. */
  release(reusable: boolean): void;
}

export interface WarmPoolOptions {
  runtime: ContainerRuntime;
  workerId: string;
  /** Local directory of the containers' socket dirs; hostPath maps it to the engine's view. */
  ioRoot: string;
  /** Size of each container's own /caisson/io tmpfs (payload and result, inside the container). */
  privateIoMb: number;
  hostPath: (local: string) => string;
  /** Warm containers on this worker across all versions. */
  maxContainers: number;
  readyTimeoutMs?: number;
  /** A container is retired when idle past this age; its deadline label adds a margin for the reaper. */
  maxLifetimeMs?: number;
  sweepIntervalMs?: number;
  log?: (msg: string) => void;
  /** Generic containers per runtime image used on this worker (generic-pool.ts); absent or 0: none. */
  genericPerImage?: number;
  /** Local dir of the generic containers' code slots (required with genericPerImage). */
  genericCodeRoot?: string;
}

export interface WarmPool {
  acquire(target: WarmTarget, opts?: { signal?: AbortSignal }): Promise<WarmLease | undefined>;
  /** Per key: idle, busy, starting, waiting. */
  stats(): Record<string, { idle: number; busy: number; starting: number; waiting: number }>;
  /** Removes every container; later acquires answer undefined. */
  shutdown(): Promise<void>;
  /**
   * Drops the pools whose key matches (versions deleted): idle containers go now, busy ones
   * when released, waiters run cold. A later acquire of such a key starts a new pool.
   */
  retire(match: (key: string) => boolean): void;
  /** Keeps generic containers of this image from now on (the runtimes a worker is told to), if it keeps any. */
  wantGeneric(template: GenericTemplate): void;
  /** Generic containers per image: idle (ready to claim) and starting. */
  genericStats(): Record<string, { idle: number; starting: number }>;
}

interface Waiter {
  /** false when the waiter already left (timed out or cancelled): the caller keeps c. */
  give(c: WarmContainer | undefined, cold: boolean): boolean;
}

interface KeyPool {
  target: WarmTarget;
  idle: WarmContainer[];
  busy: Set<WarmContainer>;
  starting: number;
  waiters: Waiter[];
  lastUsedAt: number;
  /** Dropped by retire(): containers go back to no pool. */
  retired?: boolean;
  /** Starts that failed in a row (a container dying as it loads fails every time). */
  startFailures: number;
  /** No start before this (backoff after a failed start); acquires run cold until then. */
  retryAt: number;
}

/** Backoff after failed starts: 1 s, doubling, at most a minute. */
const START_BACKOFF_MS = { first: 1000, max: 60_000 };
/** After this many failed starts in a row, the pool stops refilling in the background. */
const MAX_REFILL_FAILURES = 2;

const DEADLINE_MARGIN_MS = 20 * 60_000; // longer than the longest invocation (15 min)
const GENERIC_LIMITS = (({ memoryMb, cpus }) => ({ memoryMb, cpus }))(LimitsSchema.parse({}));

export function createWarmPool(opts: WarmPoolOptions): WarmPool {
  const log = opts.log ?? (() => {});
  const maxLifetimeMs = opts.maxLifetimeMs ?? 2 * 3_600_000;
  const pools = new Map<string, KeyPool>();
  const disposing = new Set<Promise<void>>();
  let closed = false;

  const size = (p: KeyPool) => p.idle.length + p.busy.size + p.starting;
  const total = (): number => [...pools.values()].reduce((n, p) => n + size(p), 0) + (generic?.size() ?? 0);
  const generic: GenericPool | undefined = opts.genericPerImage && opts.genericCodeRoot
    ? createGenericPool({
      runtime: opts.runtime, workerId: opts.workerId, ioRoot: opts.ioRoot, codeRoot: opts.genericCodeRoot, hostPath: opts.hostPath,
      // Created with a version's default limits: most claims then need no `docker update`.
      privateIoMb: opts.privateIoMb, perImage: opts.genericPerImage, ...GENERIC_LIMITS, readyTimeoutMs: opts.readyTimeoutMs ?? 15_000,
      maxLifetimeMs, deadlineMarginMs: DEADLINE_MARGIN_MS, room: () => total() < opts.maxContainers, labels: { [POOL_LABEL]: 'generic' }, log,
    })
    : undefined;

  async function start(p: KeyPool): Promise<WarmContainer> {
    const id = randomBytes(6).toString('hex');
    const sockDir = path.join(opts.ioRoot, id);
    const { target } = p;
    const name = `caisson-warm-${id}`;
    const cleanup = target.cleanup && (() => target.cleanup!(name).catch((err) => log(`warm pool: cleaning up after ${name} failed: ${errorMessage(err)}`)));
    let extra: Partial<ContainerSpec>;
    try {
      extra = (await target.prepare?.({ name })) ?? {};
    } catch (err) {
      await cleanup?.();
      throw err;
    }
    return WarmContainer.start({
      runtime: opts.runtime,
      sockDir,
      readyTimeoutMs: opts.readyTimeoutMs ?? 15_000,
      ...(cleanup ? { onRemoved: cleanup } : {}),
      spec: {
        ...target.container,
        ...extra,
        name,
        privateIoMb: opts.privateIoMb,
        env: { ...target.container.env, ...extra.env },
        mounts: [
          ...(target.container.mounts ?? []),
          ...(extra.mounts ?? []),
          { hostPath: opts.hostPath(sockDir), containerPath: WARM_SOCKET_DIR, readOnly: false },
        ],
        labels: {
          ...target.container.labels,
          [POOL_LABEL]: 'warm',
          'caisson.warm-key': target.key,
          'caisson.worker': opts.workerId,
          // Past this the reaper removes it: the pool retires containers well before.
          'caisson.deadline': String(Date.now() + maxLifetimeMs + DEADLINE_MARGIN_MS),
        },
      },
    });
  }

  function retire(c: WarmContainer): void {
    const done = c.dispose().catch((err) => log(`warm pool: removing ${c.name} failed: ${errorMessage(err)}`));
    disposing.add(done);
    void done.finally(() => disposing.delete(done));
  }

  /**
   * Room for one more container: within the version's maxWarm, the namespace's quota on this
   * worker and the worker's maxContainers, evicting another version's least recently used idle
   * container (of the same namespace when the namespace is at its quota) if need be. A refill
   * never evicts for the namespace's quota: two versions would evict each other at every sweep.
   */
  function makeRoom(p: KeyPool, how: { refill?: boolean } = {}): boolean {
    if (size(p) >= p.target.settings.maxWarm) return false;
    const { namespace, namespaceMax } = p.target;
    const sameNamespace = (other: KeyPool) => other.target.namespace === namespace;
    if (namespaceMax !== undefined && namespace !== undefined) {
      const used = [...pools.values()].filter(sameNamespace).reduce((n, other) => n + size(other), 0);
      if (used >= namespaceMax) return !how.refill && evictIdle(sameNamespace);
    }
    // Claiming a generic container moves it into this pool: the worker's total does not grow.
    if (!how.refill && p.target.specialise && generic?.hasIdle(p.target.specialise)) return true;
    return total() < opts.maxContainers || evictIdle(() => true) || (generic?.evictOne() ?? false);
  }

  /** Retires the least recently used idle container of the pools `from` picks; false when there is none. */
  function evictIdle(from: (pool: KeyPool) => boolean): boolean {
    let victim: { pool: KeyPool; c: WarmContainer } | undefined;
    for (const other of pools.values()) {
      if (!from(other)) continue;
      for (const c of other.idle) if (!victim || c.lastUsedAt < victim.c.lastUsedAt) victim = { pool: other, c };
    }
    if (!victim) return false;
    victim.pool.idle.splice(victim.pool.idle.indexOf(victim.c), 1);
    retire(victim.c);
    return true;
  }

  /**
   * A new container, born busy: it never drops out of the pool's count between start and use.
   * For an invocation waiting on it (not a background refill), a generic container is claimed first.
   */
  async function startFor(p: KeyPool, how: { claim: boolean }): Promise<WarmContainer> {
    p.starting++;
    try {
      const { specialise } = p.target;
      const c = (how.claim && specialise && (await generic?.claim(specialise))) || (await start(p));
      p.startFailures = 0;
      p.busy.add(c);
      return c;
    } catch (err) {
      noteStartFailure(p, err);
      throw err;
    } finally {
      p.starting--;
    }
  }

  /** Backs off, and past MAX_REFILL_FAILURES stops refilling: a version whose containers die at start must not be restarted forever. */
  function noteStartFailure(p: KeyPool, err: unknown): void {
    p.startFailures++;
    const delay = Math.min(START_BACKOFF_MS.max, START_BACKOFF_MS.first * 2 ** (p.startFailures - 1));
    p.retryAt = Date.now() + delay;
    if (p.startFailures === MAX_REFILL_FAILURES) {
      log(`warm pool: ${p.target.key}: ${p.startFailures} starts failed in a row (${errorMessage(err)}); `
        + 'no more background starts, invocations run cold and retry a start after a growing backoff');
    }
  }

  /** Whether a start may be tried now (not backing off after a failed one). */
  const mayStart = (p: KeyPool) => Date.now() >= p.retryAt;

  function lease(p: KeyPool, c: WarmContainer, cold: boolean): WarmLease {
    p.busy.add(c);
    let released = false;
    return {
      container: c,
      cold,
      release(reusable) {
        if (released) return;
        released = true;
        p.busy.delete(c);
        c.invocations++;
        c.lastUsedAt = Date.now();
        const spent = c.invocations >= p.target.settings.maxInvocations || Date.now() - c.createdAt > maxLifetimeMs;
        if (!reusable || spent || !c.alive || closed || p.retired) retire(c);
        else p.idle.push(c);
        handOff(p);
        refill(p);
      },
    };
  }

  /** Gives free containers to waiters, or starts one for the first waiter when there is room. */
  function handOff(p: KeyPool): void {
    while (p.waiters.length > 0) {
      const c = takeIdle(p);
      if (c) {
        p.busy.add(c); // counted until the waiter leases it
        if (!p.waiters.shift()!.give(c, false)) park(p, c);
        continue;
      }
      if (!mayStart(p) || !makeRoom(p)) return;
      const waiter = p.waiters.shift()!;
      startFor(p, { claim: true }).then(
        (c) => {
          if (!waiter.give(c, !c.specialised)) park(p, c);
        },
        () => waiter.give(undefined, true),
      );
      return;
    }
  }

  /** A started container nobody waits for any more: idle (retired when closed). */
  function park(p: KeyPool, c: WarmContainer): void {
    p.busy.delete(c);
    if (closed || p.retired) return retire(c);
    p.idle.push(c);
    handOff(p);
  }

  function takeIdle(p: KeyPool): WarmContainer | undefined {
    for (let c = p.idle.pop(); c; c = p.idle.pop()) {
      if (c.alive) return c;
      retire(c);
    }
    return undefined;
  }

  /** Background: up to minWarm while the version was used within its idle TTL. */
  function refill(p: KeyPool): void {
    const { minWarm, idleTtlMs } = p.target.settings;
    if (p.startFailures >= MAX_REFILL_FAILURES || !mayStart(p)) return;
    while (!closed && !p.retired && size(p) < minWarm && Date.now() - p.lastUsedAt < idleTtlMs && makeRoom(p, { refill: true })) {
      startFor(p, { claim: false }).then(
        (c) => park(p, c),
        (err) => log(`warm pool: refilling ${p.target.key} failed: ${errorMessage(err)}`),
      );
    }
  }

  function sweep(): void {
    const now = Date.now();
    for (const [key, p] of pools) {
      const { idleTtlMs } = p.target.settings;
      const keep = (c: WarmContainer) => c.alive && now - c.lastUsedAt < idleTtlMs && now - c.createdAt < maxLifetimeMs;
      for (const c of p.idle.filter((c) => !keep(c))) {
        p.idle.splice(p.idle.indexOf(c), 1);
        retire(c);
      }
      refill(p);
      if (size(p) === 0 && p.waiters.length === 0 && now - p.lastUsedAt >= idleTtlMs) pools.delete(key);
    }
  }
  const sweeper = setInterval(sweep, opts.sweepIntervalMs ?? 1000);
  sweeper.unref();

  return {
    async acquire(target, { signal } = {}) {
      if (closed) return undefined;
      let p = pools.get(target.key);
      if (!p) {
        p = { target, idle: [], busy: new Set(), starting: 0, waiters: [], lastUsedAt: Date.now(), startFailures: 0, retryAt: 0 };
        pools.set(target.key, p);
      }
      p.target = target;
      p.lastUsedAt = Date.now();
      if (target.specialise) generic?.want(target.specialise.template); // this image's next new version claims one
      const free = takeIdle(p);
      if (free) return lease(p, free, false);
      if (!mayStart(p) && size(p) === 0) return undefined; // backing off after failed starts: run cold
      if (mayStart(p) && makeRoom(p)) {
        const c = await startFor(p, { claim: true });
        return lease(p, c, !c.specialised); // a specialised container was not started for this invocation
      }
      const { maxQueued, queueTimeoutMs } = target.settings;
      if (p.waiters.length >= maxQueued || queueTimeoutMs === 0) return undefined;
      const pool = p;
      const got = await new Promise<{ c: WarmContainer | undefined; cold: boolean }>((resolve) => {
        let settled = false;
        const waiter: Waiter = {
          give(c, cold) {
            if (settled) return false;
            settled = true;
            clearTimeout(timer);
            signal?.removeEventListener('abort', leave);
            resolve({ c, cold });
            return true;
          },
        };
        const leave = () => {
          const i = pool.waiters.indexOf(waiter);
          if (i >= 0) pool.waiters.splice(i, 1);
          waiter.give(undefined, false);
        };
        const timer = setTimeout(leave, queueTimeoutMs);
        signal?.addEventListener('abort', leave, { once: true });
        pool.waiters.push(waiter);
      });
      if (!got.c) return undefined;
      if (signal?.aborted || closed) {
        park(pool, got.c);
        return undefined;
      }
      return lease(pool, got.c, got.cold);
    },

    stats() {
      const out: ReturnType<WarmPool['stats']> = {};
      for (const [key, p] of pools) out[key] = { idle: p.idle.length, busy: p.busy.size, starting: p.starting, waiting: p.waiters.length };
      return out;
    },

    wantGeneric(template) {
      generic?.want(template);
    },

    genericStats: () => generic?.stats() ?? {},

    retire(match) {
      for (const [key, p] of pools) {
        if (!match(key)) continue;
        pools.delete(key);
        p.retired = true;
        for (const w of p.waiters.splice(0)) w.give(undefined, false);
        for (const c of p.idle.splice(0)) retire(c);
      }
    },

    async shutdown() {
      closed = true;
      clearInterval(sweeper);
      const genericGone = generic?.shutdown();
      for (const p of pools.values()) {
        for (const w of p.waiters.splice(0)) w.give(undefined, false);
        for (const c of [...p.idle.splice(0), ...p.busy]) retire(c);
      }
      // Containers still starting are retired as they finish (closed is set); wait for those too.
      while (disposing.size > 0 || [...pools.values()].some((p) => p.starting > 0)) {
        await Promise.all([...disposing]);
        await new Promise((r) => setTimeout(r, 20));
      }
      await genericGone;
      pools.clear();
    },
  };
}
