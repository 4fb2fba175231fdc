// Invocation records. The api writes the PENDING row; activities move it on with writes
// keyed by the invocation id, so a retried activity writes the same row again.
import { callerColumns, type InvocationCaller } from '../shared/caller.js';
import type { AttemptRecord, FailureKind, InvocationStatus } from '../shared/types.js';
import { Prisma, type PrismaClient } from './generated/client.js';
import { pageSize, timeCursorWhere, timePage, toNullableJson } from './prisma-helpers.js';

export const invocationSelect = {
  id: true,
  namespace: true,
  functionName: true,
  functionId: true,
  version: true,
  status: true,
  idempotencyKey: true,
  inputHash: true,
  input: true,
  inputRef: true,
  result: true,
  resultRef: true,
  errorKind: true,
  errorMessage: true,
  attempts: true,
  attemptLog: true,
  stdout: true,
  stderr: true,
  cold: true,
  replayOf: true,
  callerKeyId: true,
  callerKeyName: true,
  callerAddress: true,
  createdAt: true,
  startedAt: true,
  endedAt: true,
  durationMs: true,
} satisfies Prisma.InvocationSelect;

type Row = Prisma.InvocationGetPayload<{ select: typeof invocationSelect }>;

/** One invocation as stored; JSON columns typed by what Caisson writes into them. */
export interface InvocationRow extends Omit<Row, 'status' | 'errorKind' | 'attemptLog' | 'input' | 'result'> {
  status: InvocationStatus;
  errorKind: FailureKind | null;
  attemptLog: AttemptRecord[] | null;
  input: unknown;
  result: unknown;
}

export interface CreateInvocationInput {
  id: string;
  namespace: string;
  functionName: string;
  functionId: string;
  version: number;
  idempotencyKey?: string | null;
  inputHash?: string | null;
  /** Inline payload (`null` is a valid payload); absent when it travels by inputRef. */
  input?: unknown;
  inputRef?: string | null;
  replayOf?: string | null;
  /** Who called (absent: not recorded, e.g. a schedule's fire). */
  caller?: InvocationCaller;
  /** When the invocation was accepted (default: now). */
  createdAt?: Date;
}

/** The outcome of an invocation. Identity fields make it an upsert (row created if missing). */
export interface CompleteInvocationInput {
  id: string;
  status: InvocationStatus;
  result?: unknown;
  resultRef?: string | null;
  errorKind?: FailureKind | null;
  errorMessage?: string | null;
  attempts: number;
  attemptLog?: AttemptRecord[] | null;
  stdout?: string | null;
  stderr?: string | null;
  cold?: boolean | null;
  startedAt?: Date | null;
  endedAt?: Date | null;
  durationMs?: number | null;
  identity?: Pick<CreateInvocationInput, 'namespace' | 'functionName' | 'functionId' | 'version'>;
  /** The row's createdAt when this write creates it (when the invocation was accepted). */
  acceptedAt?: Date;
}

export interface ListInvocationsOptions {
  namespace: string;
  functionName?: string;
  /** Alias of functionName (the api's input names it `function`). */
  function?: string;
  status?: InvocationStatus;
  errorKind?: FailureKind;
  /** true: cold starts only; false: warm only. */
  cold?: boolean;
  /** Accepted at or after `since` and before `until` (ISO times). */
  since?: string;
  until?: string;
  cursor?: string;
  limit?: number;
}

export interface InvocationPage {
  items: InvocationRow[];
  nextCursor: string | null;
}

function toRow(row: Row): InvocationRow {
  return {
    ...row,
    status: row.status as InvocationStatus,
    errorKind: row.errorKind as FailureKind | null,
    attemptLog: row.attemptLog as AttemptRecord[] | null,
  };
}

/** A JSON column's value as SQL text (cast with ::jsonb): undefined → NULL, null → JSON null. */
const jsonText = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));
/** Like jsonText, but null also clears the column (as toNullableJson). */
const nullableJsonText = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

