import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../src/api/auth/authenticator.js';
import { hashSecret, newSecret } from '../../../src/api/auth/secrets.js';
import type { ApiKeyRow } from '../../../src/db/index.js';

function setup(rows: Record<string, Partial<ApiKeyRow>>) {
  let t = 1_000_000;
  const lookups: string[] = [];
  const byHash = new Map(Object.entries(rows).map(([key, row]) => [hashSecret(key), {
    id: `key_${key.length}`, name: 'k', namespace: 'team-a', role: 'developer', createdAt: new Date(0), expiresAt: null, revokedAt: null, ...row,
  } satisfies ApiKeyRow]));
  const auth = createAuthenticator({
    findKey: async (hash) => {
      lookups.push(hash);
      return byHash.get(hash) ?? null;
    },
    workerToken: 'cwt_worker-token-of-at-least-32-characters',
    cacheMs: 1000,
    now: () => t,
  });
  return { auth, lookups, byHash, advance: (ms: number) => (t += ms), now: () => t };
}

describe('createAuthenticator', () => {
  const key = newSecret('csk_');

  it.each([undefined, '', 'Basic abc', 'Bearer', 'Bearer a b', `Token ${key}`])('answers %j with no caller', async (header) => {
    expect(await setup({ [key]: {} }).auth.authenticate(header)).toBeNull();
  });

  it('knows the worker token and a key, whatever the case of "Bearer"', async () => {
    const { auth } = setup({ [key]: {} });
    expect(await auth.authenticate('Bearer cwt_worker-token-of-at-least-32-characters')).toEqual({ kind: 'worker' });
    expect(await auth.authenticate(`bearer ${key}`)).toMatchObject({ kind: 'key', namespace: 'team-a', role: 'developer' });
  });

  it('looks a key up once per cache period, and again once it ran out', async () => {
    const { auth, lookups, advance } = setup({ [key]: {} });
    for (let i = 0; i < 5; i++) await auth.authenticate(`Bearer ${key}`);
    expect(lookups).toHaveLength(1);
    advance(1001);
    await auth.authenticate(`Bearer ${key}`);
    expect(lookups).toHaveLength(2);
  });

  it('refuses a revoked key at once once forgotten, and an expired one as soon as it expires', async () => {
    const { auth, byHash, now } = setup({ [key]: { expiresAt: null } });
    expect(await auth.authenticate(`Bearer ${key}`)).not.toBeNull();
    byHash.get(hashSecret(key))!.revokedAt = new Date(now());
    auth.forget(hashSecret(key));
    expect(await auth.authenticate(`Bearer ${key}`)).toBeNull();

    const other = newSecret('csk_');
    const s = setup({ [other]: { expiresAt: new Date(now() + 500) } });
    expect(await s.auth.authenticate(`Bearer ${other}`)).not.toBeNull();
    s.advance(500);
    expect(await s.auth.authenticate(`Bearer ${other}`)).toBeNull();
  });

  it('grants nothing to a role it does not know', async () => {
    const { auth } = setup({ [key]: { role: 'superuser' } });
    expect(await auth.authenticate(`Bearer ${key}`)).toBeNull();
  });

  it('does not remember a failed lookup', async () => {
    let calls = 0;
    const auth = createAuthenticator({
      findKey: async () => {
        calls++;
        throw new Error('database down');
      },
      workerToken: 'cwt_worker-token-of-at-least-32-characters',
    });
    await expect(auth.authenticate(`Bearer ${key}`)).rejects.toThrow(/database down/);
    await expect(auth.authenticate(`Bearer ${key}`)).rejects.toThrow(/database down/);
    expect(calls).toBe(2);
  });
});
