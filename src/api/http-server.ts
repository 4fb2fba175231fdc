// The api's HTTP surface: tRPC under /trpc, GET /healthz, and the content store that
// data-plane workers use (they hold no database credentials): GET /artifacts/:sha256,
// GET /blobs/:id, PUT /blobs?invocation=<id> (see putBlob), PUT /artifacts/:sha256 (build outputs, verified by hash),
// GET /artifacts/live (the live versions and their artifacts: what code caches may keep), and
// POST /secrets/resolve (the values of a namespace's secrets, to the worker token only: a
// worker asks when it creates a container that uses them), and POST /deployments/:id/log (a
// running build's output lines, from the worker token: build-log-route.ts).
// Every refusal is a 4xx with a JSON message; tRPC calls are bounded first (request-limits.ts).
// Every request names one of the api's hosts; all but /healthz carry a Bearer key or the
// worker token, and the content store is the worker's (artifacts are content-addressed; a
// blob a worker writes is charged to the namespace of the live invocation it names).
import { createHash } from 'node:crypto';
import { STATUS_CODES, createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { TRPCError } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { z } from 'zod';
import type { Repositories } from '../db/index.js';
import { ALL_NAMESPACES } from '../shared/roles.js';
import { MAX_SECRETS_PER_VERSION, SecretNameSchema } from '../shared/secrets.js';
import { QuotaExceededError } from '../shared/errors.js';
import type { Principal } from './auth/authenticator.js';
import { isBuildLogPath, serveBuildLog } from './build-log-route.js';
import { isCodecPath, serveCodec, type CodecEndpointOptions } from './codec-endpoint.js';
import { LiveLogBatchSchema } from './live-logs.js';
import type { ApiContext } from './context.js';
import type { HostVerdict } from './host-check.js';
import { observeRequest, serveMetrics, type MetricsEndpointOptions } from './metrics-endpoint.js';
import { MAX_BATCH_CALLS, jsonTextProblem, parseUrl, tooLarge, trpcUrlProblem } from './request-limits.js';
import { appRouter } from './routers/_app.js';
import { NamespaceSchema } from './schemas.js';
import { isDashboardPath, serveDashboard, type DashboardOptions } from './ui/dashboard-routes.js';
import { sessionCaller, type SessionVerdict } from './ui/session-caller.js';
import { MissingSecretsError } from './services/secret.service.js';
import { isTriggerPath, type TriggerHandler } from './http-trigger/index.js';

export type HealthCheck = () => Promise<unknown>;

export interface HttpServerOptions {
  context: ApiContext;
  db: Repositories;
  checks: Record<string, HealthCheck>;
  maxBodyBytes: number;
  maxBlobBytes: number;
  /** Largest build output accepted by PUT /artifacts/:sha256 (default maxBlobBytes). */
  maxArtifactBytes?: number;
  /** The caller an Authorization header names (null: none, or not a valid one). */
  authenticate(authorization: string | undefined): Promise<Principal | null>;
  checkHost(host: string | undefined): HostVerdict;
  /** The remote codec endpoint for Temporal's Web UI and CLI (/codec/encode, /codec/decode). */
  codec?: CodecEndpointOptions;
  /** /function/… and /async-function/…: HTTP triggers (they authenticate, or not, for themselves). */
  trigger?: TriggerHandler;
  /** The dashboard at /ui and browser sessions (a cookie in place of the Bearer key; ui/session-caller.ts). */
  dashboard?: DashboardOptions;
  /** PEM certificate chain and key: the api then speaks HTTPS only. */
  tls?: { cert: Buffer; key: Buffer };
  /** GET /metrics and request latencies (metrics-endpoint.ts). */
  metrics?: MetricsEndpointOptions;
  /** Runs each request inside its trace span (observability/tracing.ts; absent: tracing off). */
  traceRequest?: (req: IncomingMessage, res: ServerResponse, path: string, run: () => void) => void;
}

const UNAUTHORIZED = 'a valid api key is required (Authorization: Bearer <key>)';

function retryAfterS(cause: unknown): number | undefined {
  const s = cause instanceof QuotaExceededError ? cause.details?.retryAfterS : undefined;
  return typeof s === 'number' ? s : undefined;
}

/** The content store is the workers': a worker token, or an admin key of every namespace. */
function mayUseContentStore(caller: Principal): boolean {
  return caller.kind === 'worker' || (caller.role === 'admin' && caller.namespace === ALL_NAMESPACES);
}

export function createApiServer(options: HttpServerOptions): Server {
  // The http server authenticates every request once; tRPC's context picks the caller up here.
  const callers = new WeakMap<IncomingMessage, Principal>();
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    createContext: ({ req }) => {
      const principal = callers.get(req);
      if (!principal) throw new TRPCError({ code: 'UNAUTHORIZED', message: UNAUTHORIZED });
      return { ...options.context, principal };
    },
    maxBodySize: options.maxBodyBytes,
    maxBatchSize: MAX_BATCH_CALLS,
    // A quota's 429 says when to try again (the rate quota: when the minute's oldest invocation leaves it).
    responseMeta: ({ errors }) => {
      const retryAfter = errors.map((e) => retryAfterS(e.cause)).find((s) => s !== undefined);
      return retryAfter === undefined ? {} : { headers: { 'Retry-After': String(retryAfter) } };
    },
  });

  /** Bounds checked before tRPC reads anything; the body, read here, is handed to it as text. */
  async function serveTrpc(req: IncomingMessage & { body?: string }, res: ServerResponse, url: URL): Promise<void> {
    const problem = trpcUrlProblem(url);
    if (problem) return sendProblem(res, problem);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const body = await readBody(req, options.maxBodyBytes);
      if (!body) return sendProblem(res, tooLarge(options.maxBodyBytes));
      const text = body.toString('utf8');
      const bad = jsonTextProblem(text, 'the request body');
      if (bad) return sendProblem(res, bad);
      req.body = text;
    }
    return trpc(req, res);
  }

  /** The Bearer key when the request has an Authorization header, else its browser session (if any). */
  async function callerOf(req: IncomingMessage, trustedOrigins: readonly string[] = []): Promise<SessionVerdict | { caller: Principal | null }> {
    const authorization = req.headers.authorization;
    if (authorization !== undefined || !options.dashboard) return { caller: await options.authenticate(authorization) };
    return sessionCaller(req, options.dashboard, trustedOrigins);
  }

  const handler: RequestListener = (req, res) => {
    const url = parseUrl(req.url ?? '/');
    if (!(url instanceof URL)) return sendProblem(res, url);
    const path = url.pathname;
    if (options.metrics) observeRequest(options.metrics.metrics, res, path);
    const route = async () => {
      const host = options.checkHost(req.headers.host);
      if (host === 'missing') return afterBody(req, () => sendProblem(res, { status: 400, code: 'BAD_REQUEST', message: 'a Host header is required' }));
      if (host === 'misdirected') {
        return afterBody(req, () => sendProblem(res, { status: 421, code: 'BAD_REQUEST', message: 'this api does not answer for that host name (CAISSON_API_ALLOWED_HOSTS)' }));
      }
      if (path === '/healthz' && req.method === 'GET') return health(res, options.checks);
      if (path === '/metrics' && options.metrics && req.method === 'GET') return serveMetrics(req, res, { ...options.metrics, authenticate: options.authenticate });
      if (options.dashboard && isDashboardPath(path)) {
        return serveDashboard(req, res, {
          path, options: options.dashboard, authenticate: options.authenticate, readBody: (max) => readBody(req, max),
          caller: async () => { const v = await callerOf(req); return 'caller' in v ? v.caller : null; },
        });
      }
      if (options.trigger && isTriggerPath(path)) {
        return options.trigger.serve(req, res, url, { readBody: (max) => readBody(req, max), afterBody: (answer) => afterBody(req, answer) });
      }
      if (options.codec && isCodecPath(path)) {
        // A browser's preflight carries no credentials: it is answered without any. The Web UI's
        // own page may call with the session cookie (its codec setting "include credentials").
        const verdict = req.method === 'OPTIONS' ? { caller: null } : await callerOf(req, options.codec.allowedOrigins);
        if ('refused' in verdict) return afterBody(req, () => sendJson(res, 403, { error: verdict.refused }));
        return serveCodec(req, res, { path, caller: verdict.caller, options: options.codec, readBody: (max) => readBody(req, max) });
      }
      const verdict = await callerOf(req);
      if ('refused' in verdict) return afterBody(req, () => sendProblem(res, { status: 403, code: 'FORBIDDEN', message: verdict.refused }));
      const caller = verdict.caller;
      if (path.startsWith('/trpc/')) {
        // Refused before its body is read: an unknown caller costs no parsing.
        if (!caller) return afterBody(req, () => sendProblem(res, { status: 401, code: 'UNAUTHORIZED', message: UNAUTHORIZED }));
        callers.set(req, caller);
        return serveTrpc(req, res, url);
      }
      if (!caller) return afterBody(req, () => sendJson(res, 401, { error: UNAUTHORIZED }));
      if (path === '/secrets/resolve') {
        if (caller.kind !== 'worker') return afterBody(req, () => sendJson(res, 403, { error: 'secret values are for workers only' }));
        if (req.method !== 'POST') return afterBody(req, () => sendJson(res, 405, { error: 'POST only' }));
        return resolveSecrets(req, res, options.context.secrets);
      }
      if (isBuildLogPath(path)) {
        return serveBuildLog(req, res, {
          path, caller, store: options.context.buildLogs, owners: options.context.owners, readBody: (max) => readBody(req, max),
          afterBody: (answer) => afterBody(req, answer), sendJson: (status, body) => sendJson(res, status, body),
        });
      }
      if (path === '/logs/live') {
        if (caller.kind !== 'worker') return afterBody(req, () => sendJson(res, 403, { error: 'live logs are sent by workers only' }));
        if (req.method !== 'POST') return afterBody(req, () => sendJson(res, 405, { error: 'POST only' }));
        return receiveLiveLogs(req, res, url, options.context);
      }
      if (!/^\/(artifacts|blobs)(\/|$)/.test(path)) return afterBody(req, () => sendJson(res, 404, { error: 'not found' }));
      if (!mayUseContentStore(caller)) return afterBody(req, () => sendJson(res, 403, { error: 'artifacts and blobs are for workers' }));
      if (path === '/artifacts/live' && req.method === 'GET') return sendJson(res, 200, { versions: await options.db.artifacts.liveVersions() });
      const artifact = /^\/artifacts\/([0-9a-f]{64})$/.exec(path);
      if (artifact && req.method === 'GET') return sendBytes(res, await options.db.artifacts.get(artifact[1]!));
      if (artifact && req.method === 'PUT') return putArtifact(req, res, artifact[1]!, options);
      const blob = /^\/blobs\/([A-Za-z0-9_-]{1,80})$/.exec(path);
      if (blob && req.method === 'GET') return sendBytes(res, await options.db.blobs.get(blob[1]!));
      if (path === '/blobs' && req.method === 'PUT') return putBlob(req, res, url, options);
      sendJson(res, 404, { error: 'not found' });
    };
    const serve = () => void route().catch((err: unknown) => {
      if (req.destroyed && (err as { code?: unknown } | null)?.code === 'ECONNRESET') return; // the client went away mid-body
      console.error('[caisson api]', req.method, path, err);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
    });
    if (options.traceRequest) options.traceRequest(req, res, path, serve);
    else serve();
  };
  const server = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : createServer(handler);
  server.on('clientError', answerClientError);
  return server;
}

