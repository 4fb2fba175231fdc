// Function names, namespaces and versions are user input: each distinct set is a new time series
// in every scraper. The cap keeps the first `max` sets as they are and counts any later one
// under `_other`, so a tenant deploying thousands of functions cannot grow /metrics without bound.

export const OTHER = '_other';

export interface FunctionLabels {
  namespace: string;
  function: string;
  version: string;
}

export interface LabelCap {
  labels(namespace: string, fn: string, version: number | string): FunctionLabels;
  /** Distinct sets kept so far. */
  size(): number;
}

export function createLabelCap(max: number): LabelCap {
  const seen = new Set<string>();
  return {
    labels(namespace, fn, version) {
      const v = String(version);
      const key = `${namespace}\u0000${fn}\u0000${v}`;
      if (seen.has(key)) return { namespace, function: fn, version: v };
      if (seen.size >= max) return { namespace: OTHER, function: OTHER, version: OTHER };
      seen.add(key);
      return { namespace, function: fn, version: v };
    },
    size: () => seen.size,
  };
}
