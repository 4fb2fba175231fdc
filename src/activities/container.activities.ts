// Data-plane activities: everything that touches the Docker engine, on one worker. The cold
// path (cold.activities.ts: a container started for one attempt), the warm path
// (warm.activities.ts: an attempt in a pooled container) and the chain prefetch
// (chain-prefetch.ts: the next step's container made while this one runs) share one kit
// (container-kit.ts: code dirs, images, container creation, outcomes).
import { createChainPrefetch } from './chain-prefetch.js';
import { createColdActivities } from './cold.activities.js';
import { createContainerKit, type ContainerActivityDeps } from './container-kit.js';
import { typedActivities } from './to-failure.js';
import { createWarmActivities } from './warm.activities.js';

export type { ContainerActivityDeps };

export function createContainerActivities(deps: ContainerActivityDeps) {
  const kit = createContainerKit(deps);
  return typedActivities({
    ...createColdActivities(kit, createChainPrefetch(kit)),
    ...createWarmActivities(kit),
  });
}

export type ContainerActivities = ReturnType<typeof createContainerActivities>;
export type PullImageActivities = Pick<ContainerActivities, 'pullImage'>;
export type WarmActivities = Pick<ContainerActivities, 'executeWarm' | 'awaitWarm' | 'stopWarm' | 'warmEnabled'>;
