// Secrets of a namespace: sealed with AES-256-GCM under a key derived from the secrets key,
// the namespace and name bound as additional data (a row copied to another name does not
// open). Values are answered to workers only (resolve); every other answer is a SecretView.
import type { Repositories, SecretRow } from '../../db/index.js';
import { ConflictError, LimitExceededError, NotFoundError, ValidationError } from '../../shared/errors.js';
import { MAX_SECRET_BYTES, secretContext, type SecretRef, type SecretView } from '../../shared/secrets.js';
import { deriveKey, open, seal } from '../../shared/sealing.js';

function view(row: SecretRow): SecretView {
  return { namespace: row.namespace, name: row.name, sizeBytes: row.sizeBytes, createdAt: row.createdAt.toISOString() };
}

/** A secret a version names that does not exist (or no longer does) in its namespace. */
export class MissingSecretsError extends ValidationError {
  override name = 'MissingSecretsError';
  constructor(readonly namespace: string, readonly missing: string[]) {
    const list = missing.map((n) => `'${n}'`).join(', ');
    super(`secrets: ${missing.length === 1 ? 'secret' : 'secrets'} ${list} not found in namespace '${namespace}' (caisson secret create)`, 'secrets');
  }
}

export function createSecretService(deps: { db: Pick<Repositories, 'secrets'>; masterKey: Buffer; maxBytes?: number }) {
  const { secrets } = deps.db;
  const key = deriveKey(deps.masterKey, 'secrets-at-rest');
  const maxBytes = deps.maxBytes ?? MAX_SECRET_BYTES;

  async function create(input: { namespace: string; name: string; value: Buffer }): Promise<SecretView> {
    if (input.value.length === 0) throw new ValidationError('value: the secret is empty', 'value');
    if (input.value.length > maxBytes) throw new LimitExceededError('value', input.value.length, maxBytes);
    const sealed = seal(key, input.value, secretContext(input.namespace, input.name));
    return view(await secrets.create({ namespace: input.namespace, name: input.name, sealed, sizeBytes: input.value.length }));
  }

  /** Refused while a function (any of its versions) names it: its invocations would fail. */
  async function remove(namespace: string, name: string): Promise<{ deleted: true; name: string }> {
    const users = await secrets.usedBy(namespace, name);
    if ((await secrets.existing(namespace, [name])).size === 0) throw new NotFoundError('secret', `${namespace}/${name}`);
    if (users.length > 0) {
      throw new ConflictError(`secret '${name}' is used by function${users.length === 1 ? '' : 's'} ${users.map((u) => `'${u}'`).join(', ')} of namespace '${namespace}': deploy versions without it, or delete those functions, first`);
    }
    if (!(await secrets.delete(namespace, name))) throw new NotFoundError('secret', `${namespace}/${name}`);
    return { deleted: true, name };
  }

  /** Deploy's check: every secret a version names exists in its namespace. */
  async function assertExist(namespace: string, refs: readonly SecretRef[]): Promise<void> {
    const names = refs.map((r) => r.name);
    const found = await secrets.existing(namespace, names);
    const missing = names.filter((n) => !found.has(n));
    if (missing.length > 0) throw new MissingSecretsError(namespace, missing);
  }

  /** The values, for a worker creating a container; MissingSecretsError names any that is gone. */
  async function resolve(namespace: string, names: readonly string[]): Promise<Map<string, Buffer>> {
    const sealed = await secrets.sealed(namespace, [...names]);
    const missing = names.filter((n) => !sealed.has(n));
    if (missing.length > 0) throw new MissingSecretsError(namespace, missing);
    return new Map(names.map((n) => [n, open(key, sealed.get(n)!, secretContext(namespace, n))]));
  }

  return { create, list: async (namespace: string) => (await secrets.list(namespace)).map(view), remove, assertExist, resolve };
}

export type SecretService = ReturnType<typeof createSecretService>;