/** Node's own answer to a request it cannot parse has no body: this one says what was wrong. */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
  const [status, message] = err.code === 'HPE_HEADER_OVERFLOW'
    ? [431, 'the request line and headers are too large']
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'the request took too long to arrive'] : [400, `the request is not valid HTTP (${err.code ?? 'unparsable'})`];
  const body = JSON.stringify({ error: { message } });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
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

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/**
 * A worker's blob (a large result or log) belongs to the invocation it names
 * (`?invocation=<id>`): it is charged to that invocation's namespace, and refused unless the
 * invocation exists and has not ended, so the worker token can store into a namespace only
 * while an invocation of it runs. Its row, else its run (an api that died before writing the
 * row: written from the run now). Past the namespace's blobBytes quota: 429 before the body
 * is kept.
 */
async function putBlob(req: IncomingMessage, res: ServerResponse, url: URL, options: HttpServerOptions): Promise<void> {
  const invocationId = url.searchParams.get('invocation');
  if (!invocationId || !/^[A-Za-z0-9_.-]{1,300}$/.test(invocationId)) {
    return afterBody(req, () => sendJson(res, 400, { error: 'PUT /blobs names the invocation it belongs to: ?invocation=<id>' }));
  }
  const owner = await options.db.invocations.ownerOf(invocationId)
    ?? await options.context.invocations.get(invocationId).then((v) => ({ namespace: v.namespace, status: v.status as string }), () => null);
  if (!owner) return afterBody(req, () => sendJson(res, 404, { error: `no invocation ${invocationId}` }));
  if (TERMINAL.has(owner.status)) return afterBody(req, () => sendJson(res, 409, { error: `invocation ${invocationId} has ended (${owner.status})` }));
  const body = await readBody(req, options.maxBlobBytes);
  if (!body) return sendJson(res, 413, { error: `blob over ${options.maxBlobBytes} bytes` });
  try {
    await options.context.quotas.chargeBlob(owner.namespace, body.length);
  } catch (err) {
    if (err instanceof QuotaExceededError) return sendJson(res, 429, { error: err.message, code: err.code, details: err.details });
    throw err;
  }
  sendJson(res, 200, { id: await options.db.blobs.put(body, { namespace: owner.namespace }) });
}

