// One warm container: started with the cold path's hardening, running its language's
// runtime server (runtime-images/<lang>/), reached over a unix socket in its bind-mounted
// io dir, never over a network. One invocation at a time. The socket connection is the
// container's lease on life: when this process goes away the server exits.
import { randomBytes } from 'node:crypto';
import { access, chmod, mkdir, rm, symlink, unlink } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RuntimeUnavailableError, errorMessage } from '../shared/errors.js';
import type { ContainerRuntime, ContainerSpec, ExecuteOptions, ExecutionOutcome } from './container-runtime.js';
import { emptyIoDir, writePayloadFiles } from './io-dir.js';
import { truncatedText } from './output-capture.js';

export const WARM_SOCKET = 'warm.sock';
const SUN_PATH_MAX = 100; // sockaddr_un.sun_path is 108 bytes on Linux
const EXIT_SETTLE_MS = 2000;

/** What the runtime server answers for one invocation (its output came before, in frames). */
interface ServerReply {
  exitCode: number;
  stdoutDropped: number;
  stderrDropped: number;
  oomKilled: boolean;
  stray?: boolean;
  envelope?: string;
}

export interface WarmInvokeOptions extends Pick<ExecuteOptions, 'timeoutMs' | 'onProgress' | 'signal'> {
  /** Per-invocation environment (invocation id, attempt, small payload). */
  env: Record<string, string>;
  payload: string;
  stdoutCapBytes: number;
  stderrCapBytes: number;
  progressIntervalMs?: number;
}

export interface WarmInvokeResult {
  outcome: ExecutionOutcome;
  /** The handler's result envelope when the server ran it in-process (else read result.json). */
  envelope?: string;
  /** false: this container must not serve another invocation. */
  reusable: boolean;
}

export interface StartWarmContainerOptions {
  runtime: ContainerRuntime;
  /** The hardened create spec; its ioDir is the host view of localIoDir. */
  spec: ContainerSpec;
  localIoDir: string;
  readyTimeoutMs: number;
}

export class WarmContainer {
  invocations = 0;
  lastUsedAt = Date.now();
  /** 'process' (a child per invocation) or 'in-process' (the handler loaded once). */
  mode = 'unknown';
  readonly createdAt = Date.now();
  private dead = false;
  /**
   * The io dir emptied after the previous invocation (recycle), while the container idled:
   * resolves true when it is empty. Emptying it in front of the next invocation cost that
   * invocation ~1.5 ms (readdir and removals through libuv's thread pool). With the payload
   * written directly, whole warm invokes answered 0.8-2.3 ms sooner (interleaved A/B, 3 x 100).
   */
  private emptied: Promise<boolean> | undefined;
  private buffered = '';
  /** Output frames of the invocation under way, fd 1 and 2: kept even if the container is killed. */
  private output: Record<1 | 2, Buffer[]> = { 1: [], 2: [] };
  private pending: ((line: string | undefined) => void) | undefined;

