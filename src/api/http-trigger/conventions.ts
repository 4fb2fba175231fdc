// An HTTP request in each convention's native shape, and the function's result back to HTTP:
// - lambda: the API Gateway HTTP API / function URL event, payload format 2.0, and its response
//   format ({statusCode, headers, cookies, body, isBase64Encoded}; anything else: a 200 JSON body);
// - openwhisk: web action parameters (__ow_method, __ow_headers, __ow_path, __ow_query,
//   __ow_body, query and JSON or form body fields merged) and {statusCode, headers, body};
// - openfaas: the {method, path, query, headers, body} request the wrappers hand to handle()
//   (headers become Http_* variables) and {statusCode, headers, body}; a body that is not
//   NUL-free UTF-8 travels as base64 with isBase64Encoded: true, both ways, so bytes arrive as sent;
// - script and handler: a JSON body is the payload, any other text a string; the result is JSON
//   (the function's own JSON text when it carried one). A binary body is a 415: a JSON payload
//   has no way to say a string is base64 rather than text.
// Pure: the http server does the I/O.
import type { Convention } from '../../shared/types.js';
import { BadFunctionAnswerError, functionHeaders, functionStatus, hasHeader, jsonAnswer, type HttpAnswer } from './answer.js';
import { contentTypeOf, isTextBody, joinedHeaders, joinedQuery, type TriggerRequest } from './request.js';
import { isUtf8 } from 'node:buffer';

export interface EventContext {
  /** The request's id as the event shows it (Lambda's requestContext.requestId). */
  requestId: string;
  /** When the request arrived; absent for a request under an idempotency key (its retry must be the same event). */
  time?: Date;
}

export class UnsupportedBodyError extends Error {
  override name = 'UnsupportedBodyError';
}

export function requestToPayload(convention: Convention, req: TriggerRequest, ctx: EventContext): unknown {
  switch (convention) {
    case 'lambda': return lambdaEvent(req, ctx);
    case 'openwhisk': return openWhiskParams(req);
    case 'openfaas': return openFaaSRequest(req);
    case 'script':
    case 'handler': return plainPayload(req);
  }
}

export function resultToAnswer(convention: Convention, result: unknown, rawText?: string): HttpAnswer {
  switch (convention) {
    case 'lambda': return lambdaAnswer(result, rawText);
    case 'openwhisk': return openWhiskAnswer(result, rawText);
    case 'openfaas': return openFaaSAnswer(result);
    case 'script':
    case 'handler': return rawText === undefined ? jsonAnswer(200, result) : jsonTextAnswer(rawText);
  }
}

/** A 200 whose body is the function's own JSON text (checked to parse when it was stored). */
function jsonTextAnswer(text: string): HttpAnswer {
  return { status: 200, headers: [['content-type', 'application/json']], body: Buffer.from(text) };
}

function lambdaEvent(req: TriggerRequest, ctx: EventContext): Record<string, unknown> {
  const text = isTextBody(req.body, contentTypeOf(req));
  const cookies = (req.headers.get('cookie') ?? []).flatMap((c) => c.split(/;\s*/)).filter(Boolean);
  const query = joinedQuery(req.rawQuery);
  const headers = joinedHeaders(req, { skip: ['cookie'] });
  return {
    version: '2.0', routeKey: '$default', rawPath: req.path, rawQueryString: req.rawQuery,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'anonymous', apiId: 'caisson', domainName: req.host, domainPrefix: req.host.split('.')[0] ?? '',
      http: { method: req.method, path: req.path, protocol: 'HTTP/1.1', sourceIp: req.sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: ctx.requestId, routeKey: '$default', stage: '$default',
      ...(ctx.time ? { time: lambdaTime(ctx.time), timeEpoch: ctx.time.getTime() } : {}),
    },
    ...(req.body.length > 0 ? { body: text ? req.body.toString('utf8') : req.body.toString('base64') } : {}),
    isBase64Encoded: req.body.length > 0 && !text,
  };
}

