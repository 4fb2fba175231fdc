// API keys: a row per key holding its sha256 (never the key), its namespace, role and expiry.
import type { Prisma, PrismaClient } from './generated/client.js';

export const apiKeySelect = {
  id: true,
  name: true,
  namespace: true,
  role: true,
  createdAt: true,
  expiresAt: true,
  revokedAt: true,
} satisfies Prisma.ApiKeySelect;

export type ApiKeyRow = Prisma.ApiKeyGetPayload<{ select: typeof apiKeySelect }>;

export interface CreateApiKeyInput {
  id: string;
  name: string;
  namespace: string;
  role: string;
  hash: string;
  expiresAt?: Date | null;
}

export function createApiKeysRepository(prisma: PrismaClient) {
  return {
    async create(input: CreateApiKeyInput): Promise<ApiKeyRow> {
      return prisma.apiKey.create({ data: { ...input, expiresAt: input.expiresAt ?? null }, select: apiKeySelect });
    },

    /** The key with this hash, revoked or expired ones included (the caller decides). */
    async findByHash(hash: string): Promise<ApiKeyRow | null> {
      return prisma.apiKey.findUnique({ where: { hash }, select: apiKeySelect });
    },

    /** Keys of these namespaces (every key when namespaces is undefined), newest first. */
    async list(namespaces?: string[]): Promise<ApiKeyRow[]> {
      return prisma.apiKey.findMany({
        where: namespaces ? { namespace: { in: namespaces } } : {},
        orderBy: { createdAt: 'desc' },
        select: apiKeySelect,
      });
    },

    async get(id: string): Promise<(ApiKeyRow & { hash: string }) | null> {
      return prisma.apiKey.findUnique({ where: { id }, select: { ...apiKeySelect, hash: true } });
    },

    /** Marks the key revoked (first revocation's time kept); false when there is no such key. */
    async revoke(id: string, at: Date = new Date()): Promise<boolean> {
      const { count } = await prisma.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: at } });
      return count > 0 || (await prisma.apiKey.count({ where: { id } })) > 0;
    },

    /** Whether an admin key of every namespace is still usable (not revoked, not expired). */
    async hasActiveRootAdmin(now: Date = new Date()): Promise<boolean> {
      const n = await prisma.apiKey.count({
        where: { role: 'admin', namespace: '*', revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
      });
      return n > 0;
    },
  };
}

export type ApiKeysRepository = ReturnType<typeof createApiKeysRepository>;
