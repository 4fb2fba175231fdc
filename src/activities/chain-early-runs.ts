// Chain steps' containers started early: when a step succeeds, its worker gives the container
// prepared for the next step (runtime/lifecycle/prepared-containers.ts) its input and lets it
// run at once; the next step's attempt then waits for that run (attach) instead of creating a
// container. One started early is the next step's first attempt: never started twice, stopped
// when that attempt is cancelled, removed a minute after it ended if nobody attached.
import { join } from 'node:path';
import { writePayloadFiles } from '../runtime/io/io-dir.js';
import type { ExecutionOutcome } from '../runtime/docker/container-runtime.js';
import type { PrepareContainerRequest } from '../shared/invocation.js';
import type { PayloadRef } from '../shared/payload-ref.js';
import type { ContainerKit } from './container-kit.js';

/** A container started early that nobody attached to is removed this long after it ended. */
const UNATTACHED_KEEP_MS = 60_000;

/** A container started early: its run, from release to exit. */
export interface EarlyRun {
  containerId: string;
  outcome: ExecutionOutcome;
}

interface Entry {
  key: string;
  run: Promise<EarlyRun>;
  /** Stops the function: the attached attempt was cancelled. */
  abort: AbortController;
  timer?: NodeJS.Timeout;
}

/** claimPrepared: the prepared container's id for (name, key), or undefined (see PreparedContainers.claim). */
export function createEarlyRuns(kit: ContainerKit, claimPrepared: (name: string, key: string) => Promise<string | undefined>) {
  const entries = new Map<string, Entry>();

  /** Lets the prepared container run its function with this payload; resolves at its exit. */
  async function runPrepared(next: PrepareContainerRequest, payload: PayloadRef, entry: Pick<Entry, 'key' | 'abort'>): Promise<EarlyRun> {
    const id = await claimPrepared(next.containerName, entry.key);
    if (!id) throw new Error(`the container prepared for ${next.containerName} could not be created`);
    const ioDir = join(kit.ioRoot, next.containerName);
    writePayloadFiles(ioDir, await kit.payloadText(payload), { envFile: true });
    const outcome = await kit.executeCold(id, { invocationId: next.invocationId, ioDir, timeoutMs: next.spec.limits.timeoutMs, signal: entry.abort.signal });
    return { containerId: id, outcome };
  }

  /** Removed a while after it ended, unless attached to by then. */
  function expireUnattached(name: string, entry: Entry): void {
    void entry.run.catch(() => undefined).then(() => {
      if (entries.get(name) !== entry) return;
      entry.timer = setTimeout(() => {
        if (entries.get(name) !== entry) return;
        entries.delete(name);
        void kit.removeCold(name).catch(() => undefined);
      }, UNATTACHED_KEEP_MS);
      entry.timer.unref();
    });
  }

  return {
    has: (name: string) => entries.has(name),

    /** Starts the prepared container `next` (made for `key`) with this payload. */
    start(next: PrepareContainerRequest, key: string, payload: PayloadRef): void {
      const started = { key, abort: new AbortController() };
      const entry: Entry = { ...started, run: runPrepared(next, payload, started) };
      entry.run.catch(() => undefined); // seen by attach
      entries.set(next.containerName, entry);
      expireUnattached(next.containerName, entry);
    },

    /** Its run; rejects when none was started here for (name, key). Aborting `signal` stops the function. */
    async attach(name: string, key: string, signal: AbortSignal): Promise<EarlyRun> {
      const entry = entries.get(name);
      if (!entry || entry.key !== key) throw new Error(`no container was started early for ${name} on this worker`);
      entries.delete(name);
      clearTimeout(entry.timer);
      const stop = () => entry.abort.abort();
      signal.addEventListener('abort', stop, { once: true });
      try {
        return await entry.run;
      } finally {
        signal.removeEventListener('abort', stop);
      }
    },

    /** Stops and removes the container started early under `name`, if any (it must not run twice). */
    async stop(name: string): Promise<void> {
      const entry = entries.get(name);
      if (!entry) return;
      entries.delete(name);
      clearTimeout(entry.timer);
      entry.abort.abort();
      await entry.run.catch(() => undefined);
      await kit.removeCold(name).catch(() => undefined);
    },

    get size(): number {
      return entries.size;
    },
  };
}
