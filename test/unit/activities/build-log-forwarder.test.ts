import { describe, expect, it } from 'vitest';
import { createBuildLogForwarder, type BuildLogBatch } from '../../../src/activities/build-log-forwarder.js';
import { BUILD_LOG_LIMITS } from '../../../src/shared/build-log.js';

function recorder(opts: { fail?: boolean } = {}) {
  const batches: BuildLogBatch[] = [];
  return {
    batches,
    lines: () => batches.flatMap((b) => b.lines),
    sink: { send: async (_id: string, batch: BuildLogBatch) => { batches.push(batch); if (opts.fail) throw new Error('api down'); } },
  };
}

describe('build log forwarder', () => {
  it('sends whole lines across chunk and UTF-8 boundaries, the last one without a newline at close', async () => {
    const r = recorder();
    const f = createBuildLogForwarder({ sink: r.sink, deploymentId: 'dep_1', attempt: 1, flushMs: 1 });
    const euro = Buffer.from('€');
    f.write(Buffer.from('one\ntw'));
    f.write(Buffer.concat([Buffer.from('o '), euro.subarray(0, 1)]));
    f.write(Buffer.concat([euro.subarray(1), Buffer.from('\r\nthree')]));
    await f.close();
    expect(r.lines()).toEqual(['one', 'two €', 'three']);
    expect(r.batches.every((b) => b.attempt === 1)).toBe(true);
    expect(r.batches.map((b) => b.seq)).toEqual(r.batches.map((_, i) => r.batches.slice(0, i).reduce((n, b) => n + b.lines.length, 0)));
  });

  it('cleans escape sequences and cuts a line that never ends once, counting all of it', async () => {
    const r = recorder();
    const f = createBuildLogForwarder({ sink: r.sink, deploymentId: 'dep_1', attempt: 1, flushMs: 1 });
    f.write(Buffer.from('\x1b[31mred\x1b[0m\x07\n'));
    for (let i = 0; i < 50; i++) f.write(Buffer.from('x'.repeat(1000)));
    f.write(Buffer.from('\nafter\n'));
    await f.close();
    const max = BUILD_LOG_LIMITS.lineChars;
    expect(r.lines()).toEqual(['red', `${'x'.repeat(max)}… (${50_000 - max} more characters)`, 'after']);
  });

  it('sends at most linesPerDeployment lines, then says how many more there were', async () => {
    const r = recorder();
    const f = createBuildLogForwarder({ sink: r.sink, deploymentId: 'dep_1', attempt: 2, flushMs: 1 });
    const total = BUILD_LOG_LIMITS.linesPerDeployment + 500;
    f.write(Buffer.from(Array.from({ length: total }, (_, i) => `line ${i}\n`).join('')));
    await f.close();
    const lines = r.lines();
    expect(lines).toHaveLength(BUILD_LOG_LIMITS.linesPerDeployment);
    expect(lines.at(-1)).toBe(`… 501 more lines of build output not shown (the first ${BUILD_LOG_LIMITS.linesPerDeployment - 1} are)`);
    expect(Math.max(...r.batches.map((b) => b.lines.length))).toBeLessThanOrEqual(BUILD_LOG_LIMITS.linesPerBatch);
  });

  it('a sink that fails loses lines but never throws, and close still returns', async () => {
    const r = recorder({ fail: true });
    const f = createBuildLogForwarder({ sink: r.sink, deploymentId: 'dep_1', attempt: 1, flushMs: 1, closeWaitMs: 500 });
    f.write(Buffer.from('a\nb\n'));
    await expect(f.close()).resolves.toBeUndefined();
    expect(r.lines()).toEqual(['a', 'b']);
  });
});