/** API Gateway's time format: 06/Dec/2026:11:30:00 +0000. */
function lambdaTime(t: Date): string {
  const month = t.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(t.getUTCDate())}/${month}/${t.getUTCFullYear()}:${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} +0000`;
}

/** Lambda's response format 2.0: a result with statusCode is the response, anything else a 200 JSON body (its own text when kept). */
function lambdaAnswer(result: unknown, rawText?: string): HttpAnswer {
  if (!isRecord(result) || !('statusCode' in result)) return rawText === undefined ? jsonAnswer(200, result) : jsonTextAnswer(rawText);
  const headers = functionHeaders(result.headers);
  const multi = functionHeaders(result.multiValueHeaders);
  const cookies = result.cookies === undefined ? [] : Array.isArray(result.cookies) ? result.cookies : undefined;
  if (!cookies) throw new BadFunctionAnswerError('the function answered cookies that are not a list');
  const setCookies = functionHeaders({ 'set-cookie': cookies });
  const body = bodyBytes(result.body, result.isBase64Encoded === true);
  const all = [...headers, ...multi, ...setCookies];
  if (!hasHeader(all, 'content-type') && body.length > 0) all.push(['content-type', 'application/json']);
  return { status: functionStatus(result.statusCode), headers: all, body };
}

function openWhiskParams(req: TriggerRequest): Record<string, unknown> {
  const type = contentTypeOf(req) ?? '';
  const params: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(req.rawQuery)) params[k] = v;
  let merged = false;
  if (req.body.length > 0 && /json/i.test(type) && isUtf8(req.body)) {
    const parsed = parseJson(req.body.toString('utf8'));
    if (isRecord(parsed)) {
      Object.assign(params, parsed);
      merged = true;
    }
  } else if (req.body.length > 0 && /^application\/x-www-form-urlencoded/i.test(type) && isUtf8(req.body)) {
    for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) params[k] = v;
    merged = true;
  }
  const text = isTextBody(req.body, type || undefined);
  return {
    ...params,
    __ow_method: req.method.toLowerCase(),
    __ow_headers: joinedHeaders(req),
    __ow_path: req.path === '/' ? '' : req.path,
    __ow_query: req.rawQuery,
    ...(req.body.length > 0 && !merged ? { __ow_body: text ? req.body.toString('utf8') : req.body.toString('base64') } : {}),
  };
}

/** A web action's {statusCode, headers, body}: a string body of a non-text type is base64 (binary); else a 200 JSON of the result. */
function openWhiskAnswer(result: unknown, rawText?: string): HttpAnswer {
  if (!isRecord(result) || !('statusCode' in result || 'headers' in result || 'body' in result)) {
    return rawText === undefined ? jsonAnswer(200, result) : jsonTextAnswer(rawText);
  }
  const headers = functionHeaders(result.headers);
  const type = headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1];
  const { body: raw } = result;
  let body: Buffer;
  if (raw === undefined || raw === null) body = Buffer.alloc(0);
  else if (typeof raw === 'string') body = type && !isTextType(type) ? Buffer.from(raw, 'base64') : Buffer.from(raw);
  else {
    body = Buffer.from(JSON.stringify(raw));
    if (!type) headers.push(['content-type', 'application/json']);
  }
  if (!hasHeader(headers, 'content-type') && body.length > 0) headers.push(['content-type', 'text/html; charset=utf-8']);
  return { status: functionStatus(result.statusCode, body.length > 0 ? 200 : 204), headers, body };
}

function openFaaSRequest(req: TriggerRequest): Record<string, unknown> {
  // NUL is valid UTF-8 but cannot be stored in a JSON column: such a body is base64 as well.
  const text = isUtf8(req.body) && !req.body.includes(0);
  // Header names as the watchdog passes them (canonical case): the wrappers make Http_* of them.
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(joinedHeaders(req))) headers[canonical(name)] = value;
  const query = joinedQuery(req.rawQuery);
  if (text) return { method: req.method, path: req.path, query, headers, body: req.body.toString('utf8') };
  return { method: req.method, path: req.path, query, headers, body: req.body.toString('base64'), isBase64Encoded: true };
}

/** The wrappers' {statusCode, headers, body[, isBase64Encoded]}: a base64 body must be base64 (else a 502). */
function openFaaSAnswer(result: unknown): HttpAnswer {
  if (!isRecord(result)) return jsonAnswer(200, result);
  const headers = functionHeaders(result.headers);
  if (result.isBase64Encoded === true && typeof result.body !== 'string') throw new BadFunctionAnswerError('the function answered isBase64Encoded with a body that is not a string');
  return { status: functionStatus(result.statusCode), headers, body: bodyBytes(result.body, result.isBase64Encoded === true) };
}

/** A JSON body is the payload; other text a string; none: the query's fields, or null. */
function plainPayload(req: TriggerRequest): unknown {
  if (req.body.length === 0) {
    const query = joinedQuery(req.rawQuery);
    return Object.keys(query).length > 0 ? query : null;
  }
  if (!isUtf8(req.body)) {
    throw new UnsupportedBodyError('this function takes a JSON or UTF-8 text body (its payload); this body is binary: send it base64 in a JSON field, or deploy the function with the openfaas, lambda or openwhisk convention, which take binary bodies');
  }
  const text = req.body.toString('utf8');
  const parsed = parseJson(text);
  return parsed === undefined ? text : parsed;
}

function bodyBytes(body: unknown, base64: boolean): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body !== 'string') return Buffer.from(JSON.stringify(body));
  if (!base64) return Buffer.from(body);
  // One character past a multiple of four encodes no byte: the decoder would drop it silently.
  if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(body) || body.replace(/[\s=]/g, '').length % 4 === 1) {
    throw new BadFunctionAnswerError('the function answered isBase64Encoded with a body that is not base64');
  }
  return Buffer.from(body, 'base64');
}

const isTextType = (type: string) => /^(text\/|application\/(json|[\w.+-]*\+json|xml|[\w.+-]*\+xml|javascript))/i.test(type.trim());
const canonical = (name: string) => name.split('-').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('-');

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
