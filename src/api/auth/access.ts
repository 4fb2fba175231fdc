// What one request's key may reach. Names in another namespace are refused before any lookup
// (FORBIDDEN says nothing of whether they exist); an id-addressed object of another namespace
// is answered exactly as a missing one (NOT_FOUND), so ids reveal nothing either.
import { ForbiddenError, NotFoundError } from '../../shared/errors.js';
import { ALL_NAMESPACES, roleAllows, type Permission } from '../../shared/roles.js';
import type { KeyPrincipal } from './authenticator.js';
import type { OwnedKind, OwnerLookup } from './owners.js';

export interface Access {
  key: KeyPrincipal;
  /** Whether the key reaches this namespace. */
  sees(namespace: string): boolean;
  /** Throws ForbiddenError unless the key reaches this namespace. */
  namespace(namespace: string): void;
  /** Throws NotFoundError unless the object exists in a namespace the key reaches. */
  owns(kind: OwnedKind, id: string): Promise<void>;
}

export function createAccess(key: KeyPrincipal, owners: OwnerLookup): Access {
  const sees = (namespace: string) => key.namespace === ALL_NAMESPACES || key.namespace === namespace;
  return {
    key,
    sees,
    namespace(namespace) {
      if (!sees(namespace)) throw new ForbiddenError(`this key (namespace '${key.namespace}') may not use namespace '${namespace}'`);
    },
    async owns(kind, id) {
      // A key of every namespace needs no lookup: the procedure itself answers a missing id.
      if (key.namespace === ALL_NAMESPACES) return;
      const namespace = await owners(kind, id);
      if (namespace === null || !sees(namespace)) throw new NotFoundError(kind, id);
    },
  };
}

const WHAT: Partial<Record<Permission, string>> = { readInvocations: 'read invocations', secrets: 'manage secrets', audit: 'read the audit trail' };

/** Throws ForbiddenError unless the key's role grants the permission. */
export function requirePermission(key: KeyPrincipal, permission: Permission): void {
  if (!roleAllows(key.role, permission)) throw new ForbiddenError(`role '${key.role}' may not ${WHAT[permission] ?? permission}`);
}
