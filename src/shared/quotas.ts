// Per-namespace quotas: their names, the defaults' shape, and the effective value of each
// (a namespace's override, else the default). Read by the api (admission, deploys, blob
// writes, namespace.get/setQuota), the CLI and the worker (warm containers).

export const QUOTA_NAMES = [
  'concurrentInvocations',
  'invocationsPerMinute',
  'functions',
  'versions',
  'codeBytes',
  'warmContainers',
  'blobBytes',
] as const;
export type QuotaName = (typeof QUOTA_NAMES)[number];

/** Every quota's value; 0 means no invocations (or objects) at all, not "unlimited". */
export type Quotas = Record<QuotaName, number>;
/** A namespace's overrides: null (or absent) takes the default. */
export type QuotaOverrides = Partial<Record<QuotaName, number | null>>;

/** What each quota bounds, for messages, `caisson namespace get` and docs/security.md (Quotas). */
export const QUOTA_MEANINGS: Record<QuotaName, string> = {
  concurrentInvocations: 'invocations admitted and not finished (chain steps included)',
  invocationsPerMinute: 'invocations accepted in the last 60 s',
  functions: 'functions (not deleted)',
  versions: 'function versions of those functions',
  codeBytes: 'code bytes of those versions (each version counts its artifact)',
  warmContainers: 'warm containers one worker keeps for the namespace',
  blobBytes: 'bytes of stored payloads, results and logs over the inline size (blobs)',
};

export function effectiveQuotas(defaults: Quotas, overrides: QuotaOverrides | null | undefined): Quotas {
  const out = { ...defaults };
  for (const name of QUOTA_NAMES) {
    const v = overrides?.[name];
    if (v !== null && v !== undefined) out[name] = v;
  }
  return out;
}
