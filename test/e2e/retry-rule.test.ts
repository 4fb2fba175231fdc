// Which invocations retry (README "Retries"): a synchronous invoke runs one attempt unless its
// version's policy was given at deploy or the call asks; asynchronous ones keep the policy.
// And what the Web UI shows of an outcome: a failed activity per failed attempt, and the
// CaissonOutcome / CaissonStart search attributes. Real Temporal, Docker and database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { temporal } from '@temporalio/proto';
import { createDockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { packCode } from '../../src/cli/code-package.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { waitFor } from '../support/containers.js';
import { runCli } from '../support/cli.js';
import { CaissonOutcome, CaissonStart } from '../../src/temporal/search-attributes.js';

const docker = createDockerRuntime({});
let stack: TestStack;
let code: string;

beforeAll(async () => {
  stack = await startTestStack({ name: 'retryrule' });
  code = (await packCode('test/fixtures/functions/py-failures')).code;
  // No retry policy given: the defaults (3 attempts, 1 s then 2 s apart) are stored.
  await stack.client.functions.create.mutate({ name: 'plain', runtime: 'python', code, limits: { timeoutMs: 1500 } });
  // A policy given (one field only): sync invokes retry per it, 3 attempts.
  await stack.client.functions.create.mutate({ name: 'given', runtime: 'python', code, retryPolicy: { initialIntervalMs: 50 } });
});
afterAll(async () => {
  await stack?.stop();
  expect(await docker.listManaged({ 'caisson.worker': stack.workerId })).toEqual([]);
});

const failing = { mode: 'flaky', succeedOn: 99 };
const kinds = (v: { attemptLog: unknown[] }) => (v.attemptLog as { failure?: { kind: string } }[]).map((a) => a.failure?.kind ?? 'ok');

async function events(id: string): Promise<temporal.api.history.v1.IHistoryEvent[]> {
  return (await stack.api.temporal.workflow.getHandle(id).fetchHistory()).events ?? [];
}

describe('retries of synchronous and asynchronous invocations', () => {
  it('a sync invoke of a version without a given policy runs one attempt, and is dead-lettered after it', async () => {
    const v = await stack.client.invocations.invoke.mutate({ function: 'plain', payload: failing });
    expect(v).toMatchObject({ status: 'FAILED', attempts: 1, error: { kind: 'FunctionError', attempts: 1 } });
    const dls = await stack.client.deadLetters.list.query({ function: 'plain' });
    expect(dls.items.map((d) => d.invocationId)).toContain(v.id);
  });

  it('retry: true on the invoke runs the policy (3 attempts); retry: { maxAttempts: 2 } two', async () => {
    const three = await stack.client.invocations.invoke.mutate({ function: 'plain', payload: failing, retry: true });
    expect(kinds(three)).toEqual(['FunctionError', 'FunctionError', 'FunctionError']);
    const two = await stack.client.invocations.invoke.mutate({ function: 'plain', payload: failing, retry: { maxAttempts: 2, initialIntervalMs: 10 } });
    expect(two).toMatchObject({ status: 'FAILED', attempts: 2 });
  });

  it('an asynchronous invocation keeps the default policy: 3 attempts', async () => {
    const { id } = await stack.client.invocations.start.mutate({ function: 'plain', payload: failing });
    const v = await stack.client.invocations.wait.query({ id, waitMs: 30_000 });
    expect(v).toMatchObject({ status: 'FAILED', attempts: 3 });
  });

  it('a version whose policy was given retries sync invokes per it; retry: false runs one attempt', async () => {
    const v = await stack.client.invocations.invoke.mutate({ function: 'given', payload: { mode: 'flaky', succeedOn: 3 } });
    expect(v).toMatchObject({ status: 'SUCCEEDED', attempts: 3 });
    const once = await stack.client.invocations.invoke.mutate({ function: 'given', payload: failing, retry: false });
    expect(once).toMatchObject({ status: 'FAILED', attempts: 1 });
  });

  it('a given policy is inherited by later versions; the stored versions say so', async () => {
    // Other settings (an identical update makes no new version): the policy is not given again.
    await stack.client.functions.update.mutate({ name: 'given', code, limits: { timeoutMs: 2500 } });
    const versions = await stack.client.functions.versions.query({ name: 'given' });
    expect(versions.map((s) => s.retryPolicySet)).toEqual([true, true]);
    const plain = await stack.client.functions.versions.query({ name: 'plain' });
    expect(plain[0]!.retryPolicySet).toBeUndefined();
  });
});

describe('caisson invoke --retry', () => {
  /** The attempts the CLI's --json answer reports (its output when it has none). */
  const attempts = async (fn: string, ...flags: string[]) => {
    const r = await runCli(['invoke', fn, JSON.stringify(failing), ...flags], { apiUrl: stack.api.url, home: stack.config.home, apiKey: stack.adminKey });
    return (r.out as { attempts?: number } | undefined)?.attempts ?? r.text;
  };

  it('no flag: one attempt; --retry 2: two; --no-retry on a version whose policy was given: one', async () => {
    expect(await attempts('plain')).toBe(1);
    expect(await attempts('plain', '--retry', '2')).toBe(2);
    expect(await attempts('given', '--no-retry')).toBe(1);
  });
});

describe('what the Web UI shows of an outcome', () => {
  it('each failed attempt is a failed activity in the history, typed by its failure kind', async () => {
    const v = await stack.client.invocations.invoke.mutate({ function: 'plain', payload: failing, retry: { maxAttempts: 2, initialIntervalMs: 10 } });
    expect(v.attempts).toBe(2);
    const history = await events(v.id);
    const scheduled = new Map(history.flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name === 'recordFailedAttempt' ? [[String(e.eventId), e]] : [])));
    const failed = history.filter((e) => e.activityTaskFailedEventAttributes && scheduled.has(String(e.activityTaskFailedEventAttributes.scheduledEventId)));
    expect(failed.map((e) => e.activityTaskFailedEventAttributes!.failure?.applicationFailureInfo?.type)).toEqual(['FunctionError', 'FunctionError']);
  });

  it('a success runs no such activity', async () => {
    const v = await stack.client.invocations.invoke.mutate({ function: 'plain', payload: { mode: 'echo' } });
    expect(v.status).toBe('SUCCEEDED');
    const names = (await events(v.id)).flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    expect(names).not.toContain('recordFailedAttempt');
  });

  it('CaissonOutcome="FunctionTimeout" finds a timed-out invocation; a warm success has CaissonStart="warm"', async () => {
    const timedOut = await stack.client.invocations.invoke.mutate({ function: 'plain', payload: { mode: 'sleep', seconds: 30 } });
    expect(timedOut.error?.kind).toBe('FunctionTimeout');
    const found = await waitFor('the timed-out run in the list', async () => {
      const ids: string[] = [];
      for await (const w of stack.api.temporal.workflow.list({ query: `CaissonOutcome="FunctionTimeout" AND CaissonFunction="plain"` })) ids.push(w.workflowId);
      return ids.includes(timedOut.id) ? ids : undefined;
    }, 15_000);
    expect(found).toContain(timedOut.id);

    // The warm pool refills after the timeout retired its container: invoke until one runs warm.
    const warm = await waitFor('a warm success', async () => {
      const v = await stack.client.invocations.invoke.mutate({ function: 'plain', payload: { mode: 'echo' } });
      return v.cold === false ? v : undefined;
    }, 20_000, 200);
    const attrs = (await stack.api.temporal.workflow.getHandle(warm.id).describe()).typedSearchAttributes;
    expect([attrs.get(CaissonOutcome), attrs.get(CaissonStart)]).toEqual(['Succeeded', 'warm']);
  });
});
