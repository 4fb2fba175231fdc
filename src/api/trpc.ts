// initTRPC once. Every procedure's errors pass through toTRPCError; the formatter adds
// zod's flattened errors and Caisson's own error code, so a caller sees which field is wrong.
import { initTRPC } from '@trpc/server';
import { z } from 'zod';
import { AppError } from '../shared/errors.js';
import type { ApiContext } from './context.js';
import { toTRPCError } from './errors.js';

const t = initTRPC.context<ApiContext>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      data: {
        ...shape.data,
        zodError: cause instanceof z.ZodError ? z.flattenError(cause) : null,
        caissonCode: cause instanceof AppError ? cause.code : null,
        details: cause instanceof AppError ? (cause.details ?? null) : null,
      },
    };
  },
});

const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    // Input validation errors are already BAD_REQUEST with a ZodError cause; keep them.
    if (result.error.code === 'BAD_REQUEST' || !(result.error.cause instanceof Error)) return result;
    return { ...result, error: toTRPCError(result.error.cause) };
  }
  return result;
});

export const router = t.router;
export const publicProcedure = t.procedure.use(mapErrors);
export const createCallerFactory = t.createCallerFactory;
