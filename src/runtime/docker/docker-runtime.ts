// ContainerRuntime on the Docker Engine API (dockerode): hardened one-shot containers.
// Nothing connects until a method is called.
import Dockerode from 'dockerode';
import { RuntimeUnavailableError, errorMessage } from '../../shared/errors.js';
import type { ContainerRuntime, ContainerSpec, ManagedContainer } from './container-runtime.js';
import { engineCall, statusOf } from './docker-errors.js';
import { executeContainer, type ExecuteDefaults } from './docker-execute.js';

export interface DockerRuntimeOptions {
  /** An existing client; else one is made for socketPath (default: DOCKER_HOST / the default socket). */
  docker?: Dockerode;
  socketPath?: string;
  defaults?: Partial<DockerRuntimeDefaults>;
}

export interface DockerRuntimeDefaults extends ExecuteDefaults {
  pidsLimit: number;
  tmpfsMb: number;
  buildTmpfsMb: number;
  /** Run docker-init as PID 1: signals reach the function (SIGTERM works), zombies are reaped. */
  init: boolean;
  /** 'none': output reaches us through attach only, the engine keeps no log file. */
  logDriver: string;
}

export const DEFAULTS: DockerRuntimeDefaults = {
  pidsLimit: 64,
  tmpfsMb: 64,
  buildTmpfsMb: 1024,
  init: true,
  logDriver: 'none',
  graceMs: 2000,
  stdoutCapBytes: 1024 * 1024,
  stderrCapBytes: 1024 * 1024,
  progressIntervalMs: 2000,
  drainMs: 2000,
};

export const MANAGED_LABEL = 'caisson.managed';
const MIB = 1024 * 1024;

