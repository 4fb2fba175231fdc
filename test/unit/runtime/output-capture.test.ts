import { describe, expect, it } from 'vitest';
import { CappedBuffer, createDemuxer, createOutputCapture, recapText } from '../../../src/runtime/docker/output-capture.js';

function frame(stream: number, text: string | Buffer): Buffer {
  const payload = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Splits bytes into chunks of the given sizes (the rest as one chunk). */
function split(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

describe('createDemuxer', () => {
  const wire = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err one\n'), frame(1, ''), frame(1, 'out two\n'), frame(0, 'stdin')]);

  it.each([1, 3, 7, 8, 9, 13, 1000])('reassembles frames from chunks of %i bytes', (size) => {
    const got: Record<number, string> = { 0: '', 1: '', 2: '' };
    const push = createDemuxer((stream, payload) => (got[stream] += payload.toString()));
    for (const chunk of split(wire, size)) push(chunk);
    expect(got).toEqual({ 0: 'stdin', 1: 'out one\nout two\n', 2: 'err one\n' });
  });
});

describe('CappedBuffer', () => {
  it.each([
    ['under the cap', 10, ['abc', 'def'], 'abcdef', false],
    ['exactly the cap', 6, ['abc', 'def'], 'abcdef', false],
    ['cap inside a chunk', 4, ['abc', 'def'], 'abcd\n…[truncated 2 bytes]', true],
    ['cap between chunks', 3, ['abc', 'def', 'gh'], 'abc\n…[truncated 5 bytes]', true],
    ['zero cap', 0, ['abc'], '\n…[truncated 3 bytes]', true],
  ])('%s', (_name, cap, chunks, text, truncated) => {
    const buf = new CappedBuffer(cap);
    for (const c of chunks) buf.push(Buffer.from(c));
    expect(buf.text()).toBe(text);
    expect(buf.truncated).toBe(truncated);
  });

  it('counts 50 MB without keeping it', () => {
    const buf = new CappedBuffer(1024);
    const block = Buffer.alloc(64 * 1024, 'y');
    for (let i = 0; i < 800; i++) buf.push(block);
    expect(buf.droppedBytes).toBe(800 * 64 * 1024 - 1024);
    expect(buf.text().length).toBeLessThan(1100);
  });
});

describe('createOutputCapture', () => {
  it('caps stdout and stderr separately', () => {
    const cap = createOutputCapture({ stdoutCapBytes: 4, stderrCapBytes: 100 });
    cap.push(Buffer.concat([frame(1, '123456'), frame(2, 'warn')]));
    expect(cap.stdout.text()).toBe('1234\n…[truncated 2 bytes]');
    expect(cap.stderr.text()).toBe('warn');
  });
});

describe('recapText', () => {
  it.each([
    { text: 'abc', cap: 5, want: 'abc' },
    { text: 'abcdef', cap: 4, want: 'abcd\n…[truncated 2 bytes]' },
    { text: 'abcdef\n…[truncated 10 bytes]', cap: 4, want: 'abcd\n…[truncated 12 bytes]' },
    { text: 'ab\n…[truncated 10 bytes]', cap: 4, want: 'ab\n…[truncated 10 bytes]' },
    { text: 'ééé', cap: 4, want: 'éé\n…[truncated 2 bytes]' },
  ])('$text at $cap bytes → $want', ({ text, cap, want }) => {
    expect(recapText(text, cap)).toBe(want);
  });
});
