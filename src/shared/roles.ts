// Api key roles and what each may do: one table, read by the api's procedures and the CLI.

export const ROLES = ['admin', 'developer', 'invoker', 'reader'] as const;
export type Role = (typeof ROLES)[number];

/**
 * keys: manage api keys; deploy: create, update and delete functions and chains, delete dead
 * letters; invoke: start, cancel, resume and replay; read: functions, chains, dead letters;
 * readInvocations: invocation records (what an invoker needs to follow its own calls).
 */
export const PERMISSIONS = ['keys', 'deploy', 'invoke', 'read', 'readInvocations'] as const;
export type Permission = (typeof PERMISSIONS)[number];

const GRANTS: Record<Role, ReadonlySet<Permission>> = {
  admin: new Set(PERMISSIONS),
  developer: new Set(['deploy', 'invoke', 'read', 'readInvocations']),
  invoker: new Set(['invoke', 'readInvocations']),
  reader: new Set(['read', 'readInvocations']),
};

export function roleAllows(role: Role, permission: Permission): boolean {
  return GRANTS[role].has(permission);
}

/** A key's namespace: one namespace, or every one. */
export const ALL_NAMESPACES = '*';
