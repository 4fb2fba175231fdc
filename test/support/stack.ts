// A whole Caisson (api + control worker + data worker) in this test process, against the
// suite's real Temporal server, the real Docker engine and a real database (PGlite in a
// temp dir by default, or the PostgreSQL at databaseUrl). Each stack owns its task queues,
// worker id and data dir, so stacks never see each other's work.
import { mkdtempSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import { createClient } from '../../src/client/index.js';
import { loadConfig, type Config } from '../../src/config/env.js';
import { startApi, type RunningApi } from '../../src/cli/processes/api.process.js';
import { startWorker, type RunningWorker } from '../../src/cli/processes/worker.process.js';
import { connectWorker } from '../../src/temporal/connection.js';
import type { Role } from '../../src/shared/roles.js';

export interface TestStack {
  config: Config;
  api: RunningApi;
  worker: RunningWorker | undefined;
  /** A client with an admin key of every namespace. */
  client: ReturnType<typeof createClient>;
  adminKey: string;
  /** A client with a new key of this namespace and role. */
  clientWithKey(key: { namespace: string; role: Role; name?: string }): Promise<{ client: ReturnType<typeof createClient>; key: string; id: string }>;
  workerId: string;
  startWorker(): Promise<RunningWorker>;
  stop(): Promise<void>;
}

export async function startTestStack(opts: {
  name: string; databaseUrl?: string; withWorker?: boolean; env?: Record<string, string>;
  /** Where the api's and the worker's log lines go (default: nowhere). */
  log?: (m: string) => void;
}): Promise<TestStack> {
  await mkdir(join(process.cwd(), '.caisson', 'test'), { recursive: true });
  const home = mkdtempSync(join(process.cwd(), '.caisson', 'test', `${opts.name}-`));
  const suffix = home.slice(-6).toLowerCase().replace(/[^a-z0-9]/g, 'x');
  const workerId = `test-${opts.name}-${suffix}`;
  const config = loadConfig({
    CAISSON_HOME: home,
    CAISSON_API_PORT: '0',
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    CAISSON_TASK_QUEUE: `caisson-${opts.name}-${suffix}`,
    CAISSON_WORKER_ID: workerId,
    // CAISSON_WARM=off npx vitest run … runs any suite with every attempt cold.
    CAISSON_WARM: process.env.CAISSON_WARM ?? 'on',
    // No generic warm containers unless a suite asks (test/e2e/generic-pool.test.ts): suites find a
    // version's warm container by its caisson.warm-key label, which a claimed generic one lacks.
    CAISSON_WARM_GENERIC: process.env.CAISSON_WARM_GENERIC ?? '0',
    // One Go/pip/npm build cache for every stack: a cold Go cache costs ~50 s of stdlib compile.
    CAISSON_BUILD_CACHE_DIR: join(process.cwd(), '.caisson', 'test-build-cache'),
    ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
    ...opts.env,
  });
  const quiet = opts.log ?? (() => {});
  // Shared by the api's client and the in-process worker, as `caisson dev` does (eager starts).
  const connection = await connectWorker(config.temporal);
  const api = await startApi(config, { log: quiet, connection });
  const workerConfig: Config = { ...config, api: { ...config.api, url: api.url }, auth: { ...config.auth, workerToken: api.workerToken } };
  const { key: adminKey } = await api.keys.create({ name: `test ${opts.name}`, namespace: '*', role: 'admin' });
  const stack: TestStack = {
    config: workerConfig,
    api,
    worker: undefined,
    client: createClient(api.url, { apiKey: adminKey }),
    adminKey,
    async clientWithKey({ namespace, role, name }) {
      const created = await api.keys.create({ name: name ?? `test ${role} of ${namespace}`, namespace, role });
      return { client: createClient(api.url, { apiKey: created.key }), key: created.key, id: created.id };
    },
    workerId,
    async startWorker() {
      stack.worker = await startWorker(workerConfig, { log: quiet, connection });
      return stack.worker;
    },
    async stop() {
      await stack.worker?.stop();
      await api.stop();
      await connection.close();
    },
  };
  if (opts.withWorker !== false) await stack.startWorker();
  return stack;
}
