// A whole Caisson for benchmarks: its own Temporal dev server (in memory, free port), the
// api with PGlite in a temp dir and a worker, plus a worker for the floor workflow.
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createClient } from '../../src/client/index.js';
import { loadConfig, type Config } from '../../src/config/env.js';
import { startApi, type RunningApi, type StartApiOptions } from '../../src/cli/processes/api.process.js';
import { startWorker, type RunningWorker } from '../../src/cli/processes/worker.process.js';
import { findTemporalCli } from '../../src/cli/processes/temporal-cli.js';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { connectWorker } from '../../src/temporal/connection.js';
import { installTemporalRuntime, shutdownQuietly } from '../../src/temporal/worker-lifecycle.js';
import { freeLocalPort, setTemporalMetricsAddress } from '../../src/observability/temporal-metrics.js';
import { freePort } from '../../test/support/ports.js';
import { removeIoDirsUnder } from '../../src/runtime/io/io-dir.js';
import { ensureMasterKey } from '../../src/cli/credentials.js';
import { createPayloadCodec } from '../../src/temporal/payload-codec.js';
import { switchableCodec, type SwitchableCodec } from './switchable-codec.js';

export interface BenchStack {
  config: Config;
  /** Shared by the api's client and the data-plane worker, as `caisson dev` does (eager starts). */
  connection: NativeConnection;
  api: RunningApi;
  worker: RunningWorker;
  client: ReturnType<typeof createClient>;
  /** An admin key of every namespace, made for this stack. */
  apiKey: string;
  floorTaskQueue: string;
  /** A client on the floor worker's own connection: the floor can then be started eagerly too. */
  floorClient: Client;
  /** The api's and the worker's payload codec: `encrypt = false` turns encryption off (bench only). */
  payloadCodec: SwitchableCodec;
  stop(): Promise<void>;
}

/** opts.clientInterceptors: the api client's (e.g. chain-handoff-switch.ts). */
export async function startBenchStack(env: Record<string, string> = {}, opts: Pick<StartApiOptions, 'clientInterceptors'> = {}): Promise<BenchStack> {
  // As `caisson dev|api|worker` install it: with the SDK's Prometheus exporter, whose metrics /metrics appends.
  const prometheusAddress = `127.0.0.1:${await freeLocalPort()}`;
  installTemporalRuntime('ERROR', { prometheusAddress });
  setTemporalMetricsAddress(prometheusAddress);
  const repo = join(import.meta.dirname, '..', '..');
  const home = await mkdtemp(join(repo, '.caisson', 'bench-'));
  const port = await freePort();
  const server: DevServer = await startDevServer({
    cli: findTemporalCli(join(repo, '.caisson')), port, namespace: 'default', logFile: join(home, 'temporal.log'),
  });
  const config = loadConfig({
    CAISSON_HOME: home, CAISSON_API_PORT: '0', TEMPORAL_ADDRESS: server.address, CAISSON_WORKER_ID: `bench-${port}`,
    CAISSON_WORKER_CONCURRENCY: '20',
    // The bench measures the platform, not its namespace quotas (the throughput section runs ~80/s).
    CAISSON_QUOTA_INVOCATIONS_PER_MINUTE: '1000000', CAISSON_QUOTA_CONCURRENT_INVOCATIONS: '10000',
    // CAISSON_WARM_GENERIC=0 npx tsx bench/… measures without generic warm containers (A/B runs).
    ...(process.env.CAISSON_WARM_GENERIC ? { CAISSON_WARM_GENERIC: process.env.CAISSON_WARM_GENERIC } : {}), ...env,
  });
  const quiet = () => {};
  const connection = await connectWorker(config.temporal);
  const payloadCodec = switchableCodec(createPayloadCodec(await ensureMasterKey(config.auth)));
  const api = await startApi(config, { log: quiet, connection, payloadCodec, ...opts });
  const workerConfig = { ...config, api: { ...config.api, url: api.url }, auth: { ...config.auth, workerToken: api.workerToken } };
  const { key: apiKey } = await api.keys.create({ name: 'bench', namespace: '*', role: 'admin' });
  const worker = await startWorker(workerConfig, { log: quiet, connection, payloadCodec });
  const floorTaskQueue = 'bench-floor';
  const floorConnection = await connectWorker(config.temporal);
  const floorWorker = await Worker.create({
    connection: floorConnection, taskQueue: floorTaskQueue,
    workflowsPath: join(import.meta.dirname, 'floor.workflow.ts'),
    activities: { noop: async () => {} },
    maxConcurrentActivityTaskExecutions: 50,
  });
  const floorRun = floorWorker.run();
  const floorClient = new Client({ connection: floorConnection, namespace: 'default' });
  return {
    config: workerConfig, connection, api, worker, client: createClient(api.url, { apiKey }), apiKey, floorTaskQueue, floorClient, payloadCodec,
    async stop() {
      shutdownQuietly(floorWorker);
      await floorRun.catch(() => undefined);
      await floorConnection.close();
      await worker.stop();
      await api.stop();
      await connection.close();
      await server.stop();
      await removeIoDirsUnder(home); // the raw `docker run` sections' io dirs are tmpfs mounts
      await rm(home, { recursive: true, force: true });
    },
  };
}
