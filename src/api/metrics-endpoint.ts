// GET /metrics on the api: Prometheus text of this process (its registry and the Temporal SDK's).
// Who may read it: a scrape presenting CAISSON_METRICS_TOKEN as its Bearer credential, or an
// admin key of every namespace. Metrics name every namespace's functions, so no namespaced key
// reads them. Also here: the api's request latency, by tRPC procedure.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerMatches } from '../observability/metrics-auth.js';
import type { Metrics } from '../observability/metrics.js';
import { metricsText } from '../observability/metrics-text.js';
import { ALL_NAMESPACES } from '../shared/roles.js';
import type { Principal } from './auth/authenticator.js';
import { appRouter } from './routers/_app.js';

export interface MetricsEndpointOptions {
  metrics: Metrics;
  /** CAISSON_METRICS_TOKEN (undefined: admin keys of every namespace only). */
  token: string | undefined;
}

export async function serveMetrics(req: IncomingMessage, res: ServerResponse, opts: MetricsEndpointOptions & {
  authenticate(authorization: string | undefined): Promise<Principal | null>;
}): Promise<void> {
  const send = (status: number, text: string) => res.writeHead(status, { 'content-type': 'text/plain' }).end(`${text}\n`);
  if (!bearerMatches(req.headers.authorization, opts.token)) {
    const caller = await opts.authenticate(req.headers.authorization);
    if (!caller) return void send(401, 'the metrics token or an admin key of every namespace is required (Authorization: Bearer …)');
    if (caller.kind === 'worker' || caller.role !== 'admin' || caller.namespace !== ALL_NAMESPACES) {
      return void send(403, 'metrics cover every namespace: an admin key of every namespace or the metrics token only');
    }
  }
  const { contentType, body } = await metricsText(opts.metrics);
  res.writeHead(200, { 'content-type': contentType }).end(body);
}

const PROCEDURES = new Set(Object.keys(appRouter._def.procedures));

/** A closed set of labels: a known procedure, `batch`, or the route; anything a client made up is `unknown`. */
export function routeLabel(path: string): string {
  if (path.startsWith('/trpc/')) {
    const names = path.slice('/trpc/'.length).split(',');
    if (names.length > 1) return 'batch';
    return PROCEDURES.has(names[0]!) ? names[0]! : 'unknown';
  }
  const route = /^\/(healthz|metrics|artifacts|blobs|secrets|codec)(\/|$)/.exec(path);
  return route ? `/${route[1]}` : 'unknown';
}

/** Times one request from its arrival to its answer's last byte; called on arrival, it awaits nothing. */
export function observeRequest(metrics: Metrics, res: ServerResponse, path: string): void {
  const end = metrics.apiRequests.startTimer();
  res.once('finish', () => end({ procedure: routeLabel(path), status: String(res.statusCode) }));
}
