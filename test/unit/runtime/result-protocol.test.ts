import { describe, expect, it } from 'vitest';
import type { ExecutionOutcome } from '../../../src/runtime/docker/container-runtime.js';
import { interpretOutcome, numberTextDiffers, type InterpretInput, type ResultFile } from '../../../src/runtime/io/result-protocol.js';

const MAX = 1000;

function outcome(over: Partial<ExecutionOutcome> = {}): ExecutionOutcome {
  return {
    exitCode: 0,
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    oomKilled: false,
    timedOut: false,
    cancelled: false,
    durationMs: 10,
    ...over,
  };
}

const file = (value: unknown): ResultFile => ({ kind: 'present', text: JSON.stringify(value) });
const okFile = file({ ok: true, result: { a: 1 } });
const errFile = file({ ok: false, error: { type: 'ValueError', message: 'boom', stack: 'Traceback…' } });

type Case = [name: string, input: Omit<InterpretInput, 'maxResultBytes'>, expected: Record<string, unknown>];

const failures: Case[] = [
  ['cancelled wins over everything', { convention: 'handler', outcome: outcome({ cancelled: true, timedOut: true, oomKilled: true }), resultFile: okFile }, { kind: 'Cancelled' }],
  ['timeout wins over OOM and exit code', { convention: 'script', outcome: outcome({ timedOut: true, oomKilled: true, exitCode: 137 }), resultFile: undefined }, { kind: 'FunctionTimeout' }],
  ['OOM flag', { convention: 'script', outcome: outcome({ oomKilled: true, exitCode: 137 }), resultFile: undefined }, { kind: 'FunctionOOM' }],
  ['OOM wins over a handler error', { convention: 'handler', outcome: outcome({ oomKilled: true, exitCode: 1 }), resultFile: errFile }, { kind: 'FunctionOOM' }],
  ['handler error carries type, message, stack', { convention: 'handler', outcome: outcome({ exitCode: 1, stderr: 'Traceback…' }), resultFile: errFile }, { kind: 'FunctionError', message: 'ValueError: boom', errorType: 'ValueError', stack: 'Traceback…' }],
  ['handler error without message', { convention: 'handler', outcome: outcome({ exitCode: 1 }), resultFile: file({ ok: false }) }, { kind: 'FunctionError', message: 'the handler failed' }],
  ['non-zero exit with stderr', { convention: 'script', outcome: outcome({ exitCode: 3, stderr: 'bad thing\n' }), resultFile: undefined }, { kind: 'FunctionError', message: 'the function exited with code 3: bad thing', stderrTail: 'bad thing' }],
  ['exit 137 without OOM names SIGKILL', { convention: 'script', outcome: outcome({ exitCode: 137 }), resultFile: undefined }, { kind: 'FunctionError', message: 'the function exited with code 137 (SIGKILL)' }],
  ['non-zero exit beats a handler ok result', { convention: 'handler', outcome: outcome({ exitCode: 2 }), resultFile: okFile }, { kind: 'FunctionError' }],
  ['unknown exit status', { convention: 'script', outcome: outcome({ exitCode: null }), resultFile: undefined }, { kind: 'InfrastructureError' }],
  // The server's channel closed while its own processes kept the container up (e.g. PID 1 held under ptrace).
  ['abandoned server', { convention: 'handler', outcome: outcome({ exitCode: null, abandoned: true }), resultFile: { kind: 'missing' } }, { kind: 'FunctionError' }],
  ['handler without result.json', { convention: 'handler', outcome: outcome(), resultFile: { kind: 'missing' } }, { kind: 'InvalidOutput', message: expect.stringContaining('result.json is missing') }],
  ['handler result file undefined', { convention: 'handler', outcome: outcome(), resultFile: undefined }, { kind: 'InvalidOutput' }],
  ['handler result.json too large', { convention: 'handler', outcome: outcome(), resultFile: { kind: 'too-large', sizeBytes: 70_000, capBytes: MAX } }, { kind: 'InvalidOutput', message: `the result is over the limit of ${MAX} bytes (70000 bytes with the wrapper's envelope)` }],
  ['handler result one byte over the limit', { convention: 'handler', outcome: outcome(), resultFile: { kind: 'present', text: `{"ok":true,"result":"${'x'.repeat(MAX - 1)}"}` } }, { kind: 'InvalidOutput', message: `the result is ${MAX + 1} bytes, over the limit of ${MAX} bytes` }],
  ['handler result over the limit, envelope in another order', { convention: 'handler', outcome: outcome(), resultFile: file({ result: 'x'.repeat(MAX), ok: true }) }, { kind: 'InvalidOutput', message: `the result is ${MAX + 2} bytes, over the limit of ${MAX} bytes` }],
  ['handler result.json not JSON', { convention: 'handler', outcome: outcome(), resultFile: { kind: 'present', text: '{"ok":tru' } }, { kind: 'InvalidOutput', message: expect.stringContaining('not valid JSON') }],
  ['handler result.json wrong shape', { convention: 'handler', outcome: outcome(), resultFile: file([1, 2]) }, { kind: 'InvalidOutput' }],
  ['handler result.json unreadable', { convention: 'handler', outcome: outcome(), resultFile: { kind: 'unreadable', message: 'result.json is a symbolic link' } }, { kind: 'InvalidOutput', message: expect.stringContaining('symbolic link') }],
  ['script non-JSON stdout', { convention: 'script', outcome: outcome({ stdout: 'hello world\n' }), resultFile: undefined }, { kind: 'InvalidOutput', message: expect.stringContaining('stdout is not JSON') }],
  ['script truncated stdout', { convention: 'script', outcome: outcome({ stdout: '{"a":1}\n…[truncated 5 bytes]', stdoutTruncated: true }), resultFile: undefined }, { kind: 'InvalidOutput', message: expect.stringContaining('truncated') }],
  ['script result over the limit', { convention: 'script', outcome: outcome({ stdout: JSON.stringify('x'.repeat(MAX)) }), resultFile: undefined }, { kind: 'InvalidOutput', message: expect.stringContaining(`limit of ${MAX} bytes`) }],
];

