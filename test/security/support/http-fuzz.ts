// Helpers of the api fuzz: send a request (fetch, or raw bytes on a socket), keep the answer,
// and judge it: a readable message and nothing of the server's insides.
import { connect } from 'node:net';

export interface Case { what: string; method: string; path: string; body?: string | Buffer; headers?: Record<string, string>; chunked?: boolean }
export interface Answer { what: string; status: number; text: string }

/** Sends cases to one api (with this api key: the cases are about what a caller sends, not who) and keeps every answer. */
export function createProber(baseUrl: string, apiKey: string) {
  const answers: Answer[] = [];

  async function send(c: Case): Promise<Answer> {
    const res = await fetch(baseUrl + c.path, {
      method: c.method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}`, ...c.headers },
      ...(c.body !== undefined ? { body: c.chunked ? chunks(Buffer.from(c.body)) : c.body, duplex: 'half' } : {}),
    } as RequestInit);
    const answer = { what: c.what, status: res.status, text: await res.text() };
    answers.push(answer);
    return answer;
  }

  /** A raw request (what fetch refuses to send), answered by whatever the server writes back. */
  function sendRaw(what: string, bytes: string): Promise<Answer> {
    const url = new URL(baseUrl);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname);
      let text = '';
      socket.on('data', (d) => (text += d.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () => {
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
        const answer = { what, status, text: text.slice(text.indexOf('\r\n\r\n') + 4) };
        answers.push(answer);
        resolve(answer);
      });
      socket.end(bytes);
    });
  }

  return { answers, send, sendRaw };
}

/** A body sent without a content-length (chunked), so only counting what arrives can bound it. */
function chunks(bytes: Buffer): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, (offset += 64 * 1024)));
    },
  });
}

/** A readable message and nothing of the server's insides: no stack, no file paths. */
export function problemsOf(a: Answer): string[] {
  const problems: string[] = [];
  if (a.status >= 500 || a.status === 0) problems.push(`status ${a.status}`);
  if (a.status < 400) return problems;
  let message: unknown;
  try {
    const body = JSON.parse(a.text) as { error?: unknown } | { error?: unknown }[];
    const error = (Array.isArray(body) ? body[0] : body)?.error;
    message = typeof error === 'string' ? error : (error as { message?: unknown } | undefined)?.message;
  } catch {
    problems.push(`body is not JSON: ${a.text.slice(0, 80)}`);
  }
  if (typeof message !== 'string' || message.trim() === '') problems.push('no message');
  else if (message.length > 4000) problems.push(`message of ${message.length} chars`);
  if (/\bat .+:\d+:\d+\)?/.test(a.text) || a.text.includes('"stack"')) problems.push('a stack trace');
  if (a.text.includes(process.cwd()) || /node_modules|\/src\/|\.ts:\d/.test(a.text)) problems.push('a server path');
  return problems;
}

/** A one-entry ustar archive, written by hand: tar libraries refuse to write a name like '../x'. */
export function tarOf(name: string, content: string): Buffer {
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string) => header.write(value.slice(0, length), offset, 'latin1');
  field(0, 100, name);
  field(100, 8, '0000644\0');
  field(108, 8, '0000000\0');
  field(116, 8, '0000000\0');
  field(124, 12, `${Buffer.byteLength(content).toString(8).padStart(11, '0')}\0`);
  field(136, 12, '00000000000\0');
  field(156, 1, '0');
  field(257, 8, 'ustar\u000000');
  field(148, 8, '        ');
  const sum = header.reduce((a, b) => a + b, 0);
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  const body = Buffer.alloc(Math.ceil(Buffer.byteLength(content) / 512) * 512);
  body.write(content);
  return Buffer.concat([header, body, Buffer.alloc(1024)]);
}

