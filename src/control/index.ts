// The control plane: the activities that write Caisson's own records (invocation outcomes and
// dead letters, chain steps and outcomes, function versions) and the stores they write
// through. Only the api process runs them (the control task queue), because only it owns the
// database; the data plane (activities/, runtime/) imports nothing of it.
import type { Repositories } from '../db/index.js';
import { createChainActivities } from './chain.activities.js';
import { createChainStore } from './chain.store.js';
import { createControlActivities, type ControlStore } from './invocation.activities.js';
import { createDeployControlActivities } from './version.activities.js';
import { createVersionStore } from './version.store.js';

export { createControlStore } from './invocation.store.js';

/** Every control activity, for the api process's worker on the control task queue. */
export function createControlPlaneActivities(deps: { db: Repositories; limits: { inlineBytes: number }; invocationStore: ControlStore }) {
  return {
    ...createControlActivities(deps.invocationStore),
    ...createChainActivities(createChainStore(deps.db, deps.limits)),
    ...createDeployControlActivities(createVersionStore(deps.db)),
  };
}
