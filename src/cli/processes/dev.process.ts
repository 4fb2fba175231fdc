// `caisson dev`: the embedded default in one process tree. A Temporal dev server (state in
// .caisson/temporal.db, Web UI), the api with its embedded database, and a worker.
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import type { Config } from '../../config/env.js';
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
    });
    uiUrl = server.uiUrl;
  }
  let api: RunningApi | undefined;
  let worker: RunningWorker | undefined;
  try {
    api = await startApi(config);
    worker = await startWorker({ ...config, api: { ...config.api, url: api.url } });
  } catch (err) {
    await api?.stop();
    await server?.stop();
    throw err;
  }
  return {
    apiUrl: api.url,
    uiUrl,
    async stop() {
      await worker?.stop();
      await api?.stop();
      await server?.stop();
    },
  };
}
