// The whole api. Its type, AppRouter, is what the typed client (src/client) is built on.
import { router } from '../trpc.js';
import { chainsRouter } from './chains.router.js';
import { deadLettersRouter } from './dead-letters.router.js';
import { functionsRouter } from './functions.router.js';
import { invocationsRouter } from './invocations.router.js';
import { authRouter, keysRouter } from './keys.router.js';
import { secretsRouter } from './secrets.router.js';
import { auditRouter } from './audit.router.js';
import { namespaceRouter } from './namespace.router.js';
import { schedulesRouter } from './schedule.router.js';
import { metricsRouter } from './metrics.router.js';

export const appRouter = router({
  functions: functionsRouter,
  invocations: invocationsRouter,
  chains: chainsRouter,
  deadLetters: deadLettersRouter,
  keys: keysRouter,
  secrets: secretsRouter,
  auth: authRouter,
  audit: auditRouter,
  namespace: namespaceRouter,
  schedules: schedulesRouter,
  metrics: metricsRouter,
});

export type AppRouter = typeof appRouter;
