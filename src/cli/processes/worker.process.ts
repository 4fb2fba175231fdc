// A data-plane worker: Temporal + Docker only, no database. Serves the workflows and
// pullImage on the shared data queue, and the container activities on its own host queue.
import { rm } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import Dockerode from 'dockerode';
import type { PayloadCodec } from '@temporalio/common';
import { Worker, bundleWorkflowCode, type NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import { createBlobClient } from '../../activities/blob-client.js';
import { createBuildLogClient } from '../../activities/build-log-client.js';
import { createBuildActivities } from '../../activities/build.activities.js';
import { createContainerActivities } from '../../activities/container.activities.js';
import { attemptActivities } from '../../activities/attempt.activities.js';
import type { Config } from '../../config/env.js';
import { createBuildNetwork } from '../../runtime/builds/build-network.js';
import { createCodeCache } from '../../runtime/io/code-cache.js';
import { startCodeCacheReconciler, type ReconcileReport } from '../../runtime/lifecycle/code-cache-reconcile.js';
import { codeOfWarmKey, genericTemplate } from '../../runtime/warm/warm-target.js';
import { resolveRequestedRuntime } from '../../shared/runtimes.js';
import { createDockerRuntime } from '../../runtime/docker/docker-runtime.js';
import { createWarmPool, type WarmPool } from '../../runtime/warm/pool.js';
import { createNetnsHolders } from '../../runtime/warm/warm-netns.js';
import { ioDirSizeBytes, removeIoDir } from '../../runtime/io/io-dir.js';
import { removeOrphanSecretsDirs, removeSecretsDir } from '../../runtime/io/secrets-dir.js';
import { createPreparedContainers } from '../../runtime/lifecycle/prepared-containers.js';
import { imageFor } from '../../runtime/docker/images.js';
import { installWarmServers } from '../../runtime/warm/warm-servers.js';
import { reapOnce, startReaper } from '../../runtime/lifecycle/reaper.js';
import { sweepStaleIoMounts } from '../../runtime/lifecycle/stale-io-mounts.js';
import type { ContainerRuntime } from '../../runtime/docker/container-runtime.js';
import { processMetrics, type Metrics } from '../../observability/metrics.js';
import { startMetricsServer, type MetricsServer } from '../../observability/metrics-server.js';
import { attemptMetrics, countingCodeCache, countingRuntime, timedBuilds } from '../../observability/worker-metrics.js';
import { processTracing } from '../../observability/load-tracing.js';
import { allObservers, attemptLog } from '../../observability/attempt-log.js';
import { createPlatformLog, type PlatformLog } from '../../observability/platform-log.js';
import { dataTaskQueue, hostTaskQueue } from '../../shared/task-queues.js';
import { connectWorker } from '../../temporal/connection.js';
import { createPayloadCodec, dataConverterFor, FAILURE_CONVERTER_PATH } from '../../temporal/payload-codec.js';
import { shutdownQuietly } from '../../temporal/worker-lifecycle.js';
import { masterKey, workerToken } from '../credentials.js';

export interface RunningWorker {
  runtime: ContainerRuntime;
  hostTaskQueue: string;
  /** This worker's warm pools (absent with CAISSON_WARM=off). */
  pool: WarmPool | undefined;
  stop(): Promise<void>;
  /** Resolves when the worker stops (or rejects when it fails). */
  done: Promise<void>;
  /** Reconciles the code cache with the api's live versions now (it also runs periodically). */
  reconcileCodeCache(): Promise<ReconcileReport>;
  /** GET here for this process's metrics (CAISSON_METRICS_PORT; undefined when unset). */
  metricsUrl: string | undefined;
}

const cachedBundles = new Map<string, Promise<WorkflowBundle>>();
/** Bundling the workflow code takes seconds: do it once per process (and set of interceptor modules: tracing's). */
export function workflowBundle(interceptorModules: string[] = []): Promise<WorkflowBundle> {
  // The sources' index.ts, or the compiled index.js when this module runs from dist/.
  const workflowsPath = new URL(`../../workflows/index.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url).pathname;
  const key = interceptorModules.join('\n');
  const cached = cachedBundles.get(key);
  if (cached) return cached;
  const bundle = bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules: interceptorModules,
    // Evaluated once per worker thread instead of once per workflow: the SDK otherwise runs
    // every workflow module again for each new run (docs/performance.md). Safe because these modules hold no
    // per-run state: activity proxies, handlers and state live inside the workflow functions
    // (an eslint rule keeps module scope free of let/var and stateful regexes).
    preloadModules: [workflowsPath],
    // Failures the workflows raise carry their message encoded, as the worker's and clients' do.
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: { info: () => {}, warn: () => {}, error: console.error, debug: () => {}, trace: () => {}, log: () => {} },
  });
  cachedBundles.set(key, bundle);
  return bundle;
}

export interface StartWorkerOptions {
  connection?: NativeConnection;
  log?: (m: string) => void;
  /** The payload codec (default: the master key's); the api's clients must use the same. */
  payloadCodec?: PayloadCodec;
  /** Where this worker records its metrics (default: the process's registry). */
  metrics?: Metrics;
}

export async function startWorker(config: Config, opts: StartWorkerOptions = {}): Promise<RunningWorker> {
  const platformLog: PlatformLog = createPlatformLog({ service: 'worker', format: config.logFormat, fields: { workerId: config.worker.id } });
  const log = opts.log ?? platformLog;
  // First: a worker without its credential can fetch no code, and one without the master key can
  // read no payload, so it starts nothing.
  const token = await workerToken(config.auth, { log });
  const dataConverter = dataConverterFor(opts.payloadCodec ?? createPayloadCodec(await masterKey(config.auth, { log })));
  const docker = new Dockerode();
  const tracing = await processTracing(config.tracing);
  // Tracing's: activity spans continue the workflow's trace; workflow spans leave through the sink.
  const traced = tracing ? { interceptors: { activity: tracing.activityInterceptors }, sinks: tracing.sinks } : {};
  const metrics = opts.metrics ?? processMetrics({ maxFunctionSeries: config.metrics.maxSeries });
  const runtime = countingRuntime(createDockerRuntime({ docker }), metrics);
  await runtime.ping();
  const { build } = config.worker;
  const buildNetwork = createBuildNetwork({ docker, name: build.network, bridge: build.bridge, firewall: build.firewall, blockedCidrs: build.blockedCidrs, log });
  // Made (and firewalled) now so the log says at start what builds can reach; again before each build.
  await buildNetwork.prepare().catch((err: Error) => log(`build network: ${err.message}`));
  const connection = opts.connection ?? (await connectWorker(config.temporal));
  const hostQueue = hostTaskQueue(config.temporal.taskQueue, config.worker.id);
  const { dataDir, hostDataDir } = config.worker;
  // A reaped container's io dir and secrets dir (tmpfs each) go with it: names are safe, made by this code.
  const removeIoDirOf = async (name: string) => {
    await removeIoDir(join(dataDir, 'io', name));
    await removeSecretsDir(join(dataDir, 'secrets'), name);
  };
  // After each reap: the tmpfs mounts a dead worker left that no container names (at start also
  // empty dirs: no attempt of this process is under way yet).
  const sweepMounts = async (first: boolean) => {
    const containers = new Set((await runtime.listManaged()).map((c) => c.name));
    const removed = await sweepStaleIoMounts({ roots: [join(dataDir, 'io'), join(dataDir, 'secrets')], containers, emptyDirs: first, log });
    if (removed.length) log(`removed ${removed.length} io/secrets dir(s) left by a worker that died: ${removed.map((d) => basename(d)).join(', ')}`);
  };
  const reaper = await startReaper({ runtime, workerId: config.worker.id, intervalMs: 30_000, log, onRemoved: removeIoDirOf, afterReap: sweepMounts });
  const orphans = await removeOrphanSecretsDirs(join(dataDir, 'secrets'), new Set((await runtime.listManaged()).map((c) => c.name)));
  if (orphans.length) log(`removed ${orphans.length} secrets dir(s) of containers that no longer exist`);
  const warmServerDir = join(dataDir, 'warm-servers');
  const hostPath = (p: string) => join(hostDataDir, relative(dataDir, p));
  const emptyDir = join(dataDir, 'netns-empty');
  // Containers without network (cold and warm) join a shared empty namespace: faster starts.
  const netns = createNetnsHolders({ runtime, workerId: config.worker.id, image: imageFor('go'),
    emptyDir: { local: emptyDir, host: hostPath(emptyDir) }, log });
  const netnsSweep = setInterval(() => void netns.sweep().catch(() => undefined), 5 * 60_000);
  netnsSweep.unref();
  let pool: WarmPool | undefined;
  if (config.worker.warm.enabled) {
    await installWarmServers(warmServerDir);
    // This worker's generic containers' code slots; what an earlier life left goes (the reaper removed its containers).
    const genericCodeRoot = join(dataDir, 'generic-code', config.worker.id);
    await rm(genericCodeRoot, { recursive: true, force: true });
    pool = createWarmPool({
      runtime, workerId: config.worker.id, ioRoot: join(dataDir, 'warm'), maxContainers: config.worker.warm.maxContainers,
      privateIoMb: ioDirSizeBytes(config.limits) / (1024 * 1024), hostPath, log,
      genericPerImage: config.worker.warm.genericPerImage, genericCodeRoot,
    });
    for (const runtime of config.worker.warm.genericRuntimes) {
      // A bare family names what a deploy of it gets: its newest version.
      const template = genericTemplate(resolveRequestedRuntime(runtime), hostPath(warmServerDir));
      if (template) pool.wantGeneric(template);
    }
    metrics.pools.add(pool);
  }
  // Archives are checked again here, under this worker's own limits: it trusts no api check.
  const codeCache = countingCodeCache(createCodeCache({ dir: join(config.worker.dataDir, 'code'), limits: config.limits.codeArchive }), metrics);
  // What a worker that died mid-write left behind (a running worker's writes are younger).
  void codeCache.sweepStale().then((n) => n && log(`removed ${n} unfinished code dir(s) from the cache`), () => undefined);
  const blobs = createBlobClient(config.api.url, token);
  const warmKeys = () => Object.keys(pool?.stats() ?? {});
  const cacheReconciler = startCodeCacheReconciler({
    cache: codeCache, liveVersions: () => blobs.liveVersions(),
    intervalMs: config.worker.codeCache.reconcileMs, graceMs: config.worker.codeCache.graceMs, maxBytes: config.worker.codeCache.maxBytes,
    pinned: () => warmKeys().map(codeOfWarmKey),
    warmKeys,
    onVersionsGone: (keys) => {
      pool?.retire((key) => keys.includes(key));
      log(`retired the warm pools of ${keys.length} deleted version(s)`);
    },
    log,
  });
  // Chain steps' next containers, created ahead of need; removed unclaimed after their TTL.
  const prepared = createPreparedContainers(async (name) => {
    await runtime.remove(name);
    await removeIoDirOf(name);
  });
  const activities = createContainerActivities({
    runtime,
    codeCache,
    blobs,
    hostTaskQueue: hostQueue,
    workerId: config.worker.id,
    dataDir: config.worker.dataDir,
    hostDataDir: config.worker.hostDataDir,
    limits: config.limits,
    pool,
    warmServerDir,
    netns,
    prepared,
    // Per-attempt log lines go to the platform log (not a test's quiet log: they are the product).
    observe: opts.log ? attemptMetrics(metrics) : allObservers(attemptMetrics(metrics), attemptLog(platformLog)),
    liveLogs: true,
    ...(tracing ? { traceEnv: tracing.traceEnv } : {}),
  });
  const { pullImage, executeWarm, warmEnabled, ...containerActivities } = activities;
  const { createContainer } = containerActivities;
  const { port: metricsPort, host: metricsHost, token: metricsToken } = config.metrics;
  const metricsServer: MetricsServer | undefined = metricsPort === undefined ? undefined
    : await startMetricsServer({ metrics, host: metricsHost, port: metricsPort, token: metricsToken });
  if (metricsServer) log(`metrics at ${metricsServer.url}`);
  const namespace = config.temporal.namespace;
  const dataWorker = await Worker.create({
    connection, namespace, taskQueue: dataTaskQueue(config.temporal.taskQueue), dataConverter, ...traced,
    workflowBundle: await workflowBundle(tracing?.workflowInterceptorModules),
    // buildFunction: deploy-time builds run on any worker (one activity: build, pack, upload).
    // executeWarm runs here, on the queue the workflows run on, so it can be dispatched eagerly.
    // createContainer here too: cold attempts run it as a local activity (cold-attempt.ts).
    activities: { pullImage, createContainer, executeWarm, warmEnabled, ...attemptActivities, ...timedBuilds(createBuildActivities({ runtime, codeCache, blobs, workerId: config.worker.id, archiveLimits: config.limits.codeArchive,
      dataDir: config.worker.dataDir, hostDataDir: config.worker.hostDataDir, buildCacheDir: config.worker.buildCacheDir,
      network: buildNetwork, limits: build.limits, buildLog: createBuildLogClient(config.api.url, token) }), metrics) },
    // A warm attempt is one activity here; pulls and builds are few.
    maxConcurrentActivityTaskExecutions: config.worker.concurrency * 2,
  });
  const hostWorker = await Worker.create({
    connection, namespace, taskQueue: hostQueue, dataConverter, ...traced,
    activities: containerActivities,
    // create, execute and remove of `concurrency` invocations at once.
    maxConcurrentActivityTaskExecutions: config.worker.concurrency * 3,
  });
  const done = Promise.all([dataWorker.run(), hostWorker.run()]).then(() => undefined);
  log(`polling ${dataTaskQueue(config.temporal.taskQueue)} and ${hostQueue}`);
  return {
    runtime,
    hostTaskQueue: hostQueue,
    pool,
    done,
    reconcileCodeCache: () => cacheReconciler.reconcile(),
    metricsUrl: metricsServer?.url,
    async stop() {
      await metricsServer?.close();
      reaper.stop();
      clearInterval(netnsSweep);
      cacheReconciler.stop();
      shutdownQuietly(dataWorker);
      shutdownQuietly(hostWorker);
      await done.catch(() => undefined);
      // After the workers: no attempt is running any more. (Had this process died instead,
      // each warm server would have exited as its socket closed.)
      await pool?.shutdown();
      if (pool) metrics.pools.delete(pool);
      prepared.clear(); // their containers go with the sweep below
      await netns.shutdown();
      // A last sweep of everything labelled with this worker: the engine sometimes leaves a
      // removal stuck ("Removal In Progress"), and a second force-remove clears it.
      await reapOnce(runtime, { workerId: config.worker.id, onRemoved: removeIoDirOf }).catch(() => undefined);
      if (!opts.connection) await connection.close();
    },
  };
}
