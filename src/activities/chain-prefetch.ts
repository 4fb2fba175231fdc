// The chain prefetch: while a chain step runs, its worker creates and starts the container of
// the next step (runtime/lifecycle/prepared-containers.ts), so that step's cold start is mostly
// done when it is asked for. When the step succeeds, its execute activity gives that container
// its input and lets it run at once (startEarly, chain-early-runs.ts): the next step's workflow
// learns of it from the hand-over and waits for the running container (attach) instead of
// creating one, so no workflow task of either step sits between two functions of a chain.
// A prepared container is only a hint: one nobody claims is removed.
import { join } from 'node:path';
import { createPreparedIoDir, writePayloadFiles } from '../runtime/io/io-dir.js';
import type { PrepareContainerRequest, StepHandOff, StartedNext } from '../shared/invocation.js';
import type { FunctionVersionSpec } from '../shared/types.js';
import { isInline, type PayloadRef } from '../shared/payload-ref.js';
import { runsWarm } from '../shared/attempt-rules.js';
import { handOffPayload } from '../shared/chain-mapping.js';
import { functionEnv, identityEnv } from './container-env.js';
import type { ContainerKit } from './container-kit.js';
import { createEarlyRuns, type EarlyRun } from './chain-early-runs.js';

/** What a prepared container must have been made from to serve this attempt. */
const preparedKey = (r: { invocationId: string; attempt: number; spec: FunctionVersionSpec }) =>
  JSON.stringify([r.invocationId, r.attempt, r.spec]);

export function createChainPrefetch(kit: ContainerKit) {
  const { deps } = kit;
  const early = createEarlyRuns(kit, async (name, key) => deps.prepared?.claim(name, key));

  /**
   * Creates and starts the next chain step's container while this step runs, unless it will
   * run warm on this worker: its run wrapper waits for the payload (CAISSON_AWAIT_PAYLOAD; see
   * runtime-images/<runtime>/run). `docker start` is most of a cold start (docs/performance.md,
   * "Figures behind the code"). It is claimed by that step's createContainer when its workflow task lands
   * on this worker, else removed after this step's deadline and a minute.
   */
  function prepareNext(next: PrepareContainerRequest, currentTimeoutMs: number): void {
    const { prepared } = deps;
    if (!prepared || (deps.pool && runsWarm(next.spec)) || early.has(next.containerName)) return;
    const ttlMs = currentTimeoutMs + 60_000;
    prepared.prepare({ name: next.containerName, key: preparedKey(next), ttlMs, create: async () => {
      const [codeDir, , attached] = await Promise.all([
        kit.codeDirFor(next.spec), kit.ensureImageOnce(next.spec.runtime), kit.secrets.attach(next.spec, next.containerName),
      ]);
      const ioDir = await createPreparedIoDir(kit.ioRoot, next.containerName, kit.ioDirSize);
      const env = { ...functionEnv(next.spec), ...identityEnv(next), CAISSON_AWAIT_PAYLOAD: '1' };
      const id = await kit.createFor({ input: next, codeDir, ioDir, env, holdMs: ttlMs, secrets: attached });
      await deps.runtime.start(id);
      return id;
    } });
  }

  return {
    prepareNext,

    /**
     * The next step's container, and when this step hands over (the next one then starts early,
     * on this step's success), the one after it too: the next step runs for less time than a
     * container takes to create and start, so the one after would not be ready otherwise.
     */
    prepareAhead(a: { prepareNext?: PrepareContainerRequest; handOff?: StepHandOff }, currentTimeoutMs: number): void {
      if (!a.prepareNext) return;
      prepareNext(a.prepareNext, currentTimeoutMs);
      const after = a.handOff?.prepareAfter;
      if (after) prepareNext(after, currentTimeoutMs + a.prepareNext.spec.limits.timeoutMs);
    },

    /** A failed step is not followed by the next one, nor by the one after (a retry prepares again). */
    discardAhead(a: { prepareNext?: PrepareContainerRequest; handOff?: StepHandOff }): void {
      for (const r of [a.prepareNext, a.handOff?.prepareAfter]) if (r) void deps.prepared?.discard(r.containerName);
    },

    /**
     * After this step's success: the next step's input, built with its mapping from this step's
     * result, given to the container prepared here for it, which runs at once. undefined (nothing
     * started) when none is prepared here, or when the input cannot be built here (a value stored
     * by reference, a mapping error): the next step then starts as before.
     */
    startEarly(next: PrepareContainerRequest, handOff: StepHandOff, result: PayloadRef): StartedNext | undefined {
      const key = preparedKey(next);
      if (!deps.prepared?.has(next.containerName, key) || early.has(next.containerName)) return undefined;
      const payload = handOffPayload(handOff, result);
      if (!payload || !isInline(payload)) return undefined;
      early.start(next, key, payload);
      return { workflowId: handOff.workflowId, payload, started: { containerName: next.containerName, hostTaskQueue: deps.hostTaskQueue } };
    },

    /** The run of the container started early for this attempt; rejects when there is none here (rerun cold). */
    attach(r: { containerName: string; invocationId: string; attempt: number; spec: FunctionVersionSpec }, signal: AbortSignal): Promise<EarlyRun> {
      return early.attach(r.containerName, preparedKey(r), signal);
    },

    /**
     * The container prepared for this very attempt, given its payload, or undefined. Its io dir
     * is mounted already: written into, not made anew. It runs once released.
     */
    async claim(input: { containerName: string; invocationId: string; attempt: number; spec: FunctionVersionSpec; payload: string | (() => Promise<string>) }): Promise<string | undefined> {
      // Started early, yet asked for as an ordinary create: stopped and removed, never run twice.
      if (early.has(input.containerName)) {
        await early.stop(input.containerName);
        return undefined;
      }
      const id = await deps.prepared?.claim(input.containerName, preparedKey(input));
      if (!id) return undefined;
      const payload = typeof input.payload === 'string' ? input.payload : await input.payload();
      writePayloadFiles(join(kit.ioRoot, input.containerName), payload, { envFile: true });
      return id;
    },
  };
}

export type ChainPrefetch = ReturnType<typeof createChainPrefetch>;
