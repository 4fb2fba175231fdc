// What a stack test needs of the running stack (.caisson/stack/stack.env, written by stack.sh up):
// clients of each api and one that fails over between them, each host's Docker engine, the
// process control of stack.sh, and reading which worker ran what out of Temporal's history.
import { execFile } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto'; // CommonJS: no named exports under Node's ESM loader
import { createClient, createFailoverTransport } from '../../src/client/index.js';
import { createHttpTransport, type HttpTransport } from '../../src/client/http-transport.js';
import { createDockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { readMountTable } from '../../src/runtime/io/mount-table.js';

const run = promisify(execFile);
const dir = join(process.cwd(), '.caisson', 'stack');
const env = Object.fromEntries(readFileSync(join(dir, 'stack.env'), 'utf8').split('\n').filter(Boolean)
  .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

export const apiUrls = env.CAISSON_STACK_API_URLS!.split(',');
export const adminKey = readFileSync(env.CAISSON_STACK_ADMIN_KEY_FILE!, 'utf8').trim();
export const temporalAddress = env.TEMPORAL_ADDRESS!;
export const uiUrl = env.CAISSON_STACK_UI_URL!;
/** Host 1 is this machine's engine; host 2 the stack's second engine. */
export const engines = {
  1: createDockerRuntime({ docker: new Dockerode() }),
  2: createDockerRuntime({ docker: new Dockerode({ socketPath: env.CAISSON_STACK_HOST2_DOCKER_HOST!.replace(/^unix:\/\//, '') }) }),
};
export const workerIdOf = (host: 1 | 2) => `stack-host-${host}`;
/**
 * The io tmpfs mounts under a host's worker io root that no container on its engine names: none
 * should stay once its attempts have ended (the worker sweeps what a killed one left).
 */
export async function strayIoMounts(host: 1 | 2): Promise<string[]> {
  let root: string;
  try {
    root = realpathSync(join(dir, `host-${host}`, 'home', 'worker', 'io'));
  } catch {
    return []; // no cold attempt ran there yet
  }
  const names = new Set((await engines[host].listManaged()).map((c) => c.name));
  return readMountTable().filter((m) => m.fsType === 'tmpfs' && dirname(m.mountPoint) === root)
    .map((m) => basename(m.mountPoint)).filter((name) => !names.has(name));
}
const workerMetricsUrls = (env.CAISSON_STACK_WORKER_METRICS_URLS ?? '').split(',');
/** The Prometheus text of a host's worker (its metrics port, loopback only). */
export async function workerMetrics(host: 1 | 2): Promise<string> {
  const url = workerMetricsUrls[host - 1];
  if (!url) throw new Error('stack.env names no worker metrics: bring the stack up again (scripts/stack/stack.sh down && up)');
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.text();
}

/** Every transport made here, closed by closeStackClients (kept-alive sockets hold a process open). */
const transports: HttpTransport[] = [];
export function apiClient(index: 0 | 1, apiKey = adminKey) {
  const transport = createHttpTransport();
  transports.push(transport);
  return createClient(apiUrls[index]!, { apiKey, transport });
}
/** The client a program talking to several apis uses: it moves to the other api when one dies. */
export function failoverClient(apiKey = adminKey) {
  const transport = createFailoverTransport({ urls: apiUrls, retryDroppedMutations: true });
  transports.push(transport);
  return createClient(apiUrls[0]!, { apiKey, transport });
}

export async function stackCtl(...args: string[]): Promise<void> {
  await run('bash', ['scripts/stack/stack.sh', ...args], { maxBuffer: 16 * 1024 * 1024 });
}
/** The pid of a stack process (a worker's Temporal identity is `<pid>@<hostname>`). */
export function pidOf(name: string): number {
  return Number(readFileSync(join(dir, 'run', `${name}.pid`), 'utf8').trim());
}

let temporalClient: Client | undefined;
export async function historyClient(): Promise<Client> {
  temporalClient ??= new Client({ connection: await Connection.connect({ address: temporalAddress }), namespace: 'default' });
  return temporalClient;
}

const { EventType } = proto.temporal.api.enums.v1;
/** One activity of a run: its type, the queue it was scheduled on, who ran it, and who scheduled it. */
export interface ActivityRun { type: string; taskQueue: string; ranBy?: string; scheduledBy?: string }

/** Reads a run's history: every activity with the worker that scheduled it and the one that ran it. */
export async function activitiesOf(workflowId: string): Promise<{ activities: ActivityRun[]; workflowTaskWorkers: Set<string> }> {
  const history = await (await historyClient()).workflow.getHandle(workflowId).fetchHistory();
  const byId = new Map<number, ActivityRun>();
  const workflowTaskWorkers = new Set<string>();
  let lastCompletedBy: string | undefined;
  for (const e of history.events ?? []) {
    if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) {
      lastCompletedBy = e.workflowTaskCompletedEventAttributes?.identity ?? undefined;
      if (lastCompletedBy) workflowTaskWorkers.add(lastCompletedBy);
    } else if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      const a = e.activityTaskScheduledEventAttributes!;
      byId.set(Number(e.eventId), { type: a.activityType?.name ?? '', taskQueue: a.taskQueue?.name ?? '', scheduledBy: lastCompletedBy });
    } else if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      const a = e.activityTaskStartedEventAttributes!;
      const scheduled = byId.get(Number(a.scheduledEventId));
      if (scheduled) scheduled.ranBy = a.identity ?? undefined;
    }
  }
  return { activities: [...byId.values()], workflowTaskWorkers };
}

export async function closeStackClients(): Promise<void> {
  for (const t of transports.splice(0)) t.close();
  await temporalClient?.connection.close();
  temporalClient = undefined;
}
