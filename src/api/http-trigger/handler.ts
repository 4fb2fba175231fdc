// Serves /function/<name>[.<namespace>][/<sub-path>] and /async-function/…: any method, the raw
// request in the function's convention, one invocation per request, the raw answer out.
// Who may call: a key that may invoke in the namespace, or anyone when the latest version's
// trigger is public. A caller who may not learn whether a function exists is refused the same
// way whether it does or not (401 without a key, 403 with another namespace's key).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NotFoundError } from '../../shared/errors.js';
import { DEFAULT_HTTP_TRIGGER } from '../../shared/http-trigger.js';
import { invocationIdForKey } from '../../shared/ids.js';
import { ALL_NAMESPACES, roleAllows } from '../../shared/roles.js';
import type { InvocationCaller } from '../../shared/caller.js';
import type { FunctionVersionSpec } from '../../shared/types.js';
import type { Principal } from '../auth/authenticator.js';
import type { ApiContext } from '../context.js';
import { jsonTextProblem } from '../request-limits.js';
import { jsonAnswer, writeAnswer, type HttpAnswer } from './answer.js';
import { checkCallbackUrl, type CallbackAllowList } from './callback-allow.js';
import { requestToPayload, UnsupportedBodyError } from './conventions.js';
import { clientAddress, type TrustedProxies } from './client-address.js';
import { TriggerLimitError, type TriggerLimits } from './limits.js';
import { outcomeAnswer, refusalAnswer } from './outcome.js';
import type { TriggerRateLimit } from './rate-limit.js';
import { triggerRequest } from './request.js';
import { parseTriggerRoute, type TriggerRoute } from './route.js';

export interface TriggerHandlerDeps {
  context: Pick<ApiContext, 'db' | 'invocations' | 'audit'>;
  authenticate(authorization: string | undefined): Promise<Principal | null>;
  limits: TriggerLimits;
  rate: TriggerRateLimit;
  /** Proxies whose X-Forwarded-For names the client (none: the socket's peer is the client). */
  trustedProxies: TrustedProxies;
  callbackAllow: CallbackAllowList;
  /** The largest request body (the invocation payload limit). */
  maxBodyBytes: number;
}

