// HTTP triggers wired once per api process: the /function and /async-function handler, and the
// deliverCallback activity's api side (registered on the control worker).
import { createCallbackActivities } from '../../activities/callback.activities.js';
import type { Principal } from '../auth/authenticator.js';
import type { ApiContext } from '../context.js';
import type { InvocationService } from '../services/invocation.service.js';
import { parseCallbackAllow } from './callback-allow.js';
import { createCallbackDeliverer } from './callback.js';
import { createTriggerHandler } from './handler.js';
import { createTriggerLimits } from './limits.js';

export { isTriggerPath } from './route.js';
export type { TriggerHandler } from './handler.js';

export function createHttpTriggers(deps: {
  context: Pick<ApiContext, 'db' | 'invocations' | 'audit'>;
  /** The plain invocation service (callbacks read invocations, never chains). */
  invocations: Pick<InvocationService, 'get'>;
  authenticate(authorization: string | undefined): Promise<Principal | null>;
  config: { callbackAllow: string; queueWaitMs: number; maxBodyBytes: number };
}) {
  const { context, config } = deps;
  const allow = parseCallbackAllow(config.callbackAllow);
  const limits = createTriggerLimits({ inFlight: (ns, name) => context.db.quotas.inFlightOfFunction(ns, name), queueWaitMs: config.queueWaitMs });
  const handler = createTriggerHandler({ context, authenticate: deps.authenticate, limits, callbackAllow: allow, maxBodyBytes: config.maxBodyBytes });
  const activities = createCallbackActivities(createCallbackDeliverer({ invocations: deps.invocations, db: context.db, allow }));
  return { handler, activities };
}
