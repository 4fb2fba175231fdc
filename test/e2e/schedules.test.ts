// Schedules end to end on the real stack (Temporal Schedules, the fireSchedule workflow, Docker,
// PGlite): intervals firing, pause/resume, trigger, update, rm, next run times, a chain
// schedule, overlap skip, bad input naming its field, namespaces and roles, the audit trail,
// the CLI, and a function that a schedule starts refused deletion. Intervals are 1-2 s.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import type { CaissonClient } from '../../src/client/index.js';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../../src/cli/processes/worker.process.js';
import { findTemporalCli } from '../../src/cli/processes/temporal-cli.js';
import { dataConverterFor } from '../../src/temporal/payload-codec.js';
import { CaissonSchedule } from '../../src/temporal/search-attributes.js';
import { createScheduleFireStore } from '../../src/api/services/schedule-fire.js';
import { createChainService } from '../../src/api/services/chain.service.js';
import { controlTaskQueue, dataTaskQueue } from '../../src/shared/task-queues.js';
import type { ScheduleFireInput } from '../../src/shared/schedule.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployDir } from '../support/deploy.js';
import { runCli } from '../support/cli.js';

let stack: TestStack;
const execFileAsync = promisify(execFile);

beforeAll(async () => {
  stack = await startTestStack({ name: 'schedules' });
  await deployDir(stack.client, { dir: 'examples/hello-python', name: 'sched-hello', runtime: 'python' });
  await deployDir(stack.client, { dir: 'test/fixtures/functions/py-slow', name: 'sched-slow', runtime: 'python', timeoutMs: 20_000 });
});

afterAll(async () => {
  // Schedules live in Temporal, which outlives this stack: remove every one it made.
  for (const ns of ['default', 'team-a', 'full']) {
    for (const s of await stack.client.schedules.list.query({ namespace: ns }).catch(() => [])) {
      await stack.client.schedules.delete.mutate({ namespace: ns, name: s.name }).catch(() => undefined);
    }
  }
  await stack?.stop();
});

