// Which function versions a generic warm container (generic-pool.ts) may become, and what it
// is given at claim time. A generic container is created before any version is known, so
// everything fixed at `docker create` is the same for all of them: image, entrypoint (the
// family's runtime server), user, read-only root, capabilities, no-new-privileges, pids limit,
// tmpfs sizes, its own empty network namespace (network mode none), no secrets mounts. At
// claim, the worker copies the version's code into the container's read-only /app/function,
// updates its memory and CPU limits (`docker update`), and sends the version's environment
// to the server before it loads the function. A version that needs anything else at create
// time is not eligible and starts its warm containers as before:
// - network access (its containers are created on a bridge network);
// - secrets (mounted as files, or given as env, when the container is created);
// - environment variables its interpreter reads only when it starts (PYTHON*, NODE_*, LC_*,
//   LANG, LANGUAGE, TZ, LD_*, SSL_*, OPENSSL_*, UV_*): the server's interpreter has started.
import type { FunctionVersionSpec } from '../../shared/types.js';

/** What a generic container must be (its image and server) and what claiming it delivers. */
export interface SpecialiseRequest {
  image: string;
  entrypoint: string[];
  /** This worker's path of the version's code dir (copied into the container's code slot). */
  codeDir: string;
  /** The version's environment, applied by the server before it loads the function. */
  env: Record<string, string>;
  memoryMb: number;
  cpus: number;
}

const STARTUP_ENV = /^(PYTHON|NODE_|LC_|LD_|SSL_|OPENSSL_|UV_)|^(LANG|LANGUAGE|TZ)$/;

/** Why this version cannot use a generic container, or undefined when it can. */
export function specialiseRefusal(spec: FunctionVersionSpec): string | undefined {
  if (spec.limits.network) return 'it has network access (set when its container is created)';
  if (spec.secrets?.length) return 'it has secrets (mounted when its container is created)';
  const startup = Object.keys(spec.env ?? {}).find((k) => STARTUP_ENV.test(k));
  if (startup) return `its environment sets ${startup}, which the runtime reads only when it starts`;
  return undefined;
}

/** The claim-time request of an eligible version; undefined when it is not eligible. */
export function specialiseRequest(input: {
  spec: FunctionVersionSpec; image: string; entrypoint: string[]; codeDir: string; env: Record<string, string>;
}): SpecialiseRequest | undefined {
  const { spec } = input;
  if (specialiseRefusal(spec) !== undefined) return undefined;
  return {
    image: input.image, entrypoint: input.entrypoint, codeDir: input.codeDir, env: input.env,
    memoryMb: spec.limits.memoryMb, cpus: spec.limits.cpus,
  };
}
