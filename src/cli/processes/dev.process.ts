// `caisson dev`: the embedded default in one process tree. A Temporal dev server (state in
// .caisson/temporal.db, Web UI), the api with its embedded database, and a worker.
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { Config } from '../../config/env.js';
import { connectWorker } from '../../temporal/connection.js';
import { startDevServer, type DevServer } from '../../temporal/dev-server.js';
import { startApi, type RunningApi } from './api.process.js';
import { startWorker, type RunningWorker } from './worker.process.js';
import { findTemporalCli } from './temporal-cli.js';

export interface RunningDev {
  apiUrl: string;
  uiUrl: string | undefined;
  stop(): Promise<void>;
}

async function answers(address: string): Promise<boolean> {
  try {
    const conn = await Connection.connect({ address, connectTimeout: 1000 });
    await conn.close();
    return true;
  } catch {
    return false;
  }
}

export async function startDev(config: Config, log: (m: string) => void = (m) => console.log(`[caisson dev] ${m}`)): Promise<RunningDev> {
  let server: DevServer | undefined;
  let uiUrl: string | undefined;
  if (await answers(config.temporal.address)) {
    log(`Temporal: using the server already answering at ${config.temporal.address}`);
  } else {
    const [host, port] = config.temporal.address.split(':');
    const cli = findTemporalCli(config.home);
    log(`Temporal: starting the dev server (${cli}), state in ${join(config.home, 'temporal.db')}`);
    server = await startDevServer({
      cli, ip: host, port: Number(port), uiPort: config.temporal.uiPort, namespace: config.temporal.namespace,
      dbFile: join(config.home, 'temporal.db'), logFile: join(config.home, 'logs', 'temporal.log'),
      uiCodecEndpoint: `${config.api.url}/codec`,
    });
    uiUrl = server.uiUrl;
  }
  let api: RunningApi | undefined;
  let worker: RunningWorker | undefined;
  let connection: NativeConnection | undefined;
  try {
    // One connection for both: the api then starts warm invocations eagerly on this worker.
    connection = await connectWorker(config.temporal);
    api = await startApi(config, { connection });
    worker = await startWorker({ ...config, api: { ...config.api, url: api.url }, auth: { ...config.auth, workerToken: api.workerToken } }, { connection });
  } catch (err) {
    await api?.stop();
    await connection?.close();
    await server?.stop();
    throw err;
  }
  return {
    apiUrl: api.url,
    uiUrl,
    async stop() {
      await worker?.stop();
      await api?.stop();
      await connection?.close();
      await server?.stop();
    },
  };
}
