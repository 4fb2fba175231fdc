// Scale-out on the production topology (`npm run stack`): the real Temporal server on PostgreSQL,
// two apis sharing one key store and database, and two workers each on its own Docker engine.
// What runs where is read from Temporal's history: the worker (identity `<pid>@<host>`) that
// completed each workflow task and started each activity, and the task queue each was scheduled on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployDir } from '../support/deploy.js';
import { waitFor } from '../support/containers.js';
import {
  activitiesOf, apiClient, closeStackClients, engines, failoverClient, pidOf, stackCtl, strayIoMounts, uiUrl, workerIdOf, type ActivityRun,
} from './stack-env.js';

const run = Date.now().toString(36);
const fn = `slow-${run}`;
const admin = [apiClient(0), apiClient(1)] as const;

/** Which stack host a host task queue or a worker identity belongs to (the pids are read now). */
function hostOfQueue(queue: string): 1 | 2 | undefined {
  const m = /-host-stack-host-([12])$/.exec(queue);
  return m ? (Number(m[1]) as 1 | 2) : undefined;
}
function hostOfIdentity(identity: string | undefined): 1 | 2 | undefined {
  if (identity?.startsWith(`${pidOf('worker-1')}@`)) return 1;
  if (identity?.startsWith(`${pidOf('worker-2')}@`)) return 2;
  return undefined;
}
const activity = (list: ActivityRun[], type: string) => list.filter((a) => a.type === type);

