// Api key roles and what each may do: one table, read by the api's procedures and the CLI.

export const ROLES = ['admin', 'developer', 'invoker', 'reader'] as const;
export type Role = (typeof ROLES)[number];

/**
 * keys: manage api keys; deploy: create, update and delete functions and chains, delete dead
 * letters, and see versions' plain env values; secrets: create and delete secrets; invoke:
 * start, cancel, resume and replay; read: functions (env values redacted), chains, dead
 * letters, secrets' names, sizes and dates;
 * readInvocations: invocation records (what an invoker needs to follow its own calls); audit:
 * read the audit trail.
 */
export const PERMISSIONS = ['keys', 'deploy', 'secrets', 'invoke', 'read', 'readInvocations', 'audit'] as const;
export type Permission = (typeof PERMISSIONS)[number];

const GRANTS: Record<Role, ReadonlySet<Permission>> = {
  admin: new Set(PERMISSIONS),
  developer: new Set(['deploy', 'secrets', 'invoke', 'read', 'readInvocations']),
  invoker: new Set(['invoke', 'readInvocations']),
  reader: new Set(['read', 'readInvocations']),
};

export function roleAllows(role: Role, permission: Permission): boolean {
  return GRANTS[role].has(permission);
}

/** A key's namespace: one namespace, or every one. */
export const ALL_NAMESPACES = '*';
