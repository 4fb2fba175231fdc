// The HTTP answer a trigger writes, and the checks every value from a function passes before
// it becomes one: a function's status, headers and body are hostile (a header with CR/LF, a
// hop-by-hop header, a status that is no status), so anything malformed is dropped or the
// answer becomes a 502 naming it.
import type { ServerResponse } from 'node:http';

export interface HttpAnswer {
  status: number;
  /** [name, value] pairs; a name may repeat (Set-Cookie). */
  headers: Array<[string, string]>;
  body: Buffer;
}

export class BadFunctionAnswerError extends Error {
  override name = 'BadFunctionAnswerError';
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Set by the api itself, or meaningless from a function (hop-by-hop). */
const RESERVED = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'trailer', 'te', 'proxy-connection', 'x-call-id']);
const MAX_HEADERS = 100;
const MAX_HEADER_BYTES = 16 * 1024;

/** A function's status code: an integer 200–599 (100–199 are not final answers). */
export function functionStatus(value: unknown, fallback = 200): number {
  if (value === undefined || value === null) return fallback;
  const n = typeof value === 'string' && /^\d{3}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 200 || n > 599) {
    throw new BadFunctionAnswerError(`the function answered status ${JSON.stringify(value)?.slice(0, 40)}, not an HTTP status 200-599`);
  }
  return n;
}

/** A function's headers ({name: value | [values]}), minus what may not pass; bounded. */
export function functionHeaders(value: unknown): Array<[string, string]> {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'object' || Array.isArray(value)) throw new BadFunctionAnswerError('the function answered headers that are not an object');
  const out: Array<[string, string]> = [];
  let bytes = 0;
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    for (const v of Array.isArray(raw) ? raw : [raw]) {
      const text = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
      if (text === undefined || !TOKEN.test(name) || !VALUE.test(text) || RESERVED.has(name.toLowerCase())) continue;
      bytes += name.length + text.length;
      if (out.length >= MAX_HEADERS || bytes > MAX_HEADER_BYTES) throw new BadFunctionAnswerError(`the function answered more than ${MAX_HEADERS} headers or ${MAX_HEADER_BYTES} bytes of them`);
      out.push([name, text]);
    }
  }
  return out;
}

export function hasHeader(headers: Array<[string, string]>, name: string): boolean {
  return headers.some(([n]) => n.toLowerCase() === name);
}

export function jsonAnswer(status: number, value: unknown, headers: Array<[string, string]> = []): HttpAnswer {
  return { status, headers: [['content-type', 'application/json'], ...headers], body: Buffer.from(JSON.stringify(value ?? null)) };
}

export function writeAnswer(res: ServerResponse, answer: HttpAnswer, extra: Array<[string, string]> = []): void {
  res.statusCode = answer.status;
  const grouped = new Map<string, string[]>();
  for (const [name, value] of [...answer.headers, ...extra]) {
    const key = name.toLowerCase();
    grouped.set(key, [...(grouped.get(key) ?? []), value]);
  }
  for (const [name, values] of grouped) res.setHeader(name, values.length === 1 ? values[0]! : values);
  res.setHeader('content-length', answer.body.length);
  res.end(answer.body);
}
