// Small statistics for benchmarks: nearest-rank percentiles over milliseconds.

export interface Summary {
  p50_ms: number;
  p95_ms: number;
  n: number;
}

export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function summarize(samples: number[]): Summary {
  const round = (x: number) => Math.round(x * 10) / 10;
  return { p50_ms: round(percentile(samples, 50)), p95_ms: round(percentile(samples, 95)), n: samples.length };
}