const successes: Array<[name: string, input: Omit<InterpretInput, 'maxResultBytes'>, result: unknown]> = [
  ['script JSON object', { convention: 'script', outcome: outcome({ stdout: '{"message":"hi"}\n' }), resultFile: undefined }, { message: 'hi' }],
  ['script JSON with surrounding whitespace', { convention: 'script', outcome: outcome({ stdout: '\n  [1,2]  \n\n' }), resultFile: undefined }, [1, 2]],
  ['script multi-line pretty JSON', { convention: 'script', outcome: outcome({ stdout: '{\n  "a": 1\n}\n' }), resultFile: undefined }, { a: 1 }],
  ['script logs then JSON on the last line', { convention: 'script', outcome: outcome({ stdout: 'starting\nworking\n{"done":true}\n\n' }), resultFile: undefined }, { done: true }],
  ['script JSON scalar', { convention: 'script', outcome: outcome({ stdout: '42\n' }), resultFile: undefined }, 42],
  ['script empty stdout → null', { convention: 'script', outcome: outcome({ stdout: '  \n' }), resultFile: undefined }, null],
  ['script ignores stderr', { convention: 'script', outcome: outcome({ stdout: '"ok"', stderr: 'warning: x' }), resultFile: undefined }, 'ok'],
  ['script ignores result.json', { convention: 'script', outcome: outcome({ stdout: '1' }), resultFile: okFile }, 1],
  ['handler ok result, stdout is only logs', { convention: 'handler', outcome: outcome({ stdout: 'not json log line\n' }), resultFile: okFile }, { a: 1 }],
  ['handler ok without result → null', { convention: 'handler', outcome: outcome(), resultFile: file({ ok: true }) }, null],
  // The limit is the result's own bytes: a JSON string of MAX - 2 characters is MAX bytes with its quotes.
  ['handler result of exactly the limit', { convention: 'handler', outcome: outcome(), resultFile: { kind: 'present', text: `{"ok": true, "result": "${'x'.repeat(MAX - 2)}"}` } }, 'x'.repeat(MAX - 2)],
];

