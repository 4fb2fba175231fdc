import { describe, expect, it } from 'vitest';
import { createAccess, requirePermission } from '../../../src/api/auth/access.js';
import type { KeyPrincipal } from '../../../src/api/auth/authenticator.js';
import { createHostCheck, defaultAllowedHosts } from '../../../src/api/host-check.js';
import { PERMISSIONS, ROLES, roleAllows, type Permission, type Role } from '../../../src/shared/roles.js';

const key = (namespace: string, role: Role = 'admin'): KeyPrincipal => ({ kind: 'key', id: 'key_1', name: 'k', namespace, role, expiresAt: null });

describe('roles', () => {
  const table: Record<Role, Permission[]> = {
    admin: ['keys', 'deploy', 'secrets', 'invoke', 'read', 'readInvocations', 'audit'],
    developer: ['deploy', 'secrets', 'invoke', 'read', 'readInvocations'],
    invoker: ['invoke', 'readInvocations'],
    reader: ['read', 'readInvocations'],
  };
  it.each(ROLES.flatMap((role) => PERMISSIONS.map((p) => [role, p] as const)))('%s may %s: as the table says', (role, permission) => {
    expect(roleAllows(role, permission)).toBe(table[role].includes(permission));
    if (table[role].includes(permission)) expect(() => requirePermission(key('a', role), permission)).not.toThrow();
    else expect(() => requirePermission(key('a', role), permission)).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });
});

describe('createAccess', () => {
  const owners = async (_kind: string, id: string) => ({ inv_a: 'team-a', inv_b: 'team-b' })[id] ?? null;

  it('refuses another namespace by name, before any lookup', () => {
    const access = createAccess(key('team-a'), async () => { throw new Error('no lookup expected'); });
    expect(() => access.namespace('team-a')).not.toThrow();
    expect(() => access.namespace('team-b')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });

  it('answers an object of another namespace exactly as a missing one', async () => {
    const access = createAccess(key('team-a'), owners);
    await expect(access.owns('invocation', 'inv_a')).resolves.toBeUndefined();
    const foreign = await access.owns('invocation', 'inv_b').catch((e: Error) => e);
    const missing = await access.owns('invocation', 'inv_c').catch((e: Error) => e);
    expect(foreign).toMatchObject({ code: 'NOT_FOUND', message: "invocation 'inv_b' not found" });
    expect(missing).toMatchObject({ code: 'NOT_FOUND', message: "invocation 'inv_c' not found" });
  });

  it('lets a key of every namespace through without a lookup', async () => {
    const access = createAccess(key('*'), async () => { throw new Error('no lookup expected'); });
    expect(() => access.namespace('anything')).not.toThrow();
    await expect(access.owns('dead letter', 'dlq_x')).resolves.toBeUndefined();
  });
});

describe('host check', () => {
  const check = createHostCheck(defaultAllowedHosts(3000, 'http://api.internal:3000'));
  it.each([
    ['127.0.0.1:3000', 'ok'], ['localhost:3000', 'ok'], ['LOCALHOST:3000', 'ok'], ['[::1]:3000', 'ok'], ['api.internal:3000', 'ok'],
    ['127.0.0.1:3001', 'misdirected'], ['evil.example:3000', 'misdirected'], ['localhost', 'misdirected'], [undefined, 'missing'], ['', 'missing'],
  ])('%j → %s', (host, verdict) => {
    expect(check(host)).toBe(verdict);
  });
  it('takes the default port as implied, and * as no check', () => {
    expect(createHostCheck(defaultAllowedHosts(80, 'http://127.0.0.1'))('localhost')).toBe('ok');
    expect(createHostCheck(['*'])('anything:1')).toBe('ok');
  });
});
