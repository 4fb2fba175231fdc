// One warm container: started with the cold path's hardening, running its language's
// runtime server (runtime-images/<lang>/), reached over a unix socket (warm-protocol.ts),
// never over a network. One invocation at a time. The socket connection is the container's
// lease on life: when this process goes away the server exits.
//
// Containment: the worker writes and reads no file a container can reach once the server is
// connected. The socket's host dir is writable only until then (while only the trusted server
// runs, before it loads the function), then made root-owned 0755 and emptied; the payload
// and the result travel over the socket; /caisson/io is a tmpfs inside the container.
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, rm, symlink, unlink } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RuntimeUnavailableError, errorMessage } from '../../shared/errors.js';
import type { ContainerRuntime, ContainerSpec, ExecuteOptions, ExecutionOutcome } from '../docker/container-runtime.js';
import { truncatedText } from '../docker/output-capture.js';
import type { ResultFile } from '../io/result-protocol.js';
import { LineReader, WARM_SOCKET, maxLineBytes, parseWarmLine, type WarmReply, type WarmRequest } from './warm-protocol.js';

const SUN_PATH_MAX = 100; // sockaddr_un.sun_path is 108 bytes on Linux
// How long a vanished server's container may take to stop (an OOM kill is seen in inspect only after it has).
const EXIT_SETTLE_MS = 5000;
/** Until the first request says the caps: the hello line is small. */
const HELLO_LINE_BYTES = 64 * 1024;

export interface WarmInvokeOptions extends Pick<ExecuteOptions, 'timeoutMs' | 'onProgress' | 'signal' | 'onOutput'> {
  /** Per-invocation environment (invocation id, attempt, small payload). */
  env: Record<string, string>;
  payload: string;
  stdoutCapBytes: number;
  stderrCapBytes: number;
  resultCapBytes: number;
  progressIntervalMs?: number;
}

export interface WarmInvokeResult {
  outcome: ExecutionOutcome;
  /** The handler's result.json as the server read it inside the container (or its envelope). */
  resultFile: ResultFile;
  /** false: this container must not serve another invocation. */
  reusable: boolean;
}

export interface StartWarmContainerOptions {
  runtime: ContainerRuntime;
  /** The hardened create spec; it mounts sockDir (the engine's view) at WARM_SOCKET_DIR. */
  spec: ContainerSpec;
  /** This worker's path of the socket's dir. */
  sockDir: string;
  readyTimeoutMs: number;
  /** After the container is removed (disposed, or failed to start): removes what else it had. */
  onRemoved?: () => Promise<void>;
}

type Waiting = (line: { reply: WarmReply } | { hello: string } | undefined) => void;

export class WarmContainer {
  invocations = 0;
  lastUsedAt = Date.now();
  /** 'process' (a child per invocation) or 'in-process' (the handler loaded once). */
  mode = 'unknown';
  /** true once a generic container became one version's (generic-pool.ts). */
  specialised = false;
  readonly createdAt = Date.now();
  private dead = false;
  /** Why the container broke the protocol, if it did (it is then killed). */
  private violation: string | undefined;
  private lineCap = HELLO_LINE_BYTES;
  private readonly lines = new LineReader(() => this.lineCap);
  /** Output of the invocation under way, capped here too: kept even if the container is killed. */
  private output = newOutput(0, 0);
  private waiting: Waiting | undefined;
  private resultCap = 0;
  /** The current invocation's live-log tap (WarmInvokeOptions.onOutput). */
  private onOutput: WarmInvokeOptions['onOutput'];

