// Bounds on a tRPC request checked before tRPC parses it: URL length, batch size, body size
// and JSON nesting depth. JSON.parse copes with any depth, but what follows it (zod, the
// payload converter, Prisma, JSON.stringify) recurses, so a 10,000-level payload must be
// refused as bad input before it gets that far. Pure: http-server.ts does the I/O.

export const MAX_URL_BYTES = 8 * 1024;
export const MAX_BATCH_CALLS = 10;
/** Deep enough for any real payload or chain definition; shallow enough for every recursive walker. */
export const MAX_JSON_DEPTH = 128;

/** An answer in tRPC's error envelope; `code` is tRPC's (it has none for 414). */
export interface RequestProblem {
  status: 400 | 413 | 414;
  code: 'BAD_REQUEST' | 'PAYLOAD_TOO_LARGE';
  message: string;
}

/** What is wrong with any request's URL, if anything; else the URL, parsed. */
export function parseUrl(rawUrl: string): URL | RequestProblem {
  if (Buffer.byteLength(rawUrl) > MAX_URL_BYTES) {
    return { status: 414, code: 'BAD_REQUEST', message: `the URL is over ${MAX_URL_BYTES} bytes; send large input in a POST body` };
  }
  try {
    return new URL(rawUrl, 'http://localhost');
  } catch {
    return { status: 400, code: 'BAD_REQUEST', message: 'the URL cannot be parsed' };
  }
}

/** What is wrong with a /trpc/ call's URL (batch size, nesting of a GET's input), before its body is read. */
export function trpcUrlProblem(url: URL): RequestProblem | undefined {
  const calls = url.pathname.slice('/trpc/'.length).split(',').length;
  if (url.searchParams.get('batch') === '1' && calls > MAX_BATCH_CALLS) {
    return { status: 400, code: 'BAD_REQUEST', message: `a batch may hold at most ${MAX_BATCH_CALLS} calls, this one has ${calls}` };
  }
  const input = url.searchParams.get('input');
  return input === null ? undefined : jsonTextProblem(input, 'the input');
}

/**
 * What JSON text holds that the api cannot take, found in one pass without parsing it: nesting
 * deeper than MAX_JSON_DEPTH, or a string PostgreSQL cannot store (\u0000, a lone surrogate).
 */
export function jsonTextProblem(text: string, what: string): RequestProblem | undefined {
  const found = scanJson(text, MAX_JSON_DEPTH);
  if (!found) return undefined;
  const why = found === 'deep' ? `nests deeper than ${MAX_JSON_DEPTH} levels`
    : found === 'nul' ? 'has a string with \\u0000 in it, which cannot be stored'
      : 'has a string with a lone UTF-16 surrogate (\\ud800-\\udfff) in it, which cannot be stored';
  return { status: 400, code: 'BAD_REQUEST', message: `${what} ${why}` };
}

export function tooLarge(maxBytes: number): RequestProblem {
  return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: `the request body is over ${maxBytes} bytes` };
}

/** The first problem in JSON text; the text need not be valid JSON (JSON.parse judges that later). */
export function scanJson(text: string, maxDepth: number): 'deep' | 'nul' | 'surrogate' | undefined {
  let depth = 0;
  let inString = false;
  let highSurrogate = false; // the previous escape was \ud800-\udbff: a \udc00-\udfff must follow
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      const escape = c === 0x5c ? text.slice(i + 1, i + 6) : '';
      const unit = /^u[0-9a-fA-F]{4}$/.test(escape) ? parseInt(escape.slice(1), 16) : -1;
      if (unit === 0) return 'nul';
      const low = unit >= 0xdc00 && unit <= 0xdfff;
      if (highSurrogate !== low) return 'surrogate';
      highSurrogate = unit >= 0xd800 && unit <= 0xdbff;
      if (c === 0x5c) i += unit >= 0 ? 5 : 1;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return 'deep';
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return undefined;
}
