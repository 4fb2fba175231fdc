// Forwards a running build's output (its stderr: the build scripts send everything there) to
// the api in batches of lines, so `caisson fn deploy` can print them while the build runs.
// Best effort and bounded: lines are cut and cleaned (shared/build-log.ts), at most
// linesPerDeployment are sent, one request is in flight at a time, and a failed send is
// dropped, never retried and never fails the build (its outcome and log tail do not depend on it).
import { StringDecoder } from 'node:string_decoder';
import { BUILD_LOG_LIMITS, CUT_MARK_SLACK, safeLogLine } from '../shared/build-log.js';

export interface BuildLogBatch {
  /** The build attempt (a retried activity starts its lines again). */
  attempt: number;
  /** Index of the first line of this batch in the attempt's output. */
  seq: number;
  lines: string[];
}

/** Where batches go: the api (build-log-client.ts), or a test. */
export interface BuildLogSink {
  send(deploymentId: string, batch: BuildLogBatch): Promise<void>;
}

export interface BuildLogForwarder {
  write(chunk: Buffer): void;
  /** Sends what is left (the last partial line too) and waits for it, at most closeWaitMs. */
  close(): Promise<void>;
}

export interface ForwarderOptions {
  sink: BuildLogSink;
  deploymentId: string;
  attempt: number;
  /** How long lines may wait to be sent together. */
  flushMs?: number;
  closeWaitMs?: number;
}

/** Characters of one line held while it is read: more than a stored line, so the cut is made once. */
const KEEP = BUILD_LOG_LIMITS.lineChars + CUT_MARK_SLACK + 1;

export function createBuildLogForwarder(opts: ForwarderOptions): BuildLogForwarder {
  const decoder = new StringDecoder('utf8');
  // One line short of what the api keeps: room for the "more lines not shown" mark.
  const limit = BUILD_LOG_LIMITS.linesPerDeployment - 1;
  /** The line being read (its head only, past KEEP characters), and how much of it was dropped. */
  let partial = '';
  let partialDropped = 0;
  let queued: string[] = [];
  let sent = 0;
  let dropped = 0;
  let inFlight: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  function add(line: string, over: number): void {
    if (sent + queued.length >= limit) {
      dropped += 1;
      return;
    }
    const max = BUILD_LOG_LIMITS.lineChars;
    if (over === 0) queued.push(safeLogLine(line.endsWith('\r') ? line.slice(0, -1) : line));
    else queued.push(`${safeLogLine(line).slice(0, max)}… (${line.length + over - max} more characters)`);
  }

  /** Adds to the line being read, keeping at most KEEP characters of it (a "line" may never end). */
  function extend(piece: string): void {
    const room = KEEP - partial.length;
    if (piece.length <= room) {
      partial += piece;
    } else {
      partial += piece.slice(0, Math.max(0, room));
      partialDropped += piece.length - Math.max(0, room);
    }
  }

  function endLine(): void {
    add(partial, partialDropped);
    partial = '';
    partialDropped = 0;
  }

  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (inFlight || queued.length === 0) return;
    const lines = queued.slice(0, BUILD_LOG_LIMITS.linesPerBatch);
    queued = queued.slice(lines.length);
    const batch = { attempt: opts.attempt, seq: sent, lines };
    sent += lines.length;
    inFlight = opts.sink.send(opts.deploymentId, batch).catch(() => undefined).finally(() => {
      inFlight = undefined;
      if (queued.length > 0) schedule();
    });
  }

  function schedule(): void {
    if (queued.length >= BUILD_LOG_LIMITS.linesPerBatch) return flush();
    timer ??= setTimeout(flush, opts.flushMs ?? 200);
  }

  return {
    write(chunk) {
      const pieces = decoder.write(chunk).split('\n');
      pieces.forEach((piece, i) => {
        extend(piece);
        if (i < pieces.length - 1) endLine();
      });
      if (queued.length > 0) schedule();
    },
    async close() {
      extend(decoder.end());
      if (partial || partialDropped) endLine();
      if (dropped > 0) queued.push(`… ${dropped} more lines of build output not shown (the first ${limit} are)`);
      const deadline = Date.now() + (opts.closeWaitMs ?? 5000);
      while ((queued.length > 0 || inFlight) && Date.now() < deadline) {
        flush();
        await Promise.race([inFlight, new Promise((r) => setTimeout(r, Math.max(1, deadline - Date.now())))]);
      }
      if (timer) clearTimeout(timer);
    },
  };
}
