// The secrets of a container being created: values fetched from the api (never through
// Temporal), written to the container's own secrets tmpfs, and the env vars the version maps
// them to. Asked only when a container is created; a version without secrets costs nothing.
import { join } from 'node:path';
import type { ContainerSpec } from '../runtime/docker/container-runtime.js';
import { createSecretsDir, removeSecretsDir, secretMounts } from '../runtime/io/secrets-dir.js';
import { FunctionExecutionError } from '../shared/errors.js';
import type { FunctionVersionSpec } from '../shared/types.js';
import type { SecretRef } from '../shared/secrets.js';
import type { BlobClient } from './blob-client.js';

/** What a container gets of its secrets: env vars and the read-only mounts of its secrets dir. */
export interface ContainerSecrets {
  env: Record<string, string>;
  mounts: NonNullable<ContainerSpec['mounts']>;
}

export interface ContainerSecretsDeps {
  blobs: Pick<BlobClient, 'resolveSecrets'>;
  /** This worker's data dir, and a path under it as the engine sees it. */
  dataDir: string;
  hostPath(local: string): string;
}

export function createContainerSecrets(deps: ContainerSecretsDeps) {
  const root = join(deps.dataDir, 'secrets');
  return {
    /** Resolves and mounts the secrets of container `name`; undefined when the version has none. */
    async attach(spec: FunctionVersionSpec, name: string): Promise<ContainerSecrets | undefined> {
      const refs = spec.secrets;
      if (!refs?.length) return undefined;
      const values = await deps.blobs.resolveSecrets(spec.namespace, refs.map((r) => r.name));
      const env = secretEnv(refs, values);
      const dir = await createSecretsDir({ root, name, values });
      return { env, mounts: secretMounts(deps.hostPath(dir)) };
    },
    /** Unmounts and removes container `name`'s secrets dir (none is success). */
    detach: (name: string): Promise<void> => removeSecretsDir(root, name),
  };
}


/** The env vars a version maps secrets to; a value that cannot be one fails naming the secret (never the value). */
export function secretEnv(refs: readonly SecretRef[], values: ReadonlyMap<string, Buffer>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { name, env: variable } of refs) {
    if (!variable) continue;
    const value = values.get(name)!;
    const text = value.toString('utf8');
    if (value.includes(0) || !Buffer.from(text, 'utf8').equals(value)) {
      throw new FunctionExecutionError(`secret '${name}' cannot be env var ${variable}: it is not UTF-8 text without NUL bytes (read it from /var/openfaas/secrets/${name})`);
    }
    env[variable] = text;
  }
  return env;
}
