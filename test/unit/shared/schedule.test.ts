import { describe, expect, it } from 'vitest';
import {
  CatchupWindowSchema, EverySchema, OverlapSchema, TimezoneSchema, cronProblem, parseDuration, scheduleIdOf, scheduleIdPrefix,
} from '../../../src/shared/schedule.js';

describe('schedule fields', () => {
  it.each([
    ['30s', 30_000], ['5m', 300_000], ['1h30m', 5_400_000], ['2d', 172_800_000], ['1500ms', 1500],
    ['5x', undefined], ['', undefined], ['m5', undefined], ['1.5h', undefined], ['5 m', undefined],
  ])('parseDuration(%j) = %j', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['*/5 * * * *', '0 12 * * 1-5', '15,45 3 1 JAN-MAR *', '0 0 * * SUN', '@daily', '@hourly', '0 0 1 1 *'])('accepts cron %j', (expr) => {
    expect(cronProblem(expr)).toBeUndefined();
  });

  it.each([
    ['every minute', /5 fields/], ['* * * *', /5 fields/], ['61 * * * *', /minute field/], ['0 24 * * *', /hour field/],
    ['0 0 0 * *', /day of month/], ['0 0 * 13 *', /month field/], ['*/0 * * * *', /step of 0/], ['0 0 * * $', /day of week/],
    ['@sometimes', /5 fields/],
  ])('refuses cron %j', (expr, why) => {
    expect(cronProblem(expr)).toMatch(why);
  });

  it('interval, catch-up window, time zone and overlap schemas name what they want', () => {
    expect(EverySchema.safeParse('2s').success).toBe(true);
    expect(EverySchema.safeParse('500ms').error?.issues[0]?.message).toMatch(/whole seconds/);
    expect(EverySchema.safeParse('soon').error?.issues[0]?.message).toMatch(/30s, 5m/);
    expect(CatchupWindowSchema.safeParse('5s').error?.issues[0]?.message).toMatch(/at least 10s/);
    expect(CatchupWindowSchema.safeParse('1h').success).toBe(true);
    expect(TimezoneSchema.safeParse('Europe/Paris').success).toBe(true);
    expect(TimezoneSchema.safeParse('Mars/Olympus').success).toBe(false);
    expect(OverlapSchema.safeParse('sometimes').error?.issues[0]?.message).toBe('one of skip, buffer-one, allow-all');
  });

  it('schedule ids keep namespaces apart and select one namespace by prefix', () => {
    const a = scheduleIdOf('caisson', 'team-a', 'nightly');
    const b = scheduleIdOf('caisson', 'team-ab', 'nightly');
    expect(a).not.toBe(b);
    expect(a.startsWith(scheduleIdPrefix('caisson', 'team-a'))).toBe(true);
    expect(b.startsWith(scheduleIdPrefix('caisson', 'team-a'))).toBe(false);
  });
});
