// A worker's metrics port (CAISSON_METRICS_PORT, on 127.0.0.1 unless CAISSON_METRICS_HOST says
// otherwise): GET /metrics only. With CAISSON_METRICS_TOKEN set it asks for that Bearer token;
// without, the bind address is the boundary (loopback by default).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearerMatches } from './metrics-auth.js';
import type { Metrics } from './metrics.js';
import { metricsText } from './metrics-text.js';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(opts: { metrics: Metrics; host: string; port: number; token: string | undefined }): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    if (opts.token && !bearerMatches(req.headers.authorization, opts.token)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('the metrics token is required (Authorization: Bearer <CAISSON_METRICS_TOKEN>)\n');
      return;
    }
    metricsText(opts.metrics).then(({ contentType, body }) => {
      res.writeHead(200, { 'content-type': contentType }).end(body);
    }, () => res.writeHead(500).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
