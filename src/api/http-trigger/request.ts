// The raw HTTP request a trigger hands to a function's convention mapping: method, sub-path,
// query, every header value (repeats kept, in order), the body's bytes and the client address.
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';

export interface TriggerRequest {
  method: string;
  /** The path after the function (`/` when none). */
  path: string;
  /** The query string as sent, without `?`. */
  rawQuery: string;
  /** Lowercase header name → its values, in the order sent. */
  headers: Map<string, string[]>;
  body: Buffer;
  sourceIp: string;
  /** The host the request named. */
  host: string;
}

/** Headers the platform reads itself and never hands to a function. */
const PLATFORM_HEADERS = new Set(['x-callback-url']);

export function triggerRequest(req: IncomingMessage, opts: {
  path: string; rawQuery: string; body: Buffer; dropAuthorization: boolean;
  /** The client's address as the api sees it (client-address.ts). */
  sourceIp: string;
}): TriggerRequest {
  const headers = new Map<string, string[]>();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    // A Caisson key is the caller's credential, never the function's to read.
    if ((name === 'authorization' && opts.dropAuthorization) || PLATFORM_HEADERS.has(name)) continue;
    const values = headers.get(name);
    if (values) values.push(raw[i + 1]!);
    else headers.set(name, [raw[i + 1]!]);
  }
  return {
    method: (req.method ?? 'GET').toUpperCase(), path: opts.path, rawQuery: opts.rawQuery, headers, body: opts.body,
    sourceIp: opts.sourceIp, host: req.headers.host ?? '',
  };
}

/** Values joined as HTTP allows for a repeated header (`, `); cookies with `; `. */
export function joinedHeaders(req: TriggerRequest, opts: { skip?: string[] } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, values] of req.headers) {
    if (opts.skip?.includes(name)) continue;
    out[name] = values.join(name === 'cookie' ? '; ' : ', ');
  }
  return out;
}

/** The query as one value per name (repeats joined with `,`, as API Gateway's v2 event does). */
export function joinedQuery(rawQuery: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQuery)) out[k] = k in out ? `${out[k]},${v}` : v;
  return out;
}

const TEXT_TYPE = /^(text\/|application\/(json|[\w.+-]*\+json|xml|[\w.+-]*\+xml|javascript|x-www-form-urlencoded|graphql))/i;

/** Whether a body travels as text: valid UTF-8 of a textual type (or of no type at all). */
export function isTextBody(body: Buffer, contentType: string | undefined): boolean {
  if (contentType && !TEXT_TYPE.test(contentType.trim())) return false;
  // NUL is valid UTF-8 but cannot be stored in a JSON column: such a body travels as base64.
  return isUtf8(body) && !body.includes(0);
}


export function contentTypeOf(req: TriggerRequest): string | undefined {
  return req.headers.get('content-type')?.[0];
}
