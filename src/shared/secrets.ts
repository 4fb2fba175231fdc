// Secrets: a namespace's named values, sealed at rest, resolved by a worker only when it creates
// a container. A function version names the secrets it uses (SecretRef: names only, never a
// value); each reaches its container as a read-only file in both OpenFaaS's and Docker's place,
// and as an env var when the version asks for one.
import { z } from 'zod';
import { ENV_NAME_PATTERN, isReservedEnvName } from './function-env.js';

export const SECRET_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
/** Largest secret value (bytes). */
export const MAX_SECRET_BYTES = 64 * 1024;
/** Most secrets one version may name (their files share a small tmpfs). */
export const MAX_SECRETS_PER_VERSION = 32;
/** Where a container finds its secrets, one file per name (OpenFaaS's place, then Docker's). */
export const SECRET_MOUNT_PATHS = ['/var/openfaas/secrets', '/run/secrets'] as const;

export const SecretNameSchema = z.string()
  .regex(SECRET_NAME_PATTERN, 'letters, digits, -, _ and ., 1 to 64 characters')
  .refine((n) => n !== '.' && n !== '..', 'not . or ..');

/** A secret a version uses: its file always, and an env var named `env` when given. */
export const SecretRefSchema = z.strictObject({
  name: SecretNameSchema,
  env: z.string()
    .regex(ENV_NAME_PATTERN, 'not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)')
    .refine((n) => !isReservedEnvName(n), 'reserved: the platform sets CAISSON_* and FUNCTION_PAYLOAD itself')
    .optional(),
});
export type SecretRef = z.infer<typeof SecretRefSchema>;

/** A version's secrets: each name once, each env var once. */
export const SecretRefsSchema = z.array(SecretRefSchema).max(MAX_SECRETS_PER_VERSION).superRefine((refs, ctx) => {
  const names = new Set<string>();
  const envs = new Set<string>();
  refs.forEach((r, i) => {
    if (names.has(r.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `secret '${r.name}' is named twice` });
    if (r.env && envs.has(r.env)) ctx.addIssue({ code: 'custom', path: [i, 'env'], message: `env var '${r.env}' is given twice` });
    names.add(r.name);
    if (r.env) envs.add(r.env);
  });
});

/**
 * `NAME` or `NAME:ENV_VAR` (the CLI's --secret) as a SecretRef; the schema checks both parts.
 */
export function parseSecretFlag(text: string): SecretRef {
  const i = text.indexOf(':');
  return i < 0 ? { name: text } : { name: text.slice(0, i), env: text.slice(i + 1) };
}

/** What a caller may see of a secret: never its value. */
export interface SecretView {
  namespace: string;
  name: string;
  sizeBytes: number;
  createdAt: string;
}

/** The HKDF purpose and the additional data a secret's value is sealed under. */
export const secretContext = (namespace: string, name: string): string => `${namespace}/${name}`;
