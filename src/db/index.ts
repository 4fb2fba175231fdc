// The db layer's public surface: open a database, build the repositories over it.
import type { PrismaClient } from './generated/client.js';
import { createApiKeysRepository } from './api-keys.repository.js';
import { createArtifactsRepository } from './artifacts.repository.js';
import { createBlobsRepository } from './blobs.repository.js';
import { createChainsRepository } from './chains.repository.js';
import { createDeadLettersRepository } from './dead-letters.repository.js';
import { createFunctionsRepository } from './functions.repository.js';
import { createInvocationsRepository } from './invocations.repository.js';
import { createOwnersRepository } from './owners.repository.js';
import { createSecretsRepository } from './secrets.repository.js';
import { createAuditRepository } from './audit.repository.js';
import { createQuotasRepository } from './quotas.repository.js';
import { createTriggerRateRepository } from './trigger-rate.repository.js';

export { createDatabase, databaseKind, defaultMigrationsDir } from './client.js';
export type { CreateDatabaseOptions, Database, DatabaseKind } from './client.js';
export { applyMigrations, MigrationError } from './migrate.js';
export type { ApiKeyRow, ApiKeysRepository, CreateApiKeyInput } from './api-keys.repository.js';
export type { OwnersRepository } from './owners.repository.js';
export type { SecretRow, SecretsRepository } from './secrets.repository.js';
export type { AuditEventRow, AuditRepository, ListAuditOptions } from './audit.repository.js';
export type { QuotasRepository, StoredUsage } from './quotas.repository.js';
export type { TakeTokenInput, TakeTokenResult, TriggerRateRepository } from './trigger-rate.repository.js';
export type { ArtifactsRepository } from './artifacts.repository.js';
export type { BlobsRepository } from './blobs.repository.js';
export type { ChainInvocationRow, ChainStepRow, ChainSummary, ChainVersionRecord, ChainsRepository } from './chains.repository.js';
export type { DeadLetterRow, DeadLettersRepository, RecordDeadLetterInput } from './dead-letters.repository.js';
export type {
  FunctionPage,
  FunctionSummary,
  FunctionVersionInput,
  FunctionVersionRecord,
  FunctionsRepository,
  NewVersionInput,
} from './functions.repository.js';
export { pendingRow } from './invocations.repository.js';
export type {
  CompleteInvocationInput,
  CreateInvocationInput,
  InvocationPage,
  InvocationRow,
  InvocationsRepository,
  ListInvocationsOptions,
} from './invocations.repository.js';

export function createRepositories(prisma: PrismaClient) {
  return {
    functions: createFunctionsRepository(prisma),
    artifacts: createArtifactsRepository(prisma),
    blobs: createBlobsRepository(prisma),
    invocations: createInvocationsRepository(prisma),
    deadLetters: createDeadLettersRepository(prisma),
    chains: createChainsRepository(prisma),
    apiKeys: createApiKeysRepository(prisma),
    owners: createOwnersRepository(prisma),
    secrets: createSecretsRepository(prisma),
    audit: createAuditRepository(prisma),
    quotas: createQuotasRepository(prisma),
    triggerRate: createTriggerRateRepository(prisma),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;
