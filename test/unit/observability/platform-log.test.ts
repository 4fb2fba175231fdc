// Platform log lines: one JSON object per line with the process's fields, or text for people.
import { describe, expect, it } from 'vitest';
import { createPlatformLog } from '../../../src/observability/platform-log.js';

describe('createPlatformLog', () => {
  it('json: one object per line, time, level, service, the fixed fields and the event\'s', () => {
    const lines: string[] = [];
    const log = createPlatformLog({ service: 'worker', format: 'json', fields: { workerId: 'w1' }, write: (l) => void lines.push(l) });
    log('polling');
    log.event('warn', 'attempt ended', { invocationId: 'inv_1', function: 'f' });
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', service: 'worker', workerId: 'w1', msg: 'polling' });
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 'warn', msg: 'attempt ended', invocationId: 'inv_1', function: 'f' });
    expect(Number.isNaN(Date.parse(JSON.parse(lines[1]!).time))).toBe(false);
  });

  it('text: the service, the message and its fields', () => {
    const lines: string[] = [];
    const log = createPlatformLog({ service: 'api', format: 'text', write: (l) => void lines.push(l) });
    log('listening');
    log.event('error', 'failed', { invocationId: 'inv_2' });
    expect(lines).toEqual(['[caisson api] listening\n', '[caisson api] error: failed invocationId=inv_2\n']);
  });

  it('a message with a newline stays one JSON line', () => {
    const lines: string[] = [];
    createPlatformLog({ service: 'api', format: 'json', write: (l) => void lines.push(l) })('two\nlines');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).msg).toBe('two\nlines');
  });
});