function outcomeData(input: CompleteInvocationInput) {
  return {
    status: input.status,
    result: toNullableJson(input.result),
    resultRef: input.resultRef ?? null,
    errorKind: input.errorKind ?? null,
    errorMessage: input.errorMessage ?? null,
    attempts: input.attempts,
    attemptLog: toNullableJson(input.attemptLog as unknown),
    stdout: input.stdout ?? null,
    stderr: input.stderr ?? null,
    cold: input.cold ?? null,
    ...(input.startedAt !== undefined ? { startedAt: input.startedAt } : {}),
    endedAt: input.endedAt ?? null,
    durationMs: input.durationMs ?? null,
  } satisfies Prisma.InvocationUpdateInput;
}

/** The PENDING row `create` writes for this input (as it reads back). */
export function pendingRow(input: CreateInvocationInput): InvocationRow {
  return {
    id: input.id, namespace: input.namespace, functionName: input.functionName, functionId: input.functionId,
    version: input.version, status: 'PENDING', idempotencyKey: input.idempotencyKey ?? null,
    inputHash: input.inputHash ?? null, input: input.input ?? null, inputRef: input.inputRef ?? null,
    result: null, resultRef: null, errorKind: null, errorMessage: null, attempts: 0, attemptLog: null,
    stdout: null, stderr: null, cold: null, replayOf: input.replayOf ?? null, ...callerColumns(input.caller),
    createdAt: input.createdAt ?? new Date(), startedAt: null, endedAt: null, durationMs: null,
  };
}

