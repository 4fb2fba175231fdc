// Schedules on Temporal Schedules: create, read, list (with next run times), pause, resume,
// trigger, update, delete. Temporal holds every schedule (it fires them, survives restarts and
// shows them on the Web UI's Schedules page); Caisson keeps no copy. What a schedule runs and
// how it was written live in its action's argument (ScheduleFireInput), which an update
// rewrites. Each fire is the fireSchedule workflow (fire-schedule.workflow.ts).
import type { Client, ScheduleDescription, ScheduleOptionsStartWorkflowAction, ScheduleUpdateOptions } from '@temporalio/client';
import type { Repositories } from '../../db/index.js';
import { NotFoundError } from '../../shared/errors.js';
import type { TaskQueues } from '../../shared/invocation.js';
import {
  scheduleIdOf, scheduleIdPrefix,
  type ScheduleActor, type ScheduleFireInput, type ScheduleOverlap, type ScheduleTarget, type ScheduleTiming,
} from '../../shared/schedule.js';
import { CaissonNamespace, CaissonSchedule } from '../../temporal/search-attributes.js';
import { actionOf, checkSchedule, mapScheduleError, mergeTiming, policiesOf, specOf } from './schedule-spec.js';

export interface ScheduleServiceDeps {
  db: Pick<Repositories, 'functions' | 'chains'>;
  temporal: Client;
  taskQueues: TaskQueues;
  /** The installation's task-queue base: schedule ids start with it (scheduleIdOf). */
  idBase: string;
  /** A schedule's payload travels in its action (Temporal history) at every fire: at most this many bytes. */
  payloadBytes: number;
}

export interface CreateScheduleRequest extends Partial<Omit<ScheduleTiming, 'overlap'>> {
  namespace: string;
  name: string;
  target: ScheduleTarget;
  payload: unknown;
  overlap: ScheduleOverlap;
  paused?: boolean;
  note?: string;
}

/** Fields given replace the schedule's; `cron` drops `every` and the other way round. */
export type UpdateScheduleRequest = Partial<Omit<CreateScheduleRequest, 'paused' | 'note'>> & { namespace: string; name: string };

export interface ScheduleView {
  namespace: string;
  name: string;
  target: ScheduleTarget;
  payload: unknown;
  cron: string | null;
  timezone: string | null;
  every: string | null;
  overlap: ScheduleOverlap;
  catchupWindow: string | null;
  paused: boolean;
  note: string | null;
  nextRunTimes: string[];
  /** The latest fires: when each was due, when it started, and its fire workflow's id. */
  recentRuns: Array<{ scheduledAt: string; startedAt: string; fireId: string }>;
  /** Fires running now (their invocations not ended). */
  running: number;
  fires: number;
  createdAt: string;
  updatedAt: string | null;
  /** The key that created or last changed it: each fire is audited under it. */
  by: string;
}

