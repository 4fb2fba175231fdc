// Schedules: what a schedule runs and when, as the api validates it and the fire workflow
// receives it. Every field is checked here with a message that names it, so a bad cron,
// interval, timezone or overlap policy is refused before anything reaches Temporal.
import { z } from 'zod';
import type { RunChainInput } from './chain.js';
import type { InvokeFunctionInput } from './invocation.js';

export const SCHEDULE_OVERLAPS = ['skip', 'buffer-one', 'allow-all'] as const;
export type ScheduleOverlap = (typeof SCHEDULE_OVERLAPS)[number];

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+(?:ms|s|m|h|d))+$/;

/** `90s`, `5m`, `1h30m`, `2d` → milliseconds; undefined when it is not such a duration. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return total;
}

const MACROS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);
/** minute, hour, day of month, month, day of week: the range of a plain number in each. */
const CRON_RANGES: Array<[string, number, number]> = [['minute', 0, 59], ['hour', 0, 23], ['day of month', 1, 31], ['month', 1, 12], ['day of week', 0, 7]];
const CRON_FIELD = /^(\*|\?|[0-9]{1,2}(-[0-9]{1,2})?|[A-Za-z]{3}(-[A-Za-z]{3})?)(\/[0-9]{1,2})?(,(\*|[0-9]{1,2}(-[0-9]{1,2})?|[A-Za-z]{3}(-[A-Za-z]{3})?)(\/[0-9]{1,2})?)*$/;

/** Why a cron expression (five fields, or a macro such as @daily) is refused; undefined if it is fine. */
export function cronProblem(expr: string): string | undefined {
  const text = expr.trim();
  if (MACROS.has(text)) return undefined;
  const fields = text.split(/\s+/);
  if (fields.length !== 5) return `a cron expression has 5 fields (minute hour day-of-month month day-of-week) or is a macro like @daily; got ${fields.length} field(s)`;
  for (const [i, field] of fields.entries()) {
    const [name, min, max] = CRON_RANGES[i]!;
    if (!CRON_FIELD.test(field)) return `the ${name} field '${field}' is not a cron field`;
    for (const part of field.split(',')) {
      const [range, step] = part.split('/');
      if (step !== undefined && Number(step) === 0) return `the ${name} field '${field}' has a step of 0`;
      for (const n of (range ?? '').split('-')) {
        if (/^[0-9]+$/.test(n) && (Number(n) < min || Number(n) > max)) return `the ${name} field '${field}' is outside ${min}-${max}`;
      }
    }
  }
  return undefined;
}

/** Whether this runtime knows the IANA time zone (Temporal's server resolves the same names). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const ScheduleNameSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, _ and -, starting with a letter (max 63)');
export const CronSchema = z.string().max(200).superRefine((v, ctx) => {
  const problem = cronProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
export const TimezoneSchema = z.string().min(1).max(64).refine(isTimeZone, 'not a known IANA time zone (e.g. UTC, Europe/Paris)');
/** The least interval a schedule may fire at: Temporal takes whole seconds. */
export const MIN_EVERY_MS = 1000;
export const EverySchema = z.string().max(40).superRefine((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) ctx.addIssue({ code: 'custom', message: 'an interval such as 30s, 5m, 1h or 1h30m' });
  else if (ms < MIN_EVERY_MS || ms % 1000 !== 0) ctx.addIssue({ code: 'custom', message: 'an interval of whole seconds, at least 1s' });
});
/** Temporal refuses a catch-up window under 10 s. */
export const CatchupWindowSchema = z.string().max(40).superRefine((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) ctx.addIssue({ code: 'custom', message: 'a duration such as 10s, 5m or 1h' });
  else if (ms < 10_000) ctx.addIssue({ code: 'custom', message: 'at least 10s (Temporal\'s minimum)' });
});
export const OverlapSchema = z.enum(SCHEDULE_OVERLAPS, { message: `one of ${SCHEDULE_OVERLAPS.join(', ')}` });

/** What a schedule starts: a function or a chain of its namespace, at a version or the latest at each fire. */
export const ScheduleTargetSchema = z.strictObject({
  kind: z.enum(['function', 'chain']),
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'a function or chain name'),
  version: z.union([z.number().int().min(1), z.literal('latest')]).default('latest'),
});
export type ScheduleTarget = z.output<typeof ScheduleTargetSchema>;

/** When and how a schedule fires, as given (kept so `get` answers it as written). */
export interface ScheduleTiming {
  cron?: string;
  timezone?: string;
  every?: string;
  overlap: ScheduleOverlap;
  catchupWindow?: string;
}

/** Who created or last changed the schedule: each fire is recorded in the audit trail under this key. */
export interface ScheduleActor {
  keyId: string;
  keyName: string;
}

/** The fire workflow's input: the schedule action's argument, rewritten by every update. */
export interface ScheduleFireInput {
  schedule: { namespace: string; name: string };
  target: ScheduleTarget;
  payload: unknown;
  timing: ScheduleTiming;
  by: ScheduleActor;
  /** The control task queue, served by the api, whose activity admits and records each fire. */
  controlTaskQueue: string;
}

/** What the admitting activity hands back: the invocation to run as the fire's child workflow. */
export type ScheduledRun = {
  invocationId: string;
  taskQueue: string;
  /** The run's search attributes besides CaissonSchedule (added by the fire workflow). */
  attributes: { namespace: string; function?: string; version?: number };
  staticSummary: string;
} & (
  | { workflowType: 'invokeFunction'; args: [InvokeFunctionInput] }
  | { workflowType: 'runChain'; args: [RunChainInput] }
);

/** What a fire ends with (the fire workflow's result). */
export interface ScheduleFireResult {
  invocationId: string;
  status: 'SUCCEEDED' | 'FAILED';
}

/**
 * The schedule's id in Temporal: the task-queue base (one Caisson installation), the
 * namespace and the name. Neither a namespace nor a name has a dot, so two namespaces may hold
 * the same name and the id's prefix selects one namespace's schedules.
 */
export function scheduleIdOf(base: string, namespace: string, name: string): string {
  return `${scheduleIdPrefix(base, namespace)}${name}`;
}

export function scheduleIdPrefix(base: string, namespace: string): string {
  return `${base}.schedule.${namespace}.`;
}
