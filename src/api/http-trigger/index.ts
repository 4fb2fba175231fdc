// HTTP triggers wired once per api process: the /function and /async-function handler, and the
// deliverCallback activity's api side (registered on the control worker).
import { createCallbackActivities } from '../../activities/callback.activities.js';
import type { Principal } from '../auth/authenticator.js';
import type { ApiContext } from '../context.js';
import type { InvocationService } from '../services/invocation.service.js';
import { parseCallbackAllow } from './callback-allow.js';
import { createCallbackDeliverer } from './callback.js';
import { createTriggerHandler } from './handler.js';
import { trustedProxies } from './client-address.js';
import { createTriggerLimits } from './limits.js';
import { createTriggerRateLimit, startRateSweep } from './rate-limit.js';

export { isTriggerPath } from './route.js';
export type { TriggerHandler } from './handler.js';

export function createHttpTriggers(deps: {
  context: Pick<ApiContext, 'db' | 'invocations' | 'audit'>;
  /** The plain invocation service (callbacks read invocations, never chains). */
  invocations: Pick<InvocationService, 'get'>;
  authenticate(authorization: string | undefined): Promise<Principal | null>;
  log?: (m: string) => void;
  config: {
    callbackAllow: string; queueWaitMs: number; maxBodyBytes: number;
    /** CAISSON_TRUSTED_PROXIES and CAISSON_TRIGGER_RATE_CLIENTS. */
    trustedProxies: readonly string[]; rateClients: number;
  };
}) {
  const { context, config } = deps;
  const allow = parseCallbackAllow(config.callbackAllow);
  const limits = createTriggerLimits({ inFlight: (ns, name) => context.db.quotas.inFlightOfFunction(ns, name), queueWaitMs: config.queueWaitMs });
  const { triggerRate } = context.db;
  const rate = createTriggerRateLimit({ takeToken: (i) => triggerRate.takeToken(i), sweepFull: (fn) => triggerRate.sweepFull(fn), maxClients: config.rateClients });
  const handler = createTriggerHandler({
    context, authenticate: deps.authenticate, limits, rate, trustedProxies: trustedProxies(config.trustedProxies),
    callbackAllow: allow, maxBodyBytes: config.maxBodyBytes,
  });
  const activities = createCallbackActivities(createCallbackDeliverer({ invocations: deps.invocations, db: context.db, allow }));
  const stopSweep = startRateSweep({ sweepFull: () => triggerRate.sweepFull(), log: deps.log });
  return { handler, activities, stop: stopSweep };
}
