// The control plane: owns the database, serves the api over HTTP and runs the small
// Temporal worker for the activities that write Caisson's records.
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { Client, type WorkflowClientInterceptor } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { createScheduleActivities } from '../../control/schedule.activities.js';
import { createAuthenticator } from '../../api/auth/authenticator.js';
import { createOwnerLookup } from '../../api/auth/owners.js';
import { createHostCheck, defaultAllowedHosts, type HostVerdict } from '../../api/host-check.js';
import { createApiServer, type HealthCheck } from '../../api/http-server.js';
import { createHttpTriggers } from '../../api/http-trigger/index.js';
import { createBuildLogStore } from '../../api/build-log-store.js';
import { createKeyService, type KeyService } from '../../api/services/key.service.js';
import { createSecretService } from '../../api/services/secret.service.js';
import { createDeadLetterService } from '../../api/services/dead-letter.service.js';
import { createChainService, withChainInvocations } from '../../api/services/chain.service.js';
import { createFunctionService } from '../../api/services/function.service.js';
import { createInvocationService, type InvocationService } from '../../api/services/invocation.service.js';
import { createQuotaService, type QuotaService } from '../../api/services/quota.service.js';
import { createScheduleService } from '../../api/services/schedule.service.js';
import { createScheduleFireStore } from '../../api/services/schedule-fire.js';
import { createAuditLog, startAuditRetention, type AuditLog } from '../../api/audit.js';
import { createLiveLogStore } from '../../api/live-logs.js';
import { startBlobRetention } from '../../api/blob-retention.js';
import type { Config } from '../../config/env.js';
import { createControlPlaneActivities, createControlStore } from '../../control/index.js';
import { createDatabase } from '../../db/client.js';
import { countingControlStore } from '../../observability/control-metrics.js';
import { processMetrics, type Metrics } from '../../observability/metrics.js';
import { processTracing } from '../../observability/load-tracing.js';
import { createPlatformLog } from '../../observability/platform-log.js';
import { createRepositories, type Repositories } from '../../db/index.js';
import { controlTaskQueue, dataTaskQueue } from '../../shared/task-queues.js';
import { connectClient, connectWorker, ensureSearchAttributes } from '../../temporal/connection.js';
import { createPayloadCodec, dataConverterFor } from '../../temporal/payload-codec.js';
import { shutdownQuietly } from '../../temporal/worker-lifecycle.js';
import { ensureAdminKey, ensureMasterKey, ensureWorkerToken } from '../credentials.js';
import { createSessionCodec } from '../../api/auth/session.js';
import { loadStaticFiles } from '../../api/ui/static-files.js';
import { deriveKey } from '../../shared/sealing.js';
import { dashboardDir } from './dashboard-dir.js';

export interface RunningApi {
  url: string;
  temporal: Client;
  /** The codec this api's Temporal client uses (its codec endpoint serves the same). */
  payloadCodec: PayloadCodec;
  /** The repositories and the invocation service this api runs (tests and benches look inside). */
  db: Repositories;
  invocations: InvocationService;
  /** Api keys (tests and benches make theirs here). */
  keys: KeyService;
  /** The audit trail's writer (tests flush it before reading). */
  audit: AuditLog;
  quotas: QuotaService;
  /** The token this api accepts from workers (`caisson dev` hands it to its worker). */
  workerToken: string;
  stop(): Promise<void>;
  done: Promise<void>;
}

export interface StartApiOptions {
  checks?: Record<string, HealthCheck>;
  log?: (m: string) => void;
  /**
   * A connection shared with the data-plane worker of this process (`caisson dev`): the
   * client then starts warm invocations eagerly on that worker. The caller closes it.
   */
  connection?: NativeConnection;
  /** The payload codec of this api's client and control worker (default: the master key's). */
  payloadCodec?: PayloadCodec;
  /** Where this api records its metrics (default: the process's registry). */
  metrics?: Metrics;
  /** Interceptors of this api's Temporal client, after tracing's (benches alter what it starts). */
  clientInterceptors?: WorkflowClientInterceptor[];
}

