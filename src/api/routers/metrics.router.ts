// metrics.summary: this api process's invocation counters, for the dashboard's Metrics page.
// Like GET /metrics, they cover every namespace's functions: only an admin key of every
// namespace reads them; any other key is refused (FORBIDDEN) before anything is read.
import { ForbiddenError, NotFoundError } from '../../shared/errors.js';
import { ALL_NAMESPACES } from '../../shared/roles.js';
import { procedure } from '../procedures.js';
import { summarizeMetrics } from '../services/metrics-summary.js';
import { router } from '../trpc.js';

export const metricsRouter = router({
  /** Invocations by outcome and by cold/warm start, dead letters, duration and queue-wait p50/p95 (seconds). */
  summary: procedure('keys').query(({ ctx }) => {
    if (ctx.principal.kind !== 'key' || ctx.principal.namespace !== ALL_NAMESPACES) {
      throw new ForbiddenError('metrics cover every namespace: an admin key of every namespace only');
    }
    if (!ctx.metrics) throw new NotFoundError('metrics', 'this api process');
    return summarizeMetrics(ctx.metrics);
  }),
});
