import { describe, expect, it } from 'vitest';
import { LineReader, maxLineBytes, parseWarmLine } from '../../../src/runtime/warm/warm-protocol.js';

const CAP = 100;
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('parseWarmLine: everything from a container is checked', () => {
  it.each([
    { line: `{"fd":1,"b64":"${b64('hi')}"}`, type: 'frame' },
    { line: `{"fd":2,"b64":""}`, type: 'frame' },
    { line: '{"ready":true,"mode":"in-process","pid":7}', type: 'hello' },
    { line: '{"exitCode":0,"stdoutDropped":0,"stderrDropped":3,"oomKilled":false}', type: 'reply' },
    { line: `{"exitCode":1,"stdoutDropped":0,"stderrDropped":0,"oomKilled":false,"envelopeB64":"${b64('{"ok":true}')}"}`, type: 'reply' },
    { line: '{"fd":1,"b64":"QUJD"', type: 'invalid' },
    { line: '\u0000\u00ff garbage', type: 'invalid' },
    { line: '[1,2]', type: 'invalid' },
    { line: 'null', type: 'invalid' },
    { line: '{"fd":7,"b64":"QUJD"}', type: 'invalid' },
    { line: '{"fd":1,"b64":"not base64!"}', type: 'invalid' },
    { line: '{"fd":1,"b64":42}', type: 'invalid' },
    { line: '{"ready":true}', type: 'invalid' },
    { line: '{"exitCode":"zero","stdoutDropped":-1}', type: 'invalid' },
    { line: '{"exitCode":300,"stdoutDropped":0,"stderrDropped":0,"oomKilled":false}', type: 'invalid' },
    { line: '{"exitCode":0,"stdoutDropped":1.5,"stderrDropped":0,"oomKilled":false}', type: 'invalid' },
    { line: '{"exitCode":0,"stdoutDropped":0,"stderrDropped":0,"oomKilled":"no"}', type: 'invalid' },
    { line: '{"exitCode":0,"stdoutDropped":0,"stderrDropped":0,"oomKilled":false,"envelopeB64":"%%"}', type: 'invalid' },
  ])('$line → $type', ({ line, type }) => {
    expect(parseWarmLine(line, CAP).type).toBe(type);
  });

  it('a result over the cap is too-large, however it is sent', () => {
    const big = `{"exitCode":0,"stdoutDropped":0,"stderrDropped":0,"oomKilled":false,"envelopeB64":"${b64('x'.repeat(CAP + 1))}"}`;
    expect(parseWarmLine(big, CAP)).toMatchObject({ reply: { resultFile: { kind: 'too-large', sizeBytes: CAP + 1 } } });
    const said = '{"exitCode":0,"stdoutDropped":0,"stderrDropped":0,"oomKilled":false,"resultTooLarge":5000}';
    expect(parseWarmLine(said, CAP)).toMatchObject({ reply: { resultFile: { kind: 'too-large', sizeBytes: 5000 } } });
  });
});

describe('LineReader', () => {
  it('splits lines across chunks', () => {
    const r = new LineReader(() => 100);
    expect(r.push(Buffer.from('ab'))).toEqual({ lines: [] });
    expect(r.push(Buffer.from('c\nde\nf'))).toEqual({ lines: ['abc', 'de'] });
    expect(r.push(Buffer.from('\n'))).toEqual({ lines: ['f'] });
  });

  it('refuses a line longer than its cap, complete or not', () => {
    expect(new LineReader(() => 4).push(Buffer.from('abcdef'))).toMatchObject({ overflow: 6 });
    expect(new LineReader(() => 4).push(Buffer.from('abcdef\n'))).toMatchObject({ overflow: 6 });
  });

  it('a reply with the largest result fits the line cap', () => {
    const cap = 6 * 1024 * 1024;
    const reply = `{"exitCode":0,"stdoutDropped":0,"stderrDropped":0,"oomKilled":false,"stray":false,"envelopeB64":"${Buffer.alloc(cap).toString('base64')}"}`;
    expect(Buffer.byteLength(reply)).toBeLessThan(maxLineBytes(cap));
  });
});
