// How a Caisson schedule becomes a Temporal schedule: its spec, its action (a fireSchedule
// workflow carrying what to run), its policies; the checks a schedule passes before Temporal
// sees it; Temporal's errors as Caisson's.
import type { ScheduleOptionsStartWorkflowAction, ScheduleSpec } from '@temporalio/client';
import { ScheduleAlreadyRunning, ScheduleNotFoundError } from '@temporalio/client';
import type { Repositories } from '../../db/index.js';
import { ConflictError, LimitExceededError, NotFoundError, ValidationError } from '../../shared/errors.js';
import { parseDuration, type ScheduleFireInput, type ScheduleTiming } from '../../shared/schedule.js';
import { CaissonNamespace, CaissonSchedule } from '../../temporal/search-attributes.js';
import { fireSchedule } from '../workflow-refs.js';

const OVERLAP_POLICY = { 'skip': 'SKIP', 'buffer-one': 'BUFFER_ONE', 'allow-all': 'ALLOW_ALL' } as const;

/** The Temporal spec of a timing (the api validated its fields). */
export function specOf(timing: ScheduleTiming): ScheduleSpec {
  if (timing.cron) return { cronExpressions: [timing.cron], ...(timing.timezone ? { timezone: timing.timezone } : {}) };
  return { intervals: [{ every: parseDuration(timing.every!)! }] };
}

/** Throws unless the target exists in the namespace (at that version), the payload fits and the timing is whole. */
export async function checkSchedule(
  deps: { db: Pick<Repositories, 'functions' | 'chains'>; payloadBytes: number },
  namespace: string, fire: Pick<ScheduleFireInput, 'target' | 'payload' | 'timing'>,
): Promise<void> {
  const { target, timing } = fire;
  if (!timing.cron === !timing.every) throw new ValidationError('give cron or every (one of them)', timing.cron ? 'every' : 'cron');
  if (timing.timezone && !timing.cron) throw new ValidationError('timezone applies to a cron schedule only', 'timezone');
  const bytes = Buffer.byteLength(JSON.stringify(fire.payload ?? null));
  if (bytes > deps.payloadBytes) throw new LimitExceededError('payload', bytes, deps.payloadBytes);
  try {
    if (target.kind === 'function') await deps.db.functions.getVersionSpec(namespace, target.name, target.version);
    else await deps.db.chains.getVersion(namespace, target.name, target.version);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    const which = target.version === 'latest' ? '' : ` version ${target.version}`;
    throw new ValidationError(`${target.kind} '${target.name}'${which} does not exist in namespace '${namespace}'`, 'target');
  }
}

/** The fireSchedule start the schedule makes at each fire, on the data task queue. */
export function actionOf(fire: ScheduleFireInput, scheduleId: string, taskQueue: string): ScheduleOptionsStartWorkflowAction<never> {
  return {
    type: 'startWorkflow', workflowType: fireSchedule.name, taskQueue,
    // Temporal appends the fire's time: `<schedule id>-<time>` names each fire.
    workflowId: scheduleId, args: [fire] as never,
    typedSearchAttributes: [{ key: CaissonNamespace, value: fire.schedule.namespace }, { key: CaissonSchedule, value: fire.schedule.name }],
    staticSummary: `schedule ${fire.schedule.namespace}/${fire.schedule.name} → ${fire.target.kind} ${fire.target.name}`,
  };
}

export function policiesOf(timing: ScheduleTiming) {
  return { overlap: OVERLAP_POLICY[timing.overlap], ...(timing.catchupWindow ? { catchupWindow: parseDuration(timing.catchupWindow)! } : {}) };
}

/** Temporal's errors as Caisson's, naming the schedule. */
export function mapScheduleError(err: unknown, namespace: string, name: string): never {
  if (err instanceof ScheduleNotFoundError) throw new NotFoundError('schedule', `${namespace}/${name}`);
  if (err instanceof ScheduleAlreadyRunning) throw new ConflictError(`schedule '${name}' already exists in namespace '${namespace}'`);
  // A spec our checks passed but the server refused (gRPC INVALID_ARGUMENT).
  if ((err as { cause?: { code?: number } })?.cause?.code === 3) throw new ValidationError(`Temporal refused the schedule: ${(err as Error).message}`, 'cron');
  throw err;
}

/** An update's timing: the fields it gives replace the schedule's; `cron` drops `every` and the other way round. */
export function mergeTiming(previous: ScheduleTiming, req: Partial<ScheduleTiming>): ScheduleTiming {
  return {
    ...previous,
    ...(req.cron !== undefined ? { cron: req.cron, every: undefined } : {}),
    ...(req.every !== undefined ? { every: req.every, cron: undefined, timezone: undefined } : {}),
    ...(req.timezone !== undefined ? { timezone: req.timezone } : {}),
    ...(req.overlap !== undefined ? { overlap: req.overlap } : {}),
    ...(req.catchupWindow !== undefined ? { catchupWindow: req.catchupWindow } : {}),
  };
}
