// metrics.summary: the few figures the dashboard's Metrics page charts, read from this api
// process's prom-client registry (the same counters /metrics exports): invocations by outcome
// and by cold/warm start, and duration and queue-wait quantiles estimated from the histograms'
// buckets. Totals since this process started; the registry is never changed here.
import type { Metrics } from '../../observability/metrics.js';

export interface Quantiles {
  count: number;
  /** Seconds, estimated within a bucket (null: nothing observed). */
  p50: number | null;
  p95: number | null;
}

export interface MetricsSummary {
  invocations: number;
  byOutcome: Record<string, number>;
  byStart: Record<string, number>;
  deadLetters: number;
  duration: Quantiles;
  queueWait: Quantiles;
  since: string;
}

type Sample = { labels: Record<string, string | number | undefined>; value: number; metricName?: string };
interface Readable { get(): Promise<{ values: Sample[] }> | { values: Sample[] } }

async function samples(metric: Readable): Promise<Sample[]> {
  return (await metric.get()).values;
}

function sumBy(values: Sample[], label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) {
    const key = String(v.labels[label] ?? 'none');
    out[key] = (out[key] ?? 0) + v.value;
  }
  return out;
}

/** A quantile from cumulative buckets summed over every label set, interpolated linearly inside its bucket. */
function quantile(buckets: [number, number][], count: number, q: number): number | null {
  if (count === 0) return null;
  const rank = q * count;
  let lower = 0;
  let below = 0;
  for (const [le, cumulative] of buckets) {
    if (cumulative >= rank) {
      if (!Number.isFinite(le)) return lower;
      const inBucket = cumulative - below;
      return inBucket === 0 ? le : lower + (le - lower) * ((rank - below) / inBucket);
    }
    lower = le;
    below = cumulative;
  }
  return lower;
}

async function quantiles(metric: Readable): Promise<Quantiles> {
  const values = await samples(metric);
  const byLe = new Map<number, number>();
  let count = 0;
  for (const v of values) {
    if (v.metricName?.endsWith('_bucket')) {
      const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
      byLe.set(le, (byLe.get(le) ?? 0) + v.value);
    } else if (v.metricName?.endsWith('_count')) count += v.value;
  }
  const buckets = [...byLe.entries()].sort((a, b) => a[0] - b[0]);
  return { count, p50: quantile(buckets, count, 0.5), p95: quantile(buckets, count, 0.95) };
}

const started = new Date().toISOString();

export async function summarizeMetrics(metrics: Metrics): Promise<MetricsSummary> {
  const invocations = await samples(metrics.invocations);
  const deadLetters = await samples(metrics.deadLetters);
  return {
    invocations: invocations.reduce((n, v) => n + v.value, 0),
    byOutcome: sumBy(invocations, 'outcome'),
    byStart: sumBy(invocations, 'start'),
    deadLetters: deadLetters.reduce((n, v) => n + v.value, 0),
    duration: await quantiles(metrics.invocationDuration),
    queueWait: await quantiles(metrics.queueWait),
    since: started,
  };
}