export async function startApi(config: Config, opts: StartApiOptions = {}): Promise<RunningApi> {
  const log = opts.log ?? createPlatformLog({ service: 'api', format: config.logFormat });
  const database = await createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.pgliteDir });
  log(`database: ${database.kind === 'pglite' ? `embedded PGlite at ${config.pgliteDir}` : 'PostgreSQL (DATABASE_URL)'}`);
  const db = createRepositories(database.prisma);
  const payloadCodec = opts.payloadCodec ?? createPayloadCodec(await ensureMasterKey(config.auth));
  const tracing = await processTracing(config.tracing);
  const workflowInterceptors = [...(tracing?.clientInterceptors ?? []), ...(opts.clientInterceptors ?? [])];
  const interceptors = workflowInterceptors.length > 0 ? { workflow: workflowInterceptors } : undefined;
  const temporal = opts.connection
    ? new Client({ connection: opts.connection, namespace: config.temporal.namespace, dataConverter: dataConverterFor(payloadCodec), ...(interceptors ? { interceptors } : {}) })
    : await connectClient(config.temporal, payloadCodec, interceptors);
  await ensureSearchAttributes(temporal, config.temporal.namespace).catch((err) =>
    log(`warning: could not register search attributes: ${(err as Error).message}`));

  const taskQueues = { control: controlTaskQueue(config.temporal.taskQueue), data: dataTaskQueue(config.temporal.taskQueue) };
  const secrets = createSecretService({ db, masterKey: await ensureMasterKey(config.auth) });
  const quotas = createQuotaService({
    db, defaults: config.quotas.defaults, queueWaitMs: config.quotas.queueWaitMs, log,
    reclaim: (namespace) => invocations.failNeverStarted(namespace),
  });
  const audit = createAuditLog({ db, log });
  const stopRetention = startAuditRetention({ db, days: config.audit.retentionDays, log });
  const stopBlobRetention = startBlobRetention({ db, days: config.blobs.retentionDays, log });
  const functions = createFunctionService({ db, limits: config.limits, temporal, taskQueues, secrets, quotas });
  const metrics = opts.metrics ?? processMetrics({ maxFunctionSeries: config.metrics.maxSeries });
  const controlStore = countingControlStore(createControlStore(db), metrics);
  const invocations = createInvocationService({
    db, temporal, taskQueues, limits: config.limits, recordOutcome: (r) => controlStore.recordInvocationOutcome(r), log,
    eagerStart: opts.connection !== undefined, quotas, warmWorkers: config.worker.warm.enabled,
  });
  const chains = createChainService({ db, temporal, taskQueues, limits: config.limits, quotas });
  const workerToken = await ensureWorkerToken(config.auth);
  const authenticator = createAuthenticator({ findKey: db.apiKeys.findByHash, workerToken, cacheMs: config.auth.cacheMs });
  const keys = createKeyService({ db, forget: authenticator.forget });
  await ensureAdminKey({ keys, file: config.auth.adminKeyFile, log });
  // Live logs: twice the log cap per invocation (stdout and stderr), 64 MiB in all, 10 min after the last line.
  const liveLogs = createLiveLogStore({ maxBytesPerInvocation: 2 * config.limits.logBytes, maxTotalBytes: 64 * 1024 * 1024, keepMs: 10 * 60_000 });
  const context = {
    db,
    liveLogs,
    metrics,
    functions,
    invocations: withChainInvocations(invocations, chains),
    chains,
    deadLetters: createDeadLetterService({ db, invocations, chains }),
    keys,
    secrets,
    owners: createOwnerLookup({ db, temporal }),
    quotas,
    audit,
    buildLogs: createBuildLogStore(),
    schedules: createScheduleService({ db, temporal, taskQueues, idBase: config.temporal.taskQueue, payloadBytes: config.limits.inlineBytes }),
  };
  const checks: Record<string, HealthCheck> = {
    database: () => database.ping(),
    temporal: async () => { await temporal.connection.workflowService.getSystemInfo({}); },
    workers: async () => {
      // The api never touches Docker; a worker polling the data queue means one is up.
      const res = await temporal.workflowService.describeTaskQueue({
        namespace: config.temporal.namespace, taskQueue: { name: taskQueues.data }, taskQueueType: 2,
      });
      const pollers = res.pollers?.length ?? 0;
      if (pollers === 0) throw new Error(`no worker polls ${taskQueues.data}`);
      return { pollers };
    },
    ...opts.checks,
  };
  const triggers = createHttpTriggers({
    context, invocations, authenticate: authenticator.authenticate, log,
    config: {
      callbackAllow: config.triggers.callbackAllow, queueWaitMs: config.quotas.queueWaitMs, maxBodyBytes: config.limits.payloadBytes,
      trustedProxies: config.triggers.trustedProxies, rateClients: config.triggers.rateClients,
    },
  });
  const server = createApiServer({
    context, db, checks, trigger: triggers.handler,
    maxBodyBytes: Math.ceil(Math.max(config.limits.codeBytes, config.limits.payloadBytes) * 1.4) + 1024 * 1024,
    maxBlobBytes: Math.max(config.limits.resultBytes, config.limits.payloadBytes, config.limits.logBytes) + 1024 * 1024,
    // Build outputs (code + installed dependencies, Go binaries) may be larger than the source.
    maxArtifactBytes: config.limits.codeBytes * 4,
    authenticate: authenticator.authenticate,
    codec: { codec: payloadCodec, allowedOrigins: config.api.codecOrigins, maxBodyBytes: config.limits.payloadBytes * 2 + 1024 * 1024 },
    dashboard: {
      sessions: createSessionCodec(deriveKey(await ensureMasterKey(config.auth), 'ui-sessions')),
      authenticateDigest: authenticator.authenticateDigest,
      // TLS served here, or in front of the api (its public URL is https).
      secure: config.api.tls !== undefined || config.api.url.startsWith('https:'),
      publicOrigin: new URL(config.api.url).origin,
      files: await loadStaticFiles(dashboardDir()),
      // The first codec origin is the Web UI's (CAISSON_CODEC_ORIGINS, default the dev server's).
      temporalUi: { url: config.api.codecOrigins[0] ?? null, namespace: config.temporal.namespace },
    },
    metrics: { metrics, token: config.metrics.token },
    ...(tracing ? { traceRequest: tracing.traceRequest } : {}),
    tls: config.api.tls && { cert: await readFile(config.api.tls.certFile), key: await readFile(config.api.tls.keyFile) },
    // Set once the port is known (port 0 picks one): nothing is answered before.
    checkHost: (host) => checkHost(host),
  });
  let checkHost: (host: string | undefined) => HostVerdict = () => 'misdirected';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.api.port, config.api.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${config.api.tls ? 'https' : 'http'}://${config.api.host}:${port}`;
  checkHost = createHostCheck(config.auth.allowedHosts ?? defaultAllowedHosts(port, config.api.url));

  const workerConnection = opts.connection ?? (await connectWorker(config.temporal));
  const controlWorker = await Worker.create({
    connection: workerConnection, namespace: config.temporal.namespace, taskQueue: taskQueues.control,
    dataConverter: dataConverterFor(payloadCodec),
    ...(tracing ? { interceptors: { activity: tracing.activityInterceptors } } : {}),
    activities: {
      ...createControlPlaneActivities({ db, limits: config.limits, invocationStore: controlStore }), ...triggers.activities,
      ...createScheduleActivities(createScheduleFireStore({ invocations, chains, taskQueues, audit })),
    },
  });
  const done = controlWorker.run();
  log(`listening on ${url} (tRPC at ${url}/trpc, health at ${url}/healthz)`);
  // Records a stopped api left unwritten: successes whose synchronous caller died before
  // writing them, and rows whose run never started (invocation-recovery.ts).
  void invocations.repairUnrecorded().then(
    (n) => n > 0 && log(`repaired ${n} invocation record(s) left unwritten by a stopped api`),
    (err: Error) => log(`warning: could not check unfinished invocation records: ${err.message}`),
  );
  return {
    url,
    temporal,
    payloadCodec,
    db,
    invocations,
    keys,
    audit,
    quotas,
    workerToken,
    done,
    async stop() {
      stopRetention();
      liveLogs.stop();
      stopBlobRetention();
      triggers.stop();
      shutdownQuietly(controlWorker);
      await done.catch(() => undefined);
      await new Promise((r) => server.close(r));
      server.closeAllConnections();
      await audit.stop();
      if (!opts.connection) {
        await workerConnection.close();
        await temporal.connection.close();
      }
      await database.close();
    },
  };
}
