// What the cold, warm and chain-prefetch activities share on one worker: the version's code as
// a host dir, the runtime image checked once, payload text, container creation with the
// reaper's labels, and turning what ran into an attempt's outcome. One kit per worker, made
// by createContainerKit and handed to each of those activity factories.
import { join, relative } from 'node:path';
import type { ContainerRuntime, ExecutionOutcome } from '../runtime/docker/container-runtime.js';
import type { CodeCache } from '../runtime/io/code-cache.js';
import { ioDirSizeBytes, releasePrepared, removeIoDir } from '../runtime/io/io-dir.js';
import type { WarmPool } from '../runtime/warm/pool.js';
import { netnsKey, type NetnsHolders } from '../runtime/warm/warm-netns.js';
import type { PreparedContainers } from '../runtime/lifecycle/prepared-containers.js';
import { interpretOutcome, type ResultFile } from '../runtime/io/result-protocol.js';
import { recapText } from '../runtime/docker/output-capture.js';
import { imageFor } from '../runtime/docker/images.js';
import { isInline, toPayloadRef, type PayloadRef } from '../shared/payload-ref.js';
import type { AttemptOutcome } from '../shared/invocation.js';
import type { FunctionVersionSpec, Runtime } from '../shared/types.js';
import { QuotaExceededError } from '../shared/errors.js';
import type { AttemptObserver } from './attempt-observer.js';
import type { BlobClient } from './blob-client.js';
import { createLiveLogTap } from './live-logs.js';
import { createContainerSecrets, type ContainerSecrets } from './container-secrets.js';

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

/** SIGTERM to SIGKILL when a cold container's deadline comes or its attempt is cancelled. */
const COLD_GRACE_MS = 2000;

/** One run of a cold container: whose, its deadline, its heartbeat and cancellation. */
export interface ColdRun {
  invocationId: string;
  ioDir: string;
  timeoutMs: number;
  onProgress?: () => void;
  signal?: AbortSignal;
}

/** What one cold container is created for (holdMs: how long it may wait before it starts). */
export interface ColdCreate {
  input: { containerName: string; invocationId: string; spec: FunctionVersionSpec };
  codeDir: string;
  ioDir: string;
  env: Record<string, string>;
  holdMs?: number;
  secrets?: ContainerSecrets;
}

/** What ran (cold or warm alike), to be turned into an attempt's outcome. */
export interface RanAttempt {
  invocationId: string;
  spec: FunctionVersionSpec;
  outcome: ExecutionOutcome;
  resultFile: ResultFile;
}

/** A blob refused at the namespace's quota, as a value (the caller decides what it means); any other error is thrown on. */
function quotaRefusal(err: unknown): QuotaExceededError {
  if (err instanceof QuotaExceededError) return err;
  throw err;
}

export function createContainerKit(deps: ContainerActivityDeps) {
  const hostPath = (p: string) => join(deps.hostDataDir, relative(deps.dataDir, p));
  const images = imageChecks(deps.runtime);
  const values = valueStore(deps);
  const secrets = createContainerSecrets({ blobs: deps.blobs, dataDir: deps.dataDir, hostPath });
  return {
    deps,
    ioRoot: join(deps.dataDir, 'io'),
    ioDirSize: { sizeBytes: ioDirSizeBytes(deps.limits) },
    hostPath,
    // Values come from the api when a container is created, and go with the container.
    secrets,
    // Function output is captured up to the larger of the log and result limits: in the
    // script convention stdout is the result.
    outputCaps: { stdoutCapBytes: Math.max(deps.limits.logBytes, deps.limits.resultBytes), stderrCapBytes: deps.limits.logBytes },
    ensureImageOnce: images.ensureOnce,
    /** The live-log tap of one attempt (live-logs.ts): both streams, up to twice the log cap. */
    liveTap: (invocationId: string) => deps.liveLogs
      ? createLiveLogTap({ sink: deps.blobs.sendLiveLogs, invocationId, capBytes: 2 * deps.limits.logBytes }) : undefined,
    /** The version's code as a host dir. Go arrives prebuilt: deployFunction compiles it at deploy time. */
    codeDirFor(spec: FunctionVersionSpec): Promise<string> {
      return deps.codeCache.materialize(spec.artifact, () => deps.blobs.getArtifact(spec.artifact.sha256));
    },
    async payloadText(payload: PayloadRef): Promise<string> {
      if (isInline(payload)) return JSON.stringify(payload.inline ?? null);
      return (await deps.blobs.getBlob(payload.ref)).toString('utf8');
    },
    toAttemptOutcome: values.toAttemptOutcome,
    /**
     * Starts a cold container (a prepared one is released: its wrapper waits on its fifo, even
     * one claimed before a restart of this worker) and waits for it to end, its output capped
     * and forwarded live.
     */
    async executeCold(containerId: string, a: ColdRun): Promise<ExecutionOutcome> {
      const live = deps.liveLogs ? createLiveLogTap({ sink: deps.blobs.sendLiveLogs, invocationId: a.invocationId, capBytes: 2 * deps.limits.logBytes }) : undefined;
      return deps.runtime.execute(containerId, {
        timeoutMs: a.timeoutMs,
        afterStart: async () => void (await releasePrepared(a.ioDir)),
        graceMs: COLD_GRACE_MS,
        stdoutCapBytes: Math.max(deps.limits.logBytes, deps.limits.resultBytes),
        stderrCapBytes: deps.limits.logBytes,
        ...(a.onProgress ? { onProgress: a.onProgress } : {}),
        ...(a.signal ? { signal: a.signal } : {}),
        onOutput: live?.push,
      }).finally(() => live?.end());
    },
    /** Removes a cold container by name, with its io dir and secrets dir; missing is success. */
    async removeCold(name: string): Promise<void> {
      await deps.runtime.remove(name);
      await removeIoDir(join(deps.dataDir, 'io', name));
      await secrets.detach(name);
    },
    /** `docker create` of a cold attempt's container, labelled for the reaper. */
    async createFor(c: ColdCreate): Promise<string> {
      const spec = c.input.spec;
      const joinNetworkOf = deps.netns && !spec.limits.network ? await deps.netns.holderFor(netnsKey(spec), { wait: false }) : undefined;
      const { id } = await deps.runtime.create({ ...coldCreateSpec(c, { deps, hostPath }), joinNetworkOf }).catch((err: unknown) => {
        images.forget(spec.runtime); // the image may have been removed since: check again next time
        throw err;
      });
      return id;
    },
  };
}

