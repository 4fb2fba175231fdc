// One process's exposition: Caisson's registry followed by the Temporal SDK's metrics.
import type { Metrics } from './metrics.js';
import { temporalMetricsText } from './temporal-metrics.js';

export async function metricsText(metrics: Metrics): Promise<{ contentType: string; body: string }> {
  const [own, sdk] = await Promise.all([metrics.registry.metrics(), temporalMetricsText()]);
  return { contentType: metrics.registry.contentType, body: sdk ? `${own}\n${sdk}` : own };
}
