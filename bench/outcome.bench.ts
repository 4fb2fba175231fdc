// What showing outcomes costs (README "In the Web UI"): sync invokes of a warm success and of
// a cold failure (one attempt, so one recordFailedAttempt activity), interleaved, through the
// tRPC api in this process. Compare two runs of different code, not these numbers with others.
// From each failure's history also: how long recordFailedAttempt took (scheduled → failed), and
// how much later it ended than the dead letter and record it overlaps (what the answer waits).
//   npx tsx bench/outcome.bench.ts [--n 60] [--out FILE]
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { temporal } from '@temporalio/proto';
import { packCode } from '../src/cli/code-package.js';
import { startBenchStack } from './lib/bench-stack.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '60' }, out: { type: 'string' } } });
const n = Number(values.n);
const stack = await startBenchStack();
try {
  const { client } = stack;
  await client.functions.create.mutate({ name: 'ok', runtime: 'python', ...(await packCode('examples/hello-python')) });
  await client.functions.create.mutate({
    name: 'fails', runtime: 'python', warm: { isolation: 'fresh' }, ...(await packCode('test/fixtures/functions/py-failures')),
  });
  const failedIds: string[] = [];
  const timed = async (fn: string, payload: unknown, status: string) => {
    const t0 = performance.now();
    const v = await client.invocations.invoke.mutate({ function: fn, payload });
    if (v.status !== status) throw new Error(`${fn}: ${v.status}`);
    if (status === 'FAILED') failedIds.push(v.id);
    return performance.now() - t0;
  };
  for (let i = 0; i < 10; i++) await timed('ok', { name: 'warm-up' }, 'SUCCEEDED');
  await timed('fails', { mode: 'flaky', succeedOn: 99 }, 'FAILED');
  const warm: number[] = [];
  const failed: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 3; j++) warm.push(await timed('ok', { name: 'Ada' }, 'SUCCEEDED'));
    if (i % 2 === 0) failed.push(await timed('fails', { mode: 'flaky', succeedOn: 99 }, 'FAILED'));
  }
  const shown = await Promise.all(failedIds.map(async (id) => failedAttemptTimes((await stack.api.temporal.workflow.getHandle(id).fetchHistory()).events ?? [])));
  const result = {
    n, warm_success_invoke: summarize(warm), cold_failed_invoke: summarize(failed),
    record_failed_attempt: summarize(shown.flatMap((t) => (t ? [t.took] : []))),
    record_failed_attempt_after_records: summarize(shown.flatMap((t) => (t ? [t.after] : []))),
  };
  console.log(JSON.stringify(result, null, 2));
  if (values.out) await writeFile(values.out, JSON.stringify(result, null, 2));
} finally {
  await stack.stop();
}

/** recordFailedAttempt's duration, and how long after the last control activity it ended (0 if before). */
function failedAttemptTimes(events: temporal.api.history.v1.IHistoryEvent[]): { took: number; after: number } | undefined {
  const ms = (e: temporal.api.history.v1.IHistoryEvent) => Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6);
  const byId = new Map(events.map((e) => [String(e.eventId), e]));
  const nameOf = (scheduledId: unknown) => byId.get(String(scheduledId))?.activityTaskScheduledEventAttributes?.activityType?.name;
  const failed = events.find((e) => e.activityTaskFailedEventAttributes && nameOf(e.activityTaskFailedEventAttributes.scheduledEventId) === 'recordFailedAttempt');
  if (!failed) return undefined;
  const scheduled = byId.get(String(failed.activityTaskFailedEventAttributes!.scheduledEventId))!;
  const records = events.filter((e) => e.activityTaskCompletedEventAttributes && nameOf(e.activityTaskCompletedEventAttributes.scheduledEventId)?.startsWith('record'));
  const lastRecord = Math.max(...records.map(ms));
  return { took: ms(failed) - ms(scheduled), after: Math.max(0, ms(failed) - lastRecord) };
}
