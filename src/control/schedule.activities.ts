// The control activity of a schedule's fire (fire-schedule.workflow.ts): runs in the api process
// (control task queue), which admits the invocation through the same path as any other call
// and writes its PENDING row. The store comes in as a dependency (api/services/schedule-fire.ts).
import type { ScheduleFireInput, ScheduledRun } from '../shared/schedule.js';
import { typedActivities } from '../activities/to-failure.js';

export interface ScheduleFireStore {
  /**
   * Admits one fire as an invocation and answers the run to start. `fireId` (the fire
   * workflow's id, one per fire) makes a retried activity answer the same invocation.
   */
  admit(request: { fire: ScheduleFireInput; fireId: string }): Promise<ScheduledRun>;
}

export function createScheduleActivities(store: ScheduleFireStore) {
  return typedActivities({
    admitScheduledRun: (request: { fire: ScheduleFireInput; fireId: string }) => store.admit(request),
  });
}

export type ScheduleActivities = ReturnType<typeof createScheduleActivities>;