export function createInvocationsRepository(prisma: PrismaClient) {
  async function get(id: string): Promise<InvocationRow | null> {
    const row = await prisma.invocation.findUnique({ where: { id }, select: invocationSelect });
    return row ? toRow(row) : null;
  }

  return {
    get,

    /** The invocation's namespace and status (null: no row); what a worker's blob of it is charged to. */
    async ownerOf(id: string): Promise<{ namespace: string; status: string } | null> {
      return prisma.invocation.findUnique({ where: { id }, select: { namespace: true, status: true } });
    },

    /**
     * Writes the PENDING row. When the id or (namespace, idempotencyKey) already exists,
     * returns that row with created=false so the caller can compare inputHash.
     */
    async create(input: CreateInvocationInput): Promise<{ row: InvocationRow; created: boolean }> {
      const row = pendingRow(input);
      // Every invocation writes one: a single statement, the row known without reading it back,
      // an existing id or key found afterwards instead of through an error (less of the api's
      // thread than Prisma's create with PGlite, where queries run on that thread).
      const inserted = await prisma.$executeRaw`
        INSERT INTO "Invocation" ("id", "namespace", "functionName", "functionId", "version", "status",
          "idempotencyKey", "inputHash", "input", "inputRef", "replayOf", "callerKeyId", "callerKeyName", "callerAddress", "createdAt")
        VALUES (${row.id}, ${row.namespace}, ${row.functionName}, ${row.functionId}, ${row.version}, ${row.status},
          ${row.idempotencyKey}, ${row.inputHash}, ${jsonText(input.input)}::jsonb, ${row.inputRef}, ${row.replayOf},
          ${row.callerKeyId}, ${row.callerKeyName}, ${row.callerAddress}, ${row.createdAt})
        ON CONFLICT DO NOTHING`;
      if (inserted === 1) return { row, created: true };
      const existing = await prisma.invocation.findFirst({
        where: {
          OR: [
            { id: input.id },
            ...(input.idempotencyKey ? [{ namespace: input.namespace, idempotencyKey: input.idempotencyKey }] : []),
          ],
        },
        select: invocationSelect,
      });
      if (!existing) throw new Error(`invocation ${input.id}: neither written nor found (deleted meanwhile?)`);
      return { row: toRow(existing), created: false };
    },

    /** Which of these ids have a row. */
    async existingIds(ids: string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = await prisma.invocation.findMany({ where: { id: { in: ids } }, select: { id: true } });
      return new Set(rows.map((r) => r.id));
    },

    /** The createdAt of the newest row, or null when there is none. */
    async newestCreatedAt(): Promise<Date | null> {
      const { _max } = await prisma.invocation.aggregate({ _max: { createdAt: true } });
      return _max.createdAt;
    },

    /** Ids of rows not yet final (PENDING or RUNNING), oldest first, at most `limit`. */
    async unfinishedIds(limit = 10_000): Promise<string[]> {
      const rows = await prisma.invocation.findMany({
        where: { status: { in: ['PENDING', 'RUNNING'] } },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        take: limit,
        select: { id: true },
      });
      return rows.map((r) => r.id);
    },

    /** PENDING → RUNNING (never moves a finished invocation back). Returns whether it changed. */
    async markRunning(id: string, startedAt: Date = new Date()): Promise<boolean> {
      const { count } = await prisma.invocation.updateMany({
        where: { id, status: { in: ['PENDING', 'RUNNING'] } },
        data: { status: 'RUNNING', startedAt },
      });
      return count > 0;
    },

    /**
     * Records the outcome, keyed by id (repeating it writes the same values). With
     * `identity`, a missing row is created, and an existing one takes the version that ran (a
     * resumed chain's step may run a newer one under the same id); without, a missing row is
     * a no-op → false.
     */
    async complete(input: CompleteInvocationInput): Promise<boolean> {
      if (input.identity) {
        // The record of every invocation: one statement (less of the api's thread than Prisma's
        // upsert with PGlite; a sync success's record is written right after its answer).
        const { namespace, functionName, functionId, version } = input.identity;
        const startedAt = input.startedAt === undefined ? Prisma.empty : Prisma.sql`, "startedAt" = EXCLUDED."startedAt"`;
        await prisma.$executeRaw`
          INSERT INTO "Invocation" ("id", "namespace", "functionName", "functionId", "version", "status", "result",
            "resultRef", "errorKind", "errorMessage", "attempts", "attemptLog", "stdout", "stderr", "cold", "startedAt",
            "endedAt", "durationMs", "createdAt")
          VALUES (${input.id}, ${namespace}, ${functionName}, ${functionId}, ${version}, ${input.status},
            ${nullableJsonText(input.result)}::jsonb, ${input.resultRef ?? null}, ${input.errorKind ?? null},
            ${input.errorMessage ?? null}, ${input.attempts}, ${nullableJsonText(input.attemptLog)}::jsonb,
            ${input.stdout ?? null}, ${input.stderr ?? null}, ${input.cold ?? null}, ${input.startedAt ?? null},
            ${input.endedAt ?? null}, ${input.durationMs ?? null}, ${input.acceptedAt ?? new Date()})
          ON CONFLICT ("id") DO UPDATE SET "status" = EXCLUDED."status", "result" = EXCLUDED."result",
            "resultRef" = EXCLUDED."resultRef", "errorKind" = EXCLUDED."errorKind", "errorMessage" = EXCLUDED."errorMessage",
            "attempts" = EXCLUDED."attempts", "attemptLog" = EXCLUDED."attemptLog", "stdout" = EXCLUDED."stdout",
            "stderr" = EXCLUDED."stderr", "cold" = EXCLUDED."cold", "endedAt" = EXCLUDED."endedAt",
            "durationMs" = EXCLUDED."durationMs", "functionId" = EXCLUDED."functionId", "version" = EXCLUDED."version"${startedAt}`;
        return true;
      }
      const data = outcomeData(input);
      const { count } = await prisma.invocation.updateMany({ where: { id: input.id }, data });
      return count > 0;
    },

    /** Newest first (createdAt desc, id desc); `cursor` is the previous page's nextCursor. */
    async list(options: ListInvocationsOptions): Promise<InvocationPage> {
      const take = pageSize(options.limit);
      const functionName = options.functionName ?? options.function;
      const rows = await prisma.invocation.findMany({
        where: {
          namespace: options.namespace,
          ...(functionName ? { functionName } : {}),
          ...(options.status ? { status: options.status } : {}),
          ...(options.errorKind ? { errorKind: options.errorKind } : {}),
          ...(options.cold !== undefined ? { cold: options.cold } : {}),
          ...(options.since || options.until ? { createdAt: {
            ...(options.since ? { gte: new Date(options.since) } : {}), ...(options.until ? { lt: new Date(options.until) } : {}),
          } } : {}),
          ...timeCursorWhere(options.cursor),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: take + 1,
        select: invocationSelect,
      });
      return timePage(rows, take, toRow);
    },
  };
}

export type InvocationsRepository = ReturnType<typeof createInvocationsRepository>;
