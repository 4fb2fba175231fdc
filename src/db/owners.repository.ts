// The namespace an id-addressed record belongs to, read alone (no payloads, results or logs):
// the api checks it before it answers or changes anything addressed by id.
import type { PrismaClient } from './generated/client.js';

const namespaceOnly = { namespace: true } as const;

export function createOwnersRepository(prisma: PrismaClient) {
  return {
    async invocation(id: string): Promise<string | null> {
      return (await prisma.invocation.findUnique({ where: { id }, select: namespaceOnly }))?.namespace ?? null;
    },
    async chainInvocation(id: string): Promise<string | null> {
      return (await prisma.chainInvocation.findUnique({ where: { id }, select: namespaceOnly }))?.namespace ?? null;
    },
    async deadLetter(id: string): Promise<string | null> {
      return (await prisma.deadLetter.findUnique({ where: { id }, select: namespaceOnly }))?.namespace ?? null;
    },
    async apiKey(id: string): Promise<string | null> {
      return (await prisma.apiKey.findUnique({ where: { id }, select: namespaceOnly }))?.namespace ?? null;
    },
  };
}

export type OwnersRepository = ReturnType<typeof createOwnersRepository>;
