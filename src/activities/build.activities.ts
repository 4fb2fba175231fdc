// Deploy-time data-plane activity (any worker with Docker): buildFunction compiles Go or
// installs dependencies in a build container (on the build network, with the build limits and
// its namespace's own caches), packs the checked output as a tar.gz and uploads it to the api
// by sha256. The version is then registered by the control plane (control/version.activities.ts).
import { ApplicationFailure, Context } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { create as createTar } from 'tar';
import type { BuildNetwork } from '../runtime/builds/build-network.js';
import type { CodeCache } from '../runtime/io/code-cache.js';
import type { ContainerRuntime } from '../runtime/docker/container-runtime.js';
import { listFiles, planBuild, runBuild, type BuildLimits } from '../runtime/builds/dependency-builder.js';
import { buildImageFor } from '../runtime/docker/images.js';
import {
  BUILD_FAILED_TYPE,
  type BuildFunctionInput,
  type BuildFunctionResult,
  type BuildKind,
} from '../shared/deploy.js';
import type { Artifact } from '../shared/types.js';
import { runtimeFamily } from '../shared/runtimes.js';
import { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from '../shared/archive-policy.js';
import { inspectTgz } from '../shared/archive-inspect.js';
import { UnsafeArchiveError } from '../shared/errors.js';
import type { BlobClient } from './blob-client.js';
import { createBuildLogForwarder, type BuildLogSink } from './build-log-forwarder.js';
import { typedActivities } from './to-failure.js';

/** Bump when the build scripts' output layout changes: older cached builds are then ignored.
 * 3: outputs hold regular files only (no links). */
const BUILD_FORMAT = 3;
/** The uid build containers run as (docker-runtime.ts). */
const BUILD_UID = 65534;
const LOG_TAIL_CHARS = 4000;

export interface BuildActivityDeps {
  runtime: ContainerRuntime;
  codeCache: CodeCache;
  blobs: BlobClient;
  workerId: string;
  /** This worker's data dir, and the same dir as the Docker engine sees it. */
  dataDir: string;
  hostDataDir: string;
  /** Persistent Go build and module caches, one subdir per namespace; the Docker engine must see the same path. */
  buildCacheDir: string;
  /** Host CA bundle for build containers (default: the usual path when it exists; null: none). */
  caBundle?: string | null;
  /** What a build output may expand to: the same limits the code cache enforces. */
  archiveLimits?: ArchiveLimits;
  /** The network builds run on; absent: no network (only vendored or std-only builds work). */
  network?: BuildNetwork;
  limits?: Partial<BuildLimits>;
  /** Where a running build's output lines go (the api, for `caisson fn deploy` to print); absent: nowhere. */
  buildLog?: BuildLogSink;
}

export function createBuildActivities(deps: BuildActivityDeps) {
  const buildRoot = join(deps.dataDir, 'builds');
  const hostPath = (p: string) => join(deps.hostDataDir, relative(deps.dataDir, p));
  const inFlight = new Map<string, Promise<BuildFunctionResult>>();

  /**
   * Go module and build caches of one namespace: functions of a namespace share them, no build
   * ever sees another namespace's (a poisoned module or compiled package stays with its author).
   */
  async function cacheMounts(kind: BuildKind, namespace: string) {
    // A deploy started before namespaces reached this activity: no cache rather than a guessed one.
    if (kind !== 'go' || !namespace) return [];
    await mkdir(deps.buildCacheDir, { recursive: true, mode: 0o711 });
    const nsDir = join(deps.buildCacheDir, namespaceCacheName(namespace));
    const dirs = { gocache: '/tmp/gocache', gomod: '/tmp/gopath' };
    return Promise.all(Object.entries(dirs).map(async ([name, containerPath]) => {
      const dir = join(nsDir, name);
      await mkdir(dir, { recursive: true });
      await ownForBuilds(dir);
      return { hostPath: dir, containerPath, readOnly: false };
    }));
  }

  async function build(job: { input: BuildFunctionInput; kind: BuildKind; sourceDir: string; key: string }): Promise<BuildFunctionResult> {
    const { input, kind, sourceDir, key } = job;
    const ctx = Context.current();
    const cached = join(buildRoot, `${key}.tgz`);
    if (existsSync(cached)) {
      const bytes = await readFile(cached);
      return { artifact: await upload(bytes), kind, cached: true, durationMs: 0, log: 'reused an earlier build of the same source' };
    }
    const outDir = join(buildRoot, `.out-${key}-${process.pid}`);
    await rm(outDir, { recursive: true, force: true });
    const forwarder = deps.buildLog && createBuildLogForwarder({ sink: deps.buildLog, deploymentId: input.deploymentId, attempt: ctx.info.attempt });
    try {
      const built = await runBuild({
        runtime: deps.runtime, kind, image: buildImageFor(kind, input.runtime),
        sourceDir: hostPath(sourceDir), outDir,
        network: deps.network ? await deps.network.prepare() : null,
        // Go: a go.mod asking for a newer Go than the image's gets that toolchain from the module proxy.
        env: { CAISSON_CONVENTION: input.convention, CAISSON_ENTRY: input.entry, ...(kind === 'go' ? { GOTOOLCHAIN: 'auto' } : {}) },
        mounts: await cacheMounts(kind, input.namespace),
        ...(deps.limits ? { limits: deps.limits } : {}),
        ...(deps.caBundle !== undefined ? { caBundle: deps.caBundle } : {}),
        labels: { 'caisson.build': key, 'caisson.worker': deps.workerId, 'caisson.deployment': input.deploymentId },
        signal: ctx.cancellationSignal,
        onProgress: () => ctx.heartbeat({ step: `${kind} build` }),
        ...(forwarder ? { onLog: (chunk: Buffer) => forwarder.write(chunk) } : {}),
      });
      // Every line reaches the api before the build step ends: a follower prints them before its result.
      await forwarder?.close();
      if (!built.ok) {
        // The reason first and whole: a long log is cut from its start, never the reason.
        throw ApplicationFailure.create({ type: BUILD_FAILED_TYPE, nonRetryable: true, message: `${built.reason}\n${tail(built.output)}`.trimEnd() });
      }
      const bytes = await pack(outDir, deps.archiveLimits ?? DEFAULT_ARCHIVE_LIMITS);
      await writeFile(`${cached}.tmp`, bytes);
      await rename(`${cached}.tmp`, cached);
      return { artifact: await upload(bytes), kind, cached: false, durationMs: built.durationMs, log: tail(built.output) };
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  }

  async function upload(bytes: Buffer): Promise<Artifact> {
    const sha256 = await deps.blobs.putArtifact(bytes);
    return { sha256, format: 'tgz', sizeBytes: bytes.length };
  }

  return typedActivities({
    async buildFunction(input: BuildFunctionInput): Promise<BuildFunctionResult> {
      const sourceDir = await deps.codeCache.materialize(input.source, () => deps.blobs.getArtifact(input.source.sha256));
      const kind = await planBuild(runtimeFamily(input.runtime), sourceDir);
      if (!kind) return { artifact: input.source, cached: false, durationMs: 0, log: '' };
      await deps.runtime.ensureImage(buildImageFor(kind, input.runtime));
      const key = createHash('sha256')
        // The namespace too: a build's output is never reused across namespaces (it ran with that namespace's caches).
        .update(JSON.stringify([BUILD_FORMAT, input.namespace, input.source.sha256, kind, buildImageFor(kind, input.runtime), input.convention, kind === 'go' ? input.entry : '']))
        .digest('hex');
      // Build outputs are unpacked here before packing: nobody but the worker looks inside.
      await mkdir(buildRoot, { recursive: true, mode: 0o700 });
      // One build per key at a time on this worker; a concurrent deploy of the same code waits for it.
      let pending = inFlight.get(key);
      if (!pending) {
        pending = build({ input, kind, sourceDir, key }).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return pending;
    },
  });
}

/** The build output as a tar.gz, refused (a build failure) when the code cache would refuse it. */
async function pack(dir: string, limits: ArchiveLimits): Promise<Buffer> {
  const files = await listFiles(dir);
  if (files.length === 0) throw new Error('the build produced no files');
  const refuse = (why: string) => ApplicationFailure.create({ type: BUILD_FAILED_TYPE, nonRetryable: true, message: `the build output is refused: ${why}` });
  if (files.length > limits.maxEntries) throw refuse(`it holds ${files.length} files, over the limit of ${limits.maxEntries}`);
  let total = 0;
  for (const f of files) total += (await lstat(join(dir, f))).size;
  if (total > limits.maxExpandedBytes) throw refuse(`its files hold ${total} bytes, over the limit of ${limits.maxExpandedBytes}`);
  const chunks: Buffer[] = [];
  for await (const chunk of createTar({ gzip: true, cwd: dir, portable: true, noMtime: true }, files)) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  try {
    await inspectTgz(bytes, limits);
  } catch (err) {
    if (err instanceof UnsafeArchiveError) throw refuse(err.reason);
    throw err;
  }
  return bytes;
}

/** A fixed-length name per namespace: any namespace string makes a safe path component. */
export function namespaceCacheName(namespace: string): string {
  return `ns-${createHash('sha256').update(namespace).digest('hex').slice(0, 32)}`;
}

/** Writable by the build uid only; a worker that is not root cannot chown, and leaves it world-writable. */
async function ownForBuilds(dir: string): Promise<void> {
  if (process.getuid?.() === 0) {
    await chown(dir, BUILD_UID, BUILD_UID);
    await chmod(dir, 0o700);
  } else {
    await chmod(dir, 0o777);
  }
}

function tail(text: string): string {
  return text.length > LOG_TAIL_CHARS ? `…${text.slice(-LOG_TAIL_CHARS)}` : text;
}

export type BuildActivities = ReturnType<typeof createBuildActivities>;
