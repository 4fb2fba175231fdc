// Secret names and references, the env a version maps secrets to, and the secret service over an
// in-memory repository: what is stored is sealed and bound to its namespace and name.
import { describe, expect, it } from 'vitest';
import { secretEnv } from '../../../src/activities/container-secrets.js';
import { CreateFunctionInput } from '../../../src/api/schemas.js';
import { createSecretService, MissingSecretsError } from '../../../src/api/services/secret.service.js';
import type { SecretRow } from '../../../src/db/index.js';
import { parseSecretFlag, SecretNameSchema } from '../../../src/shared/secrets.js';
import { newMasterKey, parseMasterKey } from '../../../src/shared/sealing.js';

describe('secret names and references', () => {
  it.each(['db-password', 'API_KEY', 'tls.crt', 'a', 'x'.repeat(64)])('takes %s', (name) => {
    expect(SecretNameSchema.safeParse(name).success).toBe(true);
  });
  it.each(['', '.', '..', '../x', 'a/b', 'a b', 'x'.repeat(65), 'é'])('refuses %j', (name) => {
    expect(SecretNameSchema.safeParse(name).success).toBe(false);
  });

  const issues = (secrets: unknown) => {
    const r = CreateFunctionInput.safeParse({ name: 'f', runtime: 'python', code: 'cHJpbnQoMSk=', secrets });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  it('names the field of a bad reference', () => {
    expect(issues([{ name: 'a', env: 'A' }, { name: 'b' }])).toEqual([]);
    expect(issues([{ name: 'a/b' }])[0]).toMatch(/^secrets\.0\.name: /);
    expect(issues([{ name: 'a', env: '1X' }])[0]).toMatch(/^secrets\.0\.env: not an environment variable name/);
    expect(issues([{ name: 'a', env: 'FUNCTION_PAYLOAD' }])[0]).toMatch(/^secrets\.0\.env: reserved/);
    expect(issues([{ name: 'a' }, { name: 'a' }])[0]).toMatch(/^secrets\.1\.name: secret 'a' is named twice/);
    expect(issues([{ name: 'a', env: 'K' }, { name: 'b', env: 'K' }])[0]).toMatch(/^secrets\.1\.env: env var 'K' is given twice/);
    expect(issues([{ name: 'a', value: 'x' }])[0]).toMatch(/^secrets\.0: /);
  });
  it('reads --secret NAME and NAME:ENV', () => {
    expect(parseSecretFlag('db')).toEqual({ name: 'db' });
    expect(parseSecretFlag('db:DB_PASSWORD')).toEqual({ name: 'db', env: 'DB_PASSWORD' });
  });
});

describe('secretEnv', () => {
  const values = new Map([['a', Buffer.from('text value')], ['bin', Buffer.from([0xff, 0x00, 0x01])]]);
  it('maps only the secrets asked for as env vars', () => {
    expect(secretEnv([{ name: 'a', env: 'A_VAR' }, { name: 'bin' }], values)).toEqual({ A_VAR: 'text value' });
  });
  it('refuses a value that cannot be an env var, naming the secret and never the value', () => {
    const err = (() => {
      try {
        secretEnv([{ name: 'bin', env: 'B' }], values);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toMatchObject({ code: 'FUNCTION_EXECUTION' });
    expect(err?.message).toMatch(/secret 'bin' cannot be env var B/);
  });
});

describe('secret service', () => {
  function fakeDb(users: string[] = []) {
    const rows = new Map<string, SecretRow & { sealed: Buffer }>();
    const key = (ns: string, name: string) => `${ns}/${name}`;
    return {
      rows,
      db: {
        secrets: {
          create: async (i: { namespace: string; name: string; sealed: Uint8Array; sizeBytes: number }) => {
            const row = { namespace: i.namespace, name: i.name, sizeBytes: i.sizeBytes, createdAt: new Date(), sealed: Buffer.from(i.sealed) };
            rows.set(key(i.namespace, i.name), row);
            return row;
          },
          list: async (ns: string) => [...rows.values()].filter((r) => r.namespace === ns),
          existing: async (ns: string, names: string[]) => new Set(names.filter((n) => rows.has(key(ns, n)))),
          sealed: async (ns: string, names: string[]) => new Map(names.filter((n) => rows.has(key(ns, n))).map((n) => [n, rows.get(key(ns, n))!.sealed])),
          delete: async (ns: string, name: string) => rows.delete(key(ns, name)),
          usedBy: async () => users,
        },
      } as unknown as Parameters<typeof createSecretService>[0]['db'],
    };
  }
  const masterKey = parseMasterKey(newMasterKey());

  it('stores the value sealed, answers it to resolve only, and lists no value', async () => {
    const { db, rows } = fakeDb();
    const secrets = createSecretService({ db, masterKey });
    const view = await secrets.create({ namespace: 'ns', name: 'k', value: Buffer.from('hunter2') });
    expect(view).toEqual({ namespace: 'ns', name: 'k', sizeBytes: 7, createdAt: expect.any(String) });
    expect(rows.get('ns/k')!.sealed.includes(Buffer.from('hunter2'))).toBe(false);
    expect(JSON.stringify(await secrets.list('ns'))).not.toContain('hunter2');
    expect((await secrets.resolve('ns', ['k'])).get('k')?.toString()).toBe('hunter2');
  });

  it('a sealed row moved to another name or namespace does not open', async () => {
    const { db, rows } = fakeDb();
    const secrets = createSecretService({ db, masterKey });
    await secrets.create({ namespace: 'ns', name: 'k', value: Buffer.from('hunter2') });
    rows.set('other/k', { ...rows.get('ns/k')!, namespace: 'other' });
    rows.set('ns/j', { ...rows.get('ns/k')!, name: 'j' });
    await expect(secrets.resolve('other', ['k'])).rejects.toThrow(/does not open/);
    await expect(secrets.resolve('ns', ['j'])).rejects.toThrow(/does not open/);
    await expect(createSecretService({ db, masterKey: parseMasterKey(newMasterKey()) }).resolve('ns', ['k'])).rejects.toThrow(/does not open/);
  });

  it('names every missing secret; refuses empty and oversized values; refuses rm while in use', async () => {
    const { db } = fakeDb(['billing', 'shop']);
    const secrets = createSecretService({ db, masterKey, maxBytes: 8 });
    await secrets.create({ namespace: 'ns', name: 'k', value: Buffer.from('v') });
    await expect(secrets.assertExist('ns', [{ name: 'k' }, { name: 'x' }, { name: 'y' }])).rejects.toThrow(new MissingSecretsError('ns', ['x', 'y']));
    await expect(secrets.resolve('ns', ['x'])).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining("'x'") });
    await expect(secrets.create({ namespace: 'ns', name: 'e', value: Buffer.alloc(0) })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(secrets.create({ namespace: 'ns', name: 'big', value: Buffer.alloc(9) })).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    await expect(secrets.remove('ns', 'k')).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining("'billing', 'shop'") });
    await expect(secrets.remove('ns', 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
