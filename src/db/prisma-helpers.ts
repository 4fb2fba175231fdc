// Small helpers shared by the repositories: Prisma error codes, JSON values, cursors.
import { createHash } from 'node:crypto';
import { ValidationError } from '../shared/errors.js';
import { Prisma } from './generated/client.js';

/** A unique constraint was violated (P2002), optionally on the given columns. */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

/** An update/delete addressed a row that does not exist (P2025). */
export function isRecordNotFound(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2025';
}

/**
 * A JSON column value: `undefined` leaves the column untouched/NULL, `null` stores JSON
 * null (so an explicit null payload stays distinguishable from "no payload").
 */
export function toJsonInput(value: unknown): Prisma.InputJsonValue | typeof Prisma.JsonNull | undefined {
  if (value === undefined) return undefined;
  if (value === null) return Prisma.JsonNull;
  return value as Prisma.InputJsonValue;
}

/** Like toJsonInput, but `null`/`undefined` both clear the column (DB NULL). */
export function toNullableJson(value: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull {
  return value === null || value === undefined ? Prisma.DbNull : (value as Prisma.InputJsonValue);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function toIso(date: Date): string;
export function toIso(date: Date | null): string | null;
export function toIso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

/** A position in a list ordered by (createdAt desc, id desc). Opaque to callers. */
export interface TimeCursor {
  createdAt: Date;
  id: string;
}

export function encodeTimeCursor(cursor: TimeCursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`, 'utf8').toString('base64url');
}

/** Returns null for a malformed cursor (callers turn that into a ValidationError). */
export function decodeTimeCursor(cursor: string): TimeCursor | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const bar = text.indexOf('|');
  if (bar <= 0 || bar === text.length - 1) return null;
  const createdAt = new Date(text.slice(0, bar));
  if (Number.isNaN(createdAt.getTime())) return null;
  return { createdAt, id: text.slice(bar + 1) };
}

/** The `where` that continues after `cursor` in (createdAt desc, id desc) order. */
export function afterTimeCursor(cursor: TimeCursor): {
  OR: [{ createdAt: { lt: Date } }, { createdAt: Date; id: { lt: string } }];
} {
  return {
    OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }],
  };
}

/** Clamps a page size into [1, max]. */
export function pageSize(limit: number | undefined, fallback = 50, max = 500): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.min(Math.max(Math.trunc(limit), 1), max);
}

/** The `where` fragment for a page after `cursor` (none → {}); a malformed cursor is a ValidationError. */
export function timeCursorWhere(cursor: string | undefined): ReturnType<typeof afterTimeCursor> | Record<string, never> {
  if (!cursor) return {};
  const decoded = decodeTimeCursor(cursor);
  if (!decoded) throw new ValidationError('malformed cursor', 'cursor');
  return afterTimeCursor(decoded);
}

/** One page from `take + 1` rows fetched in (createdAt desc, id desc) order. */
export function timePage<R extends TimeCursor, T>(rows: R[], take: number, toItem: (row: R) => T): { items: T[]; nextCursor: string | null } {
  const page = rows.slice(0, take);
  const last = page.at(-1);
  return { items: page.map(toItem), nextCursor: rows.length > take && last ? encodeTimeCursor(last) : null };
}