/** A JSON body of this shape, or undefined once the 413/400 saying why not is sent. */
async function readJsonBody<T>(req: IncomingMessage, res: ServerResponse, o: { max: number; schema: z.ZodType<T>; shape: string }): Promise<T | undefined> {
  const body = await readBody(req, o.max);
  if (!body) return void sendJson(res, 413, { error: `the request is over ${o.max} bytes` });
  let parsed;
  try {
    parsed = o.schema.safeParse(JSON.parse(body.toString('utf8')));
  } catch {
    return void sendJson(res, 400, { error: 'the body is not JSON' });
  }
  if (!parsed.success) return void sendJson(res, 400, { error: `the body must be ${o.shape}` });
  return parsed.data;
}

const LIVE_LOG_BODY_BYTES = 2 * 1024 * 1024;

/** A worker's batch of a running invocation's output (activities/live-logs.ts), into the live-log store. */
async function receiveLiveLogs(req: IncomingMessage, res: ServerResponse, url: URL, context: ApiContext): Promise<void> {
  const invocationId = url.searchParams.get('invocation');
  if (!invocationId || !/^[A-Za-z0-9_./-]{1,300}$/.test(invocationId)) {
    return afterBody(req, () => sendJson(res, 400, { error: 'POST /logs/live names the invocation: ?invocation=<id>' }));
  }
  const batch = await readJsonBody(req, res, { max: LIVE_LOG_BODY_BYTES, schema: LiveLogBatchSchema, shape: '{ chunks: [{ stream, text }], droppedBytes, end }' });
  if (!batch) return;
  context.liveLogs?.append(invocationId, batch);
  sendJson(res, 200, { ok: true });
}

