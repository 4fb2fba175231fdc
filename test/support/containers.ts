// Finding the container an invocation runs in, on either path: a cold attempt's container
// is labelled with the invocation id; a warm one belongs to the pool of the function's
// version (label caisson.warm-key = "<namespace>/<name>@<version>#<sha>").
import Dockerode from 'dockerode';
import { createDockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import type { ManagedContainer } from '../../src/runtime/docker/container-runtime.js';

const docker = createDockerRuntime({});

export async function runningContainerOf(opts: { invocationId: string; workerId: string; fn: string; namespace?: string }): Promise<ManagedContainer | undefined> {
  const cold = (await docker.listManaged({ 'caisson.invocation': opts.invocationId })).find((c) => c.state === 'running');
  if (cold) return cold;
  const prefix = `${opts.namespace ?? 'default'}/${opts.fn}@`;
  const warm = (await docker.listManaged({ 'caisson.worker': opts.workerId }))
    .filter((c) => c.state === 'running' && (c.labels['caisson.warm-key'] ?? '').startsWith(prefix));
  // A warm container is busy with our invocation only if exactly one of the pool runs.
  return warm.length === 1 ? warm[0] : undefined;
}

export async function isGoneOrStopped(id: string): Promise<boolean> {
  const all = await docker.listManaged();
  const c = all.find((x) => x.id === id);
  return !c || c.state !== 'running';
}

export async function isRemoved(id: string): Promise<boolean> {
  return !(await docker.listManaged()).some((x) => x.id === id);
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Output (stdout and stderr) of a command run in a running container, as its user. */
export async function execIn(id: string, cmd: string[]): Promise<string> {
  const exec = await new Dockerode().getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  await new Promise((r) => stream.on('end', r));
  // Multiplexed frames: 8-byte headers before each chunk of output.
  const all = Buffer.concat(chunks);
  const out: Buffer[] = [];
  for (let i = 0; i + 8 <= all.length; i += 8 + all.readUInt32BE(i + 4)) out.push(all.subarray(i + 8, i + 8 + all.readUInt32BE(i + 4)));
  return Buffer.concat(out).toString('utf8');
}
