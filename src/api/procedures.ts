// The gates every procedure passes: a key (not the worker token) whose role grants the
// procedure's permission, then, for inputs that name a namespace, a key that reaches it.
// Every mutation, refused or not, is recorded in the audit trail here (audit.ts), so no
// mutation procedure can forget it.
import type { Permission } from '../shared/roles.js';
import { ALL_NAMESPACES } from '../shared/roles.js';
import { AppError, ForbiddenError } from '../shared/errors.js';
import { AUDIT_ACTIONS, auditSubject } from './audit.js';
import { createAccess, requirePermission } from './auth/access.js';
import type { OwnedKind } from './auth/owners.js';
import { toTRPCError } from './errors.js';
import { middleware, publicProcedure } from './trpc.js';

/** Mutations addressed by id, and what the id names (looked up for the trail's namespace). */
const ID_OWNED: Record<string, OwnedKind> = {
  'invocations.cancel': 'invocation',
  'chains.resume': 'chain invocation',
  'deadLetters.replay': 'dead letter',
  'deadLetters.delete': 'dead letter',
  'keys.revoke': 'api key',
};

/** The code a failed call answers with (mapErrors, outside this middleware, maps AppErrors the same way). */
function outcomeCode(error: { code: string; cause?: unknown }): string {
  return error.cause instanceof AppError ? toTRPCError(error.cause).code : error.code;
}

/** A procedure for keys whose role grants `permission` (undefined: any key, e.g. auth.whoami). */
export function procedure(permission: Permission | undefined) {
  return publicProcedure.meta({ permission: permission ?? null }).use(async ({ ctx, next, type, path, getRawInput }) => {
    const caller = ctx.principal;
    if (caller.kind !== 'key') throw new ForbiddenError('a worker token may fetch artifacts and blobs only');
    const run = async () => {
      if (permission) requirePermission(caller, permission);
      return next({ ctx: { access: createAccess(caller, ctx.owners) } });
    };
    if (type !== 'mutation') return run();
    const { target, namespace, byId } = auditSubject(await getRawInput().catch(() => undefined));
    // A key of every namespace naming an object by id: its namespace is looked up for the trail,
    // started before the call (a delete would remove it) and awaited after the answer.
    const owned = byId && caller.namespace === ALL_NAMESPACES && target.length <= 200 ? ID_OWNED[path] : undefined;
    const owner = owned ? ctx.owners(owned, target).catch(() => null) : undefined;
    const result = await run().catch((err: unknown) => ({ ok: false as const, error: { code: 'FORBIDDEN', cause: err }, thrown: err }));
    const event = {
      keyId: caller.id, keyName: caller.name,
      // A key of one namespace reaches only it; with a key of every namespace a name defaults
      // to namespace 'default', and an id is recorded under its object's namespace ('*' if none).
      namespace: namespace ?? (caller.namespace !== ALL_NAMESPACES ? caller.namespace : byId ? ALL_NAMESPACES : 'default'),
      action: AUDIT_ACTIONS[path] ?? path, target, outcome: result.ok ? 'ok' : outcomeCode(result.error),
    };
    if (owner) void owner.then((ns) => ctx.audit.record({ ...event, namespace: ns ?? event.namespace }));
    else ctx.audit.record(event);
    if ('thrown' in result) throw result.thrown;
    return result;
  });
}

/** Used after .input(): an input's `namespace` (defaults applied) must be one the key reaches. */
export const inNamespace = middleware(({ ctx, input, next }) => {
  const namespace = (input as { namespace?: unknown } | undefined)?.namespace;
  if (ctx.principal.kind !== 'key') throw new ForbiddenError('a worker token may fetch artifacts and blobs only');
  if (typeof namespace === 'string') createAccess(ctx.principal, ctx.owners).namespace(namespace);
  return next();
});
