// initTRPC once. Every procedure's errors pass through toTRPCError; the formatter turns bad
// input into `field: why` messages and adds zod's errors and Caisson's own error code, so a
// caller sees which field is wrong.
import { initTRPC } from '@trpc/server';
import { z } from 'zod';
import { AppError } from '../shared/errors.js';
import type { ApiContext } from './context.js';
import { toTRPCError } from './errors.js';

/** One line per problem, `path: why` ('input' for the whole input), instead of zod's JSON. */
function zodSummary(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
}

const t = initTRPC.context<ApiContext>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const zod = cause instanceof z.ZodError ? cause : undefined;
    return {
      ...shape,
      // tRPC's message for bad input is zod's issues as JSON text: a caller should read which field and why.
      message: zod ? zodSummary(zod) : shape.message,
      data: {
        ...shape.data,
        zodError: zod ? z.flattenError(zod) : null,
        /** Every problem with its full path (fieldErrors above keeps only the top-level key). */
        issues: zod ? zod.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) : null,
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
