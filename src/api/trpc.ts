// initTRPC once. Every procedure's errors pass through toTRPCError; the formatter turns bad
// input into `field: why` messages and adds zod's errors and Caisson's own error code, so a
// caller sees which field is wrong. No answer carries a stack trace: it names server files.
import { initTRPC } from '@trpc/server';
import { z } from 'zod';
import { AppError } from '../shared/errors.js';
import type { RequestContext } from './context.js';
import { INTERNAL_MESSAGE, toTRPCError } from './errors.js';

/** Problems named in one answer: an input with 100,000 bad keys gets a readable answer, not a megabyte. */
const MAX_ISSUES = 20;

/** One line per problem, `path: why` ('input' for the whole input), instead of zod's JSON. */
function zodSummary(err: z.ZodError): string {
  const lines = err.issues.slice(0, MAX_ISSUES).map((i) => `${i.path.join('.') || 'input'}: ${i.message}`);
  const more = err.issues.length - lines.length;
  return lines.join('; ') + (more > 0 ? `; and ${more} more` : '');
}

/** What the api reference (docs/reference/api.md) says of a procedure beyond its input schema. */
export interface ProcedureMeta {
  /** The permission a key's role must grant (src/shared/roles.ts); null: any key. */
  permission: string | null;
}

const t = initTRPC.context<RequestContext>().meta<ProcedureMeta>().create({
  // tRPC's dev mode (any NODE_ENV but production) puts the stack in data.stack; the api log has it.
  isDev: false,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const full = cause instanceof z.ZodError ? cause : undefined;
    const zod = full && new z.ZodError(full.issues.slice(0, MAX_ISSUES));
    // A 500 that did not come through toTRPCError (tRPC's own, e.g. an unserializable result) says nothing more.
    const internal = error.code === 'INTERNAL_SERVER_ERROR' && !(cause instanceof AppError);
    return {
      ...shape,
      // tRPC's message for bad input is zod's issues as JSON text: a caller should read which field and why.
      message: full ? zodSummary(full) : internal ? INTERNAL_MESSAGE : shape.message,
      data: {
        ...shape.data,
        zodError: zod ? z.flattenError(zod) : null,
        /** Each problem with its full path (fieldErrors above keeps only the top-level key); the first MAX_ISSUES. */
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
export const middleware = t.middleware;
/** Errors mapped, nothing checked: every procedure of the api is built on `procedure` (procedures.ts). */
export const publicProcedure = t.procedure.use(mapErrors);
export const createCallerFactory = t.createCallerFactory;
