// Temporal's remote codec protocol at POST /codec/encode and /codec/decode, for the Web UI
// (`--ui-codec-endpoint`, with the dashboard's session cookie when its codec setting includes
// credentials) and the CLI (`temporal … --codec-endpoint URL --codec-auth 'Bearer KEY'`):
// a JSON body {payloads: [{metadata: {name: base64}, data: base64}]} answered in the same form.
// Decoding shows any invocation's payload, whatever its Caisson namespace (payloads carry no
// namespace binding), so only an admin key of every namespace may use it. CORS answers only the
// configured Web UI origins.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { ALL_NAMESPACES } from '../shared/roles.js';
import type { Principal } from './auth/authenticator.js';
import { jsonTextProblem } from './request-limits.js';

export const CODEC_PATHS = ['/codec/encode', '/codec/decode'] as const;

export interface CodecEndpointOptions {
  codec: PayloadCodec;
  /** Origins (scheme://host:port) whose pages may call it: the Temporal Web UI's. */
  allowedOrigins: readonly string[];
  maxBodyBytes: number;
}

const Base64 = z.string().max(1 << 30).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const BodySchema = z.object({
  // Protobuf's JSON leaves an empty list out: the CLI sends `{}` for no payloads.
  payloads: z.array(z.object({ metadata: z.record(z.string(), Base64).nullish(), data: Base64.nullish() })).default([]),
});

/** Only an admin of every namespace: a decoded payload of one namespace must not reach a key of another. */
export function mayUseCodec(caller: Principal): boolean {
  return caller.kind === 'key' && caller.role === 'admin' && caller.namespace === ALL_NAMESPACES;
}

export function isCodecPath(path: string): boolean {
  return (CODEC_PATHS as readonly string[]).includes(path);
}

/** CORS headers for an allowed Origin (none for any other: the browser then refuses the answer). */
export function corsHeaders(origin: string | undefined, allowed: readonly string[]): Record<string, string> {
  const vary = { vary: 'Origin' };
  if (!origin || !allowed.includes(origin)) return vary;
  return {
    ...vary,
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    'access-control-allow-methods': 'POST, OPTIONS',
    'access-control-allow-headers': 'Authorization, Content-Type, X-Namespace',
    'access-control-max-age': '600',
  };
}

/**
 * One codec request. `caller` is the authenticated key (null: none or not valid); the body is
 * read only once the caller may use the endpoint.
 */
export async function serveCodec(req: IncomingMessage, res: ServerResponse, args: {
  path: string; caller: Principal | null; options: CodecEndpointOptions; readBody(max: number): Promise<Buffer | null>;
}): Promise<void> {
  const { options } = args;
  const cors = corsHeaders(req.headers.origin, options.allowedOrigins);
  const send = (status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { ...cors, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  // A browser's preflight carries no credentials; it learns only whether its origin may call.
  if (req.method === 'OPTIONS') {
    res.writeHead(cors['access-control-allow-origin'] ? 204 : 403, cors);
    return void res.end();
  }
  if (req.method !== 'POST') return drain(req, () => send(405, { error: 'POST only' }));
  if (!args.caller) return drain(req, () => send(401, { error: 'a valid api key is required (Authorization: Bearer <key>, or a session from logging in at /ui)' }));
  if (!mayUseCodec(args.caller)) return drain(req, () => send(403, { error: 'the codec endpoint needs an admin key of every namespace (*)' }));
  const body = await args.readBody(options.maxBodyBytes);
  if (!body) return send(413, { error: `body over ${options.maxBodyBytes} bytes` });
  const text = body.toString('utf8');
  const bad = jsonTextProblem(text, 'the request body');
  if (bad) return send(bad.status, { error: bad.message });
  let parsed;
  try {
    parsed = BodySchema.safeParse(JSON.parse(text));
  } catch {
    return send(400, { error: 'the body is not JSON' });
  }
  if (!parsed.success) return send(400, { error: `the body is not {payloads: [{metadata, data}]}: ${parsed.error.issues[0]?.message ?? ''}` });
  const payloads = parsed.data.payloads.map(fromJson);
  try {
    const out = args.path === '/codec/encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
    send(200, { payloads: out.map(toJson) });
  } catch (err) {
    // A payload of another key, or a damaged one: the caller learns that, not more.
    send(400, { error: err instanceof Error ? err.message : 'the payloads could not be converted' });
  }
}

function fromJson(p: { metadata?: Record<string, string> | null; data?: string | null }): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

function toJson(p: Payload): { metadata: Record<string, string>; data: string } {
  const b64 = (u: Uint8Array | null | undefined) => (u ? Buffer.from(u).toString('base64') : '');
  return { metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])), data: b64(p.data) };
}

function drain(req: IncomingMessage, answer: () => void): void {
  if (req.complete) return answer();
  req.once('end', answer);
  req.resume();
}
