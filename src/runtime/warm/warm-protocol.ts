// The warm socket protocol between the worker and a runtime server
// (runtime-images/python/caisson_server.py, runtime-images/node/server.mjs), and the worker's
// defensive reading of it. Everything here comes from a container, so it is hostile: lines are
// bounded, JSON is parsed in a try, every field is checked, and anything else is a protocol
// error that fails the invocation (InvalidOutput) and retires the container.
//
// One JSON object per line, over a unix socket the server listens on at
// /caisson/sock/warm.sock (bind-mounted; the worker connects once, then makes the dir
// unwritable and unlinks the socket, so nothing can be placed there afterwards):
//   server → {"ready": true, "mode": "in-process" | "process", ...}      once, when loaded
// A generic container (env CAISSON_WARM_GENERIC=1, started before any version claimed it;
// generic-pool.ts) first says {"ready": true, "mode": "generic"} and loads nothing; once, the
//   worker → {"specialise": {"env": {...}}}     the version's code is in /app/function by then
// and the server adds env to its environment, loads the function and says its hello as above.
//   worker → {"env": {...}, "payload": "<text>", "stdoutCap": n, "stderrCap": n, "resultCap": n}
//   server → {"fd": 1 | 2, "b64": "<base64>"}                             output, as it is written
//   server → {"exitCode": n, "stdoutDropped": n, "stderrDropped": n, "oomKilled": bool,
//             "stray"?: bool, "envelopeB64"?: "<base64 of the result envelope>",
//             "resultTooLarge"?: n, "resultUnreadable"?: "<why>"}        the invocation's end
// The server keeps the container's /caisson/io (a tmpfs of its own) as the cold path has it:
// it empties it, writes payload.json before each invocation and reads result.json after.
import type { ResultFile } from '../io/result-protocol.js';

export const WARM_SOCKET_DIR = '/caisson/sock';
export const WARM_SOCKET = 'warm.sock';

export interface WarmRequest {
  env: Record<string, string>;
  payload: string;
  stdoutCap: number;
  stderrCap: number;
  resultCap: number;
}

export interface WarmReply {
  exitCode: number;
  stdoutDropped: number;
  stderrDropped: number;
  oomKilled: boolean;
  stray: boolean;
  resultFile: ResultFile;
}

export type WarmLine =
  | { type: 'frame'; fd: 1 | 2; bytes: Buffer }
  | { type: 'reply'; reply: WarmReply }
  | { type: 'hello'; mode: string }
  | { type: 'invalid'; reason: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The longest line a server may send: a reply carries the result in base64, a frame 64 KiB. */
export function maxLineBytes(resultCapBytes: number): number {
  return Math.ceil((resultCapBytes * 4) / 3) + 64 * 1024;
}

/** One line from the server, checked field by field. */
export function parseWarmLine(line: string, resultCapBytes: number): WarmLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { type: 'invalid', reason: `a line that is not JSON (${snippet(line)})` };
  }
  if (!isRecord(value)) return { type: 'invalid', reason: `a line that is not an object (${snippet(line)})` };
  if ('fd' in value) {
    if ((value.fd !== 1 && value.fd !== 2) || typeof value.b64 !== 'string' || !BASE64.test(value.b64)) {
      return { type: 'invalid', reason: `a malformed output frame (${snippet(line)})` };
    }
    return { type: 'frame', fd: value.fd, bytes: Buffer.from(value.b64, 'base64') };
  }
  if (value.ready === true) {
    return typeof value.mode === 'string' ? { type: 'hello', mode: value.mode } : { type: 'invalid', reason: 'a hello without a mode' };
  }
  return parseReply(value, resultCapBytes);
}

function parseReply(v: Record<string, unknown>, resultCapBytes: number): WarmLine {
  const count = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (!(typeof v.exitCode === 'number' && Number.isInteger(v.exitCode) && v.exitCode >= 0 && v.exitCode <= 255)) {
    return { type: 'invalid', reason: 'a reply without a valid exitCode (0-255)' };
  }
  if (!count(v.stdoutDropped) || !count(v.stderrDropped) || typeof v.oomKilled !== 'boolean') {
    return { type: 'invalid', reason: 'a reply with malformed fields' };
  }
  let resultFile: ResultFile = { kind: 'missing' };
  if (v.envelopeB64 !== undefined) {
    if (typeof v.envelopeB64 !== 'string' || !BASE64.test(v.envelopeB64)) return { type: 'invalid', reason: 'a reply with a malformed result' };
    const bytes = Buffer.from(v.envelopeB64, 'base64');
    resultFile = bytes.length > resultCapBytes
      ? { kind: 'too-large', sizeBytes: bytes.length, capBytes: resultCapBytes }
      : { kind: 'present', text: bytes.toString('utf8') };
  } else if (count(v.resultTooLarge)) {
    resultFile = { kind: 'too-large', sizeBytes: v.resultTooLarge as number, capBytes: resultCapBytes };
  } else if (typeof v.resultUnreadable === 'string') {
    resultFile = { kind: 'unreadable', message: v.resultUnreadable.slice(0, 200) };
  }
  return {
    type: 'reply',
    reply: {
      exitCode: v.exitCode,
      stdoutDropped: v.stdoutDropped as number,
      stderrDropped: v.stderrDropped as number,
      oomKilled: v.oomKilled,
      stray: v.stray === true,
      resultFile,
    },
  };
}

/** Splits a byte stream into lines, refusing any line longer than maxBytes. */
export class LineReader {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxBytes: () => number) {}

  /** The complete lines in this chunk (and before), or an error once a line is too long. */
  push(chunk: Buffer): { lines: string[]; overflow?: number } {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
      this.chunks.push(chunk.subarray(start, nl));
      lines.push(Buffer.concat(this.chunks).toString('utf8'));
      this.chunks = [];
      this.size = 0;
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.chunks.push(chunk.subarray(start));
      this.size += chunk.length - start;
    }
    for (const line of lines) if (Buffer.byteLength(line) > this.maxBytes()) return { lines: [], overflow: Buffer.byteLength(line) };
    return this.size > this.maxBytes() ? { lines, overflow: this.size } : { lines };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function snippet(text: string): string {
  const shown = text.slice(0, 60).replace(/[^\x20-\x7e]/g, '?');
  return text.length > 60 ? `${shown}…` : shown;
}
