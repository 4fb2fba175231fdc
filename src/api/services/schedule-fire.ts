// Each fire of a schedule, admitted in the api process (the control activity of
// fire-schedule.workflow.ts): the same path as invocations.start / chains.start (version
// resolved now, the namespace's quotas, the PENDING row, a new invocation id), without the
// start itself, which the fire workflow makes as its child. Every fire is recorded in the
// audit trail under the key that created or last changed the schedule; one refused by a quota
// fails (not retried) and is recorded with TOO_MANY_REQUESTS.
import type { ScheduleFireStore } from '../../control/schedule.activities.js';
import { AppError } from '../../shared/errors.js';
import { invocationIdForKey } from '../../shared/ids.js';
import type { TaskQueues } from '../../shared/invocation.js';
import type { ScheduledRun } from '../../shared/schedule.js';
import type { AuditLog } from '../audit.js';
import { toTRPCError } from '../errors.js';
import type { ChainService } from './chain.service.js';
import type { InvocationService } from './invocation.service.js';

export function createScheduleFireStore(deps: {
  invocations: Pick<InvocationService, 'accept'>;
  chains: Pick<ChainService, 'acceptRun'>;
  taskQueues: TaskQueues;
  audit: AuditLog;
}): ScheduleFireStore {
  async function admitRun({ fire, fireId }: Parameters<ScheduleFireStore['admit']>[0]): Promise<ScheduledRun> {
    const { namespace } = fire.schedule;
    const { target } = fire;
    // The fire's id as an idempotency key: an activity retried after its row was written
    // answers the same invocation instead of admitting a second one.
    const key = `schedule:${fireId}`;
    if (target.kind === 'chain') {
      const id = await invocationIdForKey(namespace, key);
      const { input, version } = await deps.chains.acceptRun({ namespace, name: target.name, version: target.version, input: fire.payload, id });
      return {
        invocationId: id, workflowType: 'runChain', taskQueue: deps.taskQueues.data, args: [input],
        attributes: { namespace }, staticSummary: `chain ${namespace}/${version.name} v${version.version}`,
      };
    }
    const { invocationId, input } = await deps.invocations.accept({
      namespace, function: target.name, version: target.version, payload: fire.payload, idempotencyKey: key,
    });
    const { spec } = input;
    return {
      invocationId, workflowType: 'invokeFunction', taskQueue: deps.taskQueues.data, args: [input],
      attributes: { namespace, function: spec.name, version: spec.version }, staticSummary: `${namespace}/${spec.name} v${spec.version}`,
    };
  }

  return {
    async admit(request) {
      const { fire } = request;
      const event = { keyId: fire.by.keyId, keyName: fire.by.keyName, namespace: fire.schedule.namespace, action: 'schedule.fire', target: fire.schedule.name };
      try {
        const run = await admitRun(request);
        deps.audit.record({ ...event, outcome: 'ok' });
        return run;
      } catch (err) {
        deps.audit.record({ ...event, outcome: err instanceof AppError ? toTRPCError(err).code : 'INTERNAL_SERVER_ERROR' });
        // A fire over its namespace's quota is dropped, not retried: retrying would hold the
        // schedule (overlap skip) and pile fires onto a namespace that is already full.
        if (err instanceof AppError && err.code === 'QUOTA_EXCEEDED') throw new AppError(err.code, `schedule fire refused: ${err.message}`, false, err.details);
        throw err;
      }
    },
  };
}
