// The api's HTTP surface: tRPC under /trpc, GET /healthz, and the content store that
// data-plane workers use (they hold no database credentials): GET /artifacts/:sha256,
// GET /blobs/:id, PUT /blobs, PUT /artifacts/:sha256 (build outputs, verified by hash),
// GET /artifacts/live (the live versions and their artifacts: what code caches may keep).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { Repositories } from '../db/index.js';
import type { ApiContext } from './context.js';
import { appRouter } from './routers/_app.js';

export type HealthCheck = () => Promise<unknown>;

export interface HttpServerOptions {
  context: ApiContext;
  db: Repositories;
  checks: Record<string, HealthCheck>;
  maxBodyBytes: number;
  maxBlobBytes: number;
  /** Largest build output accepted by PUT /artifacts/:sha256 (default maxBlobBytes). */
  maxArtifactBytes?: number;
}

export function createApiServer(options: HttpServerOptions): Server {
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    createContext: () => options.context,
    maxBodySize: options.maxBodyBytes,
  });

  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const route = async () => {
      if (path.startsWith('/trpc/')) return trpc(req, res);
      if (path === '/healthz' && req.method === 'GET') return health(res, options.checks);
      if (path === '/artifacts/live' && req.method === 'GET') return sendJson(res, 200, { versions: await options.db.artifacts.liveVersions() });
      const artifact = /^\/artifacts\/([0-9a-f]{64})$/.exec(path);
      if (artifact && req.method === 'GET') return sendBytes(res, await options.db.artifacts.get(artifact[1]!));
      if (artifact && req.method === 'PUT') return putArtifact(req, res, artifact[1]!, options);
      const blob = /^\/blobs\/([A-Za-z0-9_-]{1,80})$/.exec(path);
      if (blob && req.method === 'GET') return sendBytes(res, await options.db.blobs.get(blob[1]!));
      if (path === '/blobs' && req.method === 'PUT') {
        const body = await readBody(req, options.maxBlobBytes);
        if (!body) return sendJson(res, 413, { error: `blob over ${options.maxBlobBytes} bytes` });
        return sendJson(res, 200, { id: await options.db.blobs.put(body) });
      }
      sendJson(res, 404, { error: 'not found' });
    };
    route().catch((err) => {
      console.error('[caisson api]', req.method, path, err);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
    });
  });
}

async function putArtifact(req: IncomingMessage, res: ServerResponse, sha256: string, options: HttpServerOptions): Promise<void> {
  const max = options.maxArtifactBytes ?? options.maxBlobBytes;
  const body = await readBody(req, max);
  if (!body) return sendJson(res, 413, { error: `artifact over ${max} bytes` });
  const actual = createHash('sha256').update(body).digest('hex');
  if (actual !== sha256) return sendJson(res, 400, { error: `the body's sha256 is ${actual}, not ${sha256}` });
  await options.db.artifacts.put(body);
  sendJson(res, 200, { sha256 });
}

async function health(res: ServerResponse, checks: Record<string, HealthCheck>): Promise<void> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        const detail = await withTimeout(check(), 3000);
        return [name, { ok: true, ...(detail && typeof detail === 'object' ? detail : {}) }] as const;
      } catch (err) {
        return [name, { ok: false, error: err instanceof Error ? err.message : String(err) }] as const;
      }
    }),
  );
  const ok = entries.every(([, e]) => e.ok);
  sendJson(res, ok ? 200 : 503, { ok, ...Object.fromEntries(entries) });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);
}

function sendBytes(res: ServerResponse, bytes: Buffer | null): void {
  if (!bytes) return sendJson(res, 404, { error: 'not found' });
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
  res.end(bytes);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
