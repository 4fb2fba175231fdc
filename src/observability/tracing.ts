// OpenTelemetry traces, one per invocation: the api's HTTP request span, the Temporal client's
// start, the workflow and its activities (@temporalio/interceptors-opentelemetry), and the
// function's container, which gets W3C TRACEPARENT in its environment so its own spans join.
// Exported by OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT. This module and the OpenTelemetry SDK are
// loaded only when that is set (load-tracing.ts imports them dynamically): off costs nothing.
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  OpenTelemetryActivityInboundInterceptor, OpenTelemetryWorkflowClientInterceptor, makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import { routeLabel } from '../api/metrics-endpoint.js';

export interface TracingOptions {
  /** The OTLP/HTTP base URL (traces go to <endpoint>/v1/traces). */
  endpoint: string;
  serviceName: string;
}

export function startTracing(opts: TracingOptions) {
  const resource = new Resource({ 'service.name': opts.serviceName });
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: `${opts.endpoint.replace(/\/$/, '')}/v1/traces` }), { scheduledDelayMillis: 500 });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  // The W3C trace-context propagator and an AsyncLocalStorage context manager, process-wide.
  provider.register();
  const tracer = trace.getTracer('caisson');
  const require = createRequire(import.meta.url);
  return {
    clientInterceptors: [new OpenTelemetryWorkflowClientInterceptor()],
    /** Bundled into the workflow code (bundleWorkflowCode's workflowInterceptorModules). */
    workflowInterceptorModules: [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')],
    activityInterceptors: [(ctx: ConstructorParameters<typeof OpenTelemetryActivityInboundInterceptor>[0]) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx) })],
    /** Workflow spans leave the sandbox through this sink. */
    sinks: { exporter: makeWorkflowExporter(processor, resource) },

    /** Runs one api request inside a server span (continuing a caller's traceparent), ended with its answer. */
    traceRequest(req: IncomingMessage, res: ServerResponse, path: string, run: () => void): void {
      const parent = propagation.extract(context.active(), req.headers);
      const span = tracer.startSpan(`${req.method ?? 'GET'} ${routeLabel(path)}`, {
        kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? '', 'url.path': path },
      }, parent);
      res.once('finish', () => {
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      });
      context.with(trace.setSpan(parent, span), run);
    },

    /** TRACEPARENT (and TRACESTATE) of the active span: the running activity's, for a container's environment. */
    traceEnv(): Record<string, string> {
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      return {
        ...(carrier.traceparent ? { TRACEPARENT: carrier.traceparent } : {}),
        ...(carrier.tracestate ? { TRACESTATE: carrier.tracestate } : {}),
      };
    },

    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

export type Tracing = ReturnType<typeof startTracing>;
