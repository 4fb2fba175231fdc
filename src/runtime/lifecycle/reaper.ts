// Removes containers whose owner can no longer remove them: past their deadline label
// (the worker died mid-attempt), left by an earlier life of this same worker id, or warm
// containers that stopped (their server exits when its worker's connection closes).
import type { ContainerRuntime } from '../docker/container-runtime.js';
import { POOL_LABEL } from '../warm/pool.js';

export interface ReaperOptions {
  runtime: ContainerRuntime;
  workerId: string;
  intervalMs: number;
  log?: (msg: string) => void;
  /** After a container was removed: what else of it goes (its io dir). */
  onRemoved?: (name: string) => Promise<void>;
  /**
   * After each reap (first: the one at start): what dead workers left that no container names
   * (stale-io-mounts.ts). Its failure is logged, never fatal.
   */
  afterReap?: (first: boolean) => Promise<void>;
}

export async function reapOnce(
  runtime: ContainerRuntime,
  opts: { workerId?: string; now?: number; onRemoved?: (name: string) => Promise<void> },
): Promise<string[]> {
  const now = opts.now ?? Date.now();
  const removed: string[] = [];
  for (const c of await runtime.listManaged()) {
    const deadline = Number(c.labels['caisson.deadline'] ?? NaN);
    const mineFromBefore = opts.workerId !== undefined && c.labels['caisson.worker'] === opts.workerId;
    const stoppedWarm = c.labels[POOL_LABEL] !== undefined && (c.state === 'exited' || c.state === 'dead');
    if (mineFromBefore || stoppedWarm || (Number.isFinite(deadline) && deadline < now)) {
      await runtime.remove(c.id);
      await opts.onRemoved?.(c.name).catch(() => undefined);
      removed.push(c.name);
    }
  }
  return removed;
}

/**
 * On start: everything this worker id left behind; then, periodically, anything past its
 * deadline. After each: afterReap.
 */
export async function startReaper(opts: ReaperOptions): Promise<{ stop(): void }> {
  const log = opts.log ?? (() => {});
  const first = await reapOnce(opts.runtime, { workerId: opts.workerId, onRemoved: opts.onRemoved }).catch(() => []);
  if (first.length) log(`reaper: removed ${first.length} container(s) left by an earlier run: ${first.join(', ')}`);
  const after = (isFirst: boolean) => opts.afterReap?.(isFirst).catch((err: Error) => log(`reaper: ${err.message}`));
  await after(true);
  const timer = setInterval(() => {
    reapOnce(opts.runtime, { onRemoved: opts.onRemoved })
      .then((r) => r.length && log(`reaper: removed ${r.length} expired container(s): ${r.join(', ')}`))
      .catch(() => undefined)
      .then(() => after(false));
  }, opts.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
