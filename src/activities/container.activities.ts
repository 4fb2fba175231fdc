// Data-plane activities: everything that touches the Docker engine. pullImage and
// createContainer run as local activities of the workflow task (createContainer names this
// worker's host queue); the cold path's execute and remove run on that host queue.
// executeWarm is a local activity too: one activity does a whole warm attempt on the worker
// running the workflow task; one that outlasts its bound is finished by awaitWarm on that
// worker's host queue (warm-handover.ts).
import { Context } from '@temporalio/activity';
import { join, relative } from 'node:path';
import type { ContainerRuntime, ExecutionOutcome } from '../runtime/container-runtime.js';
import type { CodeCache } from '../runtime/code-cache.js';
import {
  createIoDir, createPreparedIoDir, ioDirSizeBytes, readResultFile, releasePrepared, removeIoDir, writePayloadFiles,
} from '../runtime/io-dir.js';
import type { WarmPool } from '../runtime/pool.js';
import { netnsKey, type NetnsHolders } from '../runtime/warm-netns.js';
import type { PreparedContainers } from '../runtime/prepared-containers.js';
import { interpretOutcome, resultFileCapBytes, type ResultFile } from '../runtime/result-protocol.js';
import { recapText } from '../runtime/output-capture.js';
import { warmTarget } from '../runtime/warm-target.js';
import { imageFor } from '../runtime/images.js';
import { isInline, toPayloadRef, type PayloadRef } from '../shared/payload-ref.js';
import type { AttemptOutcome, PrepareContainerRequest, WarmAttemptResult } from '../shared/invocation.js';
import { runsWarm } from '../shared/workflow-values.js';
import type { FunctionVersionSpec, Runtime } from '../shared/types.js';
import type { AttemptObserver } from './attempt-observer.js';
import type { BlobClient } from './blob-client.js';
import { createLiveLogTap } from './live-logs.js';
import { functionEnv, identityEnv, invocationEnv } from './container-env.js';
import { createContainerSecrets, type ContainerSecrets } from './container-secrets.js';
import { typedActivities } from './to-failure.js';
import { createWarmHandovers, handoverKey } from './warm-handover.js';
import { QuotaExceededError, RuntimeUnavailableError } from '../shared/errors.js';

export interface ContainerActivityDeps {
  runtime: ContainerRuntime;
  codeCache: CodeCache;
  blobs: BlobClient;
  hostTaskQueue: string;
  workerId: string;
  /** This worker's data dir, and the same dir as the Docker engine sees it. */
  dataDir: string;
  hostDataDir: string;
  limits: { payloadBytes: number; resultBytes: number; logBytes: number; inlineBytes: number };
  /** This worker's warm pools; absent when warm containers are off (CAISSON_WARM=off). */
  pool?: WarmPool;
  /** Where installWarmServers put the runtime servers (under dataDir). */
  warmServerDir?: string;
  /** Empty network namespaces per function version: its containers without network join it. */
  netns?: NetnsHolders;
  /** Containers of chain steps created ahead of need (absent: every cold container is created when asked). */
  prepared?: PreparedContainers;
  /** Told of every attempt's outcome and warm acquire (metrics). */
  observe?: AttemptObserver;
  /** Forward running attempts' output to the api (live logs); off when false. */
  liveLogs?: boolean;
  /** TRACEPARENT of the running activity's span, for the function's environment (absent: tracing off). */
  traceEnv?: () => Record<string, string>;
}

const GRACE_MS = 2000;

/** A blob refused at the namespace's quota, as a value (the caller decides what it means); any other error is thrown on. */
function quotaRefusal(err: unknown): QuotaExceededError {
  if (err instanceof QuotaExceededError) return err;
  throw err;
}

/** What one warm attempt runs. */
interface WarmAttemptInput {
  invocationId: string; attempt: number; spec: FunctionVersionSpec; payload: PayloadRef;
}

