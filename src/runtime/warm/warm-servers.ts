// The warm runtime servers (runtime-images/<lang>/): which file each language runs, and
// installing them into the worker's data dir, from where warm containers mount them
// read-only at /caisson/warm. Mounted rather than baked in, so a worker and its servers
// always speak the same protocol, whatever image version a host has.
import { chmod, copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { runtimeFamily, type Runtime, type RuntimeFamily } from '../../shared/runtimes.js';

export const WARM_SERVER_MOUNT = '/caisson/warm';

const SERVERS: Partial<Record<RuntimeFamily, { file: string; command: string }>> = {
  python: { file: 'python/caisson_server.py', command: 'python3' },
  node: { file: 'node/server.mjs', command: 'node' },
};

/** The entrypoint of a warm container of this runtime (every version of a family runs the
 * family's server), or undefined when it has no server. */
export function warmEntrypoint(runtime: Runtime): string[] | undefined {
  const s = SERVERS[runtimeFamily(runtime)];
  return s && [s.command, `${WARM_SERVER_MOUNT}/${path.basename(s.file)}`];
}

/** Copies every server into dir (world-readable: containers run as uid 65534). */
export async function installWarmServers(dir: string): Promise<void> {
  const source = new URL('../../../runtime-images/', import.meta.url).pathname;
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  for (const s of Object.values(SERVERS)) {
    const target = path.join(dir, path.basename(s.file));
    await rm(target, { force: true }); // a read-only copy from an earlier start
    await copyFile(path.join(source, s.file), target);
    await chmod(target, 0o444);
  }
}
