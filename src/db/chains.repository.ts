// Chains, their immutable versions, and chain invocations with one row per step. Step and
// outcome writes are upserts keyed by (invocation id, step), so a retried activity repeats them.
import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '../shared/errors.js';
import type { ChainDefinition, ChainStepError, ChainStepStatus, ChainUnitRecord, PinnedSpecs, StepType } from '../shared/chain.js';
import type { InvocationStatus } from '../shared/types.js';
import type { Prisma, PrismaClient } from './generated/client.js';
import { isRecordNotFound, isUniqueViolation, pageSize, toJsonInput, toNullableJson } from './prisma-helpers.js';

const chainSelect = { id: true, namespace: true, name: true, latestVersion: true, createdAt: true, updatedAt: true } satisfies Prisma.ChainSelect;
export type ChainSummary = Prisma.ChainGetPayload<{ select: typeof chainSelect }>;

const versionSelect = { id: true, chainId: true, version: true, definition: true, specs: true, createdAt: true } satisfies Prisma.ChainVersionSelect;
type VersionRow = Prisma.ChainVersionGetPayload<{ select: typeof versionSelect }>;

export interface ChainVersionRecord {
  chainId: string;
  namespace: string;
  name: string;
  version: number;
  definition: ChainDefinition;
  specs: PinnedSpecs;
  createdAt: Date;
}

export interface NewChainVersion {
  namespace: string;
  name: string;
  definition: ChainDefinition;
  specs: PinnedSpecs;
}

const invocationSelect = {
  id: true, namespace: true, chainName: true, chainId: true, version: true, status: true, input: true, inputRef: true,
  specs: true, result: true, resultRef: true, failedStep: true, errorKind: true, errorMessage: true, runs: true,
  createdAt: true, startedAt: true, endedAt: true, durationMs: true,
} satisfies Prisma.ChainInvocationSelect;
type InvocationRowRaw = Prisma.ChainInvocationGetPayload<{ select: typeof invocationSelect }>;

const stepSelect = {
  name: true, position: true, type: true, status: true, functions: true, output: true, outputRef: true, error: true,
  units: true, run: true, startedAt: true, endedAt: true, durationMs: true,
} satisfies Prisma.ChainStepRunSelect;
type StepRowRaw = Prisma.ChainStepRunGetPayload<{ select: typeof stepSelect }>;

export interface ChainStepRow extends Omit<StepRowRaw, 'type' | 'status' | 'functions' | 'error' | 'units'> {
  type: StepType;
  status: ChainStepStatus;
  functions: string[];
  error: ChainStepError | null;
  units: Record<string, ChainUnitRecord> | null;
}

export interface ChainInvocationRow extends Omit<InvocationRowRaw, 'status' | 'specs'> {
  status: InvocationStatus;
  specs: PinnedSpecs;
  steps: ChainStepRow[];
}

export interface StepWrite {
  chainInvocationId: string;
  name: string;
  position: number;
  type: StepType;
  status: ChainStepStatus;
  functions: string[];
  run: number;
  output?: unknown;
  outputRef?: string | null;
  error?: ChainStepError | null;
  units?: Record<string, ChainUnitRecord> | null;
  startedAt?: Date | null;
  endedAt?: Date | null;
  durationMs?: number | null;
}

export interface ChainOutcomeWrite {
  id: string;
  status: Extract<InvocationStatus, 'SUCCEEDED' | 'FAILED' | 'CANCELLED'>;
  result?: unknown;
  resultRef?: string | null;
  failedStep?: string | null;
  errorKind?: string | null;
  errorMessage?: string | null;
  endedAt: Date;
  durationMs: number;
}

function toVersion(chain: { namespace: string; name: string }, row: VersionRow): ChainVersionRecord {
  return {
    chainId: row.chainId, namespace: chain.namespace, name: chain.name, version: row.version,
    definition: row.definition as unknown as ChainDefinition, specs: row.specs as unknown as PinnedSpecs, createdAt: row.createdAt,
  };
}

function toStep(row: StepRowRaw): ChainStepRow {
  return {
    ...row, type: row.type as StepType, status: row.status as ChainStepStatus, functions: row.functions as string[],
    error: row.error as unknown as ChainStepError | null, units: row.units as unknown as Record<string, ChainUnitRecord> | null,
  };
}

