// A chain's step hand-overs read from its children's workflow histories (server event times):
// from step N's executeWithTimeout completing to step N+1's starting, and the stretches between:
//   result_task   N's activity completed → N's workflow task that took the result completed
//   input_arrives → N+1's input arrived (its stepInput signal, or its start without hand-over)
//   start_task    → N+1's workflow task that scheduled executeWithTimeout completed
//   dispatch      → that activity started on a worker
// A step whose container the step before started with its input (startedEarly; see
// src/activities/chain-prefetch.ts) ran its function from the step before's success on: its
// "hand-over" is then how long its workflow took to catch up with that container, off the path
// of the chain (its execute activity only waits for the run).
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { childWorkflowId } from '../../src/shared/chain-ids.js';

type Event = temporal.api.history.v1.IHistoryEvent;
const EXECUTE = 'executeWithTimeout';

export interface HandOver {
  total: number;
  result_task: number;
  input_arrives: number;
  start_task: number;
  dispatch: number;
  /** The next step's container was started by the step before (its workflow created none). */
  startedEarly: boolean;
}

interface StepTimes {
  /** When its input arrived: the first stepInput signal, else the workflow's start. */
  input: number;
  scheduled: number;
  /** The workflow task whose completion scheduled executeWithTimeout. */
  scheduledByTask: number;
  started: number;
  completed: number;
  /** The first workflow task completed after executeWithTimeout completed. */
  resultTask: number;
  /** No container was created by the workflow (no local activity): the step before started it. */
  startedEarly: boolean;
}

const executes = (events: Event[]) => new Set(events
  .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === EXECUTE).map((e) => Number(e.eventId)));
const at = (e: Event) => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

function stepTimes(events: Event[]): StepTimes {
  // The attempt that succeeded: the last completed executeWithTimeout (an earlier one may have failed).
  const completed = events.findLast((e) => e.activityTaskCompletedEventAttributes
    && executes(events).has(Number(e.activityTaskCompletedEventAttributes.scheduledEventId)));
  if (!completed) throw new Error('no completed executeWithTimeout in the history (did the step run warm?)');
  const sid = Number(completed.activityTaskCompletedEventAttributes!.scheduledEventId);
  const scheduled = events.find((e) => Number(e.eventId) === sid)!;
  const byTask = Number(scheduled.activityTaskScheduledEventAttributes!.workflowTaskCompletedEventId);
  const started = events.find((e) => Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === sid)!;
  const signal = events.find((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'stepInput');
  const resultTask = events.find((e) => Number(e.eventId) > Number(completed.eventId) && e.workflowTaskCompletedEventAttributes);
  return {
    input: at(signal ?? events[0]!), scheduled: at(scheduled), scheduledByTask: at(events.find((e) => Number(e.eventId) === byTask)!),
    started: at(started), completed: at(completed), resultTask: at(resultTask!),
    startedEarly: !events.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity'),
  };
}

/** The hand-overs between consecutive steps of one finished chain of function steps. */
export async function chainHandOvers(temporal: Client, chainInvocationId: string, steps: string[]): Promise<HandOver[]> {
  const times = await Promise.all(steps.map(async (step) => {
    const history = await temporal.workflow.getHandle(childWorkflowId(chainInvocationId, step)).fetchHistory();
    return stepTimes(history.events ?? []);
  }));
  return times.slice(1).map((next, i) => {
    const prev = times[i]!;
    return {
      total: next.started - prev.completed,
      result_task: prev.resultTask - prev.completed,
      input_arrives: next.input - prev.resultTask,
      start_task: next.scheduledByTask - next.input,
      dispatch: next.started - next.scheduledByTask,
      startedEarly: next.startedEarly,
    };
  });
}