  private constructor(
    readonly id: string,
    readonly name: string,
    readonly localIoDir: string,
    private readonly runtime: ContainerRuntime,
    private readonly socket: net.Socket,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      this.deliver();
    });
    socket.on('close', () => {
      this.dead = true;
      this.pending?.(undefined);
    });
    socket.on('error', () => undefined); // 'close' follows
  }

  /** Creates, starts and connects; on any failure the container is removed and this throws. */
  static async start(opts: StartWarmContainerOptions): Promise<WarmContainer> {
    const { runtime, spec, localIoDir } = opts;
    await rm(localIoDir, { recursive: true, force: true });
    await mkdir(localIoDir, { recursive: true });
    await chmod(localIoDir, 0o777); // written by the container's uid 65534
    let id: string | undefined;
    try {
      id = (await runtime.create(spec)).id;
      await runtime.start(id);
      const socket = await connectWhenReady(runtime, id, localIoDir, opts.readyTimeoutMs);
      const c = new WarmContainer(id, spec.name, localIoDir, runtime, socket);
      const hello = await c.nextLine(opts.readyTimeoutMs);
      const mode = hello ? (JSON.parse(hello) as { mode?: string }).mode : undefined;
      if (!mode) throw new RuntimeUnavailableError(`warm container ${spec.name} did not say it is ready`);
      c.mode = mode;
      c.emptied = emptyIoDir(c.localIoDir); // only the server's socket was there, unlinked once connected
      return c;
    } catch (err) {
      await runtime.remove(id ?? spec.name).catch(() => undefined);
      await rm(localIoDir, { recursive: true, force: true });
      throw err instanceof RuntimeUnavailableError
        ? err
        : new RuntimeUnavailableError(`starting warm container ${spec.name}: ${errorMessage(err)}`, err);
    }
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** Runs one invocation. Timeout or cancel kills the container (it is never reused after one). */
  async invoke(opts: WarmInvokeOptions): Promise<WarmInvokeResult> {
    if (this.dead) throw new RuntimeUnavailableError(`warm container ${this.name} is gone`);
    const emptied = this.emptied;
    this.emptied = undefined;
    if (!(emptied && (await emptied)) && !(await emptyIoDir(this.localIoDir))) {
      throw new RuntimeUnavailableError(`warm container ${this.name}: its io dir could not be emptied`);
    }
    await writePayloadFiles(this.localIoDir, opts.payload);
    this.output = { 1: [], 2: [] };
    const startedAt = performance.now();
    const request = { env: opts.env, stdoutCap: opts.stdoutCapBytes, stderrCap: opts.stderrCapBytes };
    let stop: 'timeout' | 'cancel' | undefined;
    const reply = this.nextLine();
    this.socket.write(`${JSON.stringify(request)}\n`);
    const timer = setTimeout(() => void this.kill((stop ??= 'timeout')), opts.timeoutMs);
    const onAbort = () => void this.kill((stop ??= 'cancel'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();
    const progress = opts.onProgress ? setInterval(opts.onProgress, opts.progressIntervalMs ?? 2000) : undefined;
    let line: string | undefined;
    try {
      line = await reply;
    } finally {
      clearTimeout(timer);
      clearInterval(progress);
      opts.signal?.removeEventListener('abort', onAbort);
    }
    const durationMs = Math.round(performance.now() - startedAt);
    if (line !== undefined && !stop) {
      const r = JSON.parse(line) as ServerReply;
      const outcome = this.outcome(durationMs, {
        exitCode: r.exitCode, oomKilled: r.oomKilled, stdoutDropped: r.stdoutDropped, stderrDropped: r.stderrDropped,
      });
      return { outcome, envelope: r.envelope, reusable: !r.stray && !r.oomKilled && this.alive };
    }
    // Killed by us, or the server died (a crash, an OOM kill, the handler exiting the process).
    this.dead = true;
    const state = stop ? { exitCode: 137, oomKilled: false } : await this.exitState();
    const outcome = this.outcome(durationMs, { ...state, stdoutDropped: 0, stderrDropped: 0 });
    return { outcome: { ...outcome, timedOut: stop === 'timeout', cancelled: stop === 'cancel' }, reusable: false };
  }

  /**
   * The invocation's files have been read (result.json): empties the io dir now, while the
   * container idles, so the next invocation finds it as the cold path has it (but for its
   * payload.json, written then).
   */
  recycle(): void {
    if (!this.dead) this.emptied = emptyIoDir(this.localIoDir);
  }

  /** Removes the container and its io dir; safe to call twice. */
  async dispose(): Promise<void> {
    this.dead = true;
    this.socket.destroy();
    await this.runtime.remove(this.id);
    await rm(this.localIoDir, { recursive: true, force: true });
  }

  private outcome(
    durationMs: number,
    r: { exitCode: number | null; oomKilled: boolean; stdoutDropped: number; stderrDropped: number },
  ): ExecutionOutcome {
    const text = (fd: 1 | 2) => Buffer.concat(this.output[fd]).toString('utf8');
    return {
      exitCode: r.exitCode,
      stdout: truncatedText(text(1), r.stdoutDropped),
      stderr: truncatedText(text(2), r.stderrDropped),
      stdoutTruncated: r.stdoutDropped > 0,
      stderrTruncated: r.stderrDropped > 0,
      oomKilled: r.oomKilled,
      timedOut: false,
      cancelled: false,
      durationMs,
    };
  }

  private async kill(_why: 'timeout' | 'cancel'): Promise<void> {
    this.dead = true;
    await this.runtime.remove(this.id).catch(() => undefined);
  }

  /** After the server vanished: the container's exit code and OOM flag, once it has stopped. */
  private async exitState(): Promise<{ exitCode: number | null; oomKilled: boolean }> {
    const until = Date.now() + EXIT_SETTLE_MS;
    for (;;) {
      const s = await this.runtime.inspectState(this.id).catch(() => ({ running: false, exitCode: null, oomKilled: false }));
      if (!s.running || Date.now() > until) return { exitCode: s.running ? null : s.exitCode, oomKilled: s.oomKilled };
      await sleep(20);
    }
  }

  private nextLine(timeoutMs?: number): Promise<string | undefined> {
    return new Promise((resolve) => {
      const timer = timeoutMs ? setTimeout(() => finish(undefined), timeoutMs) : undefined;
      const finish = (line: string | undefined) => {
        clearTimeout(timer);
        this.pending = undefined;
        resolve(line);
      };
      this.pending = finish;
      if (this.dead) finish(undefined);
      else this.deliver();
    });
  }

  private deliver(): void {
    for (let nl = this.buffered.indexOf('\n'); nl >= 0 && this.pending; nl = this.buffered.indexOf('\n')) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      if (line.startsWith('{"fd":')) {
        const frame = JSON.parse(line) as { fd: 1 | 2; b64: string };
        this.output[frame.fd === 2 ? 2 : 1].push(Buffer.from(frame.b64, 'base64'));
      } else {
        this.pending(line);
      }
    }
  }
}

/** Waits for the server's socket to appear, then connects (through a short symlink if the path is long). */
async function connectWhenReady(runtime: ContainerRuntime, id: string, ioDir: string, timeoutMs: number): Promise<net.Socket> {
  const socketPath = path.join(ioDir, WARM_SOCKET);
  const until = Date.now() + timeoutMs;
  for (let i = 0; ; i++) {
    if (await access(socketPath).then(() => true, () => false)) break;
    if (Date.now() > until) throw new RuntimeUnavailableError(`warm container ${id.slice(0, 12)}: no server socket within ${timeoutMs} ms`);
    if (i % 25 === 24 && !(await runtime.inspectState(id)).running) {
      throw new RuntimeUnavailableError(`warm container ${id.slice(0, 12)} exited before its server was ready`);
    }
    await sleep(5);
  }
  let via = socketPath;
  let link: string | undefined;
  if (socketPath.length > SUN_PATH_MAX) {
    link = path.join(tmpdir(), `caisson-w-${randomBytes(6).toString('hex')}`);
    await symlink(ioDir, link);
    via = path.join(link, WARM_SOCKET);
  }
  try {
    for (;;) {
      try {
        return await new Promise<net.Socket>((resolve, reject) => {
          const s = net.createConnection(via, () => resolve(s));
          s.once('error', reject);
        });
      } catch (err) {
        // The socket file appears at bind(), a moment before listen(): connecting in between is refused.
        if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED' || Date.now() > until) throw err;
        await sleep(5);
      }
    }
  } finally {
    if (link) await unlink(link).catch(() => undefined);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
