// The gates every procedure passes: a key (not the worker token) whose role grants the
// procedure's permission, then, for inputs that name a namespace, a key that reaches it.
import type { Permission } from '../shared/roles.js';
import { ForbiddenError } from '../shared/errors.js';
import { createAccess, requirePermission } from './auth/access.js';
import { middleware, publicProcedure } from './trpc.js';

/** A procedure for keys whose role grants `permission` (undefined: any key, e.g. auth.whoami). */
export function procedure(permission: Permission | undefined) {
  return publicProcedure.use(({ ctx, next }) => {
    const caller = ctx.principal;
    if (caller.kind !== 'key') throw new ForbiddenError('a worker token may fetch artifacts and blobs only');
    if (permission) requirePermission(caller, permission);
    return next({ ctx: { access: createAccess(caller, ctx.owners) } });
  });
}

/** Used after .input(): an input's `namespace` (defaults applied) must be one the key reaches. */
export const inNamespace = middleware(({ ctx, input, next }) => {
  const namespace = (input as { namespace?: unknown } | undefined)?.namespace;
  if (ctx.principal.kind !== 'key') throw new ForbiddenError('a worker token may fetch artifacts and blobs only');
  if (typeof namespace === 'string') createAccess(ctx.principal, ctx.owners).namespace(namespace);
  return next();
});
