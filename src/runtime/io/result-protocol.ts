// Turns what a container did (exit status, output, result.json) into a result or a typed
// failure. Pure: no I/O, so the precedence rules are tested as a table.
import type { Convention, FailureKind } from '../../shared/types.js';
import type { ExecutionOutcome } from '../docker/container-runtime.js';

/** The handler convention's /caisson/io/result.json, as read by io-dir.ts. */
export type ResultFile =
  | { kind: 'missing' }
  | { kind: 'too-large'; sizeBytes: number; capBytes: number }
  | { kind: 'unreadable'; message: string }
  | { kind: 'present'; text: string };

export type InterpretedOutcome =
  | {
      ok: true;
      result: unknown;
      /**
       * A handler's result as its wrapper wrote it, when that text holds a number the value's
       * own JSON would print differently (Python's 4.0, 1e+16, a 20-digit integer).
       */
      text?: string;
    }
  | {
      ok: false;
      kind: FailureKind;
      message: string;
      errorType?: string;
      stack?: string;
      stderrTail?: string;
      /** The error as the function's own platform reports it (Lambda's error object, OpenWhisk's {error}, …). */
      platform?: Record<string, unknown>;
    };

export interface InterpretInput {
  convention: Convention;
  outcome: ExecutionOutcome;
  resultFile: ResultFile | undefined;
  maxResultBytes: number;
}

const STDERR_TAIL_CHARS = 2000;
const SNIPPET_CHARS = 200;

const SIGNALS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 15: 'SIGTERM' };

/**
 * Precedence: cancelled → timed out → OOM → broken protocol → handler's own error → abandoned server →
 * unknown exit → non-zero exit →
 * output (handler: result.json; script: JSON on stdout). Non-JSON stdout is
 * InvalidOutput: the old platform's functions print JSON, anything else is a bug
 * worth surfacing rather than silently passing a string along.
 */
export function interpretOutcome(input: InterpretInput): InterpretedOutcome {
  const { outcome, convention } = input;
  const stderrTail = tail(outcome.stderr);
  const fail = (kind: FailureKind, message: string, extra: ErrorExtra = {}) =>
    ({ ok: false, kind, message, ...extra, ...(stderrTail ? { stderrTail } : {}) }) as const;

  if (outcome.cancelled) return fail('Cancelled', 'the invocation was cancelled and its container stopped');
  if (outcome.timedOut) return fail('FunctionTimeout', `the function did not finish within its timeout (ran ${outcome.durationMs} ms)`);
  if (outcome.oomKilled) return fail('FunctionOOM', 'the function ran out of memory and was killed (raise memoryMb)');
  if (outcome.protocolError) return fail('InvalidOutput', outcome.protocolError);

  // Every convention but script reports through result.json (the wrappers write it).
  const envelope = convention !== 'script' ? parseEnvelope(input.resultFile, input.maxResultBytes, OWN_TEXT_CONVENTIONS.has(convention)) : undefined;
  if (envelope?.type === 'error') return fail('FunctionError', envelope.message, envelope.extra);

  if (outcome.abandoned) {
    return fail('FunctionError', 'the function stopped answering its runtime server while its container kept running (a process of its own closed the channel, or held or traced the others); the container was removed');
  }
  // Only the engine leaves no exit status (the container vanished, or inspect failed).
  if (outcome.exitCode === null) return fail('InfrastructureError', 'the container exit status is unknown');
  if (outcome.exitCode !== 0) {
    const signal = outcome.exitCode > 128 ? SIGNALS[outcome.exitCode - 128] : undefined;
    const how = `the function exited with code ${outcome.exitCode}${signal ? ` (${signal})` : ''}`;
    return fail('FunctionError', stderrTail ? `${how}: ${stderrTail}` : how);
  }

  if (envelope) {
    if (envelope.type === 'ok') return { ok: true, result: envelope.result, ...(envelope.text === undefined ? {} : { text: envelope.text }) };
    return fail('InvalidOutput', envelope.message);
  }
  return interpretStdout(outcome, input.maxResultBytes, fail);
}

