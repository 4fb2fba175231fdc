// Functions and their immutable versions. A version's code is a content-addressed
// artifact written in the same transaction. Delete is soft (deletedAt); creating a
// deleted name again purges the old row and its versions and starts at version 1.
import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.js';
import type {
  Artifact,
  Convention,
  FunctionVersionSpec,
  Limits,
  RetryPolicy,
  Runtime,
  WarmSettings,
} from '../shared/types.js';
import type { SecretRef } from '../shared/secrets.js';
import type { HttpTriggerSettings } from '../shared/http-trigger.js';
import type { Prisma, PrismaClient } from './generated/client.js';
import { artifactWrite } from './artifacts.repository.js';
import { isRecordNotFound, isUniqueViolation, pageSize, toIso } from './prisma-helpers.js';

export interface NewVersionInput {
  runtime: Runtime;
  convention: Convention;
  entry: string;
  /** The code's metadata. Its bytes must already be stored (artifacts.put) unless `code` is given. */
  artifact: Artifact;
  /** The code itself: written as the artifact in the same transaction (its sha256 must match). */
  code?: Uint8Array;
  limits: Limits;
  env: Record<string, string>;
  retryPolicy: RetryPolicy;
  /** Whether a deploy gave the retry policy (see FunctionVersionSpec.retryPolicySet). */
  retryPolicySet?: boolean;
  /** Warm pool settings; absent: the defaults. */
  warm?: WarmSettings;
  /** Secrets the version uses (names only); absent or empty: none. */
  secrets?: SecretRef[];
  /** HTTP trigger settings; absent: private, no limits. */
  httpTrigger?: HttpTriggerSettings;
}

export interface FunctionVersionInput extends NewVersionInput {
  namespace: string;
  name: string;
}

export interface FunctionSummary {
  id: string;
  namespace: string;
  name: string;
  runtime: Runtime;
  latestVersion: number;
  createdAt: string;
  updatedAt: string;
}

export interface FunctionVersionRecord extends FunctionVersionSpec {
  createdAt: string;
}

export interface FunctionPage {
  items: FunctionSummary[];
  /** Pass back as `cursor` for the next page; null at the end. */
  nextCursor: string | null;
}

