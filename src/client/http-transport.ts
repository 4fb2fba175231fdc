// The client's transport: a fetch-shaped function over node:http(s) with a keep-alive agent,
// for tRPC's httpLink. Node's global fetch (undici) costs more time and about twice the CPU
// per small JSON request (docs/performance.md, "Figures behind the code"); a program that
// invokes many times pays it on every call.
import http from 'node:http';
import https from 'node:https';

// The exported types name no DOM or Node.js type (Headers, Buffer, AbortSignal): the client's
// .d.ts must compile under any lib, without @types/node.

/** What tRPC reads of a response; headers is a WHATWG Headers object. */
export interface TransportResponse {
  ok: boolean;
  status: number;
  statusText: string;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
  text(): Promise<string>;
}

export interface TransportInit {
  method?: string | undefined;
  /** A plain record, or anything with entries() (a WHATWG Headers object). */
  headers?: Record<string, string> | { forEach(fn: (value: string, name: string) => void): void } | undefined;
  body?: string | null | undefined;
  /** An AbortSignal. */
  signal?: object | null | undefined;
}

export interface HttpTransport {
  fetch(url: string | URL, init?: TransportInit): Promise<TransportResponse>;
  /** Closes idle kept-alive sockets (a process that is done can then exit at once). */
  close(): void;
}

/** How many kept-alive sockets closed by the server one request may find before it fails. */
const MAX_STALE_SOCKET_RETRIES = 8;

/** ca: PEM certificate(s) an https api's certificate must chain to, instead of the system's roots. */
export function createHttpTransport(opts: { ca?: string | Uint8Array | undefined } = {}): HttpTransport {
  const ca = typeof opts.ca === 'string' || opts.ca === undefined ? opts.ca : Buffer.from(opts.ca);
  const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true, ...(ca ? { ca } : {}) }) };
  function send(url: string | URL, init: TransportInit = {}): Promise<TransportResponse> {
    const target = new URL(url);
    const protocol = target.protocol === 'https:' ? 'https:' : target.protocol === 'http:' ? 'http:' : null;
    if (!protocol) return Promise.reject(new TypeError(`unsupported protocol in ${target.href}`));
    const headers: Record<string, string> = {};
    if (init.headers && typeof init.headers.forEach === 'function') (init.headers as Headers).forEach((value, name) => (headers[name] = value));
    else Object.assign(headers, init.headers);
    const body = init.body ?? undefined;
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const request = protocol === 'https:' ? https.request : http.request;
    const attempt = (staleRetries: number): Promise<TransportResponse> => new Promise((resolve, reject) => {
      const req = request(target, { method: init.method ?? 'GET', headers, agent: agents[protocol], signal: (init.signal ?? undefined) as AbortSignal | undefined }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          resolve({
            ok: status >= 200 && status < 300, status, statusText: res.statusMessage ?? '', headers: responseHeaders,
            text: async () => text, json: async () => JSON.parse(text) as unknown,
          });
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed as idle just as this request went out: the server
        // never read it, so it is sent again (as Node's docs advise). A burst of calls leaves
        // several idle sockets, closed together: each one found so is dropped from the pool and
        // the next try takes another, until a new socket (bounded).
        if (req.reusedSocket && err.code === 'ECONNRESET' && staleRetries < MAX_STALE_SOCKET_RETRIES) resolve(attempt(staleRetries + 1));
        else reject(err);
      });
      req.end(body);
    });
    return attempt(0);
  }
  return {
    fetch: send,
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}
