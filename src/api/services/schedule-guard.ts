// Deleting a function or chain that a schedule starts is refused (CONFLICT, naming the
// schedules): deleting the schedules with it would silently drop work someone planned, and
// leaving them would make every later fire fail. Remove the schedules first.
import { ConflictError } from '../../shared/errors.js';
import type { ScheduleService } from './schedule.service.js';

export async function refuseIfScheduled(
  schedules: Pick<ScheduleService, 'targeting'>,
  target: { namespace: string; kind: 'function' | 'chain'; name: string },
): Promise<void> {
  const names = await schedules.targeting(target.namespace, target);
  if (names.length === 0) return;
  throw new ConflictError(`${target.kind} '${target.name}' is started by schedule(s) ${names.map((n) => `'${n}'`).join(', ')} in namespace '${target.namespace}': remove them first (caisson schedule rm NAME)`);
}