export interface TriggerIo {
  /** The body, or null once it is over max. */
  readBody(max: number): Promise<Buffer | null>;
  /** Answers once the request's body is read and dropped. */
  afterBody(answer: () => void): void;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;
const MAX_SYNC_WAIT_MS = 900_000;

/** A request refused before anything ran: its answer. */
class TriggerRefusalError extends Error {
  override name = 'TriggerRefusalError';
  constructor(readonly answer: HttpAnswer) {
    super(answer.status.toString());
  }
}
const refuse = (status: number, message: string, headers: Array<[string, string]> = []) =>
  new TriggerRefusalError(jsonAnswer(status, { error: { message } }, headers));

export function createTriggerHandler(deps: TriggerHandlerDeps) {
  const { context } = deps;

  /** The latest version, when the caller may invoke it; else the refusal. */
  async function admitCaller(route: TriggerRoute, caller: Principal | null): Promise<{ spec: FunctionVersionSpec; keyed: boolean }> {
    const keyed = caller?.kind === 'key' && (caller.namespace === ALL_NAMESPACES || caller.namespace === route.namespace) && roleAllows(caller.role, 'invoke');
    const spec = await context.db.functions.getVersionSpec(route.namespace, route.name, 'latest').catch((err: unknown) => {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    });
    if (keyed || (spec && (spec.httpTrigger ?? DEFAULT_HTTP_TRIGGER).access === 'public')) {
      if (!spec) throw refuse(404, `no function '${route.name}' in namespace '${route.namespace}'`);
      return { spec, keyed };
    }
    if (!caller) throw refuse(401, 'a valid api key is required (Authorization: Bearer <key>); this function is not public');
    if (caller.kind !== 'key') throw refuse(403, 'a worker token may not invoke functions');
    throw refuse(403, `this key (namespace '${caller.namespace}', role '${caller.role}') may not invoke functions in namespace '${route.namespace}'`);
  }

  function headerOnce(req: IncomingMessage, name: string): string | undefined {
    const v = req.headers[name];
    if (Array.isArray(v)) throw refuse(400, `the ${name} header may be given once`);
    return v;
  }

  async function serve(req: IncomingMessage, res: ServerResponse, url: URL, io: TriggerIo): Promise<void> {
    const route = parseTriggerRoute(url.pathname);
    if ('problem' in route) return io.afterBody(() => writeAnswer(res, jsonAnswer(400, { error: { message: route.problem } })));
    const caller = await deps.authenticate(req.headers.authorization);
    let callId: string | undefined;
    let outcome = 'ok';
    try {
      const answer = await invokeFor({ req, url, route, caller, io, onCallId: (id) => { callId = id; } });
      outcome = answer.status >= 400 ? String(answer.status) : 'ok';
      writeAnswer(res, answer, callId ? [['x-call-id', callId]] : []);
    } catch (err) {
      const answer = err instanceof TriggerRefusalError ? err.answer : refusalAnswer(err);
      outcome = String(answer?.status ?? 500);
      if (!answer) throw err;
      io.afterBody(() => writeAnswer(res, answer, callId ? [['x-call-id', callId]] : []));
    } finally {
      if (caller?.kind === 'key') {
        context.audit.record({ keyId: caller.id, keyName: caller.name, namespace: route.namespace, action: 'invoke', target: route.name, outcome });
      }
    }
  }

  async function invokeFor(r: {
    req: IncomingMessage; url: URL; route: TriggerRoute; caller: Principal | null; io: TriggerIo; onCallId(id: string): void;
  }): Promise<HttpAnswer> {
    const { req, route } = r;
    const { spec, keyed } = await admitCaller(route, r.caller);
    const settings = spec.httpTrigger ?? DEFAULT_HTTP_TRIGGER;
    const fn = { namespace: route.namespace, name: route.name };
    const client = clientAddress({ peer: req.socket.remoteAddress, forwardedFor: req.headers['x-forwarded-for'] }, deps.trustedProxies);
    // A key of another namespace reaches a public function as anyone does, and is recorded so.
    const caller: InvocationCaller = keyed && r.caller?.kind === 'key'
      ? { kind: 'key', keyId: r.caller.id, keyName: r.caller.name, address: client }
      : { kind: 'anonymous', address: client };
    const idempotencyKey = headerOnce(req, 'idempotency-key');
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) throw refuse(400, 'Idempotency-Key must be 1-200 visible ASCII characters');
    const callbackUrl = route.async ? headerOnce(req, 'x-callback-url') : undefined;
    const callback = callbackUrl === undefined ? undefined : checkCallbackUrl(callbackUrl, deps.callbackAllow);
    if (callback && !callback.ok) throw refuse(callback.status, callback.message);
    try {
      await deps.rate.checkRate(fn, settings, client);
    } catch (err) {
      if (err instanceof TriggerLimitError) throw refuse(429, err.message, [['retry-after', String(err.retryAfterS)]]);
      throw err;
    }
    const body = await r.io.readBody(deps.maxBodyBytes);
    if (!body) throw refuse(413, `the request body is over ${deps.maxBodyBytes} bytes`);
    const request = triggerRequest(req, { path: route.subPath, rawQuery: r.url.search.slice(1), body, dropAuthorization: r.caller !== null, sourceIp: client });
    const requestId = idempotencyKey ? await invocationIdForKey(route.namespace, idempotencyKey) : randomUUID();
    let payload: unknown;
    try {
      payload = requestToPayload(spec.convention, request, { requestId, ...(idempotencyKey ? {} : { time: new Date() }) });
    } catch (err) {
      if (err instanceof UnsupportedBodyError) throw refuse(415, err.message);
      throw err;
    }
    const problem = jsonTextProblem(JSON.stringify(payload), 'the request');
    if (problem) throw refuse(400, problem.message);
    let slot;
    try {
      slot = await deps.limits.acquire(fn, settings);
    } catch (err) {
      if (err instanceof TriggerLimitError) throw refuse(429, err.message, [['retry-after', String(err.retryAfterS)]]);
      throw err;
    }
    const start = { namespace: route.namespace, function: route.name, version: spec.version, payload, caller, ...(idempotencyKey ? { idempotencyKey } : {}) };
    try {
      if (route.async) {
        const { invocationId } = await context.invocations.start({ ...start, ...(callback?.ok ? { callback: { url: callback.url.href } } : {}) });
        r.onCallId(invocationId);
        return jsonAnswer(202, { invocationId });
      }
      const waitMs = Math.min(MAX_SYNC_WAIT_MS, spec.limits.timeoutMs * Math.max(1, spec.retryPolicy.maxAttempts) + 60_000);
      const view = await context.invocations.invoke(start, waitMs);
      r.onCallId(view.id);
      return outcomeAnswer(spec.convention, view);
    } finally {
      slot.release();
    }
  }

  return { serve };
}

export type TriggerHandler = ReturnType<typeof createTriggerHandler>;
