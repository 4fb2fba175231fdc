// Secrets: one row per (namespace, name) holding the sealed value. Reads for the api's views
// select no `sealed` column; only `sealed()` (the worker's resolve) reads it.
import { randomUUID } from 'node:crypto';
import { ConflictError } from '../shared/errors.js';
import type { SecretRef } from '../shared/secrets.js';
import { Prisma, type PrismaClient } from './generated/client.js';
import { toBytes } from './artifacts.repository.js';
import { isUniqueViolation } from './prisma-helpers.js';

export const secretSelect = { namespace: true, name: true, sizeBytes: true, createdAt: true } satisfies Prisma.SecretSelect;
export type SecretRow = Prisma.SecretGetPayload<{ select: typeof secretSelect }>;

export function createSecretsRepository(prisma: PrismaClient) {
  return {
    /** ConflictError when the name is taken in the namespace. */
    async create(input: { namespace: string; name: string; sealed: Uint8Array; sizeBytes: number }): Promise<SecretRow> {
      try {
        return await prisma.secret.create({
          data: { id: `sec_${randomUUID()}`, namespace: input.namespace, name: input.name, sealed: toBytes(input.sealed), sizeBytes: input.sizeBytes },
          select: secretSelect,
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`secret '${input.name}' already exists in namespace '${input.namespace}'`);
        throw err;
      }
    },

    async list(namespace: string): Promise<SecretRow[]> {
      return prisma.secret.findMany({ where: { namespace }, orderBy: { name: 'asc' }, select: secretSelect });
    },

    /** Which of these names exist in the namespace. */
    async existing(namespace: string, names: string[]): Promise<Set<string>> {
      if (names.length === 0) return new Set();
      const rows = await prisma.secret.findMany({ where: { namespace, name: { in: names } }, select: { name: true } });
      return new Set(rows.map((r) => r.name));
    },

    /** The sealed values of these names (missing names are absent from the map). */
    async sealed(namespace: string, names: string[]): Promise<Map<string, Buffer>> {
      const rows = await prisma.secret.findMany({ where: { namespace, name: { in: names } }, select: { name: true, sealed: true } });
      return new Map(rows.map((r) => [r.name, Buffer.from(r.sealed)]));
    },

    /** Functions not deleted of which any version (older ones can be invoked by number) names this secret, by name. */
    async usedBy(namespace: string, name: string): Promise<string[]> {
      const rows = await prisma.functionVersion.findMany({
        where: { function: { namespace, deletedAt: null }, secrets: { not: Prisma.DbNull } },
        select: { secrets: true, function: { select: { name: true } } },
      });
      const users = rows.filter((r) => (r.secrets as unknown as SecretRef[]).some((s) => s.name === name)).map((r) => r.function.name);
      return [...new Set(users)].sort();
    },

    /** false when there was no such secret. */
    async delete(namespace: string, name: string): Promise<boolean> {
      const { count } = await prisma.secret.deleteMany({ where: { namespace, name } });
      return count > 0;
    },
  };
}

export type SecretsRepository = ReturnType<typeof createSecretsRepository>;