describe('interpretOutcome', () => {
  it.each(failures)('%s', (_name, input, expected) => {
    const got = interpretOutcome({ ...input, maxResultBytes: MAX });
    expect(got.ok).toBe(false);
    expect(got).toMatchObject(expected);
  });

  it.each(successes)('%s', (_name, input, result) => {
    expect(interpretOutcome({ ...input, maxResultBytes: MAX })).toEqual({ ok: true, result });
  });

  it('keeps only the tail of a long stderr', () => {
    const stderr = `${'a'.repeat(5000)}THE END`;
    const got = interpretOutcome({ convention: 'script', outcome: outcome({ exitCode: 1, stderr }), resultFile: undefined, maxResultBytes: MAX });
    expect(got.ok).toBe(false);
    if (got.ok) return;
    expect(got.stderrTail?.length).toBeLessThanOrEqual(2001);
    expect(got.message.endsWith('THE END')).toBe(true);
  });
});

describe("a handler's own result text", () => {
  const present = (text: string): ResultFile => ({ kind: 'present', text });
  it.each([
    ['4.0', 4], ['{"ratio": 4.0, "n": [1, 2.50]}', { ratio: 4, n: [1, 2.5] }], ['-0.0', -0], ['1e+16', 1e16],
    ['12345678901234567890', Number('12345678901234567890')], ['{"s": "4.0", "x": 1.0}', { s: '4.0', x: 1 }],
  ])('%s is kept beside its value', (text, value) => {
    const got = interpretOutcome({ convention: 'handler', outcome: outcome(), resultFile: present(`{"ok": true, "result": ${text}}`), maxResultBytes: MAX });
    expect(got).toEqual({ ok: true, result: value, text });
  });

  it.each([
    ['numbers that print the same', '{"ok": true, "result": {"a": 1, "b": 2.5, "c": -3, "d": "4.0"}}'],
    ['another key after the result', '{"ok": true, "result": 4.0, "extra": 1}'],
    ['another field order', '{"result": 4.0, "ok": true}'],
  ])('no text: %s', (_name, text) => {
    const got = interpretOutcome({ convention: 'handler', outcome: outcome(), resultFile: present(text), maxResultBytes: MAX });
    expect(got).toMatchObject({ ok: true });
    expect(got).not.toHaveProperty('text');
  });

  it('Lambda functions and OpenWhisk actions keep it too (a plain result is their HTTP answer); openfaas maps its result itself', () => {
    for (const convention of ['lambda', 'openwhisk'] as const) {
      const got = interpretOutcome({ convention, outcome: outcome(), resultFile: present('{"ok": true, "result": 4.0}'), maxResultBytes: MAX });
      expect(got).toEqual({ ok: true, result: 4, text: '4.0' });
    }
    const openfaas = interpretOutcome({ convention: 'openfaas', outcome: outcome(), resultFile: present('{"ok": true, "result": {"n": 4.0}}'), maxResultBytes: MAX });
    expect(openfaas).toEqual({ ok: true, result: { n: 4 } });
  });

  it.each([
    ['"a \\" 4.0"', false], ['[1e3]', true], ['[1000]', false], ['[0.1, 0.30000000000000004]', false], ['[1E2]', true], ['[true, null, -7]', false],
  ])('numberTextDiffers(%s) = %s', (text, differs) => expect(numberTextDiffers(text)).toBe(differs));
});

describe('hostile error envelopes', () => {
  it('a platform object nested too deep to serialise is cut, not thrown', () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const text = `{"ok":false,"error":{"type":"E","message":"m","platform":{"stackTrace":${deep}}}}`;
    const got = interpretOutcome({ convention: 'handler', outcome: outcome({ exitCode: 1 }), resultFile: { kind: 'present', text }, maxResultBytes: 1 << 20 });
    expect(got).toMatchObject({ ok: false, kind: 'FunctionError', message: 'E: m' });
    expect(JSON.stringify((got as { platform?: unknown }).platform).length).toBeLessThan(16 * 1024);
  });
});