export const functionSummarySelect = {
  id: true,
  namespace: true,
  name: true,
  runtime: true,
  latestVersion: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.FunctionSelect;

export const functionVersionSelect = {
  version: true,
  runtime: true,
  convention: true,
  entry: true,
  artifactSha256: true,
  artifactFormat: true,
  artifactName: true,
  artifactBytes: true,
  timeoutMs: true,
  memoryMb: true,
  cpus: true,
  network: true,
  env: true,
  retryPolicy: true,
  retryPolicySet: true,
  warm: true,
  secrets: true,
  httpTrigger: true,
  createdAt: true,
  function: { select: { id: true, namespace: true, name: true } },
} satisfies Prisma.FunctionVersionSelect;

type FunctionRow = Prisma.FunctionGetPayload<{ select: typeof functionSummarySelect }>;
type VersionRow = Prisma.FunctionVersionGetPayload<{ select: typeof functionVersionSelect }>;
type Tx = Prisma.TransactionClient;

function toSummary(row: FunctionRow): FunctionSummary {
  return {
    id: row.id,
    namespace: row.namespace,
    name: row.name,
    runtime: row.runtime as Runtime,
    latestVersion: row.latestVersion,
    createdAt: toIso(row.createdAt),
    updatedAt: toIso(row.updatedAt),
  };
}

function toVersionRecord(row: VersionRow): FunctionVersionRecord {
  const artifact: Artifact = {
    sha256: row.artifactSha256,
    format: row.artifactFormat as Artifact['format'],
    sizeBytes: row.artifactBytes,
    ...(row.artifactName !== null ? { fileName: row.artifactName } : {}),
  };
  return {
    functionId: row.function.id,
    namespace: row.function.namespace,
    name: row.function.name,
    version: row.version,
    runtime: row.runtime as Runtime,
    convention: row.convention as Convention,
    entry: row.entry,
    artifact,
    limits: { timeoutMs: row.timeoutMs, memoryMb: row.memoryMb, cpus: row.cpus, network: row.network },
    env: row.env as Record<string, string>,
    retryPolicy: row.retryPolicy as RetryPolicy,
    ...(row.retryPolicySet ? { retryPolicySet: true } : {}),
    ...(row.warm !== null ? { warm: row.warm as WarmSettings } : {}),
    ...(Array.isArray(row.secrets) && row.secrets.length > 0 ? { secrets: row.secrets as unknown as SecretRef[] } : {}),
    ...(row.httpTrigger !== null ? { httpTrigger: row.httpTrigger as unknown as HttpTriggerSettings } : {}),
    createdAt: toIso(row.createdAt),
  };
}

function toSpec(record: FunctionVersionRecord): FunctionVersionSpec {
  const { createdAt: _createdAt, ...spec } = record;
  return spec;
}

/** Writes (or checks) the artifact and the version row inside `tx`. */
async function writeVersion(tx: Tx, functionId: string, version: number, input: NewVersionInput): Promise<VersionRow> {
  const { artifact } = input;
  if (input.code) {
    const written = await artifactWrite(tx, input.code);
    if (written.sha256 !== artifact.sha256) {
      throw new ValidationError(`artifact sha256 ${artifact.sha256} does not match the code (${written.sha256})`, 'artifact');
    }
  } else {
    const stored = await tx.artifact.findUnique({ where: { sha256: artifact.sha256 }, select: { sha256: true } });
    if (!stored) throw new ValidationError(`artifact ${artifact.sha256} is not stored`, 'artifact');
  }
  return tx.functionVersion.create({
    data: {
      id: `fv_${randomUUID()}`,
      functionId,
      version,
      runtime: input.runtime,
      convention: input.convention,
      entry: input.entry,
      artifactSha256: artifact.sha256,
      artifactFormat: artifact.format,
      artifactName: artifact.fileName ?? null,
      artifactBytes: input.code?.byteLength ?? artifact.sizeBytes,
      timeoutMs: input.limits.timeoutMs,
      memoryMb: input.limits.memoryMb,
      cpus: input.limits.cpus,
      network: input.limits.network,
      env: input.env,
      retryPolicy: input.retryPolicy,
      retryPolicySet: input.retryPolicySet === true,
      ...(input.warm ? { warm: input.warm } : {}),
      ...(input.secrets?.length ? { secrets: input.secrets } : {}),
      ...(input.httpTrigger ? { httpTrigger: input.httpTrigger } : {}),
    },
    select: functionVersionSelect,
  });
}

const VERSION_CACHE_SIZE = 1000;
const HEAD_TTL_MS = 1000;

export function createFunctionsRepository(prisma: PrismaClient) {
  const live = (namespace: string, name: string) => ({ namespace, name, deletedAt: null });
  // Versions are immutable once written, so their specs are cached (every invocation reads
  // one). Which version is the latest, and whether the function still exists (its head), is
  // kept for HEAD_TTL_MS: this process's own deploys and deletes drop it at once, another
  // process's are seen within the TTL. One query less per invocation (the api's CPU, with
  // PGlite).
  const versionSpecs = new Map<string, FunctionVersionSpec>();
  const heads = new Map<string, { id: string; latestVersion: number; readAt: number }>();
  /** Bumped by every write here: a head read that overlapped a write is not kept. */
  let writes = 0;
  const remember = <V>(cache: Map<string, V>, key: string, value: V) => {
    if (cache.size >= VERSION_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(key, value);
  };
  const headKey = (namespace: string, name: string) => `${namespace}\u0000${name}`;
  /** Runs a write of this function; a head read overlapping it any way is not kept. */
  async function writing<T>(namespace: string, name: string, write: () => Promise<T>): Promise<T> {
    const drop = () => {
      writes++;
      heads.delete(headKey(namespace, name));
    };
    drop();
    try {
      return await write();
    } finally {
      drop();
    }
  }
  async function head(namespace: string, name: string): Promise<{ id: string; latestVersion: number } | null> {
    const key = headKey(namespace, name);
    const cached = heads.get(key);
    if (cached && performance.now() - cached.readAt < HEAD_TTL_MS) return cached;
    const before = writes;
    const fn = await prisma.function.findFirst({ where: live(namespace, name), select: { id: true, latestVersion: true } });
    if (fn && writes === before) remember(heads, key, { ...fn, readAt: performance.now() });
    return fn;
  }

  return {
    /** Creates the function with version 1. ConflictError if the name is taken in the namespace. */
    create(input: FunctionVersionInput): Promise<FunctionVersionSpec> {
      return writing(input.namespace, input.name, async () => {
        try {
          const row = await prisma.$transaction(async (tx) => {
            const existing = await tx.function.findUnique({
              where: { namespace_name: { namespace: input.namespace, name: input.name } },
              select: { id: true, deletedAt: true },
            });
            if (existing && existing.deletedAt === null) throw functionExists(input);
            if (existing) await tx.function.delete({ where: { id: existing.id } });
            const fn = await tx.function.create({
              data: { id: `fn_${randomUUID()}`, namespace: input.namespace, name: input.name, runtime: input.runtime, latestVersion: 1 },
              select: { id: true },
            });
            return writeVersion(tx, fn.id, 1, input);
          });
          return toSpec(toVersionRecord(row));
        } catch (err) {
          if (isUniqueViolation(err)) throw functionExists(input);
          throw err;
        }
      });
    },

    /** Adds the next version (latestVersion is incremented under the row lock). */
    addVersion(input: FunctionVersionInput): Promise<FunctionVersionSpec> {
      const { namespace, name } = input;
      return writing(namespace, name, async () => {
        try {
          const row = await prisma.$transaction(async (tx) => {
            const fn = await tx.function.update({
              where: { namespace_name: { namespace, name }, deletedAt: null },
              data: { latestVersion: { increment: 1 }, runtime: input.runtime },
              select: { id: true, latestVersion: true },
            });
            return writeVersion(tx, fn.id, fn.latestVersion, input);
          });
          return toSpec(toVersionRecord(row));
        } catch (err) {
          if (isRecordNotFound(err)) throw new NotFoundError('function', `${namespace}/${name}`);
          throw err;
        }
      });
    },

    async get(namespace: string, name: string): Promise<FunctionSummary | null> {
      const row = await prisma.function.findFirst({ where: live(namespace, name), select: functionSummarySelect });
      return row ? toSummary(row) : null;
    },

    /** Functions of a namespace by name; `cursor` is the previous page's nextCursor. */
    async list(options: { namespace: string; cursor?: string; limit?: number }): Promise<FunctionPage> {
      const take = pageSize(options.limit);
      const rows = await prisma.function.findMany({
        where: {
          namespace: options.namespace,
          deletedAt: null,
          ...(options.cursor ? { name: { gt: options.cursor } } : {}),
        },
        orderBy: { name: 'asc' },
        take: take + 1,
        select: functionSummarySelect,
      });
      const items = rows.slice(0, take).map(toSummary);
      return { items, nextCursor: rows.length > take ? (items.at(-1)?.name ?? null) : null };
    },

    /** Every version, newest first. NotFoundError if the function does not exist. */
    async listVersions(namespace: string, name: string): Promise<FunctionVersionRecord[]> {
      const fn = await prisma.function.findFirst({ where: live(namespace, name), select: { id: true } });
      if (!fn) throw new NotFoundError('function', `${namespace}/${name}`);
      const rows = await prisma.functionVersion.findMany({
        where: { functionId: fn.id },
        orderBy: { version: 'desc' },
        select: functionVersionSelect,
      });
      return rows.map(toVersionRecord);
    },

    /** What the data plane needs to run `version` (or the latest). NotFoundError otherwise. */
    async getVersionSpec(namespace: string, name: string, version: number | 'latest'): Promise<FunctionVersionSpec> {
      if (version !== 'latest' && (!Number.isInteger(version) || version < 1)) {
        throw new ValidationError(`version must be a positive integer or 'latest', got ${version}`, 'version');
      }
      const fn = await head(namespace, name);
      if (!fn) throw new NotFoundError('function', `${namespace}/${name}`);
      const wanted = version === 'latest' ? fn.latestVersion : version;
      const key = `${fn.id}@${wanted}`;
      const cached = versionSpecs.get(key);
      if (cached) return cached;
      const row = await prisma.functionVersion.findUnique({
        where: { functionId_version: { functionId: fn.id, version: wanted } },
        select: functionVersionSelect,
      });
      if (!row) throw new NotFoundError('function version', `${namespace}/${name}@${wanted}`);
      const spec = toSpec(toVersionRecord(row));
      remember(versionSpecs, key, spec);
      return spec;
    },

    /** Soft delete. Returns false when there was nothing to delete. */
    delete(namespace: string, name: string): Promise<boolean> {
      return writing(namespace, name, async () => {
        const { count } = await prisma.function.updateMany({
          where: live(namespace, name),
          data: { deletedAt: new Date() },
        });
        return count > 0;
      });
    },
  };
}

function functionExists(input: { namespace: string; name: string }): ConflictError {
  return new ConflictError(`function '${input.name}' already exists in namespace '${input.namespace}'`);
}

export type FunctionsRepository = ReturnType<typeof createFunctionsRepository>;
