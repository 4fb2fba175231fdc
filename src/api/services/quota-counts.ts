// What one api process knows of a namespace's admitted invocations: its last counts of the rows
// in flight and of the last minute (from the database), the rows it wrote since each count
// began, and its admissions whose rows are not written yet. Estimates only err high (see
// quota.service.ts for why each count is what it is).
import type { Repositories } from '../../db/index.js';
export const MINUTE_MS = 60_000;

/** Held from admission until the invocation's row is written; release() is idempotent. */
export interface Admission {
  /** written: the invocation's row was written (false: the admission came to nothing). */
  release(written?: boolean): void;
}

export function createAdmissionCounts(ctx: { db: Pick<Repositories, 'quotas'>; now: () => number }) {
  const { db, now } = ctx;
  /** Per namespace: admitted by this process, row not written yet. */
  const reserved = new Map<string, number>();
  /** Per namespace: admissions of this process whose row was written (only grows). */
  const written = new Map<string, number>();
  /** Per namespace: this process's last count of the minute, and `written` when that count began. */
  const minuteCounts = new Map<string, { at: number; count: number; oldestAt: Date | null; writtenAt: number }>();
  /** Per namespace: this process's last count of the invocations in flight, and `written` when it began. */
  const inFlightCounts = new Map<string, { at: number; count: number; writtenAt: number }>();
  const reservedOf = (namespace: string) => reserved.get(namespace) ?? 0;
  const writtenOf = (namespace: string) => written.get(namespace) ?? 0;

  function reserve(namespace: string): Admission {
    reserved.set(namespace, reservedOf(namespace) + 1);
    let held = true;
    return {
      release(rowWritten = true) {
        if (!held) return;
        held = false;
        const n = reservedOf(namespace) - 1;
        if (n > 0) reserved.set(namespace, n);
        else reserved.delete(namespace);
        if (rowWritten) written.set(namespace, writtenOf(namespace) + 1);
      },
    };
  }

  async function countMinute(namespace: string): Promise<void> {
    const t = now();
    const writtenAt = writtenOf(namespace);
    const { count, oldestAt } = await db.quotas.acceptedSince(namespace, new Date(t - MINUTE_MS));
    if (minuteCounts.size > 10_000) minuteCounts.clear();
    minuteCounts.set(namespace, { at: t, count, oldestAt, writtenAt });
  }

  async function countInFlight(namespace: string): Promise<void> {
    const t = now();
    const writtenAt = writtenOf(namespace);
    const count = await db.quotas.inFlight(namespace);
    if (inFlightCounts.size > 10_000) inFlightCounts.clear();
    inFlightCounts.set(namespace, { at: t, count, writtenAt });
  }

  /** In flight as this process knows it (errs high: finished ones are not subtracted until the next count). */
  function inFlightEstimate(namespace: string): number {
    const c = inFlightCounts.get(namespace);
    return (c ? c.count + (writtenOf(namespace) - c.writtenAt) : 0) + reservedOf(namespace);
  }

  /**
   * Accepted in the last minute as this process knows it: its last count, plus the rows it
   * wrote since that count began (some may be in the count: the estimate errs high), plus
   * its admissions whose rows are not written yet.
   */
  function minuteEstimate(namespace: string): { count: number; oldestAt: Date | null } {
    const c = minuteCounts.get(namespace);
    if (!c) return { count: reservedOf(namespace), oldestAt: null };
    return { count: c.count + (writtenOf(namespace) - c.writtenAt) + reservedOf(namespace), oldestAt: c.oldestAt };
  }

  return {
    reserve, countMinute, countInFlight, inFlightEstimate, minuteEstimate,
    /** When this process last counted the namespace's minute, and in-flight rows (undefined: never). */
    minuteCountedAt: (namespace: string) => minuteCounts.get(namespace)?.at,
    inFlightCountedAt: (namespace: string) => inFlightCounts.get(namespace)?.at,
  };
}
