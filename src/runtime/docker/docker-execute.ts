// One run of a created container: attach before start (no output lost), start, wait with
// a deadline (SIGTERM → grace → SIGKILL), capped output, exit code and OOM flag. A container
// started ahead (waiting for its payload) is attached the same way, then released by afterStart.
import type Dockerode from 'dockerode';
import type { ExecuteOptions, ExecutionOutcome } from './container-runtime.js';
import { engineCall, statusOf } from './docker-errors.js';
import { createOutputCapture } from './output-capture.js';

export interface ExecuteDefaults {
  graceMs: number;
  stdoutCapBytes: number;
  stderrCapBytes: number;
  progressIntervalMs: number;
  /** How long to wait for the attach stream to drain after the container exited. */
  drainMs: number;
}

type StopReason = 'timeout' | 'cancel';

export async function executeContainer(
  container: Dockerode.Container,
  options: ExecuteOptions,
  defaults: ExecuteDefaults,
): Promise<ExecutionOutcome> {
  if (options.signal?.aborted) return notStarted();
  const capture = createOutputCapture({
    stdoutCapBytes: options.stdoutCapBytes ?? defaults.stdoutCapBytes,
    stderrCapBytes: options.stderrCapBytes ?? defaults.stderrCapBytes,
    ...(options.onStdout ? { onStdout: options.onStdout } : {}),
    ...(options.onStderr ? { onStderr: options.onStderr } : {}),
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
  });
  const stream = await engineCall('attaching to the container', () =>
    container.attach({ stream: true, stdout: true, stderr: true }),
  );
  const drained = new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
  // Flowing mode: bytes past the cap are dropped as they arrive, the pipe never fills.
  stream.on('data', (chunk: Buffer) => capture.push(chunk));

  const stopper = createStopper(container, options.graceMs ?? defaults.graceMs);
  const progress = options.onProgress ? setInterval(options.onProgress, defaults.progressIntervalMs) : undefined;
  const onAbort = () => stopper.stop('cancel');
  let timer: NodeJS.Timeout | undefined;
  const startedAt = performance.now();

  let exitCode: number;
  try {
    await startContainer(container);
    await options.afterStart?.();
    // The deadline runs from a started container: a kill before that would be a no-op.
    timer = setTimeout(() => stopper.stop('timeout'), options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    // Default condition not-running: returns at once if it already exited.
    const waited = (await engineCall('waiting for the container', () => container.wait())) as { StatusCode: number };
    exitCode = waited.StatusCode;
  } catch (err) {
    destroy(stream);
    throw err;
  } finally {
    clearTimeout(timer);
    if (progress) clearInterval(progress);
    options.signal?.removeEventListener('abort', onAbort);
    await stopper.settle();
  }
  const durationMs = Math.round(performance.now() - startedAt);
  await settleWithin(drained, defaults.drainMs);
  destroy(stream);

  // OOMKilled lives only in inspect: ask only when the exit was not clean.
  const oomKilled = exitCode !== 0 && (await inspectOomKilled(container));
  return {
    exitCode,
    stdout: capture.stdout.text(),
    stderr: capture.stderr.text(),
    stdoutTruncated: capture.stdout.truncated,
    stderrTruncated: capture.stderr.truncated,
    oomKilled,
    timedOut: stopper.reason === 'timeout',
    cancelled: stopper.reason === 'cancel',
    durationMs,
  };
}

async function startContainer(container: Dockerode.Container): Promise<void> {
  try {
    await container.start();
  } catch (err) {
    // 304: already started (a retried execute); waiting on it is still right.
    if (statusOf(err) !== 304) {
      await engineCall('starting the container', () => Promise.reject(err));
    }
  }
}

/**
 * SIGTERM now, SIGKILL after the grace period. The reason sticks only if the container
 * was still running when signalled (a natural exit racing the deadline is not a timeout).
 */
function createStopper(container: Dockerode.Container, graceMs: number) {
  let reason: StopReason | undefined;
  let pending: Promise<void> | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let settled = false;
  return {
    get reason() {
      return reason;
    },
    stop(why: StopReason): void {
      if (pending || settled) return;
      reason = why;
      pending = kill(container, 'SIGTERM').then((running) => {
        if (!running) reason = undefined;
        else if (!settled) killTimer = setTimeout(() => void kill(container, 'SIGKILL'), graceMs);
      });
    },
    /** After the wait: no more signals; the reason is final once this resolves. */
    async settle(): Promise<void> {
      settled = true;
      await pending;
      if (killTimer) clearTimeout(killTimer);
    },
  };
}

/** false when the container was no longer running (409) or is gone (404). */
async function kill(container: Dockerode.Container, signal: string): Promise<boolean> {
  try {
    await container.kill({ signal });
    return true;
  } catch (err) {
    const status = statusOf(err);
    if (status === 409 || status === 404) return false;
    // Engine trouble: the wait call will surface it; treat as still running.
    return true;
  }
}

async function inspectOomKilled(container: Dockerode.Container): Promise<boolean> {
  try {
    const info = await container.inspect();
    return info.State?.OOMKilled === true;
  } catch {
    return false;
  }
}

function settleWithin(promise: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function destroy(stream: NodeJS.ReadWriteStream): void {
  (stream as NodeJS.ReadWriteStream & { destroy?: () => void }).destroy?.();
}

function notStarted(): ExecutionOutcome {
  return {
    exitCode: null,
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    oomKilled: false,
    timedOut: false,
    cancelled: true,
    durationMs: 0,
  };
}