interface ErrorExtra { errorType?: string; stack?: string; platform?: Record<string, unknown> }

const PLATFORM_ERROR_BYTES = 16 * 1024;

/**
 * The platform's error object as the wrapper wrote it, kept to 16 KiB (it travels in workflow
 * history and the invocation's row): past that, long strings and lists are cut.
 */
function boundedPlatform(value: Record<string, unknown>): Record<string, unknown> {
  try {
    if (byteLength(JSON.stringify(value)) <= PLATFORM_ERROR_BYTES) return value;
  } catch {
    // Nested too deep to serialise (a hostile wrapper's doing): cut below, depth included.
  }
  const cut = (v: unknown, depth: number): unknown =>
    depth > 8 ? '[…]'
      : typeof v === 'string' ? v.slice(0, 2048)
        : Array.isArray(v) ? v.slice(0, 20).map((x) => cut(x, depth + 1))
          : isRecord(v) ? Object.fromEntries(Object.entries(v).slice(0, 20).map(([k, x]) => [k.slice(0, 100), cut(x, depth + 1)]))
            : v;
  const smaller = cut(value, 0) as Record<string, unknown>;
  return byteLength(JSON.stringify(smaller)) <= PLATFORM_ERROR_BYTES ? smaller : { truncated: true };
}

type Envelope =
  | { type: 'ok'; result: unknown; text?: string }
  | { type: 'error'; message: string; extra: ErrorExtra }
  | { type: 'invalid'; message: string };

/**
 * Conventions whose HTTP answer can be the result's JSON text itself: a handler's result, and a
 * Lambda function's or OpenWhisk web action's plain result (not a {statusCode, …} response),
 * which function URLs and web actions send with the number text the runtime wrote (Python's
 * json.dumps keeps `4.0`; OpenWhisk's controller keeps a number's scale).
 */
const OWN_TEXT_CONVENTIONS: ReadonlySet<Convention> = new Set(['handler', 'lambda', 'openwhisk']);

/** `ownText`: keep the result's own JSON text when its numbers need it (its HTTP answer uses it). */
function parseEnvelope(file: ResultFile | undefined, maxResultBytes: number, ownText: boolean): Envelope {
  if (!file || file.kind === 'missing') {
    return { type: 'invalid', message: 'the handler wrote no result (/caisson/io/result.json is missing)' };
  }
  if (file.kind === 'unreadable') return { type: 'invalid', message: `result.json could not be read: ${file.message}` };
  if (file.kind === 'too-large' || byteLength(file.text) > resultFileCapBytes(maxResultBytes)) {
    const size = file.kind === 'too-large' ? file.sizeBytes : byteLength(file.text);
    return { type: 'invalid', message: `the result is over the limit of ${maxResultBytes} bytes (${size} bytes with the wrapper's envelope)` };
  }
  let value: unknown;
  try {
    value = JSON.parse(file.text);
  } catch (err) {
    return { type: 'invalid', message: `result.json is not valid JSON: ${(err as Error).message}` };
  }
  if (!isRecord(value) || typeof value.ok !== 'boolean') {
    return { type: 'invalid', message: 'result.json is not {"ok": true|false, …}' };
  }
  if (value.ok) {
    const size = okResultBytes(file.text, value.result);
    if (size > maxResultBytes) return { type: 'invalid', message: `the result is ${size} bytes, over the limit of ${maxResultBytes} bytes` };
    const text = ownText ? ownResultText(file.text) : undefined;
    return { type: 'ok', result: value.result ?? null, ...(text === undefined ? {} : { text }) };
  }
  const error = isRecord(value.error) ? value.error : {};
  const message = typeof error.message === 'string' && error.message ? error.message : 'the handler failed';
  const extra: ErrorExtra = {};
  if (typeof error.type === 'string') extra.errorType = error.type;
  if (typeof error.stack === 'string') extra.stack = error.stack;
  if (isRecord(error.platform)) extra.platform = boundedPlatform(error.platform);
  return { type: 'error', message: extra.errorType ? `${extra.errorType}: ${message}` : message, extra };
}