const asJson = (v: unknown) => v as Prisma.InputJsonValue;

export function createChainsRepository(prisma: PrismaClient) {
  const live = (namespace: string, name: string) => ({ namespace, name, deletedAt: null });
  const exists = (c: { namespace: string; name: string }) => new ConflictError(`chain '${c.name}' already exists in namespace '${c.namespace}'`);

  return {
    /** Creates the chain with version 1. ConflictError if the name is taken. */
    async create(input: NewChainVersion): Promise<ChainVersionRecord> {
      try {
        const row = await prisma.$transaction(async (tx) => {
          const old = await tx.chain.findUnique({ where: { namespace_name: { namespace: input.namespace, name: input.name } }, select: { id: true, deletedAt: true } });
          if (old && old.deletedAt === null) throw exists(input);
          if (old) await tx.chain.delete({ where: { id: old.id } });
          const chain = await tx.chain.create({
            data: { id: `ch_${randomUUID()}`, namespace: input.namespace, name: input.name, latestVersion: 1 }, select: { id: true },
          });
          return tx.chainVersion.create({
            data: { id: `cv_${randomUUID()}`, chainId: chain.id, version: 1, definition: asJson(input.definition), specs: asJson(input.specs) },
            select: versionSelect,
          });
        });
        return toVersion(input, row);
      } catch (err) {
        if (isUniqueViolation(err)) throw exists(input);
        throw err;
      }
    },

    /** Adds the next version. NotFoundError if the chain does not exist. */
    async addVersion(input: NewChainVersion): Promise<ChainVersionRecord> {
      try {
        const row = await prisma.$transaction(async (tx) => {
          const chain = await tx.chain.update({
            where: { namespace_name: { namespace: input.namespace, name: input.name }, deletedAt: null },
            data: { latestVersion: { increment: 1 } }, select: { id: true, latestVersion: true },
          });
          return tx.chainVersion.create({
            data: { id: `cv_${randomUUID()}`, chainId: chain.id, version: chain.latestVersion, definition: asJson(input.definition), specs: asJson(input.specs) },
            select: versionSelect,
          });
        });
        return toVersion(input, row);
      } catch (err) {
        if (isRecordNotFound(err)) throw new NotFoundError('chain', `${input.namespace}/${input.name}`);
        throw err;
      }
    },

    async get(namespace: string, name: string): Promise<ChainSummary | null> {
      return prisma.chain.findFirst({ where: live(namespace, name), select: chainSelect });
    },

    async getVersion(namespace: string, name: string, version: number | 'latest'): Promise<ChainVersionRecord> {
      const chain = await prisma.chain.findFirst({ where: live(namespace, name), select: { id: true, latestVersion: true } });
      if (!chain) throw new NotFoundError('chain', `${namespace}/${name}`);
      const wanted = version === 'latest' ? chain.latestVersion : version;
      const row = await prisma.chainVersion.findUnique({ where: { chainId_version: { chainId: chain.id, version: wanted } }, select: versionSelect });
      if (!row) throw new NotFoundError('chain version', `${namespace}/${name}@${wanted}`);
      return toVersion({ namespace, name }, row);
    },

    async listVersions(namespace: string, name: string): Promise<ChainVersionRecord[]> {
      const chain = await prisma.chain.findFirst({ where: live(namespace, name), select: { id: true } });
      if (!chain) throw new NotFoundError('chain', `${namespace}/${name}`);
      const rows = await prisma.chainVersion.findMany({ where: { chainId: chain.id }, orderBy: { version: 'desc' }, select: versionSelect });
      return rows.map((r) => toVersion({ namespace, name }, r));
    },

    async list(options: { namespace: string; cursor?: string; limit?: number }): Promise<{ items: ChainSummary[]; nextCursor: string | null }> {
      const take = pageSize(options.limit);
      const rows = await prisma.chain.findMany({
        where: { namespace: options.namespace, deletedAt: null, ...(options.cursor ? { name: { gt: options.cursor } } : {}) },
        orderBy: { name: 'asc' }, take: take + 1, select: chainSelect,
      });
      const items = rows.slice(0, take);
      return { items, nextCursor: rows.length > take ? (items.at(-1)?.name ?? null) : null };
    },

    /** Soft delete; false when there was nothing to delete. */
    async delete(namespace: string, name: string): Promise<boolean> {
      const { count } = await prisma.chain.updateMany({ where: live(namespace, name), data: { deletedAt: new Date() } });
      return count > 0;
    },

    invocations: createChainInvocations(prisma),
  };
}