const ResolveSecretsBody = z.object({
  namespace: NamespaceSchema.unwrap(),
  names: z.array(SecretNameSchema).min(1).max(MAX_SECRETS_PER_VERSION),
});

/** The values as base64, never cached by anything between; a missing secret is a 404 naming it. */
async function resolveSecrets(req: IncomingMessage, res: ServerResponse, secrets: ApiContext['secrets']): Promise<void> {
  const parsed = await readJsonBody(req, res, { max: 16 * 1024, schema: ResolveSecretsBody, shape: '{ namespace, names }' });
  if (!parsed) return;
  let values: Map<string, Buffer>;
  try {
    values = await secrets.resolve(parsed.namespace, parsed.names);
  } catch (err) {
    if (err instanceof MissingSecretsError) return sendJson(res, 404, { error: err.message, missing: err.missing });
    throw err;
  }
  const text = JSON.stringify({ secrets: Object.fromEntries([...values].map(([name, value]) => [name, value.toString('base64')])) });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
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

/**
 * Answers once the request's body is read and dropped (never kept): an answer written while a
 * body still arrives would be followed by Node's own should the rest of it be malformed.
 */
function afterBody(req: IncomingMessage, answer: () => void): void {
  if (req.complete) return answer();
  req.once('end', answer);
  req.resume();
}

/** A refusal in tRPC's error envelope, so a tRPC client reads its message as it reads any other. */
function sendProblem(res: ServerResponse, p: { status: number; message: string; code: keyof typeof TRPC_ERROR_CODES_BY_KEY }): void {
  sendJson(res, p.status, { error: { message: p.message, code: TRPC_ERROR_CODES_BY_KEY[p.code], data: { code: p.code, httpStatus: p.status } } });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The body, or null once it is over max (the rest is read and dropped, so the answer still reaches the client). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  if (Number(req.headers['content-length']) > max) {
    req.resume();
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) return void chunks.push(chunk);
      req.off('data', onData);
      req.resume();
      resolve(null);
    };
    req.on('data', onData);
    req.on('end', () => resolve(size <= max ? Buffer.concat(chunks) : null));
    req.on('error', reject);
  });
}