export function createScheduleService(deps: ScheduleServiceDeps) {
  const { temporal, taskQueues, idBase } = deps;
  const idOf = (namespace: string, name: string) => scheduleIdOf(idBase, namespace, name);

  async function create(req: CreateScheduleRequest, by: ScheduleActor): Promise<ScheduleView> {
    const timing: ScheduleTiming = { cron: req.cron, timezone: req.timezone, every: req.every, overlap: req.overlap, catchupWindow: req.catchupWindow };
    const fire: ScheduleFireInput = {
      schedule: { namespace: req.namespace, name: req.name }, target: req.target, payload: req.payload ?? null,
      timing: dropUndefined(timing), by, controlTaskQueue: taskQueues.control,
    };
    await checkSchedule(deps, req.namespace, fire);
    const scheduleId = idOf(req.namespace, req.name);
    await temporal.schedule.create({
      scheduleId, spec: specOf(timing), action: actionOf(fire, scheduleId, taskQueues.data), policies: policiesOf(timing),
      state: { paused: req.paused ?? false, ...(req.note ? { note: req.note } : {}) },
      typedSearchAttributes: [{ key: CaissonNamespace, value: req.namespace }, { key: CaissonSchedule, value: req.name }],
    }).catch((err: unknown) => mapScheduleError(err, req.namespace, req.name));
    return get(req.namespace, req.name);
  }

  async function describe(namespace: string, name: string): Promise<{ description: ScheduleDescription; fire: ScheduleFireInput }> {
    const description = await temporal.schedule.getHandle(idOf(namespace, name)).describe().catch((err: unknown) => mapScheduleError(err, namespace, name));
    const fire = description.action.args?.[0] as ScheduleFireInput | undefined;
    // Only a schedule this installation wrote for this namespace is one (the id says so; the input confirms it).
    if (!fire?.schedule || fire.schedule.namespace !== namespace || fire.schedule.name !== name) throw new NotFoundError('schedule', `${namespace}/${name}`);
    return { description, fire };
  }

  async function get(namespace: string, name: string): Promise<ScheduleView> {
    const { description, fire } = await describe(namespace, name);
    return viewOf(description, fire);
  }

  /** The namespace's schedules by name. Listing reads Temporal's visibility store: a schedule created a moment ago may show a little later. */
  async function list(namespace: string): Promise<ScheduleView[]> {
    const prefix = scheduleIdPrefix(idBase, namespace);
    const names: string[] = [];
    for await (const summary of temporal.schedule.list()) {
      if (summary.scheduleId.startsWith(prefix)) names.push(summary.scheduleId.slice(prefix.length));
    }
    const views = await Promise.all(names.map((name) => get(namespace, name).catch((err: unknown) => {
      if (err instanceof NotFoundError) return null; // deleted since the listing
      throw err;
    })));
    return views.filter((v): v is ScheduleView => v !== null).sort((a, b) => a.name.localeCompare(b.name));
  }

  async function update(req: UpdateScheduleRequest, by: ScheduleActor): Promise<ScheduleView> {
    const { fire: previous } = await describe(req.namespace, req.name);
    const timing = mergeTiming(previous.timing, req);
    const fire: ScheduleFireInput = {
      ...previous, target: req.target ?? previous.target, payload: req.payload !== undefined ? req.payload : previous.payload,
      timing: dropUndefined(timing), by, controlTaskQueue: taskQueues.control,
    };
    await checkSchedule(deps, req.namespace, fire);
    const scheduleId = idOf(req.namespace, req.name);
    await temporal.schedule.getHandle(scheduleId).update((prev): ScheduleUpdateOptions<ScheduleOptionsStartWorkflowAction<never>> => ({
      spec: specOf(fire.timing), action: actionOf(fire, scheduleId, taskQueues.data), policies: policiesOf(fire.timing), state: prev.state,
    })).catch((err: unknown) => mapScheduleError(err, req.namespace, req.name));
    return get(req.namespace, req.name);
  }

  /** Runs the handle's operation on an existing schedule of this namespace. */
  async function act(namespace: string, name: string, op: (h: ReturnType<Client['schedule']['getHandle']>) => Promise<void>) {
    await describe(namespace, name);
    await op(temporal.schedule.getHandle(idOf(namespace, name))).catch((err: unknown) => mapScheduleError(err, namespace, name));
  }

  return {
    create, get, list, update,
    pause: async (namespace: string, name: string, note?: string) => act(namespace, name, (h) => h.pause(note ?? 'paused')).then(() => get(namespace, name)),
    resume: async (namespace: string, name: string, note?: string) => act(namespace, name, (h) => h.unpause(note ?? 'resumed')).then(() => get(namespace, name)),
    /** Fires now, whatever the overlap policy (a fire already running is not waited for). */
    trigger: async (namespace: string, name: string) => {
      await act(namespace, name, (h) => h.trigger('ALLOW_ALL'));
      return { triggered: true as const, name };
    },
    delete: async (namespace: string, name: string) => {
      await act(namespace, name, (h) => h.delete());
      return { deleted: true as const, name };
    },
    /** The names of the namespace's schedules that start this function or chain. */
    async targeting(namespace: string, target: Pick<ScheduleTarget, 'kind' | 'name'>): Promise<string[]> {
      return (await list(namespace)).filter((s) => s.target.kind === target.kind && s.target.name === target.name).map((s) => s.name);
    },
  };
}

export type ScheduleService = ReturnType<typeof createScheduleService>;

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function viewOf(d: ScheduleDescription, fire: ScheduleFireInput): ScheduleView {
  const { timing } = fire;
  return {
    namespace: fire.schedule.namespace, name: fire.schedule.name, target: fire.target, payload: fire.payload,
    cron: timing.cron ?? null, timezone: timing.timezone ?? null, every: timing.every ?? null,
    overlap: timing.overlap, catchupWindow: timing.catchupWindow ?? null,
    paused: d.state.paused, note: d.state.note ?? null,
    nextRunTimes: d.info.nextActionTimes.map((t) => t.toISOString()),
    recentRuns: d.info.recentActions.map((a) => ({ scheduledAt: a.scheduledAt.toISOString(), startedAt: a.takenAt.toISOString(), fireId: a.action.workflow.workflowId })),
    running: d.info.runningActions.length,
    fires: d.info.numActionsTaken,
    createdAt: d.info.createdAt.toISOString(), updatedAt: d.info.lastUpdatedAt?.toISOString() ?? null,
    by: fire.by.keyName,
  };
}
