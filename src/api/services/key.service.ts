// Api keys: created (the key is answered once, only its hash is stored), listed, revoked. A
// revocation drops this process's cached lookup at once (auth/authenticator.ts).
import type { ApiKeyRow, Repositories } from '../../db/index.js';
import { NotFoundError } from '../../shared/errors.js';
import { ALL_NAMESPACES, type Role } from '../../shared/roles.js';
import { API_KEY_PREFIX, hashSecret, newSecret } from '../auth/secrets.js';

export interface KeyView {
  id: string;
  name: string;
  namespace: string;
  role: Role;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface CreateKeyRequest {
  name: string;
  namespace: string;
  role: Role;
  expiresAt?: Date | null;
}

function view(row: ApiKeyRow): KeyView {
  return {
    id: row.id, name: row.name, namespace: row.namespace, role: row.role as Role, createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null, revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

export function createKeyService(deps: { db: Pick<Repositories, 'apiKeys'>; forget(hash: string): void }) {
  const { apiKeys } = deps.db;

  async function create(req: CreateKeyRequest): Promise<KeyView & { key: string }> {
    const key = newSecret(API_KEY_PREFIX);
    const row = await apiKeys.create({
      id: `key_${crypto.randomUUID().replace(/-/g, '').slice(0, 20)}`, hash: hashSecret(key), ...req,
    });
    return { ...view(row), key };
  }

  /** The keys of a namespace; every key for a caller of every namespace ('*'). */
  async function list(callerNamespace: string): Promise<KeyView[]> {
    return (await apiKeys.list(callerNamespace === ALL_NAMESPACES ? undefined : [callerNamespace])).map(view);
  }

  /** Revokes a key the caller sees; one it does not see is answered as missing. */
  async function revoke(id: string, visible: (namespace: string) => boolean): Promise<KeyView> {
    const row = await apiKeys.get(id);
    if (!row || !visible(row.namespace)) throw new NotFoundError('api key', id);
    await apiKeys.revoke(id);
    deps.forget(row.hash);
    return view((await apiKeys.get(id)) ?? row);
  }

  return { create, list, revoke, hasActiveRootAdmin: () => apiKeys.hasActiveRootAdmin() };
}

export type KeyService = ReturnType<typeof createKeyService>;
