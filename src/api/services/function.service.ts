// Deploying and reading functions. Versions are immutable: update writes the next one,
// inheriting every setting the request does not give.
import type { z } from 'zod';
import type { Repositories } from '../../db/index.js';
import { LimitsSchema, RetryPolicySchema, type FunctionVersionSpec } from '../../shared/types.js';
import type { CreateFunctionInput, UpdateFunctionInput } from '../schemas.js';
import { decodeCode, resolveEntry } from './function-code.js';

export interface FunctionServiceDeps {
  db: Repositories;
  limits: { codeBytes: number };
}

export function createFunctionService({ db, limits }: FunctionServiceDeps) {
  async function create(input: z.infer<typeof CreateFunctionInput>): Promise<FunctionVersionSpec> {
    const { bytes, artifact } = decodeCode({ ...input, maxBytes: limits.codeBytes });
    const convention = input.convention ?? 'script';
    await db.artifacts.put(bytes);
    return db.functions.create({
      namespace: input.namespace, name: input.name, runtime: input.runtime, convention,
      entry: resolveEntry({ runtime: input.runtime, convention, entry: input.entry, artifact }),
      artifact,
      limits: LimitsSchema.parse(input.limits ?? {}),
      env: input.env ?? {},
      retryPolicy: RetryPolicySchema.parse(input.retryPolicy ?? {}),
    });
  }

  async function update(input: z.infer<typeof UpdateFunctionInput>): Promise<FunctionVersionSpec> {
    const previous = await db.functions.getVersionSpec(input.namespace, input.name, 'latest');
    const { bytes, artifact } = decodeCode({ ...input, runtime: previous.runtime, maxBytes: limits.codeBytes });
    const convention = input.convention ?? previous.convention;
    await db.artifacts.put(bytes);
    return db.functions.addVersion({
      namespace: input.namespace, name: input.name, runtime: previous.runtime, convention,
      entry: input.entry ?? (convention === previous.convention && input.fileName === undefined ? previous.entry
        : resolveEntry({ runtime: previous.runtime, convention, artifact })),
      artifact,
      limits: LimitsSchema.parse({ ...previous.limits, ...input.limits }),
      env: input.env ?? previous.env,
      retryPolicy: RetryPolicySchema.parse({ ...previous.retryPolicy, ...input.retryPolicy }),
    });
  }

  return { create, update };
}

export type FunctionService = ReturnType<typeof createFunctionService>;
