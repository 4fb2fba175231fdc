// schedules.*: create, update, delete, pause, resume (role deploy: admin, developer); trigger
// (role invoke: it runs the target now); get and list (readInvocations: readers and invokers
// see their namespace's schedules). A schedule is named within its namespace; a key of
// another namespace is refused (FORBIDDEN) before anything is read.
import { z } from 'zod';
import { NamespaceSchema } from '../schemas.js';
import { inNamespace, procedure } from '../procedures.js';
import { router } from '../trpc.js';
import {
  CatchupWindowSchema, CronSchema, EverySchema, OverlapSchema, ScheduleNameSchema, ScheduleTargetSchema, TimezoneSchema,
} from '../../shared/schedule.js';
import type { Access } from '../auth/access.js';

const ScheduleRefInput = z.object({ namespace: NamespaceSchema, name: ScheduleNameSchema });
const TimingFields = {
  cron: CronSchema.optional(),
  timezone: TimezoneSchema.optional(),
  every: EverySchema.optional(),
  catchupWindow: CatchupWindowSchema.optional(),
};

/** cron or every, one of them; timezone only with cron: each refusal names its field. */
function timingRules(v: { cron?: string; every?: string; timezone?: string }, ctx: z.RefinementCtx, creating: boolean) {
  if (v.cron !== undefined && v.every !== undefined) ctx.addIssue({ code: 'custom', path: ['every'], message: 'give cron or every, not both' });
  if (creating && v.cron === undefined && v.every === undefined) ctx.addIssue({ code: 'custom', path: ['cron'], message: 'give cron (with an optional timezone) or every' });
  if (v.timezone !== undefined && v.every !== undefined) ctx.addIssue({ code: 'custom', path: ['timezone'], message: 'timezone applies to a cron schedule only' });
}

const CreateScheduleInput = ScheduleRefInput.extend({
  target: ScheduleTargetSchema,
  payload: z.unknown().default(null),
  ...TimingFields,
  overlap: OverlapSchema.default('skip'),
  paused: z.boolean().default(false),
  note: z.string().max(500).optional(),
}).superRefine((v, ctx) => timingRules(v, ctx, true));

const UpdateScheduleInput = ScheduleRefInput.extend({
  target: ScheduleTargetSchema.optional(),
  payload: z.unknown().optional(),
  ...TimingFields,
  overlap: OverlapSchema.optional(),
}).superRefine((v, ctx) => timingRules(v, ctx, false));

const NoteInput = ScheduleRefInput.extend({ note: z.string().max(500).optional() });

const actor = (access: Access) => ({ keyId: access.key.id, keyName: access.key.name });

export const schedulesRouter = router({
  create: procedure('deploy').input(CreateScheduleInput).use(inNamespace)
    .mutation(({ ctx, input }) => ctx.schedules.create(input, actor(ctx.access))),
  update: procedure('deploy').input(UpdateScheduleInput).use(inNamespace)
    .mutation(({ ctx, input }) => ctx.schedules.update(input, actor(ctx.access))),
  delete: procedure('deploy').input(ScheduleRefInput).use(inNamespace)
    .mutation(({ ctx, input }) => ctx.schedules.delete(input.namespace, input.name)),
  pause: procedure('deploy').input(NoteInput).use(inNamespace)
    .mutation(({ ctx, input }) => ctx.schedules.pause(input.namespace, input.name, input.note)),
  resume: procedure('deploy').input(NoteInput).use(inNamespace)
    .mutation(({ ctx, input }) => ctx.schedules.resume(input.namespace, input.name, input.note)),
  trigger: procedure('invoke').input(ScheduleRefInput).use(inNamespace)
    .mutation(({ ctx, input }) => ctx.schedules.trigger(input.namespace, input.name)),
  get: procedure('readInvocations').input(ScheduleRefInput).use(inNamespace)
    .query(({ ctx, input }) => ctx.schedules.get(input.namespace, input.name)),
  list: procedure('readInvocations').input(z.object({ namespace: NamespaceSchema })).use(inNamespace)
    .query(({ ctx, input }) => ctx.schedules.list(input.namespace)),
});
