// What a function version's warm containers look like: the pool key (never shared across
// versions or namespaces), its settings, and the same hardened create spec as the cold
// path, with the runtime server as entrypoint and its directory mounted read-only.
import type { Runtime } from '../../shared/runtimes.js';
import { WarmSettingsSchema, type FunctionVersionSpec } from '../../shared/types.js';
import type { ContainerSpec } from '../docker/container-runtime.js';
import type { GenericTemplate } from './generic-pool.js';
import type { WarmTarget } from './pool.js';
import { imageFor } from '../docker/images.js';
import { specialiseRequest } from './specialise.js';
import { netnsKey, type NetnsHolders } from './warm-netns.js';
import { WARM_SERVER_MOUNT, warmEntrypoint } from './warm-servers.js';

/** The pool key of a version: never shared across versions, namespaces or code. */
export function warmPoolKey(v: { namespace: string; name: string; version: number; sha256: string }): string {
  return `${v.namespace}/${v.name}@${v.version}#${v.sha256.slice(0, 16)}`;
}

/** The code hash prefix (16 hex) a pool key was made with. */
export function codeOfWarmKey(key: string): string {
  return key.slice(key.lastIndexOf('#') + 1);
}

/** What this runtime's generic warm containers are made from (serverDir: the engine's view); undefined: it has no warm server. */
export function genericTemplate(runtime: Runtime, serverDir: string): GenericTemplate | undefined {
  const entrypoint = warmEntrypoint(runtime);
  if (!entrypoint) return undefined;
  return { image: imageFor(runtime), entrypoint, mounts: [{ hostPath: serverDir, containerPath: WARM_SERVER_MOUNT, readOnly: true }] };
}

export function warmTarget(input: {
  spec: FunctionVersionSpec;
  /** Host paths (as the engine sees them) of the code and of the installed servers. */
  codeDir: string;
  serverDir: string;
  /** This worker's path of the code: given, an eligible version may claim a generic container. */
  localCodeDir?: string;
  /** The function's environment without the per-invocation part. */
  env: Record<string, string>;
  /** Functions without network join their version's empty network namespace. */
  netns?: NetnsHolders;
  /** The version's secrets, for each container as it starts (absent: it has none). */
  secrets?: {
    attach(name: string): Promise<Pick<ContainerSpec, 'env' | 'mounts'> | undefined>;
    detach(name: string): Promise<void>;
  };
}): WarmTarget | undefined {
  const { spec } = input;
  const template = genericTemplate(spec.runtime, input.serverDir);
  if (!template) return undefined;
  const { image, entrypoint, mounts } = template;
  const joinsNetns = input.netns !== undefined && !spec.limits.network;
  const secrets = spec.secrets?.length ? input.secrets : undefined;
  const specialise = input.localCodeDir === undefined
    ? undefined
    : specialiseRequest({ spec, image, entrypoint, codeDir: input.localCodeDir, env: input.env });
  return {
    key: warmPoolKey({ ...spec, sha256: spec.artifact.sha256 }),
    settings: WarmSettingsSchema.parse(spec.warm ?? {}),
    namespace: spec.namespace,
    ...(spec.namespaceWarmContainers !== undefined ? { namespaceMax: spec.namespaceWarmContainers } : {}),
    container: {
      image,
      labels: {
        'caisson.function': `${spec.namespace}/${spec.name}`,
        'caisson.namespace': spec.namespace,
        'caisson.version': String(spec.version),
      },
      env: input.env,
      codeDir: input.codeDir,
      memoryMb: spec.limits.memoryMb,
      cpus: spec.limits.cpus,
      network: spec.limits.network,
      entrypoint,
      mounts,
    },
    ...(specialise ? { specialise: { ...specialise, template } } : {}),
    ...(joinsNetns || secrets
      ? {
        prepare: async ({ name }) => {
          const [joinNetworkOf, attached] = await Promise.all([
            joinsNetns ? input.netns!.holderFor(netnsKey(spec), { wait: false }) : undefined,
            secrets?.attach(name),
          ]);
          return { ...(joinNetworkOf !== undefined ? { joinNetworkOf } : {}), ...attached };
        },
      }
      : {}),
    ...(secrets ? { cleanup: (name: string) => secrets.detach(name) } : {}),
  };
}
