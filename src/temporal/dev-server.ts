// Starts `temporal server start-dev` (the embedded default and the test server) as a child
// process and waits until it answers. State persists in dbFile when one is given.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_FLAGS } from './search-attributes.js';

export interface DevServerOptions {
  cli: string;
  port: number;
  uiPort?: number;
  namespace: string;
  dbFile?: string;
  logFile: string;
  ip?: string;
  /** The Web UI's remote codec (the api's /codec): the UI shows payloads decoded through it. */
  uiCodecEndpoint?: string;
}

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(options.port), '--namespace', options.namespace,
    '--log-level', 'warn', ...SEARCH_ATTRIBUTE_FLAGS,
    // Eager activity dispatch (off by default in the server): an activity scheduled on the
    // workflow's own task queue comes back with the workflow task's completion, saving a
    // matching round trip (the warm path's executeWarm, the cold path's pullImage).
    '--dynamic-config-value', 'system.enableActivityEagerExecution=true',
    // One partition per task queue (the server's default is 4). With a handful of pollers a
    // task often lands in a partition nobody is polling and waits to be forwarded (seen in
    // chain histories between a child's first workflow task being scheduled and started). Partitions only pay off for queues with many pollers and a high task rate.
    '--dynamic-config-value', 'matching.numTaskqueueReadPartitions=1',
    '--dynamic-config-value', 'matching.numTaskqueueWritePartitions=1',
    // The dev server has one history shard, whose transfer queue (the tasks that hand a child
    // workflow's or another queue's work to matching) is read at most 20 times a second by
    // default: such tasks waited for the next read, up to 50 ms each, several times per chain
    // step. Same for the timer queue (retry backoffs, timeouts).
    '--dynamic-config-value', 'history.transferProcessorMaxPollRPS=1000',
    '--dynamic-config-value', 'history.timerProcessorMaxPollRPS=1000'];
  if (options.uiPort) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');
  if (options.uiPort && options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  if (options.dbFile) {
    mkdirSync(dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile, '--sqlite-pragma', 'journal_mode=WAL');
  }
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = openSync(options.logFile, 'a');
  const child = spawn(options.cli, args, { stdio: ['ignore', log, log], detached: false });
  const address = `${ip}:${options.port}`;
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? -1));

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== null) throw new Error(`temporal dev server exited with ${exited}; see ${options.logFile}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`temporal dev server did not answer on ${address} within 60 s; see ${options.logFile}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    address,
    uiUrl: options.uiPort ? `http://${ip}:${options.uiPort}` : undefined,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
