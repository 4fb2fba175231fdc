// The raw floor of a cold invocation: `docker run --rm` with exactly the flags, mounts and
// image the runtime uses (derived from the same create body), timed end to end.
import { spawn } from 'node:child_process';
import type { ContainerSpec } from '../../src/runtime/docker/container-runtime.js';
import { containerCreateOptions } from '../../src/runtime/docker/docker-runtime.js';
import { dockerRunArgs } from './docker-run-args.js';

export function spawnCollect(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Returns a timer: each call runs one `docker run --rm` of spec() and checks its stdout. */
export function rawDockerRun(opts: { spec: () => ContainerSpec; expectStdout: (out: string) => boolean; dockerCli?: string }) {
  const cli = opts.dockerCli ?? process.env.DOCKER_CLI ?? 'docker';
  return async (): Promise<number> => {
    const args = dockerRunArgs(containerCreateOptions(opts.spec()));
    const t0 = performance.now();
    const { code, stdout, stderr } = await spawnCollect(cli, args);
    const ms = performance.now() - t0;
    if (code !== 0 || !opts.expectStdout(stdout)) throw new Error(`docker run: exit ${code}: ${stdout} ${stderr}`);
    return ms;
  };
}
