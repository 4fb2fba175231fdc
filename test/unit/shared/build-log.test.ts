import { describe, expect, it } from 'vitest';
import { BUILD_LOG_LIMITS, safeLogLine } from '../../../src/shared/build-log.js';

describe('safeLogLine', () => {
  it.each([
    ['plain text', 'plain text'],
    ['\x1b[1;31mbold red\x1b[0m', 'bold red'],
    ['\x1b]0;window title\x07after', 'after'],
    ['\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\', 'link'],
    ['clear\x1b[2J\x1b[Hscreen', 'clearscreen'],
    ['bell\x07 nul\x00 del\x7f c1\x9b31m', 'bell nul del c1'],
    ['tab\tkept', 'tab\tkept'],
    ['carriage\rreturn', 'carriagereturn'],
  ])('%j → %j', (input, expected) => {
    expect(safeLogLine(input)).toBe(expected);
  });

  it('cuts a long line once: cleaning it again changes nothing', () => {
    const max = BUILD_LOG_LIMITS.lineChars;
    const once = safeLogLine('y'.repeat(max * 3));
    expect(once).toBe(`${'y'.repeat(max)}… (${max * 2} more characters)`);
    expect(safeLogLine(once)).toBe(once);
  });
});