  private constructor(
    readonly id: string,
    readonly name: string,
    readonly sockDir: string,
    private readonly runtime: ContainerRuntime,
    private readonly socket: net.Socket,
    private readonly onRemoved?: () => Promise<void>,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => {
      this.dead = true;
      this.waiting?.(undefined);
    });
    socket.on('error', () => undefined); // 'close' follows
  }

  /** Creates, starts and connects; on any failure the container is removed and this throws. */
  static async start(opts: StartWarmContainerOptions): Promise<WarmContainer> {
    const { runtime, spec, sockDir } = opts;
    await rm(sockDir, { recursive: true, force: true });
    await mkdir(sockDir, { recursive: true });
    await chmod(sockDir, 0o777); // the server (uid 65534) binds its socket here
    let id: string | undefined;
    try {
      id = (await runtime.create(spec)).id;
      await runtime.start(id);
      const socket = await connectWhenReady(runtime, id, sockDir, opts.readyTimeoutMs);
      // From now on the container may run function code: it can place nothing more here.
      await chmod(sockDir, 0o755);
      await unlink(path.join(sockDir, WARM_SOCKET)).catch(() => undefined);
      const c = new WarmContainer(id, spec.name, sockDir, runtime, socket, opts.onRemoved);
      const hello = await c.next(opts.readyTimeoutMs);
      if (!hello || !('hello' in hello)) {
        throw new RuntimeUnavailableError(`warm container ${spec.name} did not say it is ready${c.violation ? `: ${c.violation}` : ''}`);
      }
      c.mode = hello.hello;
      return c;
    } catch (err) {
      await runtime.remove(id ?? spec.name).catch(() => undefined);
      await rm(sockDir, { recursive: true, force: true });
      await opts.onRemoved?.();
      throw err instanceof RuntimeUnavailableError
        ? err
        : new RuntimeUnavailableError(`starting warm container ${spec.name}: ${errorMessage(err)}`, err);
    }
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** Runs one invocation. Timeout, cancel or a broken protocol kills the container. */
  async invoke(opts: WarmInvokeOptions): Promise<WarmInvokeResult> {
    if (this.dead) throw new RuntimeUnavailableError(`warm container ${this.name} is gone`);
    this.output = newOutput(opts.stdoutCapBytes, opts.stderrCapBytes);
    this.onOutput = opts.onOutput;
    this.resultCap = opts.resultCapBytes;
    this.lineCap = maxLineBytes(opts.resultCapBytes);
    const startedAt = performance.now();
    const request: WarmRequest = {
      env: opts.env, payload: opts.payload,
      stdoutCap: opts.stdoutCapBytes, stderrCap: opts.stderrCapBytes, resultCap: opts.resultCapBytes,
    };
    let stop: 'timeout' | 'cancel' | undefined;
    const reply = this.next();
    this.socket.write(`${JSON.stringify(request)}\n`);
    const timer = setTimeout(() => void this.kill((stop ??= 'timeout')), opts.timeoutMs);
    const onAbort = () => void this.kill((stop ??= 'cancel'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();
    const progress = opts.onProgress ? setInterval(opts.onProgress, opts.progressIntervalMs ?? 2000) : undefined;
    let answer: Awaited<typeof reply>;
    try {
      answer = await reply;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
    const durationMs = Math.round(performance.now() - startedAt);
    if (answer && 'reply' in answer && !stop) {
      clearInterval(progress);
      const r = answer.reply;
      const outcome = this.outcome(durationMs, r);
      return { outcome, resultFile: r.resultFile, reusable: !r.stray && !r.oomKilled && this.alive };
    }
    // Killed by us (deadline, cancel, broken protocol), or the server died (a crash, an OOM
    // kill, the handler exiting the process). Progress goes on while its container settles
    // (up to EXIT_SETTLE_MS): without heartbeats that wait timed the activity out as infrastructure.
    this.dead = true;
    const state = stop || this.violation ? { exitCode: 137, oomKilled: false } : await this.exitState(); // never rejects
    clearInterval(progress);
    const outcome = this.outcome(durationMs, { ...state, stdoutDropped: 0, stderrDropped: 0 });
    if ('abandoned' in state) {
      // Its own processes keep it running without a server (e.g. one holds PID 1 under ptrace): stop it now.
      await this.runtime.remove(this.id).catch(() => undefined);
    }
    return {
      outcome: {
        ...outcome, timedOut: stop === 'timeout', cancelled: stop === 'cancel',
        ...(this.violation && !stop ? { protocolError: `the warm container broke its protocol: ${this.violation}` } : {}),
        ...('abandoned' in state ? { abandoned: true } : {}),
      },
      resultFile: { kind: 'missing' },
      reusable: false,
    };
  }

  /**
   * A generic container (hello mode 'generic') becomes its version's: the version's environment
   * goes to the server once, and its hello (the function loaded) is awaited. Anything else kills it.
   */
  async specialise(env: Record<string, string>, timeoutMs: number): Promise<void> {
    if (this.dead || this.mode !== 'generic') throw new RuntimeUnavailableError(`warm container ${this.name} is not a generic one`);
    const hello = this.next(timeoutMs);
    this.socket.write(`${JSON.stringify({ specialise: { env } })}\n`);
    const line = await hello;
    if (!line || !('hello' in line) || line.hello === 'generic') {
      await this.kill('protocol');
      throw new RuntimeUnavailableError(`warm container ${this.name} did not load its function${this.violation ? `: ${this.violation}` : ''}`);
    }
    this.mode = line.hello;
    this.specialised = true;
  }

  /** Removes the container and its socket dir; safe to call twice. */
  async dispose(): Promise<void> {
    this.dead = true;
    this.socket.destroy();
    await this.runtime.remove(this.id);
    await rm(this.sockDir, { recursive: true, force: true });
    await this.onRemoved?.();
  }

  private outcome(
    durationMs: number,
    r: { exitCode: number | null; oomKilled: boolean; stdoutDropped: number; stderrDropped: number },
  ): ExecutionOutcome {
    const out = this.output;
    const dropped = { 1: r.stdoutDropped + out[1].dropped, 2: r.stderrDropped + out[2].dropped };
    const text = (fd: 1 | 2) => Buffer.concat(out[fd].chunks).toString('utf8');
    return {
      exitCode: r.exitCode,
      stdout: truncatedText(text(1), dropped[1]),
      stderr: truncatedText(text(2), dropped[2]),
      stdoutTruncated: dropped[1] > 0,
      stderrTruncated: dropped[2] > 0,
      oomKilled: r.oomKilled,
      timedOut: false,
      cancelled: false,
      durationMs,
    };
  }

  private async kill(_why: 'timeout' | 'cancel' | 'protocol'): Promise<void> {
    this.dead = true;
    await this.runtime.remove(this.id).catch(() => undefined);
  }

  /**
   * After the server vanished: the container's exit code and OOM flag, once it has stopped;
   * `abandoned` when it is still running after EXIT_SETTLE_MS (then the container's own
   * processes hold it up, not the engine: the engine answered).
   */
  private async exitState(): Promise<{ exitCode: number | null; oomKilled: boolean; abandoned?: true }> {
    const until = Date.now() + EXIT_SETTLE_MS;
    for (;;) {
      const s = await this.runtime.inspectState(this.id).catch(() => ({ running: false, exitCode: null, oomKilled: false }));
      if (!s.running) return { exitCode: s.exitCode, oomKilled: s.oomKilled };
      if (Date.now() > until) return { exitCode: null, oomKilled: s.oomKilled, abandoned: true };
      await sleep(20);
    }
  }

  /** The next hello or reply (output frames are collected on the way); undefined: the container is gone. */
  private next(timeoutMs?: number): Promise<{ reply: WarmReply } | { hello: string } | undefined> {
    return new Promise((resolve) => {
      const timer = timeoutMs ? setTimeout(() => finish(undefined), timeoutMs) : undefined;
      const finish: Waiting = (line) => {
        clearTimeout(timer);
        this.waiting = undefined;
        resolve(line);
      };
      this.waiting = finish;
      if (this.dead) finish(undefined);
    });
  }

  /** Bytes from the server. Anything malformed, oversized or unasked-for kills the container. */
  private receive(chunk: Buffer): void {
    if (this.violation) return;
    const { lines, overflow } = this.lines.push(chunk);
    if (overflow !== undefined) return this.breach(`a line of over ${this.lineCap} bytes`);
    for (const text of lines) {
      const line = parseWarmLine(text, this.resultCap);
      if (line.type === 'invalid') return this.breach(`it sent ${line.reason}`);
      if (!this.waiting) return this.breach('it wrote to the socket between invocations');
      if (line.type === 'frame') this.keep(line.fd, line.bytes);
      else if (line.type === 'hello') this.waiting({ hello: line.mode });
      else this.waiting({ reply: line.reply });
    }
  }

  private keep(fd: 1 | 2, bytes: Buffer): void {
    this.onOutput?.(fd, bytes);
    const o = this.output[fd];
    const room = Math.max(0, o.cap - o.kept);
    if (room > 0) {
      const part = bytes.subarray(0, room);
      o.chunks.push(part);
      o.kept += part.length;
    }
    o.dropped += Math.max(0, bytes.length - room);
  }

  private breach(why: string): void {
    this.violation = why;
    void this.kill('protocol');
    this.socket.destroy();
    this.waiting?.(undefined);
  }
}

function newOutput(stdoutCap: number, stderrCap: number) {
  return {
    1: { cap: stdoutCap, kept: 0, dropped: 0, chunks: [] as Buffer[] },
    2: { cap: stderrCap, kept: 0, dropped: 0, chunks: [] as Buffer[] },
  };
}

/** Waits for the server's socket to appear, then connects (through a short symlink if the path is long). */
async function connectWhenReady(runtime: ContainerRuntime, id: string, dir: string, timeoutMs: number): Promise<net.Socket> {
  const socketPath = path.join(dir, WARM_SOCKET);
  const until = Date.now() + timeoutMs;
  for (let i = 0; ; i++) {
    // Only the server runs yet; still, nothing but a socket is ever connected to.
    const stat = await lstat(socketPath).catch(() => undefined);
    if (stat?.isSocket()) break;
    if (stat) throw new RuntimeUnavailableError(`warm container ${id.slice(0, 12)}: ${WARM_SOCKET} is not a socket`);
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
    await symlink(dir, link); // our own link to our own dir: the path is only too long for connect()
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