async function waitAll(ids: string[]) {
  return Promise.all(ids.map((id) => admin[0].invocations.wait.query({ id, waitMs: 240_000 })));
}
async function countOf(name: string): Promise<number> {
  let n = 0, cursor: string | undefined;
  do {
    const page = await admin[1].invocations.list.query({ function: name, limit: 200, cursor });
    n += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return n;
}

beforeAll(async () => {
  // Cold (isolation fresh): every attempt creates, executes and removes its own container.
  await deployDir(admin[0], { dir: 'test/fixtures/functions/py-slow', name: fn, runtime: 'python', fresh: true, timeoutMs: 60_000 });
});
afterAll(closeStackClients);

describe('the Temporal server and its Web UI', () => {
  it('the UI serves its page and reads the namespace from the real server, where the apis registered Caisson\'s search attributes', async () => {
    expect((await fetch(`${uiUrl}/`)).status).toBe(200);
    const ns = await (await fetch(`${uiUrl}/api/v1/namespaces/default`)).json() as { namespaceInfo?: { state?: string } };
    expect(ns.namespaceInfo?.state).toBe('NAMESPACE_STATE_REGISTERED');
    const attrs = await (await fetch(`${uiUrl}/api/v1/namespaces/default/search-attributes`)).json() as { customAttributes?: Record<string, string> };
    expect(Object.keys(attrs.customAttributes ?? {})).toEqual(expect.arrayContaining(['CaissonFunction', 'CaissonNamespace']));
  });
});

describe('two workers on two Docker hosts', () => {
  it('spreads invocations over both, and runs each container\'s execute and remove on the host that created it', async () => {
    const ids = await Promise.all(Array.from({ length: 24 }, async (_, i) =>
      (await admin[i % 2]!.invocations.start.mutate({ function: fn, payload: { sleep: 0.2 }, idempotencyKey: `spread-${run}-${i}` })).id));
    const results = await waitAll(ids);
    expect(results.map((r) => r.status)).toEqual(ids.map(() => 'SUCCEEDED'));
    const hosts = new Set<number>();
    for (const id of ids) {
      const { activities } = await activitiesOf(id);
      const [execute] = activity(activities, 'executeWithTimeout');
      const [remove] = activity(activities, 'removeContainer');
      expect(execute, id).toBeDefined();
      const host = hostOfQueue(execute!.taskQueue);
      expect(host, execute!.taskQueue).toBeDefined();
      hosts.add(host!);
      // createContainer ran (as a local activity) in the workflow task that scheduled execute:
      // the worker that created the container is the one on that host's queue that ran it.
      expect(hostOfIdentity(execute!.scheduledBy)).toBe(host);
      expect(hostOfIdentity(execute!.ranBy)).toBe(host);
      expect(remove!.taskQueue).toBe(execute!.taskQueue);
      expect(hostOfIdentity(remove!.ranBy)).toBe(host);
      for (const engine of Object.values(engines)) expect(await engine.listManaged({ 'caisson.invocation': id })).toEqual([]);
    }
    expect([...hosts].sort()).toEqual([1, 2]);
  });

  it('SIGKILLing a whole host (engine and worker) mid-load loses nothing, and its containers are reaped when it is back', async () => {
    const client = failoverClient();
    const ids = await Promise.all(Array.from({ length: 30 }, async (_, i) =>
      (await client.invocations.start.mutate({ function: fn, payload: { sleep: 3 }, idempotencyKey: `kill-host-${run}-${i}` })).id));
    // Killed while some of them run there.
    const onHost2 = await waitFor('a container running on host 2', async () => {
      const running = (await engines[2].listManaged({ 'caisson.worker': workerIdOf(2) }))
        .filter((c) => c.state === 'running' && ids.includes(c.labels['caisson.invocation'] ?? ''));
      return running.length > 0 && running;
    }, 120_000, 200);
    await stackCtl('kill-host', '2');
    await new Promise((r) => setTimeout(r, 5000));
    await stackCtl('start-host', '2');

    const results = await waitAll(ids);
    expect(results.map((r) => r.status)).toEqual(ids.map(() => 'SUCCEEDED'));
    expect(results.every((r) => (r.result as { slept?: number } | undefined)?.slept === 3)).toBe(true);
    // One invocation per key, and the killed attempts ran again elsewhere.
    expect(await countOf(fn)).toBe(24 + 30);
    // The attempts the kill cut off ran again (a second executeWithTimeout in their history).
    const killed = onHost2.map((c) => c.labels['caisson.invocation']!);
    const executes = await Promise.all(killed.map(async (id) => activity((await activitiesOf(id)).activities, 'executeWithTimeout').length));
    expect(Math.max(...executes)).toBeGreaterThanOrEqual(2);
    // Back up, host 2's worker reaps what the killed one left.
    await waitFor('host 2 reaped the killed containers', async () => {
      const left = (await engines[2].listManaged({ 'caisson.worker': workerIdOf(2) })).filter((c) => onHost2.some((k) => k.id === c.id));
      return left.length === 0;
    }, 120_000, 1000);
    for (const id of ids) {
      for (const engine of Object.values(engines)) expect(await engine.listManaged({ 'caisson.invocation': id })).toEqual([]);
    }
    // Nor any io tmpfs the killed worker mounted (swept at its restart, or at the next reap).
    await waitFor('no io mount left without its container', async () => (await strayIoMounts(2)).length === 0 && (await strayIoMounts(1)).length === 0, 90_000, 1000);
  });

  it('an api process SIGKILLed mid-request loses nothing: the client goes on with the other api, and idempotency keys keep it exact', async () => {
    const client = failoverClient();
    const calls = Array.from({ length: 6 }, (_, i) =>
      client.invocations.invoke.mutate({ function: fn, payload: { sleep: 4 }, idempotencyKey: `kill-api-${run}-${i}`, waitMs: 120_000 }));
    await new Promise((r) => setTimeout(r, 1500)); // the requests are in api 1, waiting for their results
    try {
      await stackCtl('kill-api', '1');
      const results = await Promise.all(calls);
      expect(results.map((r) => r.status)).toEqual(results.map(() => 'SUCCEEDED'));
      expect(new Set(results.map((r) => r.id)).size).toBe(6);
      expect(await countOf(fn)).toBe(24 + 30 + 6);
      expect(results.every((r) => r.attempts === 1)).toBe(true);
    } finally {
      await stackCtl('start-api', '1');
    }
  });
});