export function createDockerRuntime(options: DockerRuntimeOptions = {}): ContainerRuntime {
  const defaults: DockerRuntimeDefaults = { ...DEFAULTS, ...options.defaults };
  let client = options.docker;
  const docker = (): Dockerode =>
    (client ??= new Dockerode(options.socketPath ? { socketPath: options.socketPath } : undefined));

  async function createFresh(spec: ContainerSpec): Promise<{ id: string }> {
    const body = containerCreateOptions(spec, defaults);
    try {
      const container = await docker().createContainer(body);
      return { id: container.id };
    } catch (err) {
      if (statusOf(err) === 404) {
        throw new RuntimeUnavailableError(`image ${spec.image} is not present (run \`npm run images\`)`, err);
      }
      throw err;
    }
  }

  return {
    ping: () => engineCall('pinging the engine', async () => void (await docker().ping())),

    async ensureImage(image) {
      try {
        await engineCall(`inspecting image ${image}`, () => docker().getImage(image).inspect());
        return { pulled: false };
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
      try {
        await pull(docker(), image);
        return { pulled: true };
      } catch (err) {
        throw new RuntimeUnavailableError(
          `image ${image} is not present and could not be pulled: ${errorMessage(err)} (run \`npm run images\`)`,
          err,
        );
      }
    },

    create: (spec) =>
      engineCall(`creating container ${spec.name}`, async () => {
        try {
          return await createFresh(spec);
        } catch (err) {
          if (statusOf(err) !== 409) throw err;
        }
        // A retried create: reuse our own container if it never ran, else start clean.
        const existing = await docker().getContainer(spec.name).inspect();
        if (existing.State.Status === 'created') return { id: existing.Id };
        await removeQuietly(docker(), existing.Id);
        return createFresh(spec);
      }),

    execute: (id, executeOptions) => executeContainer(docker().getContainer(id), executeOptions, defaults),

    start: (id) =>
      engineCall(`starting container ${id}`, async () => {
        try {
          await docker().getContainer(id).start();
        } catch (err) {
          if (statusOf(err) !== 304) throw err; // already started
        }
      }),

    inspectState: (id) =>
      engineCall(`inspecting container ${id}`, async () => {
        try {
          const { State } = await docker().getContainer(id).inspect();
          return { running: State.Running, exitCode: State.Running ? null : State.ExitCode, oomKilled: State.OOMKilled };
        } catch (err) {
          if (statusOf(err) === 404) return { running: false, exitCode: null, oomKilled: false };
          throw err;
        }
      }),

    update: (id, limits) =>
      engineCall(`updating container ${id}`, async () => {
        const memory = Math.round(limits.memoryMb * MIB);
        await docker().getContainer(id).update({ Memory: memory, MemorySwap: memory, NanoCpus: Math.round(limits.cpus * 1e9) });
      }),

    remove: (idOrName) => engineCall(`removing container ${idOrName}`, () => removeQuietly(docker(), idOrName)),

    listManaged: (labels = {}) =>
      engineCall('listing containers', async () => {
        const filters = [`${MANAGED_LABEL}=true`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)];
        const list = await docker().listContainers({ all: true, filters: { label: filters } });
        return list.map(
          (c): ManagedContainer => ({
            id: c.Id,
            name: (c.Names[0] ?? '').replace(/^\//, ''),
            labels: c.Labels,
            state: c.State,
            createdAt: new Date(c.Created * 1000),
          }),
        );
      }),
  };
}

/** The hardened create body; exported for the bench's equivalent `docker run` flags. */
export function containerCreateOptions(
  spec: ContainerSpec,
  defaults: DockerRuntimeDefaults = DEFAULTS,
): Dockerode.ContainerCreateOptions {
  const memory = Math.round(spec.memoryMb * MIB);
  const build = spec.build;
  const tmpfsMb = spec.tmpfsMb ?? (build ? defaults.buildTmpfsMb : defaults.tmpfsMb);
  const binds = [`${spec.codeDir}:/app/function:ro`];
  if (spec.ioDir) binds.push(`${spec.ioDir}:/caisson/io:rw`);
  for (const m of spec.mounts ?? []) binds.push(`${m.hostPath}:${m.containerPath}:${m.readOnly ? 'ro' : 'rw'}`);
  return {
    name: spec.name,
    Image: spec.image,
    Labels: { ...spec.labels, [MANAGED_LABEL]: 'true' },
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    ...(spec.cmd ? { Cmd: spec.cmd } : {}),
    ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
    User: '65534:65534',
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: {
      Memory: memory,
      MemorySwap: memory,
      NanoCpus: Math.round(spec.cpus * 1e9),
      PidsLimit: spec.pidsLimit ?? defaults.pidsLimit,
      NetworkMode: spec.network ? (spec.networkName ?? 'bridge') : spec.joinNetworkOf ? `container:${spec.joinNetworkOf}` : 'none',
      ReadonlyRootfs: true,
      // Compilers exec from /tmp; functions never need to.
      Tmpfs: {
        '/tmp': `rw,${build ? 'exec' : 'noexec'},nosuid,nodev,size=${tmpfsMb}m`,
        ...(spec.privateIoMb ? { '/caisson/io': `rw,noexec,nosuid,nodev,size=${spec.privateIoMb}m,mode=1777` } : {}),
        // Memory-backed and charged to the container's memory limit: a build filling it is bounded twice.
        ...(build ? { '/out': `rw,noexec,nosuid,nodev,size=${build.outMb}m,nr_inodes=${build.outFiles},uid=65534,gid=65534,mode=0700` } : {}),
      },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Binds: binds,
      Init: defaults.init,
      RestartPolicy: { Name: 'no' },
      AutoRemove: false,
      LogConfig: { Type: defaults.logDriver, Config: {} },
    },
  };
}

async function removeQuietly(docker: Dockerode, idOrName: string): Promise<void> {
  try {
    await docker.getContainer(idOrName).remove({ force: true, v: true });
  } catch (err) {
    const status = statusOf(err);
    if (status === 404) return;
    // Another remove of the same container is already under way: it will finish the job.
    if (status === 409 && /already in progress/i.test(errorMessage(err))) return;
    throw err;
  }
}

async function pull(docker: Dockerode, image: string): Promise<void> {
  const stream = await docker.pull(image);
  const events = await new Promise<Array<{ error?: string; errorDetail?: { message?: string } }>>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, output: unknown[]) =>
      err ? reject(err) : resolve(output as Array<{ error?: string }>),
    ),
  );
  // The engine reports pull failures inside the progress stream, not as an HTTP error.
  const failed = events.find((e) => e.error || e.errorDetail?.message);
  if (failed) throw new Error(failed.errorDetail?.message ?? failed.error);
  await docker.getImage(image).inspect();
}
