// Keeps the worker's code cache to what live versions need: periodically (and at start) it
// asks the api which versions are live, retires warm pools of versions that are gone, and
// removes code dirs no live version uses once unused for graceMs; past maxBytes it removes
// the least recently used dirs not in use. Never removes on a failed answer from the api.
import { errorMessage } from '../../shared/errors.js';
import type { LiveVersion } from '../../shared/types.js';
import type { CodeCache, CodeCacheEntry } from '../io/code-cache.js';
import { warmPoolKey } from '../warm/warm-target.js';

export interface ReconcileReport {
  removed: string[];
  /** Warm pool keys whose versions are no longer live. */
  goneKeys: string[];
  /** Bytes the cache holds afterwards. */
  bytes: number;
}

export interface CodeCacheReconciler {
  /** One reconcile now (waits for one in progress first). */
  reconcile(): Promise<ReconcileReport>;
  stop(): void;
}

/**
 * Which dirs to remove. A dir is in use when materialized within graceMs (a cold container or
 * a build may still hold it) or pinned (a warm pool holds it): in-use dirs always stay.
 */
export function planEviction(input: {
  entries: CodeCacheEntry[]; live: ReadonlySet<string>; pinned: (sha256: string) => boolean;
  now: number; graceMs: number; maxBytes: number;
}): string[] {
  const inUse = (e: CodeCacheEntry) => input.now - e.lastUsedMs < input.graceMs || input.pinned(e.sha256);
  const evict = input.entries.filter((e) => !input.live.has(e.sha256) && !inUse(e));
  const kept = input.entries.filter((e) => !evict.includes(e));
  let bytes = kept.reduce((n, e) => n + e.bytes, 0);
  // Over the cap: live code unused for a while goes too (fetched again when next needed).
  for (const e of kept.filter((e) => !inUse(e)).sort((a, b) => a.lastUsedMs - b.lastUsedMs)) {
    if (bytes <= input.maxBytes) break;
    evict.push(e);
    bytes -= e.bytes;
  }
  return evict.map((e) => e.sha256);
}

export function startCodeCacheReconciler(opts: {
  cache: CodeCache;
  liveVersions: () => Promise<LiveVersion[]>;
  intervalMs: number;
  graceMs: number;
  maxBytes: number;
  /** Code hash prefixes a warm pool holds (in use however long ago they were materialized). */
  pinned?: () => string[];
  /** This worker's warm pool keys; those of versions no longer live go to onVersionsGone. */
  warmKeys?: () => string[];
  onVersionsGone?: (keys: string[]) => void;
  log?: (m: string) => void;
}): CodeCacheReconciler {
  const log = opts.log ?? (() => {});
  let running: Promise<ReconcileReport> | undefined;

  async function once(): Promise<ReconcileReport> {
    const versions = await opts.liveVersions();
    const liveKeys = new Set(versions.map(warmPoolKey));
    // Pinned before the gone pools are retired: their busy containers still run this time.
    const pinned = opts.pinned?.() ?? [];
    const goneKeys = (opts.warmKeys?.() ?? []).filter((k) => !liveKeys.has(k));
    if (goneKeys.length > 0) opts.onVersionsGone?.(goneKeys);
    const now = Date.now();
    const entries = await opts.cache.entries();
    const victims = planEviction({
      entries, live: new Set(versions.map((v) => v.sha256)), pinned: (sha) => pinned.some((p) => sha.startsWith(p)),
      now, graceMs: opts.graceMs, maxBytes: opts.maxBytes,
    });
    const removed: string[] = [];
    for (const sha of victims) if (await opts.cache.evict(sha, now - opts.graceMs)) removed.push(sha);
    const bytes = entries.filter((e) => !removed.includes(e.sha256)).reduce((n, e) => n + e.bytes, 0);
    if (removed.length > 0) log(`code cache: removed ${removed.length} dir(s) no live version needs; ${bytes} bytes kept`);
    if (bytes > opts.maxBytes) log(`code cache: ${bytes} bytes in use, over the cap of ${opts.maxBytes}`);
    return { removed, goneKeys, bytes };
  }

  function reconcile(): Promise<ReconcileReport> {
    const next = (running ?? Promise.resolve()).catch(() => undefined).then(once);
    running = next;
    return next;
  }

  const tick = () => void reconcile().catch((err) => log(`code cache: reconcile skipped: ${errorMessage(err)}`));
  tick();
  // 0: only at start (and when asked).
  const timer = opts.intervalMs > 0 ? setInterval(tick, opts.intervalMs) : undefined;
  timer?.unref();
  return { reconcile, stop: () => clearInterval(timer) };
}
