// Invocations that failed for good, kept for inspection and replay. One per invocation:
// recording is an upsert keyed by invocationId, and a replay can be claimed only once.
import type { AttemptRecord } from '../shared/types.js';
import type { Prisma, PrismaClient } from './generated/client.js';
import {
  pageSize,
  timeCursorWhere,
  timePage,
  toJsonInput,
} from './prisma-helpers.js';

export const deadLetterSelect = {
  id: true,
  invocationId: true,
  namespace: true,
  functionName: true,
  functionId: true,
  version: true,
  input: true,
  inputRef: true,
  errors: true,
  firstAttemptAt: true,
  failedAt: true,
  replayedAs: true,
  createdAt: true,
} satisfies Prisma.DeadLetterSelect;

type Row = Prisma.DeadLetterGetPayload<{ select: typeof deadLetterSelect }>;

export interface DeadLetterRow extends Omit<Row, 'errors' | 'input'> {
  input: unknown;
  /** The attempts that failed, oldest first. */
  errors: AttemptRecord[];
}

export interface RecordDeadLetterInput {
  invocationId: string;
  namespace: string;
  functionName: string;
  functionId: string;
  version: number;
  input?: unknown;
  inputRef?: string | null;
  errors: AttemptRecord[];
  firstAttemptAt?: Date | null;
  failedAt?: Date;
}

export interface ListDeadLettersOptions {
  namespace: string;
  functionName?: string;
  /** false: only those not replayed yet. Default: all. */
  includeReplayed?: boolean;
  cursor?: string;
  limit?: number;
}

/** The dead letter of an invocation has a derived id, so recording twice finds the same row. */
export function deadLetterId(invocationId: string): string {
  return `dlq_${invocationId}`;
}

function toRow(row: Row): DeadLetterRow {
  return { ...row, errors: row.errors as unknown as AttemptRecord[] };
}

export function createDeadLettersRepository(prisma: PrismaClient) {
  return {
    /** Upsert by invocationId; returns the dead letter's id. */
    async record(input: RecordDeadLetterInput): Promise<string> {
      const data = {
        namespace: input.namespace,
        functionName: input.functionName,
        functionId: input.functionId,
        version: input.version,
        input: toJsonInput(input.input),
        inputRef: input.inputRef ?? null,
        errors: input.errors as unknown as Prisma.InputJsonValue,
        firstAttemptAt: input.firstAttemptAt ?? null,
        ...(input.failedAt ? { failedAt: input.failedAt } : {}),
      };
      const row = await prisma.deadLetter.upsert({
        where: { invocationId: input.invocationId },
        create: { id: deadLetterId(input.invocationId), invocationId: input.invocationId, ...data },
        update: data,
        select: { id: true },
      });
      return row.id;
    },

    async get(id: string): Promise<DeadLetterRow | null> {
      const row = await prisma.deadLetter.findUnique({ where: { id }, select: deadLetterSelect });
      return row ? toRow(row) : null;
    },

    /** Newest first (createdAt desc, id desc). */
    async list(options: ListDeadLettersOptions): Promise<{ items: DeadLetterRow[]; nextCursor: string | null }> {
      const take = pageSize(options.limit);
      const rows = await prisma.deadLetter.findMany({
        where: {
          namespace: options.namespace,
          ...(options.functionName ? { functionName: options.functionName } : {}),
          ...(options.includeReplayed === false ? { replayedAs: null } : {}),
          ...timeCursorWhere(options.cursor),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: take + 1,
        select: deadLetterSelect,
      });
      return timePage(rows, take, toRow);
    },

    /**
     * Claims the replay: true for the one caller that sets replayedAs (and for a retry of
     * that same caller, i.e. the same newInvocationId); false if another replay won.
     */
    async markReplayed(id: string, newInvocationId: string): Promise<boolean> {
      const { count } = await prisma.deadLetter.updateMany({
        where: { id, replayedAs: null },
        data: { replayedAs: newInvocationId },
      });
      if (count > 0) return true;
      const row = await prisma.deadLetter.findUnique({ where: { id }, select: { replayedAs: true } });
      return row?.replayedAs === newInvocationId;
    },

    /** Returns whether a row was deleted. */
    async delete(id: string): Promise<boolean> {
      const { count } = await prisma.deadLetter.deleteMany({ where: { id } });
      return count > 0;
    },
  };
}

export type DeadLettersRepository = ReturnType<typeof createDeadLettersRepository>;