/**
 * Room for the wrappers' envelope around a result ({"ok": true, "result": …}, or an error with
 * its stack): the limit is the function's result bytes, so the file may be that much larger.
 */
export const RESULT_ENVELOPE_SLACK_BYTES = 64 * 1024;

/** What result.json (or a warm reply's envelope) may hold for a result limit. */
export function resultFileCapBytes(maxResultBytes: number): number {
  return maxResultBytes + RESULT_ENVELOPE_SLACK_BYTES;
}

const OK_ENVELOPE_HEAD = /^\s*\{\s*"ok"\s*:\s*true\s*,\s*"result"\s*:\s*/;

/** The result's bytes as the function's wrapper serialised them: the envelope minus its head and closing brace. */
function okResultBytes(text: string, result: unknown): number {
  const head = OK_ENVELOPE_HEAD.exec(text);
  const body = text.trimEnd();
  if (head && body.endsWith('}')) return byteLength(body) - byteLength(head[0]) - 1;
  try {
    return byteLength(JSON.stringify(result ?? null)); // another field order: the value's own JSON
  } catch {
    return byteLength(body); // too deep to serialise again: the envelope's size bounds it
  }
}

/**
 * The result's JSON text inside an ok envelope, when it holds a number whose text differs from
 * what JSON.stringify of its value prints; undefined otherwise (the value says it all). The
 * slice parses on its own only when it is the whole result value (no other key follows it).
 */
function ownResultText(envelope: string): string | undefined {
  const head = OK_ENVELOPE_HEAD.exec(envelope);
  const body = envelope.trimEnd();
  if (!head || !body.endsWith('}')) return undefined;
  const text = body.slice(head[0].length, -1).trimEnd();
  if (!numberTextDiffers(text)) return undefined;
  try {
    JSON.parse(text);
    return text;
  } catch {
    return undefined;
  }
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Whether JSON text holds a number token that JSON.stringify of its value would print otherwise (4.0 → 4). */
export function numberTextDiffers(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: skip to its closing quote, past escapes.
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      NUMBER.lastIndex = i;
      const token = NUMBER.exec(text)?.[0];
      if (!token) continue;
      if (JSON.stringify(Number(token)) !== token) return true;
      i += token.length - 1;
    }
  }
  return false;
}

function interpretStdout(
  outcome: ExecutionOutcome,
  maxResultBytes: number,
  fail: (kind: FailureKind, message: string) => InterpretedOutcome,
): InterpretedOutcome {
  if (outcome.stdoutTruncated) {
    return fail('InvalidOutput', 'stdout exceeded its cap and was truncated, so the result (printed last) is lost');
  }
  const text = outcome.stdout.trim();
  if (text === '') return { ok: true, result: null };
  const candidate = tryJson(text) ?? tryJson(lastNonEmptyLine(text));
  if (!candidate) {
    return fail('InvalidOutput', `stdout is not JSON (print the result as JSON on the last line): ${snippet(text)}`);
  }
  if (byteLength(candidate.text) > maxResultBytes) {
    return fail('InvalidOutput', `the result is ${byteLength(candidate.text)} bytes, over the limit of ${maxResultBytes} bytes`);
  }
  return { ok: true, result: candidate.value };
}

function tryJson(text: string): { value: unknown; text: string } | undefined {
  try {
    return { value: JSON.parse(text) as unknown, text };
  } catch {
    return undefined;
  }
}

function lastNonEmptyLine(text: string): string {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (line) return line;
  }
  return '';
}

function tail(text: string): string {
  const trimmed = text.trimEnd();
  return trimmed.length > STDERR_TAIL_CHARS ? `…${trimmed.slice(-STDERR_TAIL_CHARS)}` : trimmed;
}

function snippet(text: string): string {
  return text.length > SNIPPET_CHARS ? `${text.slice(0, SNIPPET_CHARS)}…` : text;
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