export type ContainerKit = ReturnType<typeof createContainerKit>;

/** Per runtime: the image is known present, or being checked/pulled (concurrent callers share it). */
function imageChecks(runtime: ContainerRuntime) {
  const ready = new Map<Runtime, Promise<void>>();
  return {
    ensureOnce(name: Runtime): Promise<void> {
      let check = ready.get(name);
      if (!check) {
        check = runtime.ensureImage(imageFor(name)).then(() => undefined);
        check.catch(() => ready.delete(name)); // a failed pull is tried again next time
        ready.set(name, check);
      }
      return check;
    },
    forget: (name: Runtime) => void ready.delete(name),
  };
}

/** The create spec of a cold container: image, reaper labels, mounts and limits. */
function coldCreateSpec(c: ColdCreate, ctx: { deps: ContainerActivityDeps; hostPath: (p: string) => string }) {
  const { input, holdMs = 0 } = c;
  const { spec } = input;
  const deadline = Date.now() + holdMs + spec.limits.timeoutMs + 120_000;
  return {
    name: input.containerName,
    image: imageFor(spec.runtime),
    labels: {
      'caisson.managed': 'true',
      'caisson.invocation': input.invocationId,
      'caisson.function': `${spec.namespace}/${spec.name}`,
      'caisson.version': String(spec.version),
      'caisson.worker': ctx.deps.workerId,
      // The reaper removes a container still present past this time (its worker died).
      'caisson.deadline': String(deadline),
    },
    env: c.secrets ? { ...c.env, ...c.secrets.env } : c.env,
    codeDir: ctx.hostPath(c.codeDir),
    ioDir: ctx.hostPath(c.ioDir),
    ...(c.secrets ? { mounts: c.secrets.mounts } : {}),
    memoryMb: spec.limits.memoryMb,
    cpus: spec.limits.cpus,
    network: spec.limits.network,
  };
}

/** Results and logs as payload refs (inline or a blob), and what ran as an attempt's outcome. */
function valueStore(deps: ContainerActivityDeps) {
  function toRef(value: unknown, invocationId: string): Promise<PayloadRef> {
    return toPayloadRef(value, deps.limits.inlineBytes, (json) => deps.blobs.putBlob(Buffer.from(json), invocationId));
  }

  /**
   * A result as a ref. A handler's own JSON text (one whose number text its value would lose:
   * 4.0) is stored as the result's blob, which parses to the same value, so the HTTP trigger
   * can answer that text; past the blobBytes quota the value alone is kept, as for any result.
   */
  async function resultRef(ok: { result: unknown; text?: string }, invocationId: string): Promise<PayloadRef> {
    if (ok.text === undefined) return toRef(ok.result, invocationId);
    const bytes = Buffer.from(ok.text);
    const ref = await deps.blobs.putBlob(bytes, invocationId).catch(quotaRefusal);
    return ref instanceof QuotaExceededError ? toRef(ok.result, invocationId) : { ref, sizeBytes: bytes.byteLength };
  }

  /** A log; past the namespace's blobBytes quota its tail stays inline (≤ an eighth of the inline size, so its JSON fits), marked. */
  async function logRef(text: string, invocationId: string): Promise<PayloadRef> {
    const stored = await toRef(text, invocationId).catch(quotaRefusal);
    if (!(stored instanceof QuotaExceededError)) return stored;
    const keep = Math.floor(deps.limits.inlineBytes / 8);
    return { inline: `[caisson: log cut to its last ${keep} characters of ${text.length}: ${stored.message}]\n${text.slice(-keep)}` };
  }

  /**
   * Interprets what ran (cold or warm alike) into the attempt's result or typed failure. A
   * large result the namespace's blobBytes quota refuses fails the attempt as InvalidOutput
   * naming the quota (not retried by default); a large log it refuses is kept inline, cut.
   */
  async function toAttemptOutcome(ran: RanAttempt): Promise<AttemptOutcome> {
    const { invocationId, spec, outcome, resultFile } = ran;
    const interpreted = interpretOutcome({
      convention: spec.convention, outcome, resultFile, maxResultBytes: deps.limits.resultBytes,
    });
    // In the script convention stdout is the result; keep it as a log too, capped.
    const logs = {
      stdout: await logRef(recapText(outcome.stdout, deps.limits.logBytes), invocationId),
      stderr: await logRef(outcome.stderr, invocationId),
    };
    const result = interpreted.ok ? await resultRef(interpreted, invocationId).catch(quotaRefusal) : undefined;
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

  return { toAttemptOutcome };
}