/** The fire workflows Temporal ran, for a failure's message. */
async function fireHistory(): Promise<string> {
  const lines: string[] = [];
  for await (const w of stack.api.temporal.workflow.list({ query: `WorkflowType = 'fireSchedule' AND TaskQueue = '${stack.config.temporal.taskQueue}-data'` })) {
    const outcome = await stack.api.temporal.workflow.getHandle(w.workflowId).result().then((r) => JSON.stringify(r), (e: unknown) => String(e));
    lines.push(`${w.workflowId} ${w.status.name} ${outcome}`);
  }
  return lines.join('\n');
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; fires:\n${await fireHistory()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const rowsOf = async (fn: string, client: CaissonClient = stack.client, namespace = 'default') =>
  (await client.invocations.list.query({ namespace, function: fn, limit: 200 })).items;

function codeOf(err: unknown): string | undefined {
  expect(err).toBeInstanceOf(TRPCClientError);
  return (err as { data?: { code?: string } }).data?.code;
}

async function refused(call: Promise<unknown>): Promise<{ code?: string; message: string; fields: Record<string, string[]> }> {
  const err = await call.then(() => undefined, (e: unknown) => e);
  expect(err, 'the call was refused').toBeDefined();
  const data = (err as { data?: { zodError?: { fieldErrors?: Record<string, string[]> } } }).data;
  return { code: codeOf(err), message: (err as Error).message, fields: data?.zodError?.fieldErrors ?? {} };
}

const hello = { kind: 'function' as const, name: 'sched-hello' };

describe('schedules', () => {
  it('an interval schedule fires at least twice; each fire is an ordinary invocation naming its schedule, audited', async () => {
    const created = await stack.client.schedules.create.mutate({ name: 'every2', target: hello, payload: { name: 'sched' }, every: '2s' });
    expect(created).toMatchObject({ name: 'every2', every: '2s', cron: null, overlap: 'skip', paused: false, target: { ...hello, version: 'latest' } });
    const rows = await waitFor('two fires', async () => {
      const r = (await rowsOf('sched-hello')).filter((i) => i.status === 'SUCCEEDED');
      return r.length >= 2 && r;
    });
    for (const row of rows.slice(0, 2)) {
      const v = await stack.client.invocations.get.query({ id: row.id });
      expect(v).toMatchObject({ status: 'SUCCEEDED', result: { message: 'Hello, sched!' }, function: 'sched-hello', namespace: 'default' });
      // The invocation's own run (workflow id = invocation id) carries the schedule's name.
      const run = await stack.api.temporal.workflow.getHandle(row.id).describe();
      expect(run.typedSearchAttributes.get(CaissonSchedule)).toBe('every2');
      expect(run.type).toBe('invokeFunction');
    }
    await stack.client.schedules.delete.mutate({ name: 'every2' });
    expect(codeOf(await stack.client.schedules.get.query({ name: 'every2' }).catch((e: unknown) => e))).toBe('NOT_FOUND');
    // Deleted: no more fires (one admitted just before the delete may still land).
    await new Promise((r) => setTimeout(r, 1500));
    const settled = (await rowsOf('sched-hello')).length;
    await new Promise((r) => setTimeout(r, 4000));
    expect((await rowsOf('sched-hello')).length).toBe(settled);
    await stack.api.audit.flush();
    const trail = await stack.client.audit.list.query({ namespace: 'default', limit: 200 });
    const actions = trail.items.filter((e) => e.target === 'every2').map((e) => e.action);
    expect(actions).toContain('schedule.create');
    expect(actions).toContain('schedule.rm');
    expect(actions.filter((a) => a === 'schedule.fire').length).toBeGreaterThanOrEqual(2);
  });

  it('a paused schedule does not fire; resumed it does; paused again it stops', async () => {
    await deployDir(stack.client, { dir: 'examples/hello-python', name: 'sched-pz', runtime: 'python' });
    const created = await stack.client.schedules.create.mutate({ name: 'pz', target: { kind: 'function', name: 'sched-pz' }, every: '1s', paused: true });
    expect(created.paused).toBe(true);
    await new Promise((r) => setTimeout(r, 4000));
    expect(await rowsOf('sched-pz')).toHaveLength(0);
    expect((await stack.client.schedules.resume.mutate({ name: 'pz' })).paused).toBe(false);
    await waitFor('a fire after resume', async () => (await rowsOf('sched-pz')).length >= 1);
    expect((await stack.client.schedules.pause.mutate({ name: 'pz', note: 'maintenance' })).note).toBe('maintenance');
    await new Promise((r) => setTimeout(r, 1500));
    const atPause = (await rowsOf('sched-pz')).length;
    await new Promise((r) => setTimeout(r, 4000));
    expect((await rowsOf('sched-pz')).length).toBe(atPause);
  });

  it('ls shows next run times (cron in a time zone); trigger runs now; update changes payload and timing', async () => {
    await stack.client.schedules.create.mutate({ name: 'noon-paris', target: hello, payload: { name: 'noon' }, cron: '0 12 * * *', timezone: 'Europe/Paris' });
    const listed = await waitFor('the schedule in ls', async () =>
      (await stack.client.schedules.list.query({})).find((s) => s.name === 'noon-paris'));
    expect(listed.nextRunTimes.length).toBeGreaterThan(0);
    // Noon in Paris in December is 11:00 UTC.
    for (const t of listed.nextRunTimes) expect(new Date(t).toISOString()).toMatch(/T11:00:00\.000Z$/);
    expect(new Date(listed.nextRunTimes[0]!).getTime()).toBeGreaterThan(Date.now());
    expect(new Date(listed.nextRunTimes[0]!).getTime()).toBeLessThanOrEqual(Date.now() + 86_400_000 + 3_600_000);

    const before = (await rowsOf('sched-hello')).length;
    await stack.client.schedules.trigger.mutate({ name: 'noon-paris' });
    const fired = await waitFor('the triggered fire', async () => {
      const rows = await rowsOf('sched-hello');
      return rows.length > before && rows[0]!.status === 'SUCCEEDED' && rows[0];
    });
    expect((await stack.client.invocations.get.query({ id: fired.id })).result).toEqual({ message: 'Hello, noon!' });

    const updated = await stack.client.schedules.update.mutate({ name: 'noon-paris', payload: { name: 'updated' }, cron: '30 6 * * 1' });
    expect(updated).toMatchObject({ cron: '30 6 * * 1', timezone: 'Europe/Paris', payload: { name: 'updated' } });
    // Mondays 06:30 in Paris: 05:30 UTC on a Monday.
    expect(new Date(updated.nextRunTimes[0]!).getUTCDay()).toBe(1);
    expect(updated.nextRunTimes[0]).toMatch(/T05:30:00\.000Z$/);
    const toEvery = await stack.client.schedules.update.mutate({ name: 'noon-paris', every: '1h' });
    expect(toEvery).toMatchObject({ every: '1h', cron: null, timezone: null, payload: { name: 'updated' } });
    const count = (await rowsOf('sched-hello')).length;
    // Temporal names a fire by the schedule and the second it is taken: a second trigger within
    // the same second as the first would be that fire again.
    await new Promise((r) => setTimeout(r, 1100));
    await stack.client.schedules.trigger.mutate({ name: 'noon-paris' });
    const second = await waitFor('the fire after the update', async () => {
      const rows = await rowsOf('sched-hello');
      return rows.length > count && rows[0]!.status === 'SUCCEEDED' && rows[0];
    });
    expect((await stack.client.invocations.get.query({ id: second.id })).result).toEqual({ message: 'Hello, updated!' });
    expect((await stack.client.schedules.get.query({ name: 'noon-paris' })).fires).toBeGreaterThanOrEqual(2);
    await stack.client.schedules.delete.mutate({ name: 'noon-paris' });
  });

  it('a chain schedule runs the chain as an ordinary chain invocation', async () => {
    await deployDir(stack.client, { dir: 'test/fixtures/functions/py-chain', name: 'sched-add', runtime: 'python' });
    await stack.client.chains.create.mutate({ definition: {
      name: 'sched-chain',
      steps: [
        { name: 'a', function: 'sched-add', input: { op: 'add', value: '$.input.value', by: 1 } },
        { name: 'b', function: 'sched-add', input: { op: 'double', value: '$.steps.a.output.value' } },
      ],
    } });
    await stack.client.schedules.create.mutate({ name: 'chained', target: { kind: 'chain', name: 'sched-chain' }, payload: { value: 4 }, cron: '@yearly' });
    await stack.client.schedules.trigger.mutate({ name: 'chained' });
    const run = await waitFor('the chain invocation', async () => {
      const items = await stack.client.chains.invocations.query({ name: 'sched-chain' });
      return items[0]?.status === 'SUCCEEDED' && items[0];
    });
    const v = await stack.client.invocations.get.query({ id: run.id });
    expect(v).toMatchObject({ status: 'SUCCEEDED', result: { value: 10 } });
    const described = await stack.api.temporal.workflow.getHandle(run.id).describe();
    expect(described.type).toBe('runChain');
    expect(described.typedSearchAttributes.get(CaissonSchedule)).toBe('chained');
    // Deleting a chain a schedule starts is refused too.
    const refusal = await refused(stack.client.chains.delete.mutate({ name: 'sched-chain' }));
    expect(refusal.code).toBe('CONFLICT');
    await stack.client.schedules.delete.mutate({ name: 'chained' });
    await stack.client.chains.delete.mutate({ name: 'sched-chain' });
  });

  it('overlap skip: a fire due while the last invocation runs is skipped, so invocations never overlap', async () => {
    await stack.client.schedules.create.mutate({ name: 'slow', target: { kind: 'function', name: 'sched-slow' }, payload: { sleep: 3 }, every: '1s', overlap: 'skip' });
    await new Promise((r) => setTimeout(r, 7000));
    await stack.client.schedules.pause.mutate({ name: 'slow' });
    const rows = await waitFor('the fires to end', async () => {
      const r = await rowsOf('sched-slow');
      return r.length > 0 && r.every((i) => i.status !== 'PENDING' && i.status !== 'RUNNING') && r;
    }, 20_000);
    // Every 1 s for 7 s would be 7 fires; each invocation takes over 3 s.
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.length).toBeLessThanOrEqual(3);
    const ordered = [...rows].sort((a, b) => new Date(a.createdAt).getTime() - new Date(b.createdAt).getTime());
    for (let i = 1; i < ordered.length; i++) {
      expect(new Date(ordered[i]!.createdAt).getTime()).toBeGreaterThanOrEqual(new Date(ordered[i - 1]!.endedAt!).getTime());
    }
    expect(rows.every((r) => r.status === 'SUCCEEDED')).toBe(true);
    await stack.client.schedules.delete.mutate({ name: 'slow' });
  });

  it('bad input is refused naming the field, and nothing is created', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ cron: 'every minute' }, 'cron'],
      [{ cron: '61 * * * *' }, 'cron'],
      [{ every: '5x' }, 'every'],
      [{ every: '500ms' }, 'every'],
      [{ cron: '0 * * * *', timezone: 'Mars/Olympus' }, 'timezone'],
      [{ every: '1m', timezone: 'UTC' }, 'timezone'],
      [{ every: '1m', overlap: 'sometimes' }, 'overlap'],
      [{ every: '1m', catchupWindow: '1s' }, 'catchupWindow'],
      [{ every: '1m', cron: '* * * * *' }, 'every'],
      [{}, 'cron'],
    ];
    for (const [timing, field] of cases) {
      const r = await refused(stack.client.schedules.create.mutate({ name: 'bad', target: hello, ...timing } as never));
      expect(r.code, JSON.stringify(timing)).toBe('BAD_REQUEST');
      expect(Object.keys(r.fields), JSON.stringify(timing)).toContain(field);
    }
    const missing = await refused(stack.client.schedules.create.mutate({ name: 'bad', target: { kind: 'function', name: 'no-such-fn' }, every: '1m' }));
    expect(missing.code).toBe('BAD_REQUEST');
    expect(missing.message).toContain("function 'no-such-fn' does not exist");
    const badName = await refused(stack.client.schedules.create.mutate({ name: 'Bad.Name', target: hello, every: '1m' }));
    expect(Object.keys(badName.fields)).toContain('name');
    expect(codeOf(await stack.client.schedules.get.query({ name: 'bad' }).catch((e: unknown) => e))).toBe('NOT_FOUND');
    // A name already taken in the namespace.
    await stack.client.schedules.create.mutate({ name: 'taken', target: hello, cron: '@yearly' });
    expect((await refused(stack.client.schedules.create.mutate({ name: 'taken', target: hello, every: '1m' }))).code).toBe('CONFLICT');
    expect((await stack.client.schedules.get.query({ name: 'taken' })).cron).toBe('@yearly');
    await stack.client.schedules.delete.mutate({ name: 'taken' });
  });

  it('namespaces and roles: two namespaces may share a name; other keys are refused and change nothing', async () => {
    const dev = await stack.clientWithKey({ namespace: 'team-a', role: 'developer' });
    const reader = await stack.clientWithKey({ namespace: 'team-a', role: 'reader' });
    const invoker = await stack.clientWithKey({ namespace: 'team-a', role: 'invoker' });
    const other = await stack.clientWithKey({ namespace: 'team-b', role: 'developer' });
    await deployDir(dev.client, { dir: 'examples/hello-python', name: 'sched-hello', runtime: 'python', namespace: 'team-a' });
    await dev.client.schedules.create.mutate({ namespace: 'team-a', name: 'same', target: hello, payload: { name: 'a' }, cron: '@yearly' });
    await stack.client.schedules.create.mutate({ name: 'same', target: hello, payload: { name: 'default' }, cron: '@yearly' });
    expect((await dev.client.schedules.get.query({ namespace: 'team-a', name: 'same' })).payload).toEqual({ name: 'a' });
    expect((await stack.client.schedules.get.query({ name: 'same' })).payload).toEqual({ name: 'default' });

    // Readers and invokers see their namespace's schedules; only the invoker may trigger.
    expect((await reader.client.schedules.get.query({ namespace: 'team-a', name: 'same' })).name).toBe('same');
    await waitFor('team-a in ls', async () => (await invoker.client.schedules.list.query({ namespace: 'team-a' })).some((s) => s.name === 'same'));
    for (const call of [
      () => reader.client.schedules.create.mutate({ namespace: 'team-a', name: 'mine', target: hello, every: '1m' }),
      () => reader.client.schedules.pause.mutate({ namespace: 'team-a', name: 'same' }),
      () => reader.client.schedules.trigger.mutate({ namespace: 'team-a', name: 'same' }),
      () => invoker.client.schedules.delete.mutate({ namespace: 'team-a', name: 'same' }),
      () => invoker.client.schedules.update.mutate({ namespace: 'team-a', name: 'same', every: '1s' }),
    ]) expect((await refused(call())).code).toBe('FORBIDDEN');
    const before = (await rowsOf('sched-hello', dev.client, 'team-a')).length;
    await invoker.client.schedules.trigger.mutate({ namespace: 'team-a', name: 'same' });
    const fired = await waitFor('the invoker\'s trigger', async () => {
      const rows = await rowsOf('sched-hello', dev.client, 'team-a');
      return rows.length > before && rows[0]!.status === 'SUCCEEDED' && rows[0];
    });
    expect((await invoker.client.invocations.get.query({ id: fired.id })).result).toEqual({ message: 'Hello, a!' });

    // Another namespace's key: refused for every call, and the schedule is unchanged.
    for (const call of [
      () => other.client.schedules.get.query({ namespace: 'team-a', name: 'same' }),
      () => other.client.schedules.list.query({ namespace: 'team-a' }),
      () => other.client.schedules.pause.mutate({ namespace: 'team-a', name: 'same' }),
      () => other.client.schedules.update.mutate({ namespace: 'team-a', name: 'same', payload: { name: 'b' } }),
      () => other.client.schedules.trigger.mutate({ namespace: 'team-a', name: 'same' }),
      () => other.client.schedules.delete.mutate({ namespace: 'team-a', name: 'same' }),
    ]) expect((await refused(call())).code).toBe('FORBIDDEN');
    expect(await other.client.schedules.list.query({ namespace: 'team-b' })).toEqual([]);
    const after = await dev.client.schedules.get.query({ namespace: 'team-a', name: 'same' });
    expect(after).toMatchObject({ paused: false, payload: { name: 'a' }, cron: '@yearly' });
    await stack.api.audit.flush();
    const refusedEvents = (await stack.client.audit.list.query({ namespace: 'team-a', limit: 200 })).items
      .filter((e) => e.target === 'same' && e.outcome === 'FORBIDDEN');
    expect(refusedEvents.length).toBeGreaterThanOrEqual(5);

    // A function a schedule starts cannot be deleted until the schedule is gone.
    const conflict = await refused(dev.client.functions.delete.mutate({ namespace: 'team-a', name: 'sched-hello' }));
    expect(conflict.code).toBe('CONFLICT');
    expect(conflict.message).toContain("schedule(s) 'same'");
    expect((await dev.client.functions.get.query({ namespace: 'team-a', name: 'sched-hello' }))?.name).toBe('sched-hello');
    await dev.client.schedules.delete.mutate({ namespace: 'team-a', name: 'same' });
    expect((await dev.client.functions.delete.mutate({ namespace: 'team-a', name: 'sched-hello' })).deleted).toBe(true);
    // The default namespace's schedule of the same name is untouched.
    expect((await stack.client.schedules.get.query({ name: 'same' })).payload).toEqual({ name: 'default' });
    await stack.client.schedules.delete.mutate({ name: 'same' });
  });

  it('a fire over its namespace\'s quota fails at once, admits no invocation and is audited as refused', async () => {
    await deployDir(stack.client, { dir: 'examples/hello-python', name: 'sched-hello', runtime: 'python', namespace: 'full' });
    await stack.client.namespace.setQuota.mutate({ namespace: 'full', quotas: { invocationsPerMinute: 0 } });
    await stack.client.schedules.create.mutate({ namespace: 'full', name: 'over', target: hello, cron: '@yearly' });
    await stack.client.schedules.trigger.mutate({ namespace: 'full', name: 'over' });
    const fireId = await waitFor('the fire', async () => (await stack.client.schedules.get.query({ namespace: 'full', name: 'over' })).recentRuns[0]?.fireId);
    const failure = await stack.api.temporal.workflow.getHandle(fireId).result().then(() => undefined, (e: unknown) => e as Error & { cause?: Error & { cause?: Error } });
    expect(failure?.cause?.cause?.message ?? failure?.cause?.message).toMatch(/quota invocationsPerMinute/);
    expect(await rowsOf('sched-hello', stack.client, 'full')).toHaveLength(0);
    await stack.api.audit.flush();
    const fires = (await stack.client.audit.list.query({ namespace: 'full', action: 'schedule.fire' })).items;
    expect(fires.map((e) => [e.target, e.outcome])).toEqual([['over', 'TOO_MANY_REQUESTS']]);
    await stack.client.schedules.delete.mutate({ namespace: 'full', name: 'over' });
  });

  it('a fire admitted twice (its activity retried) is one invocation, for a function and for a chain', async () => {
    const namespace = 'idem';
    await deployDir(stack.client, { dir: 'test/fixtures/functions/py-chain', name: 'sched-add', runtime: 'python', namespace });
    await stack.client.chains.create.mutate({ namespace, definition: { name: 'one', steps: [{ name: 'a', function: 'sched-add' }] } });
    const base = stack.config.temporal.taskQueue;
    const taskQueues = { control: controlTaskQueue(base), data: dataTaskQueue(base) };
    const { api } = stack;
    const chains = createChainService({ db: api.db, temporal: api.temporal, taskQueues, limits: stack.config.limits, quotas: api.quotas });
    const store = createScheduleFireStore({ invocations: api.invocations, chains, taskQueues, audit: api.audit });
    for (const target of [{ kind: 'function' as const, name: 'sched-add', version: 'latest' as const }, { kind: 'chain' as const, name: 'one', version: 'latest' as const }]) {
      const fire: ScheduleFireInput = {
        schedule: { namespace, name: `idem-${target.kind}` }, target, payload: { value: 1 }, timing: { every: '1h', overlap: 'skip' },
        by: { keyId: 'key_0', keyName: 'test' }, controlTaskQueue: taskQueues.control,
      };
      const fireId = `idem-${target.kind}-2026-12-06T12:00:00Z`;
      const first = await store.admit({ fire, fireId });
      const again = await store.admit({ fire, fireId });
      expect(again.invocationId, target.kind).toBe(first.invocationId);
      // The same run input (its acceptance time aside: the retry's is the row's).
      const inputOf = (run: typeof first) => ({ ...run.args[0], acceptedAt: undefined });
      expect(inputOf(again), target.kind).toEqual(inputOf(first));
      const other = await store.admit({ fire, fireId: `${fireId}x` });
      expect(other.invocationId, target.kind).not.toBe(first.invocationId);
    }
    expect((await stack.client.invocations.list.query({ namespace })).items).toHaveLength(2);
    expect(await stack.client.chains.invocations.query({ namespace })).toHaveLength(2);
  });

  it('the fires of this file (a function\'s, a chain\'s, failed ones) replay against today\'s code', async () => {
    const closed: string[] = [];
    const query = `WorkflowType = 'fireSchedule' AND TaskQueue = '${stack.config.temporal.taskQueue}-data' AND ExecutionStatus != 'Running'`;
    for await (const w of stack.api.temporal.workflow.list({ query })) closed.push(w.workflowId);
    expect(closed.some((id) => id.includes('.chained-'))).toBe(true);
    expect(closed.some((id) => id.includes('.over-'))).toBe(true);
    const bundle = await workflowBundle();
    for (const id of closed) {
      const history = await stack.api.temporal.workflow.getHandle(id).fetchHistory();
      await Worker.runReplayHistory({ workflowBundle: bundle, dataConverter: dataConverterFor(stack.api.payloadCodec) }, history);
    }
    // RECORD_HISTORIES=1: keep one of each kind, decoded by the api's codec endpoint, for
    // test/integration/workflows/fire-schedule.replay.test.ts (later code must replay them).
    if (process.env.RECORD_HISTORIES !== '1') return;
    for (const [kind, token] of [['function', '.noon-paris-'], ['chain', '.chained-'], ['refused', '.over-']] as const) {
      const id = closed.find((c) => c.includes(token))!;
      // Not execFileSync: the codec endpoint it calls is served by this very process.
      const { stdout: json } = await execFileAsync(findTemporalCli(join(process.cwd(), '.caisson')), [
        'workflow', 'show', '--workflow-id', id, '--address', stack.config.temporal.address, '--output', 'json',
        '--codec-endpoint', `${stack.api.url}/codec`, '--codec-auth', `Bearer ${stack.adminKey}`,
      ], { encoding: 'utf8' });
      await writeFile(join(process.cwd(), 'test', 'fixtures', 'histories', `fire-schedule-${kind}.json`), json);
    }
  });

  it('the CLI: create, ls with next run times, get, trigger, rm; a bad interval names the flag\'s field', async () => {
    const home = mkdtempSync(join(stack.config.home, 'cli-'));
    const cli = (args: string[]) => runCli(['schedule', ...args], { apiUrl: stack.api.url, home, apiKey: stack.adminKey });
    const created = await cli(['create', 'cli-sched', '--function', 'sched-hello', '--payload', '{"name":"cli"}', '--cron', '15 3 * * *', '--overlap', 'buffer-one', '--catchup-window', '1h']);
    expect(created.code, created.text).toBe(0);
    expect(created.out).toMatchObject({ name: 'cli-sched', cron: '15 3 * * *', overlap: 'buffer-one', catchupWindow: '1h', payload: { name: 'cli' } });
    const listed = await waitFor('cli-sched in ls', async () => {
      const r = await cli(['ls']);
      return (r.out as Array<{ name: string; nextRunTimes: string[] }>).find((s) => s.name === 'cli-sched');
    });
    expect(listed.nextRunTimes[0]).toMatch(/T03:15:00\.000Z$/);
    const bad = await cli(['create', 'cli-bad', '--function', 'sched-hello', '--every', '5x']);
    expect(bad.code).not.toBe(0);
    expect(bad.text).toContain('every');
    const trig = await cli(['trigger', 'cli-sched']);
    expect(trig.code, trig.text).toBe(0);
    expect((await cli(['rm', 'cli-sched'])).code).toBe(0);
    expect((await cli(['get', 'cli-sched'])).code).not.toBe(0);
  });
});