export function createContainerActivities(deps: ContainerActivityDeps) {
  const ioRoot = join(deps.dataDir, 'io');
  const ioDirSize = { sizeBytes: ioDirSizeBytes(deps.limits) };
  const hostPath = (p: string) => join(deps.hostDataDir, relative(deps.dataDir, p));
  // Values come from the api when a container is created, and go with the container.
  const secrets = createContainerSecrets({ blobs: deps.blobs, dataDir: deps.dataDir, hostPath });
  // Function output is captured up to the larger of the log and result limits: in the
  // script convention stdout is the result.
  const outputCaps = { stdoutCapBytes: Math.max(deps.limits.logBytes, deps.limits.resultBytes), stderrCapBytes: deps.limits.logBytes };
  // Longer than awaitWarm's schedule-to-start timeout (warm-attempt.ts): by then nobody will claim it.
  const handovers = createWarmHandovers({ unclaimedMs: 30_000 });

  /** The version's code as a host dir. Go arrives prebuilt: deployFunction compiles it at deploy time. */
  function codeDirFor(spec: FunctionVersionSpec): Promise<string> {
    return deps.codeCache.materialize(spec.artifact, () => deps.blobs.getArtifact(spec.artifact.sha256));
  }

  /** Per runtime: the image is known present, or being checked/pulled (concurrent callers share it). */
  const imageReady = new Map<Runtime, Promise<void>>();
  function ensureImageOnce(runtime: Runtime): Promise<void> {
    let ready = imageReady.get(runtime);
    if (!ready) {
      ready = deps.runtime.ensureImage(imageFor(runtime)).then(() => undefined);
      ready.catch(() => imageReady.delete(runtime)); // a failed pull is tried again next time
      imageReady.set(runtime, ready);
    }
    return ready;
  }

  /**
   * Interprets what ran (cold or warm alike) into the attempt's result or typed failure. A
   * large result the namespace's blobBytes quota refuses fails the attempt as InvalidOutput
   * naming the quota (not retried by default); a large log it refuses is kept inline, cut.
   */
  async function toAttemptOutcome(invocationId: string, spec: FunctionVersionSpec, outcome: ExecutionOutcome, resultFile: ResultFile): Promise<AttemptOutcome> {
    const interpreted = interpretOutcome({
      convention: spec.convention, outcome, resultFile, maxResultBytes: deps.limits.resultBytes,
    });
    // In the script convention stdout is the result; keep it as a log too, capped.
    const logs = {
      stdout: await logRef(recapText(outcome.stdout, deps.limits.logBytes), invocationId),
      stderr: await logRef(outcome.stderr, invocationId),
    };
    const result = interpreted.ok ? await toRef(interpreted.result, invocationId).catch(quotaRefusal) : undefined;
    if (interpreted.ok && !(result instanceof QuotaExceededError)) {
      return { ok: true, result: result!, logs, durationMs: outcome.durationMs };
    }
    const failure = interpreted.ok
      ? { kind: 'InvalidOutput' as const, message: `the result was not stored: ${(result as QuotaExceededError).message}` }
      : { kind: interpreted.kind, message: interpreted.message, errorType: interpreted.errorType, ...(interpreted.platform ? { platform: interpreted.platform } : {}) };
    return {
      ok: false,
      failure: {
        ...failure,
        stderrTail: outcome.stderr.slice(-2000),
      },
      logs,
      durationMs: outcome.durationMs,
    };
  }

  /** One warm attempt, start to end (executeWarm, bounded or not). */
  async function runWarm(input: WarmAttemptInput, opts: { signal: AbortSignal; heartbeat: () => void }): Promise<WarmAttemptResult> {
    const { spec } = input;
    const { pool, warmServerDir } = deps;
    if (!pool || !warmServerDir) return { ran: false, reason: 'warm containers are off on this worker' };
    const { signal, heartbeat } = opts;
    const waiting = setInterval(heartbeat, 2000); // code fetch, image, queue, start
    let lease;
    let payload: string;
    try {
      let codeDir: string;
      [codeDir, payload] = await Promise.all([codeDirFor(spec), payloadText(input.payload), ensureImageOnce(spec.runtime)]);
      const target = warmTarget({
        spec, codeDir: hostPath(codeDir), serverDir: hostPath(warmServerDir), env: functionEnv(spec), netns: deps.netns,
        secrets: { attach: (name) => secrets.attach(spec, name), detach: secrets.detach },
      });
      if (!target) return { ran: false, reason: `the ${spec.runtime} runtime has no warm server` };
      lease = await pool.acquire(target, { signal });
      deps.observe?.warmAcquire(!lease ? 'none' : lease.cold ? 'started' : 'hit');
      if (!lease) return { ran: false, reason: 'no warm container free and the queue is full' };
    } finally {
      clearInterval(waiting);
    }
    let reusable = false;
    const live = liveTap(input.invocationId);
    try {
      const run = await lease.container.invoke({
        env: { ...invocationEnv(input, payload), ...deps.traceEnv?.() }, payload, timeoutMs: spec.limits.timeoutMs,
        ...outputCaps, resultCapBytes: resultFileCapBytes(deps.limits.resultBytes), onProgress: heartbeat, signal, onOutput: live?.push,
      });
      const outcome = await toAttemptOutcome(input.invocationId, spec, run.outcome, run.resultFile);
      reusable = run.reusable && outcome.ok;
      const placed = { ...outcome, cold: lease.cold, containerId: lease.container.id };
      deps.observe?.attempt(spec, placed, input.invocationId);
      return { ran: true, outcome: placed };
    } finally {
      live?.end();
      lease.release(reusable);
    }
  }

  /** The live-log tap of one attempt (live-logs.ts): both streams, up to twice the log cap. */
  function liveTap(invocationId: string) {
    if (!deps.liveLogs) return undefined;
    return createLiveLogTap({ sink: deps.blobs.sendLiveLogs, invocationId, capBytes: 2 * deps.limits.logBytes });
  }

  async function payloadText(payload: PayloadRef): Promise<string> {
    if (isInline(payload)) return JSON.stringify(payload.inline ?? null);
    return (await deps.blobs.getBlob(payload.ref)).toString('utf8');
  }

  /** `docker create` of a cold attempt's container, labelled for the reaper (holdMs: before it starts). */
  async function createFor(c: {
    input: { containerName: string; invocationId: string; spec: FunctionVersionSpec }; codeDir: string; ioDir: string;
    env: Record<string, string>; holdMs?: number; secrets?: ContainerSecrets;
  }): Promise<string> {
    const { input, codeDir, ioDir, holdMs = 0 } = c;
    const env = c.secrets ? { ...c.env, ...c.secrets.env } : c.env;
    const { spec } = input;
    const deadline = Date.now() + holdMs + spec.limits.timeoutMs + 120_000;
    const { id } = await deps.runtime.create({
      name: input.containerName,
      image: imageFor(spec.runtime),
      labels: {
        'caisson.managed': 'true',
        'caisson.invocation': input.invocationId,
        'caisson.function': `${spec.namespace}/${spec.name}`,
        'caisson.version': String(spec.version),
        'caisson.worker': deps.workerId,
        // The reaper removes a container still present past this time (its worker died).
        'caisson.deadline': String(deadline),
      },
      env,
      codeDir: hostPath(codeDir),
      ioDir: hostPath(ioDir),
      ...(c.secrets ? { mounts: c.secrets.mounts } : {}),
      memoryMb: spec.limits.memoryMb,
      cpus: spec.limits.cpus,
      network: spec.limits.network,
      joinNetworkOf: deps.netns && !spec.limits.network ? await deps.netns.holderFor(netnsKey(spec), { wait: false }) : undefined,
    }).catch((err: unknown) => {
      imageReady.delete(spec.runtime); // the image may have been removed since: check again next time
      throw err;
    });
    return id;
  }

  /** What a prepared container must have been made from to serve this attempt. */
  const preparedKey = (r: { invocationId: string; attempt: number; spec: FunctionVersionSpec }) =>
    JSON.stringify([r.invocationId, r.attempt, r.spec]);

  /**
   * Creates and starts the next chain step's container while this step runs, unless it will
   * run warm on this worker: its run wrapper waits for the payload (CAISSON_AWAIT_PAYLOAD; see
   * runtime-images/<runtime>/run). `docker start` is most of a cold start here (~60-130 ms;
   * create ~5-25 ms). It is claimed by that step's createContainer when its workflow task lands
   * on this worker, else removed after this step's deadline and a minute.
   */
  function prepareNext(next: PrepareContainerRequest, currentTimeoutMs: number): void {
    const { prepared } = deps;
    if (!prepared || (deps.pool && runsWarm(next.spec))) return;
    const ttlMs = currentTimeoutMs + 60_000;
    prepared.prepare({ name: next.containerName, key: preparedKey(next), ttlMs, create: async () => {
      const [codeDir, , attached] = await Promise.all([
        codeDirFor(next.spec), ensureImageOnce(next.spec.runtime), secrets.attach(next.spec, next.containerName),
      ]);
      const ioDir = await createPreparedIoDir(ioRoot, next.containerName, ioDirSize);
      const env = { ...functionEnv(next.spec), ...identityEnv(next), CAISSON_AWAIT_PAYLOAD: '1' };
      const id = await createFor({ input: next, codeDir, ioDir, env, holdMs: ttlMs, secrets: attached });
      await deps.runtime.start(id);
      return id;
    } });
  }

  function toRef(value: unknown, invocationId: string): Promise<PayloadRef> {
    return toPayloadRef(value, deps.limits.inlineBytes, (json) => deps.blobs.putBlob(Buffer.from(json), invocationId));
  }

  /** A log; past the namespace's blobBytes quota its tail stays inline (≤ an eighth of the inline size, so its JSON fits), marked. */
  async function logRef(text: string, invocationId: string): Promise<PayloadRef> {
    const stored = await toRef(text, invocationId).catch(quotaRefusal);
    if (!(stored instanceof QuotaExceededError)) return stored;
    const keep = Math.floor(deps.limits.inlineBytes / 8);
    return { inline: `[caisson: log cut to its last ${keep} characters of ${text.length}: ${stored.message}]\n${text.slice(-keep)}` };
  }

  return typedActivities({
    async pullImage(input: { runtime: Runtime }): Promise<{ hostTaskQueue: string }> {
      await ensureImageOnce(input.runtime);
      return { hostTaskQueue: deps.hostTaskQueue };
    },

    async createContainer(input: {
      containerName: string; invocationId: string; attempt: number; spec: FunctionVersionSpec;
      payload: PayloadRef; workflowId: string;
    }): Promise<{ containerId: string; hostTaskQueue: string }> {
      const { spec } = input;
      const prepared = await deps.prepared?.claim(input.containerName, preparedKey(input));
      if (prepared) {
        // Its io dir is mounted already: written into, not made anew. It runs once released.
        writePayloadFiles(join(ioRoot, input.containerName), await payloadText(input.payload), { envFile: true });
        return { containerId: prepared, hostTaskQueue: deps.hostTaskQueue };
      }
      // The image: pulled by pullImage, scheduled alongside; waited for here, never pulled twice.
      const [codeDir, payload, , attached] = await Promise.all([
        codeDirFor(spec), payloadText(input.payload), ensureImageOnce(spec.runtime), secrets.attach(spec, input.containerName),
      ]);
      // payload.env too: a retried create may reuse a never-started container made without the payload.
      // The io dir's tmpfs is mounted while the engine creates the container (its path is known).
      const ioDir = join(ioRoot, input.containerName);
      const [, id] = await Promise.all([
        createIoDir(ioRoot, input.containerName, payload, { ...ioDirSize, envFile: true }),
        createFor({ input, codeDir, ioDir, env: { ...functionEnv(spec), ...invocationEnv(input, payload), ...deps.traceEnv?.() }, secrets: attached }),
      ]);
      // The queue of this worker: the container's other steps must run where it exists.
      return { containerId: id, hostTaskQueue: deps.hostTaskQueue };
    },

    async executeWithTimeout(input: {
      containerId: string; containerName: string; invocationId: string; spec: FunctionVersionSpec;
      /** A chain step's: the next step's container, created while this one runs. */
      prepareNext?: PrepareContainerRequest;
    }): Promise<AttemptOutcome> {
      const ctx = Context.current();
      const { spec } = input;
      if (input.prepareNext) prepareNext(input.prepareNext, spec.limits.timeoutMs);
      const ioDir = join(ioRoot, input.containerName);
      const live = liveTap(input.invocationId);
      const outcome = await deps.runtime.execute(input.containerId, {
        timeoutMs: spec.limits.timeoutMs,
        // A prepared container waits on its fifo (even one claimed before a restart of this worker).
        afterStart: async () => void (await releasePrepared(ioDir)),
        graceMs: GRACE_MS,
        ...outputCaps,
        onProgress: () => ctx.heartbeat(),
        signal: ctx.cancellationSignal,
        onOutput: live?.push,
      }).finally(() => live?.end());
      const resultFile = await readResultFile(ioDir, resultFileCapBytes(deps.limits.resultBytes));
      const attempt = await toAttemptOutcome(input.invocationId, spec, outcome, resultFile);
      // A failed step is not followed by the next one (a retry prepares again).
      if (input.prepareNext && !attempt.ok) void deps.prepared?.discard(input.prepareNext.containerName);
      const placed = { ...attempt, cold: true, containerId: input.containerId };
      deps.observe?.attempt(spec, placed, input.invocationId);
      return placed;
    },

    /**
     * Whether this worker runs warm containers at all (a local activity: when it does not,
     * the workflow goes cold at once instead of spending a round trip on executeWarm).
     */
    async warmEnabled(): Promise<boolean> {
      return Boolean(deps.pool && deps.warmServerDir);
    },

    /**
     * A whole attempt in a warm container of this worker's pool: acquire (free, newly
     * started, or after a bounded wait), run, release (retired after any failure). Answers
     * ran=false when no container can be had, and the workflow takes the cold path. As a
     * local activity given handOverAfterMs, an attempt still running then is handed over
     * (warm-handover.ts): it answers ran='running' and awaitWarm on this worker's host queue
     * answers the outcome.
     */
    async executeWarm(input: WarmAttemptInput & { handOverAfterMs?: number }): Promise<WarmAttemptResult> {
      const ctx = Context.current();
      if (input.handOverAfterMs === undefined || !ctx.info.isLocal) {
        // Local activities do not heartbeat: their workflow task does.
        const heartbeat = () => (ctx.info.isLocal ? undefined : ctx.heartbeat());
        return runWarm(input, { signal: ctx.cancellationSignal, heartbeat });
      }
      const done = await handovers.runBounded({
        key: handoverKey(input.invocationId, input.attempt), boundMs: input.handOverAfterMs, signal: ctx.cancellationSignal,
        work: (signal) => runWarm(input, { signal, heartbeat: () => undefined }),
      });
      return done ?? { ran: 'running', hostTaskQueue: deps.hostTaskQueue };
    },

    /**
     * The outcome of a warm attempt executeWarm handed over on this worker. Heartbeats, so a
     * cancellation stops the function; a worker that lost the attempt (it restarted) answers
     * an infrastructure failure, and the workflow reruns the attempt cold.
     */
    async awaitWarm(input: { invocationId: string; attempt: number }): Promise<WarmAttemptResult> {
      const running = handovers.take<WarmAttemptResult>(handoverKey(input.invocationId, input.attempt));
      if (!running) throw new RuntimeUnavailableError(`warm attempt ${input.attempt} of ${input.invocationId} is not running on this worker`);
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 1000);
      ctx.cancellationSignal.addEventListener('abort', running.abort, { once: true });
      try {
        return await running.result;
      } finally {
        clearInterval(beat);
        ctx.cancellationSignal.removeEventListener('abort', running.abort);
      }
    },

    /**
     * Stops a handed-over warm attempt at once (its workflow was cancelled): awaitWarm would
     * learn of the cancellation only at its next heartbeat, and not at all before it started.
     */
    async stopWarm(input: { invocationId: string; attempt: number }): Promise<boolean> {
      return handovers.stop(handoverKey(input.invocationId, input.attempt));
    },

    async removeContainer(input: { containerName: string; invocationId: string }): Promise<void> {
      await deps.runtime.remove(input.containerName);
      await removeIoDir(join(ioRoot, input.containerName));
      await secrets.detach(input.containerName);
    },
  });
}

export type ContainerActivities = ReturnType<typeof createContainerActivities>;
export type PullImageActivities = Pick<ContainerActivities, 'pullImage'>;
export type WarmActivities = Pick<ContainerActivities, 'executeWarm' | 'awaitWarm' | 'stopWarm' | 'warmEnabled'>;