function createChainInvocations(prisma: PrismaClient) {
  return {
    async create(input: {
      id: string; namespace: string; chainName: string; chainId: string; version: number;
      input?: unknown; inputRef?: string | null; specs: PinnedSpecs;
    }): Promise<void> {
      await prisma.chainInvocation.create({
        data: {
          id: input.id, namespace: input.namespace, chainName: input.chainName, chainId: input.chainId, version: input.version,
          status: 'PENDING', input: toJsonInput(input.input), inputRef: input.inputRef ?? null, specs: asJson(input.specs),
        },
        select: { id: true },
      });
    },

    /** The chain invocation's namespace (null: no such row); what its blobs are charged to. */
    async namespaceOf(id: string): Promise<string | null> {
      const row = await prisma.chainInvocation.findUnique({ where: { id }, select: { namespace: true } });
      return row?.namespace ?? null;
    },

    async get(id: string): Promise<ChainInvocationRow | null> {
      const row = await prisma.chainInvocation.findUnique({
        where: { id }, select: { ...invocationSelect, steps: { select: stepSelect, orderBy: { position: 'asc' } } },
      });
      if (!row) return null;
      return { ...row, status: row.status as InvocationStatus, specs: row.specs as unknown as PinnedSpecs, steps: row.steps.map(toStep) };
    },

    /** PENDING → RUNNING (a finished invocation is never moved back); startedAt is the first run's. */
    async markRunning(id: string, startedAt: Date): Promise<void> {
      await prisma.chainInvocation.updateMany({ where: { id, status: 'PENDING' }, data: { status: 'RUNNING' } });
      await prisma.chainInvocation.updateMany({ where: { id, startedAt: null }, data: { startedAt } });
    },

    /** Claims a resume of a FAILED invocation: next run number, new specs. null if it is not FAILED. */
    async beginResume(id: string, specs: PinnedSpecs): Promise<number | null> {
      const { count } = await prisma.chainInvocation.updateMany({
        where: { id, status: 'FAILED' },
        data: { status: 'PENDING', runs: { increment: 1 }, specs: asJson(specs), failedStep: null, errorKind: null, errorMessage: null, endedAt: null, durationMs: null },
      });
      if (count === 0) return null;
      const row = await prisma.chainInvocation.findUnique({ where: { id }, select: { runs: true } });
      return row?.runs ?? null;
    },

    async writeStep(s: StepWrite): Promise<void> {
      const data = {
        position: s.position, type: s.type, status: s.status, functions: s.functions, run: s.run,
        output: toNullableJson(s.output), outputRef: s.outputRef ?? null, error: toNullableJson(s.error),
        units: toNullableJson(s.units), endedAt: s.endedAt ?? null, durationMs: s.durationMs ?? null,
        ...(s.startedAt !== undefined ? { startedAt: s.startedAt } : {}),
      };
      await prisma.chainStepRun.upsert({
        where: { chainInvocationId_name: { chainInvocationId: s.chainInvocationId, name: s.name } },
        create: { id: `${s.chainInvocationId}/${s.name}`, chainInvocationId: s.chainInvocationId, name: s.name, ...data },
        update: data,
        select: { id: true },
      });
    },

    async complete(o: ChainOutcomeWrite): Promise<void> {
      await prisma.chainInvocation.update({
        where: { id: o.id },
        data: {
          status: o.status, result: toNullableJson(o.result), resultRef: o.resultRef ?? null, failedStep: o.failedStep ?? null,
          errorKind: o.errorKind ?? null, errorMessage: o.errorMessage ?? null, endedAt: o.endedAt, durationMs: o.durationMs,
        },
        select: { id: true },
      });
    },

    async list(options: { namespace: string; chainName?: string; limit?: number }) {
      const rows = await prisma.chainInvocation.findMany({
        where: { namespace: options.namespace, ...(options.chainName ? { chainName: options.chainName } : {}) },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: pageSize(options.limit), select: invocationSelect,
      });
      return rows.map(({ specs: _specs, ...r }) => ({ ...r, status: r.status as InvocationStatus }));
    },
  };
}

export type ChainsRepository = ReturnType<typeof createChainsRepository>;
