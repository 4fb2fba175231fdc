// One process's exposition: Caisson's registry followed by the Temporal SDK's metrics. Written
// one metric at a time with a turn of the event loop between them: a registry of many function
// label sets takes tens of milliseconds to format, and invocations must not wait for a scrape.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Metrics } from './metrics.js';
import { temporalMetricsText } from './temporal-metrics.js';

export async function metricsText(metrics: Metrics): Promise<{ contentType: string; body: string }> {
  const sdk = temporalMetricsText();
  const parts: string[] = [];
  for (const metric of metrics.registry.getMetricsAsArray()) {
    parts.push(await metrics.registry.getSingleMetricAsString(metric.name));
    await nextTurn();
  }
  const own = `${parts.join('\n')}\n`;
  const sdkText = await sdk;
  return { contentType: metrics.registry.contentType, body: sdkText ? `${own}\n${sdkText}` : own };
}
