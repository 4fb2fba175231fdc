// The secrets Caisson keeps in files under CAISSON_HOME, all mode 0600: the worker token and
// the first admin key (made by the api on first start), and the key `caisson login` stores.
import { readFileSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Config } from '../config/env.js';
import { newSecret, WORKER_TOKEN_PREFIX } from '../api/auth/secrets.js';
import type { KeyService } from '../api/services/key.service.js';
import { ALL_NAMESPACES } from '../shared/roles.js';
import { newMasterKey, parseMasterKey } from '../shared/sealing.js';

export async function writeSecretFile(path: string, secret: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const file = await open(path, 'w', 0o600);
  try {
    // The mode given to open applies to a new file only: an older one is narrowed before the secret is in it.
    await file.chmod(0o600);
    await file.writeFile(`${secret}\n`);
  } finally {
    await file.close();
  }
}

/** Synchronous: the CLI reads its key while it builds its client; the files are tiny. */
export function readSecretFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The api's side: CAISSON_WORKER_TOKEN, else the token file, else a new token written there. */
export async function ensureWorkerToken(auth: Config['auth']): Promise<string> {
  if (auth.workerToken) return auth.workerToken;
  const existing = readSecretFile(auth.workerTokenFile);
  if (existing) return existing;
  const token = newSecret(WORKER_TOKEN_PREFIX);
  await writeSecretFile(auth.workerTokenFile, token);
  return token;
}

/** A worker's side: CAISSON_WORKER_TOKEN, else the file the api writes (waited for: the api may still be starting). */
export async function workerToken(auth: Config['auth'], opts: { waitMs?: number; log?: (m: string) => void } = {}): Promise<string> {
  if (auth.workerToken) return auth.workerToken;
  const deadline = Date.now() + (opts.waitMs ?? 60_000);
  let said = false;
  for (;;) {
    const token = readSecretFile(auth.workerTokenFile);
    if (token) return token;
    if (Date.now() > deadline) throw new Error(`no worker token: set CAISSON_WORKER_TOKEN or start the api (it writes ${auth.workerTokenFile})`);
    if (!said) opts.log?.(`waiting for the api to write the worker token at ${auth.workerTokenFile}`);
    said = true;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The api's side: CAISSON_SECRETS_KEY, else the key file, else a new master key written there. */
export async function ensureMasterKey(auth: Config['auth']): Promise<Buffer> {
  const text = auth.secretsKey ?? readSecretFile(auth.secretsKeyFile);
  if (text) return parseMasterKey(text);
  const made = newMasterKey();
  await writeSecretFile(auth.secretsKeyFile, made);
  return parseMasterKey(made);
}

/** A worker's side: CAISSON_SECRETS_KEY, else the file the api writes (waited for, as the worker token is). */
export async function masterKey(auth: Config['auth'], opts: { waitMs?: number; log?: (m: string) => void } = {}): Promise<Buffer> {
  if (auth.secretsKey) return parseMasterKey(auth.secretsKey);
  const deadline = Date.now() + (opts.waitMs ?? 60_000);
  let said = false;
  for (;;) {
    const text = readSecretFile(auth.secretsKeyFile);
    if (text) return parseMasterKey(text);
    if (Date.now() > deadline) throw new Error(`no secrets key: set CAISSON_SECRETS_KEY or start the api (it writes ${auth.secretsKeyFile})`);
    if (!said) opts.log?.(`waiting for the api to write the secrets key at ${auth.secretsKeyFile}`);
    said = true;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Makes an admin key of every namespace when no usable one exists (first start, or every
 * admin key revoked or expired) and writes it to admin.key: the quick start needs no setup.
 */
export async function ensureAdminKey(deps: { keys: KeyService; file: string; log: (m: string) => void }): Promise<void> {
  if (await deps.keys.hasActiveRootAdmin()) return;
  const created = await deps.keys.create({ name: 'admin (made at first start)', namespace: ALL_NAMESPACES, role: 'admin' });
  await writeSecretFile(deps.file, created.key);
  deps.log(`created an admin api key (${created.id}); it is in ${deps.file} (the CLI uses it when CAISSON_API_KEY is unset)`);
}

/** The key the CLI sends: CAISSON_API_KEY, else the one `caisson login` stored, else admin.key. */
export function cliApiKey(auth: Pick<Config['auth'], 'apiKey' | 'credentialsFile' | 'adminKeyFile'>): string | undefined {
  return auth.apiKey ?? readSecretFile(auth.credentialsFile) ?? readSecretFile(auth.adminKeyFile);
}
