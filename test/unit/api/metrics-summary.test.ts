// metrics.summary's figures from a registry: sums over label sets, and p50/p95 estimated
// inside the histogram's buckets.
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/observability/metrics.js';
import { summarizeMetrics } from '../../../src/api/services/metrics-summary.js';

describe('summarizeMetrics', () => {
  it('answers nothing observed on a fresh registry', async () => {
    const s = await summarizeMetrics(createMetrics());
    expect(s).toMatchObject({ invocations: 0, byOutcome: {}, byStart: {}, deadLetters: 0, duration: { count: 0, p50: null, p95: null } });
  });

  it('sums invocations by outcome and start over functions, and estimates quantiles from buckets', async () => {
    const m = createMetrics();
    const fn = { namespace: 'default', function: 'hello', version: '1' };
    m.invocations.inc({ ...fn, outcome: 'Succeeded', start: 'warm' }, 3);
    m.invocations.inc({ ...fn, function: 'other', outcome: 'Succeeded', start: 'cold' });
    m.invocations.inc({ ...fn, outcome: 'FunctionError', start: 'warm' });
    m.deadLetters.inc({ namespace: 'default', function: 'hello' });
    // 9 fast (in the 0.01–0.025 s bucket) and 1 slow (2.5–5 s), over two namespaces.
    for (let i = 0; i < 9; i++) m.invocationDuration.observe({ namespace: i % 2 ? 'a' : 'b', outcome: 'Succeeded' }, 0.02);
    m.invocationDuration.observe({ namespace: 'a', outcome: 'Succeeded' }, 3);
    const s = await summarizeMetrics(m);
    expect(s.invocations).toBe(5);
    expect(s.byOutcome).toEqual({ Succeeded: 4, FunctionError: 1 });
    expect(s.byStart).toEqual({ warm: 4, cold: 1 });
    expect(s.deadLetters).toBe(1);
    expect(s.duration.count).toBe(10);
    expect(s.duration.p50).toBeGreaterThan(0.01);
    expect(s.duration.p50).toBeLessThanOrEqual(0.025);
    expect(s.duration.p95).toBeGreaterThan(2.5);
    expect(s.duration.p95).toBeLessThanOrEqual(5);
  });
});
