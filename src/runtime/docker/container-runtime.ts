// The port between activities and a container engine. docker-runtime.ts implements it
// with dockerode; unit tests use a fake. Knows nothing of Temporal or the database.

export interface ContainerSpec {
  /** Deterministic name (invocation id + attempt), so a retried create finds its own container. */
  name: string;
  image: string;
  labels: Record<string, string>;
  env: Record<string, string>;
  /** Host path of the function's code, mounted read-only at /app/function. */
  codeDir: string;
  /** Host path mounted read-write at /caisson/io (payload in, result out): a cold container's
   * size-limited tmpfs (io-dir.ts). Build containers have none. */
  ioDir?: string;
  /** Instead of ioDir: /caisson/io is a tmpfs of this size inside the container, never seen by
   * the host (warm containers: payload and result travel over the server's socket). */
  privateIoMb?: number;
  memoryMb: number;
  cpus: number;
  pidsLimit?: number;
  /** false → no network namespace interfaces at all (the default for functions). */
  network: boolean;
  /** With network true: this Docker network instead of the default bridge (build containers). */
  networkName?: string;
  /** With network false: join this running container's (empty) network namespace instead of a new one. */
  joinNetworkOf?: string;
  tmpfsMb?: number;
  /** Overrides the image entrypoint/cmd (build containers). */
  cmd?: string[];
  /** Overrides the image entrypoint (warm containers run their runtime server). */
  entrypoint?: string[];
  /** More bind mounts (warm containers: the runtime server's directory, read-only). */
  mounts?: Array<{ hostPath: string; containerPath: string; readOnly: boolean }>;
  /** Build containers only: exec-able /tmp (compilers run from it) and /out, a tmpfs of outMb
   * holding at most outFiles inodes: the output never touches the host's disk while the build runs.
   * Still read-only root, all capabilities dropped, no-new-privileges, uid 65534. */
  build?: { outMb: number; outFiles: number };
}

export interface ExecuteOptions {
  /** Wall-clock budget of the function; at the deadline: SIGTERM, grace, SIGKILL. */
  timeoutMs: number;
  graceMs?: number;
  stdoutCapBytes?: number;
  stderrCapBytes?: number;
  /** Raw stdout goes here instead of the capped text (a build streams its /out as a tar). */
  onStdout?: (chunk: Buffer) => void;
  /** Raw stderr chunks as they arrive, besides the capped text (a build's output, forwarded live). */
  onStderr?: (chunk: Buffer) => void;
  /** Called every few seconds while the container runs (activity heartbeats). */
  onProgress?: () => void;
  /** Every stdout (1) / stderr (2) chunk as it arrives, before any cap (live logs); must not throw or block. */
  onOutput?: (stream: 1 | 2, chunk: Buffer) => void;
  /**
   * Called once the container runs, before the deadline starts: a container started ahead of
   * its invocation (prepared-containers.ts) is released here to run its function.
   */
  afterStart?: () => Promise<void>;
  /** Aborting stops the container (SIGTERM, grace, SIGKILL) and resolves with cancelled=true. */
  signal?: AbortSignal;
}

export interface ExecutionOutcome {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  oomKilled: boolean;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
  /** The container broke the protocol with the worker (malformed or oversized frames): the
   * function's fault, reported as InvalidOutput with this message. */
  protocolError?: string;
  /**
   * The function's process closed its runtime server's channel while the container kept
   * running (no exit status to read): what the container's own processes did, so the function's.
   */
  abandoned?: boolean;
}

export interface ManagedContainer {
  id: string;
  name: string;
  labels: Record<string, string>;
  state: string;
  createdAt: Date;
}

export interface ContainerState {
  running: boolean;
  exitCode: number | null;
  oomKilled: boolean;
}

export interface ContainerRuntime {
  /** Answers or throws RuntimeUnavailableError. */
  ping(): Promise<void>;
  /** Local image → done; else pull; neither → RuntimeUnavailableError naming the image. */
  ensureImage(image: string): Promise<{ pulled: boolean }>;
  /** Creates (not starts) a hardened container; an existing container of that name is reused. */
  create(spec: ContainerSpec): Promise<{ id: string }>;
  /** Starts, waits with a deadline, collects capped output, exit code, OOM flag. */
  execute(id: string, options: ExecuteOptions): Promise<ExecutionOutcome>;
  /** Starts a created container without waiting for it (warm containers). Already started is success. */
  start(id: string): Promise<void>;
  /** Running or not, its exit code and OOM flag once stopped; a removed container reads as stopped. */
  inspectState(id: string): Promise<ContainerState>;
  /** Changes a running container's memory (swap equal) and CPU limits (a generic warm container claimed by a version). */
  update?(id: string, limits: { memoryMb: number; cpus: number }): Promise<void>;
  /** Force-removes; an already-removed container is success. */
  remove(idOrName: string): Promise<void>;
  /** Containers labelled caisson.managed=true (optionally more label filters). */
  listManaged(labels?: Record<string, string>): Promise<ManagedContainer[]>;
}
