// Tracing is process-wide (one registered tracer provider), like the Temporal runtime: the first
// role of a process that finds OTEL_EXPORTER_OTLP_ENDPOINT configured starts it, the others share
// it. Without the endpoint nothing of OpenTelemetry is imported.
import type { Tracing, TracingOptions } from './tracing.js';

export type { Tracing };

let started: Promise<Tracing> | undefined;

export function processTracing(opts: { endpoint: string | undefined; serviceName: string }): Promise<Tracing | undefined> {
  const { endpoint } = opts;
  if (!endpoint) return Promise.resolve(undefined);
  const options: TracingOptions = { endpoint, serviceName: opts.serviceName };
  started ??= import('./tracing.js').then((m) => m.startTracing(options));
  return started;
}
